"""Prompt -> (states, pooled) cache: an in-memory LRU in front of a per-prompt safetensors store.

Keyed by the encoder's identity (model + K + LoRA hash), so training never encodes the same prompt
twice, across runs too. Files live in ``<user cache dir>/bftui/encodings/<identity hash>/`` as
``<prompt hash>.safetensors`` holding the prompt itself in the metadata, so a hash collision or a
truncated file reads as a miss, never as a wrong answer. Writes are atomic (temp file + rename).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections import OrderedDict
from pathlib import Path

from bfcore.runtime import mx


def _digest(text: str, n: int = 32) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:n]


class EncodingCache:
    """LRU of ``capacity`` prompts, backed by ``directory`` (None = memory only)."""

    def __init__(self, identity: str, directory: Path | None, capacity: int = 4096) -> None:
        self.identity = identity
        self.capacity = capacity
        self.directory = None if directory is None else Path(directory) / _digest(identity, 24)
        self._memory: OrderedDict[str, tuple[mx.array, mx.array]] = OrderedDict()
        self.hits = self.misses = self.disk_hits = 0

    def get(self, prompt: str):
        item = self._memory.get(prompt)
        if item is not None:
            self._memory.move_to_end(prompt)
            self.hits += 1
            return item
        item = self._read(prompt)
        if item is None:
            self.misses += 1
            return None
        self.disk_hits += 1
        self._remember(prompt, item)
        return item

    def put(self, prompt: str, states: mx.array, pooled: mx.array) -> None:
        self._remember(prompt, (states, pooled))
        self._write(prompt, states, pooled)

    def __len__(self) -> int:
        return len(self._memory)

    def _remember(self, prompt: str, item) -> None:
        self._memory[prompt] = item
        self._memory.move_to_end(prompt)
        while len(self._memory) > self.capacity:
            self._memory.popitem(last=False)

    def _path(self, prompt: str) -> Path | None:
        return None if self.directory is None else self.directory / f"{_digest(prompt)}.safetensors"

    def _read(self, prompt: str):
        path = self._path(prompt)
        if path is None or not path.is_file():
            return None
        try:
            arrays, meta = mx.load(str(path), return_metadata=True)
            if meta.get("prompt") != prompt or meta.get("identity") != self.identity:
                return None
            return arrays["states"], arrays["pooled"]
        except Exception:  # noqa: BLE001  (an unreadable entry is just a miss)
            return None

    def _write(self, prompt: str, states: mx.array, pooled: mx.array) -> None:
        path = self._path(prompt)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp.safetensors")
            os.close(fd)
            meta = {"prompt": prompt, "identity": self.identity}
            mx.save_safetensors(tmp, {"states": states, "pooled": pooled}, metadata=meta)
            os.replace(tmp, path)
        except OSError:
            pass  # a full or read-only disk only costs a re-encode later
