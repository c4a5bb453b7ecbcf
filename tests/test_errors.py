"""Bad input of every kind ends in one line on stderr and a non-zero exit, never a traceback
(issue 14, "One-line errors"). Each test feeds what a careless or hostile user would."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bftui.cli import main

ROOT = Path(__file__).resolve().parents[1]
AGENT = ROOT / "assets" / "agent"


def cli(capsys, *argv):
    """(exit code, stdout, stderr) of ``bftui ARGV`` run in this process."""
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:  # argparse
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def one_line(code, err, *needles):
    assert code not in (0, None), err
    # train first says where it trains (the run directory, resolved), then fails
    err = "".join(line for line in err.splitlines(True) if not line.startswith("training into "))
    assert "Traceback" not in err and err.count("\n") == 1, err
    for needle in needles:
        assert needle in err, err
    return err.strip()


def bftui(*argv, stdin=b"", timeout=120):
    return subprocess.run([sys.executable, "-m", "bftui", *map(str, argv)], input=stdin,
                          capture_output=True, cwd=ROOT, timeout=timeout)


# -- prompts -------------------------------------------------------------------------------------

def test_gen_refuses_a_prompt_that_is_not_utf8(capsys):
    # the shell's byte 0xff arrives as the surrogate escape U+DCFF
    code, out, err = cli(capsys, "gen", "say \udcff")
    one_line(code, err, "bftui gen: error: the prompt is not UTF-8 text (at character 5)")
    assert out == ""


def test_gen_expect_is_compared_as_utf8_bytes(capsys):
    """'🎉' was encoded as '?', so a program printing '?' was a success."""
    code, out, _ = cli(capsys, "gen", "say 🎉", "--expect", "🎉")
    assert "success: no" in out and code == 1, out


def test_agent_expect_text_means_its_utf8_bytes():
    from bfcore.agent import Agent

    g = Agent.load().generate("say 🎉", expect="🎉")
    assert g.output != "🎉".encode() and g.success is False, g.output


# -- limits --------------------------------------------------------------------------------------

@pytest.mark.parametrize("flag, value, message", [
    ("--tape", "1e11", "--tape must be an integer from 1 to 1,073,741,824, not 100000000000"),
    ("--tape", "100000000000", "--tape must be an integer from 1 to 1,073,741,824"),
    ("--max-steps", "1e23", "--max-steps must be an integer from 0 to"),
    ("--max-steps", "100000000000000000000000", "--max-steps must be an integer from 0 to"),
    ("--max-output", "1e400", "argument --max-output: 1e400 is far too large"),
    ("--tape", "1.5", "argument --tape: not a whole number: '1.5'"),
])
def test_run_limits_have_sane_bounds(tmp_path, flag, value, message):
    prog = tmp_path / "loop.b"
    prog.write_text("+[]")
    proc = bftui("run", flag, value, prog)
    one_line(proc.returncode, proc.stderr.decode(), "bftui run: error: ", message)


def test_run_limits_in_scientific_notation_work(tmp_path):
    prog = tmp_path / "p.b"
    prog.write_text("+.")
    proc = bftui("run", "--tape", "1e3", "--max-steps", "1e6", prog)
    assert proc.returncode == 0 and proc.stdout == b"\x01", proc.stderr


def test_debug_limits_are_checked_before_the_app_opens(capsys, tmp_path):
    prog = tmp_path / "p.b"
    prog.write_text("+.")
    code, _, err = cli(capsys, "debug", "--tape", "1e11", prog)
    one_line(code, err, "bftui debug: error: --tape must be an integer from 1 to")


def test_option_errors_are_one_line(capsys):
    code, _, err = cli(capsys, "gen", "--best-of", "x", "hi")
    one_line(code, err, "bftui gen: error: argument --best-of: invalid int value: 'x'")


# -- task files ------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", [["eval", "--tasks"], ["solve"], ["train", "--no-encoder", "--tasks"]])
@pytest.mark.parametrize("line, field, at", [
    ('{"problem": "say \\ud800", "solution": "x"}', "'problem'", 5),
    ('{"problem": "say hi", "solution": "\\ud800"}', "'solution'", 1),
    ('{"problem": "echo", "tests": [{"input": "\\udfff", "output": "x"}]}', "'tests[0].input'", 1),
])
def test_a_lone_surrogate_in_a_task_file_names_the_line(capsys, tmp_path, monkeypatch, command, line, field, at):
    monkeypatch.chdir(tmp_path)
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text('{"problem": "say hi", "solution": "hi"}\n' + line + "\n")
    code, _, err = cli(capsys, *command, tasks)
    one_line(code, err, f"error: {tasks}:2: {field} is not text (a lone surrogate at character {at})")
    assert list(tmp_path.iterdir()) == [tasks]  # train made no run directory


# -- the REPL --------------------------------------------------------------------------------------

def repl_piped(stdin: bytes, tmp_path):
    env = {"XDG_DATA_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "bftui", "repl"], input=stdin, cwd=ROOT,
                          capture_output=True, env=env, timeout=120)


def test_repl_reports_a_line_that_is_not_utf8_and_goes_on(tmp_path):
    got = repl_piped(b"say \xff\n+.\n", tmp_path)
    assert got.returncode == 1 and b"Traceback" not in got.stderr, got.stderr
    assert got.stdout == b"error: line 1: not UTF-8 text (at character 5); the line is skipped\n\x01\n"


def test_repl_expect_with_a_lone_surrogate_is_one_error(tmp_path):
    got = repl_piped(b":expect \xed\xa0\x80\n:expect \\ud800\n+.\n", tmp_path)
    assert got.returncode == 1 and b"Traceback" not in got.stderr, got.stderr
    lines = got.stdout.decode().splitlines()
    assert lines[0] == "error: line 1: not UTF-8 text (at character 9); the line is skipped"
    assert lines[1].startswith("error: :expect: unknown escape") and lines[2] == "\x01"


def test_repl_a_failing_line_does_not_end_the_session(monkeypatch):
    import io

    from bftui.repl import Printer, Repl, run_piped

    out = io.StringIO()
    repl = Repl(Printer(out))
    monkeypatch.setattr(repl, "prompt", lambda text: 1 / 0)  # any bug behind a prompt
    assert run_piped(repl, io.BytesIO(b"say hi\n+.\n")) == 1
    assert out.getvalue() == "error: line 1: ZeroDivisionError: division by zero\n\x01\n"
