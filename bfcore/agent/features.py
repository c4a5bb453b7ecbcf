"""Prompt -> model inputs (pointer memory + frozen encoder states), cached per prompt.

Prompts are encoded when a batch first needs them (encode_batch, whose own cache also persists on
disk), not all before training starts: a 1M-line task file took ~18 h to encode up front (15
prompts/s with the bundled BLAS) and held every encoding in memory. The encodings kept here are an
LRU bounded in bytes (``max_bytes``); one evicted and needed again comes back from the encoder's
cache (memory, then disk), so the LLM runs once per prompt while the disk store has room.
"""

from __future__ import annotations

import time

import numpy as np

from bfcore.agent.memory import build_memory, pad_batch
from bfcore.lru import BoundedLRU


class Featurizer:
    """``on_progress(done, total)``, when set, follows the LLM's work on a batch's prompts: the
    count it has encoded out of those no cache held, before its first forward pass and after each."""

    def __init__(self, encoder=None, max_bytes: int = 256 << 20, on_progress=None):
        self.encoder = encoder
        self.on_progress = on_progress
        # the per-prompt pointer memories (~5 KB) and row->token maps are bounded too: a big task
        # file's prompts are drawn once or twice each, so unbounded maps only grow
        self._mem = BoundedLRU(max_bytes // 4, size=_memory_bytes)
        self._enc = BoundedLRU(max_bytes)  # prompt -> (states [T, D], pooled [D]), float32
        self._tok = BoundedLRU(max_bytes // 16, size=lambda rows: rows.nbytes)
        self.encoded = 0  # prompts the LLM ran on (no cache held them)
        self.encode_seconds = 0.0

    @property
    def enc_dim(self) -> int:
        return int(self.encoder.dim) if self.encoder is not None else 0

    def warm(self, prompts: list[str], chunk: int = 1024) -> None:
        """Encode every prompt not held yet, ``chunk`` at a time (only as many stay held as
        ``max_bytes`` allows)."""
        if self.encoder is not None:
            self._encodings(prompts, chunk)

    def _encodings(self, prompts: list[str], chunk: int = 1024) -> list[tuple[np.ndarray, np.ndarray]]:
        """Each prompt's (states, pooled), from the LRU or the encoder. Returned rather than read
        back from the LRU, which may already have evicted the first of a big batch. A batch of up
        to ``chunk`` prompts goes to encode_batch in one call (see its note on resumed runs)."""
        found = {p: self._enc.get(p) for p in dict.fromkeys(prompts)}
        todo = [p for p, v in found.items() if v is None]
        start, ran = time.perf_counter(), [0]

        def progress(done, total):
            ran[0] = done
            if self.on_progress is not None:
                self.on_progress(done, total)

        for s in range(0, len(todo), chunk):
            part, ran[0] = todo[s:s + chunk], 0
            states, mask, pooled = self.encoder.encode_batch(part, progress=progress)
            states, mask, pooled = np.array(states, np.float32), np.array(mask), np.array(pooled, np.float32)
            for i, p in enumerate(part):
                # copies: a view would keep the whole padded chunk alive
                found[p] = (states[i, : int(mask[i].sum())].copy(), pooled[i].copy())
                self._enc.put(p, found[p])
            self.encoded += ran[0]
        self.encode_seconds += time.perf_counter() - start
        return [found[p] for p in prompts]

    def memory(self, prompt: str):
        m = self._mem.get(prompt)
        if m is None:
            m = build_memory(prompt)
            self._mem.put(prompt, m)
        return m

    def batch(self, prompts: list[str]) -> dict[str, np.ndarray]:
        """Model inputs for these prompts, padded to the longest of them (so a batch of short
        prompts costs what short prompts cost)."""
        mems = [self.memory(p) for p in prompts]
        out = pad_batch(mems)
        if self.encoder is not None:
            encs = self._encodings(prompts)
            T = max(len(s) for s, _ in encs)
            D = encs[0][1].shape[0]
            states = np.zeros((len(prompts), T, D), np.float32)
            mask = np.zeros((len(prompts), T), bool)
            for i, (s, _) in enumerate(encs):
                states[i, : len(s)] = s
                mask[i, : len(s)] = True
            out["enc_states"], out["enc_mask"] = states, mask
            out["enc_pooled"] = np.stack([p for _, p in encs])
            out["tok"] = np.full_like(out["src"], -1)
            for i, (p, m) in enumerate(zip(prompts, mems)):
                out["tok"][i, : len(m)] = self._row_tokens(p, m.src)
        return out

    def _row_tokens(self, prompt: str, src: np.ndarray) -> np.ndarray:
        """For each memory row, the index of the token holding the character it stands for (-1: none)."""
        rows = self._tok.get(prompt)
        if rows is None:
            of_char = np.full(len(prompt) + 1, -1, np.int32)  # the extra last slot answers src == -1
            spans = getattr(self.encoder, "token_spans", None)
            for t, (a, b) in enumerate((spans(prompt) if spans else None) or []):
                of_char[a:b] = t
            rows = of_char[src]
            self._tok.put(prompt, rows)
        return rows


def _memory_bytes(m) -> int:
    return sum(v.nbytes for v in vars(m).values() if isinstance(v, np.ndarray))


def to_mx(batch: dict[str, np.ndarray], index=None):
    from bfcore.runtime import mx

    if index is None:
        return {k: mx.array(v) for k, v in batch.items()}
    return {k: mx.array(v[index]) for k, v in batch.items()}
