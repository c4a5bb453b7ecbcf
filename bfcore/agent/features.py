"""Prompt -> model inputs (pointer memory + frozen encoder states), cached per prompt.

The trainer sees the same few thousand prompts over and over, so the LLM runs once per prompt
(encode_batch, whose own cache also persists on disk) and training never re-runs it.
"""

from __future__ import annotations

import numpy as np

from bfcore.agent.memory import build_memory, pad_batch


class Featurizer:
    def __init__(self, encoder=None):
        self.encoder = encoder
        self._mem: dict[str, object] = {}
        self._enc: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._tok: dict[str, np.ndarray] = {}

    @property
    def enc_dim(self) -> int:
        return int(self.encoder.dim) if self.encoder is not None else 0

    def warm(self, prompts: list[str], chunk: int = 256) -> None:
        """Encode every prompt not seen yet (in chunks, so the LLM batches them)."""
        todo = [p for p in dict.fromkeys(prompts) if p not in self._enc]
        if self.encoder is None:
            return
        for s in range(0, len(todo), chunk):
            part = todo[s:s + chunk]
            states, mask, pooled = self.encoder.encode_batch(part)
            states, mask, pooled = np.array(states, np.float32), np.array(mask), np.array(pooled, np.float32)
            for i, p in enumerate(part):
                self._enc[p] = (states[i, : int(mask[i].sum())], pooled[i])

    def memory(self, prompt: str):
        m = self._mem.get(prompt)
        if m is None:
            m = self._mem[prompt] = build_memory(prompt)
        return m

    def batch(self, prompts: list[str]) -> dict[str, np.ndarray]:
        """Model inputs for these prompts, padded to the longest of them (so a batch of short
        prompts costs what short prompts cost)."""
        mems = [self.memory(p) for p in prompts]
        out = pad_batch(mems)
        if self.encoder is not None:
            self.warm(prompts)
            encs = [self._enc[p] for p in prompts]
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
            rows = self._tok[prompt] = of_char[src]
        return rows


def to_mx(batch: dict[str, np.ndarray], index=None):
    from bfcore.runtime import mx

    if index is None:
        return {k: mx.array(v) for k, v in batch.items()}
    return {k: mx.array(v[index]) for k, v in batch.items()}
