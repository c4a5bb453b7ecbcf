"""The training dashboard follows metrics.jsonl as it grows, starts over, goes missing or breaks."""

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from bftui.metrics import MetricsFollower
from bftui.watch import WatchApp, format_eta
from bftui.widgets.curve import Curve

ROOT = Path(__file__).resolve().parents[1]


def record(step: int, **extra) -> dict:
    return {
        "step": step,
        "episodes": step * 8,
        "time": step * 0.5,
        "episodic_return": step / 10,
        "success_rate": min(1.0, step / 20),
        "entropy": 2.0 - step / 100,
        "approx_kl": 0.01,
        "clipfrac": 0.2,
        "value_loss": 1.0 / (step + 1),
        "sps": 16.0,
        **extra,
    }


def append(path: Path, *lines: str) -> None:
    with open(path, "a") as f:
        f.write("".join(lines))
        f.flush()


def jsonl(*records: dict) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


async def wait_for(pilot, condition, what: str, tries: int = 200) -> None:
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def status_text(app: WatchApp) -> str:
    return str(app.query_one("#status").render())


def run(coro):
    return asyncio.run(coro)


def test_ingests_lines_appended_while_running(tmp_path):
    async def body():
        (tmp_path / "config.json").write_text(json.dumps({"steps": 100}))
        metrics = tmp_path / "metrics.jsonl"
        app = WatchApp(tmp_path, poll_interval=0.02)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: "does not exist yet" in status_text(app), "waiting message")
            assert app.records == 0
            samples = [{"family": "echo", "prompt": "say hi", "program": "+.", "output": "\x01", "reward": 0.25}]
            append(metrics, jsonl(record(1), record(2, samples=samples)))
            await wait_for(pilot, lambda: app.records == 2, "first two records")
            reward = app.query_one("#curve-reward", Curve)
            assert reward.series("episodic_return") == [0.1, 0.2]
            assert app.query_one("#curve-kl", Curve).series_names == ["approx_kl", "clipfrac"]
            table = app.query_one("#samples")
            assert table.row_count == 1 and table.get_row("echo")[2] == "say hi"
            # A partial line is held back until its newline arrives.
            line = json.dumps(record(3))
            append(metrics, line[:10])
            await pilot.pause(0.1)
            assert app.records == 2
            append(metrics, line[10:] + "\n")
            await wait_for(pilot, lambda: app.records == 3, "the completed line")
            assert "step 3/100" in status_text(app)
            # 2 steps took 1 s of run time; 97 steps left -> 48.5 s.
            assert app.eta_seconds() == 48.5 and "ETA 0m48s" in status_text(app)

    run(body())


def test_time_limit_idle_and_finished_runs(tmp_path):
    async def body():
        (tmp_path / "config.json").write_text(json.dumps({"steps": 1000, "minutes": 0.1}))
        metrics = tmp_path / "metrics.jsonl"
        metrics.write_text(jsonl(record(1), record(3)))
        app = WatchApp(tmp_path, poll_interval=0.02)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: app.records == 2, "two records")
            # 6 s of training time allowed, 1.5 s spent: the time limit comes before step 1000
            assert app.eta_seconds() == 4.5 and "ETA 0m04s" in status_text(app)
            assert "0.0/0.1 min" in status_text(app)  # training time against the limit
            old = metrics.stat().st_mtime - 3 * 3600
            os.utime(metrics, (old, old))
            app.poll_metrics()
            assert "no new metrics for 3h00m: not training" in status_text(app)
            assert "ETA" not in status_text(app)
            append(metrics, jsonl(record(12)))  # 6 s of training time: the run's limit
            await wait_for(pilot, lambda: app.records == 3, "the last record")
            assert "finished (q to close)" in status_text(app)

    run(body())


def test_truncation_starts_over(tmp_path):
    async def body():
        metrics = tmp_path / "metrics.jsonl"
        metrics.write_text(jsonl(*(record(i) for i in range(1, 6))))
        app = WatchApp(tmp_path, poll_interval=0.02)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: app.records == 5, "five records")
            metrics.write_text(jsonl(record(100)))
            await wait_for(pilot, lambda: app.records == 1, "the new run's record")
            assert app.query_one("#curve-reward", Curve).series("episodic_return") == [10.0]
            assert "step 100" in status_text(app)

    run(body())


def test_atomic_rewrite_with_same_prefix_continues(tmp_path):
    metrics = tmp_path / "metrics.jsonl"
    metrics.write_text(jsonl(record(1)))
    follower = MetricsFollower(metrics)
    assert [r["step"] for r in follower.poll().records] == [1]
    temp = tmp_path / "metrics.jsonl.tmp"
    temp.write_text(jsonl(record(1), record(2)))
    os.replace(temp, metrics)
    update = follower.poll()
    assert not update.reset and [r["step"] for r in update.records] == [2]
    temp.write_text(jsonl(record(7), record(8)))
    os.replace(temp, metrics)
    update = follower.poll()
    assert update.reset and [r["step"] for r in update.records] == [7, 8]


