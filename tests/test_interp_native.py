"""The native tier (llvmlite) agrees with the stepping Machine byte for byte: output, status, step
count, and for a run that stops, the error's kind, line, column and step (it hands the op that
stops a program back to the executor). It is used for runs with no step or output limit."""

import os
import random
import subprocess
import sys
import warnings

import pytest
from hypothesis import assume, given, settings, strategies as st

from bfcore.interp import native
from bfcore.interp.fast import UNLIMITED, run
from bfcore.interp.machine import Machine
from bfcore.interp.program import Config
from bfcore.interp.randprog import random_program

from test_interp_equivalence import programs, reference

pytest.importorskip("llvmlite")


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("BFTUI_NATIVE_CACHE", str(tmp_path / "native"))


def unlimited(**kw) -> Config:
    return Config(max_steps=UNLIMITED, max_output=UNLIMITED, **kw)


def machine_result(src, inp, cfg):
    m = Machine(src, inp, cfg)
    m.run()
    return m.result()


def check_native(src, inp, cfg):
    want = machine_result(src, inp, cfg)
    for jit_after in (0, 1, 7):  # native from the start, or handed over mid-run
        assert run(src, inp, cfg, jit_after=jit_after) == want, (src, jit_after)
    return want


def test_native_code_is_what_runs(monkeypatch):
    calls = []
    real = native.function
    monkeypatch.setattr(native, "function", lambda *a: calls.append(a) or real(*a))
    assert run("++++++[>++++++++<-]>.", b"", unlimited(), jit_after=0).output == b"0"
    assert len(calls) == 1
    run("+.", b"", Config(), jit_after=0)  # a step limit: numba, not native
    assert len(calls) == 1


@pytest.mark.parametrize("seed", range(40))
def test_random_programs_agree(seed):
    rng = random.Random(seed)
    kw = dict(tape_len=rng.choice([6, 8, 30000]), eof=rng.choice(["zero", "max", "keep"]),
              cell_bits=(8, 16, 32)[seed % 3])
    src = random_program(rng, items=10, max_depth=3)  # it ends with 8-bit cells; wider may not
    inp = bytes(rng.randrange(256) for _ in range(4))
    if reference(src, inp, Config(max_steps=300_000, **kw))[2] == "step_limit":
        kw["cell_bits"] = 8
    check_native(src, inp, unlimited(**kw))


@pytest.mark.parametrize("bits", [16, 32])
def test_wide_cells_natively(bits):
    mask = (1 << bits) - 1
    r = check_native("-.>+++[>+++[>+<-]<-]>>.<<<<", b"", unlimited(cell_bits=bits))
    assert r.output == bytes([mask & 255, 9]) and r.error.kind == "tape"  # the last "<"
    # a multiply loop 2**bits - 1 times (closed form), a clear loop, input and EOF as all ones
    r = run(",-[>+<-]>[>+>+<<-]>>[-]<.,.", b"\x00", unlimited(cell_bits=bits, eof="max"),
            jit_after=0)
    assert r.output == b"\xff\xff" and r.status == "ok"
    if bits == 16:  # the Machine steps through it in a second or two
        check_native(",-[>+<-]>[>+>+<<-]>>[-]<.,.", b"\x00", unlimited(cell_bits=bits,
                                                                        eof="max"))


def test_tape_errors_stop_where_the_machine_stops():
    for src in ["+[>+]", "<", "+++[->>>>>>>>>>+<<<<<<<<<<]", "+[<+]", "+>+>+>+[<]<", "+>+>+>+>+>+>+>+>+>+<<<<<<<<<[>]",
                ">>>>>>>>>>", ",[.>,]"]:
        r = check_native(src, b"abcdefghijklmnop", unlimited(tape_len=10))
        assert r.status == "error" and r.error.kind == "tape", src


def test_output_past_the_buffer_and_every_eof_mode():
    src = "++[>-[>-[.-]<-]<-]"  # 2 * 255 * 255 bytes: past the native tier's 64 KiB buffer
    r = check_native(src, b"", unlimited())
    assert len(r.output) == 2 * 255 * 255 and r.status == "ok"
    for eof in ("zero", "max", "keep"):
        check_native("+++,.,.,.", b"a", unlimited(eof=eof))


def test_streamed_output_is_all_there_and_in_order():
    src = "++[>-[>-[.-]<-]<-]"
    pieces = []
    r = run(src, b"", unlimited(), jit_after=0, on_output=pieces.append)
    assert r.output == b"" and len(pieces) > 1
    assert b"".join(pieces) == run(src, b"", unlimited(), jit_after=None).output


@settings(max_examples=200, deadline=None)
@given(src=st.tuples(st.text(alphabet="+>", max_size=4), programs).map("".join),
       inp=st.binary(max_size=4), tape_len=st.integers(1, 12),
       eof=st.sampled_from(["zero", "max", "keep"]))
