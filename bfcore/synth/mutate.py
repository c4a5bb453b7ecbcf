"""Local search around the best programs found: edits of action sequences.

Sampling from the policy explores near what it already writes; a program one structural edit away
(``,.,.`` -> ``,[.,]``: wrap a span in a loop) can stay unlikely for a long time. Each edit here
inserts, deletes or replaces one action, wraps a span in brackets, or duplicates a span, and only
edits the :class:`~bfcore.synth.actions.Grammar` accepts are kept, so every mutant is a program the
policy itself could have written (and can be trained to write). No edit knows any task.
"""

from __future__ import annotations

import numpy as np

from bfcore.synth.actions import (CLOSE, END, FACT_OF, INDEX, N_ACTIONS, OPEN, Grammar,
                                 Params)

# what an inserted or replacing action is drawn from: half the mass on BF's eight instructions
# (single steps), half spread over every action; most programs are mostly single steps
_BASIC = [INDEX[a] for a in ("+1", "-1", ">1", "<1", ",", ".", "[", "]")]
_PRIOR = np.full(N_ACTIONS, 0.5 / (N_ACTIONS - 1))
_PRIOR[0] = 0.0  # never END
_PRIOR[_BASIC] += 0.5 / len(_BASIC)
_PRIOR /= _PRIOR.sum()


def _action(rng: np.random.Generator) -> int:
    return int(rng.choice(N_ACTIONS, p=_PRIOR))


def accepts(actions: list[int], params: Params, max_len: int, max_depth: int) -> bool:
    """Whether the grammar allows this action sequence (which must end with END)."""
    g = Grammar(params, max_len, max_depth)
    for a in actions:
        if a not in g.allowed():
            return False
        g.push(a)
    return g.done


def mutants(actions: list[int], params: Params, rng: np.random.Generator, n: int, max_len: int = 32,
            max_depth: int = 3, tries: int = 8) -> list[list[int]]:
    """Up to ``n`` distinct valid edits of ``actions`` (END-terminated)."""
    body = [a for a in actions if a != END]
    out, seen = [], {tuple(body)}
    for _ in range(n * tries):
        if len(out) >= n:
            break
        b = list(body)
        for _ in range(1 + min(int(rng.geometric(0.5)) - 1, 2)):  # 1 edit, sometimes 2 or 3
            b = _edit(b, rng)
        t = tuple(b)
        if t in seen:
            continue
        seen.add(t)
        if accepts(b + [END], params, max_len, max_depth):
            out.append(b + [END])
    return out


def _edit(b: list[int], rng: np.random.Generator) -> list[int]:
    b, L = list(b), len(b)
    op = rng.integers(5)
    if op == 0 or L == 0:  # insert
        b.insert(int(rng.integers(L + 1)), _action(rng))
    elif op == 1:  # delete (a bracket takes its partner with it)
        i = int(rng.integers(L))
        j = _partner(b, i)
        for k in sorted({i, j} - {None}, reverse=True):
            del b[k]
    elif op == 2:  # replace a non-bracket action
        i = int(rng.integers(L))
        if b[i] not in (OPEN, CLOSE):
            b[i] = _action(rng)
    elif op == 3:  # wrap a span in a loop
        i = int(rng.integers(L + 1))
        j = int(rng.integers(i, L + 1))
        b = b[:i] + [OPEN] + b[i:j] + [CLOSE] + b[j:]
    else:  # duplicate a span in place
        i = int(rng.integers(L))
        j = int(rng.integers(i + 1, min(L, i + 6) + 1))
        b = b[:j] + b[i:j] + b[j:]
    return b


def _partner(b: list[int], i: int):
    if b[i] not in (OPEN, CLOSE):
        return None
    step = 1 if b[i] == OPEN else -1
    depth, k = 0, i
    while 0 <= k < len(b):
        depth += ((b[k] == OPEN) - (b[k] == CLOSE)) * step
        if depth == 0:
            return k
        k += step
    return None


def neighbours(actions: list[int], params: Params, max_len: int = 32, max_depth: int = 3,
               span: int = 6) -> list[list[int]]:
    """Every valid program one edit away from ``actions`` (END-terminated), in a fixed order:
    deletions, then inserting or putting in place of an action one of BF's eight instructions
    or a fact the prompt gives, then a span of up to ``span`` actions wrapped in a loop.

    :func:`mutants` draws edits at random, so near a program that is almost right (``>,[>,]<[.<]``
    when a task wants a 0 after the reversed input) the one edit that fixes it can take hundreds
    of draws; the whole neighbourhood is a few hundred programs, and search can afford all of it
    for its best program. Other runs than one step are left out: a run is reached step by step."""
    body = [a for a in actions if a != END]
    L = len(body)
    put = _BASIC + [a for a, name in FACT_OF.items() if params.has(name)]
    cands: list[list[int]] = []
    for i in range(L):
        j = _partner(body, i)
        cands.append([a for k, a in enumerate(body) if k not in (i, j)])
    for i in range(L + 1):
        cands += [body[:i] + [a] + body[i:] for a in put]
    for i in range(L):
        if body[i] not in (OPEN, CLOSE):
            cands += [body[:i] + [a] + body[i + 1:] for a in put
                      if a != body[i] and a not in (OPEN, CLOSE)]
    for i in range(L):
        for j in range(i + 1, min(L, i + span) + 1):
            cands.append(body[:i] + [OPEN] + body[i:j] + [CLOSE] + body[j:])
    out, seen = [], {tuple(body)}
    for c in cands:
        t = tuple(c)
        if t not in seen:
            seen.add(t)
            if accepts(c + [END], params, max_len, max_depth):
                out.append(c + [END])
    return out
