"""The program pane: an editable BF source with syntax colours, the current instruction, breakpoints,
unmatched brackets and, after a generation, the policy's confidence per token."""

from __future__ import annotations

from bisect import bisect_right

from rich.style import Style
from rich.text import Text
from textual.widgets import TextArea

_OP_STYLES = {
    "+": Style(color="green3"),
    "-": Style(color="green3"),
    "<": Style(color="deep_sky_blue1"),
    ">": Style(color="deep_sky_blue1"),
    "[": Style(color="magenta", bold=True),
    "]": Style(color="magenta", bold=True),
    ".": Style(color="yellow", bold=True),
    ",": Style(color="yellow", bold=True),
}
_COMMENT = Style(color="grey50", italic=True)
_CURRENT = Style(color="black", bgcolor="gold1", bold=True)
_BREAKPOINT = Style(bgcolor="dark_red", underline=True)
_ERROR = Style(color="white", bgcolor="red", bold=True)
# Confidence buckets: (upper bound on the probability, background). Above the last bound: no shade.
_CONFIDENCE = ((0.25, "#7a1f1f"), (0.5, "#6b4a12"), (0.8, "#3b3b14"))


def confidence_style(prob: float) -> Style | None:
    """Background for a token the policy chose with probability ``prob`` (None when confident)."""
    for bound, colour in _CONFIDENCE:
        if prob < bound:
            return Style(bgcolor=colour)
    return None


class ProgramEditor(TextArea):
    """A TextArea that knows source indices: ``pc``, ``breakpoints``, ``errors`` and ``confidence``
    are set from outside ("attributes down") and only restyle the lines."""

    DEFAULT_CSS = """
    ProgramEditor { border: round $primary 50%; }
    ProgramEditor:focus { border: round $primary; }
    """

    def __init__(self, text: str = "", **kwargs) -> None:
        super().__init__(text, soft_wrap=True, show_line_numbers=False, highlight_cursor_line=False,
                         **kwargs)
        self.cursor_blink = False  # steady cursor: snapshots and screenshots stay stable
        self._bindings = self._bindings.copy()  # the class's map is shared; edit our own
        for key in ("f6", "f7"):  # TextArea's select-line/select-all: the debugger uses these keys
            self._bindings.key_to_bindings.pop(key, None)
        self._pc: int | None = None
        self._breakpoints: frozenset[int] = frozenset()
        self._errors: frozenset[int] = frozenset()
        self._confidence: list[tuple[int, int, Style]] = []
        self._line_starts: list[int] = [0]
        self._info = ""
        self._index_lines()
        self._show_location()

    # -- source index <-> (row, column) --------------------------------------------------------

    def _index_lines(self) -> None:
        newline = len(self.document.newline)
        starts, total = [], 0
        for line in self.document.lines:
            starts.append(total)
            total += len(line) + newline
        self._line_starts = starts or [0]

    def _build_highlight_map(self) -> None:
        # TextArea calls this after every edit, before the next paint: the one place to re-index.
        self._index_lines()
        super()._build_highlight_map()

    def location_of(self, pos: int) -> tuple[int, int]:
        row = bisect_right(self._line_starts, pos) - 1
        return row, pos - self._line_starts[row]

    def index_of(self, location: tuple[int, int]) -> int:
        row, col = location
        row = min(row, len(self._line_starts) - 1)
        return self._line_starts[row] + col

    @property
    def cursor_index(self) -> int:
        return self.index_of(self.cursor_location)

    # -- the border's subtitle: what the screen says of the program, and the cursor's line:column

    def set_info(self, info: str) -> None:
        self._info = info
        self._show_location()

    def _show_location(self) -> None:
        # 1-based, as error messages give positions ("program:2:7: unmatched ']'")
        row, col = self.cursor_location
        where = f"{row + 1}:{col + 1}"
        self.border_subtitle = f"{self._info} · {where}" if self._info else where

    def on_text_area_selection_changed(self, event: TextArea.SelectionChanged) -> None:
        self._show_location()

    # -- decorations ---------------------------------------------------------------------------

    def decorate(
        self,
        *,
        pc: int | None = None,
        breakpoints: set[int] | frozenset[int] = frozenset(),
        errors: set[int] | frozenset[int] = frozenset(),
    ) -> None:
        """Restyle for a new machine state; scrolls the current instruction into view."""
        pc_moved = pc != self._pc
        self._pc, self._breakpoints, self._errors = pc, frozenset(breakpoints), frozenset(errors)
        self._restyle()
        if pc_moved and pc is not None and pc < len(self.text):
            row, col = self.location_of(pc)
            self.scroll_to_region_of(row, col)

    def scroll_to_region_of(self, row: int, col: int) -> None:
        try:
            offset = self.wrapped_document.location_to_offset((row, col))
        except Exception:  # the wrapped document may lag a just-replaced text by one refresh
            return
        x, y = offset
        self.scroll_to_region(
            self.region.__class__(x, y, 1, 1), animate=False, immediate=True, force=True
        )

    def show_confidence(self, spans: list[tuple[int, int]], probs: list[float]) -> None:
        shaded = []
        for (start, end), prob in zip(spans, probs):
            style = confidence_style(prob)
            if style is not None:
                shaded.append((start, end, style))
        self._confidence = shaded
        self._restyle()

    def clear_confidence(self) -> None:
        if self._confidence:
            self._confidence = []
            self._restyle()

    def _restyle(self) -> None:
        self._line_cache.clear()  # TextArea caches rendered lines on keys that miss our state
        self.refresh()

    def _on_text_area_changed(self, event: TextArea.Changed) -> None:
        self._confidence = []  # the shading described the generated text, not an edit of it

    # -- rendering -----------------------------------------------------------------------------

    def get_line(self, line_index: int) -> Text:
        line = super().get_line(line_index)
        start = self._line_starts[line_index] if line_index < len(self._line_starts) else 0
        end = start + len(line.plain)
        for col, ch in enumerate(line.plain):
            line.stylize(_OP_STYLES.get(ch, _COMMENT), col, col + 1)
        for a, b, style in self._confidence:
            if a < end and b > start:
                line.stylize(style, max(a, start) - start, min(b, end) - start)
        for pos in self._breakpoints:
            if start <= pos < end:
                line.stylize(_BREAKPOINT, pos - start, pos - start + 1)
        for pos in self._errors:
            if start <= pos < end:
                line.stylize(_ERROR, pos - start, pos - start + 1)
        if self._pc is not None and start <= self._pc < end:
            line.stylize(_CURRENT, self._pc - start, self._pc - start + 1)
        return line
