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


# -- configs and state.json ----------------------------------------------------------------------

@pytest.mark.parametrize("field, value, message", [
    ("hidden", "abc", "hidden must be an integer from 1 to 4,096, got 'abc'"),
    ("hidden", -1, "hidden must be an integer from 1 to 4,096, got -1"),
    ("max_steps", 0, "max_steps must be an integer from 1 to 1,024, got 0"),
    ("lr", None, "lr must be a number >= 0 (0 trains nothing), got None"),
    ("algo", "dqn", "algo must be one of 'ppo', 'grpo', got 'dqn'"),
    ("families", "add", "families must be a list of names, got 'add'"),
    ("encoder_layers", 99, "encoder_layers: layers=99 is out of range: this model has 1..30 layers"),
    ("encoder_model", "/etc", "encoder_model: not an mlx-lm model directory (no config.json): /etc"),
])
def test_bad_values_in_a_train_config_name_the_field_and_the_file(capsys, tmp_path, field, value, message):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({field: value}))
    run = tmp_path / "run"
    code, _, err = cli(capsys, "train", "--config", config, "--run", run, "--steps", 1, "--family", "add")
    one_line(code, err, f"bftui train: error: {config}: {message}")
    assert not run.exists()


@pytest.mark.parametrize("flag, value, message", [
    ("--batch-size", 0, "--batch-size must be an integer from 1 to 1,048,576, got 0"),
    ("--steps", 0, "--steps must be an integer from 1 to"),
    ("--lr", -1, "--lr must be a number >= 0 (0 trains nothing), got -1.0"),
    ("--seed", -1, "--seed must be an integer from 0 to"),
])
def test_bad_train_flags_name_the_flag(capsys, tmp_path, flag, value, message):
    run = tmp_path / "run"
    code, _, err = cli(capsys, "train", flag, value, "--run", run, "--no-encoder")
    one_line(code, err, f"bftui train: error: {message}")
    assert not run.exists()


def test_resume_refuses_a_bad_value_in_the_runs_config(capsys, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"batch_size": 0}))
    code, _, err = cli(capsys, "train", "--resume", "--run", run)
    one_line(code, err, f"{run / 'config.json'}: batch_size must be an integer from 1 to")
    assert sorted(p.name for p in run.iterdir()) == ["config.json"]


def copy_agent(tmp_path, edit) -> Path:
    ckpt = tmp_path / "agent"
    ckpt.mkdir()
    shutil.copy(AGENT / "model.safetensors", ckpt)
    state = json.loads((AGENT / "state.json").read_text())
    edit(state)
    (ckpt / "state.json").write_text(json.dumps(state))
    return ckpt


@pytest.mark.parametrize("edit, message", [
    (lambda s: s["model"].update(hidden="abc"), "model.hidden must be an integer from 1 to 4,096, got 'abc'"),
    (lambda s: s["model"].update(hidden=-1), "model.hidden must be an integer from 1 to 4,096, got -1"),
    (lambda s: s["model"].update(max_steps=0), "model.max_steps must be an integer from 1 to 1,024, got 0"),
    (lambda s: s.update(encoder=None), "encoder must be an object, got None"),
    (lambda s: s["encoder"].update(layers=99), "encoder: layers=99 is out of range: this model has 1..30"),
    (lambda s: s["encoder"].update(model="/etc"), "encoder: not an mlx-lm model directory (no config.json): /etc"),
])
def test_bad_values_in_a_checkpoints_state_name_the_field_and_the_file(capsys, tmp_path, edit, message):
    ckpt = copy_agent(tmp_path, edit)
    before = (ckpt / "state.json").read_bytes()
    code, out, err = cli(capsys, "gen", "say hi", "--checkpoint", ckpt)
    one_line(code, err, f"bftui gen: error: {ckpt / 'state.json'}: {message}")
    assert out == "" and (ckpt / "state.json").read_bytes() == before


def test_synth_train_config_checks_its_values():
    from bfcore.configcheck import ConfigError
    from bfcore.synth.train import SynthTrainConfig

    with pytest.raises(ConfigError, match="keys_per_batch must be an integer from 1 to 65,536, got 0"):
        SynthTrainConfig.from_dict({"keys_per_batch": 0})
    with pytest.raises(ConfigError, match="lr must be a number > 0, got nan"):
        SynthTrainConfig(lr=float("nan"))


# -- paths -----------------------------------------------------------------------------------------

