"""``bftui run`` end to end, through a subprocess like a user would run it."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROGRAMS = ROOT / "assets" / "programs"


def bftui_run(*args, stdin=b""):
    return subprocess.run([sys.executable, "-m", "bftui", "run", *map(str, args)], input=stdin,
                          capture_output=True, cwd=ROOT, timeout=120)


def assert_one_line_error(proc, code, text):
    assert proc.returncode == code
    err = proc.stderr.decode()
    assert err.count("\n") == 1 and "Traceback" not in err and text in err, err


def test_hello_world():
    proc = bftui_run(PROGRAMS / "hello.b")
    assert proc.returncode == 0 and proc.stdout == b"Hello World!\n" and proc.stderr == b""


def test_binary_output_is_exact():
    proc = bftui_run(PROGRAMS / "wrap.b")
    assert proc.returncode == 0 and proc.stdout == b"\xff\x00A"


def test_input_from_stdin_option_and_file(tmp_path):
    assert bftui_run(PROGRAMS / "cat.b", stdin=b"piped\x00\xfe").stdout == b"piped"  # 0 ends cat.b
    assert bftui_run(PROGRAMS / "cat.b", "--input", "from option").stdout == b"from option"
    data = tmp_path / "in.bin"
    data.write_bytes(b"\x01\x02\xff")
    assert bftui_run(PROGRAMS / "cat.b", "--input-file", data).stdout == b"\x01\x02\xff"


def test_program_from_stdin():
    proc = bftui_run("-", "--input", "xy", stdin=b",.,.")
    assert proc.returncode == 0 and proc.stdout == b"xy"


def test_eof_tape_and_wrap_options():
    assert bftui_run("-", "--eof", "max", stdin=b",.").stdout == b"\xff"
    assert bftui_run("-", "--eof", "keep", stdin=b"+++,.").stdout == b"\x03"
    assert bftui_run("-", "--tape", "2", "--wrap", stdin=b">>+.").stdout == b"\x01"
    assert_one_line_error(bftui_run("-", "--tape", "2", stdin=b">>+."), 1, "<stdin>:1:2: pointer moved right")


def test_syntax_error_is_one_line_with_position(tmp_path):
    prog = tmp_path / "bad.b"
    prog.write_text("+++\n++\n  [ [ ] .\n")
    proc = bftui_run(prog)
    assert_one_line_error(proc, 2, f"bftui run: error: {prog}:3:3: unmatched '['")
    assert proc.stdout == b""


def test_missing_file():
    assert_one_line_error(bftui_run("no/such/file.b"), 2, "no/such/file.b")


def test_step_limit_keeps_partial_output():
    proc = bftui_run("-", "--max-steps", "1000", stdin=b"+++.[]")
    assert_one_line_error(proc, 1, "step limit of 1000 steps reached")
    assert proc.stdout == b"\x03"


def test_output_limit():
    proc = bftui_run("-", "--max-output", "4", stdin=b"+[.]")
    assert_one_line_error(proc, 1, "output limit of 4 bytes reached")
    assert proc.stdout == b"\x01" * 4


def test_no_limit_by_default_and_zero_means_none_for_both():
    # 16 * 8 * 8 * 8 * 255 bytes (past 1 MiB) in about 8M steps
    prog = b"++++++++++++++++[>++++++++[>++++++++[>++++++++[>+[.+]<-]<-]<-]<-]"
    want = 16 * 8 * 8 * 8 * 255
    proc = bftui_run("-", stdin=prog)
    assert proc.returncode == 0 and len(proc.stdout) == want
    proc = bftui_run("-", "--max-steps", "0", "--max-output", "0", stdin=prog)
    assert proc.returncode == 0 and len(proc.stdout) == want
    capped = bftui_run("-", "--max-output", "1e6", stdin=prog)
    assert capped.returncode == 1 and len(capped.stdout) == 10 ** 6


# prints a byte, then runs 255**4 turns of a loop that no rewrite collapses (minutes)
ENDLESS = b"+.[>-[>-[>-[>+>[-]<<-]<-]<-]<]"


def test_ctrl_c_keeps_the_output_so_far_and_exits_130(tmp_path):
    import signal
    import time

    (tmp_path / "endless.b").write_bytes(ENDLESS)
    proc = subprocess.Popen([sys.executable, "-m", "bftui", "run", str(tmp_path / "endless.b")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    time.sleep(3)  # start-up, and well into the loop
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert out == b"\x01" and proc.returncode == 130
    assert err.decode().strip() == "bftui run: interrupted"


def test_a_closed_pipe_ends_the_run_quietly():
    proc = subprocess.run(f"{sys.executable} -m bftui run - | head -c 3", shell=True, cwd=ROOT,
                          input=b"+[.]", capture_output=True, timeout=60)
    assert proc.stdout == b"\x01" * 3 and proc.stderr == b""


def test_stats_go_to_stderr():
    proc = bftui_run(PROGRAMS / "hello.b", "--stats")
    assert proc.stdout == b"Hello World!\n"
    assert b"906 steps" in proc.stderr


@pytest.mark.parametrize("bad", [["--tape", "0"], ["--max-output", "-1"]])
def test_bad_options_are_one_line(bad):
    assert_one_line_error(bftui_run(PROGRAMS / "hello.b", *bad), 2, "bftui run: error:")


def test_long_arithmetic_program():
    proc = bftui_run(PROGRAMS / "squares.b")
    lines = proc.stdout.decode().split()
    assert proc.returncode == 0 and lines == [str(i * i) for i in range(101)]


def test_long_run_hands_over_to_numba():
    # 250**3 turns of a plain loop: far past the pure-Python tier's budget.
    proc = bftui_run("-", "--max-steps", "0", "--stats", stdin=b"------[>------[>------[>+>[-]<<-]<-]<-]>>>.")
    assert proc.returncode == 0 and proc.stdout == bytes([250**3 % 256])
    # Raw steps by hand: each level is '>', '------', '[', 250 turns of the level below, '<-]'.
    inner = len(">+>[<<-]")  # '[-]' on an empty cell is one step
    middle = 1 + 6 + 1 + 250 * inner + 3
    outer = 1 + 6 + 1 + 250 * middle + 3
    assert f"{6 + 1 + 250 * outer + 4:,} steps".encode() in proc.stderr


def test_without_native_code_the_run_says_so_in_one_line_and_goes_on(tmp_path):
    # an engine that cannot start (no llvmlite target here) gives one warning line
    script = ("import sys, runpy; import bfcore.interp.native as n; "
              "n._engine = lambda: (_ for _ in ()).throw(n.NativeUnavailable('no target here')); "
              "sys.argv = ['bftui', 'run', '-']; from bftui.cli import main; sys.exit(main())")
    proc = subprocess.run([sys.executable, "-c", script], input=NESTED, capture_output=True,
                          cwd=ROOT, timeout=120)
    assert proc.returncode == 0 and proc.stdout == bytes([250 ** 3 % 256])
    assert proc.stderr.decode() == ("bftui run: warning: native code unavailable, using numba: "
                                    "no target here\n")


NESTED = b"------[>------[>------[>+>[-]<<-]<-]<-]>>>."


def test_a_tape_that_does_not_fit_in_memory_is_one_line():
    import resource

    def cap_memory():  # 3 GB of address space: Python and numba fit, a 4 GiB tape does not
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))

    proc = subprocess.run([sys.executable, "-m", "bftui", "run", "--tape", str(1 << 30),
                           "--cell", "32", str(PROGRAMS / "hello.b")], capture_output=True,
                          cwd=ROOT, timeout=120, preexec_fn=cap_memory)
    assert_one_line_error(proc, 1, "no memory for a tape of 1,073,741,824 32-bit cells (4.0 GiB)")
