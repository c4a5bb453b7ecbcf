"""``bftui eval --tasks FILE``: per-family table of exact-output success, reward, length, valid %."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tasks", metavar="FILE", help="JSONL task file (default: assets/tasks/test.jsonl)")
    parser.add_argument("--checkpoint", metavar="DIR", help="checkpoint or run directory (default: the shipped agent)")
    parser.add_argument("--json", metavar="OUT", help="also write the full report (every task) as JSON")
    parser.add_argument("--limit", type=int, default=0, metavar="N", help="only the first N tasks")


def main(args) -> int:
    import json

    from bftui.cli import UserError
    from bftui.commands.gen import load_agent
    from bfcore.agent.evaluate import evaluate, format_table
    from bfcore.tasks import TaskFormatError, default_task_file, load_tasks

    path = args.tasks or default_task_file("test")
    try:
        tasks = load_tasks(path)
    except TaskFormatError as exc:
        raise UserError(str(exc)) from None
    if args.limit:
        tasks = tasks[: args.limit]
    agent = load_agent(args.checkpoint)
    report = evaluate(agent, tasks)
    print(format_table(report))
    if args.json:
        from bfcore.train.checkpoint import atomic_write_text
        from pathlib import Path

        try:
            atomic_write_text(Path(args.json), json.dumps(report, indent=1))
        except OSError as exc:
            raise UserError(f"{args.json}: cannot write ({exc.strerror or exc})") from None
    return 0
