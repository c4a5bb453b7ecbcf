"""Teaching in the app: the gate keeps or switches the agent, ctrl+b goes back, stalls are named."""

from __future__ import annotations

import json

import pytest

from bfcore.agent.gate import AgentHistory, GateResult
from bfcore.train import TrainConfig, train
from bftui.app import main_app
from bftui.screens.main import stall_warning
from bftui.screens.taskset import count_tasks

from test_app_main import sync, wait_until

TINY = {"steps": 3, "report_every": 1, "save_every": 1, "batch_size": 8, "epochs": 1,
        "minibatches": 1}


@pytest.fixture(scope="module")
def start(tmp_path_factory):
    """A tiny agent (no LLM) trained on the built-in families, to teach from."""
    run = tmp_path_factory.mktemp("start") / "run"
    return train(TrainConfig(run_dir=str(run), steps=2, batch_size=16, hidden=16, encoder_layers=0,
                             tasks_per_family=4, max_steps=6, curriculum=False))


async def _teach(pilot, screen):
    await wait_until(pilot, lambda: screen.agent_state.startswith("agent:"), "the agent to load")
    screen.query_one("#prompt").value = "say hi"
    screen.query_one("#expect").value = "hi"
    await pilot.press("ctrl+n")
    assert count_tasks(screen.task_file) == 1
    await pilot.press("ctrl+t")
    await wait_until(pilot, lambda: screen.run_dir is not None and not screen.training,
                     "training and the gate", rounds=40000)


@sync
async def test_a_fine_tune_that_fails_the_gate_is_not_used(tmp_path, start):
    notes = []
    # the gate demands 100 points of improvement: it must refuse
    app = main_app(agent_path=str(start), data_dir=tmp_path, train_overrides=TINY, gate_points=-100)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        app.notify = lambda message, **kw: notes.append(message)
        await _teach(pilot, screen)
        assert screen.host.current_path() == str(start)  # generation stays on the old agent
        assert (screen.run_dir / "checkpoint" / "state.json").is_file()  # the run is kept on disk
        assert any("kept the current agent" in n and "val split" in n for n in notes), notes
        assert AgentHistory(tmp_path / "agents.json").stack == [None]


@sync
async def test_an_accepted_fine_tune_is_used_and_ctrl_b_goes_back(tmp_path, start):
    notes = []
    app = main_app(agent_path=str(start), data_dir=tmp_path, train_overrides=TINY, gate_points=100)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        app.notify = lambda message, **kw: notes.append(message)
        await _teach(pilot, screen)
        assert screen.host.current_path() == str(screen.run_dir)
        assert any("now using the new agent" in n for n in notes), notes
        saved = json.loads((tmp_path / "agents.json").read_text())["stack"]
        assert saved == [None, str(start), str(screen.run_dir)]
        await pilot.press("ctrl+b")
        assert screen.host.current_path() == str(start)
        await pilot.press("ctrl+b")
        assert screen.host.current_path() is None  # the shipped default
        await pilot.press("ctrl+b")
        assert "nothing to undo" in notes[-1]


def test_history_survives_a_restart_and_a_corrupt_file(tmp_path):
    h = AgentHistory(tmp_path / "agents.json")
    h.accept("runs/a")
    h.reset()
    assert AgentHistory(tmp_path / "agents.json").stack == [None, "runs/a", None]
    (tmp_path / "agents.json").write_text("{not json")
    assert AgentHistory(tmp_path / "agents.json").stack == [None]


def test_gate_message_gives_the_numbers():
    kept = GateResult(False, 0.937, 0.90, 390, 2.0, taught=1.0)
    assert kept.message().startswith("kept the current agent: old skills (val split, 390 tasks) "
                                     "93.7% -> 90.0%")
    assert "your tasks 100%" in kept.message()
    assert GateResult(True, 0.937, 0.93, 390, 2.0).message().startswith("now using the new agent")


def test_the_gate_names_the_family_that_fell_most_even_when_it_accepts():
    from bfcore.agent.gate import check

    shares = {"old": {"overall": 0.60, "echo": 1.0, "remove": 0.70, "lower": 0.50},
              "new": {"overall": 0.61, "echo": 1.0, "remove": 0.35, "lower": 1.00}}
    r = check("old", "new", tasks=[object()] * 40, score=lambda agent, tasks: shares[agent])
    assert r.accepted and r.fell == ("remove", 0.70, 0.35)
    assert "(remove fell most: 70% -> 35%)" in r.message()
    # a plain share, or no family below the points: nothing to name
    assert check("a", "b", tasks=[1], score=lambda agent, tasks: 0.5).fell is None
    same = {"overall": 0.6, "echo": 0.99}
    assert check("a", "b", tasks=[1], score=lambda agent, tasks: same).fell is None


def test_stall_warning_says_what_to_try():
    assert stall_warning({"entropy": 0.5, "success_rate": 0.1}) is None
    for rep in ({"stopped": "stalled: no better running success than 0% in 150 updates"},
                {"entropy": 1e-5, "success_rate": 0.0}):
        assert "more examples" in stall_warning(rep) and "exploration" in stall_warning(rep)


