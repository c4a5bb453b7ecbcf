"""The enumerative search (bfcore/synth/enumerate.py) on every synthesis family, against random search.

Run: .venv/bin/python bench/enumerate.py [--families last,reverse] [--seconds 30] [--random 100000]
     [--nested] [--constants] [--conditional]

Per family: one training task, 6 fresh tests (as a training draw has), the enumerator within
--seconds; a program it finds is then run on 50 fresh tests drawn with another seed ("general":
a program for the family, not only for those 6 tests). The baseline, in the same run: uniform
random search, each program's actions drawn uniformly from what the grammar allows (so every one
is valid), --random programs per family (or as many as the enumerator ran, if fewer), batched
through run_many. NPE counts programs executed, each on all 6 tests; the enumerator counts every
block run from a kept state as one, a conservative count.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.pqt import machine  # noqa: E402


def random_programs(params, n: int, rng: np.random.Generator, max_len: int = 32) -> list[list[int]]:
    from bfcore.synth.actions import END, Grammar

    out = []
    for _ in range(n):
        g, acts = Grammar(params, max_len, 3), []
        while True:
            a = int(rng.choice(g.allowed()))
            acts.append(a)
            g.push(a)
            if a == END:
                break
        out.append(acts)
    return out


def random_search(tests, params, n: int, rng: np.random.Generator, batch: int = 4096):
    from bfcore.synth.actions import to_program
    from bfcore.synth.score import score_programs

    done = 0
    while done < n:
        progs = [to_program(a, params)[0] for a in random_programs(params, min(batch, n - done), rng)]
        for i, s in enumerate(score_programs(progs, [tests] * len(progs), [0] * len(progs))):
            if s.solved:
                return progs[i], done + i + 1
        done += len(progs)
    return None, done


def main() -> int:
    from bfcore.synth.actions import ACTIONS, prompt_params, to_program
    from bfcore.synth.enumerate import enumerate_search
    from bfcore.synth.families import FAMILIES, fresh_tests, make_tasks
    from bfcore.synth.score import score_programs

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--families", default="", help="comma-separated (default: all)")
    ap.add_argument("--seconds", type=float, default=30.0, help="enumerator time cap per family")
    ap.add_argument("--random", type=int, default=100_000, help="random-search NPE cap per family")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--nested", action="store_true", help="loops with one loop inside")
    ap.add_argument("--constants", action="store_true", help="body runs of test constants")
    ap.add_argument("--conditional", action="store_true", help="loops with an if inside")
    ap.add_argument("--nested-beam", type=int, default=50)
    a = ap.parse_args()
    fams = a.families.split(",") if a.families else list(FAMILIES)
    print(machine())
    print(f"{'family':12s} {'enum':>5s} {'general':>7s} {'NPE':>10s} {'s':>6s}   "
          f"{'random':>6s} {'NPE':>8s} {'s':>6s}  program")
    rng = np.random.default_rng(a.seed)
    n_enum = n_gen = n_rand = 0
    for fam in fams:
        task = make_tasks("train", 1, seed=a.seed, families=[fam])[0]
        params = prompt_params(task.problem)
        tests = fresh_tests(task, seed=a.seed, n=6)
        t0 = time.perf_counter()
        r = enumerate_search(tests, params, seconds=a.seconds, rng=rng, nested=a.nested,
                             constants=a.constants, nested_beam=a.nested_beam,
                             conditional=a.conditional)
        t_enum = time.perf_counter() - t0
        prog, general, shown = None, False, ""
        if r.actions is not None:
            prog = to_program(r.actions, params)[0]
            shown = " ".join(ACTIONS[x] for x in r.actions[:-1])
            fresh = fresh_tests(task, seed=a.seed + 1000, n=50)
            general = score_programs([prog], [fresh], [0])[0].solved
        t0 = time.perf_counter()
        rprog, rnpe = random_search(tests, params, min(a.random, max(r.npe, 1)), rng)
        t_rand = time.perf_counter() - t0
        n_enum += prog is not None
        n_gen += general
        n_rand += rprog is not None
        print(f"{fam:12s} {'yes' if prog else 'no':>5s} {'yes' if general else '-':>7s} "
              f"{r.npe:>10,d} {t_enum:>6.1f}   {'yes' if rprog else 'no':>6s} {rnpe:>8,d} "
              f"{t_rand:>6.1f}  {shown}", flush=True)
    print(f"enumerator: {n_enum}/{len(fams)} found, {n_gen} general; random search: "
          f"{n_rand}/{len(fams)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
