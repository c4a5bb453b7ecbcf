"""The embedded SmolLM2 encoder, loaded offline: outputs, framing, truncation, errors, threads."""

import gc
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from bfcore.encoder import MAX_TOKENS, EncoderError, load_encoder
from bfcore.runtime import mx

UNRELATED = [
    "say hi",
    "print the numbers from 1 to 5",
    "output the letter A three times",
    "what is the weather in Paris",
    "reverse the input string",
    "write a poem about the sea",
    "add two digits",
    "echo every byte you read",
    "count down from ten",
    "print HELLO WORLD in capitals",
    "the cat sat on the mat",
    "uppercase the input",
]


@pytest.fixture(scope="module")
def enc():
    return load_encoder(cache=False)


def _np(a):
    return np.array(a, dtype=np.float32)


def _cos(a, b):
    a, b = _np(a), _np(b)
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def test_encode_returns_prompt_tokens_states_and_pooled(enc):
    out = enc.encode("say hi")
    assert out.tokens == [22313, 15876]  # the prompt's own tokens, no chat header
    assert out.states.shape == (2, 576) and out.pooled.shape == (576,)
    assert out.states.dtype == mx.float32
    assert np.allclose(_np(out.pooled), _np(out.states).mean(axis=0), atol=1e-5)
    assert enc.dim == 576 and enc.layers == 4


def test_prefix_cache_matches_a_full_pass(enc):
    """Running the header once and reusing its KV cache gives the same states as header + prompt."""
    out = enc.encode("print the letter A three times")
    ids = mx.array([enc.prefix + out.tokens])
    normed = enc.model.norm(enc._layers(ids, None))[0]
    header = normed[1 : len(enc.prefix)].mean(axis=0)
    expected = normed[len(enc.prefix) :] - header
    assert np.allclose(_np(out.states), _np(expected), atol=2e-4)


def test_batch_matches_single_and_masks_padding(enc):
    prompts = ["say hi", "output the letter A three times", "hello"]
    states, mask, pooled = enc.encode_batch(prompts)
    lengths = [len(enc.tokenize(p)) for p in prompts]
    assert states.shape == (3, max(lengths), 576) and pooled.shape == (3, 576)
    assert _np(mask).sum(axis=1).tolist() == lengths
    for row, prompt in enumerate(prompts):
        single = enc.encode(prompt)
        n = lengths[row]
        assert np.allclose(_np(states[row, :n]), _np(single.states), atol=2e-4)
        assert np.allclose(_np(pooled[row]), _np(single.pooled), atol=2e-4)
        assert not _np(states[row, n:]).any()


def test_different_prompts_are_separated(enc):
    """Unrelated prompts: measured mean cosine 0.31, max 0.61 (raw mean pooling: 0.98)."""
    _, _, pooled = enc.encode_batch(UNRELATED)
    p = _np(pooled)
    p /= np.linalg.norm(p, axis=1, keepdims=True)
    cos = (p @ p.T)[np.triu_indices(len(p), 1)]
    assert cos.mean() < 0.45 and cos.max() < 0.75
    assert _cos(enc.encode("say hi").pooled, enc.encode("print hi").pooled) > cos.mean() + 0.15
    a, b = enc.encode("say hi"), enc.encode("say ho")
    assert not np.allclose(_np(a.states[-1]), _np(b.states[-1]), atol=1e-2)


def test_truncation_keeps_only_k_layers(enc):
    assert len(enc.model.layers) == 4
    names = {k.split(".")[1] for k, _ in _flat(enc.model.parameters()) if k.startswith("layers.")}
    assert names == {"0", "1", "2", "3"}


def test_dropped_layers_are_not_in_memory():
    """K=1 holds the 8-bit embedding + one float32 layer (~44 MB); the GGUF alone is 98 MB."""
    gc.collect()
    mx.clear_cache()
    before = mx.get_active_memory()
    one = load_encoder(layers=1, cache=False)
    gc.collect()
    mx.clear_cache()
    grown = mx.get_active_memory() - before
    assert len(one.model.layers) == 1
    assert grown < 60 * 2**20


def test_full_model_says_paris():
    full = load_encoder(layers=30, cache=False)
    ids = full.tokenize("The capital of France is")
    logits = full.model.embed_tokens.as_linear(full.model(mx.array([ids])))[0, -1]
    probs = _np(mx.softmax(logits.astype(mx.float32)))
    top = int(probs.argmax())
    assert full._tokenize(" Paris") == [top]
    assert probs[top] > 0.6  # measured 0.77


