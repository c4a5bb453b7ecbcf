"""Any mlx-lm model: a tiny random llama saved with mlx-lm's own utilities, loaded by path exactly as
``load_encoder(model=...)`` / ``bftui info --model`` do it (no download)."""

import json

import numpy as np
import pytest
from mlx import nn

from bfcore.encoder import EncoderError, load_encoder
from bfcore.encoder.mlximport import import_mlx_lm
from bfcore.runtime import mx

CHATML = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
          "{% endfor %}")


def _tokenizer(path):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=300, show_progress=False,
        special_tokens=["<s>", "</s>", "<|im_start|>", "<|im_end|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(["say hi", "print the letter A", "hello world"] * 10, trainer)
    tok.save(str(path / "tokenizer.json"))
    (path / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "PreTrainedTokenizerFast", "bos_token": "<s>", "eos_token": "</s>",
        "chat_template": CHATML}))
    return tok


def _save_tiny(path, quantize: bool, model_type: str = "llama"):
    path.mkdir(parents=True)
    tok = _tokenizer(path)
    mlx_lm = import_mlx_lm()
    from mlx_lm.models import llama

    mx.random.seed(0)
    config = dict(model_type=model_type, hidden_size=64, num_hidden_layers=3, intermediate_size=128,
                  num_attention_heads=4, num_key_value_heads=2, rms_norm_eps=1e-5,
                  vocab_size=tok.get_vocab_size(), tie_word_embeddings=True)
    model = llama.Model(llama.ModelArgs(**{**config, "model_type": "llama"}))
    if quantize:
        nn.quantize(model, group_size=32, bits=4)
        config["quantization"] = {"group_size": 32, "bits": 4}
    mx.eval(model.parameters())
    mlx_lm.utils.save_model(path, model)
    mlx_lm.utils.save_config(config, path / "config.json")
    return model


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("mlxlm")
    return {q: (root / f"q{q}", _save_tiny(root / f"q{q}", q)) for q in (False, True)}


@pytest.mark.parametrize("quantized", [False, True])
def test_tiny_model_loads_truncated_and_encodes(tiny, quantized):
    path, saved = tiny[quantized]
    enc = load_encoder(str(path), layers=2, cache=False)
    assert len(enc.model.layers) == 2 and enc.total_layers == 3 and enc.dim == 64
    assert enc.info()["dtype"] == ("float32" if enc.info()["backend"] == "cpu" else enc.info()["dtype"])
    # the chat template's user header is the prefix; the prompt's states are its own tokens
    assert enc.prefix[0] == 2 and enc.prefix[-1] == enc._tokenize("\n")[-1]
    out = enc.encode("say hi")
    assert out.states.shape == (len(out.tokens), 64)
    # same numbers as mlx-lm's own model run on header + prompt, first 2 layers
    inner = saved.model
    h = inner.embed_tokens(mx.array([enc.prefix + out.tokens]))
    for layer in inner.layers[:2]:
        h = layer(h, "causal", cache=None)
    ref = inner.norm(h)[0, len(enc.prefix):]
    assert np.allclose(np.array(out.states), np.array(ref), atol=2e-3 if quantized else 1e-4)


def test_tiny_model_gives_token_offsets(tiny):
    path, _ = tiny[False]
    enc = load_encoder(str(path), layers=1, cache=False)
    prompt = "say hello twice"
    spans = enc.token_spans(prompt)
    assert len(spans) == len(enc.tokenize(prompt))
    assert "".join(prompt[a:b] for a, b in spans) == prompt  # byte-level BPE: every character, in order


def test_tiny_quantized_model_can_stay_4bit(tiny):
    path, _ = tiny[True]
    enc = load_encoder(str(path), layers=1, cache=False, dequantize=False)
    assert enc.info()["dtype"] == "4-bit"
    assert isinstance(enc.model.layers[0].self_attn.q_proj, nn.QuantizedLinear)
    assert enc.encode("hello").pooled.shape == (64,)


def test_tiny_model_bad_layers(tiny):
    path, _ = tiny[False]
    with pytest.raises(EncoderError, match="1..3 layers"):
        load_encoder(str(path), layers=4)


def test_unsupported_architecture(tmp_path):
    path = tmp_path / "odd"
    _save_tiny(path, False)
    config = json.loads((path / "config.json").read_text())
    config["model_type"] = "gpt2"
    (path / "config.json").write_text(json.dumps(config))
    with pytest.raises(EncoderError):
        load_encoder(str(path), layers=1)


def test_missing_model_paths(tmp_path):
    with pytest.raises(EncoderError, match="model not found"):
        load_encoder(str(tmp_path / "missing"))
    with pytest.raises(EncoderError, match="no config.json"):
        load_encoder(str(tmp_path))
    with pytest.raises(EncoderError, match="not in the local Hugging Face cache"):
        load_encoder("nobody-xyz/no-such-model-4bit")


def test_unreadable_tokenizer(tmp_path):
    path = tmp_path / "notok"
    _save_tiny(path, False)
    (path / "tokenizer.json").write_text("{ broken")
    with pytest.raises(EncoderError, match="cannot load model"):
        load_encoder(str(path), layers=1)
