"""``bftui`` / ``bftui app``: the full TUI. The agent loads lazily in a worker once the app is up."""

from __future__ import annotations


def add_arguments(parser) -> None:
    parser.add_argument("--agent", "--checkpoint", dest="agent", default=None, metavar="DIR",
                        help="the agent: a checkpoint or run directory (default: the last one you "
                             "accepted, else the shipped agent)")
    parser.add_argument("--data-dir", default=None, metavar="DIR",
                        help="where your task set, runs and saved outputs go "
                             "(default: the platform's user data dir)")


def main(args) -> int:
    from pathlib import Path

    from bftui.app import main_app

    data_dir = Path(args.data_dir) if args.data_dir else None
    app = main_app(agent_path=args.agent, data_dir=data_dir)
    app.run()
    return app.return_code or 0  # non-zero when the app crashed (Textual printed why)
