"""The agent's library: the programs its training solved, ranked by the policy for a new request.

Training keeps, per task, a priority queue of the best programs it found (its own samples, edits
and enumerative search: nothing hand-written). The entries that passed (nearly) every fresh test
they were run on are the library. A program with parameter runs (``,[+n.,]``) serves every value
of its family, so the library is small (tens of programs) and general.

A new request gets the library *ranked by the policy*: each program's log-probability under the
request, teacher-forced with the tracer on the request's example input. Test-time search tries
them in that order right after the greedy program, so a request whose program the agent has
written before costs a handful of executions even when the greedy decode, on a phrasing it never
saw, strays into a neighbouring family's program.
"""

from __future__ import annotations

import json
import threading

import numpy as np

from bfcore.synth.actions import END

# a queue entry whose mean reward is this high passed (nearly) every test it was run on: an exact
# pass scores 1 + the all-pass bonus 1 - the length penalty (score.py)
SOLVED_REWARD = 1.5


def library_of(queue_state: dict) -> list[list[int]]:
    """The distinct solved programs of a saved queue (``state.json``'s "queue"), in a stable
    order: by how many tasks solved each, then by length, then by the actions themselves."""
    tasks: dict[tuple, int] = {}
    for _, a in _solved(queue_state):
        tasks[a] = tasks.get(a, 0) + 1
    return [list(a) for a in sorted(tasks, key=lambda a: (-tasks[a], len(a), a))]


def library_families(queue_state: dict) -> dict[tuple, frozenset[str]]:
    """The families each library program solved (a person's task is family "custom")."""
    out: dict[tuple, set[str]] = {}
    for key, a in _solved(queue_state):
        try:
            family = json.loads(key)[0]
        except (ValueError, IndexError, KeyError, TypeError):
            continue
        out.setdefault(a, set()).add(str(family))
    return {a: frozenset(f) for a, f in out.items()}


def upto_end(actions) -> tuple:
    """The actions up to and with the first END, as a tuple of ints (a library key)."""
    a = tuple(int(x) for x in actions)
    return a[:a.index(END) + 1] if END in a else a


def _solved(queue_state: dict):
    """(queue key, actions up to END) of every entry that passed (nearly) every test."""
    for key, entries in queue_state.items():
        for acts, rsum, n in entries:
            if n and rsum / n >= SOLVED_REWARD:
                yield key, upto_end(acts)


def replays(programs: list[list[int]], params, probe: bytes, cfg) -> list:
    """(episode, actions) of each program the grammar allows under ``params`` (a ``+c`` needs a
    letter in the request), with what the tracer shows on ``probe`` at each step."""
    from bfcore.synth.policy import replay

    return [(e, p) for p in programs if (e := replay(p, params, probe, cfg)) is not None]


def rank(policy, pooled: np.ndarray, params, probe: bytes, programs: list[list[int]],
         eps=None, weights: dict | None = None) -> list[tuple[float, list[int]]]:
    """(sum of log-probabilities, actions) of each program the grammar allows under ``params``,
    best first. ``pooled`` is the request's [D] state; ``eps``: :func:`replays` done already;
    ``weights``: :func:`numpy_weights` of the policy, when already taken."""
    from bfcore.synth.policy import batch_arrays

    eps = replays(programs, params, probe, policy.cfg) if eps is None else eps
    if not eps:
        return []
    w = numpy_weights(policy) if weights is None else weights
    prev, obs, masks, acts, valid = (np.array(a) for a in batch_arrays([e for e, _ in eps]))
    logp = forced_logp(w, np.asarray(pooled, np.float32), prev, obs, masks, acts, valid)
    out = [(float(lp), list(p)) for lp, (_, p) in zip(logp, eps)]
    out.sort(key=lambda x: -x[0])
    return out


def numpy_weights(policy) -> dict[str, np.ndarray]:
    from mlx.utils import tree_flatten

    return {k: np.array(v, np.float32) for k, v in tree_flatten(policy.parameters())}


