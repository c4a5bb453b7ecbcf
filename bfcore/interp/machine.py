"""The stepping Machine behind the debugger: one step is one BF instruction, with a bounded undo
history, breakpoints, step-over, run-to-cursor and run-until-output.

Semantics (the fast path in bfcore.interp.fast matches them byte for byte):
* Before each instruction: at the end of the program the run halts ("end"); otherwise if
  ``steps == config.max_steps`` it stops with a LimitError ("step_limit").
* ``.`` with ``config.max_output`` bytes already written stops with a LimitError ("output_limit")
  and is not counted as a step. A pointer move off the tape (bounds="error") stops with a
  TapeError; the failed instruction is not counted either, and the state is the one before it.
* ``error.step`` is ``steps + 1``: the 1-based number of the instruction that did not run.
"""

from __future__ import annotations

from collections import deque

from bfcore.errors import BFError
from bfcore.interp.program import Config, Program, RunResult, new_tape, parse

_CONSUMED = 1 << 40  # flag in an undo record: the ',' took a byte of input (above any cell)


class Machine:
    """A BF machine you can step forwards and backwards. Raises BFSyntaxError if the source has
    an unmatched bracket (use ``bfcore.interp.program.find_errors`` to list them all first)."""

    def __init__(self, source: str | bytes | Program, input: bytes = b"", config: Config = Config(),
                 history: int = 10_000, hash_breakpoints: bool = False):
        self.program = parse(source)
        self.source = self.program.source
        self.input = bytes(input)
        self.config = config
        self.history = history
        self.hash_breakpoints = hash_breakpoints
        self.breakpoints: set[int] = set()  # source indices; snap to the next instruction
        # watchpoints: cell -> None (stop when it changes) or a value (stop when it becomes it)
        self.watches: dict[int, int | None] = {}
        self._hash_positions = [i for i, ch in enumerate(self.source) if ch == "#"]
        self.reset()

    # ---- state ---------------------------------------------------------------------------
    def reset(self) -> None:
        """Back to the start (tape, output, input, history); breakpoints are kept."""
        self.tape = new_tape(self.config)
        self.ptr = 0
        self.ip = 0  # index into program.code of the next instruction
        self.steps = 0
        self.in_pos = 0
        self.eof_reads = 0  # ',' that found the input used up (a debugger says "end of input")
        self._out = bytearray()
        self._undo: deque = deque(maxlen=max(0, self.history))
        self.status = "ready"
        self.stop_reason: str | None = None
        self.error: BFError | None = None

    @property
    def pc(self) -> int:
        """Source index of the next instruction (len(source) at the end)."""
        return self.program.source_pos(self.ip)

    @property
    def output(self) -> bytes:
        return bytes(self._out)

    @property
    def done(self) -> bool:
        """True once halted at the end or stopped by an error or a limit."""
        return self.status in ("halted", "error")

    @property
    def can_back(self) -> bool:
        return bool(self._undo)

    def window(self, radius: int = 8) -> tuple[int, bytes]:
        """Cells around the pointer: (index of the first cell shown, their values)."""
        start = max(0, self.ptr - radius)
        return start, bytes(self.tape[start:self.ptr + radius + 1])

    def result(self) -> RunResult:
        """The run's outcome, once ``done``; same shape and values as ``bfcore.interp.fast.run``."""
        if self.status == "halted":
            return RunResult(self.output, self.steps, "ok", None)
        if self.status == "error":
            kind = self.error.kind
            status = kind if kind in ("step_limit", "output_limit") else "error"
            return RunResult(self.output, self.steps, status, self.error)
        raise RuntimeError("the machine has not finished; run() it first")

    # ---- moving --------------------------------------------------------------------------
    def step(self) -> bool:
        """Run one instruction (breakpoints do not apply). True if one ran."""
        before = self.steps
        self._go(limit=1)
        return self.steps != before

    def step_over(self) -> bool:
        """On a '[', run the whole loop (stopping early at a breakpoint); otherwise step()."""
        code = self.program.code
        if self.ip >= len(code) or code[self.ip] != "[":
            return self.step()
        before = self.steps
        self._go(target=self.program.match[self.ip] + 1, target_reason=None, breaks=True)
        return self.steps != before

    def run(self, max_steps: int | None = None) -> None:
        """Run until a breakpoint, the end, an error or a limit; or pause after ``max_steps``
        instructions (so a UI can refresh; stop_reason is then None)."""
        self._go(limit=max_steps, breaks=True)

    def run_to(self, pos: int) -> None:
        """Run to the first instruction at or after source index ``pos`` ("cursor"),
        stopping earlier at breakpoints."""
        self._go(target=self.program.index_at(pos), target_reason="cursor", breaks=True)

    def run_until_output(self, max_steps: int | None = None) -> None:
        """Run until the next '.' has written a byte ("output"), or any other stop."""
        self._go(limit=max_steps, breaks=True, until_output=True)

    def set_cell(self, index: int, value: int) -> None:
        """Set a cell by hand. The history is dropped: stepping back past a hand-set value
        would show states the program never had."""
        if not 0 <= index < len(self.tape):
            raise ValueError(f"cell {index} is off the tape (0 to {len(self.tape) - 1})")
        if not 0 <= value <= self.config.cell_mask:
            raise ValueError(f"a cell holds 0 to {self.config.cell_mask}, not {value}")
        self.tape[index] = value
        self._undo.clear()

    def reverse_continue(self) -> str | None:
        """Step back to the previous breakpoint or output byte (whichever comes first), or to
        as far as the history goes. Returns "breakpoint", "output" or None."""
        stops = self._break_indices()
        code = self.program.code
        while self._undo:
            undid_output = code[self._undo[-1][0]] == "."
            self.back()
            if undid_output:
                return "output"
            if self.ip in stops:
                return "breakpoint"
        return None

    def back(self) -> bool:
        """Undo the last instruction that ran. False if there is nothing (left) to undo."""
        if not self._undo:
            return False
        ip, ptr, old = self._undo.pop()
        op = self.program.code[ip]
        if op == ".":
            self._out.pop()
        elif old >= 0:
            if op == ",":
                if old & _CONSUMED:
                    self.in_pos -= 1
                else:
                    self.eof_reads -= 1
            self.tape[ptr] = old & self.config.cell_mask
        self.ip, self.ptr = ip, ptr
        self.steps -= 1
        self.status = "paused" if self.steps else "ready"
        self.stop_reason = None
        self.error = None
        return True

    # ---- the loop ------------------------------------------------------------------------
    def _break_indices(self) -> set[int]:
        at = self.program.index_at
        spots = set(self.breakpoints)
        if self.hash_breakpoints:
            spots.update(self._hash_positions)
        return {at(p) for p in spots}

    def _go(self, limit: int | None = None, target: int = -1, target_reason: str | None = None,
            breaks: bool = False, until_output: bool = False) -> None:
        if self.done:
            return
        prog, cfg = self.program, self.config
        code, match, n = prog.code, prog.match, len(prog.code)
        tape, out, inp, undo = self.tape, self._out, self.input, self._undo
        record = undo.append if undo.maxlen else None
        tape_len, wrap = cfg.tape_len, cfg.bounds == "wrap"
        max_steps, max_out = cfg.max_steps, cfg.max_output
        mask = cfg.cell_mask
        eof_value = {"zero": 0, "max": mask, "keep": -1}[cfg.eof]
        stops = self._break_indices() if breaks else ()
        watches = self.watches if breaks else {}
        limit = float("inf") if limit is None else limit
        ip, ptr, steps, in_pos = self.ip, self.ptr, self.steps, self.in_pos
        count = 0
        reason, status, error = None, "paused", None
        while True:
            if ip >= n:
                reason, status = "end", "halted"
                break
            if count:
                if ip == target:
                    reason = target_reason
                    break
                if ip in stops:
                    reason = "breakpoint"
                    break
            if count >= limit:
                break
            if steps >= max_steps:
                error = prog.limit_error("step_limit", ip, steps + 1, max_steps)
                break
            op = code[ip]
            old = -1
            if op == "+":
                old = tape[ptr]
                tape[ptr] = (old + 1) & mask
            elif op == "-":
                old = tape[ptr]
                tape[ptr] = (old - 1) & mask
            elif op == ">" or op == "<":
                new = ptr + 1 if op == ">" else ptr - 1
                if not 0 <= new < tape_len:
                    if not wrap:
                        error = prog.tape_error(ip, steps + 1, op == "<", tape_len)
                        break
                    new %= tape_len
                if record:
                    record((ip, ptr, -1))
                ptr = new
                ip += 1
                steps += 1
                count += 1
                continue
            elif op == "[":
                if record:
                    record((ip, ptr, -1))
                ip = match[ip] + 1 if tape[ptr] == 0 else ip + 1
                steps += 1
                count += 1
                continue
            elif op == "]":
                if record:
                    record((ip, ptr, -1))
                ip = match[ip] + 1 if tape[ptr] != 0 else ip + 1
                steps += 1
                count += 1
                continue
            elif op == ".":
                if len(out) >= max_out:
                    error = prog.limit_error("output_limit", ip, steps + 1, max_out)
                    break
                out.append(tape[ptr] & 255)
            else:  # ","
                old = tape[ptr]
                if in_pos < len(inp):
                    tape[ptr] = inp[in_pos]
                    in_pos += 1
                    old |= _CONSUMED
                else:
                    self.eof_reads += 1
                    if eof_value >= 0:
                        tape[ptr] = eof_value
            if record:
                record((ip, ptr, old))
            ip += 1
            steps += 1
            count += 1
            if until_output and op == ".":
                reason = "output"
                break
            if watches and ptr in watches and op != ".":
                want = watches[ptr]
                if (tape[ptr] != old & mask) if want is None else tape[ptr] == want:
                    reason = f"watch cell {ptr}"
                    break
        self.ip, self.ptr, self.steps, self.in_pos = ip, ptr, steps, in_pos
        if error is not None:
            status = "error"
            reason = error.kind if error.kind != "tape" else "error"
        self.status, self.stop_reason, self.error = status, reason, error


__all__ = ["Machine"]
