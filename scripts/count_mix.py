"""Write a training mix with extra repeat tasks of one count (default 9) for a corrective fine-tune.

    .venv/bin/python scripts/count_mix.py --out runs/mix9.jsonl [--count 9] [--extra 300]

Why: the curriculum's third level admits targets of up to 8 bytes, and the stage-1 agent learned
to stop single-digit counts at 8 there; later levels taught 10-12 (two digits) but never undid it, so
the shipped agent printed 8 for every "... 9 times" (2 of 59 right on the train split itself). The mix
is the default train split (``make_split("train", 1000, seed=1)``, what the stage-2 config trains on)
plus ``--extra`` train-split repeat tasks whose target has ``--count`` bytes. Train split only: no
val/test template or value is added.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--count", type=int, default=9)
    ap.add_argument("--extra", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    from bfcore.tasks import generate, make_split, save_tasks

    tasks = make_split("train", 1000, seed=args.seed)
    extra, seed = [], args.seed
    while len(extra) < args.extra:
        extra += [t for t in generate("repeat", "train", 2000, seed=seed) if len(t.target) == args.count]
        seed += 1000
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    save_tasks(tasks + extra[: args.extra], args.out)
    print(f"{args.out}: {len(tasks)} train tasks + {args.extra} repeat tasks of {args.count} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