def test_paths_in_a_config_are_relative_to_its_folder_and_shown(capsys, tmp_path, monkeypatch):
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    folder = tmp_path / "configs" / "exp"
    folder.mkdir(parents=True)
    (folder / "tasks.jsonl").write_text('{"problem": "say hi", "solution": "hi"}\n')
    config = folder / "config.json"
    config.write_text(json.dumps({"run_dir": "../../x", "tasks": "tasks.jsonl", "steps": 1, "batch_size": 8,
                                  "hidden": 16, "encoder_layers": 0}))
    code, out, err = cli(capsys, "train", "--config", config)
    assert code == 0, err
    run = tmp_path / "x"
    assert f"{config}: run_dir '../../x' is {run}" in err and f"training into {run}" in err
    assert f"{config}: tasks 'tasks.jsonl' is {folder / 'tasks.jsonl'}" in err
    assert (run / "checkpoint" / "state.json").is_file() and list((tmp_path / "work").iterdir()) == []
    assert json.loads((run / "config.json").read_text())["tasks"] == str(folder / "tasks.jsonl")


# -- bftui watch -----------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [
    {"step": 2, "samples": 5},
    {"step": 2, "samples": [1, 2]},
    {"step": 2, "time": 1e308},
    {"step": 2, "episodes": 1e300, "sps": 1.0},
])
def test_watch_skips_records_it_cannot_show(tmp_path, bad):
    import asyncio

    from bftui.watch import WatchApp

    def rec(step):
        return {"step": step, "episodes": step * 8, "time": step * 0.5, "episodic_return": 0.1, "sps": 16.0}

    (tmp_path / "config.json").write_text(json.dumps({"steps": 10}))
    lines = [rec(1), bad, rec(3), {**bad, "step": 4}, rec(5)]
    (tmp_path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))

    async def body():
        app = WatchApp(tmp_path, poll_interval=0.02)
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(200):
                if app.records == 3:
                    break
                await pilot.pause(0.02)
            assert app.records == 3 and app.follower.bad_lines == 2 and app.follower.last_bad_line == 4
            assert "2 bad lines skipped (last: line 4)" in str(app.query_one("#status").render())
        assert app.return_code in (0, None)

    asyncio.run(body())


def test_watch_exits_non_zero_when_the_dashboard_crashes(capsys, tmp_path, monkeypatch):
    class Crashed:  # what Textual leaves after an exception in the app: it printed it, return code 1
        return_code = 1

        def __init__(self, *args, **kwargs):
            pass

        def run(self):
            return None

    monkeypatch.setattr("bftui.watch.WatchApp", Crashed)
    code, out, _ = cli(capsys, "watch", tmp_path)
    assert code == 1 and out == ""


def test_the_apps_expected_output_is_utf8_and_never_raises():
    """The TUI's expect box and bftui debug --expect/--input: 'é' was the byte 0xe9 and a byte the
    shell passed as not UTF-8 raised UnicodeEncodeError."""
    from bftui.screens.main import parse_expected

    assert parse_expected("é🎉") == "é🎉".encode()
    assert parse_expected("say \udcff") == b"say \xff"
    assert parse_expected(r"a\x00\n") == b"a\x00\n"


# -- siblings: other commands taking the same kinds of input -----------------------------------------

@pytest.mark.parametrize("argv, message", [
    (["gen", "--sample", "--seed", "-1", "say hi"], "bftui gen: error: argument --seed: must be an integer from 0"),
    (["solve", "--seed", "-5", "tasks.jsonl"], "bftui solve: error: argument --seed: must be an integer from 0"),
    (["eval", "--limit", "-1"], "bftui eval: error: --limit must be >= 0 (0: every task), got -1"),
    (["eval", "--synth", "--per-family", "0"], "bftui eval: error: --per-family must be >= 1, got 0"),
])
def test_sibling_options_are_checked(capsys, argv, message):
    code, out, err = cli(capsys, *argv)
    one_line(code, err, message)
    assert out == ""


def test_a_bug_is_still_one_line_with_a_non_zero_exit(capsys, monkeypatch):
    monkeypatch.delenv("BFTUI_TRACEBACK", raising=False)
    monkeypatch.setattr("bftui.commands.info.main", lambda args: {}["boom"])
    code, _, err = cli(capsys, "info")
    one_line(code, err, "bftui info: internal error: KeyError: 'boom' (BFTUI_TRACEBACK=1 shows where)")
