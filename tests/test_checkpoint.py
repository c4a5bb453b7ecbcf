"""Crash-consistent runs, for both trainers: atomic checkpoints, refusal of mixed or corrupt ones, exact
resume after Ctrl-C or SIGTERM, one trainer per run directory, and stopping a diverging run."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from bfcore.runtime import mx
from bfcore.train import Trainer, train
from test_synth_train import TinyEncoder, _cfg as synth_cfg
from test_train_resume import tiny

from mlx.utils import tree_flatten  # noqa: E402


class Killed(BaseException):
    """Stands in for SIGKILL: nothing after it runs (not even ``finally`` blocks that catch Exception)."""


def weights(run: Path) -> dict:
    return {k: np.array(v) for k, v in mx.load(str(run / "checkpoint" / "model.safetensors")).items()}


def assert_same_weights(a: Path, b: Path) -> None:
    wa, wb = weights(a), weights(b)
    assert wa.keys() == wb.keys()
    for k in wa:
        np.testing.assert_array_equal(wa[k], wb[k], err_msg=k)


def _digest(tree) -> str:
    h = hashlib.sha256()
    for k, v in sorted(tree_flatten(tree), key=lambda kv: kv[0]):
        h.update(k.encode() + np.array(v).tobytes())
    return h.hexdigest()


# ------------------------------------------------------------------ the two trainers, one interface
class PrintKind:
    name = "print"

    def trainer(self, run: Path):
        return Trainer(tiny(run), run)

    def save(self, tr, run: Path) -> None:
        tr.run_dir, tr.ckpt = run, run / "checkpoint"
        tr.save()

    def restore(self, tr, run: Path) -> None:
        tr.run_dir, tr.ckpt = run, run / "checkpoint"
        tr.restore()

    def fingerprint(self, tr):
        return (tr.step, _digest(tr.policy.parameters()), _digest(tr.opt.state),
                json.dumps(tr.np_rng.bit_generator.state), json.dumps(tr.curriculum.state()))

    def train(self, run: Path, **kw):
        return train(tiny(run, **kw))


class SynthKind:
    name = "synth"

    def trainer(self, run: Path):
        from bfcore.synth.train import SynthTrainer

        return SynthTrainer(synth_cfg(run.parent, run_dir=str(run)), encoder=TinyEncoder())

    def save(self, tr, run: Path) -> None:
        tr.save(run)

    def restore(self, tr, run: Path) -> None:
        from bfcore.synth.train import find_checkpoint

        tr.restore(find_checkpoint(run))

    def fingerprint(self, tr):
        return (tr.step, _digest(tr.policy.parameters()), _digest(tr.opt.state),
                json.dumps(tr.rng.bit_generator.state), json.dumps(tr.queue.state(), sort_keys=True))

    def train(self, run: Path, **kw):
        from bfcore.synth.train import train as synth_train

        return synth_train(synth_cfg(run.parent, run_dir=str(run), **kw), encoder=TinyEncoder())


KINDS = [PrintKind(), SynthKind()]


# ------------------------------------------------------------------ 1. one atomic unit
@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_a_kill_anywhere_inside_a_save_leaves_the_old_or_the_new_checkpoint_whole(tmp_path, monkeypatch, kind):
    """Every file-system step of a save in turn is where the process dies; what is left on disk must
    resume as the step-2 checkpoint or as the step-4 one, never weights of one with state of the other."""
    import shutil as sh

    base = tmp_path / "base"
    tr = kind.trainer(base)
    base.mkdir(exist_ok=True)
    tr.update(), tr.update()
    kind.save(tr, base)
    old = kind.fingerprint(tr)
    tr.update(), tr.update()
    new = kind.fingerprint(tr)
    names = [(os, "replace"), (os, "rename"), (os, "fsync"), (os, "symlink"), (os, "unlink"), (os, "rmdir"),
             (os, "mkdir"), (sh, "rmtree"), (mx, "save_safetensors")]
    seen = set()
    for k in range(1, 80):
        work = tmp_path / f"k{k}"
        shutil.copytree(base, work, symlinks=True)
        calls = []
        with monkeypatch.context() as m:
            for mod, name in names:
                def die(*a, _f=getattr(mod, name), **kw):
                    calls.append(1)
                    if len(calls) == k:
                        raise Killed
                    return _f(*a, **kw)
                m.setattr(mod, name, die)
            try:
                kind.save(tr, work)
                finished = True
            except Killed:
                finished = False
        back = kind.trainer(work)
        kind.restore(back, work)
        got = kind.fingerprint(back)
        assert got in (old, new), f"killed at file operation {k}: resumed a mixed checkpoint"
        seen.add(got == new)
        if finished:
            assert got == new
            break
    else:
        pytest.fail("the save never finished")
    assert seen == {False, True}


def _checkpoints(tmp_path):
    a = train(tiny(tmp_path / "a", steps=2))
    b = train(tiny(tmp_path / "b", steps=4))
    return a, b


def _corrupt(tmp_path, a, b, case) -> Path:
    run = tmp_path / case
    shutil.copytree(a, run, symlinks=True)
    ck, other = run / "checkpoint", b / "checkpoint"
    if case == "model_from_another_step":
        shutil.copyfile(other / "model.safetensors", ck / "model.safetensors")
    elif case == "optimizer_from_another_step":
        shutil.copyfile(other / "optimizer.safetensors", ck / "optimizer.safetensors")
    elif case == "state_from_another_step":
        shutil.copyfile(other / "state.json", ck / "state.json")
    elif case == "truncated_model":
        data = (ck / "model.safetensors").read_bytes()
        (ck / "model.safetensors").write_bytes(data[: len(data) // 2])
    else:  # content checks: also for a checkpoint with no manifest (hand-made, or from older versions)
        for f in ck.iterdir():
            if f.name not in ("model.safetensors", "optimizer.safetensors", "state.json"):
                f.unlink()
        if case == "nan_weights":
            arrays = mx.load(str(ck / "model.safetensors"))
            mx.save_safetensors(str(ck / "model.safetensors"), {k: v * float("nan") for k, v in arrays.items()})
        elif case == "bogus_token_rows":
            st = json.loads((ck / "state.json").read_text())
            st["model"]["token_rows"] = "bogus"
            (ck / "state.json").write_text(json.dumps(st))
        elif case == "shapes_unlike_the_config":
            small = train(tiny(tmp_path / "small", steps=1, hidden=16))
            shutil.copyfile(small / "checkpoint" / "model.safetensors", ck / "model.safetensors")
    return run


CORRUPT = ["model_from_another_step", "optimizer_from_another_step", "state_from_another_step", "truncated_model",
           "nan_weights", "bogus_token_rows", "shapes_unlike_the_config"]


def test_mixed_or_corrupt_checkpoints_are_refused_on_resume_with_one_line(tmp_path, capsys):
    from bftui.cli import main

    a, b = _checkpoints(tmp_path)
    for case in CORRUPT:
        run = _corrupt(tmp_path, a, b, case)
        with pytest.raises(ValueError) as exc:
            train(tiny(run, steps=5, resume=True))
        msg = str(exc.value)
        assert str(run) in msg and "\n" not in msg, (case, msg)
        capsys.readouterr()
        assert main(["train", "--run", str(run), "--resume", "--steps", "5"]) == 2, case
        err = capsys.readouterr().err
        lines = err.splitlines()  # "training into RUN", then the error
        assert len(lines) == 2 and lines[1].startswith("bftui train: error: ") and str(run) in lines[1], err
        assert json.loads((run / "checkpoint" / "state.json").read_text())["step"] != 5  # nothing trained


def test_loading_an_agent_with_nan_weights_or_a_bogus_token_rows_is_refused(tmp_path):
    from bfcore.agent.agent import AgentError, load_policy

    a, b = _checkpoints(tmp_path)
    for case, match in [("nan_weights", "not finite"), ("bogus_token_rows", "token_rows"),
                        ("model_from_another_step", "does not match the manifest")]:
        run = _corrupt(tmp_path, a, b, case)
        with pytest.raises(AgentError, match=match):
            load_policy(run / "checkpoint")


def test_a_synth_checkpoint_with_nan_weights_is_refused(tmp_path):
    from bfcore.synth.agent import SynthAgent, SynthAgentError

    run = SynthKind().train(tmp_path / "s", steps=2)
    ck = run / "checkpoint"
    arrays = mx.load(str(ck / "model.safetensors"))
    mx.save_safetensors(str(ck / "model.safetensors"), {k: v * float("nan") for k, v in arrays.items()})
    with pytest.raises(SynthAgentError):
        SynthAgent.load(run, encoder=TinyEncoder())
    with pytest.raises(ValueError, match=str(run)):
        SynthKind().train(run, steps=4, resume=True)


# ------------------------------------------------------------------ 2. exact resume after Ctrl-C / SIGTERM
def _interrupt_on_call(monkeypatch, module, name, n):
    calls = []
    orig = getattr(module, name)

    def hit(*a, **kw):
        calls.append(1)
        if len(calls) == n:
            raise KeyboardInterrupt
        return orig(*a, **kw)
    monkeypatch.setattr(module, name, hit)


@pytest.mark.parametrize("where", ["before_the_optimizer", "between_minibatches"])
def test_ctrl_c_in_the_middle_of_an_update_resumes_exactly(tmp_path, monkeypatch, where):
    import mlx.optimizers as optim

    import bfcore.rewards as rewards

    full = train(tiny(tmp_path / "full", steps=5))
    with monkeypatch.context() as m:
        if where == "before_the_optimizer":  # update 3 has drawn its tasks and its samples
            _interrupt_on_call(m, rewards, "run_programs", 3)
        else:  # update 3 has applied 2 of its 4 minibatch steps (2 epochs x 2 minibatches)
            _interrupt_on_call(m, optim, "clip_grad_norm", 2 * 4 + 3)
        with pytest.raises(KeyboardInterrupt):
            train(tiny(tmp_path / "half", steps=5, save_every=100))
    assert json.loads((tmp_path / "half" / "checkpoint" / "state.json").read_text())["step"] == 2
    train(tiny(tmp_path / "half", steps=5, resume=True))
    assert_same_weights(full, tmp_path / "half")
    steps = [json.loads(x)["step"] for x in (tmp_path / "half" / "metrics.jsonl").read_text().splitlines()]
    assert steps == [1, 2, 3, 4, 5]


def test_ctrl_c_in_the_middle_of_a_synth_update_resumes_exactly(tmp_path, monkeypatch):
    import bfcore.synth.score as score

    kind = SynthKind()
    full = kind.train(tmp_path / "full", steps=5)
    with monkeypatch.context() as m:
        _interrupt_on_call(m, score, "score_programs", 3)  # update 3 has drawn and sampled
        with pytest.raises(KeyboardInterrupt):
            kind.train(tmp_path / "half", steps=5, save_every=100)
    assert json.loads((tmp_path / "half" / "checkpoint" / "state.json").read_text())["step"] == 2
    kind.train(tmp_path / "half", steps=5, resume=True)
    assert (full / "checkpoint" / "model.safetensors").read_bytes() == \
        (tmp_path / "half" / "checkpoint" / "model.safetensors").read_bytes()


def _wait_for_metrics(run: Path, lines: int, proc) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        f = run / "metrics.jsonl"
        if f.is_file() and f.read_text().count("\n") >= lines:
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)  # polling for an event, not timing one
    pytest.fail("the trainer wrote no metrics")


def test_sigterm_saves_like_ctrl_c_and_a_second_trainer_is_refused(tmp_path, capsys):
    from bftui.cli import main

    run = tmp_path / "run"
    cfg = tmp_path / "cfg.json"
    d = tiny(run, steps=100000, save_every=100000).to_dict()
    del d["run_dir"]
    cfg.write_text(json.dumps(d))
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    proc = subprocess.Popen([sys.executable, "-m", "bftui", "train", "--config", str(cfg), "--run", str(run)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        _wait_for_metrics(run, 2, proc)
        # 3. while it trains, a second trainer on its directory (fresh or resumed) is refused
        for argv in (["--config", str(cfg), "--steps", "2"], ["--resume"]):
            capsys.readouterr()
            assert main(["train", "--run", str(run), *argv]) == 2
            err = capsys.readouterr().err
            lines = err.splitlines()  # "training into RUN", then the error
            assert len(lines) == 2 and str(run) in lines[1] and f"pid {proc.pid}" in lines[1], err
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130 and "Traceback" not in err, err
    assert f"checkpoint saved in {run}/checkpoint" in err
    step = json.loads((run / "checkpoint" / "state.json").read_text())["step"]
    assert step >= 2
    lines = [json.loads(x)["step"] for x in (run / "metrics.jsonl").read_text().splitlines()]
    assert lines == list(range(1, len(lines) + 1)) and len(lines) >= step  # each step once
    train(tiny(run, steps=step + 2, resume=True))
    full = train(tiny(tmp_path / "full", steps=step + 2))
    assert_same_weights(full, run)


# ------------------------------------------------------------------ 3. one trainer per run directory
@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_a_second_trainer_on_a_live_run_dir_is_refused_naming_the_holder(tmp_path, kind):
    run = tmp_path / "run"
    refused = []

    def second(rep):
        if rep["step"] == 2:  # a checkpoint of step 1 exists, and this trainer is still running
            for resume in (False, True):
                with pytest.raises(ValueError) as exc:
                    kind.train(run, steps=3, resume=resume)
                refused.append(str(exc.value))

    if kind.name == "print":
        train(tiny(run, steps=3, save_every=1), on_report=second)
    else:
        from bfcore.synth.train import train as synth_train

        synth_train(synth_cfg(tmp_path, run_dir=str(run), steps=3, save_every=1, report_every=1),
                    encoder=TinyEncoder(), on_report=second)
    assert len(refused) == 2
    for msg in refused:
        assert str(run) in msg and f"pid {os.getpid()}" in msg, msg
    steps = [json.loads(x)["step"] for x in (run / "metrics.jsonl").read_text().splitlines()]
    assert steps == [1, 2, 3]


def test_a_fresh_start_after_a_kill_before_the_first_save_does_not_append_to_stale_metrics(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.jsonl").write_text("".join(json.dumps({"step": s, "stale": True}) + "\n" for s in range(1, 8)))
    train(tiny(run, steps=2))
    lines = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    assert [x["step"] for x in lines] == [1, 2] and not any("stale" in x for x in lines)


# ------------------------------------------------------------------ 4. diverging runs
# the print agent at the 1e8 goes NaN on its first update; the synth agent's weights stay
# finite there (its loss grows to ~1e11). At 1e20 they went non-finite on some machines, while on
# others the policy saturates and they stay finite (the scipy-openblas32 wheel on a 2-core EPYC: 20
# updates, and 1e30 too, loss 1e33); 1e38 overflows float32 on the first update anywhere
HUGE = {"print": 1e8, "synth": 1e38}


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_a_diverging_run_stops_with_one_line_and_keeps_the_last_good_checkpoint(tmp_path, kind):
    run = tmp_path / "run"
    kind.train(run, steps=3)
    good = (run / "checkpoint" / "model.safetensors").read_bytes()
    with pytest.raises(ValueError, match="not finite") as exc:
        kind.train(run, steps=20, save_every=1, lr=HUGE[kind.name], resume=True)
    msg = str(exc.value)
    assert "\n" not in msg and str(run) in msg, msg
    assert re.search(r"update \d+: the (weight \S+|[a-z ]+) is not finite", msg), msg
    kept = int(re.search(r"the checkpoint keeps step (\d+), the last good one", msg).group(1))
    assert 3 <= kept < 20 and json.loads((run / "checkpoint" / "state.json").read_text())["step"] == kept
    assert all(np.isfinite(v).all() for v in weights(run).values())
    if kept == 3:  # diverged on its first update: the good checkpoint is as it was
        assert (run / "checkpoint" / "model.safetensors").read_bytes() == good


def test_a_fresh_run_diverging_on_its_first_update_saves_nothing_and_can_start_again(tmp_path):
    run = tmp_path / "run"
    with pytest.raises(ValueError, match="update 1: .* not finite .*; no checkpoint was saved"):
        train(tiny(run, steps=5, lr=1e8))
    train(tiny(run, steps=2))
    assert [json.loads(x)["step"] for x in (run / "metrics.jsonl").read_text().splitlines()] == [1, 2]


def test_resume_takes_the_learning_rate_from_the_run_config_not_the_optimizer_state(tmp_path):
    run = train(tiny(tmp_path / "run", steps=2, lr=1e-3))
    tr = Trainer(tiny(run, lr=1e-4, resume=True), run)
    tr.restore()
    assert tr.opt.learning_rate.item() == pytest.approx(1e-4)


def test_a_diverging_run_is_one_line_and_exit_2_on_the_cli(tmp_path, capsys):
    from bftui.cli import main

    cfg = tmp_path / "cfg.json"
    d = tiny(tmp_path / "run", steps=20).to_dict()
    del d["run_dir"]
    cfg.write_text(json.dumps(d))
    assert main(["train", "--config", str(cfg), "--run", str(tmp_path / "run"), "--lr", "1e8"]) == 2
    err = capsys.readouterr().err
    assert "not finite" in err and err.count("\n") == 2  # "training into ..." and the error


def test_a_run_written_by_an_earlier_version_resumes_exactly_and_moves_to_the_new_layout(tmp_path):
    """Earlier versions kept the files in a real RUN/checkpoint/ directory, without a manifest."""
    full = train(tiny(tmp_path / "full", steps=4))
    run = train(tiny(tmp_path / "old", steps=2))
    data = (run / "checkpoint").resolve()
    (run / "checkpoint").unlink()
    data.rename(run / "checkpoint")
    (run / "checkpoint" / "manifest.json").unlink()
    train(tiny(run, steps=4, resume=True))
    assert_same_weights(full, run)
    assert (run / "checkpoint").is_symlink()
    assert sorted(p.name.split(".")[1] for p in run.glob("checkpoint.*")) == ["000004"]
