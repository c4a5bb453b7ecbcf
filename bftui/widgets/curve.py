"""A live line chart for the terminal, drawn with braille dots (2x4 dots per cell).

``Curve`` holds one or more named series and plots them together with a shared y range. The first
line shows the title and each series' latest value; the plot rows carry the max label at the top and
the min label at the bottom. Rendering is cached on (size, data version) so a curve that did not
change costs nothing to redraw, and each redraw only touches ``2 * width`` points per series.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from rich.text import Text
from textual.widget import Widget

# Bit of each dot in a braille cell, indexed [row][column] (row 0 = top).
_DOT_BITS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))
_BRAILLE_BASE = 0x2800
PALETTE = ("green", "cyan", "magenta", "yellow", "red", "blue")


def format_value(value: float | None) -> str:
    """Short, fixed-ish width number for labels: 4 significant digits, scientific when huge or tiny."""
    if value is None:
        return "-"
    if not math.isfinite(value):
        return str(value)
    magnitude = abs(value)
    if magnitude != 0 and (magnitude >= 1e5 or magnitude < 1e-3):
        return f"{value:.2e}"
    return f"{value:.4g}"


def resample(values: list[float], width: int) -> list[float]:
    """At most ``width`` points: bucket means when there are more values than columns."""
    if len(values) <= width:
        return list(values)
    out = []
    for i in range(width):
        lo = i * len(values) // width
        hi = max(lo + 1, (i + 1) * len(values) // width)
        bucket = values[lo:hi]
        out.append(sum(bucket) / len(bucket))
    return out


def braille_rows(series: list[list[float]], width: int, height: int, lo: float, hi: float) -> list[list[int]]:
    """A ``height`` x ``width`` grid of cells, each ``dot_bits | (owner + 1) << 8`` (0 = empty),
    where owner is the index of the last series that put a dot in the cell."""
    grid = [[0] * width for _ in range(height)]
    dots_y = height * 4
    span = hi - lo
    for index, values in enumerate(series):
        prev_y: int | None = None
        for x, value in enumerate(resample(values, width * 2)):
            frac = 0.5 if span == 0 else (value - lo) / span
            y = dots_y - 1 - round(frac * (dots_y - 1))
            # Join consecutive points with a vertical run so steep changes read as a line, not dots.
            top, bottom = (y, y) if prev_y is None else (min(y, prev_y), max(y, prev_y))
            for yy in range(top, bottom + 1):
                _set_dot(grid, x, yy, index)
            prev_y = y
    return grid


def _set_dot(grid: list[list[int]], x: int, y: int, owner: int) -> None:
    row, col = y // 4, x // 2
    cell = grid[row][col]
    grid[row][col] = (cell & 0xFF | _DOT_BITS[y % 4][x % 2]) | (owner + 1) << 8


class Curve(Widget):
    """A live line chart of one or more named series.

    ``add(name, value)`` appends a point, ``set_series(name, values)`` replaces a series. Series are
    drawn in insertion order with colours from :data:`PALETTE`; where two share a cell the later wins.
    """

    DEFAULT_CSS = """
    Curve {
        height: 8;
        min-height: 3;
        min-width: 16;
        padding: 0 1;
    }
    """

    def __init__(
        self,
        title: str = "",
        *,
        placeholder: str = "no data yet",
        max_points: int = 4096,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.title = title
        self.placeholder = placeholder
        self.max_points = max(2, max_points)
        self._series: dict[str, list[float]] = {}
        self._latest: dict[str, float] = {}
        self._stride: dict[str, int] = {}
        self._pending: dict[str, tuple[float, int]] = {}
        self._version = 0
        self._cache_key: tuple | None = None
        self._cache: Text | None = None

    # -- data ------------------------------------------------------------------------------------

    def add(self, name: str, value: float) -> None:
        """Append one point to ``name`` (created on first use). Non-finite values update the
        latest-value label but are not plotted."""
        self.extend(name, (value,))

    def extend(self, name: str, values: Iterable[float]) -> None:
        """Append several points with one redraw."""
        for value in values:
            value = float(value)
            self._latest[name] = value
            self._series.setdefault(name, [])
            if math.isfinite(value):
                self._push(name, value)
        self._changed()

    def set_series(self, name: str, values: Iterable[float]) -> None:
        """Replace ``name`` with ``values`` (an empty iterable keeps the series with no points)."""
        values = [float(v) for v in values]
        self._series[name] = []
        self._stride.pop(name, None)
        self._pending.pop(name, None)
        for value in values:
            if math.isfinite(value):
                self._push(name, value)
        if values:
            self._latest[name] = values[-1]
        else:
            self._latest.pop(name, None)
        self._changed()

    def _push(self, name: str, value: float) -> None:
        # Past max_points, pairs are averaged and later points are bucketed ``stride`` at a time, so
        # every stored point stands for the same number of samples and the whole history keeps its shape.
        stride = self._stride.get(name, 1)
        total, count = self._pending.get(name, (0.0, 0))
        total, count = total + value, count + 1
        if count < stride:
            self._pending[name] = (total, count)
            return
        self._pending.pop(name, None)
        values = self._series[name]
        values.append(total / count)
        if len(values) > self.max_points:
            if len(values) % 2:
                self._pending[name] = (values.pop() * stride, stride)
            self._series[name] = _halve(values)
            self._stride[name] = stride * 2

    def clear(self) -> None:
        self._series.clear()
        self._latest.clear()
        self._stride.clear()
        self._pending.clear()
        self._changed()

    def latest(self, name: str) -> float | None:
        return self._latest.get(name)

    def series(self, name: str) -> list[float]:
        """The plotted points of ``name``, including the partly filled last bucket."""
        values = list(self._series.get(name, ()))
        total, count = self._pending.get(name, (0.0, 0))
        return values + [total / count] if count else values

    @property
    def series_names(self) -> list[str]:
        return list(self._series)

    def _changed(self) -> None:
        self._version += 1
        self.refresh()

    # -- drawing ---------------------------------------------------------------------------------

    def render(self) -> Text:
        width, height = self.content_size.width, self.content_size.height
        key = (width, height, self._version)
        if key != self._cache_key or self._cache is None:
            self._cache = self._draw(width, height)
            self._cache_key = key
        return self._cache

    def _draw(self, width: int, height: int) -> Text:
        text = self._header(width)
        all_series = [self.series(name) for name in self._series]
        plotted = [v for v in all_series if v]
        rows = height - 1
        if rows <= 0 or width <= 0:
            return text
        if not plotted:
            text.append("\n")
            text.append(self.placeholder[:width], style="dim italic")
            return text
        lo = min(min(v) for v in plotted)
        hi = max(max(v) for v in plotted)
        hi_label, lo_label = format_value(hi), format_value(lo)
        gutter = max(len(hi_label), len(lo_label)) + 1
        plot_width = width - gutter
        if plot_width < 2:
            return text
        grid = braille_rows(all_series, plot_width, rows, lo, hi)
        styles = self._colours()
        for r, row in enumerate(grid):
            text.append("\n")
            label = hi_label if r == 0 else lo_label if r == rows - 1 else ""
            text.append(label.rjust(gutter - 1) + " ", style="dim")
            for owner, chars in _runs(row):
                text.append(chars, style=styles[owner] if owner >= 0 else "")
        return text

    def _header(self, width: int) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        if self.title:
            text.append(self.title, style="bold")
        styles = self._colours()
        for index, name in enumerate(self._series):
            text.append("  " if text else "")
            label = name if len(self._series) > 1 or not self.title else ""
            text.append(f"{label} " if label else "", style=styles[index])
            text.append(format_value(self._latest.get(name)), style=f"bold {styles[index]}")
        text.truncate(max(width, 0))
        return text

    def _colours(self) -> list[str]:
        return [PALETTE[i % len(PALETTE)] for i in range(len(self._series))]


def _runs(row: list[int]):
    """(owner, characters) for each run of cells with the same owner: one Text span per run."""
    start = 0
    for i in range(1, len(row) + 1):
        if i == len(row) or (row[i] >> 8) != (row[start] >> 8):
            chars = "".join(chr(_BRAILLE_BASE + (cell & 0xFF)) if cell else " " for cell in row[start:i])
            yield (row[start] >> 8) - 1, chars
            start = i


def _halve(values: list[float]) -> list[float]:
    """Average neighbouring pairs (``values`` has even length)."""
    return [(values[i] + values[i + 1]) / 2 for i in range(0, len(values) - 1, 2)]