def test_quantized_path_agrees_with_dequantized(enc):
    q = load_encoder(cache=False, dequantize=False)
    assert q.info()["dtype"] == "4-bit"
    for prompt in ("say hi", "reverse the input string"):
        assert _cos(q.encode(prompt).pooled, enc.encode(prompt).pooled) > 0.99


def test_info(enc):
    info = enc.info()
    assert info["model"] == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert info["layers"] == 4 and info["total_layers"] == 30
    assert info["backend"] in ("cpu", "gpu")
    assert info["dtype"] == ("float32" if info["backend"] == "cpu" else "4-bit")
    assert info["blas"]
    assert "K=4" in enc.identity


@pytest.mark.parametrize("layers", [0, -1, 31, 2.5, "4"])
def test_bad_layer_counts(layers):
    with pytest.raises(EncoderError) as err:
        load_encoder(layers=layers, cache=False)
    assert "\n" not in str(err.value) and isinstance(err.value, ValueError)


@pytest.mark.parametrize("prompt", ["", "   \n\t"])
def test_empty_prompt(enc, prompt):
    with pytest.raises(EncoderError, match="empty prompt"):
        enc.encode(prompt)
    with pytest.raises(EncoderError, match="empty prompt"):
        enc.encode_batch(["ok", prompt])


def test_long_prompt_is_truncated_with_a_warning(enc):
    text = " ".join(["word"] * (MAX_TOKENS + 40))
    with pytest.warns(UserWarning, match=f"truncated to the first {MAX_TOKENS}"):
        out = enc.encode(text)
    assert len(out.tokens) == MAX_TOKENS and out.states.shape[0] == MAX_TOKENS


def test_missing_and_corrupt_model_files(tmp_path):
    with pytest.raises(EncoderError, match="model file not found"):
        load_encoder(str(tmp_path / "nope.gguf"))
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF but not really")
    with pytest.raises(EncoderError, match="cannot read GGUF"):
        load_encoder(str(bad))


def test_unknown_architecture_and_missing_tokenizer(tmp_path):
    arrays = {"token_embd.weight": mx.zeros((4, 4))}
    other = tmp_path / "other.gguf"
    mx.save_gguf(str(other), arrays, {"general.architecture": "gpt2"})
    with pytest.raises(EncoderError, match="unsupported GGUF architecture 'gpt2'"):
        load_encoder(str(other), layers=1)
    meta = {"general.architecture": "llama", "llama.block_count": mx.array(2, mx.uint32),
            "llama.attention.head_count": mx.array(1, mx.uint32),
            "llama.embedding_length": mx.array(4, mx.uint32),
            "llama.feed_forward_length": mx.array(8, mx.uint32),
            "llama.attention.head_count_kv": mx.array(1, mx.uint32),
            "llama.attention.layer_norm_rms_epsilon": mx.array(1e-5),
            "llama.vocab_size": mx.array(4, mx.uint32),
            "llama.context_length": mx.array(64, mx.uint32),
            "llama.rope.freq_base": mx.array(10000.0)}
    notok = tmp_path / "notok.gguf"
    mx.save_gguf(str(notok), arrays, meta)
    with pytest.raises(EncoderError, match="unreadable tokenizer"):
        load_encoder(str(notok), layers=1)


def test_encoder_built_and_used_in_a_training_thread(enc):
    expected = _np(enc.encode_batch(["say hi", "add two digits"])[2])
    results = {}

    def train_thread():
        try:
            mine = load_encoder(cache=False)
            results["own"] = _np(mine.encode_batch(["say hi", "add two digits"])[2])
            results["shared"] = _np(enc.encode_batch(["say hi", "add two digits"])[2])
        except Exception as exc:  # noqa: BLE001  (reported below, in the test's thread)
            results["error"] = exc
        finally:
            mx.clear_streams()  # MLX needs a thread's streams released before the thread ends

    worker = threading.Thread(target=train_thread)
    worker.start()
    worker.join()
    assert "error" not in results, results.get("error")
    assert np.allclose(results["own"], expected, atol=1e-5)
    assert np.allclose(results["shared"], expected, atol=1e-5)


def test_gguf_path_does_not_import_transformers():
    code = ("import sys, warnings; from bfcore.encoder import load_encoder; "
            "load_encoder(layers=1, cache=False).encode('hi'); "
            "print('transformers' in sys.modules, 'mlx_lm' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.split() == ["False", "False"]


def _flat(tree):
    from mlx.utils import tree_flatten

    return tree_flatten(tree)

