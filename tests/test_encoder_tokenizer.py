"""The tokenizer rebuilt from the GGUF metadata: round trips, chat markup, the on-disk cache."""

import pytest

from bfcore.encoder import gguf
from bfcore.encoder.errors import EncoderError
from bfcore.encoder.tokenizer import build_tokenizer, tokenizer_from_gguf


@pytest.fixture(scope="module")
def metadata():
    _weights, meta = gguf.read_gguf(gguf.default_path())
    return meta


@pytest.fixture(scope="module")
def tok(metadata):
    return build_tokenizer(metadata)


TEXTS = [
    "say hi",
    "The capital of France is",
    "print 12345 and caf\u00e9!  ok\n",
    "   leading spaces, tabs\tand unicode \u2603 \U0001F600",
    "++[>+<-]>.",
]


@pytest.mark.parametrize("text", TEXTS)
def test_round_trip(tok, text):
    ids = tok.encode(text).ids
    assert ids and all(0 <= i < 49152 for i in ids)
    assert tok.decode(ids, skip_special_tokens=False) == text


def test_known_ids_and_no_bos(tok):
    # SmolLM2's own ids for this sentence (no BOS is prepended)
    assert tok.encode("The capital of France is").ids == [504, 3575, 282, 4649, 314]


def test_digits_are_split_one_by_one(tok):
    pieces = tok.encode("x 2024").tokens
    assert pieces[-4:] == ["2", "0", "2", "4"]


def test_chat_markup_is_one_token_each(tok):
    ids = tok.encode("<|im_start|>user\nhello<|im_end|>").ids
    assert ids[0] == 1 and ids[-1] == 2 and len(ids) == 5


def test_cached_tokenizer_file_is_reused(metadata, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = tokenizer_from_gguf(metadata, "key-a")
    files = list(tmp_path.rglob("*.json"))
    assert len(files) == 1
    second = tokenizer_from_gguf(metadata, "key-a")
    assert second.encode("say hi").ids == first.encode("say hi").ids
    files[0].write_text("{ not json")  # a corrupt cache file is rebuilt
    assert tokenizer_from_gguf(metadata, "key-a").encode("say hi").ids == first.encode("say hi").ids


def test_unsupported_tokenizer_metadata(metadata):
    bad = dict(metadata)
    bad["tokenizer.ggml.model"] = "llama"
    with pytest.raises(EncoderError, match="unreadable tokenizer"):
        build_tokenizer(bad)
