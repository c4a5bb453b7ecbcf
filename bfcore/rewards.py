"""Reward functions: small, named, combined with weights, each logged on its own.

Every function scores what the interpreter actually printed (``RunResult.output`` from
``bfcore.interp.fast.run_many``), never the token list the policy emitted. Signature:
``fn(output: bytes, target: bytes, program: str, status: str) -> float``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

try:
    from numba import njit
except ImportError:  # pragma: no cover - numba is a dependency; this only keeps imports working
    def njit(*a, **k):
        return (lambda f: f) if not a or not callable(a[0]) else a[0]


@njit(cache=True)
def _lev_rows(a, b):
    """Levenshtein distance from every prefix a[:i] (i = 0..len(a)) to the whole of b."""
    n, m = len(a), len(b)
    prev = np.arange(m + 1)
    out = np.empty(n + 1, np.int64)
    out[0] = m
    cur = np.empty(m + 1, np.int64)
    for i in range(1, n + 1):
        cur[0] = i
        for j in range(1, m + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
        out[i] = cur[m]
        prev, cur = cur, prev
    return out


def prefix_distances(output: bytes, target: bytes) -> np.ndarray:
    """Edit distance to ``target`` of each prefix of ``output`` (len(output) + 1 values)."""
    return _lev_rows(np.frombuffer(output, np.uint8).astype(np.int64), np.frombuffer(target, np.uint8).astype(np.int64))


def levenshtein(a: bytes, b: bytes) -> int:
    return int(prefix_distances(a, b)[-1])


def greedy_length(target: bytes) -> int:
    """Length of the simple greedy program for ``target`` (shortest +/- run per byte, then '.')."""
    cell, n = 0, 0
    for b in target:
        up = (b - cell) % 256
        n += min(up, 256 - up) + 1
        cell = b
    return n


def out_dist(output: bytes, target: bytes, program: str, status: str) -> float:
    """Per-byte distance: |difference|/255 where both have a byte, 1 per missing or extra byte."""
    n = min(len(output), len(target))
    d = sum(abs(output[i] - target[i]) for i in range(n)) / 255 + abs(len(output) - len(target))
    return -min(d / max(len(target), 1), 2.0)


def edit(output: bytes, target: bytes, program: str, status: str) -> float:
    return -min(levenshtein(output, target) / max(len(target), 1), 2.0)


def exact(output: bytes, target: bytes, program: str, status: str) -> float:
    return 1.0 if output == target and status == "ok" else 0.0


def length(output: bytes, target: bytes, program: str, status: str) -> float:
    """Penalty for program text beyond what the greedy compiler needs for the target."""
    g = greedy_length(target)
    return -min(max(len(program) - g, 0) / (g + 1), 2.0)


def invalid(output: bytes, target: bytes, program: str, status: str) -> float:
    return 0.0 if status == "ok" else -1.0


REWARDS = {"exact": exact, "edit": edit, "out_dist": out_dist, "length": length, "invalid": invalid}
DEFAULT_WEIGHTS = {"exact": 1.0, "edit": 0.5, "out_dist": 0.1, "length": 0.05, "invalid": 1.0}


@dataclass
class Scored:
    total: np.ndarray            # [B] weighted sum
    parts: dict[str, np.ndarray]  # name -> [B] unweighted values
    success: np.ndarray          # [B] bool: exact output on every test


def score(outputs: list[list[bytes]], statuses: list[list[str]], tasks, programs: list[str],
          weights: dict[str, float] | None = None) -> Scored:
    """Score B programs; ``outputs[i][j]`` is program i's output on task i's test j (averaged over tests)."""
    weights = DEFAULT_WEIGHTS if weights is None else weights
    names = [n for n, w in weights.items() if w]
    parts = {n: np.zeros(len(tasks)) for n in names}
    success = np.zeros(len(tasks), bool)
    for i, task in enumerate(tasks):
        ok = True
        for j, (_, target) in enumerate(task.tests):
            out, st = outputs[i][j], statuses[i][j]
            ok &= out == target and st == "ok"
            for n in names:
                parts[n][i] += REWARDS[n](out, target, programs[i], st) / len(task.tests)
        success[i] = ok
    total = sum(weights[n] * parts[n] for n in names) if names else np.zeros(len(tasks))
    return Scored(np.asarray(total, float), parts, success)


def run_programs(programs: list[str], tasks, config=None):
    """Run every program on each of its task's test inputs with ``run_many``."""
    from bfcore.interp.fast import run_many
    from bfcore.interp.program import Config

    config = config or Config(max_steps=200_000, max_output=4096)
    flat_src, flat_in, shape = [], [], []
    for prog, task in zip(programs, tasks):
        shape.append(len(task.tests))
        for inp, _ in task.tests:
            flat_src.append(prog)
            flat_in.append(inp)
    results = run_many(flat_src, flat_in, config)
    outputs, statuses, k = [], [], 0
    for n in shape:
        outputs.append([r.output for r in results[k:k + n]])
        statuses.append([r.status for r in results[k:k + n]])
        k += n
    return outputs, statuses


def shaped_rewards(printed: list[bytes], targets: list[bytes], totals: np.ndarray, steps: np.ndarray,
                   horizon: int, weight: float = 0.5) -> np.ndarray:
    """Per-step rewards [B, horizon]: potential-based shaping with Phi = -edit distance / len(target),
    the last live step topped up so each row sums to the program's total (interpreter-scored) reward."""
    r = np.zeros((len(printed), horizon))
    for i, (out, tgt) in enumerate(zip(printed, targets)):
        n = int(steps[i])
        if n == 0:
            continue
        d = prefix_distances(out, tgt) / max(len(tgt), 1)
        k = min(len(out), n)
        r[i, :k] = weight * (d[:k] - d[1:k + 1])
        r[i, n - 1] += totals[i] - r[i, :n].sum()
    return r
