"""The tape pane: one line per cell (index, decimal, hex, printable char) over the whole tape.

It uses the Line API, so only the visible rows are rendered: scrolling across 30,000 cells costs
the same as showing ten.
"""

from __future__ import annotations

from typing import Sequence

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

_ROW = Style(color="grey70")
_ZERO = Style(color="grey42")
_POINTER = Style(color="black", bgcolor="gold1", bold=True)
_HEADER = Style(color="grey58", bold=True)
WIDTH = 24


def printable(value: int) -> str:
    """How one cell's byte reads as a character: itself when printable ASCII, else an escape."""
    if 32 <= value < 127:
        return chr(value)
    return {0: "\\0", 9: "\\t", 10: "\\n", 13: "\\r"}.get(value, "·")


def cell_text(index: int, value: int, pointer: bool) -> str:
    mark = "▶" if pointer else " "
    return f"{mark}{index:>6} {value:>4} {value:02x} {printable(value):>3}"


class TapeView(ScrollView, can_focus=True):
    """Shows ``tape`` with ``ptr`` highlighted; call :meth:`show` after every machine change."""

    DEFAULT_CSS = """
    TapeView { width: 30; border: round $secondary 50%; }
    TapeView:focus { border: round $secondary; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._tape: Sequence[int] = bytes(1)
        self._ptr = 0
        self.border_title = "tape"

    def show(self, tape: Sequence[int], ptr: int, follow: bool = True) -> None:
        if len(tape) != len(self._tape):
            self.virtual_size = Size(WIDTH, len(tape))
        self._tape, self._ptr = tape, ptr
        self.border_subtitle = f"ptr {ptr}"
        if follow:
            self.follow_pointer()
        self.refresh()

    def follow_pointer(self) -> None:
        """Scroll only when the pointer leaves the view, so the rows stay still while it moves."""
        top, height = round(self.scroll_y), self.scrollable_content_region.height
        if height <= 0 or top <= self._ptr < top + height:
            return
        self.scroll_to(y=max(0, self._ptr - height // 2), animate=False, immediate=True)

    def render_line(self, y: int) -> Strip:
        index = round(self.scroll_y) + y
        width = self.scrollable_content_region.width
        if index >= len(self._tape):
            return Strip.blank(width)
        value = int(self._tape[index])
        pointer = index == self._ptr
        style = _POINTER if pointer else (_ZERO if value == 0 else _ROW)
        text = cell_text(index, value, pointer).ljust(width)[:width]
        return Strip([Segment(text, style)], width)
