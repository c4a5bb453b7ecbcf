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


def binding_rows(app, screen) -> list[tuple[str, str]]:
    """(keys, what it does) for the bindings of ``screen`` and the app, keys as remapped by the
    keymap; several keys for one action share a row."""
    rows: dict[tuple[str, str], list[str]] = {}
    for node in (screen, app):
        for binding in _bindings_of(node, app._keymap):
            if not binding.description:
                continue
            keys = rows.setdefault((binding.action, binding.tooltip or binding.description), [])
            shown = app.get_key_display(binding)
            if shown not in keys:
                keys.append(shown)
    return [(", ".join(keys), text) for (_, text), keys in rows.items()]


def bindings_table(rows: list[tuple[str, str]]) -> Table:
    table = Table(box=None, show_header=True, header_style="bold", expand=True, pad_edge=False)
    table.add_column("key", style="bold cyan", no_wrap=True)
    table.add_column("action")
    for keys, text in rows:
        table.add_row(keys, text)
    return table


def _bindings_of(node, keymap) -> list:
    bindings_map = node._bindings.copy()
    if keymap:  # Textual applies the keymap to a copy per key press; do the same to show it
        bindings_map.apply_keymap(keymap)
    out = []
    for bindings in bindings_map.key_to_bindings.values():
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
        self.rows: list[tuple[str, str]] = []

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = "bftui help (Esc closes)"
            yield Static(INTRO + "\n")
            from bftui.hints import known_families

            yield Static("[b]What the agents know[/b]\n" + known_families() + "\n", markup=True)
            self.rows = binding_rows(self.app, self._under)
            yield Static(bindings_table(self.rows))
