"""The fast path: run whole programs (``run``) and score batches of them (``run_many``).

A program is compiled once into a flat int IR, 9 ints per op (see ``_compile``): folded runs of
``+-`` and of ``>``/``<``, and closed forms for loops with no I/O and no inner loops: clear loops
(``[-]``), copy/multiply loops (``[->+>++<<]``) and scans (``[>]``). Each closed-form loop op is
followed by the plain version of the same loop; the op falls through to it whenever the closed
form cannot reproduce the Machine exactly (the step budget would run out inside the loop, the
pointer would leave the tape, the loop never ends), so results, step counts and error positions
always match ``bfcore.machine.Machine``.

One executor, ``_execute``, runs the IR. It is written so it runs unchanged as plain Python on
lists and bytearrays (the first tier: starts instantly) and under ``numba.njit`` on arrays (the
second tier: numba is imported, and its cached machine code loaded, only when a run outlives
``jit_after`` ops, or for ``run_many``).
"""

from __future__ import annotations

from collections.abc import Sequence

from bfcore.errors import BFSyntaxError
from bfcore.program import Config, Program, RunResult, parse

W = 9  # ints per op: op, a, b, c, d, e, f, g, raw (index of the op's first raw instruction)
ADD, MOVE, OUT, IN, JZ, JNZ, CLR, MUL, SCAN = range(1, 10)
# _execute return codes
DONE, TAPE, STEP_LIMIT, OUTPUT_LIMIT, OUT_FULL, BUDGET = range(6)
EOF_CODE = {"zero": 0, "max": 1, "keep": 2}
UNLIMITED = 1 << 62
JIT_AFTER = 100_000  # ops run in pure Python before handing over to numba


# ---- compiling ---------------------------------------------------------------------------
def _closed_form(code: str, i: int, j: int, moff: list[int], mcoef: list[int]):
    """A closed-form op (without its skip target) for the loop code[i..j], or None."""
    body = code[i + 1:j]
    if not body or any(ch in "[].," for ch in body):
        return None
    cost = len(body) + 1  # raw steps per iteration: the body and the ']'
    if body.strip("+-") == "":
        delta = (body.count("+") - body.count("-")) & 255
        return [CLR, (-pow(delta, -1, 256)) & 255, cost] if delta & 1 else None
    if body.strip("<>") == "" and len(set(body)) == 1:
        return [SCAN, len(body) if body[0] == ">" else -len(body), cost]
    off = lo = hi = 0
    adds: dict[int, int] = {}
    for ch in body:
        if ch == ">":
            off += 1
            hi = max(hi, off)
        elif ch == "<":
            off -= 1
            lo = min(lo, off)
        else:
            adds[off] = adds.get(off, 0) + (1 if ch == "+" else -1)
    counter = adds.pop(0, 0) & 255
    if off != 0 or not counter & 1:
        return None
    start = len(moff)
    for o, c in sorted(adds.items()):
        if c & 255:
            moff.append(o)
            mcoef.append(c & 255)
    return [MUL, (-pow(counter, -1, 256)) & 255, cost, 0, start, len(moff) - start, lo, hi]


