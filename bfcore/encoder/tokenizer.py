"""Byte-level BPE tokenizer rebuilt from a GGUF file's metadata, cached as ``tokenizer.json``.

llama.cpp stores the vocabulary (``tokenizer.ggml.tokens``), the merges and the token types; the
``smollm`` pre-tokenizer is GPT-2's byte-level split with every digit on its own (like StarCoder's
tokenizer.json). Tokens of type 3 (control) such as ``<|im_start|>`` become special tokens, so chat
markup in the prefix encodes to single ids. No BOS is added (``tokenizer.ggml.add_bos_token`` is false).

Building takes ~0.3 s (49k merges); the result is saved under the platformdirs user cache directory
keyed by the GGUF file's identity, and later loads read that file (~0.05 s).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from pathlib import Path

from .errors import EncoderError

_CONTROL = 3
_SUPPORTED_PRE = {"smollm", "default", "gpt2", "starcoder", "refact"}


def cache_root() -> Path:
    """bftui's cache directory (``$XDG_CACHE_HOME/bftui`` on Linux)."""
    import platformdirs  # noqa: PLC0415

    return Path(platformdirs.user_cache_dir("bftui"))


class CachedLoad:
    """Reads a cached tokenizer.json in a background thread (the Rust parser releases the GIL),
    overlapping with the model load; ``result()`` is None when there was no usable cache file."""

    def __init__(self, file_key: str) -> None:
        self.path = cache_root() / "tokenizers" / f"{_safe(file_key)}.json"
        self._box: dict = {}
        self._thread = threading.Thread(target=self._load, daemon=True)
        if self.path.is_file():
            self._thread.start()

    def _load(self) -> None:
        from tokenizers import Tokenizer  # noqa: PLC0415

        try:
            self._box["tok"] = Tokenizer.from_file(str(self.path))
        except Exception:  # noqa: BLE001  (a corrupt cache file is rebuilt, never fatal)
            pass

    def result(self):
        if self._thread.is_alive() or self._thread.ident is not None:
            self._thread.join()
        return self._box.get("tok")


def tokenizer_from_gguf(metadata: dict, file_key: str, pending: CachedLoad | None = None):
    """A ``tokenizers.Tokenizer`` for a GGUF's metadata; ``file_key`` names the file in the cache."""
    pending = pending or CachedLoad(file_key)
    tok = pending.result()
    if tok is None:
        tok = build_tokenizer(metadata)
        _save_atomic(tok, pending.path)
    return tok


def check_metadata(metadata: dict) -> None:
    """EncoderError unless the metadata describes a byte-level BPE this module can rebuild."""
    kind = str(metadata.get("tokenizer.ggml.model", ""))
    pre = str(metadata.get("tokenizer.ggml.pre", "default"))
    tokens = metadata.get("tokenizer.ggml.tokens")
    merges = metadata.get("tokenizer.ggml.merges")
    if kind != "gpt2" or pre not in _SUPPORTED_PRE or not tokens or not merges:
        raise EncoderError(f"unreadable tokenizer in GGUF metadata (model={kind!r}, pre={pre!r})")


def build_tokenizer(metadata: dict):
    """Build the tokenizer from GGUF metadata; raises EncoderError if it is missing or unsupported."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers  # noqa: PLC0415

    check_metadata(metadata)
    pre = str(metadata.get("tokenizer.ggml.pre", "default"))
    tokens = metadata["tokenizer.ggml.tokens"]
    merges = metadata["tokenizer.ggml.merges"]
    vocab = {t: i for i, t in enumerate(tokens)}
    pairs = [tuple(m.split(" ", 1)) for m in merges]
    tok = Tokenizer(models.BPE(vocab=vocab, merges=pairs, fuse_unk=False, byte_fallback=False))
    split = [pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)]
    if pre in ("smollm", "starcoder", "refact"):
        split.insert(0, pre_tokenizers.Digits(individual_digits=True))
    tok.pre_tokenizer = pre_tokenizers.Sequence(split)
    tok.decoder = decoders.ByteLevel()
    types = metadata.get("tokenizer.ggml.token_type")
    if types is not None:
        types = [int(t) for t in types.tolist()]
        special = [tokens[i] for i, t in enumerate(types) if t == _CONTROL]
        tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in special])
    return tok


def _safe(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def _save_atomic(tok, path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        os.close(fd)
        tok.save(tmp)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only cache only costs a rebuild next time
