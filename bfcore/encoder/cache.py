"""Prompt -> (states, pooled) cache: an in-memory LRU in front of a per-prompt safetensors store.

Keyed by the encoder's identity (model + K + LoRA hash), so training never encodes the same prompt
twice, across runs too. Files live in ``<user cache dir>/bftui/encodings/<identity hash>/`` as
``<prompt hash>.safetensors`` holding the prompt itself in the metadata, so a hash collision or a
truncated file reads as a miss, never as a wrong answer. Writes are atomic (temp file + rename).

Sizes: a 10-token prompt is ~23 KB (float32 states), a 256-token one ~590 KB, so the memory LRU is
bounded in bytes (``max_bytes``, 64 MiB: ~2,800 10-token prompts) as well as in prompts (2048). Each
entry is copied into its own buffer: a row sliced from a forward pass's output shares the buffer of
all 64 rows, so one row the LRU kept alive kept 64 prompts' worth. The disk store holds at most
``max_disk`` files per identity (20,000: ~0.5 GB) and then drops its least recently used tenth.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np

from bfcore.lru import BoundedLRU
from bfcore.runtime import mx


def _digest(text: str, n: int = 32) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:n]


def _own_buffer(a: mx.array) -> mx.array:
    return mx.array(np.array(a, copy=True))  # a slice would keep its whole source array alive


class EncodingCache:
    """LRU of ``capacity`` prompts and ``max_bytes``, backed by ``directory`` (None = memory only)."""

    def __init__(self, identity: str, directory: Path | None, capacity: int = 2048,
                 max_disk: int = 20_000, max_bytes: int = 64 << 20) -> None:
        self.identity = identity
        self.capacity = capacity
        self.max_disk = max_disk
        self._disk_count: int | None = None
        self.directory = None if directory is None else Path(directory) / _digest(identity, 24)
        self._memory = BoundedLRU(max_bytes, capacity)
        self.hits = self.misses = self.disk_hits = 0

    def get(self, prompt: str):
        item = self._memory.get(prompt)
        if item is not None:
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
        self.put_many({prompt: (states, pooled)})

    def put_many(self, items: dict) -> None:
        """Cache ``{prompt: (states, pooled)}``. On disk every entry is written to a temp file
        before any is renamed into place, so a kill leaves the lot or (but for a rename or two)
        none of it: a resumed trainer then re-encodes the same chunk, to the same bits."""
        done = []
        for prompt, (states, pooled) in items.items():
            item = (_own_buffer(states), _own_buffer(pooled))
            self._remember(prompt, item)
            tmp = self._write_temp(prompt, *item)
            if tmp is not None:
                done.append((tmp, self._path(prompt)))
        for tmp, path in done:
            try:
                os.replace(tmp, path)
            except OSError:
                pass  # the entry is only missed later

    @property
    def nbytes(self) -> int:
        """Bytes of the encodings held in memory."""
        return self._memory.nbytes

    def __len__(self) -> int:
        return len(self._memory)

    def _remember(self, prompt: str, item) -> None:
        self._memory.put(prompt, item)

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
            os.utime(path)  # the store evicts by last use (see _disk_has_room)
            # read now: mx.load maps lazily and keeps the file open until the array is read,
            # so an LRU of unread entries held one file each (2,048 of them)
            return _own_buffer(arrays["states"]), _own_buffer(arrays["pooled"])
        except Exception:  # noqa: BLE001  (an unreadable entry is just a miss)
            return None

    def _write_temp(self, prompt: str, states: mx.array, pooled: mx.array) -> str | None:
        """The entry written to a temp file beside its place (None: no disk store, no room, or an
        error); put_many renames it."""
        path = self._path(prompt)
        if path is None or not self._disk_has_room():
            return None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp.safetensors")  # MLX adds the suffix
            os.close(fd)
            meta = {"prompt": prompt, "identity": self.identity}
            mx.save_safetensors(tmp, {"states": states, "pooled": pooled}, metadata=meta)
            self._disk_count = (self._disk_count or 0) + 1
            return tmp
        except OSError:
            return None  # a full or read-only disk only costs a re-encode later

    def _disk_has_room(self) -> bool:
        """Makes room when the store is full by deleting its least recently used tenth. It used to
        stop writing instead: one training run on a big task file filled it for good, and every
        prompt after that (the test split's, say) was encoded again by every later process."""
        if self._disk_count is None:  # counted once, then kept up to date by _write
            try:
                self._disk_count = sum(1 for _ in os.scandir(self.directory))
            except OSError:
                self._disk_count = 0
        if self._disk_count >= self.max_disk:
            try:
                entries = sorted(os.scandir(self.directory), key=lambda e: e.stat().st_mtime)
            except OSError:
                return False
            drop = max(1, self.max_disk // 10)
            for entry in entries[:drop]:
                try:
                    os.remove(entry.path)
                except OSError:
                    pass  # another process evicted it first
            self._disk_count = max(0, len(entries) - drop)
        return self._disk_count < self.max_disk
