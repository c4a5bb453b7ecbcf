"""PQT's 26 benchmark tasks, solved by the shipped synthesis agent from a one-line description.

Run: .venv/bin/python bench/pqt.py [--budget 10000] [--finetune] [--tasks reverse,add] [--json OUT]

With --json the results are written after every task (atomically), and a rerun with the same file,
budget and mode skips the tasks already there: the 200k run goes in segments.

For each task the agent gets the task's English description and PQT's own test cases as examples
(``PQTTask.pqt_tests()``: PQT's seed, counts and distributions), and searches (greedy, samples,
local edits) until a program passes every test or --budget programs have run (NPE). With
--finetune, a search that fails in 10,000 goes on as a short PQT-style fine-tune on that task
alone, within the same budget. A solved program is then run on 64 fresh tests drawn with another
seed: "general" says whether it is a program for the task or only for PQT's 16 cases.

The baseline is PQT itself (Abolafia et al. 2018): each task searched from scratch, 25 runs, with
budgets of 5M and 20M NPE. Three tasks use a cell base other than 256 (count-char and print-hello
27, bool-logic 2); our cells are bytes, so a program relying on wrap at that base cannot pass here.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def machine() -> str:
    from bfcore.runtime import STATE, mx

    return (f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, MLX {mx.__version__}, BLAS {STATE['blas']}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--budget", type=int, default=10_000, help="NPE per task (default 10000)")
    ap.add_argument("--finetune", action="store_true", help="fine-tune on a task when search fails")
    ap.add_argument("--tasks", default="", help="comma-separated task names (default: all 26)")
    ap.add_argument("--synth", default=None, help="synthesis checkpoint (default: the shipped one)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", default=None,
                    help="write every task's result here, after each task; resume from it")
    a = ap.parse_args()

    from bfcore.atomic import atomic_write_text
    from bfcore.synth.agent import SynthAgent
    from bfcore.synth.pqt_tasks import PQT_CONFIG, PQT_TASKS, fits_bytes, solves
    from bfcore.synth.solve import solve
    from bfcore.tasks import Task

    names = [n for n in a.tasks.split(",") if n] or list(PQT_TASKS)
    unknown = [n for n in names if n not in PQT_TASKS]
    if unknown:
        sys.exit(f"unknown task(s): {', '.join(unknown)}")
    rows = [r for r in resumed(a) if r["task"] in names]
    agent = SynthAgent.load(a.synth)
    print(f"machine: {machine()}")
    print(f"budget {a.budget} NPE per task, {'search + fine-tune' if a.finetune else 'search only'}")
    t_all = time.perf_counter()
    done = {r["task"] for r in rows}
    for r in rows:
        print(f"{r['task']:17s} (from {a.json})  {'SOLVED' if r['solved'] else 'no    '}  "
              f"npe {r['npe']:7d}  {r['seconds']:7.1f} s")
    for name in [n for n in names if n not in done]:
        t = PQT_TASKS[name]
        tests = tuple(t.pqt_tests())
        rep = solve(agent, Task(t.description, tests, "pqt"), budget=a.budget,
                    search_budget=min(a.budget, 10_000),  # the 10k run's search, then tuning
                    finetune=a.finetune, seed=a.seed, config=PQT_CONFIG)
        ok = rep.solved and solves(rep.program, t, list(tests))
        general = ok and solves(rep.program, t, t.make_tests(a.seed + 1, 64))
        rows.append({"task": name, "base": t.base, "solved": ok, "general": general, "npe": rep.npe,
                     "seconds": round(rep.seconds, 2), "stage": rep.stage,
                     "program": rep.program if ok else ""})
        print(f"{name:17s} base {t.base:3d}  {'SOLVED' if ok else 'no    '}  "
              f"{'general' if general else '       '}  npe {rep.npe:7d}  {rep.seconds:7.1f} s  "
              f"{rows[-1]['program'][:50]}", flush=True)
        if a.json:
            atomic_write_text(Path(a.json), json.dumps(
                {"machine": machine(), "budget": a.budget, "finetune": a.finetune,
                 "seed": a.seed, "rows": rows}, indent=1))
    n_ok = sum(r["solved"] for r in rows)
    n_gen = sum(r["general"] for r in rows)
    print(f"solved {n_ok}/{len(rows)} (general {n_gen}/{len(rows)}) at {a.budget} NPE, "
          f"{time.perf_counter() - t_all:.0f} s; tasks with a base other than 256: "
          f"{sum(not fits_bytes(PQT_TASKS[n]) for n in names)}")
    return 0


def resumed(a) -> list[dict]:
    """The rows of an earlier run of the same budget, mode and seed in ``--json``, if any."""
    if not a.json or not Path(a.json).exists():
        return []
    try:
        old = json.loads(Path(a.json).read_text())
    except (OSError, ValueError) as e:
        sys.exit(f"{a.json}: not a results file of this bench ({e})")
    if (old.get("budget"), old.get("finetune"), old.get("seed", 0)) != (a.budget, a.finetune,
                                                                        a.seed):
        sys.exit(f"{a.json} holds a run of budget {old.get('budget')}, finetune "
                 f"{old.get('finetune')}, seed {old.get('seed', 0)}: use another file")
    return list(old.get("rows", []))


if __name__ == "__main__":
    sys.exit(main())
