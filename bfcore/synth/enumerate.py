"""Enumerative search: the shortest programs for a set of tests, block by block, with
observational-equivalence pruning (as in bottom-up synthesisers such as Transit and EUSolver).

A program is written as a sequence of *blocks*: one action (``+k``, ``>k``, ``,``, ``.``, a
parameter run) or a whole loop ``[ body ]`` whose body is a few actions. After a whole block the
machine state on every test (tape window, pointer, input read, output length) is defined, so two
prefixes that leave the same state on every test behave the same under any continuation: only the
first (shortest) is kept. Opt-in (``nested``): loops with one flat loop inside,
``[ pre [ inner ] post ]``, still one block, tried from a level's best states only;
(``conditional``) loops with an *if* inside, ``[ pre [ then [-] ] post ]``, from the same states;
and (``constants``) loop-body runs of values read off the tests (:func:`test_constants`). With a
cap on the program's text (``max_chars``, for tasks whose programs must beat the print run), also
the setter blocks of :func:`setter_blocks`, and a ranking that looks at every cell and at the
prompt's facts, since such a program builds its values before it prints. Output is
append-only, so a prefix whose output is not a prefix of every expected output is dead, and a
loop that runs out of steps or moves the pointer off the window is dropped. A prefix whose
output is complete on every test is a solution.

Levels are kept to ``beam`` states, the ones that have written and read the most first, then
those holding the next wanted byte up to a small constant, ties broken at random, so the search is
not complete; it finds needles such as ``,[>,]<.`` that no
sampled program earns partial credit towards. It knows no task: only the tests it is given. Each
block run from a state counts as one program executed (NPE), a conservative count.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from itertools import product

import numpy as np

from bfcore.synth.actions import (ARITH, BASE, CLOSE, END, INDEX, MOVE, N_ACTIONS, OPEN,
                                  FACT_OF, READ, WORD, WRITE, Params, _SMALLER, action_text,
                                  tokenize)

WINDOW = 24        # tape cells a prefix may use; a pointer past them drops the prefix
BLOCK_STEPS = 2000  # per block and test
CHUNK_RUNS = 200_000  # block runs between two looks at the clock

# kernel op codes
_ADD, _MOVE, _READ, _WRITE, _OPEN, _CLOSE = range(6)


@dataclass
class EnumResult:
    actions: list[int] | None  # the solution's actions (END last), or None
    npe: int
    seconds: float
    levels: int                # blocks in the solution, or levels searched


def _follows() -> np.ndarray:
    """follows[prev, a]: whether the grammar lets action ``a`` come right after ``prev`` (the
    local rules only: no run after a larger-or-equal one of its sign, no two moves in a row)."""
    ok = np.ones((N_ACTIONS + 1, N_ACTIONS), bool)
    for p in range(N_ACTIONS + 1):
        for a in range(N_ACTIONS):
            if p in ARITH and a in ARITH and a not in _SMALLER[p]:
                ok[p, a] = False
            if p in MOVE and a in MOVE:
                ok[p, a] = False
            if p == OPEN and a == CLOSE:
                ok[p, a] = False
    return ok


FOLLOWS = _follows()
_BODY = [INDEX[a] for a in ("+1", "-1", ">1", "<1", ",", ".")]
_BODY_PARAMS = {"c": [INDEX["+c"], INDEX["-c"]], "n": [INDEX["+n"], INDEX["-n"]],
                "w": [INDEX[".w"]]}
# a step on a neighbour that comes back (``<+>``): one atom in conditional blocks, so that a
# counter beside the cell costs one place in a body, not three
_OFFSET = [(INDEX[f"{go}1"], INDEX[f"{sign}1"], INDEX[f"{back}1"])
           for go, back in ((">", "<"), ("<", ">")) for sign in "+-"]
_CLEAR = (OPEN, INDEX["-1"], CLOSE)
# (pre, then, post) atoms of ``[ pre [ then [-] ] post ]``; both shapes hold a counter that one
# test moves and the others keep, as "count the e's" needs
COND_SHAPES = ((1, 1, 2), (2, 1, 1))


def _run(sign: str, k: int) -> tuple[int, ...]:
    """The actions that write ``sign * k``: RUNS parts, largest first, as the grammar wants."""
    return tuple(tokenize(sign * k)[:-1])


def test_constants(tests, params: Params = Params(), most: int = 2) -> list[int]:
    """Up to ``most`` byte values the tests point at, for runs in loop bodies (``-116`` for "drop
    every t" when the prompt names no letter, ``-32`` for capitals). From the tests alone: the
    one difference output minus input that holds at most aligned positions of equal-length tests
    (a shift of every byte), then the bytes that every input holds and no output does (the letter
    a remover drops, a delimiter). Each is written as the shorter of k and 256 - k (runs of both
    signs are made). Values the prompt gave, and 1, are left out: their runs exist already."""
    out: list[int] = []
    diffs: dict[int, int] = {}
    aligned = 0
    for i, o in tests:
        if len(i) == len(o):
            for x, y in zip(i, o):
                diffs[(y - x) & 255] = diffs.get((y - x) & 255, 0) + 1
                aligned += 1
    if diffs:
        d, n = max(diffs.items(), key=lambda kv: (kv[1], -kv[0]))
        if d and 2 * n > aligned:
            out.append(min(d, 256 - d))
    # in every input, not in half of them: "0" and "q" in a few inputs of "add one to every byte"
    # made two constants that tripled the flat blocks and found nothing
    common = set(range(1, 256))
    for i, _ in tests:
        common &= set(i)
    common -= set(b"".join(o for _, o in tests))
    for x in sorted(common):
        if min(x, 256 - x) not in out:
            out.append(min(x, 256 - x))
    given = {1, params.c, params.n}
    return [k for k in out if k not in given and 256 - k not in given][:most]


def _chain(seq) -> bool:
    """Whether a sequence of atoms (tuples of actions) obeys the grammar's local rules inside
    and at every seam."""
    flat = [a for atom in seq for a in atom]
    return all(FOLLOWS[x, y] for x, y in zip(flat, flat[1:]))


def _body_atoms(params: Params, consts=()) -> list[tuple[int, ...]]:
    """What a loop body is made of: single steps, the parameter runs the prompt gave (and the
    word's ``.w``), and a run of each constant, either sign."""
    body = [(a,) for a in _BODY]
    body += [(a,) for fact, acts in _BODY_PARAMS.items() if params.has(fact) for a in acts]
    return body + [_run(sign, k) for k in consts for sign in "+-"]


def blocks(params: Params, body_len: int = 4, consts=(), nested: bool = False,
           nested_len: tuple[int, int, int] = (1, 3, 1)) -> list[list[int]]:
    """Every block: each action but END and brackets (parameter runs only where the prompt gave
    the fact), then each loop whose body is ``body_len`` or fewer single steps (and the parameter
    runs the prompt gave, and a run of each constant in ``consts``, either sign), consecutive
    actions obeying the grammar's local rules. With ``nested``, then each loop
    ``[ pre [ inner ] post ]`` of those body atoms, at most ``nested_len`` = (pre, inner, post)
    of them (pre or post not both empty: ``[[inner]]`` is ``[inner]``), after all flat ones."""
    atoms = [a for a in range(1, N_ACTIONS) if a not in (OPEN, CLOSE)
             and (a not in FACT_OF or params.has(FACT_OF[a]))]
    body = _body_atoms(params, consts)
    out = [[a] for a in atoms]
    # a body that cannot change its cell or move never ends once entered: the kernel would run it
    # to the step cap from every state
    live = lambda seq: any(a not in (WRITE,) for atom in seq for a in atom)  # noqa: E731
    loops: dict[int, list[tuple]] = {}
    for n in range(1, max(body_len, nested_len[1] if nested else 0) + 1):
        loops[n] = [seq for seq in product(body, repeat=n) if _chain(seq) and live(seq)]
    for n in range(1, body_len + 1):
        out += [[OPEN, *(a for atom in seq for a in atom), CLOSE] for seq in loops[n]]
    if nested:
        pre_n, inner_n, post_n = nested_len
        inner = [((OPEN,) + tuple(a for atom in seq for a in atom) + (CLOSE,),)
                 for n in range(1, inner_n + 1) for seq in loops[n]]
        pres = [()] + [seq for n in range(1, pre_n + 1) for seq in product(body, repeat=n)]
        posts = [()] + [seq for n in range(1, post_n + 1) for seq in product(body, repeat=n)]
        for pre in pres:
            for post in posts:
                if not pre and not post:
                    continue
                for loop in inner:
                    seq = (*pre, *loop, *post)
                    if _chain(seq):
                        out.append([OPEN, *(a for atom in seq for a in atom), CLOSE])
    return out


def conditional_blocks(params: Params, consts=(), shapes=COND_SHAPES) -> list[list[int]]:
    """Every loop ``[ pre [ then [-] ] post ]``: an *if* inside a loop (the inner loop runs its
    ``then`` once, when its cell is not zero, and clears the cell), the BF idiom for a test on
    each byte read. Atoms are the body atoms of :func:`blocks` and the neighbour steps
    ``<+>``-style; ``shapes`` bounds (pre, then, post) in atoms, ``then`` never empty. Depth 3,
    which the grammar allows; the loop bodies of :func:`blocks` cannot hold it."""
    body = _body_atoms(params, consts) + _OFFSET
    seqs = lambda n: [s for m in range(n + 1) for s in product(body, repeat=m)]  # noqa: E731
    out, seen = [], set()
    for pre_n, then_n, post_n in shapes:
        thens = [s for s in seqs(then_n) if s]
        for pre in seqs(pre_n):
            for then in thens:
                for post in seqs(post_n):
                    seq = (*pre, (OPEN,), *then, _CLEAR, (CLOSE,), *post)
                    key = tuple(a for atom in seq for a in atom)
                    if key not in seen and _chain(seq):
                        seen.add(key)
                        out.append([OPEN, *key, CLOSE])
    return out


def setter_blocks(params: Params) -> list[list[int]]:
    """For each fact the prompt gave (a letter, a number), the BF idiom that adds it to a cell by
    a multiplication on the cell beside it: ``>+8[<+c/8>-]<+c%8`` (or mirrored), one block, so
    that a program that sets two values and prints in a loop is three blocks, not eleven. The
    first move is 1 (the value goes in the cell it starts on) or 2 (in the next one: a second
    value beside the first, since the grammar allows no two moves in a row). Written with the
    derived facts only (:data:`~bfcore.synth.actions.BASE`), so the same actions work for every
    value."""
    out = []
    for fact in ("c", "n"):
        if not params.has(fact):
            continue
        for go, back in ((">", "<"), ("<", ">")):
            for k in (1, 2):
                out.append([INDEX[f"{go}{k}"], INDEX[f"+{BASE}"], OPEN, INDEX[f"{back}1"],
                            INDEX[f"+{fact}/{BASE}"], INDEX[f"{go}1"], INDEX["-1"], CLOSE,
                            INDEX[f"{back}1"], INDEX[f"+{fact}%{BASE}"]])
    return out


def _compile(blks: list[list[int]], params: Params):
    """The blocks as one op array for the kernel (each block's ops from ``start`` to ``end``),
    and each block's length in BF text; a run's length and sign come from the text it writes."""
    ops, args, jmp, start, end, chars = [], [], [], [], [], []

    def emit(op: int, arg: int = 0) -> None:
        ops.append(op)
        args.append(arg)
        jmp.append(0)

    for b in blks:
        start.append(len(ops))
        chars.append(0)
        stack = []
        for a in b:
            text = action_text(a, params)
            chars[-1] += len(text)
            if a == OPEN:
                stack.append(len(ops))
                emit(_OPEN)
            elif a == CLOSE:
                o = stack.pop()
                jmp[o] = len(ops)
                emit(_CLOSE)
                jmp[-1] = o
            elif a == READ:
                emit(_READ)
            elif a == WRITE:
                emit(_WRITE)
            elif a == WORD:  # runs and writes: each byte from the one before
                for run in text.split(".")[:-1]:
                    if run:
                        emit(_ADD, len(run) if run[0] == "+" else -len(run))
                    emit(_WRITE)
            elif not text:  # a remainder of 0: nothing to run
                continue
            elif text[0] in "<>":
                emit(_MOVE, len(text) if text[0] == ">" else -len(text))
            else:  # a run, or a parameter run
                emit(_ADD, len(text) if text[0] == "+" else -len(text))
        end.append(len(ops))
    as_arr = lambda x: np.array(x, np.int32)  # noqa: E731
    return as_arr(ops), as_arr(args), as_arr(jmp), as_arr(start), as_arr(end), as_arr(chars)


# The kernels are plain functions at module level, compiled by _kernels(): numba resolves the
# helpers they call as globals, and caches them on disk. As closures inside _kernels(), the
# kernels that call helpers missed the cache in every new process (their closure cells hold
# the helpers' dispatchers, which hash differently each run): ~9 s of compiling per process.
def run_block(tape, ptr, inp, olen, ops, args, jmp, s, t, inputs, in_len, targets, t_len, cap):
    E, W = tape.shape
    for e in range(E):
        p, ip, ol = ptr[e], inp[e], olen[e]
        pc, steps = s, 0
        while pc < t:
            op = ops[pc]
            if op == 0:
                tape[e, p] = (tape[e, p] + args[pc]) & 255
            elif op == 1:
                p += args[pc]
                if p < 0 or p >= W:
                    return False
            elif op == 2:
                if ip < in_len[e]:
                    tape[e, p] = inputs[e, ip]
                    ip += 1
                else:
                    tape[e, p] = 0
                    ip = in_len[e] + 1  # "read the end": a state of its own
            elif op == 3:
                if ol >= t_len[e] or targets[e, ol] != tape[e, p]:
                    return False
                ol += 1
            elif op == 4:
                if tape[e, p] == 0:
                    pc = jmp[pc]
            elif op == 5:
                if tape[e, p] != 0:
                    pc = jmp[pc]
            pc += 1
            steps += 1
            if steps > cap:
                return False
        ptr[e], inp[e], olen[e] = p, ip, ol
    return True

def state_hash(tape, ptr, inp, olen):
    h = np.uint64(1469598103934665603)
    m = np.uint64(1099511628211)
    E, W = tape.shape
    for e in range(E):
        for j in range(W):
            h = (h ^ np.uint64(tape[e, j])) * m
        h = (h ^ np.uint64(ptr[e] + 1000 * inp[e] + 1000000 * olen[e])) * m
    return h

def _gap(tape, ptr, olen, targets, t_len, j):
    """The one difference, next wanted byte minus cell ``j`` (the pointer's for j < 0), that
    holds on every test still writing; -1 when they differ or none is."""
    d0 = -1
    for e in range(tape.shape[0]):
        if olen[e] < t_len[e]:
            d = (targets[e, olen[e]] - tape[e, ptr[e] if j < 0 else j]) & 255
            if d0 < 0:
                d0 = d
            elif d != d0:
                return -1
    return d0

def _built(tape, ptr, olen, targets, t_len, facts):
    """The ranking of a capped search: how near some cell (the pointer's, else another one
    move away) is to the next wanted byte, plus 2 for each prompt fact a cell holds (a
    counter set before a print loop), the same on every test."""
    E, W = tape.shape
    best = -1
    for j in range(-1, W):
        d0 = _gap(tape, ptr, olen, targets, t_len, j)
        if d0 >= 0:
            near = (128 - min(d0, 256 - d0)) // 8 - (0 if j < 0 else 1)
            best = max(best, near)
    pr = 32 * E + best if best >= 0 else 0
    for f in range(facts.shape[0]):
        for j in range(W):
            held = True
            for e in range(E):
                if tape[e, j] != facts[f]:
                    held = False
                    break
            if held:
                pr += 2
                break
    return pr

def expand(tapes, ptrs, inps, olens, lasts, lens, chars, firsts, blens, bchars, follows,
           max_actions, max_chars, built, facts, ops, args, jmp, bstart, bend, inputs, in_len,
           targets, t_len, cap, out_hash, out_prio, out_done):
    """Run every block from every state; hash 0 marks a dropped pair."""
    N, E, W = tapes.shape
    nb = bstart.shape[0]
    tape = np.empty((E, W), np.uint8)
    ptr = np.empty(E, np.int32)
    inp = np.empty(E, np.int32)
    olen = np.empty(E, np.int32)
    runs = 0
    for i in range(N):
        for b in range(nb):
            k = i * nb + b
            out_hash[k] = 0
            if not follows[lasts[i], firsts[b]] or lens[i] + blens[b] > max_actions:
                continue
            if chars[i] + bchars[b] > max_chars:
                continue
            tape[:, :] = tapes[i]
            ptr[:] = ptrs[i]
            inp[:] = inps[i]
            olen[:] = olens[i]
            runs += 1
            if not run_block(tape, ptr, inp, olen, ops, args, jmp, bstart[b], bend[b],
                             inputs, in_len, targets, t_len, cap):
                continue
            h = state_hash(tape, ptr, inp, olen)
            out_hash[k] = h if h != 0 else 1
            done = True
            pr = 0
            for e in range(E):
                # a capped program prints late, in one loop: bytes written early earn nothing
                pr += (0 if built else 64 * olen[e]) + inp[e]
                if olen[e] != t_len[e]:
                    done = False
            # the next byte every test wants is the cell under the pointer plus one constant
            # (a count or a digit sum before its "+48"): a prefix one short run from output
            if not done and built:
                pr += _built(tape, ptr, olen, targets, t_len, facts)
            elif not done:
                d0 = _gap(tape, ptr, olen, targets, t_len, -1)
                if d0 >= 0:  # and the nearer that constant, the better
                    pr += 32 * E + (128 - min(d0, 256 - d0)) // 8
                else:  # or some other cell is (a sum moved aside, a copy kept)
                    for j in range(W):
                        if _gap(tape, ptr, olen, targets, t_len, j) >= 0:
                            pr += 8 * E
                            break
            out_prio[k] = pr
            out_done[k] = done
    return runs

def materialize(tapes, ptrs, inps, olens, parent, block, ops, args, jmp, bstart, bend,
                inputs, in_len, targets, t_len, cap, nt, np_, ni, no):
    for j in range(parent.shape[0]):
        i, b = parent[j], block[j]
        nt[j] = tapes[i]
        np_[j] = ptrs[i]
        ni[j] = inps[i]
        no[j] = olens[i]
        run_block(nt[j], np_[j], ni[j], no[j], ops, args, jmp, bstart[b], bend[b],
                  inputs, in_len, targets, t_len, cap)


_KERNELS = None


def _kernels():
    global _KERNELS, run_block, state_hash, _gap, _built, expand, materialize
    if _KERNELS is not None:
        return _KERNELS
    from numba import njit

    jit = njit(cache=True)
    run_block = jit(run_block)
    state_hash = jit(state_hash)
    _gap = jit(_gap)
    _built = jit(_built)
    expand = jit(expand)
    materialize = jit(materialize)
    _KERNELS = (expand, materialize)
    return _KERNELS


def enumerate_search(tests, params: Params = Params(), max_blocks: int = 7, beam: int = 2000,
                     body_len: int = 4, max_len: int = 32, seconds: float = 30.0,
                     rng: np.random.Generator | None = None, constants: bool = False,
                     nested: bool = False, nested_beam: int = 50,
                     nested_len: tuple[int, int, int] = (1, 3, 1),
                     conditional: bool = False, max_chars: int | None = None) -> EnumResult:
    """The first program found that prints every test's expected output, level by level (a level
    is one more block), within ``seconds``. ``tests`` are ``(input, output)`` pairs.

    ``constants``: loop bodies may also hold runs of the values :func:`test_constants` reads off
    the tests. ``nested``: also the loops with one loop inside (see :func:`blocks`), run from the
    ``nested_beam`` best states of each level only, since they are ten times the flat blocks.
    ``conditional``: also :func:`conditional_blocks`, from the same best states. ``max_chars``:
    no program text longer than this (prefixes past it are dropped), with :func:`setter_blocks`
    and the ranking of a search for programs that build their values."""
    expand, materialize = _kernels()
    rng = rng if rng is not None else np.random.default_rng(0)
    t0 = time.perf_counter()
    consts = test_constants(tests, params) if constants else []
    blks = blocks(params, body_len, consts, nested, nested_len)
    n_flat = next((i for i, b in enumerate(blks) if b.count(OPEN) > 1), len(blks))
    capped = max_chars is not None
    if capped:  # few, and run from every state, as the flat ones are
        setters = setter_blocks(params)
        blks[n_flat:n_flat] = setters
        n_flat += len(setters)
    if conditional:
        blks += conditional_blocks(params, consts)
    ops, args, jmp, bstart, bend, bchars = _compile(blks, params)
    # what a capped search ranks by: the facts a counter or a letter may be built from
    facts = np.array([v for v in (params.c, params.n) if v is not None] if capped else [],
                     np.int32)
    char_cap = max_chars if capped else 1 << 30
    firsts = np.array([b[0] for b in blks], np.int32)
    blens = np.array([len(b) for b in blks], np.int32)
    # (first block, end block, states that get them): the flat blocks from every kept state,
    # the nested ones from the best few
    groups = [(0, n_flat, None)] + ([(n_flat, len(blks), nested_beam)] if len(blks) > n_flat
                                    else [])
    E = len(tests)
    L = max(1, max(len(i) for i, _ in tests))
    T = max(1, max(len(o) for _, o in tests))
    inputs = np.zeros((E, L), np.uint8)
    targets = np.zeros((E, T), np.uint8)
    for e, (i, o) in enumerate(tests):
        inputs[e, :len(i)] = np.frombuffer(i, np.uint8)
        targets[e, :len(o)] = np.frombuffer(o, np.uint8)
    in_len = np.array([len(i) for i, _ in tests], np.int32)
    t_len = np.array([len(o) for _, o in tests], np.int32)
    if not t_len.any():
        return EnumResult([END], 0, time.perf_counter() - t0, 0)
    # level 0: the empty program
    tapes = np.zeros((1, E, WINDOW), np.uint8)
    ptrs = np.zeros((1, E), np.int32)
    inps = np.zeros((1, E), np.int32)
    olens = np.zeros((1, E), np.int32)
    lasts = np.array([N_ACTIONS], np.int32)  # START: anything may come first
    lens = np.zeros(1, np.int32)
    chars = np.zeros(1, np.int32)
    progs: list[list[int]] = [[]]
    seen: set[int] = set()
    npe = 0
    tail = (inputs, in_len, targets, t_len, BLOCK_STEPS)
    for level in range(1, max_blocks + 1):
        hashes, prios, dones, parents, bids = [], [], [], [], []
        late = False
        for b0, b1, top in groups:
            if late:
                break
            m = len(progs) if top is None else min(top, len(progs))
            nb = b1 - b0
            out_hash = np.zeros(m * nb, np.uint64)
            out_prio = np.zeros(m * nb, np.int64)
            out_done = np.zeros(m * nb, np.bool_)
            # a few states at a time, timed between, so that a level of big blocks cannot run
            # far past ``seconds`` (a copies level did by 13 s when only levels were timed)
            step = max(1, CHUNK_RUNS // nb)
            for i in range(0, m, step):
                j = min(m, i + step)
                npe += expand(tapes[i:j], ptrs[i:j], inps[i:j], olens[i:j], lasts[i:j],
                              lens[i:j], chars[i:j], firsts[b0:b1], blens[b0:b1], bchars[b0:b1],
                              FOLLOWS, max_len - 1, char_cap, capped, facts,
                              ops, args, jmp, bstart[b0:b1], bend[b0:b1], *tail,
                              out_hash[i * nb:j * nb], out_prio[i * nb:j * nb],
                              out_done[i * nb:j * nb])
                if time.perf_counter() - t0 > seconds:
                    late = True
                    break
            live = np.flatnonzero(out_hash)
            hashes.append(out_hash[live])
            prios.append(out_prio[live])
            dones.append(out_done[live])
            parents.append(live // nb)
            bids.append(b0 + live % nb)
        h, pr, dn = np.concatenate(hashes), np.concatenate(prios), np.concatenate(dones)
        par, bid = np.concatenate(parents), np.concatenate(bids)
        done = np.flatnonzero(dn)
        if done.size:  # the fewest actions; with a cap on the text, the shortest text
            size = (chars[par[done]] + bchars[bid[done]] if capped
                    else lens[par[done]] + blens[bid[done]])
            k = int(done[np.argmin(size)])
            acts = progs[par[k]] + blks[bid[k]] + [END]
            return EnumResult(acts, npe, time.perf_counter() - t0, level)
        if not h.size or late or time.perf_counter() - t0 > seconds or level == max_blocks:
            return EnumResult(None, npe, time.perf_counter() - t0, level)
        # one state per hash (the first pair that reached it), none seen at an earlier level
        _, first = np.unique(h, return_index=True)
        cand = first[[int(x) not in seen for x in h[first]]]
        seen.update(int(x) for x in h[cand])
        order = np.lexsort((rng.random(cand.size), -pr[cand]))
        cand = cand[order[:beam]]
        parent = par[cand].astype(np.int64)
        block = bid[cand].astype(np.int64)
        m = cand.size
        nt = np.empty((m, E, WINDOW), np.uint8)
        np_ = np.empty((m, E), np.int32)
        ni = np.empty((m, E), np.int32)
        no = np.empty((m, E), np.int32)
        materialize(tapes, ptrs, inps, olens, parent, block, ops, args, jmp, bstart, bend,
                    *tail, nt, np_, ni, no)
        tapes, ptrs, inps, olens = nt, np_, ni, no
        lasts = np.array([blks[b][-1] for b in block], np.int32)
        lens = lens[parent] + blens[block]
        chars = chars[parent] + bchars[block]
        progs = [progs[p] + blks[b] for p, b in zip(parent, block)]
    return EnumResult(None, npe, time.perf_counter() - t0, max_blocks)
