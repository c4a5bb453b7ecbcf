"""Local search around the best programs found: edits of action sequences.

Sampling from the policy explores near what it already writes; a program one structural edit away
(``,.,.`` -> ``,[.,]``: wrap a span in a loop) can stay unlikely for a long time. Each edit here
inserts, deletes or replaces one action, wraps a span in brackets, or duplicates a span, and only
edits the :class:`~bfcore.synth.actions.Grammar` accepts are kept, so every mutant is a program the
policy itself could have written (and can be trained to write). No edit knows any task.
"""

from __future__ import annotations

import numpy as np

from bfcore.synth.actions import (ACTIONS, ARITH, CLOSE, END, FACT_OF, INDEX, MOVES, N_ACTIONS,
                                 OPEN, RUNS, WRITE, Grammar, Params)

# what an inserted or replacing action is drawn from: half the mass on BF's eight instructions
# (single steps), half spread over every action; most programs are mostly single steps
_BASIC = [INDEX[a] for a in ("+1", "-1", ">1", "<1", ",", ".", "[", "]")]
_PRIOR = np.full(N_ACTIONS, 0.5 / (N_ACTIONS - 1))
_PRIOR[0] = 0.0  # never END
_PRIOR[_BASIC] += 0.5 / len(_BASIC)
_PRIOR /= _PRIOR.sum()


def _sizes() -> dict[int, tuple[int, ...]]:
    """Each run's next size up and down, of the same sign (``+8``: ``+7`` and ``+9``)."""
    out = {}
    for signs, sizes in (("+-", RUNS), ("<>", MOVES)):
        for sign in signs:
            row = [INDEX[f"{sign}{k}"] for k in sizes]
            for k, i in enumerate(row):
                out[i] = tuple(row[j] for j in (k - 1, k + 1) if 0 <= j < len(row))
    return out


_SIZES = _sizes()


def _run(v: int) -> list[int] | None:
    """The actions of a ``+``/``-`` run of signed size ``v`` (none for 0), if one action."""
    if v == 0:
        return []
    a = INDEX.get(f"{'+' if v > 0 else '-'}{abs(v)}")
    return None if a is None else [a]


def _traded(body: list[int]) -> list[list[int]]:
    """A step moved across a ``.``, from the run before it to the run after it or back (a run
    of 0 where there is none): ``+5..`` to ``+6.-1.`` and ``+4.+1.``. Where a cell is set
    relative to what it held, this changes the one byte that ``.`` prints and keeps the ones
    after it, which a step of one run alone would also shift."""
    out = []
    for k, a in enumerate(body):
        if a != WRITE:
            continue
        i0 = k - 1 if k > 0 and body[k - 1] in ARITH else k  # the run before: body[i0:k]
        j1 = k + 2 if k + 1 < len(body) and body[k + 1] in ARITH else k + 1  # after: body[k+1:j1]
        vi = int(ACTIONS[body[i0]]) if i0 < k else 0
        vj = int(ACTIONS[body[k + 1]]) if j1 > k + 1 else 0
        for d in (1, -1):
            ai, aj = _run(vi + d), _run(vj - d)
            if ai is not None and aj is not None:
                out.append(body[:i0] + ai + [WRITE] + aj + body[j1:])
    return out


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
               span: int = 6, copy: int = 12) -> list[list[int]]:
    """Every valid program one edit away from ``actions`` (END-terminated), in a fixed order:
    deletions, then inserting or putting in place of an action one of BF's eight instructions
    or a fact the prompt gives, a run made one size longer or shorter, a step moved across a
    ``.`` (:func:`_traded`), a span of up to ``span`` actions wrapped in a loop, and a span of
    up to ``copy`` actions that ends a loop written twice.

    :func:`mutants` draws edits at random, so near a program that is almost right (``>,[>,]<[.<]``
    when a task wants a 0 after the reversed input) the one edit that fixes it can take hundreds
    of draws; the whole neighbourhood is a few hundred programs, and search can afford all of it
    for its best program. A run is reached size by size (``+8`` to ``+9``), which a byte's
    distance rewards at every step; a copied span turns a pass over the input into two (the
    input printed twice, then three times), which no chain of single steps reaches while each
    step scores better."""
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
        cands += [body[:i] + [a] + body[i + 1:] for a in _SIZES.get(body[i], ())]
    cands += _traded(body)
    for i in range(L):
        for j in range(i + 1, min(L, i + span) + 1):
            cands.append(body[:i] + [OPEN] + body[i:j] + [CLOSE] + body[j:])
    for i in range(L):
        depth = 0
        for j in range(i, min(L, i + copy)):
            depth += (body[j] == OPEN) - (body[j] == CLOSE)
            if depth < 0:
                break
            if depth == 0 and body[j] == CLOSE:  # a span that holds a loop: a pass over data
                cands.append(body[:j + 1] + body[i:j + 1] + body[j + 1:])
    out, seen = [], {tuple(body)}
    for c in cands:
        t = tuple(c)
        if t not in seen:
            seen.add(t)
            if accepts(c + [END], params, max_len, max_depth):
                out.append(c + [END])
    return out
