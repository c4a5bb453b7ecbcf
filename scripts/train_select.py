"""Train in segments and keep the checkpoint that does best on the validation split.

    .venv/bin/python scripts/train_select.py --config assets/agent/stage2.json --run runs/ft \
        --segment 5 --minutes 40

Each segment resumes the run for ``--segment`` more minutes of training, then evaluates the checkpoint
on assets/tasks/val.jsonl (phrasings and values held out from training; the test split is never looked
at here). The score is the mean of the per-family success rates, because the quality bar is per family.
The best checkpoint is copied to RUN/best/, and every evaluation is appended to RUN/selection.jsonl.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def val_score(ckpt: Path) -> tuple[float, dict]:
    from bfcore.agent import Agent
    from bfcore.agent.evaluate import evaluate
    from bfcore.tasks import default_task_file, load_tasks

    rep = evaluate(Agent.load(ckpt), load_tasks(default_task_file("val")))
    fams = {f: round(s["success"], 4) for f, s in rep["families"].items()}
    return sum(fams.values()) / len(fams), fams


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", required=True, help="TrainConfig JSON")
    ap.add_argument("--run", required=True, help="run directory")
    ap.add_argument("--segment", type=float, default=5.0, help="training minutes between evaluations")
    ap.add_argument("--minutes", type=float, default=40.0, help="total training minutes")
    args = ap.parse_args()
    from bfcore.train import TrainConfig, train
    from bfcore.train.checkpoint import atomic_write_text

    base = json.loads(Path(args.config).read_text())
    run = Path(args.run)
    best, log = run / "best", run / "selection.jsonl"
    best_score = -1.0
    if log.is_file():
        best_score = max((json.loads(x)["score"] for x in log.read_text().splitlines() if x.strip()), default=-1.0)
    done = 0.0
    state = run / "checkpoint" / "state.json"
    if state.is_file():
        done = json.loads(state.read_text())["elapsed"] / 60
    while done < args.minutes - 1e-6:
        target = min(done + args.segment, args.minutes)
        cfg = TrainConfig.from_dict({**base, "run_dir": str(run), "minutes": target, "steps": 10**9,
                                     "resume": state.is_file()})
        t = time.perf_counter()
        train(cfg)
        saved = json.loads(state.read_text())
        done, step = saved["elapsed"] / 60, saved["step"]
        score, fams = val_score(run / "checkpoint")
        row = {"step": step, "train_minutes": round(done, 2), "score": round(score, 4), "families": fams}
        with open(log, "a") as f:
            f.write(json.dumps(row) + "\n")
        if score > best_score:
            best_score = score
            tmp = run / "best.tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.copytree(run / "checkpoint", tmp)
            shutil.copy(run / "config.json", tmp / "config.json")
            shutil.rmtree(best, ignore_errors=True)
            tmp.rename(best)
        print(f"step {step} ({done:.1f} train min, segment {time.perf_counter() - t:.0f} s wall): "
              f"val {score:.3f} (best {best_score:.3f}) {fams}", flush=True)
    atomic_write_text(run / "best_score.txt", f"{best_score}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
