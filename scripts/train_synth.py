"""Train the synthesis agent in resumable segments.

    .venv/bin/python scripts/train_synth.py RUN_DIR --minutes 10 [--set FIELD=VALUE ...]

A first call starts RUN_DIR; each later call resumes it for another segment (Ctrl-C saves). One
line of metrics per report is printed as it is written to RUN_DIR/metrics.jsonl.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bfcore.synth.train import (SynthTrainConfig, find_checkpoint, parse_overrides,  # noqa: E402
                                train)
from bfcore.train.checkpoint import CheckpointError  # noqa: E402
from bfcore.train.run import TrainError  # noqa: E402


def segment_config(run: Path, minutes: float, sets: dict) -> SynthTrainConfig:
    """The config of the next segment of ``run``: a new run, or the saved one resumed for
    ``minutes`` more of training; ``sets`` override fields (and are checked)."""
    ck = find_checkpoint(run)
    if ck:
        cfg = SynthTrainConfig.from_dict(json.loads((run / "config.json").read_text()))
        st = json.loads((ck / "state.json").read_text())
        cfg.resume, cfg.minutes = True, st["elapsed"] / 60 + minutes
        cfg.run_dir = str(run)  # a run copied or moved trains where it now is, not where it was
    else:
        cfg = SynthTrainConfig(run_dir=str(run), minutes=minutes, steps=0)
    return SynthTrainConfig(**{**cfg.to_dict(), **sets})


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run_dir")
    ap.add_argument("--minutes", type=float, default=10.0, help="training time of this segment")
    ap.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE")
    a = ap.parse_args()
    try:
        cfg = segment_config(Path(a.run_dir), a.minutes, parse_overrides(a.set))
    except ValueError as exc:
        sys.exit(f"--set: {exc}")

    def report(r: dict) -> None:
        keys = ("step", "npe", "time", "episodic_return", "success_rate", "task_solved",
                "queue_solved", "entropy", "unique", "length", "sps")
        print(json.dumps({k: round(r[k], 3) if isinstance(r[k], float) else r[k] for k in keys}),
              flush=True)

    try:
        train(cfg, on_report=report)
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM
        print("interrupted: saved", file=sys.stderr)
        return 130
    except (TrainError, CheckpointError) as exc:  # a locked run dir, a refused checkpoint, divergence
        print(f"train_synth: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
