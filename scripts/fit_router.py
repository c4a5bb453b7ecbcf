"""Fit the router between the print agent and the synthesis agent, and report its held-out score.

    .venv/bin/python scripts/fit_router.py [OUT_DIR [L2 [--input-only]]]   (assets/synth, 0.01)

--input-only: the synthesis agent takes only the requests that read input (the router of before
this one's constant families, for comparison with bench/routed.py).

A softmax over both agents' families (bfcore/synth/router.py), fitted on training phrasings only:
the print agent's train split (assets/tasks/train.jsonl) and the synthesis families' (copies
counted with the print agent). Scored on both agents' val and test splits and on the
hand-written outside sets, none of which it saw. Writes OUT_DIR/router.json.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bfcore.synth.router import SYNTH_CONSTANT_FAMILIES, THRESHOLD  # noqa: E402


def main() -> int:
    from bfcore.synth.families import INPUT_FAMILIES, make_tasks
    from bfcore.synth.intent import fit
    from bfcore.synth.router import Router, save, shared_encoder
    from bfcore.synth.train import Embedder
    from bfcore.tasks import assets_dir, load_tasks

    out = Path(sys.argv[1]) if len(sys.argv) > 1 else assets_dir() / "synth"
    l2 = float(sys.argv[2]) if len(sys.argv) > 2 else 1e-2
    enc = shared_encoder()

    embed = Embedder(enc)  # batched and cached per prompt, as the agent embeds them
    pooled = lambda prompts: np.asarray(embed(prompts), np.float64)  # noqa: E731

    # the synthesis agent takes the requests that read input and the constant families the print
    # agent has nothing like; copies stays with the print agent, whose "repeat" family overlaps
    # it ("give me 9 qs" / "print 150 x's"; the length rule sends the long ones on)
    mine = set(INPUT_FAMILIES)
    if "--input-only" not in sys.argv:
        mine |= set(SYNTH_CONSTANT_FAMILIES)
    label = lambda f: f if f in mine else f"print:{f}"  # noqa: E731
    tdir = assets_dir() / "tasks"

    def split(name):
        """(prompt, class) of both agents' tasks of a split, each prompt once."""
        if name == "outside":
            old = [t for f in ("outside.jsonl", "outside2.jsonl") for t in load_tasks(tdir / f)]
            new = load_tasks(tdir / "synth_outside.jsonl")
        else:
            old = load_tasks(tdir / f"{name}.jsonl")
            new = make_tasks(name, 60 if name == "train" else 20, seed=11)
        pairs = [(t.problem, f"print:{t.family}") for t in old]
        pairs += [(t.problem, label(t.family)) for t in new]
        return list(dict(pairs).items())

    train = split("train")
    tmp = out / "router.json"
    out.mkdir(parents=True, exist_ok=True)
    model = fit(pooled([p for p, _ in train]), [c for _, c in train], l2=l2)
    report = {}
    save(tmp, model, sorted(mine), report)
    r = Router(tmp)
    for name in ("train", "val", "test", "outside"):
        pairs = split(name)
        p = r.p_synth(pooled([q for q, _ in pairs]))
        to_synth = np.array([c in mine for _, c in pairs])
        report[name] = {"print_agent_kept": float((p[~to_synth] <= THRESHOLD).mean()),
                        "n_print": int((~to_synth).sum()),
                        "synth_routed": float((p[to_synth] > THRESHOLD).mean()),
                        "n_synth": int(to_synth.sum())}
        wrong = [q for (q, _), ps, s in zip(pairs, p, to_synth) if (ps > THRESHOLD) != s][:4]
        print(f"{name:8s} print agent kept {100 * report[name]['print_agent_kept']:5.1f}% "
              f"of {report[name]['n_print']}, synthesis routed "
              f"{100 * report[name]['synth_routed']:5.1f}% of {report[name]['n_synth']}  "
              f"e.g. wrong: {wrong}")
    save(tmp, model, sorted(mine), report)
    print(f"wrote {tmp}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
