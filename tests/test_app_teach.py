"""Teaching in the app: the gate keeps or switches the agent, ctrl+b goes back, stalls are named."""

from __future__ import annotations

import json

import pytest

from bfcore.agent.gate import AgentHistory, GateResult
from bfcore.train import TrainConfig, train
from bftui.app import main_app
from bftui.screens.main import stall_warning

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
    screen.query_one("#prompt").value = "say hi"
    screen.query_one("#expect").value = "hi"
    await pilot.press("ctrl+n", "ctrl+t")
    await wait_until(pilot, lambda: screen.training, "training to start")
    await wait_until(pilot, lambda: not screen.training, "training and the gate", rounds=40000)


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


def test_stall_warning_says_what_to_try():
    assert stall_warning({"entropy": 0.5, "success_rate": 0.1}) is None
    for rep in ({"stopped": "stalled: no better running success than 0% in 150 updates"},
                {"entropy": 1e-5, "success_rate": 0.0}):
        assert "more examples" in stall_warning(rep) and "exploration" in stall_warning(rep)
