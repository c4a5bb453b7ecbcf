"""The fast path (both tiers and the batch scorer), the stepping Machine and a tiny reference
interpreter agree byte for byte: output, status, step count, error kind, position and step."""

import random

import pytest
from hypothesis import given, settings, strategies as st

from bfcore.interp.fast import W, run, run_many
from bfcore.interp.machine import Machine
from bfcore.interp.program import Config
from bfcore.interp.randprog import random_flat, random_program


def reference(src, inp=b"", cfg=Config()):
    """No optimizations: one instruction at a time. Returns (output, steps, status, kind, pos, step)."""
    code = [(i, c) for i, c in enumerate(src) if c in "+-<>.,[]"]
    jump, stack = {}, []
    for k, (_, c) in enumerate(code):
        if c == "[":
            stack.append(k)
        elif c == "]":
            j = stack.pop()
            jump[j], jump[k] = k, j
    tape, ptr, ip, steps, out, inp = [0] * cfg.tape_len, 0, 0, 0, bytearray(), list(inp)
    while ip < len(code):
        pos, c = code[ip]
        stop = lambda kind: (bytes(out), steps, "error" if kind == "tape" else kind, kind, pos, steps + 1)
        if steps >= cfg.max_steps:
            return stop("step_limit")
        if c in "<>":
            ptr += 1 if c == ">" else -1
            if not 0 <= ptr < cfg.tape_len:
                if cfg.bounds == "error":
                    return stop("tape")
                ptr %= cfg.tape_len
        elif c in "+-":
            tape[ptr] = (tape[ptr] + (1 if c == "+" else -1)) & cfg.cell_mask
        elif c == ".":
            if len(out) >= cfg.max_output:
                return stop("output_limit")
            out.append(tape[ptr] & 255)
        elif c == ",":
            if inp:
                tape[ptr] = inp.pop(0)
            elif cfg.eof != "keep":
                tape[ptr] = 0 if cfg.eof == "zero" else cfg.cell_mask
        elif (c == "[") == (tape[ptr] == 0):
            ip = jump[ip]
        ip, steps = ip + 1, steps + 1
    return bytes(out), steps, "ok", None, None, None


def summary(result):
    err = result.error
    return (result.output, result.steps, result.status, err and err.kind, err and err.pos, err and err.step)


def machine_result(src, inp, cfg):
    m = Machine(src, inp, cfg)
    m.run()
    return m.result()


def check_all_agree(src, inp=b"", cfg=Config()):
    want = reference(src, inp, cfg)
    fast_results = [run(src, inp, cfg, jit_after=j) for j in (None, 0, 1, 7)]
    if cfg.cell_bits == 8:  # the batch scorer's cells are bytes
        fast_results.append(run_many([src], [inp], cfg)[0])
    m = machine_result(src, inp, cfg)
    assert summary(m) == want, src
    for r in fast_results:
        assert r == m, src  # RunResult equality includes the error's message, line and column
    return m


@pytest.mark.parametrize("seed", range(60))
def test_random_nested_programs_agree(seed):
    cfg = Config(max_steps=200_000)
    check_all_agree(random_program(seed, items=8, max_depth=3), b"hello", cfg)


@pytest.mark.parametrize("bits", [16, 32])
@pytest.mark.parametrize("seed", range(15))
def test_random_programs_agree_with_wide_cells(seed, bits):
    rng = random.Random(seed)
    cfg = Config(cell_bits=bits, eof=rng.choice(["zero", "max", "keep"]), max_steps=200_000)
    check_all_agree(random_program(rng, items=8, max_depth=3), b"hi", cfg)


def test_wide_cells_wrap_at_their_width_and_print_the_low_byte():
    src = "-.>" + "+" * 300 + "."  # 255, 65535 or 2**32-1, then 300: each printed as its low byte
    for bits in (8, 16, 32):
        assert check_all_agree(src, b"", Config(cell_bits=bits)).output == bytes([255, 44])
        m = Machine(src, b"", Config(cell_bits=bits))
        m.run()
        assert m.tape[0] == (1 << bits) - 1 and m.tape[1] == 300 & ((1 << bits) - 1)
    r = check_all_agree(",-[>+<-]>.", b"\x00", Config(cell_bits=16, max_steps=10_000_000))
    assert r.output == b"\xff" and r.steps > 65535 * 2  # the loop ran 65535 times


@pytest.mark.parametrize("seed", range(20))
def test_random_programs_agree_in_wrap_mode_on_small_tapes(seed):
    rng = random.Random(seed)
    cfg = Config(tape_len=rng.randint(1, 9), bounds="wrap", eof=rng.choice(["zero", "max", "keep"]),
                 max_steps=50_000)
    check_all_agree(random_program(rng, items=8, max_depth=2, cells=4), b"ab", cfg)


