"""bftui repl: the prompt-toolkit session, the piped mode and the line handling behind both."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from prompt_toolkit.history import FileHistory
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from bftui.repl import (
    Printer,
    Repl,
    looks_like_code,
    make_session,
    open_history,
    run_interactive,
    show_bytes,
)

ROOT = Path(__file__).resolve().parents[1]
NINE = "+++[>+++<-]>."  # prints byte 9 (a tab)
AB = "++++++++[>++++++++<-]>+.+."  # prints "AB"


def drive(lines: list[str], history) -> tuple[int, str, Repl]:
    """Type ``lines`` into a real PromptSession (pipe input, no terminal) and collect what it printed."""
    printed = io.StringIO()
    repl = Repl(Printer(printed))
    with create_pipe_input() as pipe:
        pipe.send_text("".join(line + "\r" for line in lines))
        pipe.close()  # after the lines, end of input (like Ctrl-D)
        session = make_session(repl, history, input=pipe, output=DummyOutput())
        code = run_interactive(repl, session)
    return code, printed.getvalue(), repl


def test_session_help_code_expect_quit(tmp_path):
    history = FileHistory(str(tmp_path / "history"))
    code, out, repl = drive([":help", NINE, ":expect AB", AB, ":expect XY", AB, ":quit", "never read"], history)
    assert code == 0
    assert ":expect" in out and ":train" in out and ":quit" in out
    assert "\t\n" in out
    assert 'expecting "AB"' in out
    assert "AB\nmatches the expected output" in out
    assert 'expected "XY", got "AB"' in out
    assert repl.expect == b"XY"
    stored = (tmp_path / "history").read_text()
    assert NINE in stored and ":expect AB" in stored and "never read" not in stored


def test_session_ends_on_eof_and_reports_errors_with_line_col(tmp_path):
    program = tmp_path / "bad.bf"
    program.write_text("+.\n ]\n")
    code, out, repl = drive(["+[", ":nonsense", ":run", f":run {program}"], FileHistory(str(tmp_path / "h")))
    assert code == 0  # end of input leaves cleanly
    assert "error: unknown command :nonsense (try :help)" in out
    assert out.count("error: 1:2: ") == 2  # the bad line, then :run re-running the last program
    assert "error: 2:2: " in out  # syntax errors stop before anything runs
    assert repl.failures == 4


def test_history_goes_to_the_user_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    code, _, _ = drive([AB, ":quit"], open_history())
    assert code == 0
    assert AB in (tmp_path / "bftui" / "history").read_text()


def test_run_reads_a_file_and_runs_the_last_program(tmp_path):
    program = tmp_path / "ab.bf"
    program.write_text("print AB\n" + AB + "\n")
    printed = io.StringIO()
    repl = Repl(Printer(printed))
    repl.handle(f":run {program}")
    repl.handle(":run")
    assert printed.getvalue() == "AB\nAB\n"
    assert repl.handle(":q") is False


def test_toolbar_shows_model_checkpoint_reward_and_expect():
    repl = Repl(Printer(io.StringIO()))
    text = "".join(t for _, t in repl.toolbar())
    assert "model: loads on the first prompt" in text and "checkpoint: default" in text and "last reward: -" in text
    repl.handle(":expect hi\\n")
    repl.last_reward = 0.5
    text = "".join(t for _, t in repl.toolbar())
    assert "last reward: 0.500" in text and 'expect: "hi\\n"' in text


def make_checkpoint(tmp_path: Path) -> Path:
    """A real (tiny, characters-only) agent checkpoint, trained for one update."""
    from bfcore.tasks import make_task, save_tasks
    from bfcore.train import TrainConfig, train

    tasks = tmp_path / "tasks.jsonl"
    save_tasks([make_task("say hi", "hi"), make_task("say ok", "ok")], tasks)
    config = TrainConfig(
        run_dir=str(tmp_path / "base"), tasks=str(tasks), steps=1, batch_size=8, encoder_layers=0, hidden=16
    )
    return train(config)


def test_prompt_expect_and_background_fine_tuning(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path / "..")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))  # runs go to the data dir, as the app's do
    base = make_checkpoint(tmp_path)
    printed = io.StringIO()
    repl = Repl(Printer(printed))
    for line in [f":model {base}", ":expect hi", "say hi", ":train 2"]:
        assert repl.handle(line)
    repl.trainer.thread.join(timeout=120)
    out = printed.getvalue()
    program = out.split("program: ", 1)[1].split("\n", 1)[0]
    shown_output = out.split("output:  ", 1)[1].split("\n", 1)[0]
    from bfcore.interp.fast import run

    assert shown_output == show_bytes(run(program).output)  # the printed program prints what is shown
    assert f"reward:  {repl.last_reward:.3f}" in out
    assert repl.pairs[0].prompt == "say hi" and repl.pairs[0].expect == b"hi"
    assert "train step 1/2" in out and "train step 2/2" in out
    run_dir = Path(out.split("training done: ", 1)[1].split(" ", 1)[0])
    assert run_dir.parent == tmp_path / "bftui" / "runs" and not Path("runs").exists()
    assert (run_dir / "checkpoint" / "model.safetensors").is_file()
    assert "old skills (val split, 390 tasks)" in out  # the gate ran and said so
    assert repl.model == str(run_dir / "checkpoint") and repl.agent is None  # next prompt loads it
    assert "checkpoint: " + str(run_dir / "checkpoint") in "".join(t for _, t in repl.toolbar())
    repl.handle("say hi")
    assert out.count("program: ") == 1 and printed.getvalue().count("program: ") == 2


def test_train_without_pairs_explains():
    printed = io.StringIO()
    repl = Repl(Printer(printed))
    repl.handle(":train")
    repl.handle(":train ten")
    repl.handle(":train stop")
    lines = printed.getvalue().splitlines()
    assert lines[0].startswith("error: nothing to train on")
    assert lines[1] == "error: :train ten: expected a positive number of updates, or stop"
    assert lines[2] == "error: no training is running"
    assert repl.trainer is None


@pytest.mark.parametrize(
    "text,code",
    [("+++.", True), (" [->+<] \t", True), ("say hi", False), ("", False), ("   ", False), ("+ hi", False)],
)
def test_looks_like_code(text, code):
    assert looks_like_code(text) is code


def test_expect_escapes_are_bytes():
    """\\xNN is one byte, as show_bytes writes a byte that is not UTF-8; text is its UTF-8."""
    repl = Repl(Printer(io.StringIO()))
    repl.handle(":expect a\\nb\\t\\x41\\xff🎉")
    assert repl.expect == b"a\nb\tA\xff" + "🎉".encode()
    assert show_bytes(repl.expect) == '"a\\nb\\tA\\xff🎉"'


def run_piped(stdin: bytes, tmp_path) -> subprocess.CompletedProcess:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path)}
    return subprocess.run(
        [sys.executable, "-m", "bftui", "repl"], input=stdin, cwd=ROOT, capture_output=True, env=env, timeout=60
    )


def test_piped_stdin_runs_each_line(tmp_path):
    got = run_piped(f"{NINE}\n:expect AB\n{AB}\n\n:quit\n{AB}\n".encode(), tmp_path)
    assert got.returncode == 0, got.stderr
    assert got.stdout == b'\t\nexpecting "AB"\nAB\nmatches the expected output\n'
    assert got.stderr == b""
    assert not (tmp_path / "bftui" / "history").exists()  # scripted lines stay out of the history


def test_piped_errors_are_one_line_and_set_the_exit_code(tmp_path):
    got = run_piped(b"+.\n]\n<\n", tmp_path)
    assert got.returncode == 1
    lines = got.stdout.split(b"\n")
    assert lines[0] == b"\x01"
    assert lines[1].startswith(b"error: 1:1:")
    assert lines[2].startswith(b"error: step 1 (1:1):")
    assert b"Traceback" not in got.stderr


def test_completer_offers_commands_and_their_arguments():
    from prompt_toolkit.completion import CompleteEvent
    from prompt_toolkit.document import Document

    from bftui.repl import make_completer

    def complete(text):
        return [c.text for c in make_completer().get_completions(Document(text), CompleteEvent())]

    assert complete(":exp") == [":expect"]
    assert complete(":exa") == [":example"]
    assert set(complete(":")) >= {":run", ":debug", ":gen", ":expect", ":example", ":input", ":train",
                                  ":model", ":help", ":quit"}
    assert complete(":train s") == ["stop"]
    assert complete(":help tr") == ["train"]
    assert complete("+++") == []


def test_code_lines_are_highlighted_as_brainfuck_and_prose_is_not():
    from prompt_toolkit.document import Document

    from bftui.repl import ReplLexer

    def styles(text):
        return [style for style, _ in ReplLexer().lex_document(Document(text))(0)]

    assert any("pygments" in style for style in styles("+[>.<-]"))
    assert not any("pygments" in style for style in styles("say hi, then stop."))
    assert styles(":expect hi")[0] == "class:command"


def test_piped_train_finishes_before_exit(tmp_path):
    base = make_checkpoint(tmp_path)
    script = f":model {base}\n:expect hi\nsay hi\n:train 2\n".encode()
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    got = subprocess.run(
        [sys.executable, "-m", "bftui", "repl"], input=script, cwd=tmp_path, capture_output=True, env=env, timeout=120
    )
    out = got.stdout.decode()
    assert got.returncode == 0, got.stderr
    assert "waiting for training to finish" in out and "train step 2/2" in out
    run_dir = out.split("training done: ", 1)[1].split(" ", 1)[0]
    assert (tmp_path / run_dir / "checkpoint" / "state.json").is_file()
    assert (tmp_path / "bftui" / "repl_tasks.jsonl").read_text().count('"problem": "say hi"') == 1


def test_a_rejected_train_keeps_the_agent_and_undo_goes_back(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    base = make_checkpoint(tmp_path)
    printed = io.StringIO()
    repl = Repl(Printer(printed))
    for line in [f":model {base}", ":expect hi", "say hi"]:
        repl.handle(line)
    repl.handle(":undo")
    assert "error: nothing to undo" in printed.getvalue()
    monkeypatch.setattr("bfcore.agent.gate.GATE_POINTS", -100.0)  # demands a 100-point gain
    repl.handle(":train 1")
    repl.trainer.thread.join(timeout=120)
    assert "kept the current agent" in printed.getvalue() and repl.model == str(base)
    monkeypatch.setattr("bfcore.agent.gate.GATE_POINTS", 100.0)
    repl.handle(":train 1")
    repl.trainer.thread.join(timeout=120)
    assert repl.model == str(Path(repl.trainer.checkpoint))
    repl.handle(":undo")
    assert repl.model == str(base) and repl.agent is None
