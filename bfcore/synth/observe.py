"""What the decoder sees between actions: the program so far, run on one example input.

A :class:`Tracer` runs each instruction as it is written, like the original design's environment,
and summarises the machine in :data:`OBS_DIM` numbers: the current cell (zero, value, letter or digit
class), whether its neighbours are zero, the pointer, how much input was read, how much output was
written, the open loop depth, and whether the run has failed.

Inside an open loop there is no honest "state so far": the body has not run yet and will run any
number of times. The tracer shows the state at the loop's entry (with the depth feature telling the
decoder it is inside a loop) and runs the whole loop when its ``]`` is written, under a step budget;
a loop that exhausts it marks the run failed, as a hang would.
"""

from __future__ import annotations

import numpy as np


OBS_DIM = 14
_MATCH_CACHE: dict[str, list[int]] = {}


def _matches(code: str) -> list[int]:
    m = _MATCH_CACHE.get(code)
    if m is None:
        m, stack = [0] * len(code), []
        for i, ch in enumerate(code):
            if ch == "[":
                stack.append(i)
            elif ch == "]":
                j = stack.pop()
                m[i], m[j] = j, i
        if len(_MATCH_CACHE) < 50_000:
            _MATCH_CACHE[code] = m
    return m


# the tracer's steps for the program so far: what the shipped policy was trained to see
TRACE_STEPS = 5000

class Tracer:
    """One program being written, run on ``inp`` (end of input reads 0, as ``Config(eof="zero")``)."""

    __slots__ = ("tape", "ptr", "inp", "ip", "out", "pending", "depth", "fault", "steps", "budget")

    def __init__(self, inp: bytes, tape_len: int = 64, budget: int = TRACE_STEPS):
        self.tape, self.ptr, self.inp, self.ip = bytearray(tape_len), 0, inp, 0
        self.out, self.pending, self.depth, self.fault = bytearray(), [], 0, False
        self.steps, self.budget = 0, budget

    def push(self, text: str, opens: int = 0) -> None:
        """Write one action's text; ``opens`` is +1 for ``[``, -1 for ``]``, else 0."""
        if self.fault:
            return
        if self.depth or opens:
            self.pending.append(text)
            self.depth += opens
            if self.depth == 0:
                code, self.pending = "".join(self.pending), []
                self._run(code)
        elif text:
            self._run(text)

    def _run(self, code: str) -> None:
        tape, ptr, inp, ip, out = self.tape, self.ptr, self.inp, self.ip, self.out
        n, steps, limit = len(tape), self.steps, self.budget
        match = _matches(code) if "[" in code else None
        pc, end = 0, len(code)
        while pc < end:
            steps += 1
            if steps > limit:
                self.fault = True
                break
            ch = code[pc]
            if ch == "+":
                tape[ptr] = (tape[ptr] + 1) & 255
            elif ch == "-":
                tape[ptr] = (tape[ptr] - 1) & 255
            elif ch == ">":
                ptr += 1
                if ptr >= n:
                    self.fault = True
                    break
            elif ch == "<":
                ptr -= 1
                if ptr < 0:
                    self.fault = True
                    break
            elif ch == ".":
                out.append(tape[ptr])
            elif ch == ",":
                tape[ptr] = inp[ip] if ip < len(inp) else 0
                ip += 1 if ip < len(inp) else 0
            elif ch == "[":
                if not tape[ptr]:
                    pc = match[pc]
            elif ch == "]":
                if tape[ptr]:
                    pc = match[pc]
            pc += 1
        self.ptr, self.ip, self.steps = max(0, min(ptr, n - 1)), ip, steps

    def features(self, out: np.ndarray) -> None:
        t, p = self.tape, self.ptr
        v = t[p]
        out[0] = v == 0
        out[1] = v / 255.0
        out[2] = 97 <= v <= 122
        out[3] = 65 <= v <= 90
        out[4] = 48 <= v <= 57
        out[5] = v == 32
        out[6] = p > 0 and t[p - 1] != 0
        out[7] = p + 1 < len(t) and t[p + 1] != 0
        out[8] = min(p, 8) / 8.0
        out[9] = self.ip / len(self.inp) if self.inp else 1.0
        out[10] = self.ip >= len(self.inp)
        out[11] = min(len(self.out), 16) / 16.0
        out[12] = self.depth / 3.0
        out[13] = self.fault