def _lin(w, name, x):
    return x @ w[name + ".weight"].T + w[name + ".bias"]


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


_THREAD = threading.local()


def _one_blas_thread() -> None:
    """numpy's OpenBLAS wakes its threads for each of the ranking's ~60 small matmuls: greedy
    generation took 125 ms at p50 with them, 43 ms with one. Set once per thread, for numpy's
    bundled OpenBLAS only (MLX has its own BLAS); a no-op where numpy has none (macOS)."""
    if getattr(_THREAD, "blas_set", False):
        return
    _THREAD.blas_set = True
    import ctypes
    import glob
    import os

    libs = os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs", "*openblas*.so*")
    for path in glob.glob(libs):
        try:
            fn = ctypes.CDLL(path).openblas_set_num_threads_local
        except (OSError, AttributeError):
            continue
        fn.argtypes, fn.restype = [ctypes.c_int], ctypes.c_int
        fn(1)


def forced_logp(w, pooled, prev, obs, masks, acts, valid, per_step: bool = False) -> np.ndarray:
    """:meth:`SynthPolicy.score`'s sums of log-probabilities [B] (``per_step``: each step's,
    [B, T]) in numpy, for one request's ``pooled`` [D] state: ranking a library is ~60 small
    steps, which MLX's per-op cost on a CPU made 20 ms; here they take 1-2 ms (a test holds the
    two equal)."""
    _one_blas_thread()
    B, T = prev.shape
    # longest first, so that the rows still running at step i are a prefix: the recurrence
    # and the head then cost the programs' total length, not B x the longest (the library's
    # programs run from 3 to 32 actions)
    lens = valid.sum(1).astype(np.int64)
    order = np.argsort(-lens, kind="stable")
    prev, obs, masks, acts, valid, lens = (a[order] for a in (prev, obs, masks, acts, valid, lens))
    t = np.tanh(_lin(w, "task", pooled[None]))                          # [1, T_dim]
    h = np.broadcast_to(np.tanh(_lin(w, "h0", t)), (B, w["h0.bias"].shape[0]))  # [B, H]
    H = h.shape[-1]
    live = valid > 0                                                    # [B, T]
    t_live = np.broadcast_to(t, (int(live.sum()), t.shape[-1]))         # [steps, T_dim]
    x = np.concatenate([w["emb.weight"][prev[live]], _lin(w, "obs_in", obs[live]), t_live],
                       axis=-1)
    gx = np.zeros((B, T, 3 * H), np.float32)
    gx[live] = _lin(w, "cell.wx", x)
    hs = np.zeros((B, T, H), np.float32)
    for i in range(T):
        k = int((lens > i).sum())
        if not k:
            break
        hk = h[:k]
        gh = _lin(w, "cell.wh", hk)
        r = _sigmoid(gx[:k, i, :H] + gh[:, :H])
        z = _sigmoid(gx[:k, i, H:2 * H] + gh[:, H:2 * H])
        n = np.tanh(gx[:k, i, 2 * H:] + r * gh[:, 2 * H:])
        h = (1 - z) * n + z * hk
        hs[:k, i] = h
    hid = np.concatenate([hs[live], t_live], axis=-1)
    logits = np.where(masks[live], _lin(w, "out", np.tanh(_lin(w, "hid", hid))), -1e9)
    m = logits.max(-1, keepdims=True)
    lp = logits - m - np.log(np.exp(logits - m).sum(-1, keepdims=True))
    picked = np.zeros((B, T), np.float32)
    picked[live] = np.take_along_axis(lp, acts[live][:, None].astype(np.int64), -1)[:, 0]
    out = np.empty_like(picked)
    out[order] = picked
    return out if per_step else out.sum(1)


def load_library(state: dict) -> list[list[int]]:
    """The library of a loaded agent's ``state.json`` (empty for a checkpoint without a queue)."""
    q = state.get("queue")
    if not isinstance(q, dict):
        return []
    try:
        return library_of(q)
    except (TypeError, ValueError):
        return []
