"""Generation latency: prompt -> program with the shipped agent (encoder + decoder + interpreter).

Run: .venv/bin/python bench/bench_gen.py [--n 50] [--checkpoint DIR] [--synth [DIR]]

``--synth``: the synthesis agent instead (greedy, on the held-out test phrasings of its families,
the program run on the probe input).
Baseline measured in the same run: the interpreter alone running the same programs, so the ratio
shows what the agent adds. Cold prompts (never seen, encoder cache miss) are what a user types.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--checkpoint")
    ap.add_argument("--synth", nargs="?", const="", default=None)
    args = ap.parse_args()
    if args.synth is not None:
        return synth(args)
    from bfcore.agent import Agent
    from bfcore.interp.fast import run
    from bfcore.tasks import make_split

    t0 = time.perf_counter()
    agent = Agent.load(args.checkpoint)
    load_s = time.perf_counter() - t0
    if agent.featurizer.encoder is not None:
        agent.featurizer.encoder.cache = None  # every prompt cold, as a user's would be
    prompts = [t.problem for t in make_split("test", 10)][: args.n]
    agent.generate("say hi")  # warm-up (first MLX kernels)
    lat, progs = [], []
    for p in prompts:
        t = time.perf_counter()
        g = agent.generate(p)
        lat.append(time.perf_counter() - t)
        progs.append(g.program)
    base = []
    for prog in progs:
        t = time.perf_counter()
        run(prog)
        base.append(time.perf_counter() - t)
    p50, p90 = statistics.median(lat), sorted(lat)[int(0.9 * (len(lat) - 1))]
    print(f"machine: {platform.machine()} {os.cpu_count()} cpus, python {platform.python_version()}")
    print(f"agent load: {load_s:.2f} s")
    print(f"generate (greedy, cold prompt), n={len(lat)}: p50 {p50 * 1e3:.1f} ms  p90 {p90 * 1e3:.1f} ms (bar: p50 < 50 ms)")
    print(f"baseline interpreter run of the same programs: p50 {statistics.median(base) * 1e3:.3f} ms; "
          f"ratio generate/run {p50 / max(statistics.median(base), 1e-9):.0f}x")
    return 0


def synth(args) -> int:
    from bfcore.interp.fast import run
    from bfcore.synth.agent import PROBE_INPUT, SynthAgent
    from bfcore.synth.families import make_tasks
    from bfcore.synth.score import CONFIG

    t0 = time.perf_counter()
    agent = SynthAgent.load(args.synth or None)
    load_s = time.perf_counter() - t0
    agent.embed.encoder.cache = None  # every prompt cold, as a user's would be
    prompts = list(dict.fromkeys(t.problem for t in make_tasks("test", 5, seed=3)))[: args.n]
    agent.generate("copy the input")  # warm-up
    lat, progs = [], []
    for p in prompts:
        t = time.perf_counter()
        progs.append(agent.generate(p).program)
        lat.append(time.perf_counter() - t)
    base = []
    for prog in progs:
        t = time.perf_counter()
        run(prog, PROBE_INPUT, CONFIG, jit_after=None)
        base.append(time.perf_counter() - t)
    p50, p90 = statistics.median(lat), sorted(lat)[int(0.9 * (len(lat) - 1))]
    print(f"machine: {platform.machine()} {os.cpu_count()} cpus, python {platform.python_version()}")
    print(f"synthesis agent load: {load_s:.2f} s")
    print(f"generate (greedy, cold prompt, tracer on), n={len(lat)}: p50 {p50 * 1e3:.1f} ms  "
          f"p90 {p90 * 1e3:.1f} ms (bar: p50 < 50 ms)")
    print(f"baseline interpreter run of the same programs: p50 {statistics.median(base) * 1e3:.3f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
