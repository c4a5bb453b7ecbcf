"""The step debugger: program editor, tape and output around one ``bfcore.interp.machine.Machine``.

The machine lives on the UI thread. Long runs go in chunks from a timer that spends a few
milliseconds per tick, so a program that never halts runs until its step budget while keys and
repaints go on between chunks.
"""

from __future__ import annotations

import time

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, TextArea

from bftui.widgets.editor import ProgramEditor
from bftui.widgets.output import OutputView
from bftui.widgets.status import StatusInfo, StatusLine
from bftui.widgets.tape import TapeView

SPEEDS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000)  # animated steps per second
DEFAULT_SPEED = 3
TICK = 1 / 30  # repaint and chunk period while running
CHUNK_BUDGET = 0.02  # seconds of stepping per tick: the rest of the tick is for the UI
EDIT_SETTLE = 0.25  # seconds after the last keystroke before the edited program is rebuilt


def input_text(data: bytes) -> str:
    """Bytes as the input field shows them: text, with \\n, \\t, \\\\ and \\xHH for the rest
    (what :func:`parse_input` reads back)."""
    from bfcore.synth.examples import show

    return show(data, limit=None)


def parse_input(text: str) -> bytes:
    """The input field's text as bytes, as ``--example`` reads it: UTF-8, with \\n, \\t, \\r,
    \\0, \\\\ and \\xHH escapes. Raises ValueError naming the column of a bad escape."""
    from bfcore.synth.examples import decode_escapes

    return decode_escapes(text, "input")


def _number(word: str, what: str) -> int:
    if not word.isdigit():
        raise ValueError(f"{what} must be a whole number, not {word!r}")
    return int(word)


def _value(word: str, mask: int = 255) -> int:
    """A cell value: 0 to ``mask`` (the cells' largest), or one character in quotes ('A') or
    alone (A)."""
    if len(word) == 3 and word[0] == word[2] and word[0] in "'\"":
        word = word[1]
    if len(word) == 1 and not word.isdigit():
        if ord(word) > 255:
            raise ValueError(f"{word!r} is not one byte")
        return ord(word)
    value = _number(word, "a value")
    if value > mask:
        raise ValueError(f"a cell holds 0 to {mask}, not {value}")
    return value


def _loop_around(source: str, behind: int, pc: int) -> bool:
    """True when a loop holds both positions, so the program may come back to ``behind``."""
    pairs = matching_brackets(source)
    return any(a <= behind and b >= pc for a, b in pairs.items() if a < b)


def matching_brackets(source: str) -> dict[int, int]:
    """Both directions of every matched bracket pair (unmatched ones are left out)."""
    pairs, stack = {}, []
    for i, ch in enumerate(source):
        if ch == "[":
            stack.append(i)
        elif ch == "]" and stack:
            j = stack.pop()
            pairs[i], pairs[j] = j, i
    return pairs


