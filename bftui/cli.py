"""The ``bftui`` command line: a thin dispatcher.

Each sub-command lives in ``bftui/commands/<name>.py`` with ``add_arguments(parser)`` and
``main(args) -> int``. Those modules import nothing heavy at module level, so building the parser
costs almost nothing and ``bftui run`` starts fast; heavy imports (mlx, textual) happen inside main().
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from bfcore.errors import InputError

# name -> one-line help. Order is the order shown in --help.
COMMANDS = {
    "app": "open the TUI (the default when no command is given)",
    "run": "run a Brainfuck program and print its output",
    "debug": "open the step debugger on a program file",
    "gen": "generate a program from a plain-English prompt",
    "solve": "search (and fine-tune) until a program passes each task's tests",
    "eval": "evaluate an agent on a task set",
    "train": "train an agent (--watch for a live dashboard)",
    "watch": "follow a training run's metrics.jsonl in a dashboard",
    "repl": "quick prompts and programs at a prompt-toolkit prompt",
    "info": "show the language model, layers kept, backend and BLAS in use",
}


# What bftui's messages tell people to type; --agent names an agent in every command.
EPILOG = """\
common commands:
  bftui --agent DIR                         the app with another agent (a checkpoint or run dir)
  bftui gen "PROMPT" --agent DIR            --agent works in gen, eval and repl too
  bftui gen "PROMPT" --example IN OUT       search for a program that reads input and loops
  bftui train --from default --tasks FILE   teach the shipped agent your tasks (keeps old skills)
  bftui train --resume --run DIR            continue a run where it stopped
  bftui watch DIR                           follow a run's metrics
Each command has its own --help."""


def seed(text: str) -> int:
    """An argparse type: a seed numpy, Python and MLX all take (MLX's key() refuses negatives)."""
    value = int(text) if text.strip().lstrip("-").isdigit() else None
    if value is None or not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"must be an integer from 0 to {2**32 - 1:,}, got {text!r}")
    return value


class UserError(Exception):
    """An error a user caused and can fix; printed as one line, exit code 2."""


class Parser(argparse.ArgumentParser):
    """argparse with its errors on one line, like every other error of the CLI (argparse prints
    the whole usage first). Sub-command parsers are of this class too."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="bftui", description="An RL agent that writes Brainfuck.",
                    epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version="bftui 0.1.0")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        module = _command_module(name)
        if module is None:
            continue
        p = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(p)
    return parser


def _command_module(name: str):
    try:
        return importlib.import_module(f"bftui.commands.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"bftui.commands.{name}":
            return None  # command not built yet
        raise


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        argv = ["app", *argv]
    args = parser.parse_args(argv)
    module = _command_module(args.command)
    name = f"bftui {args.command}"
    try:
        return int(module.main(args) or 0)
    except (UserError, InputError) as exc:  # InputError: bfcore's errors that name a file or field
        print(f"{name}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{name}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except MemoryError as exc:
        print(f"{name}: error: {exc or 'out of memory'}", file=sys.stderr)
        return 1
    except Exception as exc:
        # The last line of defence: a bug must still read as one line and exit non-zero; the
        # traceback is there for whoever debugs it.
        if os.environ.get("BFTUI_TRACEBACK"):
            raise
        text = " ".join(str(exc).split())
        print(f"{name}: internal error: {type(exc).__name__}: {text} (BFTUI_TRACEBACK=1 shows where)",
              file=sys.stderr)
        return 1
