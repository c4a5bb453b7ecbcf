"""Kill a small training run with SIGKILL at random points, resume it each time, and check it.

    .venv/bin/python scripts/fault_inject.py [--kills 20] [--steps 170] [--seed 0] [--keep DIR]

Trains the print agent (characters only, tiny, with ``bftui train`` in a child process) with
checkpoints every 3 updates, and kills the trainer ``--kills`` times: at random times after it
starts (some before its first update or its first save), a random number of updates into a
segment, or inside a checkpoint write (``BFTUI_CHECKPOINT_PAUSE`` makes the writer sleep between
its files, so the kill lands between them). After each kill it checks that the checkpoint left
behind loads as a resume would load it, then resumes. At the end the weights and the optimizer state
must be bit-identical to an uninterrupted run of the same length, and metrics.jsonl must hold each
step once. Prints the steps lost per kill (updates done since the last checkpoint); exits 1 on any
failure. Takes a minute or two.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CONFIG = dict(batch_size=16, hidden=32, encoder_layers=0, tasks_per_family=6, families=["add", "print"],
              report_every=1, save_every=3, max_steps=8, seed=3)
PAUSE = 0.02  # seconds the checkpoint writer sleeps after each of its 3 files and before its switch
STEP = re.compile(r"step (\d+)/")


def start(run: Path, cfg: Path, resume: bool, log: Path) -> subprocess.Popen:
    argv = [sys.executable, "-m", "bftui", "train", "--run", str(run)]
    argv += ["--resume"] if resume else ["--config", str(cfg)]
    env = dict(os.environ, BFTUI_CHECKPOINT_PAUSE=str(PAUSE), PYTHONPATH=str(ROOT))
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=open(log, "w"), env=env, cwd=ROOT)


def reached(log: Path) -> int:
    """The last update the segment reported (its progress lines on stderr), 0 if none."""
    steps = [int(m) for m in STEP.findall(log.read_text(errors="replace"))] if log.is_file() else []
    return max(steps, default=0)


def data_dirs(run: Path) -> set[str]:
    return {p.name for p in run.glob("checkpoint.[0-9]*")}


def wait(cond, proc, timeout=120.0) -> bool:
    """Poll ``cond`` until it holds; False if the trainer exited first."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.002)
    raise SystemExit("fault_inject: timed out waiting for the trainer")


def where_killed(run: Path, before: set[str]) -> str:
    """Where the kill landed, from what it left (directories older than the segment aside): a
    checkpoint directory being written (no manifest yet), one written but not yet switched to, or
    neither (between saves)."""
    link = run / "checkpoint"
    current = os.readlink(link) if link.is_symlink() else None
    for d in sorted(data_dirs(run) - before - {current}):
        if not (run / d / "manifest.json").is_file():
            return "inside a save (writing files)"
        if current is None or int(d.split(".")[1]) > int(current.split(".")[1]):
            return "inside a save (written, not switched)"
    return "between saves" if current else "before the first save"


def check_resumable(run: Path, cfg: dict) -> int | None:
    """Load the checkpoint exactly as --resume does; its step, or None when there is none yet."""
    from bfcore.train import Trainer, TrainConfig
    from bfcore.train.checkpoint import find

    if find(run) is None:
        return None
    tr = Trainer(TrainConfig(**dict(cfg, run_dir=str(run))), run)
    tr.restore()  # raises on a mixed, corrupt or non-finite checkpoint
    return tr.step


def arrays(run: Path, name: str) -> dict:
    import numpy as np

    from bfcore.runtime import mx

    return {k: np.array(v) for k, v in mx.load(str(run / "checkpoint" / name)).items()}


