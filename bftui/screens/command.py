"""A one-line prompt for the debugger's typed commands (Ctrl+F): watchpoints, setting a cell,
running N steps, reverse-continue, hex or text output."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label


class CommandScreen(ModalScreen[str | None]):
    """Dismisses with the typed command, or None on Escape."""

    DEFAULT_CSS = """
    CommandScreen { align: center bottom; }
    CommandScreen > Vertical { height: auto; width: 90%; margin-bottom: 2;
                               border: round $accent; background: $panel; }
    CommandScreen Label { color: $text-muted; padding: 0 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="command.cancel")]

    def __init__(self, commands: tuple[str, ...]) -> None:
        super().__init__()
        self._commands = commands

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Input(placeholder="debugger command", id="command")
            yield Label("  ·  ".join(self._commands))

    def on_mount(self) -> None:
        self.query_one(Vertical).border_title = "debugger command"
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
