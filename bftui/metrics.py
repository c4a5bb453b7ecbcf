"""Follow a training run's ``metrics.jsonl`` while the trainer appends to it.

``MetricsFollower.poll()`` reads only the bytes added since the last call (it keeps an offset and
holds back a partial last line until its newline arrives). It copes with the file not existing yet,
being truncated (a new run in the same directory: start over) and being replaced by an atomic rename
(a rewrite that keeps the old first bytes carries on from the offset; anything else starts over). Lines that
are not a JSON object, or whose values cannot be metrics (a "samples" that is not a list of objects,
a number that is not finite or beyond any real metric), are skipped and counted, with the line number
of the last one kept for display.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

# How many bytes one poll reads at most, so a huge existing file is ingested over several polls
# instead of freezing the UI; ``Update.more`` says another poll should follow at once.
READ_CHUNK = 4 << 20
# Enough of the file's start to tell "same file, rewritten with more lines" from "a different file".
_HEAD = 4096
# Larger than any real metric (a step count, seconds, episodes, a loss): a value beyond it is garbage,
# and arithmetic on it (1e308 seconds into an ETA) overflows.
MAX_VALUE = 1e15


@dataclass
class Update:
    records: list[dict] = field(default_factory=list)
    reset: bool = False  # the file started over: drop everything ingested before these records
    more: bool = False  # the file has unread bytes beyond this chunk


class MetricsFollower:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.exists = False
        self.lines = 0  # complete lines consumed so far
        self.bad_lines = 0
        self.last_bad_line: int | None = None
        self._offset = 0
        self._partial = b""
        self._head = b""

    def poll(self) -> Update:
        try:
            with open(self.path, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                update = Update(reset=self._check_same_file(f, size))
                f.seek(self._offset)
                chunk = f.read(READ_CHUNK)
        except FileNotFoundError:
            update = Update(reset=self.exists and self._offset > 0)
            if update.reset:
                self._start_over()
            self.exists = False
            return update
        self.exists = True
        self._offset += len(chunk)
        update.more = self._offset < size
        if len(self._head) < _HEAD:
            self._head = (self._head + chunk)[:_HEAD]
        update.records = self._parse(chunk)
        return update

    def idle_seconds(self) -> float | None:
        """Seconds since the file last changed; None when it does not exist."""
        try:
            return max(0.0, time.time() - self.path.stat().st_mtime)
        except OSError:
            return None

    def _check_same_file(self, f, size: int) -> bool:
        """Start over unless the file still begins with what was read before; True on reset.

        Comparing the first bytes (not the inode) also catches a truncate-and-rewrite in place that
        grew past the old offset between two polls.
        """
        if self._offset == 0:
            return False
        f.seek(0)
        if size < self._offset or f.read(len(self._head)) != self._head:
            self._start_over()
            return True
        return False

    def _start_over(self) -> None:
        self._offset = 0
        self._partial = b""
        self._head = b""
        self.lines = 0
        self.bad_lines = 0
        self.last_bad_line = None

    def _parse(self, chunk: bytes) -> list[dict]:
        data = self._partial + chunk
        *complete, self._partial = data.split(b"\n")
        records = []
        for raw in complete:
            self.lines += 1
            if not raw.strip():
                continue
            record = _decode(raw)
            if record is None:
                self.bad_lines += 1
                self.last_bad_line = self.lines
            else:
                records.append(record)
        return records


def _decode(raw: bytes) -> dict | None:
    try:
        record = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    return record if isinstance(record, dict) and _plausible(record) else None


def _plausible(record: dict) -> bool:
    """Whether the dashboard can show the record: finite numbers in range, samples a list of objects."""
    for value in record.values():
        if isinstance(value, float) and not math.isfinite(value):
            return False
        if isinstance(value, (int, float)) and abs(value) > MAX_VALUE:
            return False
    samples = record.get("samples", [])
    return isinstance(samples, list) and all(isinstance(s, dict) for s in samples)