def same(a: Path, b: Path) -> bool:
    import numpy as np

    for name in ("model.safetensors", "optimizer.safetensors"):
        x, y = arrays(a, name), arrays(b, name)
        if x.keys() != y.keys() or not all(np.array_equal(x[k], y[k]) for k in x):
            return False
    return True


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--steps", type=int, default=170,
                    help="updates in the run (enough that the kills come before its end)")
    ap.add_argument("--seed", type=int, default=0, help="seeds where the kills are aimed")
    ap.add_argument("--keep", metavar="DIR", help="keep the runs and logs in DIR")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    work = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix="fault_inject."))
    work.mkdir(parents=True, exist_ok=True)
    cfg = dict(CONFIG, steps=a.steps)
    cfg_file = work / "config.json"
    cfg_file.write_text(json.dumps(cfg))
    t0 = time.monotonic()

    ref = work / "reference"
    shutil.rmtree(ref, ignore_errors=True)
    p = start(ref, cfg_file, False, work / "reference.log")
    if p.wait() != 0:
        raise SystemExit(f"fault_inject: the uninterrupted run failed; see {work / 'reference.log'}")
    print(f"uninterrupted run: {a.steps} updates in {time.monotonic() - t0:.0f} s", flush=True)

    run = work / "run"
    shutil.rmtree(run, ignore_errors=True)
    failures, rows = [], []
    ck_step = None  # the step the next segment resumes from (None: no checkpoint yet, start fresh)
    for i in range(1, a.kills + 1):
        log = work / f"segment{i:02d}.log"
        base = ck_step or 0
        before = data_dirs(run)
        proc = start(run, cfg_file, ck_step is not None, log)
        mode = rng.choices(["startup", "updates", "save"], weights=[2, 4, 4])[0]
        if mode == "startup":  # anywhere from loading to the first updates, the first save included
            time.sleep(rng.uniform(0.0, 4.0))
        elif mode == "updates":  # a random number of updates in, then a random moment of the next one
            target = base + rng.randint(1, 8)
            wait(lambda: reached(log) >= target, proc)
            time.sleep(rng.uniform(0.0, 0.1))
        else:  # once the first, second or third checkpoint write has begun: inside its files or its switch
            nth, began = rng.randint(1, 3), set()

            def nth_save_begun() -> bool:  # a save's directory appears as it begins
                began.update(data_dirs(run) - before)
                return len(began) >= nth
            wait(nth_save_begun, proc)
            time.sleep(rng.uniform(0.0, 4.5 * PAUSE))
        if proc.poll() is not None:
            failures.append(f"kill {i}: the trainer exited by itself (rc {proc.returncode}); see {log}")
            break
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        where = where_killed(run, before)
        done = max(reached(log), base)
        try:
            ck_step = check_resumable(run, cfg)
        except ValueError as exc:
            failures.append(f"kill {i}: the checkpoint left behind is refused: {exc}")
            break
        lost = done - (ck_step or 0)
        rows.append((i, mode, where, done, ck_step, lost))
        print(f"kill {i:2d} ({mode:7s}): after update {done:3d}, {where:38s} resumes at step "
              f"{ck_step if ck_step is not None else '- (fresh start)'}: {lost} updates lost", flush=True)

    if not failures:  # the last segment runs to the end
        log = work / "final.log"
        proc = start(run, cfg_file, ck_step is not None, log)
        if proc.wait() != 0:
            failures.append(f"the final resume failed (rc {proc.returncode}); see {log}")
        elif "Traceback" in "".join(f.read_text(errors="replace") for f in work.glob("*.log")):
            failures.append("a segment printed a traceback")
        elif not same(ref, run):
            failures.append("final weights or optimizer state differ from the uninterrupted run")
        else:
            steps = [json.loads(x)["step"] for x in (run / "metrics.jsonl").read_text().splitlines()]
            if steps != list(range(1, a.steps + 1)):
                failures.append(f"metrics.jsonl does not hold each step once: {steps}")

    lost = [r[5] for r in rows]
    print(f"\n{len(rows)} kills ({sum('inside a save' in r[2] for r in rows)} inside a checkpoint write, "
          f"{sum(r[2] == 'before the first save' for r in rows)} before the first save), "
          f"{time.monotonic() - t0:.0f} s in all")
    if lost:
        print(f"updates lost per kill: {lost}; mean {sum(lost) / len(lost):.2f}, max {max(lost)} "
              f"(checkpoints every {CONFIG['save_every']} updates)")
    print("every checkpoint left by a kill loaded as --resume loads it: "
          f"{'yes' if not any('refused' in f for f in failures) else 'NO'}")
    if failures:
        print("FAILED:\n  " + "\n  ".join(failures))
        print(f"runs and logs kept in {work}")
        return 1
    print(f"final weights and optimizer state bit-identical to the uninterrupted {a.steps}-update run: yes; "
          "metrics.jsonl holds each step once: yes")
    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
