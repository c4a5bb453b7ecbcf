"""The debugger screen of ``bftui debug FILE.b``: the debugger panel alone, no agent, no MLX."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static

from bftui.widgets.debugger import DebuggerPanel


class DebugScreen(Screen):
    def __init__(self, source: str, *, input: bytes = b"", expected: bytes | None = None,
                 title: str = "program", config=None, path=None) -> None:
        super().__init__()
        self.program_path = path  # where Ctrl+S saves the program
        self._source, self._input, self._expected = source, input, expected
        self._title, self._config = title, config

    def compose(self) -> ComposeResult:
        yield Static("", id="too-small")
        with Vertical(classes="body"):
            yield DebuggerPanel(self._source, input=self._input, expected=self._expected,
                                config=self._config, id="debugger")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        panel = self.query_one(DebuggerPanel)
        panel.editor.border_title = self._title
        panel.editor.focus()
