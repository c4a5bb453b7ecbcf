"""``bftui repl``: quick prompts and programs at a prompt-toolkit prompt (or one line at a time
from a pipe: ``printf '+++[>+++<-]>.\\n' | bftui repl``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from bftui.cli import UserError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--agent", "--model", dest="agent", metavar="DIR",
                        help="the agent: a checkpoint or run directory (default: the shipped agent; "
                             "--model is the old spelling)")
    parser.add_argument(
        "--history", type=Path, metavar="FILE", help="history file (default: bftui's user data directory)"
    )


def main(args: argparse.Namespace) -> int:
    if args.agent and not Path(args.agent).exists():
        raise UserError(f"--agent {args.agent}: no such checkpoint")
    from bftui import repl  # prompt_toolkit and pygments load only when the repl starts

    return repl.main(model=args.agent, history=args.history)
