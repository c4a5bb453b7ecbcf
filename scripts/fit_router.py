"""Fit the router between the print agent and the synthesis agent, and report its held-out score.

    .venv/bin/python scripts/fit_router.py [OUT_DIR [L2]]   (default: assets/synth, 0.1)

Fitted on training phrasings only: the print agent's train split (assets/tasks/train.jsonl)
against every synthesis family's train split. Scored on both agents' val and test splits and
on the hand-written outside sets, none of which it saw. Writes OUT_DIR/router.json.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bfcore.synth.router import THRESHOLD  # noqa: E402


def main() -> int:
    from bfcore.synth.families import INPUT_FAMILIES, make_tasks
    from bfcore.synth.router import Router, fit, save, shared_encoder
    from bfcore.tasks import assets_dir, load_tasks

    out = Path(sys.argv[1]) if len(sys.argv) > 1 else assets_dir() / "synth"
    enc = shared_encoder()

    def pooled(prompts):
        rows = []
        for i in range(0, len(prompts), 128):
            rows.append(np.array(enc.encode_batch(prompts[i:i + 128])[2], np.float64))
        return np.concatenate(rows)

    tdir = assets_dir() / "tasks"
    old = {s: [t.problem for t in load_tasks(tdir / f"{s}.jsonl")] for s in ("train", "val", "test")}
    old["outside"] = [t.problem for f in ("outside.jsonl", "outside2.jsonl") for t in load_tasks(tdir / f)]
    # the synthesis agent takes the requests that read input; constant requests stay with the
    # print agent, whose families overlap the constant synthesis ones ("give me 9 qs" / "print
    # 150 x's") and which the synthesis agent does not yet write well
    def split_new(tasks):
        keep = [t.problem for t in tasks if t.family in INPUT_FAMILIES]
        rest = [t.problem for t in tasks if t.family not in INPUT_FAMILIES]
        return list(dict.fromkeys(keep)), list(dict.fromkeys(rest))

    new = {}
    for s in ("train", "val", "test"):
        new[s], const = split_new(make_tasks(s, 200, seed=11))
        old[s] = old[s] + const
    new["outside"], const = split_new(load_tasks(tdir / "synth_outside.jsonl"))
    old["outside"] += const
    x = pooled(old["train"] + new["train"])
    y = np.r_[np.zeros(len(old["train"])), np.ones(len(new["train"]))]
    w, b, mean, scale = fit(x, y, l2=float(sys.argv[2]) if len(sys.argv) > 2 else 1e-1)
    tmp = out / "router.json"
    out.mkdir(parents=True, exist_ok=True)
    report = {}
    save(tmp, w, b, mean, scale, report)
    r = Router(tmp)
    for split in ("train", "val", "test", "outside"):
        p_old = r.p_synth(pooled(old[split])) if old[split] else np.array([])
        p_new = r.p_synth(pooled(new[split]))
        report[split] = {"print_agent_kept": float((p_old <= THRESHOLD).mean()), "n_print": len(p_old),
                         "synth_routed": float((p_new > THRESHOLD).mean()), "n_synth": len(p_new)}
        wrong = [q for q, p in zip(new[split], p_new) if p <= THRESHOLD][:2]
        wrong += [q for q, p in zip(old[split], p_old) if p > THRESHOLD][:2]
        print(f"{split:8s} print agent kept {100 * report[split]['print_agent_kept']:5.1f}% "
              f"of {len(p_old)}, synthesis routed {100 * report[split]['synth_routed']:5.1f}% "
              f"of {len(p_new)}  e.g. wrong: {wrong}")
    save(tmp, w, b, mean, scale, report)
    print(f"wrote {tmp}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
