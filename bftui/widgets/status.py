"""The status line: steps, pointer, cell value, run state, and why the last run stopped."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static

_STATE_STYLES = {
    "ready": "bold cyan",
    "running": "bold green",
    "animating": "bold green",
    "paused": "bold yellow",
    "halted": "bold blue",
    "error": "bold red",
}


@dataclass(frozen=True)
class StatusInfo:
    steps: int = 0
    ptr: int = 0
    cell: int = 0
    state: str = "ready"
    reason: str | None = None
    speed: int | None = None  # steps per second while animating
    problem: str | None = None  # a syntax error in the editor, or a runtime error


def render_status(info: StatusInfo) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f" {info.state} ", style=f"reverse {_STATE_STYLES.get(info.state, 'bold')}")
    text.append(f" step {info.steps}  ptr {info.ptr}  cell {info.cell}")
    if info.speed is not None:
        text.append(f"  {info.speed}/s")
    if info.reason:
        text.append(f"  stopped: {info.reason}", style="bold")
    if info.problem:
        text.append(f"  {info.problem}", style="bold red")
    text.append("  F1 help", style="dim")
    return text


class StatusLine(Static):
    DEFAULT_CSS = """
    StatusLine { height: 1; background: $panel; }
    """

    def show(self, info: StatusInfo) -> None:
        self.update(render_status(info))
