"""``bftui debug FILE.b [--input TEXT]``: the step debugger on a program file. No model is loaded
and nothing imports MLX on this path, so it opens fast."""

from __future__ import annotations

from bftui.commands.run import add_cell_argument, count, make_config


def add_arguments(parser) -> None:
    parser.add_argument("file", help="a Brainfuck program file")
    parser.add_argument("--input", "-i", default="", metavar="TEXT",
                        help="bytes the program reads with ',' (\\n and \\xNN escapes understood)")
    parser.add_argument("--expect", default=None, metavar="TEXT",
                        help="the output the program should print: shown with a diff")
    parser.add_argument("--max-steps", type=count, default=10_000_000,
                        help="step budget of a run (default 10,000,000)")
    parser.add_argument("--tape", type=count, default=30000, help="tape length (default 30,000)")
    add_cell_argument(parser)


def _escaped(text: str) -> bytes:
    from bftui.screens.main import parse_expected

    return parse_expected(text) or b""


def main(args) -> int:
    from pathlib import Path

    from bftui.cli import UserError

    path = Path(args.file)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror or exc})") from None
    source = raw.decode("utf-8", errors="replace")
    # Ctrl+S writes the program back to its file, unless that would replace bytes that are not
    # UTF-8 (then it saves a copy among the app's programs)
    save_to = path if source.encode("utf-8") == raw else None
    if args.max_steps < 1 or args.tape < 1:
        raise UserError("--max-steps and --tape must be positive")

    from bftui.app import debug_app

    config = make_config(tape_len=args.tape, max_steps=args.max_steps, cell_bits=args.cell)
    expected = _escaped(args.expect) if args.expect is not None else None
    app = debug_app(source, input=_escaped(args.input), title=str(path), config=config,
                    expected=expected, path=save_to)
    app.run()
    return app.return_code or 0  # non-zero when the app crashed (Textual printed why)
