"""bftui gen --example / solve / eval --synth through the CLI, with the shipped synthesis agent."""

from __future__ import annotations

import json

import pytest

from bfcore.interp.fast import run
from bftui.cli import main


def test_bad_examples_get_one_line_and_exit_2(tmp_path, capsys):
    assert main(["gen", "reverse it", "--example", r"a\q", "b"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--example 1 input: unknown escape" in err
    f = tmp_path / "t.jsonl"
    f.write_text('{"input": "ab", "output": "ba"}\nnot json\n')
    assert main(["gen", "reverse it", "--tests", str(f)]) == 2
    assert "t.jsonl:2: not JSON" in capsys.readouterr().err
    assert main(["gen", "print many", "--example", "", "x" * 300]) == 2
    assert "expects 300 output bytes" in capsys.readouterr().err
    assert main(["gen", "reverse it", "--example", "a", "a", "--budget", "0"]) == 2
    assert "--budget must be >= 1" in capsys.readouterr().err
    assert main(["gen", "say \udcff"]) == 2
    assert "not UTF-8" in capsys.readouterr().err


def test_solve_reports_bad_task_files_by_line(tmp_path, capsys):
    f = tmp_path / "tasks.jsonl"
    f.write_text('{"problem": "echo", "tests": [{"input": "a", "output": "a"}]}\n{"problem": 3}\n')
    assert main(["solve", str(f)]) == 2
    err = capsys.readouterr().err
    assert "tasks.jsonl:2" in err and err.count("\n") == 1


def test_gen_with_examples_searches_and_reports_tests(capsys):
    rc = main(["gen", "copy the input to the output", "--example", "hello", "hello",
               "--example", "bf", "bf", "--example", r"a\x01b", r"a\x01b", "--seed", "0"])
    out = capsys.readouterr().out
    program = out.splitlines()[0]
    assert rc == 0 and "examples: 3/3 passed" in out and "npe " in out
    for inp in (b"never seen before", b"\x7fz"):  # a program, not a remembered answer
        assert run(program, inp).output == inp


def test_gen_reports_the_first_failing_example(capsys):
    # no program of at most 32 actions prints these (the outputs are unrelated random bytes)
    rc = main(["gen", "do something", "--example", "ab", "q9z", "--example", "cd", "Lk", "--budget", "50"])
    out = capsys.readouterr().out
    assert rc == 1 and "examples: " in out and "first failing: input" in out


def test_solve_solves_a_user_task(tmp_path, capsys):
    f = tmp_path / "tasks.jsonl"
    tests = [{"input": x, "output": x.upper()} for x in ("abc", "hello", "z", "brainfuck")]
    f.write_text(json.dumps({"problem": "shout what I type", "tests": tests}) + "\n")
    rc = main(["solve", str(f), "--budget", "4000", "--seed", "0"])
    out = capsys.readouterr().out
    assert rc == 0 and "solved 1/1" in out
    program = out.splitlines()[1].strip()
    assert run(program, b"quiet").output == b"QUIET"


def test_eval_synth_prints_a_family_table(capsys):
    assert main(["eval", "--synth", "--split", "val", "--per-family", "1"]) == 0
    out = capsys.readouterr().out
    assert "echo" in out and "overall" in out and "worst family" in out
    # one task per family: the "read input" line is the mean over the families that read input
    from bfcore.synth.families import INPUT_FAMILIES

    rows = dict(line.rsplit(None, 1) for line in out.splitlines()[1:] if line.endswith("%"))
    pct = {k.strip(): float(v.rstrip("%")) for k, v in rows.items()}
    want = sum(pct[f] for f in INPUT_FAMILIES) / len(INPUT_FAMILIES)
    assert abs(pct["read input"] - want) < 0.1 and "constant" in pct


@pytest.mark.parametrize("budget", ["1", "20"])
def test_eval_synth_json_holds_every_task_with_its_program_and_first_failure(tmp_path, budget):
    from bfcore.interp.fast import run
    from bfcore.synth.families import FAMILIES
    from bfcore.synth.score import CONFIG

    out = tmp_path / "r.json"
    assert main(["eval", "--synth", "--split", "test", "--per-family", "1", "--budget", budget,
                 "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    rows = report["tasks"]
    assert len(rows) == report["n"] == len(FAMILIES)
    assert sum(r["solved"] for r in rows) / len(rows) == pytest.approx(report["overall"])
    for r in rows:
        assert (r["first_failure"] is None) == r["solved"]
        if r["first_failure"]:  # what the program really printed on that input
            f = r["first_failure"]
            got = run(r["program"], f["input"].encode("latin-1"), CONFIG).output
            assert got.decode("latin-1") == f["output"]
            assert f["output"] != f["expected"] or f["status"] == "over the length cap"


def test_checking_the_greedy_program_on_examples_does_not_wait_for_numba():
    """A fresh install's first `gen --example` must not compile the batch interpreter (~14 s)
    when the greedy program already passes: a handful of runs go through plain Python."""
    import subprocess
    import sys

    code = ("from bfcore.interp import fast; from bfcore.synth.agent import SynthAgent; "
            "r = SynthAgent.load().search('copy the input to the output', ((b'abc', b'abc'), (b'hi', b'hi'))); "
            "print(r.solved, r.npe, bool(fast._jit))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "1", "False"]


def test_the_router_sends_requests_that_read_input_to_the_synthesis_agent(tmp_path):
    from bfcore.synth.router import routes_to_synth

    assert routes_to_synth("print the input backwards")
    assert not routes_to_synth("reverse the word moon")  # the print agent's family
    # a run directory of one's own has no router of its own: the shipped one still decides (it
    # reads only the encoder's states), rather than every request going to the print agent
    assert routes_to_synth("print the input backwards", tmp_path)


def test_a_letter_asked_for_more_times_than_the_print_agent_can_write_goes_to_synthesis():
    from bfcore.synth.router import routes_to_synth

    assert routes_to_synth("print 50 a's") and routes_to_synth("write the letter z 40 times")
    # within the print agent's reach, or a number that is not a count of a letter: its own
    assert not routes_to_synth("print 5 a's") and not routes_to_synth("print the number 42")


def test_gen_names_the_input_only_for_a_program_that_reads_one(capsys):
    from bfcore.synth.score import CONFIG

    assert main(["gen", "print the input backwards"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1] == "on input 'hello': 'olleh'"
    # the word macro lowercases the word of the request; what it prints needs no input
    assert main(["gen", "lower case PIZZA"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "," not in out[0] and run(out[0], b"", CONFIG).output == b"pizza"
    assert out[1] == "output: 'pizza'"
