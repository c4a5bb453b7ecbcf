"""``bftui solve TASKS.jsonl``: for each task, search for a program that passes all its tests.

The synthesis agent searches first (greedy, samples, local edits, each program run on the tests);
if that fails, a copy of it is fine-tuned on the task alone, PQT style, within the same budget of
programs executed. One line per task: solved or not, NPE, time, the program. The agent on disk is
not changed. Exit 0 when every task was solved, 1 otherwise.
"""

from __future__ import annotations

import argparse

from bftui.cli import seed


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("tasks", metavar="TASKS.jsonl",
                        help='task file: {"problem": ..., "tests": [{"input": ..., "output": ...}]} a line')
    parser.add_argument("--budget", type=int, default=10_000, metavar="N",
                        help="programs to execute per task, search and fine-tune together (default 10000)")
    parser.add_argument("--search-budget", type=int, default=1_000, metavar="N",
                        help="of those, how many the search alone may use (default 1000)")
    parser.add_argument("--no-finetune", action="store_true", help="search only")
    parser.add_argument("--synth", metavar="DIR", help="the synthesis agent (default: the shipped one)")
    parser.add_argument("--seed", type=seed, default=0)


def main(args) -> int:
    from bftui.cli import UserError
    from bftui.commands.gen import load_synth
    from bfcore.synth.examples import ExampleError, check_reachable, show
    from bfcore.tasks import TaskFormatError, load_tasks

    for name in ("budget", "search_budget"):
        if getattr(args, name) < 1:
            raise UserError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    try:
        tasks = load_tasks(args.tasks)
        for i, t in enumerate(tasks, 1):
            try:
                check_reachable(t.tests)
            except ExampleError as exc:
                raise UserError(f"{args.tasks}: task {i}: {exc}") from None
    except TaskFormatError as exc:
        raise UserError(str(exc)) from None
    if not tasks:
        raise UserError(f"{args.tasks}: no tasks in the file")
    from bfcore.synth.solve import solve

    agent = load_synth(args.synth)
    n_ok = 0
    for i, t in enumerate(tasks, 1):
        rep = solve(agent, t, budget=args.budget, search_budget=min(args.search_budget, args.budget),
                    finetune=not args.no_finetune, seed=args.seed)
        n_ok += rep.solved
        verdict = "solved" if rep.solved else "not solved"
        print(f"{i}. {t.problem[:50]!r}: {verdict} ({rep.stage}), npe {rep.npe}, {rep.seconds:.1f} s, "
              f"{sum(rep.passed)}/{len(t.tests)} tests", flush=True)
        print(f"   {rep.program}")
        for (inp, want), ok, in zip(t.tests, rep.passed):
            if not ok:
                print(f"   first failing input: '{show(inp)}' (expected '{show(want)}')")
                break
    print(f"solved {n_ok}/{len(tasks)}")
    return 0 if n_ok == len(tasks) else 1