def test_broken_lines_are_counted_with_last_line_number(tmp_path):
    async def body():
        metrics = tmp_path / "metrics.jsonl"
        metrics.write_text(jsonl(record(1)) + "{not json\n" + jsonl(record(2)) + "[1, 2]\n" + jsonl(record(3)))
        app = WatchApp(tmp_path, poll_interval=0.02)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: app.records == 3, "the good records")
            assert app.follower.bad_lines == 2 and app.follower.last_bad_line == 4
            assert "2 bad lines skipped (last: line 4)" in status_text(app)

    run(body())


def test_file_removed_goes_back_to_waiting(tmp_path):
    async def body():
        metrics = tmp_path / "metrics.jsonl"
        metrics.write_text(jsonl(record(1)))
        app = WatchApp(tmp_path, poll_interval=0.02)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: app.records == 1, "one record")
            metrics.unlink()
            await wait_for(pilot, lambda: "waiting for metrics" in status_text(app), "waiting again")
            assert app.records == 0

    run(body())


def test_q_calls_on_quit_first(tmp_path):
    async def body():
        calls = []
        app = WatchApp(tmp_path, on_quit=lambda: calls.append(app.is_running), poll_interval=0.02)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("q")
            await pilot.pause()
        assert calls == [True]
        assert app.return_value == "asked the trainer to stop and save a checkpoint"
        plain = WatchApp(tmp_path, poll_interval=0.02)
        async with plain.run_test(size=(100, 30)) as pilot:
            await pilot.press("ctrl+c")
            await pilot.pause()
        assert plain.return_value == "stopped watching"

    run(body())


def test_large_existing_file_is_read_in_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr("bftui.metrics.READ_CHUNK", 256)
    metrics = tmp_path / "metrics.jsonl"
    metrics.write_text(jsonl(*(record(i) for i in range(50))))
    follower = MetricsFollower(metrics)
    steps, polls = [], 0
    while True:
        update = follower.poll()
        polls += 1
        steps += [r["step"] for r in update.records]
        if not update.more:
            break
    assert steps == list(range(50)) and polls > 5 and follower.bad_lines == 0


def test_format_eta():
    assert format_eta(None) == "-"
    assert format_eta(75) == "1m15s"
    assert format_eta(3 * 3600 + 120) == "3h02m"


def test_cli_rejects_a_missing_run_dir(tmp_path):
    missing = tmp_path / "nope"
    got = subprocess.run(
        [sys.executable, "-m", "bftui", "watch", str(missing)], cwd=ROOT, capture_output=True, text=True
    )
    assert got.returncode == 2
    assert got.stderr.strip() == f"bftui watch: error: {missing}: not a directory (expected a training run directory)"


def test_follows_a_real_training_run(tmp_path):
    import threading

    from bfcore.tasks import make_task, save_tasks
    from bfcore.train import TrainConfig, train
    from bfcore.threads import release_mlx_streams

    tasks = tmp_path / "tasks.jsonl"
    save_tasks([make_task("say hi", "hi"), make_task("say ok", "ok")], tasks)
    run_dir = tmp_path / "run"
    config = TrainConfig(
        run_dir=str(run_dir), tasks=str(tasks), steps=4, batch_size=8, encoder_layers=0, hidden=16, report_every=1
    )
    stop = threading.Event()

    def work():
        try:
            train(config, should_stop=stop.is_set)
        finally:
            release_mlx_streams()  # else the test process may abort at exit

    trainer = threading.Thread(target=work)

    async def body():
        app = WatchApp(run_dir, on_quit=stop.set, poll_interval=0.02)
        async with app.run_test(size=(120, 40)) as pilot:
            trainer.start()
            await wait_for(pilot, lambda: app.records == 4, "four reports", tries=3000)
            assert len(app.query_one("#curve-reward", Curve).series("episodic_return")) == 4
            assert len(app.query_one("#curve-entropy", Curve).series("entropy")) == 4
            assert app.total_steps == 4 and "step 4/4" in status_text(app)
            assert "finished (q to close)" in status_text(app)
            table = app.query_one("#samples")
            assert table.row_count >= 1
            assert {str(table.get_row_at(i)[2]) for i in range(table.row_count)} <= {"say hi", "say ok"}
            await pilot.press("q")
        trainer.join(timeout=60)
        assert not stop.is_set() or (run_dir / "checkpoint" / "state.json").is_file()

    run(body())
