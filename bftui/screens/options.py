"""Ctrl+O: generation options (greedy or sampled, temperature, best-of-N)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Switch


@dataclass(frozen=True)
class GenOptions:
    greedy: bool = True
    temperature: float = 1.0
    best_of: int = 1

    def summary(self) -> str:
        mode = "greedy" if self.greedy else f"T={self.temperature:g}"
        return f"{mode} best-of-{self.best_of}"


class OptionsScreen(ModalScreen[GenOptions | None]):
    DEFAULT_CSS = """
    OptionsScreen { align: center middle; }
    OptionsScreen > Vertical {
        width: 50; height: auto; border: round $primary; background: $surface; padding: 0 1;
    }
    OptionsScreen Grid { grid-size: 2; grid-columns: 16 1fr; grid-rows: 3; height: auto; }
    OptionsScreen Label { padding: 1 0; }
    OptionsScreen #buttons { height: 3; align-horizontal: right; }
    OptionsScreen #error { color: $error; height: auto; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="options.cancel")]

    def __init__(self, options: GenOptions) -> None:
        super().__init__()
        self._options = options

    def compose(self) -> ComposeResult:
        o = self._options
        with Vertical() as box:
            box.border_title = "generation options"
            with Grid():
                yield Label("greedy")
                yield Switch(o.greedy, id="greedy")
                yield Label("temperature")
                yield Input(f"{o.temperature:g}", id="temperature", type="number")
                yield Label("best of N")
                yield Input(str(o.best_of), id="best-of", type="integer")
            yield Label("", id="error")
            with Horizontal(id="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("OK", id="ok", variant="primary")

    def read(self) -> GenOptions:
        """The options as typed; raises ValueError with a message for a bad value."""
        try:
            temperature = float(self.query_one("#temperature", Input).value)
            best_of = int(self.query_one("#best-of", Input).value)
        except ValueError:
            raise ValueError("temperature must be a number and best-of a whole number") from None
        if not 0 < temperature <= 10:
            raise ValueError("temperature must be in (0, 10]")
        if not 1 <= best_of <= 64:
            raise ValueError("best-of must be between 1 and 64")
        return GenOptions(self.query_one("#greedy", Switch).value, temperature, best_of)

    def _accept(self) -> None:
        try:
            self.dismiss(self.read())
        except ValueError as exc:
            self.query_one("#error", Label).update(str(exc))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self._accept()
        else:
            self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._accept()

    def action_cancel(self) -> None:
        self.dismiss(None)
