"""The fast path: run whole programs (``run``) and score batches of them (``run_many``).

A program is compiled once into a flat int IR, 7 ints per op (see ``_compile``): folded runs of
``+-`` and of ``>``/``<``; BLOCK ops for straight-line ``+-<>`` code (adds at offsets, one
dispatch); and closed forms for loops with no I/O and no inner loops: clear loops (``[-]``),
copy/multiply loops (``[->+>++<<]``) and scans (``[>]``). Each BLOCK or closed-form op is followed
by the plain version of the same code; the op falls through to it whenever the shortcut cannot
reproduce the Machine exactly (the step budget would run out inside it, the pointer would leave
the tape, the loop never ends), so results, step counts and error positions always match
``bfcore.interp.machine.Machine``.

``run_many`` compiles too inside numba, with an array version of the compiler (``_compile_arr``)
that emits the same IR (tests compare the two), so a batch costs one call and no per-program
Python work beyond building its result.

One executor, ``_execute``, runs the IR. It is written so it runs unchanged as plain Python on
lists and bytearrays (the first tier: starts instantly) and under ``numba.njit`` on arrays (the
second tier: numba is imported, and its cached machine code loaded, only when a run outlives
``jit_after`` ops, or for ``run_many``).
"""

from __future__ import annotations

import threading
from array import array
from collections.abc import Sequence

from bfcore.errors import BFSyntaxError
from bfcore.interp.program import (MAX_COUNT, Config, Program, RunResult, limit_error, new_tape, parse,
                            tape_error)

W = 7  # ints per op: op, a, b, c, d, e, raw (index of the op's first raw instruction)
# A BLOCK or closed form's adds are table entries d .. d+e-1, and the pointer range it needs
# (lowest, highest offset) sits just before them, at d-2 and d-1: rare fields kept out of
# every op.
ADD, MOVE, OUT, IN, JZ, JNZ, CLR, MUL, SCAN, BLOCK = range(1, 11)
BLOCK_MIN = 3  # straight-line code worth one BLOCK op: at least this many plain ops
# _execute return codes
DONE, TAPE, STEP_LIMIT, OUTPUT_LIMIT, OUT_FULL, BUDGET = range(6)
EOF_CODE = {"zero": 0, "max": 1, "keep": 2}
UNLIMITED = MAX_COUNT  # the largest step or output budget a Config allows
# Ops run in pure Python before handing over to numba. The Python tier runs ~3M ops/s and
# importing numba plus loading its cached code costs ~0.7 s, so short and medium programs
# (squares.b: 1.4M raw steps) finish before numba would have loaded.
JIT_AFTER = 500_000
JIT_CHUNK = 1 << 25  # ops per numba call (well under a second)
# Native code for programs up to this many IR ops: LLVM's code generator takes about 0.6 ms an
# op (mandelbrot.b: 5,000 ops, 3 s), so a bigger program runs sooner under numba.
NATIVE_MAX_OPS = 10_000


# ---- compiling ---------------------------------------------------------------------------
def _closed_form(code: str, i: int, j: int, moff, mcoef, mask: int = 255):
    """A closed-form op (without its skip target) for the loop code[i..j], or None. Cells wrap
    at ``mask + 1``: an odd step count has an inverse there, so the loop runs v * inverse times."""
    body = code[i + 1:j]
    if not body or any(ch in "[].," for ch in body):
        return None
    cost = len(body) + 1  # raw steps per iteration: the body and the ']'
    if body.strip("+-") == "":
        delta = (body.count("+") - body.count("-")) & mask
        return [CLR, (-pow(delta, -1, mask + 1)) & mask, cost] if delta & 1 else None
    if body.strip("<>") == "" and len(set(body)) == 1:
        return [SCAN, len(body) if body[0] == ">" else -len(body), cost]
    off, lo, hi, adds = _offset_adds(body)
    counter = adds.pop(0, 0) & mask
    if off != 0 or not counter & 1:
        return None
    start, count = _push_adds(adds, moff, mcoef, mask, lo, hi)
    return [MUL, (-pow(counter, -1, mask + 1)) & mask, cost, 0, start, count]


def _offset_adds(code: str) -> tuple[int, int, int, dict[int, int]]:
    """For straight-line +-<> code: net move, lowest and highest offset reached, add per offset."""
    off = lo = hi = 0
    adds: dict[int, int] = {}
    for ch in code:
        if ch == ">":
            off += 1
            hi = max(hi, off)
        elif ch == "<":
            off -= 1
            lo = min(lo, off)
        else:
            adds[off] = adds.get(off, 0) + (1 if ch == "+" else -1)
    return off, lo, hi, adds


