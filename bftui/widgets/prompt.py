"""The prompt: an Input with a history walked with up/down, like a shell."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Input


class PromptInput(Input):
    BINDINGS = [
        Binding("up", "history(-1)", "Older prompt", show=False, id="prompt.history_back"),
        Binding("down", "history(1)", "Newer prompt", show=False, id="prompt.history_forward"),
    ]

    def __init__(self, history: list[str] | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.history: list[str] = list(history or [])
        self._index = len(self.history)
        self._draft = ""

    def remember(self, prompt: str) -> None:
        """Add a submitted prompt (consecutive duplicates kept once) and go back to a fresh line."""
        if prompt and (not self.history or self.history[-1] != prompt):
            self.history.append(prompt)
        self._index = len(self.history)
        self._draft = ""

    def action_history(self, delta: int) -> None:
        if not self.history:
            return
        if self._index == len(self.history):
            self._draft = self.value  # keep what was being typed, as shells do
        self._index = max(0, min(len(self.history), self._index + delta))
        self.value = self._draft if self._index == len(self.history) else self.history[self._index]
        self.cursor_position = len(self.value)
