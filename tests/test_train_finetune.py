"""Fine-tuning that keeps old skills: rehearsal, a KL penalty to the start, and the stopping rules."""

import json
import math

import numpy as np
import pytest

from bfcore.runtime import mx
from bfcore.train import TrainConfig, TrainError, Trainer, train
from bfcore.train.ppo import kl_to_reference


def tiny(run_dir, **kw):
    base = dict(run_dir=str(run_dir), steps=2, batch_size=32, hidden=32, encoder_layers=0,
                tasks_per_family=6, families=["add"], report_every=1, save_every=100, max_steps=8,
                seed=5, curriculum=False)
    base.update(kw)
    return TrainConfig(**base)


@pytest.fixture(scope="module")
def start(tmp_path_factory):
    """A tiny agent trained on the built-in families: the agent that fine-tunes start from."""
    return train(tiny(tmp_path_factory.mktemp("start") / "run", families=[], steps=2))


def test_kl_estimator_is_zero_at_the_reference_and_matches_hand_values():
    alive = mx.array([[True, True, False]])
    same = mx.log(mx.array([[0.5, 0.2, 0.9]]))
    assert float(kl_to_reference(mx, same, same, alive)) == 0.0
    new, ref = mx.log(mx.array([[0.5, 0.5, 0.5]])), mx.log(mx.array([[0.25, 0.5, 0.01]]))
    r = math.log(0.5)  # first step: ref/new = 0.5; second: 1 (0); third is dead
    assert float(kl_to_reference(mx, new, ref, alive)) == pytest.approx((0.5 - r - 1) / 2, rel=1e-5)


def test_rehearsal_mixes_the_built_in_tasks_into_each_batch(tmp_path, start):
    tr = Trainer(tiny(tmp_path / "ft", families=["double"], init_from=str(start), rehearsal=0.5),
                 tmp_path / "ft")
    assert {t.family for t in tr.tasks[: tr.n_user]} == {"double"}
    idx = np.concatenate([tr._pick() for _ in range(20)])
    share = float((idx >= tr.n_user).mean())
    assert 0.35 < share < 0.65
    assert "double" not in {tr.tasks[i].family for i in idx if i >= tr.n_user}
    out = tr.update()
    assert set(out["_family_success"]) == {"double"}  # the taught tasks' own success, apart
    assert 0.0 <= out["rehearsal_success"] <= 1.0


def test_rehearsal_and_kl_need_a_starting_agent(tmp_path):
    for kw in ({"rehearsal": 0.5}, {"kl_coef": 0.1}):
        with pytest.raises(TrainError, match="need init_from"):
            Trainer(tiny(tmp_path / "x", **kw), tmp_path / "x")
    with pytest.raises(TrainError, match="rehearsal must be a number from 0 to below 1"):
        Trainer(tiny(tmp_path / "y", rehearsal=1.0, init_from="x"), tmp_path / "y")


def _drift(tmp_path, start, name, kl_coef):
    reports = []
    train(tiny(tmp_path / name, families=["double"], init_from=str(start), steps=6, lr=3e-3,
               kl_coef=kl_coef), on_report=reports.append)
    return np.mean([r["kl_ref"] for r in reports[-3:]])


def test_the_kl_penalty_keeps_the_policy_near_its_start(tmp_path, start):
    free, held = _drift(tmp_path, start, "free", 1e-9), _drift(tmp_path, start, "held", 20.0)
    assert held < free * 0.5, (held, free)


def test_stop_reason_target_and_patience(tmp_path):
    tr = Trainer(tiny(tmp_path / "s", target_success=0.9, patience=10), tmp_path / "s")
    assert tr.stop_reason() is None
    tr.progress.update(ema=0.95)
    assert tr.stop_reason().startswith("target reached")
    tr.progress.update(ema=0.5, best=0.5, best_step=0)
    tr.step = 10
    assert tr.stop_reason().startswith("stalled")


def test_training_stops_itself_when_stalled_and_says_so(tmp_path):
    # lr 0: nothing can improve, so the running success never beats its first value
    run = train(tiny(tmp_path / "st", steps=50, lr=0.0, patience=3))
    lines = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    assert lines[-1]["step"] < 50 and lines[-1]["stopped"].startswith("stalled")
    assert json.loads((run / "checkpoint" / "state.json").read_text())["step"] == lines[-1]["step"]


def test_kl_on_rehearsal_leaves_the_taught_episodes_free(tmp_path, start):
    reports = []
    # no rehearsal rows: nothing is held, so the measured penalty is exactly zero while it learns
    train(tiny(tmp_path / "r", families=["double"], init_from=str(start), steps=3, lr=3e-3,
               kl_coef=5.0, kl_on="rehearsal"), on_report=reports.append)
    assert [r["kl_ref"] for r in reports] == [0.0, 0.0, 0.0]
    reports.clear()
    train(tiny(tmp_path / "a", families=["double"], init_from=str(start), steps=3, lr=3e-3,
               kl_coef=5.0, kl_on="all"), on_report=reports.append)
    assert reports[-1]["kl_ref"] > 0.0


def test_reports_give_each_taught_task_its_own_success(tmp_path):
    from bfcore.tasks import make_task, save_tasks

    save_tasks([make_task("say hi", "hi"), make_task("say ok", "ok")], tmp_path / "t.jsonl")
    reports = []
    train(tiny(tmp_path / "p", tasks=str(tmp_path / "t.jsonl"), families=[], steps=2),
          on_report=reports.append)
    for r in reports:
        assert set(r["task_success"]) == {"say hi", "say ok"}
        assert all(0.0 <= v <= 1.0 for v in r["task_success"].values())


def test_the_cli_progress_line_survives_missing_metrics_and_names_the_stop():
    from bftui.commands.train import progress_line

    line = progress_line({"step": 3, "episodic_return": None, "success_rate": 0.5, "entropy": None,
                          "curriculum_level": 0, "sps": 10.0, "rehearsal_success": 0.9,
                          "stopped": "target reached: running success 91% >= 90%"}, 10)
    assert "reward -" in line and "entropy -" in line and "old skills 90%" in line
    assert line.endswith("(target reached: running success 91% >= 90%)")


def test_runs_started_within_one_second_get_their_own_directories(tmp_path):
    from bfcore.train.run import new_run_dir

    first = new_run_dir(tmp_path, "repl")
    first.mkdir()
    second = new_run_dir(tmp_path, "repl")
    assert second != first and second.name.startswith(first.name)


def test_resume_drops_metrics_lines_that_are_not_reports(tmp_path):
    from bfcore.train.run import trim_metrics

    log = tmp_path / "metrics.jsonl"
    log.write_text('{"step": 1}\n[1, 2]\n{"step": "x"}\nnot json\n{"step": 3}\n')
    trim_metrics(log, 2)
    assert log.read_text() == '{"step": 1}\n'
