"""F1 / ?: every binding of the app and of the screen below, with its current (remapped) key."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

INTRO = (
    "Type a request in the prompt and press Enter: the agent writes a program, runs it and shows "
    "the output. Step through it with the debugger keys; edit the program to try variations. "
    "Ctrl+P opens the command palette."
)


def bindings_table(app, screen) -> Table:
    """Rows for the bindings of ``screen`` and the app, with keys as remapped by the keymap."""
    table = Table(box=None, show_header=True, header_style="bold", expand=True, pad_edge=False)
    table.add_column("key", style="bold cyan", no_wrap=True)
    table.add_column("action")
    seen = set()
    for node in (screen, app):
        for binding in _bindings_of(node):
            if binding.description == "" or (binding.action, binding.description) in seen:
                continue
            seen.add((binding.action, binding.description))
            table.add_row(app.get_key_display(binding), binding.tooltip or binding.description)
    return table


def _bindings_of(node) -> list:
    out = []
    for bindings in node._bindings.key_to_bindings.values():
        out.extend(bindings)
    return out


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 76; max-width: 100%; height: auto; max-height: 90%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    """
    BINDINGS = [Binding("escape,f1,q", "dismiss", "Close", id="help.close")]

    def __init__(self, under) -> None:
        super().__init__()
        self._under = under

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = "bftui help (Esc closes)"
            yield Static(INTRO + "\n")
            yield Static(bindings_table(self.app, self._under))