class DebuggerPanel(Vertical):
    """Attributes down (:meth:`load`, actions called by the app), the view repaints itself."""

    DEFAULT_CSS = """
    DebuggerPanel { height: 1fr; }
    DebuggerPanel #code-row { height: 2fr; min-height: 5; }
    DebuggerPanel #io-row { height: 1fr; min-height: 4; }
    DebuggerPanel ProgramEditor { width: 1fr; height: 1fr; }
    DebuggerPanel #stdin { height: 3; border: round $accent 50%; padding: 0 1; }
    DebuggerPanel #stdin:focus { border: round $accent; }
    DebuggerPanel TapeView { height: 1fr; }
    """

    def __init__(
        self,
        source: str = "",
        *,
        input: bytes = b"",
        expected: bytes | None = None,
        config=None,
        side: Widget | None = None,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self._initial_source = source
        self.saved_text = source  # the program as last loaded or saved: edits since are unsaved
        self.input = input
        self.expected = expected
        self.config = config
        self._side = side
        self.machine = None
        self.errors: list = []  # BFSyntaxError from find_errors, for the editor and status line
        self.state = "ready"
        self.reason: str | None = None
        self.speed_index = DEFAULT_SPEED
        self.breakpoints: set[int] = set()
        self.watches: dict[int, int | None] = {}  # kept across rebuilds, as breakpoints are
        self._temp_stop: int | None = None  # run-to-cursor / step-over target
        self._temp_reason: str | None = None
        self._runner: Timer | None = None
        self._chunk = 1000
        self._edit_timer: Timer | None = None
        self._machine_text: str | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="code-row"):
            yield ProgramEditor(self._initial_source, id="program")
            yield TapeView(id="tape")
        yield Input(input_text(self.input), placeholder="input for ',' (\\n, \\xHH escapes)",
                    id="stdin")
        with Horizontal(id="io-row"):
            yield OutputView(id="output")
            if self._side is not None:
                yield self._side
        yield StatusLine(id="status")

    def on_mount(self) -> None:
        self.query_one(ProgramEditor).border_title = "program"
        self.query_one("#stdin", Input).border_title = "input"
        self._rebuild()

    def on_input_changed(self, event: Input.Changed) -> None:
        """New input for the program: the machine starts again with it."""
        if event.input.id != "stdin":
            return
        event.stop()
        try:
            data = parse_input(event.value)
        except ValueError as exc:
            event.input.border_subtitle = str(exc)
            return
        event.input.border_subtitle = f"{len(data)} bytes"
        if data != self.input:
            self.input = data
            self._rebuild()

    # -- building the machine ------------------------------------------------------------------

    @property
    def editor(self) -> ProgramEditor:
        return self.query_one(ProgramEditor)

    @property
    def source(self) -> str:
        return self.editor.text

    def load(self, source: str, *, input: bytes | None = None, expected: bytes | None = None) -> None:
        """Show a new program (e.g. a generation); breakpoints and run state start afresh."""
        self._stop_running()
        if input is not None:
            self.input = input
            field = self.query_one("#stdin", Input)
            with field.prevent(Input.Changed):
                field.value = input_text(input)
        self.expected = expected
        self.breakpoints.clear()
        self.saved_text = source
        self.editor.load_text(source)
        self._rebuild()

    def _make_config(self):
        from bfcore.interp.program import Config

        return self.config if self.config is not None else Config()

    def _rebuild(self) -> None:
        """A fresh machine for the editor's text, or the list of syntax errors when it has some."""
        from bfcore.interp.machine import Machine
        from bfcore.interp.program import find_errors

        self._stop_running()
        source = self.source
        self._machine_text = source
        self.errors = find_errors(source)
        self.breakpoints = {b for b in self.breakpoints if b < len(source)}
        self.reason = None
        if self.errors:
            self.machine = None
            self.state = "error"
        else:
            self.machine = Machine(source, input=self.input, config=self._make_config())
            self.machine.breakpoints.update(self.breakpoints)
            self._sync_watches()
            self.state = "ready"
        self.repaint()

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        event.stop()
        if self.source == self._machine_text:
            return  # our own load_text (or an edit undone): the machine already runs this text
        if self._edit_timer is not None:
            self._edit_timer.stop()
        self._stop_running()
        self._edit_timer = self.set_timer(EDIT_SETTLE, self._rebuild)

    def rebuild_now(self) -> None:
        """Apply a pending edit at once (tests and actions call this instead of waiting)."""
        if self._edit_timer is not None:
            self._edit_timer.stop()
            self._edit_timer = None
        if self.machine is None or self.machine_source != self.source:
            self._rebuild()

    @property
    def unsaved(self) -> bool:
        return self.source != self.saved_text

    @property
    def machine_source(self) -> str | None:
        return None if self.machine is None else self._machine_text

    # -- painting --------------------------------------------------------------------------------

    def status_info(self) -> StatusInfo:
        m = self.machine
        speed = SPEEDS[self.speed_index] if self.state == "animating" else None
        if m is None:
            problem = "; ".join(str(e) for e in self.errors[:2]) or "no program"
            return StatusInfo(state=self.state, problem=problem)
        problem = str(m.error) if m.error is not None else None
        return StatusInfo(
            steps=m.steps, ptr=m.ptr, cell=int(m.tape[m.ptr]), state=self.state,
            reason=self.reason, speed=speed, problem=problem,
        )

    def repaint(self) -> None:
        m = self.machine
        editor = self.editor
        if m is None:
            editor.decorate(breakpoints=self.breakpoints, errors={e.pos for e in self.errors})
            self.query_one(OutputView).show(b"", self.expected)
        else:
            pc = m.pc if m.pc < len(self.source) else None
            editor.decorate(pc=pc, breakpoints=self.breakpoints)
            self.query_one(TapeView).show(m.tape, m.ptr)
            output = self.query_one(OutputView)
            output.show(bytes(m.output), self.expected, done=m.done)
            title = "output"
            if self.input or m.eof_reads:
                title += f" · input {m.in_pos}/{len(self.input)} bytes read"
            if m.eof_reads:
                title += " · end of input"  # a ',' found nothing left to read
            output.border_title = title
        self.query_one(StatusLine).show(self.status_info())

    # -- commands (called by the app's bindings and palette) -------------------------------------

    def _ready_machine(self):
        self.rebuild_now()
        return self.machine

    def _after_single(self) -> None:
        m = self.machine
        self.reason = m.stop_reason if m.status in ("halted", "error") else None
        self.state = m.status if m.status in ("halted", "error") else "paused"
        self.repaint()

    def step(self) -> None:
        if (m := self._ready_machine()) is None or m.status in ("halted", "error"):
            return
        self._stop_running()
        m.step()
        self._after_single()

    def back(self) -> None:
        if (m := self._ready_machine()) is None:
            return
        self._stop_running()
        if m.steps > 0:
            m.back()
        self.reason = None
        self.state = "paused" if m.steps else "ready"
        self.repaint()

    COMMANDS = ("watch CELL [= VALUE]", "unwatch [CELL]", "set CELL VALUE", "step N",
                "reverse", "hex", "text")

    def command(self, text: str) -> str:
        """A debugger command typed by the person (Ctrl+F); returns what to tell them.
        Raises ValueError, with the commands' syntax, for one it cannot read."""
        words = text.replace("=", " = ").split()
        if not words:
            raise ValueError("commands: " + ", ".join(self.COMMANDS))
        name, args = words[0].lower(), words[1:]
        output = self.query_one(OutputView)
        if name in ("hex", "text"):
            output.hex = name == "hex"
            self.repaint()
            return f"output shown as {'hex' if output.hex else 'text'}"
        if name == "unwatch":
            cells = [_number(a, "cell") for a in args] or list(self.watches)
            for c in cells:
                self.watches.pop(c, None)
            self._sync_watches()
            return "no watchpoints" if not self.watches else f"watching {self._watch_text()}"
        if name == "watch" and args:
            cell = _number(args[0], "cell")
            rest = [a for a in args[1:] if a != "="]
            self.watches[cell] = _value(rest[0], self._make_config().cell_mask) if rest else None
            self._sync_watches()
            return f"watching {self._watch_text()}"
        m = self._ready_machine()
        if m is None:
            raise ValueError("the program has errors: fix them first")
        if name == "set" and len(args) >= 2:
            cell, value = _number(args[0], "cell"), _value(args[-1], m.config.cell_mask)
            self._stop_running()
            m.set_cell(cell, value)
            self.repaint()
            return f"cell {cell} = {value} (the history before this is dropped)"
        if name == "step" and len(args) == 1:
            n = _number(args[0], "step count")
            self._stop_running()
            m.run(max_steps=n)  # breakpoints and watchpoints still stop it
            self.state, self.reason = (m.status if m.done else "paused"), m.stop_reason
            self.repaint()
            return f"step {m.steps}" + (f": stopped ({m.stop_reason})" if m.stop_reason else "")
        if name in ("reverse", "rc") and not args:
            self._stop_running()
            why = m.reverse_continue()
            self.reason, self.state = why, "paused" if m.steps else "ready"
            self.repaint()
            return {"output": "back before the last output byte",
                    "breakpoint": "back at the previous breakpoint"}.get(
                why, "back as far as the history goes")
        raise ValueError(f"unknown command {text.strip()!r}; commands: " + ", ".join(self.COMMANDS))

    def _sync_watches(self) -> None:
        if self.machine is not None:
            self.machine.watches.clear()
            self.machine.watches.update(self.watches)

    def _watch_text(self) -> str:
        return ", ".join(f"cell {c}" + ("" if v is None else f" = {v}")
                         for c, v in sorted(self.watches.items()))

    def step_over(self) -> None:
        """Over a whole loop when on '[', else one step."""
        if (m := self._ready_machine()) is None or m.status in ("halted", "error"):
            return
        source = self.source
        if m.pc < len(source) and source[m.pc] == "[":
            end = matching_brackets(source).get(m.pc)
            if end is not None:
                self._start_run(stop_at=end + 1, reason="step over")
                return
        self.step()

    def run_to_cursor(self) -> None:
        if (m := self._ready_machine()) is None:
            return
        cursor = self.editor.cursor_index
        if cursor < m.pc and not _loop_around(self.source, cursor, m.pc):
            # running would go to the end: nothing can jump back there
            self.app.notify("The cursor is behind the current instruction and no loop leads back to it; "
                            "Reset (F2) first to run to it.", severity="warning", timeout=4)
            return
        self._start_run(stop_at=cursor, reason="cursor")

    def run(self) -> None:
        if self._ready_machine() is None:
            return
        self._start_run()

    def animate(self) -> None:
        if (m := self._ready_machine()) is None or m.status in ("halted", "error"):
            return
        self._stop_running()
        self.state = "animating"
        self.reason = None
        self._runner = self.set_interval(self._animation_period(), self._animate_tick)
        self.repaint()

    def pause(self) -> None:
        if self.state in ("running", "animating"):
            self._stop_running()
            self.state = "paused"
            self.reason = None  # the state says it; "stopped:" is for the program's own reasons
            self.repaint()

    def reset(self) -> None:
        self._stop_running()
        if self.machine is None or self.machine_source != self.source:
            self._rebuild()
            return
        self.machine.reset()
        self.state, self.reason = "ready", None
        self.repaint()

    def toggle_breakpoint(self, pos: int | None = None) -> None:
        pos = self.editor.cursor_index if pos is None else pos
        self.breakpoints ^= {pos}
        if self.machine is not None:
            self.machine.breakpoints.clear()
            self.machine.breakpoints.update(self.breakpoints)
        self.repaint()

    def change_speed(self, delta: int) -> None:
        self.speed_index = max(0, min(len(SPEEDS) - 1, self.speed_index + delta))
        if self.state == "animating":
            self._runner.stop()
            self._runner = self.set_interval(self._animation_period(), self._animate_tick)
        self.repaint()

    @property
    def speed(self) -> int:
        return SPEEDS[self.speed_index]

    # -- the runner ------------------------------------------------------------------------------

    def _stop_running(self) -> None:
        if self._runner is not None:
            self._runner.stop()
            self._runner = None
        self._clear_temp_stop()

    def _clear_temp_stop(self) -> None:
        if self._temp_stop is not None and self.machine is not None:
            if self._temp_stop not in self.breakpoints:
                self.machine.breakpoints.discard(self._temp_stop)
        self._temp_stop = None

    def _start_run(self, stop_at: int | None = None, reason: str | None = None) -> None:
        m = self.machine
        self._stop_running()
        if m.status in ("halted", "error"):
            return
        if stop_at is not None and stop_at < len(self.source):
            self._temp_stop, self._temp_reason = stop_at, reason
            m.breakpoints.add(stop_at)
        self.state, self.reason = "running", None
        self._runner = self.set_interval(TICK, self._run_tick)
        self._run_tick()

    def _run_tick(self) -> None:
        m = self.machine
        deadline = time.perf_counter() + CHUNK_BUDGET
        while True:
            began = time.perf_counter()
            m.run(max_steps=self._chunk)
            spent = time.perf_counter() - began
            if self._finished_chunk():
                return
            # Grow or shrink the chunk so one call takes about a quarter of the budget.
            if spent < CHUNK_BUDGET / 8:
                self._chunk = min(self._chunk * 2, 1 << 22)
            elif spent > CHUNK_BUDGET / 2:
                self._chunk = max(self._chunk // 2, 64)
            if time.perf_counter() + spent > deadline:
                break
        self.repaint()

    def _finished_chunk(self) -> bool:
        """True when the run stopped for a reason (breakpoint, end, error, limit): stop the timer."""
        m = self.machine
        if m.status in ("halted", "error") or m.stop_reason not in (None, "step_budget"):
            reason = m.stop_reason
            at_target = self._temp_stop is not None and m.ip == m.program.index_at(self._temp_stop)
            if at_target and reason == "breakpoint" and self._temp_stop not in self.breakpoints:
                reason = self._temp_reason
            self._stop_running()
            self.state = m.status if m.status in ("halted", "error") else "paused"
            self.reason = reason
            self.repaint()
            return True
        return False

    def _animation_period(self) -> float:
        return max(1 / self.speed, TICK)

    def _animate_tick(self) -> None:
        m = self.machine
        stops = {m.program.index_at(p) for p in self.breakpoints}
        for _ in range(max(1, round(self.speed * self._animation_period()))):
            m.step()
            if m.status in ("halted", "error") or m.ip in stops:
                self._stop_running()
                self.state = m.status if m.status in ("halted", "error") else "paused"
                self.reason = m.stop_reason if m.status in ("halted", "error") else "breakpoint"
                break
        self.repaint()
