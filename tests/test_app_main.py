"""Pilot tests of the main screen: prompt history, the no-agent path, the task set, and the whole
fine-tune-then-generate loop with a tiny trainer config."""

from __future__ import annotations

import asyncio
import functools

from bftui.app import main_app
from bftui.screens.main import parse_examples, parse_expected
from bftui.widgets.curve import Curve

TINY = {"steps": 3, "report_every": 1, "save_every": 1, "batch_size": 8, "hidden": 16,
        "conv_layers": 1, "encoder_layers": 0, "epochs": 1, "minibatches": 1, "max_steps": 6}


def sync(test):
    """Run an async test body with asyncio (the suite needs no async pytest plugin)."""
    @functools.wraps(test)
    def run(*args, **kwargs):
        return asyncio.run(test(*args, **kwargs))
    return run


async def wait_until(pilot, condition, what: str, rounds: int = 4000) -> None:
    """Let the app process messages until ``condition()`` holds (no fixed sleeps)."""
    for _ in range(rounds):
        if condition():
            return
        await pilot.pause()
        await asyncio.sleep(0)
    raise AssertionError(f"timed out waiting for {what}")


def test_parse_expected_understands_escapes():
    assert parse_expected("") is None
    assert parse_expected("hi") == b"hi"
    assert parse_expected(r"a\nb\x00") == b"a\nb\x00"


def test_parse_examples_reads_in_arrow_out_pairs():
    assert parse_examples("hello") is None  # a plain expected output
    assert parse_examples(r"abc -> cba; a\x00b -> b\x00a;") == [(b"abc", b"cba"), (b"a\x00b", b"b\x00a")]
    assert parse_examples(" -> hi") == [(b"", b"hi")]


@sync
async def test_missing_agent_says_what_to_do(tmp_path):
    app = main_app(agent_path=str(tmp_path / "no-agent"), data_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await wait_until(pilot, lambda: screen.agent_state == "no agent yet", "the agent load to fail")
        assert "bftui train" in screen.panel.editor.placeholder
        await pilot.press(*"say hi", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen.panel.editor.border_title == "program (generation failed)"
        assert screen.last_generation is None


@sync
async def test_prompt_history_walks_with_up_and_down(tmp_path):
    app = main_app(agent_path=str(tmp_path / "no-agent"), data_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        prompt = app.screen.query_one("#prompt")
        for text in ("say hi", "print A"):
            prompt.value = text
            await pilot.press("enter")
        prompt.value = ""  # the submitted prompt stays for tweaking and ctrl+n; start a new one
        await pilot.press(*"draft")
        await pilot.press("up")
        assert prompt.value == "print A"
        await pilot.press("up", "up")
        assert prompt.value == "say hi"
        await pilot.press("down", "down")
        assert prompt.value == "draft"  # back to what was being typed


@sync
async def test_add_task_appends_to_the_task_set(tmp_path):
    from bfcore.tasks import load_tasks

    app = main_app(agent_path=str(tmp_path / "no-agent"), data_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await pilot.press("ctrl+n")  # nothing typed: refused, nothing written
        assert not screen.task_file.exists()
        screen.query_one("#prompt").value = "say ok"
        screen.query_one("#expect").value = "ok"
        await pilot.press("ctrl+n")
        screen.query_one("#prompt").value = "say yes"
        screen.query_one("#expect").value = r"yes\n"
        await pilot.press("ctrl+n")
    tasks = load_tasks(tmp_path / "tasks.jsonl")
    assert [(t.problem, t.target) for t in tasks] == [("say ok", b"ok"), ("say yes", b"yes\n")]


@sync
async def test_fine_tune_then_generate_with_the_new_weights(tmp_path):
    app = main_app(agent_path=str(tmp_path / "no-agent"), data_dir=tmp_path, train_overrides=TINY)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await wait_until(pilot, lambda: screen.agent_state == "no agent yet", "the agent load to fail")
        await pilot.press("ctrl+t")  # empty task set: refused
        assert not screen.training
        screen.query_one("#prompt").value = "say hi"
        screen.query_one("#expect").value = "hi"
        await pilot.press("ctrl+n", "ctrl+t")
        await wait_until(pilot, lambda: not screen.training, "training to finish", rounds=20000)
        curve = screen.query_one("#reward", Curve)
        assert len(curve.series("success")) == TINY["steps"]  # one point per report
        assert (screen.run_dir / "checkpoint" / "state.json").is_file()
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen.last_generation is not None, "a generation",
                         rounds=20000)
        generation = screen.last_generation
        assert screen.host._agent.path.parent == screen.run_dir  # the fine-tuned weights
        assert screen.panel.source == generation.program
        # the generated program runs at once
        await wait_until(pilot, lambda: screen.panel.state == "halted", "the program to halt")
        assert screen.panel.machine.output == generation.output



@sync
async def test_generation_options_dialog(tmp_path):
    app = main_app(agent_path=str(tmp_path / "no-agent"), data_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        main = app.screen
        await pilot.press("ctrl+o")
        dialog = app.screen
        dialog.query_one("#greedy").value = False
        dialog.query_one("#temperature").value = "0.5"
        dialog.query_one("#best-of").value = "99"
        await pilot.click("#ok")
        assert app.screen is dialog  # refused: best-of out of range, the dialog says why
        assert "best-of" in str(dialog.query_one("#error").render())
        dialog.query_one("#best-of").value = "3"
        dialog.query_one("#best-of").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is main
        assert (main.options.greedy, main.options.temperature, main.options.best_of) == (False, 0.5, 3)
        assert str(main.query_one("#gen-options").render()) == "T=0.5 best-of-3"


@sync
async def test_a_constant_request_runs_on_no_input_and_says_so(tmp_path):
    """The shipped agents: "lower case PIZZA" goes to the synthesis agent, whose program prints
    the word with the word macro and reads nothing, so the panel names no sample input."""
    app = main_app(data_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await wait_until(pilot, lambda: screen.agent_state.startswith("agent: "), "the agent to load")
        await pilot.press(*"lower case PIZZA", "enter")
        await wait_until(pilot, lambda: screen.last_generation is not None, "the program")
        await app.workers.wait_for_complete()
        panel = screen.panel
        await wait_until(pilot, lambda: panel.state == "halted", "the run to end")
        assert "reads no input" in panel.editor.border_title
        assert "," not in panel.editor.text and panel.machine.output == b"pizza"
