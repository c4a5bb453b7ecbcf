"""Baseline for program quality: the simple greedy compiler, and the agent's length against it.

greedy: for each byte of the target, the shortest +/- run from the current cell value, then '.'.
Run: .venv/bin/python bench/greedy_compiler.py [--tasks FILE] [--checkpoint DIR]
Prints mean program length of the agent and of the greedy compiler on the same targets (the ones
the agent got exactly right, and all targets), and their ratio.

    .venv/bin/python bench/greedy_compiler.py --synth [DIR] [--split test] [--per-family 40]

The synthesis agent's programs for "n copies of a letter" (the copies family, n >= --min-n, held-out
phrasings and values of the split) against the compiler's: whether a loop pays. Greedy programs,
no examples; lengths over the tasks whose output is right, and the share right at any length.
"""

from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def greedy_compile(target: bytes) -> str:
    """The print agent's own compiler (bfcore.agent.compile), which is this greedy one."""
    from bfcore.agent.compile import compile_bytes

    return compile_bytes(target)[0]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", help="JSONL tasks (default assets/tasks/test.jsonl)")
    ap.add_argument("--checkpoint", help="agent checkpoint (default: the shipped agent)")
    ap.add_argument("--synth", nargs="?", const="", metavar="DIR",
                    help="measure the synthesis agent (DIR, default the shipped one) on copies")
    ap.add_argument("--split", default="test", choices=("val", "test"))
    ap.add_argument("--per-family", type=int, default=40)
    ap.add_argument("--min-n", type=int, default=30)
    args = ap.parse_args()
    if args.synth is not None:
        return synth(args)
    from bfcore.agent import Agent
    from bfcore.agent.evaluate import evaluate
    from bfcore.interp.fast import run_many
    from bfcore.tasks import default_task_file, load_tasks

    tasks = load_tasks(args.tasks or default_task_file("test"))
    greedy = [greedy_compile(t.target) for t in tasks]
    assert [r.output for r in run_many(greedy)] == [t.target for t in tasks], "greedy compiler is wrong"
    rep = evaluate(Agent.load(args.checkpoint), tasks)
    rows = rep["results"]
    ok = [i for i, r in enumerate(rows) if r["success"]]
    agent_ok = sum(rows[i]["length"] for i in ok) / max(len(ok), 1)
    greedy_ok = sum(len(greedy[i]) for i in ok) / max(len(ok), 1)
    print(f"machine: {platform.machine()} {platform.processor() or ''} python {platform.python_version()}")
    print(f"tasks: {len(tasks)}; agent exact on {len(ok)} ({len(ok) / len(tasks):.1%})")
    print(f"mean length on those targets: agent {agent_ok:.1f}  greedy {greedy_ok:.1f}  "
          f"ratio {agent_ok / max(greedy_ok, 1e-9):.3f} (bar: <= 1.5)")
    all_agent = sum(r["length"] for r in rows) / len(rows)
    all_greedy = sum(len(g) for g in greedy) / len(rows)
    print(f"mean length on all targets: agent {all_agent:.1f}  greedy {all_greedy:.1f}  ratio {all_agent / all_greedy:.3f}")
    return 0


def synth(args) -> int:
    from bfcore.interp.fast import run
    from bfcore.synth.agent import SynthAgent
    from bfcore.synth.families import make_tasks, task_params

    agent = SynthAgent.load(args.synth or None)
    tasks = [t for t in make_tasks(args.split, args.per_family, families=["copies"])
             if task_params(t)["n"] >= args.min_n]
    eps = agent.choose([t.problem for t in tasks], [b""] * len(tasks))
    rows = []
    for t, e in zip(tasks, eps):
        want = t.tests[0][1]
        rows.append((run(e.program, b"").output == want, len(e.program), len(greedy_compile(want))))
    ok = [r for r in rows if r[0]]
    print(f"machine: {platform.machine()} {platform.processor() or ''} python {platform.python_version()}")
    print(f"copies, {args.split} split, n >= {args.min_n}: {len(rows)} tasks; greedy output right "
          f"on {len(ok)} ({len(ok) / max(len(rows), 1):.1%})")
    if ok:
        a, g = sum(r[1] for r in ok) / len(ok), sum(r[2] for r in ok) / len(ok)
        print(f"mean length where right: agent {a:.1f}  greedy compiler {g:.1f}  "
              f"compiler/agent {g / a:.2f}x (bar: >= 2x)")
        short = sum(r[1] * 2 <= r[2] for r in ok)
        print(f"at most half the compiler's: {short} of {len(ok)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
