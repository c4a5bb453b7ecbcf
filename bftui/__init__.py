"""bftui: the terminal app (Textual TUI, REPL, CLI) on top of bfcore."""

__version__ = "0.1.0"