def test_run_many_matches_single_runs():
    progs = [random_program(s, items=6) for s in range(40)] + [random_flat(s, 100) for s in range(40)]
    progs += ["é\n[", "+[]", "ünï\n cödé <", b"\xff\xfe\n+>>\xc3<<<", "+[.]"]
    inputs = [bytes([s % 7]) * (s % 3) for s in range(len(progs))]
    cfg = Config(max_steps=100_000, max_output=50)
    batch = run_many(progs, inputs, cfg)
    assert batch == [run(p, i, cfg, jit_after=None) for p, i in zip(progs, inputs)]
    assert batch[-1].status == "output_limit" and batch[-5].error.kind == "syntax"
    assert (batch[-3].error.line, batch[-3].error.col) == (2, 7)
    assert (batch[-2].error.line, batch[-2].error.col) == (2, 7)


def test_every_step_budget_stops_at_the_same_place():
    # Cut the run at every possible step: closed-form loops must fall back exactly.
    src = "++++[>+++[>++<-]<-]>>[>+>+<<-]+[>]<<[<]>,[-].>>>+++[<<+>>-]<<."
    full = reference(src, b"z")[1]
    for max_steps in range(full + 2):
        check_all_agree(src, b"z", Config(max_steps=max_steps))


def test_every_output_budget_stops_at_the_same_place():
    src = "+++[>++++[>.+<-]<-]"
    for max_output in range(14):
        r = check_all_agree(src, b"", Config(max_output=max_output))
        assert len(r.output) == min(12, max_output)


def test_closed_form_loops_near_the_tape_edges():
    for tape_len in range(1, 6):
        for bounds in ("error", "wrap"):
            cfg = Config(tape_len=tape_len, bounds=bounds, max_steps=20_000)
            for src in ["+++[->++<]", "+++[-<++>]", ">>+++[->>+<<]", "+[>+]", "+>+>+[<]",
                        "++[>>]", "+>+<[>>>-]", "+++[->+<<+>]", ">+[-<+++>]<.", ">+>++<<-.",
                        "+>>>+<<-<+.", "<+>>+<", "+++[>+>-<<-]", "+[>+>+>+<<<+]"]:
                check_all_agree(src, b"", cfg)


programs = st.recursive(
    st.text(alphabet="+-<>.,", max_size=6),
    lambda inner: st.lists(inner, max_size=4).map(lambda xs: "[" + "".join(xs) + "]")
    | st.lists(inner, min_size=2, max_size=4).map("".join),
    max_leaves=16,
)
configs = st.builds(
    Config,
    tape_len=st.integers(1, 12),
    eof=st.sampled_from(["zero", "max", "keep"]),
    bounds=st.sampled_from(["error", "wrap"]),
    max_steps=st.integers(0, 3000),
    max_output=st.integers(0, 40),
)


@settings(max_examples=300, deadline=None)
@given(src=st.tuples(st.text(alphabet="+>", max_size=4), programs).map("".join),
       inp=st.binary(max_size=4), cfg=configs)
def test_hypothesis_programs_agree(src, inp, cfg):
    check_all_agree(src, inp, cfg)


def _array_compile(src, compile_fn):
    import numpy as np

    data = np.frombuffer(src.encode(), np.uint8)
    n = len(data) + 1
    ints = lambda size: np.zeros(size, np.int64)
    ops, moff, mcoef = ints((2 * n + 1) * W), ints(4 * n + 4), ints(4 * n + 4)
    rows, ntab = compile_fn(data, 0, len(data), np.zeros(n, np.uint8), ints(n), ints(n), ints(n),
                            ints(n), ops, moff, mcoef, ints(n + 1))
    if rows < 0:
        return None
    return ops[:rows * W].tolist(), moff[:ntab].tolist(), mcoef[:ntab].tolist()


@pytest.mark.parametrize("jitted", [False, True])
def test_batch_compiler_builds_the_same_ir(jitted):
    # run_many compiles inside numba with an array version of the compiler; it must emit the
    # very same IR as the Python compiler used by run().
    from bfcore.interp import fast
    from bfcore.interp.program import parse

    compile_fn = fast._jitted()["compile"] if jitted else fast._compile_arr
    rng = random.Random(jitted)
    srcs = [random_program(rng, items=10) for _ in range(150)] + [random_flat(rng, 50) for _ in range(20)]
    srcs += ["[-]", "[+++]", "[--]", "[>>]", "[<]", "[->+<<++>]", "[>+<]", "[]", "[[-]>]", "a[b-c]d",
             ">+<", ">+<-", "+-+-", "+-<>", "><><><", "[->+<]", "+>+>+>+<<<<[->>+<<]"]
    for src in srcs:
        assert _array_compile(src, compile_fn) == tuple(map(list, fast.compiled(parse(src)))), src
    assert _array_compile("[[]", compile_fn) is None and _array_compile("]", compile_fn) is None