def _compile(prog: Program) -> tuple[list[int], list[int], list[int]]:
    code, match = prog.code, prog.match
    ops: list[list[int]] = []
    moff: list[int] = []
    mcoef: list[int] = []
    open_rows: list[tuple[int, int]] = []  # (row of the closed form or -1, row of the JZ)
    i, n = 0, len(code)
    while i < n:
        ch = code[i]
        if ch in "+-":
            j = i
            while j < n and code[j] in "+-":
                j += 1
            delta = code.count("+", i, j) - code.count("-", i, j)
            ops.append([ADD, delta & 255, j - i, 0, 0, 0, 0, 0, i])
        elif ch in "<>":
            j = i
            while j < n and code[j] == ch:
                j += 1
            ops.append([MOVE, j - i if ch == ">" else i - j, j - i, 0, 0, 0, 0, 0, i])
        elif ch == "[":
            j = i + 1
            fast = _closed_form(code, i, match[i], moff, mcoef)
            opt_row = -1
            if fast is not None:
                opt_row = len(ops)
                ops.append((fast + [0] * W)[:W - 1] + [i])
            open_rows.append((opt_row, len(ops)))
            ops.append([JZ, 0, 1, 0, 0, 0, 0, 0, i])
        elif ch == "]":
            j = i + 1
            opt_row, jz = open_rows.pop()
            ops.append([JNZ, jz + 1, 1, 0, 0, 0, 0, 0, i])
            ops[jz][1] = len(ops)
            if opt_row >= 0:
                ops[opt_row][3] = len(ops)
        else:
            j = i + 1
            ops.append([OUT if ch == "." else IN, 0, 1, 0, 0, 0, 0, 0, i])
        i = j
    return [x for row in ops for x in row], moff, mcoef


def compiled(prog: Program):
    """The program's IR: (flat ops, multiply offsets, multiply coefficients), built once."""
    if prog._ir is None:
        prog._ir = _compile(prog)
    return prog._ir


