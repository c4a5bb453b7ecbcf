"""``bftui run FILE.b``: run a Brainfuck program and write its output bytes exactly.

As a BF interpreter does: no step or output limit unless asked for (``--max-steps N``,
``--max-output N``), and the output written as it is produced, so a long run shows it and Ctrl-C
keeps it. A long run without limits goes to native code (:mod:`bfcore.interp.native`).

Exit status: 0 on success; 1 when the program stopped with a runtime error (pointer off the tape,
step or output limit; its partial output is still written); 2 for bad input (missing file,
unmatched bracket, bad option); 130 on Ctrl-C (the output so far written); 141 when the reader of
the output went away (``| head``), quietly. Errors are one line on stderr.
"""

from __future__ import annotations

import argparse
import sys



def count(text: str) -> int:
    """A whole number for --tape and the limits, also written like 1e6 (argparse's int refuses
    that); absurd exponents are refused before they become huge ints."""
    from decimal import Decimal, InvalidOperation

    try:
        value = Decimal(text.strip().replace("_", ""))
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value.is_finite() and value.adjusted() > 30:
        raise argparse.ArgumentTypeError(f"{text} is far too large")
    if not value.is_finite() or value != value.to_integral_value():
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}")
    return int(value)


# Config's field names as the flags that set them, for its errors.
FLAGS = {"tape_len": "--tape", "max_steps": "--max-steps", "max_output": "--max-output",
         "cell_bits": "--cell"}


def make_config(**fields):
    """A run Config from flag values; a bad one is a UserError that names its flag."""
    from bftui.cli import UserError
    from bfcore.interp.program import Config

    try:
        return Config(**fields)
    except ValueError as exc:
        message = str(exc)
        for name, flag in FLAGS.items():
            message = message.replace(name, flag)
        raise UserError(message) from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="the program (.b); '-' reads it from stdin")
    src = parser.add_mutually_exclusive_group()
    src.add_argument("--input", metavar="TEXT", help="input for ',' (default: stdin, unless the program comes from stdin)")
    src.add_argument("--input-file", metavar="F", help="read the input for ',' from a file")
    parser.add_argument("--max-steps", type=count, default=0, metavar="N",
                        help="stop after N instructions (default 0: no limit)")
    parser.add_argument("--max-output", type=count, default=0, metavar="N",
                        help="stop after N output bytes (default 0: no limit)")
    parser.add_argument("--tape", type=count, default=30000, metavar="N", help="tape length in cells (default 30000)")
    parser.add_argument("--eof", choices=("zero", "max", "keep"), default="zero",
                        help="what ',' stores at end of input: 0, 255, or leave the cell (default zero)")
    add_cell_argument(parser)
    parser.add_argument("--wrap", action="store_true", help="the pointer wraps around the tape ends instead of failing")
    parser.add_argument("--stats", action="store_true", help="print steps and time to stderr")


def add_cell_argument(parser: argparse.ArgumentParser) -> None:
    """``--cell BITS``, for ``bftui run`` and ``bftui debug`` alike."""
    parser.add_argument("--cell", type=int, choices=(8, 16, 32), default=8, metavar="BITS",
                        help="cell width: 8, 16 or 32 bits (default 8); '.' writes the low byte")


def _read(path: str, what: str) -> bytes:
    from bftui.cli import UserError

    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise UserError(f"{path}: cannot read {what}: {exc.strerror or exc}") from None


def _program_input(args, program: bytes) -> bytes:
    if args.input is not None:
        return args.input.encode("utf-8", "surrogateescape")
    if args.input_file is not None:
        return _read(args.input_file, "input file")
    if args.file == "-" or b"," not in program:
        return b""
    return sys.stdin.buffer.read()


def _config(args):
    from bfcore.interp.fast import UNLIMITED

    return make_config(tape_len=args.tape, eof=args.eof, bounds="wrap" if args.wrap else "error",
                       cell_bits=args.cell,
                       max_steps=args.max_steps or UNLIMITED,
                       max_output=args.max_output or UNLIMITED)  # 0 is "no limit" for both


def _quiet_stdout() -> None:
    """The reader has gone: point stdout at /dev/null, so that Python's flush at exit does not
    print a second BrokenPipeError."""
    import os

    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except OSError:
        pass


def main(args) -> int:
    import time

    from bftui.cli import UserError
    from bfcore.errors import BFSyntaxError
    from bfcore.interp.fast import run
    from bfcore.interp.program import parse

    name = "<stdin>" if args.file == "-" else args.file
    program = sys.stdin.buffer.read() if args.file == "-" else _read(args.file, "program")
    config = _config(args)
    try:
        parsed = parse(program)
    except BFSyntaxError as exc:
        raise UserError(f"{name}:{exc.line}:{exc.col}: {exc.message}") from None
    data = _program_input(args, program)
    del program  # the parsed copy is what runs: a big program is not held twice
    start = time.perf_counter()
    stdout = sys.stdout.buffer

    def write(piece: bytes) -> None:
        stdout.write(piece)
        stdout.flush()

    import warnings

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = run(parsed, data, config, on_output=write)
        for w in caught:  # one line each, not Python's two
            print(f"bftui run: warning: {w.message}", file=sys.stderr)
    except KeyboardInterrupt:  # what was produced is already written
        print("bftui run: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _quiet_stdout()
        return 141
    elapsed = time.perf_counter() - start
    if args.stats:
        print(f"bftui run: {result.steps:,} steps in {elapsed:.3f} s ({result.status})", file=sys.stderr)
    if result.error is not None:
        err = result.error
        hint = "; --max-steps 0 lifts it" if err.kind == "step_limit" else ""
        print(f"bftui run: error: {name}:{err.line}:{err.col}: {err.message} (step {err.step:,}){hint}",
              file=sys.stderr)
        return 1
    return 0
