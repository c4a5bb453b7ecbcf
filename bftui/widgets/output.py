"""The output pane: the program's bytes shown safely, the expected output, and where they differ."""

from __future__ import annotations

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

#: Bytes shown at most; the rest is summarised (and can be saved in full with the save action).
VIEW_LIMIT = 4096


def escape_byte(value: int) -> str:
    if value == 10:
        return "\\n\n"  # show the escape and still break the line, so text output reads as text
    if value == 92:
        return "\\\\"
    if 32 <= value < 127:
        return chr(value)
    return {9: "\\t", 13: "\\r", 0: "\\0"}.get(value, f"\\x{value:02x}")


def escape_bytes(data: bytes) -> str:
    text = "".join(escape_byte(b) for b in data)
    return text[:-1] if text.endswith("\\n\n") else text  # no blank line after a final newline


def hex_bytes(data: bytes) -> str:
    """Two hex digits a byte, 16 to a line."""
    return "\n".join(" ".join(f"{b:02x}" for b in data[i:i + 16]) for i in range(0, len(data), 16))


def first_difference(got: bytes, expected: bytes) -> int | None:
    """Index of the first byte where ``got`` and ``expected`` differ (None when equal)."""
    for i, (a, b) in enumerate(zip(got, expected)):
        if a != b:
            return i
    return None if len(got) == len(expected) else min(len(got), len(expected))


def render_output(got: bytes, expected: bytes | None, limit: int = VIEW_LIMIT,
                  done: bool = True, hex: bool = False) -> Text:
    """The output with a correct prefix in green and the rest in red when an expectation is known.
    While the program has not ``done``, output that is still a prefix of the expected one is fine.
    ``hex``: the bytes as hex digits instead of text."""
    if hex:
        text = Text(hex_bytes(got[:limit]))
        if len(got) > limit:
            text.append(f"\n… {len(got) - limit} more bytes", style="italic grey62")
        if expected is not None:
            diff = first_difference(got, expected)
            text.append("\nexpected: ", style="bold")
            text.append(hex_bytes(expected[:limit]), style="cyan")
            text.append("\n✓ output matches" if diff is None else f"\n✗ differs at byte {diff}",
                        style="bold green" if diff is None else "bold red")
        return text
    text = Text()
    diff = first_difference(got, expected) if expected is not None else None
    shown = got[:limit]
    if expected is None or diff is None:
        text.append(escape_bytes(shown), style="green" if expected is not None else "")
    else:
        text.append(escape_bytes(shown[:diff]), style="green")
        text.append(escape_bytes(shown[diff:]), style="bold red")
    if len(got) > limit:
        text.append(f"\n… {len(got) - limit} more bytes (save the full output from the palette)",
                    style="italic grey62")
    if expected is not None:
        text.append("\nexpected: ", style="bold")
        text.append(escape_bytes(expected[:limit]), style="cyan")
        if diff is None:
            text.append("\n✓ output matches", style="bold green")
        elif not done and diff == len(got):
            text.append(f"\n… {len(got)} of {len(expected)} bytes so far, all as expected",
                        style="italic")
        else:
            got_b = escape_byte(got[diff]).strip() if diff < len(got) else "end"
            want_b = escape_byte(expected[diff]).strip() if diff < len(expected) else "end"
            text.append(f"\n✗ differs at byte {diff}: got {got_b!r}, expected {want_b!r}",
                        style="bold red")
    return text


class OutputView(VerticalScroll, can_focus=False):
    """Attributes down: call :meth:`show` with the bytes so far and the expected output if known."""

    DEFAULT_CSS = """
    OutputView { border: round $accent 50%; height: 1fr; }
    OutputView > Static { width: 1fr; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.border_title = "output"
        self._shown: tuple | None = None
        self.hex = False  # bytes as hex digits (the debugger's `hex` / `text` commands)

    def compose(self):
        yield Static("", id="output-text")

    def show(self, got: bytes, expected: bytes | None = None, done: bool = True) -> None:
        key = (bytes(got[: VIEW_LIMIT + 1]), expected, len(got), done, self.hex)
        if key == self._shown:
            return  # a repaint timer calls this often; skip the re-layout when nothing changed
        self._shown = key
        self.query_one("#output-text", Static).update(
            render_output(bytes(got), expected, done=done, hex=self.hex))
        self.border_subtitle = f"{len(got)} byte{'' if len(got) == 1 else 's'}"
        self.scroll_end(animate=False, immediate=True)