# ---- the executor (plain Python and numba) -----------------------------------------------
def _execute(ops, moff, mcoef, tape, st, out, inp, end, tape_len, eof_mode, wrap,
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
        b = ip * 9
        op = ops[b]
        if op == 1:  # ADD
            n = ops[b + 2]
            if steps + n > max_steps:
                st[5] = ops[b + 8] + max_steps - steps
                steps = max_steps
                result = STEP_LIMIT
                break
            tape[ptr] = (tape[ptr] + ops[b + 1]) & 255
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
                        st[5] = ops[b + 8] + max_steps - steps
                        steps = max_steps
                        result = STEP_LIMIT
                        break
                    st[5] = ops[b + 8] + ok_moves
                    st[6] = 1 if d < 0 else 0
                    steps += ok_moves
                    ptr = 0 if d < 0 else tape_len - 1
                    result = TAPE
                    break
            if steps + n > max_steps:
                st[5] = ops[b + 8] + max_steps - steps
                steps = max_steps
                result = STEP_LIMIT
                break
            ptr = q
            steps += n
            ip += 1
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
                k = (v * ops[b + 1]) & 255
            cost = 1 + k * ops[b + 2]
            if steps + cost > max_steps:
                ip += 1
                continue
            if op == 9:
                ptr = q
            else:
                if op == 8:  # MUL
                    lo = ops[b + 6]
                    hi = ops[b + 7]
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
                        tape[q] = (tape[q] + k * mcoef[t]) & 255
                tape[ptr] = 0
            steps += cost
            ip = ops[b + 3]
        else:
            if steps >= max_steps:
                st[5] = ops[b + 8]
                result = STEP_LIMIT
                break
            if op == 5:  # JZ
                ip = ops[b + 1] if tape[ptr] == 0 else ip + 1
            elif op == 6:  # JNZ
                ip = ops[b + 1] if tape[ptr] != 0 else ip + 1
            elif op == 3:  # OUT
                if olen >= max_output:
                    st[5] = ops[b + 8]
                    result = OUTPUT_LIMIT
                    break
                if olen >= cap:
                    result = OUT_FULL
                    break
                out[olen] = tape[ptr]
                olen += 1
                ip += 1
            else:  # IN
                if in_pos < n_in:
                    tape[ptr] = inp[in_pos]
                    in_pos += 1
                elif eof_mode == 0:
                    tape[ptr] = 0
                elif eof_mode == 1:
                    tape[ptr] = 255
                ip += 1
            steps += 1
    st[0] = ip
    st[1] = ptr
    st[2] = steps
    st[3] = olen
    st[4] = in_pos
    return result


def _run_batch(ops, moff, mcoef, starts, ends, inp, in_starts, in_ends, tape_len, eof_mode,
               wrap, max_steps, max_output, res):
    """Run programs ops[starts[i]:ends[i]] one after another; res[i] = (code, steps, raw index,
    left, output start, output length). Returns every program's output, concatenated.
    (``np`` is a module global set by _jitted(): numba cannot compile an import statement.)"""
    tape = np.zeros(tape_len, np.uint8)
    st = np.zeros(7, np.int64)
    pout = np.empty(min(max_output, 4096), np.uint8)
    allout = np.empty(1 << 16, np.uint8)
    total = 0
    for i in range(len(starts)):
        tape[:] = 0
        st[:] = 0
        st[0] = starts[i]
        program_inp = inp[in_starts[i]:in_ends[i]]
        while True:
            code = _execute_nb(ops, moff, mcoef, tape, st, pout, program_inp, ends[i], tape_len,
                               eof_mode, wrap, max_steps, max_output, UNLIMITED)
            if code != OUT_FULL:
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
        res[i, 0] = code
        res[i, 1] = st[2]
        res[i, 2] = st[5]
        res[i, 3] = st[6]
        res[i, 4] = total
        res[i, 5] = olen
        total += olen
    return allout[:total]


_jit: dict = {}


def _jitted():
    """Compile (or load from numba's on-disk cache) the numba executors, once per process."""
    if not _jit:
        import numpy
        from numba import njit

        global _execute_nb, np
        np = numpy
        _execute_nb = njit(cache=True, nogil=True)(_execute)
        _jit["execute"] = _execute_nb
        _jit["batch"] = njit(cache=True, nogil=True)(_run_batch)
    return _jit


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
    extra = min(max_output, 2 * len(out) + 4096) - len(out)
    if isinstance(out, bytearray):
        out.extend(bytes(extra))
        return out
    import numpy as np

    return np.concatenate([out, np.zeros(extra, np.uint8)])


def run(source: str | bytes | Program, input: bytes = b"", config: Config = Config(), *,
        jit_after: int | None = JIT_AFTER) -> RunResult:
    """Run a whole program. Syntax errors come back as a result with status "error".
    ``jit_after``: ops run in pure Python before switching to numba (0: numba from the start,
    None: never numba)."""
    try:
        prog = parse(source)
    except BFSyntaxError as exc:
        return RunResult(b"", 0, "error", exc)
    ops, moff, mcoef = compiled(prog)
    end = len(ops) // W
    args = (config.tape_len, EOF_CODE[config.eof], config.bounds == "wrap",
            config.max_steps, config.max_output)
    st = [0] * 7
    tape = bytearray(config.tape_len)
    out = bytearray(min(config.max_output, 4096))
    inp = bytes(input)
    budget = UNLIMITED if jit_after is None else jit_after
    while budget > 0:
        code = _execute(ops, moff, mcoef, tape, st, out, inp, end, *args, budget)
        if code == OUT_FULL:
            out = _grow(out, config.max_output)
        elif code != BUDGET:
            return _result(prog, code, st, bytes(out[:st[3]]), config)
        else:
            break
    return _run_jit(prog, ops, moff, mcoef, tape, st, out, inp, end, args, config)


def _run_jit(prog, ops, moff, mcoef, tape, st, out, inp, end, args, config) -> RunResult:
    import numpy as np

    execute = _jitted()["execute"]
    a_ops = np.asarray(ops, np.int64)
    a_moff = np.asarray(moff, np.int64)
    a_mcoef = np.asarray(mcoef, np.int64)
    a_tape = np.frombuffer(tape, np.uint8)  # shares the bytearray: the state carries over
    a_st = np.asarray(st, np.int64)
    a_out = np.frombuffer(bytearray(out), np.uint8)
    a_inp = np.frombuffer(bytearray(inp), np.uint8)
    while True:
        code = execute(a_ops, a_moff, a_mcoef, a_tape, a_st, a_out, a_inp, end, *args, UNLIMITED)
        if code != OUT_FULL:
            return _result(prog, code, a_st, a_out[:a_st[3]].tobytes(), config)
        a_out = _grow(a_out, config.max_output)


_IR_CACHE: dict[str, tuple] = {}
_IR_CACHE_MAX = 50_000


def _batch_ir(source):
    """(Program, IR) for a source, cached by text: training scores the same programs often."""
    key = source.source if isinstance(source, Program) else source
    hit = _IR_CACHE.get(key) if isinstance(key, str) else None
    if hit is not None:
        return hit
    prog = parse(source)
    entry = (prog, compiled(prog))
    if isinstance(key, str):
        if len(_IR_CACHE) >= _IR_CACHE_MAX:
            _IR_CACHE.clear()
        _IR_CACHE[key] = entry
    return entry


def run_many(sources: Sequence[str | bytes | Program], inputs: bytes | Sequence[bytes] = b"",
             config: Config = Config()) -> list[RunResult]:
    """Run a batch of programs in one call into numba (the training scorer). ``inputs`` is one
    input for every program or one per program."""
    import numpy as np

    n = len(sources)
    if isinstance(inputs, (bytes, bytearray, memoryview)):
        inputs = [bytes(inputs)] * n
    if len(inputs) != n:
        raise ValueError(f"run_many: {n} programs but {len(inputs)} inputs")
    results: list[RunResult | None] = [None] * n
    progs, irs, idx = [], [], []
    for i, source in enumerate(sources):
        try:
            prog, ir = _batch_ir(source)
        except BFSyntaxError as exc:
            results[i] = RunResult(b"", 0, "error", exc)
            continue
        progs.append(prog)
        irs.append(ir)
        idx.append(i)
    if idx:
        res, allout = _batch_call(irs, [inputs[i] for i in idx], config)
        for k, i in enumerate(idx):
            code, _, _, _, o0, olen = (int(x) for x in res[k])
            st = [0, 0, res[k, 1], olen, 0, res[k, 2], res[k, 3]]
            results[i] = _result(progs[k], code, st, allout[o0:o0 + olen].tobytes(), config)
    return results


def _batch_call(irs, inputs, config: Config):
    import numpy as np

    rows = np.fromiter((len(ir[0]) // W for ir in irs), np.int64, len(irs))
    tables = np.fromiter((len(ir[1]) for ir in irs), np.int64, len(irs))
    ends = np.cumsum(rows)
    starts = ends - rows
    table_starts = np.cumsum(tables) - tables
    ops = np.fromiter((x for ir in irs for x in ir[0]), np.int64, int(ends[-1]) * W).reshape(-1, W)
    moff = np.fromiter((x for ir in irs for x in ir[1]), np.int64, int(tables.sum()))
    mcoef = np.fromiter((x for ir in irs for x in ir[2]), np.int64, int(tables.sum()))
    # Jump and table indices are per program; make them absolute in the concatenated arrays.
    row_base = np.repeat(starts, rows)
    kind = ops[:, 0]
    jumps = (kind == JZ) | (kind == JNZ)
    ops[jumps, 1] += row_base[jumps]
    loops = kind >= CLR
    ops[loops, 3] += row_base[loops]
    muls = kind == MUL
    ops[muls, 4] += np.repeat(table_starts, rows)[muls]
    in_lens = np.fromiter((len(x) for x in inputs), np.int64, len(inputs))
    in_ends = np.cumsum(in_lens)
    inp = np.frombuffer(bytearray(b"".join(inputs)), np.uint8)
    res = np.zeros((len(irs), 6), np.int64)
    batch = _jitted()["batch"]
    allout = batch(ops.reshape(-1), moff, mcoef, starts, ends, inp, in_ends - in_lens, in_ends,
                   config.tape_len, EOF_CODE[config.eof], config.bounds == "wrap",
                   config.max_steps, config.max_output, res)
    return res, allout


__all__ = ["run", "run_many", "RunResult", "compiled"]