def _push_adds(adds: dict[int, int], moff, mcoef, mask: int, lo: int,
               hi: int) -> tuple[int, int]:
    """Append the pointer range and then the non-zero adds to the shared offset/coefficient
    tables; (start of the adds, count)."""
    moff.extend((lo, hi))
    mcoef.extend((0, 0))
    start = len(moff)
    for o, c in sorted(adds.items()):
        if c & mask:
            moff.append(o)
            mcoef.append(c & mask)
    return start, len(moff) - start


def _folds(code: str, i: int, j: int, mask: int = 255) -> list[list[int]]:
    """Plain ops for the straight-line code[i:j] of +-<>: runs of +- and of one of < or >."""
    rows = []
    while i < j:
        ch = code[i]
        k = i
        if ch in "+-":
            while k < j and code[k] in "+-":
                k += 1
            delta = code.count("+", i, k) - code.count("-", i, k)
            rows.append([ADD, delta & mask, k - i, 0, 0, 0, i])
        else:
            while k < j and code[k] == ch:
                k += 1
            rows.append([MOVE, k - i if ch == ">" else i - k, k - i, 0, 0, 0, i])
        i = k
    return rows


def _block(code: str, i: int, j: int, moff, mcoef, mask: int = 255) -> list[int]:
    """One op for the straight-line code[i:j]: adds at offsets, the net move, the pointer's
    range (skip target left 0). The plain folds follow it as the fallback."""
    off, lo, hi, adds = _offset_adds(code[i:j])
    start, count = _push_adds(adds, moff, mcoef, mask, lo, hi)
    return [BLOCK, off, j - i, 0, start, count, i]


