"""Fit the family classifier of the synthesis agent (bfcore/synth/intent.py) and report its score.

    .venv/bin/python scripts/fit_intent.py [OUT_DIR [PER_FAMILY]]   (default: assets/synth, 60)

Fitted on the families' train phrasings only (dressed, as training draws them), PER_FAMILY tasks
each; scored on the val and test phrasings and the hand-written outside set, none of which it
saw. Writes OUT_DIR/intent.json, the scores in its "report".
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    from bfcore.synth.families import make_tasks
    from bfcore.synth.intent import Intent, fit, intent_path
    from bfcore.synth.router import shared_encoder
    from bfcore.synth.train import Embedder
    from bfcore.tasks import assets_dir, load_tasks
    from bfcore.train.checkpoint import atomic_write_text

    out = Path(sys.argv[1]) if len(sys.argv) > 1 else assets_dir() / "synth"
    per_family = int(sys.argv[2]) if len(sys.argv) > 2 else 60
    enc = shared_encoder()

    embed = Embedder(enc)  # batched and cached per prompt, as the agent embeds them
    pooled = lambda prompts: np.asarray(embed(prompts), np.float64)  # noqa: E731

    train = make_tasks("train", per_family, seed=11)
    model = fit(pooled([t.problem for t in train]), [t.family for t in train])
    clf = Intent(model)
    report = {}
    held = {s: make_tasks(s, 20, seed=7) for s in ("val", "test")}
    held["outside"] = load_tasks(assets_dir() / "tasks" / "synth_outside.jsonl")
    for split, tasks in held.items():
        guess = clf.posterior(pooled([t.problem for t in tasks])).argmax(1)
        right = [clf.families[g] == t.family for g, t in zip(guess, tasks)]
        per = {}
        for t, ok in zip(tasks, right):
            per.setdefault(t.family, []).append(ok)
        report[split] = {"accuracy": float(np.mean(right)), "n": len(tasks),
                         "worst": sorted((float(np.mean(v)), f) for f, v in per.items())[:3]}
        worst = ", ".join(f"{f} {100 * a:.0f}%" for a, f in report[split]["worst"])
        print(f"{split:8s} family named right {100 * np.mean(right):5.1f}% of {len(tasks)}"
              f"  (worst: {worst})")
    model["report"] = report
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(intent_path(out), json.dumps(model))
    print(f"wrote {intent_path(out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
