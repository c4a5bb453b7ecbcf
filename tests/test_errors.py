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