def _compile(prog: Program, mask: int = 255) -> tuple[array, array, array]:
    """The flat IR, W ints an op, as arrays (32-bit; 64 for 32-bit cells, whose constants need
    all 32 bits unsigned): 28 bytes an op (a 5 MB program's IR as lists of Python ints took
    1.4 GB). ``mask``: the largest cell value."""
    code, match = prog.code, prog.match
    kind = "q" if mask > 0xFFFF else "i"
    ops, moff, mcoef = array(kind), array(kind), array(kind)
    open_rows: list[tuple[int, int]] = []  # (row of the closed form or -1, row of the JZ)
    i, n = 0, len(code)
    while i < n:
        ch = code[i]
        rows = len(ops) // W
        if ch in "+-<>":
            j = i
            while j < n and code[j] in "+-<>":
                j += 1
            folds = _folds(code, i, j, mask)
            if len(folds) >= BLOCK_MIN:
                ops.extend(_block(code, i, j, moff, mcoef, mask))
                ops[rows * W + 3] = rows + 1 + len(folds)  # the BLOCK skips its plain folds
            for row in folds:
                ops.extend(row)
        elif ch == "[":
            j = i + 1
            fast = _closed_form(code, i, match[i], moff, mcoef, mask)
            opt_row = -1
            if fast is not None:
                opt_row = rows
                ops.extend((fast + [0] * W)[:W - 1] + [i])
            open_rows.append((opt_row, len(ops) // W))
            ops.extend([JZ, 0, 1, 0, 0, 0, i])
        elif ch == "]":
            j = i + 1
            opt_row, jz = open_rows.pop()
            ops.extend([JNZ, jz + 1, 1, 0, 0, 0, i])
            ops[jz * W + 1] = rows + 1
            if opt_row >= 0:
                ops[opt_row * W + 3] = rows + 1
        else:
            j = i + 1
            ops.extend([OUT if ch == "." else IN, 0, 1, 0, 0, 0, i])
        i = j
    return ops, moff, mcoef


def compiled(prog: Program, mask: int = 255):
    """The program's IR for cells of ``mask`` (flat ops, multiply offsets, multiply
    coefficients), built once."""
    if prog._ir is None:
        prog._ir = {}
    if ("py", mask) not in prog._ir:
        prog._ir["py", mask] = _compile(prog, mask)
    return prog._ir["py", mask]


def _compiled_arrays(prog: Program, mask: int = 255):
    """The IR as arrays for numba, built once per program (no copy)."""
    ir = prog._ir
    if ("np", mask) not in ir:
        import numpy as np

        arrays = compiled(prog, mask)
        dtype = np.int64 if arrays[0].itemsize == 8 else np.int32  # as _compile chose
        ir["np", mask] = tuple(np.frombuffer(x, dtype) if len(x) else np.zeros(0, dtype)
                               for x in arrays)
    return ir["np", mask]


# ---- the executor (plain Python and numba) -----------------------------------------------
def _execute(ops, moff, mcoef, tape, st, out, inp, end, tape_len, eof_mode, wrap, mask,
             max_steps, max_output, op_budget):
    """Run ops from st[0] until ``end`` or a stop; returns a code and saves the state in st:
    [ip, ptr, steps, output length, input position, raw index of a stop, 1 if it was left].
    OUT_FULL means ``out`` needs to grow; BUDGET that op_budget ops ran. Both can resume."""
    ip = st[0]
    ptr = st[1]
    steps = st[2]
    olen = st[3]
    in_pos = st[4]
    n_in = len(inp)
    cap = len(out)
    result = DONE
    done = 0
    while ip < end:
        if done >= op_budget:
            result = BUDGET
            break
        done += 1
        b = ip * 7
        op = ops[b]
        if op == 1:  # ADD
            n = ops[b + 2]
            if steps + n > max_steps:
                st[5] = ops[b + 6] + max_steps - steps
                steps = max_steps
                result = STEP_LIMIT
                break
            tape[ptr] = (tape[ptr] + ops[b + 1]) & mask
            steps += n
            ip += 1
        elif op == 2:  # MOVE
            d = ops[b + 1]
            n = ops[b + 2]
            q = ptr + d
            if q < 0 or q >= tape_len:
                if wrap:
                    q = q % tape_len
                else:
                    ok_moves = ptr if d < 0 else tape_len - 1 - ptr
                    if steps + ok_moves >= max_steps:
                        st[5] = ops[b + 6] + max_steps - steps
                        steps = max_steps
                        result = STEP_LIMIT
                        break
                    st[5] = ops[b + 6] + ok_moves
                    st[6] = 1 if d < 0 else 0
                    steps += ok_moves
                    ptr = 0 if d < 0 else tape_len - 1
                    result = TAPE
                    break
            if steps + n > max_steps:
                st[5] = ops[b + 6] + max_steps - steps
                steps = max_steps
                result = STEP_LIMIT
                break
            ptr = q
            steps += n
            ip += 1
        elif op == 10:  # BLOCK; ip + 1 starts the plain ops to fall back on
            n = ops[b + 2]
            if steps + n > max_steps:
                ip += 1
                continue
            if wrap:
                t0 = ops[b + 4]
                for t in range(t0, t0 + ops[b + 5]):
                    q = (ptr + moff[t]) % tape_len
                    tape[q] = (tape[q] + mcoef[t]) & mask
                ptr = (ptr + ops[b + 1]) % tape_len
            else:
                t0 = ops[b + 4]
                if ptr + moff[t0 - 2] < 0 or ptr + moff[t0 - 1] >= tape_len:
                    ip += 1
                    continue
                for t in range(t0, t0 + ops[b + 5]):
                    q = ptr + moff[t]
                    tape[q] = (tape[q] + mcoef[t]) & mask
                ptr += ops[b + 1]
            steps += n
            ip = ops[b + 3]
        elif op >= 7:  # closed-form loops; ip + 1 is the plain loop to fall back on
            v = tape[ptr]
            if v == 0:
                if steps >= max_steps:
                    ip += 1
                    continue
                steps += 1
                ip = ops[b + 3]
                continue
            if op == 9:  # SCAN
                s = ops[b + 1]
                q = ptr
                k = 0
                while tape[q] != 0:
                    q += s
                    k += 1
                    if q < 0 or q >= tape_len:
                        if not wrap or k > tape_len:
                            k = -1
                            break
                        q = q % tape_len
                if k < 0:
                    ip += 1
                    continue
            else:
                k = (v * ops[b + 1]) & mask
            cost = 1 + k * ops[b + 2]
            if steps + cost > max_steps:
                ip += 1
                continue
            if op == 9:
                ptr = q
            else:
                if op == 8:  # MUL
                    lo = moff[ops[b + 4] - 2]
                    hi = moff[ops[b + 4] - 1]
                    if wrap:
                        if hi - lo >= tape_len:
                            ip += 1
                            continue
                    elif ptr + lo < 0 or ptr + hi >= tape_len:
                        ip += 1
                        continue
                    t0 = ops[b + 4]
                    for t in range(t0, t0 + ops[b + 5]):
                        q = ptr + moff[t]
                        if wrap:
                            q = q % tape_len
                        tape[q] = (tape[q] + k * mcoef[t]) & mask
                tape[ptr] = 0
            steps += cost
            ip = ops[b + 3]
        else:
            if steps >= max_steps:
                st[5] = ops[b + 6]
                result = STEP_LIMIT
                break
            if op == 5:  # JZ
                ip = ops[b + 1] if tape[ptr] == 0 else ip + 1
            elif op == 6:  # JNZ
                ip = ops[b + 1] if tape[ptr] != 0 else ip + 1
            elif op == 3:  # OUT
                if olen >= max_output:
                    st[5] = ops[b + 6]
                    result = OUTPUT_LIMIT
                    break
                if olen >= cap:
                    result = OUT_FULL
                    break
                out[olen] = tape[ptr] & 255
                olen += 1
                ip += 1
            else:  # IN
                if in_pos < n_in:
                    tape[ptr] = inp[in_pos]
                    in_pos += 1
                elif eof_mode == 0:
                    tape[ptr] = 0
                elif eof_mode == 1:
                    tape[ptr] = mask
                ip += 1
            steps += 1
    st[0] = ip
    st[1] = ptr
    st[2] = steps
    st[3] = olen
    st[4] = in_pos
    return result


def _inverse(d):
    """Inverse of odd ``d`` modulo 256 (Newton's iteration: each round doubles the good bits)."""
    x = d
    for _ in range(3):
        x = (x * (2 - d * x)) & 255
    return x


def _closed_form_arr(code, i, j, ops, r, moff, mcoef, ntab, scratch):
    """Array version of _closed_form for the batch compiler: writes the closed-form op for the
    loop code[i..j] as row r (skip target left 0) and returns the new table size, or -1."""
    plus = minus = lt = gt = off = lo = hi = 0
    for k in range(i + 1, j):
        c = code[k]
        if c == 43:
            plus += 1
        elif c == 45:
            minus += 1
        elif c == 62:
            gt += 1
            off += 1
            hi = max(hi, off)
        elif c == 60:
            lt += 1
            off -= 1
            lo = min(lo, off)
        else:
            return -1
    if j - i == 1:
        return -1
    b = r * 7
    for k in range(7):
        ops[b + k] = 0
    ops[b + 2] = j - i  # raw steps per iteration: the body and the ']'
    ops[b + 6] = i
    if lt == 0 and gt == 0:
        d = (plus - minus) & 255
        if d & 1 == 0:
            return -1
        ops[b] = CLR
        ops[b + 1] = (-_inverse_nb(d)) & 255
        return ntab
    if plus == 0 and minus == 0 and (lt == 0 or gt == 0):
        ops[b] = SCAN
        ops[b + 1] = gt - lt
        return ntab
    if off != 0:
        return -1
    _scratch_adds_nb(code, i + 1, j, lo, hi, scratch)
    counter = scratch[-lo] & 255
    if counter & 1 == 0:
        return -1
    start = ntab + 2
    ntab = _push_adds_nb(scratch, lo, hi, True, moff, mcoef, ntab)
    ops[b] = MUL
    ops[b + 1] = (-_inverse_nb(counter)) & 255
    ops[b + 4] = start
    ops[b + 5] = ntab - start
    return ntab


def _scratch_adds_arr(code, i, j, lo, hi, scratch):
    """The add at each offset of the straight-line code[i:j] of +-<>, into scratch (offset lo
    at index 0, up to hi)."""
    for k in range(hi - lo + 1):
        scratch[k] = 0
    off = 0
    for k in range(i, j):
        c = code[k]
        if c == 62:
            off += 1
        elif c == 60:
            off -= 1
        else:
            scratch[off - lo] += 1 if c == 43 else -1


def _push_adds_arr(scratch, lo, hi, skip_counter, moff, mcoef, ntab):
    """Array version of _push_adds: the pointer range, then the non-zero adds held in scratch
    (offset lo at index 0; offset 0, the loop's counter, left out when ``skip_counter``) from
    table row ntab on. Returns the new table size."""
    moff[ntab] = lo
    moff[ntab + 1] = hi
    mcoef[ntab] = mcoef[ntab + 1] = 0
    ntab += 2
    for o in range(lo, hi + 1):
        if scratch[o - lo] & 255 != 0 and not (skip_counter and o == 0):
            moff[ntab] = o
            mcoef[ntab] = scratch[o - lo] & 255
            ntab += 1
    return ntab


def _put(ops, r, op, a, raw):
    b = r * 7
    for k in range(7):
        ops[b + k] = 0
    ops[b] = op
    ops[b + 1] = a
    ops[b + 2] = 1
    ops[b + 6] = raw


def _fold_arr(code, i, j, ops, r):
    """Array version of _folds: writes the plain ops for code[i:j] from row r and returns how
    many; with r < 0 it only counts them."""
    count = 0
    while i < j:
        c = code[i]
        k = i
        if c == 43 or c == 45:
            d = 0
            while k < j and (code[k] == 43 or code[k] == 45):
                d += 1 if code[k] == 43 else -1
                k += 1
            if r >= 0:
                _put_nb(ops, r + count, ADD, d & 255, i)
        else:
            while k < j and code[k] == c:
                k += 1
            if r >= 0:
                _put_nb(ops, r + count, MOVE, k - i if c == 62 else i - k, i)
        if r >= 0:
            ops[(r + count) * 7 + 2] = k - i
        count += 1
        i = k
    return count


def _block_arr(code, i, j, ops, r, moff, mcoef, ntab, scratch):
    """Array version of _block: writes the BLOCK op for code[i:j] as row r; returns the new
    table size."""
    off = lo = hi = 0
    for k in range(i, j):
        if code[k] == 62:
            off += 1
            hi = max(hi, off)
        elif code[k] == 60:
            off -= 1
            lo = min(lo, off)
    _scratch_adds_nb(code, i, j, lo, hi, scratch)
    start = ntab + 2
    ntab = _push_adds_nb(scratch, lo, hi, False, moff, mcoef, ntab)
    _put_nb(ops, r, BLOCK, off, i)
    b = r * 7
    ops[b + 2] = j - i
    ops[b + 4] = start
    ops[b + 5] = ntab - start
    return ntab


def _compile_arr(src, s0, s1, code, where, match, stack, open_opt, ops, moff, mcoef, scratch):
    """Array version of _compile (same IR, for numba): compiles src[s0:s1] into ops/moff/mcoef,
    and where[k] = offset in src[s0:s1] of instruction k. Returns (rows, table size); rows is
    -1 for an unmatched bracket."""
    n = 0
    for i in range(s0, s1):
        c = src[i]
        if c == 43 or c == 45 or c == 60 or c == 62 or c == 46 or c == 44 or c == 91 or c == 93:
            code[n] = c
            where[n] = i - s0
            n += 1
    sp = 0
    for i in range(n):
        if code[i] == 91:
            stack[sp] = i
            sp += 1
        elif code[i] == 93:
            if sp == 0:
                return -1, 0
            sp -= 1
            match[i] = stack[sp]
            match[stack[sp]] = i
    if sp:
        return -1, 0
    rows = ntab = 0
    i = 0
    while i < n:
        c = code[i]
        j = i + 1
        if c == 43 or c == 45 or c == 60 or c == 62:
            j = i
            while j < n and (code[j] == 43 or code[j] == 45 or code[j] == 60 or code[j] == 62):
                j += 1
            blk = -1
            if _fold_nb(code, i, j, ops, -1) >= BLOCK_MIN:
                ntab = _block_arr_nb(code, i, j, ops, rows, moff, mcoef, ntab, scratch)
                blk = rows
                rows += 1
            rows += _fold_nb(code, i, j, ops, rows)
            if blk >= 0:
                ops[blk * 7 + 3] = rows
        elif c == 91:
            got = _closed_form_nb(code, i, match[i], ops, rows, moff, mcoef, ntab, scratch)
            open_opt[sp] = -1
            if got >= 0:
                ntab = got
                open_opt[sp] = rows
                rows += 1
            stack[sp] = rows
            sp += 1
            _put_nb(ops, rows, JZ, 0, i)
            rows += 1
        elif c == 93:
            sp -= 1
            _put_nb(ops, rows, JNZ, stack[sp] + 1, i)
            rows += 1
            ops[stack[sp] * 7 + 1] = rows
            if open_opt[sp] >= 0:
                ops[open_opt[sp] * 7 + 3] = rows
        else:
            _put_nb(ops, rows, OUT if c == 46 else IN, 0, i)
            rows += 1
        i = j
    return rows, ntab


# Plain-Python bindings; _jitted() rebinds them to numba-compiled versions.
_inverse_nb, _put_nb, _closed_form_nb = _inverse, _put, _closed_form_arr
_fold_nb, _block_arr_nb = _fold_arr, _block_arr


def _run_sources(src, s_starts, s_ends, inp, in_starts, in_ends, tape_len, eof_mode, wrap,
                 max_steps, max_output, res):
    """Compile and run each source src[s_starts[i]:s_ends[i]] in turn; res[i] = (code, steps,
    source offset of the stop, left, output start, output length), code -1 for a syntax error.
    Returns every
    program's output, concatenated. (``np`` is a module global set by _jitted(): numba cannot
    compile an import statement.)"""
    longest = 1
    for i in range(len(s_starts)):
        longest = max(longest, s_ends[i] - s_starts[i])
    code = np.empty(longest, np.uint8)
    where = np.empty(longest, np.int64)
    match = np.empty(longest, np.int64)
    stack = np.empty(longest + 1, np.int64)
    open_opt = np.empty(longest + 1, np.int64)
    ops = np.empty((2 * longest + 1) * 7, np.int64)
    # Table entries: a closed-form loop's and the BLOCK of its fallback body each take at most
    # one per instruction of the body, and two more each for the pointer range (a BLOCK has 3
    # instructions or more, a closed form with moves 6 or more).
    moff = np.empty(4 * longest + 4, np.int64)
    mcoef = np.empty(4 * longest + 4, np.int64)
    scratch = np.empty(longest + 2, np.int64)
    tape = np.zeros(tape_len, np.uint8)
    st = np.zeros(7, np.int64)
    pout = np.empty(min(max_output, 4096), np.uint8)
    allout = np.empty(1 << 16, np.uint8)
    total = 0
    for i in range(len(s_starts)):
        rows, _ = _compile_nb(src, s_starts[i], s_ends[i], code, where, match, stack, open_opt,
                              ops, moff, mcoef, scratch)
        res[i, 4] = total
        if rows < 0:
            res[i, 0] = -1
            continue
        tape[:] = 0
        st[:] = 0
        program_inp = inp[in_starts[i]:in_ends[i]]
        while True:
            result = _execute_nb(ops, moff, mcoef, tape, st, pout, program_inp, rows, tape_len,
                                 eof_mode, wrap, 255, max_steps, max_output, UNLIMITED)
            if result != OUT_FULL:
                break
            bigger = np.empty(min(max_output, 2 * len(pout) + 4096), np.uint8)
            bigger[:len(pout)] = pout
            pout = bigger
        olen = st[3]
        if total + olen > len(allout):
            grown = np.empty(2 * (total + olen), np.uint8)
            grown[:total] = allout[:total]
            allout = grown
        allout[total:total + olen] = pout[:olen]
        res[i, 0] = result
        res[i, 1] = st[2]
        res[i, 2] = where[st[5]] if result != DONE else 0
        res[i, 3] = st[6]
        res[i, 5] = olen
        total += olen
    return allout[:total]


_jit: dict = {}
_jit_lock = threading.Lock()  # the TUI and the trainer may call in from worker threads


def _jitted():
    """Compile (or load from numba's on-disk cache) the numba executors, once per process."""
    if _jit:
        return _jit
    with _jit_lock:
        if not _jit:
            _jit.update(_build_jit())
    return _jit


def _build_jit() -> dict:
    import numpy
    from numba import njit

    # Numba resolves the helpers these functions call as globals when it compiles them.
    global _execute_nb, _inverse_nb, _put_nb, _closed_form_nb, _compile_nb, np
    global _fold_nb, _block_arr_nb, _push_adds_nb, _scratch_adds_nb
    np = numpy
    jit = njit(cache=True, nogil=True)
    _execute_nb = jit(_execute)
    _inverse_nb, _put_nb, _push_adds_nb = jit(_inverse), jit(_put), jit(_push_adds_arr)
    _scratch_adds_nb = jit(_scratch_adds_arr)
    _closed_form_nb = jit(_closed_form_arr)
    _fold_nb, _block_arr_nb = jit(_fold_arr), jit(_block_arr)
    _compile_nb = jit(_compile_arr)
    return {"execute": _execute_nb, "compile": _compile_nb, "batch": jit(_run_sources)}


# ---- running -----------------------------------------------------------------------------
def _result(prog: Program, code: int, st, output: bytes, config: Config) -> RunResult:
    steps = int(st[2])
    if code == DONE:
        return RunResult(output, steps, "ok", None)
    raw = int(st[5])
    if code == TAPE:
        return RunResult(output, steps, "error",
                         prog.tape_error(raw, steps + 1, bool(st[6]), config.tape_len))
    kind = "step_limit" if code == STEP_LIMIT else "output_limit"
    limit = config.max_steps if code == STEP_LIMIT else config.max_output
    return RunResult(output, steps, kind, prog.limit_error(kind, raw, steps + 1, limit))


def _grow(out, max_output: int):
    extra = max(min(max_output, 2 * len(out) + 4096) - len(out), 0)
    if isinstance(out, bytearray):
        out.extend(bytes(extra))
        return out
    import numpy as np

    return np.concatenate([out, np.zeros(extra, np.uint8)])


def run(source: str | bytes | Program, input: bytes = b"", config: Config = Config(), *,
        jit_after: int | None = JIT_AFTER, native: bool = True, on_output=None) -> RunResult:
    """Run a whole program. Syntax errors come back as a result with status "error".
    ``jit_after``: ops run in pure Python before switching to compiled code (0: compiled from
    the start, None: never). The compiled tier is native code (:mod:`bfcore.interp.native`) for a run
    with no step or output limit on a tape that does not wrap, when ``native`` and llvmlite
    allow, else numba. ``on_output``: called with the output in pieces as it is produced (and
    then left out of the result), so that a long run shows it and Ctrl-C keeps it."""
    try:
        prog = parse(source)
    except BFSyntaxError as exc:
        return RunResult(b"", 0, "error", exc)
    out = _Output(config.max_output, on_output)
    try:
        return _run(prog, bytes(input), config, out, jit_after, native)
    except KeyboardInterrupt:  # the output so far goes out before the interrupt does
        out.flush(out.st)
        raise


def _run(prog: Program, inp: bytes, config: Config, out: "_Output", jit_after, native):
    ops, moff, mcoef = compiled(prog, config.cell_mask)
    end = len(ops) // W
    st = out.st = [0] * 7
    tape = new_tape(config)

    def python(budget: int) -> int:
        """The plain-Python executor for ``budget`` ops (a full output buffer is no stop)."""
        while True:
            code = _execute(ops, moff, mcoef, tape, st, out.buf, inp, end, *out.args(config),
                            budget)
            if code != OUT_FULL:
                return code
            out.full(st)

    if jit_after is None or jit_after > 0:
        code = python(UNLIMITED if jit_after is None else jit_after)
        if code != BUDGET:
            return _result(prog, code, st, out.take(st), config)
    out.flush(st)
    fn = None
    if native and end <= NATIVE_MAX_OPS and config.max_steps == UNLIMITED \
            and config.max_output == UNLIMITED and config.bounds == "error":
        fn = _native_function(prog, config)
    if fn is None:
        return _run_jit(prog, tape, st, out, inp, end, config)
    while st[0] < end and ops[st[0] * W] not in (OUT, JNZ):  # where native code can be entered
        code = python(1)
        if code != BUDGET:
            return _result(prog, code, st, out.take(st), config)
    return _run_native(fn, prog, tape, st, out, inp, end, config)


def _native_function(prog: Program, config: Config):
    """The program's native code, or None, with one warning, when llvmlite cannot build it here
    or the compile fails (a bug, which must not stop the run: numba runs it instead)."""
    from bfcore.interp import native

    try:
        return native.function(prog, EOF_CODE[config.eof], config.cell_bits)
    except Exception as exc:
        why = exc if isinstance(exc, native.NativeUnavailable) else \
            f"compiling failed ({type(exc).__name__}: {exc})"
        import warnings

        warnings.warn(f"native code unavailable, using numba: {why}", RuntimeWarning, 4)
        return None


class _Output:
    """The output buffer of one run, and where full buffers go: kept, or to ``on_output``."""

    def __init__(self, max_output: int, sink):
        self.max_output, self.sink = max_output, sink
        self.buf = bytearray(min(max_output, 4096))
        self.sent = 0  # bytes already given to the sink
        self.kept: list[bytes] = []
        self.st = None  # the state whose output length counts the buffer (tiers swap it)

    def args(self, config: Config) -> tuple:
        return (config.tape_len, EOF_CODE[config.eof], config.bounds == "wrap", config.cell_mask,
                config.max_steps, config.max_output - self.sent)

    def full(self, st) -> None:
        """The buffer is full: pass it on (streaming), or make it bigger."""
        if self.sink is None:
            self.buf = _grow(self.buf, self.max_output)
        else:
            self.flush(st)
            if len(self.buf) < 1 << 16:
                self.buf = _grow(self.buf, self.max_output)

    def flush(self, st) -> None:
        if self.sink is not None and st[3]:
            data = bytes(self.buf[:st[3]])
            self.sent += len(data)
            st[3] = 0
            self.sink(data)

    def take(self, st) -> bytes:
        """What the result holds: everything, or (streaming) nothing once the rest is sent."""
        self.flush(st)
        return b"".join(self.kept) + bytes(self.buf[:st[3]])


def _run_native(fn, prog, tape, st, out, inp, end, config) -> RunResult:
    import ctypes

    from bfcore.interp.native import CHUNK

    if len(out.buf) < 1 << 16:
        grown = bytearray(1 << 16)
        grown[:st[3]] = out.buf[:st[3]]
        out.buf = grown
    c_st = (ctypes.c_int64 * 7)(*st)
    c_inp = (ctypes.c_char * max(len(inp), 1)).from_buffer(bytearray(inp or b"\0"))
    c_tape = (ctypes.c_char * memoryview(tape).nbytes).from_buffer(tape)
    while True:
        c_out = (ctypes.c_char * len(out.buf)).from_buffer(out.buf)
        code = fn(ctypes.addressof(c_tape), ctypes.addressof(c_st), ctypes.addressof(c_out),
                  ctypes.addressof(c_inp), len(inp), len(out.buf), len(tape), CHUNK)
        del c_out  # a bytearray with a ctypes view cannot be resized
        st[:] = list(c_st)
        if code == OUT_FULL:
            if out.sink is None:  # keep the full buffer, start an empty one
                out.kept.append(bytes(out.buf[:st[3]]))
                st[3] = 0
            else:
                out.flush(st)
        elif code == BUDGET:
            out.flush(st)  # Ctrl-C is seen here, and the output so far shown
        elif code == DONE:
            return _result(prog, code, st, out.take(st), config)
        else:  # BAIL: the executor runs the op that stops the program, exactly
            del c_tape
            return _run_jit(prog, tape, st, out, inp, end, config)
        c_st[:] = st


def _run_jit(prog, tape, st, out, inp, end, config) -> RunResult:
    import numpy as np

    execute = _jitted()["execute"]
    a_ops, a_moff, a_mcoef = _compiled_arrays(prog, config.cell_mask)
    cell = {8: np.uint8, 16: np.uint16, 32: np.uint32}[config.cell_bits]
    a_tape = np.frombuffer(tape, cell)  # shares the tape: the state carries over
    a_st = out.st = np.asarray(st, np.int64)
    a_out = np.frombuffer(bytearray(out.buf), np.uint8)  # a writable copy
    a_inp = np.frombuffer(bytearray(inp), np.uint8)
    out.buf = a_out
    while True:
        # Bounded chunks: numba code cannot see Ctrl-C, Python between chunks can.
        code = execute(a_ops, a_moff, a_mcoef, a_tape, a_st, out.buf, a_inp, end,
                       *out.args(config), JIT_CHUNK)
        if code == OUT_FULL:
            out.full(a_st)
        elif code == BUDGET:
            out.flush(a_st)
        else:
            return _result(prog, code, a_st, out.take(a_st), config)


def run_many(sources: Sequence[str | bytes | Program], inputs: bytes | Sequence[bytes] = b"",
             config: Config = Config()) -> list[RunResult]:
    """Compile and run a batch of programs in one call into numba (the training scorer).
    ``inputs`` is one input for every program, or one per program."""
    import numpy as np

    if config.cell_bits != 8:
        raise ValueError("run_many scores 8-bit cells only")
    n = len(sources)
    if isinstance(inputs, (bytes, bytearray, memoryview)):
        inputs = [bytes(inputs)] * n
    if len(inputs) != n:
        raise ValueError(f"run_many: {n} programs but {len(inputs)} inputs")
    if n == 0:
        return []
    texts = [s.source if isinstance(s, Program) else s for s in sources]
    blobs = [t.encode("utf-8", "replace") if isinstance(t, str) else bytes(t) for t in texts]
    src, s_starts, s_ends = _concat(blobs)
    inp, in_starts, in_ends = _concat([bytes(x) for x in inputs])
    res = np.zeros((n, 6), np.int64)
    allout = _jitted()["batch"](src, s_starts, s_ends, inp, in_starts, in_ends, config.tape_len,
                                EOF_CODE[config.eof], config.bounds == "wrap", config.max_steps,
                                config.max_output, res).tobytes()
    results = []
    for text, blob, (code, steps, offset, left, o0, olen) in zip(texts, blobs, res.tolist()):
        output = allout[o0:o0 + olen]
        if code == DONE:
            results.append(RunResult(output, steps, "ok", None))
        elif code < 0:
            results.append(run(text))  # the syntax error, with its line and column
        else:
            results.append(_stopped(text, blob, code, steps, offset, left, output, config))
    return results


def _stopped(text, blob: bytes, code: int, steps: int, offset: int, left: int, output: bytes,
             config: Config) -> RunResult:
    """The result of a batch run that stopped early at byte ``offset`` of its source."""
    if not isinstance(text, str):
        text = blob.decode("utf-8", errors="replace")
    if not blob.isascii():  # a byte offset; positions count characters
        offset = len(blob[:offset].decode("utf-8", errors="replace"))
    if code == TAPE:
        error = tape_error(text, offset, steps + 1, bool(left), config.tape_len)
        return RunResult(output, steps, "error", error)
    kind = "step_limit" if code == STEP_LIMIT else "output_limit"
    limit = config.max_steps if code == STEP_LIMIT else config.max_output
    return RunResult(output, steps, kind, limit_error(text, kind, offset, steps + 1, limit))


def _concat(blobs: list[bytes]):
    import numpy as np

    lens = np.fromiter(map(len, blobs), np.int64, len(blobs))
    ends = np.cumsum(lens)
    return np.frombuffer(bytearray(b"".join(blobs)), np.uint8), ends - lens, ends


__all__ = ["run", "run_many", "RunResult", "compiled"]