def test_hypothesis_programs_agree(src, inp, tape_len, eof):
    # programs that end within 3,000 steps, run again with no limit
    assume(reference(src, inp, Config(tape_len=tape_len, eof=eof, max_steps=3000))[2]
           != "step_limit")
    check_native(src, inp, unlimited(tape_len=tape_len, eof=eof))


def test_compiled_code_is_cached_on_disk_and_a_damaged_file_is_rebuilt(tmp_path):
    src = "+++++[>+++++[>+>++<<-]<-]>>.>."
    script = ("import sys; from bfcore.interp.fast import run, UNLIMITED; from bfcore.interp.program import Config;"
              f"sys.stdout.buffer.write(run({src!r}, b'', Config(max_steps=UNLIMITED, "
              "max_output=UNLIMITED), jit_after=0).output)")
    env = {**os.environ, "BFTUI_NATIVE_CACHE": str(tmp_path / "native")}
    first = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True)
    files = list((tmp_path / "native").glob("*.o"))
    assert first.stdout == b"\x19\x32" and len(files) == 1
    data = bytearray(files[0].read_bytes())
    data[-1] ^= 0xFF
    files[0].write_bytes(bytes(data))
    again = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True)
    assert again.stdout == first.stdout and again.returncode == 0
    assert files[0].read_bytes() != bytes(data)  # compiled again and written back whole


def test_without_llvmlite_the_run_falls_back_to_numba_with_one_warning(monkeypatch):
    def broken():
        raise native.NativeUnavailable("llvmlite cannot build code here: test")

    monkeypatch.setattr(native, "_engine", broken)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = run("+++[>++<-]>.", b"", unlimited(), jit_after=0)
    assert r.output == b"\x06" and r.status == "ok"
    assert [str(w.message) for w in caught] == [
        "native code unavailable, using numba: llvmlite cannot build code here: test"]


def test_a_compile_that_fails_falls_back_to_numba_with_one_warning(monkeypatch):
    monkeypatch.setattr(native, "llvm_ir", lambda *a: "this is not LLVM IR")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = run("++++[>+++<-]>.", b"", unlimited(), jit_after=0)
    assert r.output == b"\x0c" and r.status == "ok"
    assert len(caught) == 1 and "compiling failed" in str(caught[0].message)


def test_loops_that_stay_put_are_found_with_their_range():
    from bfcore.interp.fast import compiled
    from bfcore.interp.program import parse

    def loops(src):
        ops, moff, _ = compiled(parse(src))
        return {jz: (lo, hi) for jz, (lo, hi, _) in native.balanced_loops(ops, moff).items()}

    assert list(loops("+[>>+<<<+>-[>+>.<<,]]").values()) == [(-1, 2)]
    assert loops("+[>+]") == {}  # moves on each time round
    assert loops("+[>[>]<-]") == {}  # a scan inside: the offset after it is not fixed
    assert list(loops("+[>[<]-]+[>+<-[>>+<<-]]").values()) == [(0, 2)]  # the second loop only


def test_no_bounds_check_inside_a_loop_that_stays_put():
    from bfcore.interp.fast import compiled
    from bfcore.interp.program import parse

    def bails(src):  # labels of moves checked one by one
        ir = native.llvm_ir(*compiled(parse(src)), 0)
        return [line for line in ir.splitlines() if line.startswith("bail")]

    assert bails("+[>.>,<<-]") == []
    assert len(bails("+[>.>,<-]")) == 3  # one pointer step further each round: checked


@pytest.mark.parametrize("tape_len", [2, 5, 30000])
def test_a_loop_whose_range_leaves_the_tape_on_a_path_not_taken(tape_len):
    # The inner loop would reach 4 cells to the left, but its cell is always 0: the range check
    # at the outer [ fails near the left end, and the executor runs the loop exactly instead.
    src = "+++[>[<<<<+>>>>-]<-.]" if tape_len < 30000 else ">>>>>+++[>[<<<<+>>>>-]<-.]"
    assert check_native(src, b"", unlimited(tape_len=tape_len)).output == b"\2\1\0"


@pytest.mark.parametrize("src", ["++[>[<<<<+>>>>-]+<-]", ">>>++[>[>>>+<<<-]+<-]"])
def test_a_loop_that_does_leave_the_tape_stops_with_the_exact_error(src):
    # the inner loop runs in the second round, after native code has taken over
    got = check_native(src, b"", unlimited(tape_len=6))
    assert got.status == "error" and "pointer moved" in str(got.error)


def test_native_code_resumes_inside_loops_after_each_budget(monkeypatch):
    monkeypatch.setattr(native, "CHUNK", 3)  # a return to Python every 3 loop iterations
    for src in ["++++[>+++[>++<-]>[>+>+<<-]<<-]>>>.>.", "+++[>,.<-]", "++[>+<-[>>+<<-]]>>."]:
        check_native(src, b"abc", unlimited())
        check_native(src, b"abc", unlimited(tape_len=3))
