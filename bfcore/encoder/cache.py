"""Prompt -> (states, pooled) cache: an in-memory LRU in front of a per-prompt safetensors store.

Keyed by the encoder's identity (model + K + LoRA hash), so training never encodes the same prompt
twice, across runs too. Files live in ``<user cache dir>/bftui/encodings/<identity hash>/`` as
``<prompt hash>.safetensors`` holding the prompt itself in the metadata, so a hash collision or a
truncated file reads as a miss, never as a wrong answer. Writes are atomic (temp file + rename).

Sizes: a 10-token prompt is ~23 KB (float32 states), so the memory LRU holds 2048 prompts (~50 MB)
and the disk store stops growing at ``max_disk`` files per identity (20,000: ~0.5 GB); prompts past
that are still cached in memory.
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

    def __init__(self, identity: str, directory: Path | None, capacity: int = 2048,
                 max_disk: int = 20_000) -> None:
        self.identity = identity
        self.capacity = capacity
        self.max_disk = max_disk
        self._disk_count: int | None = None
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
        if path is None or not self._disk_has_room():
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp.safetensors")
            os.close(fd)
            meta = {"prompt": prompt, "identity": self.identity}
            mx.save_safetensors(tmp, {"states": states, "pooled": pooled}, metadata=meta)
            os.replace(tmp, path)
            self._disk_count = (self._disk_count or 0) + 1
        except OSError:
            pass  # a full or read-only disk only costs a re-encode later

    def _disk_has_room(self) -> bool:
        if self._disk_count is None:  # counted once, then kept up to date by _write
            try:
                self._disk_count = sum(1 for _ in os.scandir(self.directory))
            except OSError:
                self._disk_count = 0
        return self._disk_count < self.max_disk
