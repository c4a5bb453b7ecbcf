"""``bftui watch RUN_DIR``: follow a training run's metrics.jsonl in a live dashboard."""

from __future__ import annotations

import argparse
from pathlib import Path

from bftui.cli import UserError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="a training run directory")
    parser.add_argument(
        "--interval", type=float, default=0.5, help="seconds between reads of metrics.jsonl (default 0.5)"
    )


def main(args: argparse.Namespace) -> int:
    if not args.run_dir.is_dir():
        raise UserError(f"{args.run_dir}: not a directory (expected a training run directory)")
    if not args.interval > 0:
        raise UserError(f"--interval {args.interval}: must be a positive number of seconds")
    from bftui.watch import WatchApp  # textual is heavy; only load it when the dashboard opens

    app = WatchApp(args.run_dir, poll_interval=args.interval)
    result = app.run()
    if app.return_code:  # the dashboard crashed (Textual printed why): that is no success
        return app.return_code
    if result:
        print(f"bftui watch: {result}")
    return 0
