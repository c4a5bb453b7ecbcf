"""``bftui eval --tasks FILE``: per-family table of exact-output success, reward, length, valid %."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tasks", metavar="FILE", help="JSONL task file (default: assets/tasks/test.jsonl)")
    parser.add_argument("--agent", "--checkpoint", dest="agent", metavar="DIR",
                        help="the agent: a checkpoint or run directory (default: the shipped agent; "
                             "--checkpoint is the old spelling)")
    parser.add_argument("--json", metavar="OUT", help="also write the full report (every task) as JSON")
    parser.add_argument("--limit", type=int, default=0, metavar="N", help="only the first N tasks")
    parser.add_argument("--synth", nargs="?", const="", default=None, metavar="DIR",
                        help="evaluate the synthesis agent (DIR, default the shipped one) on its "
                        "families: every program is judged on fresh inputs")
    parser.add_argument("--split", choices=("val", "test", "outside"), default="test",
                        help="with --synth: held-out phrasings and values (val/test) or the "
                        "hand-written outside set (default test)")
    parser.add_argument("--per-family", type=int, default=20, metavar="N",
                        help="with --synth: tasks per family (default 20)")
    parser.add_argument("--budget", type=int, default=1, metavar="N",
                        help="with --synth: search up to N programs per task on 2 examples, judged "
                        "on the other tests (default 1: greedy)")
    parser.add_argument("--no-library", action="store_true",
                        help="with --synth: the decoder alone, without the library of programs "
                        "its training solved (the ablation)")
    parser.add_argument("--no-intent", action="store_true",
                        help="with --synth: rank the library by the policy alone, without the "
                        "family classifier's prior (the ablation)")


def main(args) -> int:

    from bftui.cli import UserError
    from bftui.commands.gen import load_agent
    from bfcore.agent.evaluate import evaluate, format_table
    from bfcore.tasks import TaskFormatError, default_task_file, load_tasks

    if args.limit < 0:
        raise UserError(f"--limit must be >= 0 (0: every task), got {args.limit}")
    if args.synth is not None:
        return _synth(args)
    path = args.tasks or default_task_file("test")
    try:
        tasks = load_tasks(path)
    except TaskFormatError as exc:
        raise UserError(str(exc)) from None
    if args.limit:
        tasks = tasks[: args.limit]
    agent = load_agent(args.agent)
    report = evaluate(agent, tasks)
    print(format_table(report))
    if args.json:
        _write_json(args.json, report)
    return 0


def _write_json(path: str, report: dict) -> None:
    import json
    from pathlib import Path

    from bftui.cli import UserError
    from bfcore.train.checkpoint import atomic_write_text

    try:
        atomic_write_text(Path(path), json.dumps(report, indent=1))
    except OSError as exc:
        raise UserError(f"{path}: cannot write ({exc.strerror or exc})") from None


def _synth(args) -> int:
    from bftui.cli import UserError
    from bftui.commands.gen import load_synth
    from bfcore.synth.evaluate import evaluate
    from bfcore.tasks import TaskFormatError, load_tasks

    if args.budget < 1:
        raise UserError(f"--budget must be >= 1, got {args.budget}")
    if args.per_family < 1:
        raise UserError(f"--per-family must be >= 1, got {args.per_family}")
    if args.tasks or args.split == "outside":
        from bfcore.tasks import assets_dir

        path = args.tasks or assets_dir() / "tasks" / "synth_outside.jsonl"
        try:
            tasks = load_tasks(path)
        except TaskFormatError as exc:
            raise UserError(str(exc)) from None
        fresh = False  # a file's tests are the judgement (the outside set's were written by hand)
    else:
        from bfcore.synth.families import make_tasks

        tasks = make_tasks(args.split, args.per_family, seed=7)
        fresh = True
    if args.limit:
        tasks = tasks[: args.limit]
    agent = load_synth(args.synth or None)
    agent.use_library = not args.no_library
    agent.use_intent = not args.no_intent
    report = evaluate(agent, tasks, budget=args.budget, fresh=fresh)
    kinds = ("input_families", "constant_families")
    fams = [k for k in report if k not in ("overall", "worst_family", "n", "npe", "tasks", *kinds)]
    print(f"{'family':14s} solved")
    for f in fams:
        print(f"{f:14s} {100 * report[f]:5.1f}%")
    for k, label in zip(kinds, ("read input", "constant")):
        if k in report:
            print(f"{label:14s} {100 * report[k]:5.1f}%")
    print(f"{'overall':14s} {100 * report['overall']:5.1f}%  ({report['n']} tasks, worst family "
          f"{100 * report['worst_family']:.1f}%, mean NPE {report['npe']:.1f})")
    if args.json:
        _write_json(args.json, report)
    return 0