@sync
async def test_task_list_edits_deletes_and_refuses_duplicates(tmp_path):
    from bfcore.tasks import load_tasks

    notes = []
    app = main_app(agent_path=str(tmp_path / "no-agent"), data_dir=tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        app.notify = lambda message, **kw: notes.append(message)
        for prompt, out in (("say ok", "ok"), ("say yes", "yes"), ("Say OK ", "no")):
            screen.query_one("#prompt").value = prompt
            screen.query_one("#expect").value = out
            await pilot.press("ctrl+n")
        assert "task 1 already asks 'say ok'" in notes[-1]  # the third is a duplicate
        await pilot.press("ctrl+l")
        tasks_screen = app.screen
        assert str(tmp_path / "tasks.jsonl") in str(tasks_screen.query_one("#where").render())
        await pilot.press("down")  # the second task
        tasks_screen.query_one("#edit-expect").value = r"yes\n"
        await pilot.press("ctrl+s")
        await pilot.press("up", "delete")
        await pilot.press("escape")
        assert app.screen is screen
    assert [(t.problem, t.target) for t in load_tasks(tmp_path / "tasks.jsonl")] == [("say yes", b"yes\n")]


def test_an_unreadable_task_file_is_never_overwritten(tmp_path):
    from bftui.screens.taskset import TaskSetError, append_task

    bad = tmp_path / "tasks.jsonl"
    bad.write_text('{"problem": "say hi", "solution": "hi"}\nnot json\n')
    with pytest.raises(TaskSetError, match=r"tasks.jsonl:2: invalid JSON"):
        append_task(bad, "say ok", b"ok")
    assert bad.read_text().endswith("not json\n")


@sync
async def test_a_gate_that_cannot_run_says_so_and_the_run_can_be_used_anyway(tmp_path, start,
                                                                            monkeypatch):
    notes = []

    def broken(*args, **kwargs):
        raise ValueError("no val split for this model")

    monkeypatch.setattr("bfcore.agent.gate.check", broken)
    app = main_app(agent_path=str(start), data_dir=tmp_path, train_overrides=TINY)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        app.notify = lambda message, **kw: notes.append(message)
        await _teach(pilot, screen)
        assert screen.host.current_path() == str(start)
        assert any("could not be checked (ValueError: no val split" in n for n in notes), notes
        screen.action_agent_use_last()
        assert screen.host.current_path() == str(screen.run_dir)
        await pilot.press("ctrl+b")
        assert screen.host.current_path() == str(start)


SYNTH_TINY = {"synth": {"minutes": 0.5, "settle": 2, "keys_per_batch": 2, "samples_per_key": 8,
                        "mutants_per_key": 16, "enum_every": 0, "report_every": 1,
                        "save_every": 2}}


@sync
async def test_tasks_with_examples_teach_the_synthesis_agent(tmp_path):
    from bfcore.tasks import load_tasks

    notes = []
    app = main_app(agent_path=str(tmp_path / "no-agent"), data_dir=tmp_path,
                   train_overrides=SYNTH_TINY, gate_points=100)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        app.notify = lambda message, **kw: notes.append(message)
        screen.query_one("#prompt").value = "say back what I type"
        screen.query_one("#expect").value = "abc -> abc; hello -> hello; x -> x"
        await pilot.press("ctrl+n")
        [task] = load_tasks(tmp_path / "tasks.jsonl")
        assert task.tests == ((b"abc", b"abc"), (b"hello", b"hello"), (b"x", b"x"))
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: screen.run_dir is not None and not screen.training,
                         "teaching and the gate", rounds=40000)
        assert screen.run_dir.name.startswith("teach")
        from bftui.widgets.curve import Curve

        solved = screen.query_one("#reward", Curve).series("your tasks")
        assert solved and solved[-1] == 1.0, notes  # an echo: from the library at once
        assert screen.task_success == {"say back what I type": 1.0}  # what Ctrl+L shows
        assert any("the synthesis agent" in n and "now using the new agent" in n for n in notes), notes
        assert screen.host.synth_path() == str(screen.run_dir)
        assert screen.host.current_path() == str(tmp_path / "no-agent")  # the print agent: untouched
        await pilot.press("ctrl+b")
        assert screen.host.synth_path() is None and "back to the shipped default" in notes[-1]


@sync
async def test_a_mixed_task_set_teaches_both_agents_one_after_the_other(tmp_path, start):
    from bfcore.tasks import load_tasks

    notes = []
    app = main_app(agent_path=str(start), data_dir=tmp_path, train_overrides={**TINY, **SYNTH_TINY},
                   gate_points=100)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        app.notify = lambda message, **kw: notes.append(message)
        await wait_until(pilot, lambda: screen.agent_state.startswith("agent:"), "the agent to load")
        for prompt, box in (("say back what I type", "ab -> ab; xyz -> xyz"), ("say hi", "hi")):
            screen.query_one("#prompt").value = prompt
            screen.query_one("#expect").value = box
            await pilot.press("ctrl+n")
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: screen.run_dir is not None
                         and not screen.run_dir.name.startswith("teach") and not screen.training,
                         "both teaching runs", rounds=60000)
        assert screen.host.synth_path() is not None and "teach" in screen.host.synth_path()
        assert screen.host.current_path() == str(screen.run_dir), notes  # then the print agent
        # the print agent trained on the print task alone
        assert [t.problem for t in load_tasks(tmp_path / "tasks.print.jsonl")] == ["say hi"]
        assert sum("now using the new agent" in n for n in notes) == 2, notes
