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

import numpy as np

from bfcore.synth.actions import END

# a queue entry whose mean reward is this high passed (nearly) every test it was run on: an exact
# pass scores 1 + the all-pass bonus 1 - the length penalty (score.py)
SOLVED_REWARD = 1.5


def library_of(queue_state: dict) -> list[list[int]]:
    """The distinct solved programs of a saved queue (``state.json``'s "queue"), in a stable
    order: by how many tasks solved each, then by length, then by the actions themselves."""
    tasks: dict[tuple, int] = {}
    for entries in queue_state.values():
        for acts, rsum, n in entries:
            if n and rsum / n >= SOLVED_REWARD:
                a = tuple(int(x) for x in acts)
                if END in a:
                    a = a[:a.index(END) + 1]
                tasks[a] = tasks.get(a, 0) + 1
    return [list(a) for a in sorted(tasks, key=lambda a: (-tasks[a], len(a), a))]


def rank(policy, pooled: np.ndarray, params, probe: bytes, programs: list[list[int]],
         chunk: int = 256) -> list[tuple[float, list[int]]]:
    """(sum of log-probabilities, actions) of each program the grammar allows under ``params``
    (a ``+c`` needs a letter in the request), best first. ``pooled`` is the request's [D] state."""
    from bfcore.runtime import mx
    from bfcore.synth.policy import batch_arrays, replay

    eps = [(e, p) for p in programs if (e := replay(p, params, probe, policy.cfg)) is not None]
    out: list[tuple[float, list[int]]] = []
    for i in range(0, len(eps), chunk):
        part = eps[i:i + chunk]
        prev, obs, masks, acts, valid = batch_arrays([e for e, _ in part])
        pooled_b = mx.broadcast_to(mx.array(pooled[None]), (len(part), pooled.shape[-1]))
        logp, _ = policy.score(pooled_b, prev, obs, masks, acts, valid)
        out += [(float(lp), list(p)) for lp, (_, p) in zip(np.array(logp), part)]
    out.sort(key=lambda x: -x[0])
    return out


def load_library(state: dict) -> list[list[int]]:
    """The library of a loaded agent's ``state.json`` (empty for a checkpoint without a queue)."""
    q = state.get("queue")
    if not isinstance(q, dict):
        return []
    try:
        return library_of(q)
    except (TypeError, ValueError):
        return []
