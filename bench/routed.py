"""What a person gets from `bftui gen REQUEST`: each request routed, answered greedily, judged.

Run: .venv/bin/python bench/routed.py [--split val|test] [--router DIR] [--per-family 20]

Both agents' held-out requests of a split (the print agent's assets/tasks/SPLIT.jsonl and
--per-family tasks of every synthesis family) go through the router in DIR/router.json (default:
the shipped one), then to the agent it names, with no examples (the synthesis agent's `generate`, which traces the program
on a sample input and on none, as `bftui gen` does). Every program is run on its
task's tests (a synthesis family's on fresh inputs) and passes when every output is exact (copies
also within its length cap). The score of each task set is beside the share routed where its
agent was trained for it, so a router can be judged by what it costs each agent.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--split", choices=("val", "test"), default="val")
    ap.add_argument("--router", type=Path, default=None, help="a directory with router.json")
    ap.add_argument("--per-family", type=int, default=20)
    a = ap.parse_args()

    from bench.pqt import machine
    from bfcore.synth.agent import SynthAgent, default_synth_dir
    from bfcore.synth.families import FAMILIES, fresh_tests, make_tasks, text_cap
    from bfcore.synth.router import router_path, routes_to_synth
    from bfcore.synth.score import score_programs
    from bfcore.tasks import assets_dir, load_tasks
    from bftui.commands.gen import load_agent

    rng = np.random.default_rng(12345)
    sets = {"print agent's": [(t, t.tests) for t in load_tasks(assets_dir() / "tasks" /
                                                                 f"{a.split}.jsonl")],
            "synthesis": [(t, fresh_tests(t, int(rng.integers(1 << 31)), 6))
                          for t in make_tasks(a.split, a.per_family, seed=7)]}
    synth = SynthAgent.load()
    print(f"machine: {machine()}")
    print(f"router: {router_path(a.router or default_synth_dir())}, split {a.split}")
    printer = load_agent(None)
    for name, items in sets.items():
        tasks = [t for t, _ in items]
        prompts = [t.problem for t in tasks]
        to_synth = [routes_to_synth(q, a.router) for q in prompts]  # gen's own rule
        progs = [""] * len(tasks)
        idx_p = [i for i, s in enumerate(to_synth) if not s]
        idx_s = [i for i, s in enumerate(to_synth) if s]
        for lo in range(0, len(idx_p), 256):
            part = idx_p[lo:lo + 256]
            for i, g in zip(part, printer.generate_batch([prompts[i] for i in part])):
                progs[i] = g.program
        for i in idx_s:  # as gen does: no example, so no input to trace on (two probes)
            progs[i] = synth.generate(prompts[i]).program
        caps = [text_cap(t.family, ts) if t.family in FAMILIES else None for t, ts in items]
        ok = [s.solved for s in score_programs(progs, [ts for _, ts in items], [0] * len(progs),
                                              caps=caps)]
        # copies is either agent's: the print agent's "repeat", or a loop past what it prints
        right_agent = [t.family == "copies" or s == (name == "synthesis")
                       for s, t in zip(to_synth, tasks)]
        print(f"{name:14s} requests: {100 * np.mean(ok):5.1f}% solved of {len(ok)}; routed to "
              f"the agent trained for them {100 * np.mean(right_agent):5.1f}%")
        per = {}
        for t, o in zip(tasks, ok):
            per.setdefault(t.family, []).append(o)
        print("    " + ", ".join(f"{f} {100 * np.mean(v):.0f}" for f, v in sorted(per.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
