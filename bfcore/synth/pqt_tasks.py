"""The 26 benchmark tasks of PQT (Abolafia et al. 2018, "Neural Program Synthesis with Priority
Queue Training"), rebuilt from the facts in tensorflow/models ``research/brain_coder``: the task
classes and ``make_task`` in ``single_task/code_tasks.py``, the task list ``iclr_tasks`` in
``single_task/run_eval_tasks.py``, the interpreter ``evaluate`` in ``common/bf.py`` and the reward
``absolute_distance_reward`` in ``common/reward.py``. No code was copied; in particular PQT's
reference BF solutions are not here (see "Expected outputs").

PQT's interpreter (``bf.evaluate``) against ours (``bfcore.interp.fast``, ``bfcore.interp.program.Config``):

* cells wrap mod the task's ``base`` (``+`` at base-1 gives 0, ``-`` at 0 gives base-1). 23 tasks
  use base 256, like our 8-bit cells; count-char and print-hello use 27 (0 = end, a..z = 1..26),
  bool-logic uses 2. Values in [0, base) are one byte each here; see ``fits_bytes``.
* ``,`` at end of input stores 0: the same as our eof="zero".
* the tape starts as one cell and grows on the right without bound. Ours has 30000 cells, which a
  run of under 5000 steps can never reach, so this makes no difference.
* ``<`` on cell 0 leaves the pointer on cell 0 (it clamps). Ours errs (bounds="error") or wraps to
  the last cell (bounds="wrap"); neither clamps.
* unmatched brackets are no-ops (PQT's paper runs set correct_syntax=False); ours rejects the
  program as a syntax error.
* a run fails once its step count reaches 5000 (``MAX_EXECUTION_STEPS`` in code_tasks.py), even
  if that was the last instruction: a program must stop within 4999 steps. Ours fails only past
  ``max_steps``, so ``solves`` passes 4999. Every executed instruction counts one step, as ours.
  PQT also stops a run after 0.1 s of wall time; that depends on the machine and is left out.

Test cases (``PQTTask.make_tests``). PQT draws each task's tests once, from
``random.Random(6849275409234)`` (``PQT_SEED``), under Python 2. Python 3 kept the Mersenne Twister
and its integer seeding but changed ``randrange`` and ``shuffle``, so ``_Py2Random`` rebuilds the
Python 2 versions from ``random()``; dedup also draws from numpy's legacy ``RandomState``, whose
stream numpy keeps fixed. ``make_tests(PQT_SEED, task.paper_n)`` is therefore PQT's own test set
(the tests check this against a reward value in PQT's code_tasks_test.py, which Python 3's
``randrange`` misses), and any other seed draws a fresh set the same way. Most tasks have 16
random tests; add has only its 9 fixed ones in the paper (PQT appends random sums when asked for
more than 9), count-char 5 fixed ones then random ones, bool-logic its whole 8-row truth table and
print-hello one test; tasks without random tests return their fixed set whatever ``seed`` and
``n`` are. Inputs carry no end marker unless PQT's draw adds one (echo-second-seq, echo-nth-seq,
substring, dedup, the fixed count-char cases); reading past the end gives 0 on both machines, so
it makes no difference.

Expected outputs. Twenty tasks (echo-twice ... dedup) are defined in PQT by a known BF solution:
the expected output is whatever that program prints on the drawn input under PQT's interpreter.
Their inputs are drawn from [0, 256) (or [0, 20), [0, 10)), so they can hold a 0 before their end,
and then the reference program does things no one-line description says. Each ``_out_*`` function
below is a model of that behaviour in Python, and it was checked against those reference programs
(run outside this repository) on every input of PQT's seed and of many other seeds. With the ends
of input stated in the descriptions, three tasks keep such cases beyond their description:
middle-char (0.7% of tests), echo-half (4%) and echo-alternating (3%; see the functions), none of
them in PQT's own sets. One deliberate departure: PQT's remove-char generator plants a 1 and
removes only that one, so an input that also draws another 1 (about 1% of tests) expects that 1
kept; we remove every 1, as PQT's docstring says the task is. PQT's own 16 tests have no second 1,
so they match. On some long dedup inputs (about 0.1%) PQT's reference program needs 5000 steps or
more and PQT's generator raises; we keep those tests.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field
from typing import Callable

from bfcore.interp.program import Config

MAX_STEPS = 5000  # MAX_EXECUTION_STEPS in single_task/code_tasks.py: a run fails on reaching it
# how a program runs on PQT's tests here, in search and in :func:`solves` (see its note)
PQT_CONFIG = Config(max_steps=MAX_STEPS - 1, eof="zero", bounds="error")
PQT_SEED = 6849275409234  # the seed of every PQT test generator (random.Random(...) in code_tasks)
# Reward constants of MultiIOTaskManager._score_code, as the paper runs set them
# (defaults.py task_manager_config; run_eval_tasks.py: code length 100, no code simplification,
# so min_code_length == max_code_length and every correct test earns the whole length bonus).
CORRECT_BONUS = 2.0
CODE_LENGTH_BONUS = 1.0
FAILURE_REWARD = -2.0


class _Py2Random:
    """Python 2.7's ``randrange`` and ``shuffle`` on Python 3's generator. Both Pythons seed an int
    the same way and share ``random()``; Python 2 turned it into integers by ``int(random() * w)``
    where Python 3 uses ``getrandbits``."""

    def __init__(self, seed: int):
        self._random = random.Random(seed).random

    def randrange(self, start: int, stop: int | None = None) -> int:
        if stop is None:
            start, stop = 0, start
        width = stop - start
        if not 0 < width < 1 << 53:  # Python 2 only used the float path below 2**53
            raise ValueError(f"randrange({start}, {stop}) is outside what PQT draws")
        return start + int(self._random() * width)

    def shuffle(self, x: list) -> None:
        for i in range(len(x) - 1, 0, -1):
            j = int(self._random() * (i + 1))
            x[i], x[j] = x[j], x[i]


# ---- reading inputs the way a BF program sees them --------------------------------------------
def _at(v: list[int], i: int) -> int:
    """The i-th value a program reads: past the end, ',' gives 0."""
    return v[i] if i < len(v) else 0


def _head(v: list[int], start: int = 0) -> list[int]:
    """The values from index ``start`` up to (not including) the next 0."""
    out = []
    while _at(v, start):
        out.append(v[start])
        start += 1
    return out


def _next_zero(v: list[int], start: int) -> int:
    while _at(v, start):
        start += 1
    return start


# ---- the draws (code_tasks.py: each task's _make_io_examples / input generator) ----------------
def _draw_values(min_len: int, max_len: int, base: int) -> Callable[[_Py2Random], list[int]]:
    """code_tasks.default_input_fn_factory: a length, then that many values in [0, base)."""
    def draw(rand: _Py2Random) -> list[int]:
        n = rand.randrange(min_len, max_len + 1)
        return [rand.randrange(base) for _ in range(n)]
    return draw


def _draw_reverse(rand: _Py2Random) -> list[int]:
    n = rand.randrange(1, 7)
    return [rand.randrange(1, 256) for _ in range(n)]


def _draw_remove_char(rand: _Py2Random) -> list[int]:
    n = rand.randrange(1, 7)
    pos = rand.randrange(0, n)  # drawn before the values, as PQT does
    v = [rand.randrange(1, 256) for _ in range(n)]
    v[pos] = 1
    return v


def _draw_count_char(rand: _Py2Random) -> list[int]:
    # The count is drawn from 0..6 independently of the length (2..6); a count above the length
    # makes the input that many 1s. The other letters are 2..26 (not 0 = end, not 1).
    n = rand.randrange(2, 7)
    ones = rand.randrange(0, 7)
    v = [1] * ones + [0] * (n - ones)
    rand.shuffle(v)
    return [x if x else 2 + rand.randrange(25) for x in v]


def _draw_add(rand: _Py2Random) -> list[int]:
    return [rand.randrange(256), rand.randrange(256)]


def _draw_second_seq(rand: _Py2Random) -> list[int]:
    a = [rand.randrange(256) for _ in range(rand.randrange(1, 6))]
    b = [rand.randrange(256) for _ in range(rand.randrange(1, 6))]
    return a + [0] + b + [0]


def _draw_nth_seq(rand: _Py2Random) -> list[int]:
    k = rand.randrange(1, 7)
    n = rand.randrange(1, k + 1)
    seqs = []
    for _ in range(k):
        seqs += [rand.randrange(256) for _ in range(rand.randrange(0, 4))] + [0]
    return [n] + seqs


def _draw_substring(rand: _Py2Random) -> list[int]:
    n = rand.randrange(2, 16)
    i, j = sorted([rand.randrange(n), rand.randrange(n)])
    return [i, j - i] + [rand.randrange(256) for _ in range(n)] + [0]


def _draw_divide_2(rand: _Py2Random) -> list[int]:
    return [rand.randrange(256)]


def _draw_dedup(rand: _Py2Random) -> list[int]:
    import numpy as np  # only this draw needs it; keeps importing the module light

    picker = np.random.RandomState(rand.randrange(2147483647))
    k = rand.randrange(1, 5)
    values = picker.choice(6, k, replace=False) + 1  # k distinct values from 1..6
    # One repeat count per value, drawn in value order, as PQT's list comprehension does.
    return [int(x) for x in values for _ in range(rand.randrange(1, 5))] + [0]


# ---- expected outputs -------------------------------------------------------------------------
def _bool_logic(x: int, y: int, z: int) -> int:
    # BooleanLogicTask's truth function: X(~Z) + (~Y)(~Z) + (~X)YZ
    return int(bool((x and not z) or (not y and not z) or (not x and y and z)))


def _out_riffle(v: list[int]) -> list[int]:
    s, out = _head(v), []
    lo, hi = 0, len(s) - 1
    while lo <= hi:
        # Last, then first; when one value is left the "first" slot prints the 0 it was cleared to.
        out += [s[hi], s[lo] if lo < hi else 0]
        lo, hi = lo + 1, hi - 1
    return out


def _out_unriffle(v: list[int]) -> list[int]:
    # Values alternate kept (1st, 3rd, ...) and printed (2nd, 4th, ...). Only a 0 where a kept
    # value belongs ends the input; a 0 where a printed one belongs is read and skipped.
    if not _at(v, 0):
        return [0]
    kept, printed, i = [v[0]], [], 1
    while True:
        x, y = _at(v, i), _at(v, i + 1)
        i += 2
        if x:
            printed.append(x)
        if not y:
            return printed + kept[::-1] + [0]
        kept.append(y)


def _out_middle_char(v: list[int]) -> list[int]:
    # Trimming the two ends clears each by reading input: normally past the end (0), but after a 0
    # inside the input it reads the values that follow it, and a nonzero one stays in place of
    # the value trimmed (the last end is read first).
    seg = deque(_head(v))
    i = len(seg) + 1
    while len(seg) >= 2:
        last, first = _at(v, i), _at(v, i + 1)
        i += 2
        seg.pop()
        seg.popleft()
        if first:
            seg.appendleft(first)
        if last:
            seg.append(last)
    return [seg[0] if len(seg) == 1 else 0]


def _out_echo_alternating(v: list[int]) -> list[int]:
    # The 1st, 3rd, ... values print as read, until a 0 in one of those places; the 2nd, 4th, ...
    # are kept in a row of cells and printed after. That row is printed from the last 0 in it
    # before its final cell, stopping at the next 0, so a 0 among them drops part of the row.
    odd, row = [], [0]
    while _at(v, 2 * len(odd)):
        row.append(_at(v, 2 * len(odd) + 1))
        odd.append(v[2 * len(odd)])
    row.append(0)
    z = max(len(row) - 3, 0)
    while row[z]:
        z -= 1
    return odd + _head(row, z + 1) + [0]


def _out_echo_half(v: list[int]) -> list[int]:
    # Each printed value is cleared by reading input, which after a 0 inside the input reads the
    # values that follow it; the next value printed is the one after the first 0 in the row.
    s = _head(v)
    row = [0] + s + [0]
    i = len(s) + 1
    out = []
    for _ in range(len(s) // 2):
        row += [0, 0]  # the tape is zeros to the right
        z = row.index(0)
        out.append(row[z + 1])
        row[z], row[z + 1] = 1, _at(v, i)
        i += 1
    return out + [0]


def _out_shift_left(v: list[int]) -> list[int]:
    j = _next_zero(v, 1)  # the 1st value is never tested for 0
    return v[1:j] + [_at(v, 0), _at(v, j + 1)]


def _out_remove_last(v: list[int], keep_unchecked: int) -> list[int]:
    # The first ``keep_unchecked`` values are read without a test for 0.
    j = _next_zero(v, keep_unchecked)
    return [_at(v, i) for i in range(j - keep_unchecked)] + [0]


def _out_nth_seq(v: list[int]) -> list[int]:
    i = 1
    for _ in range((_at(v, 0) - 1) % 256):  # n is a cell: n = 0 would skip 255 sequences
        i = _next_zero(v, i) + 1
    return _head(v, i) + [0]


def _out_dedup(v: list[int]) -> list[int]:
    s = _head(v)
    return [x for i, x in enumerate(s) if i == 0 or x != s[i - 1]] + [0]


def _out_shift_right(v: list[int]) -> list[int]:
    s = _head(v)
    return (s[-1:] + s[:-1] + [0]) if s else [0, 0]


_OUT: dict[str, Callable[[list[int]], list[int]]] = {
    "reverse": lambda v: v[::-1] + [0],
    "remove-char": lambda v: [x for x in v if x != 1] + [0],
    "count-char": lambda v: [v.count(1)],
    "add": lambda v: [(_at(v, 0) + _at(v, 1)) % 256, 0],
    "bool-logic": lambda v: [_bool_logic(*v)],
    "print-hello": lambda v: [8, 5, 12, 12, 15],
    "echo-twice": lambda v: (_head(v) + [0]) * 2,
    "echo-thrice": lambda v: (_head(v) + [0]) * 3,
    "copy-reverse": lambda v: _head(v) + [0] + _head(v)[::-1] + [0] + _head(v) + [0],
    "zero-cascade": lambda v: [y for k, x in enumerate(_head(v)) for y in [x] + [0] * k],
    "cascade": lambda v: [x for k, x in enumerate(_head(v)) for _ in range(k + 1)] + [0],
    "shift-left": _out_shift_left,
    "shift-right": _out_shift_right,
    "riffle": _out_riffle,
    "unriffle": _out_unriffle,
    "middle-char": _out_middle_char,
    "remove-last": lambda v: _out_remove_last(v, 1),
    "remove-last-two": lambda v: _out_remove_last(v, 2),
    "echo-alternating": _out_echo_alternating,
    "echo-half": _out_echo_half,
    "length": lambda v: [len(_head(v)) % 256],
    "echo-second-seq": lambda v: _head(v, _next_zero(v, 0) + 1) + [0],
    "echo-nth-seq": _out_nth_seq,
    "substring": lambda v: [_at(v, 2 + _at(v, 0) + k) for k in range(_at(v, 1))],
    "divide-2": lambda v: [_at(v, 0) // 2],
    "dedup": _out_dedup,
}


@dataclass(frozen=True)
class PQTTask:
    name: str
    description: str  # what a person would ask for, in one line
    base: int         # PQT's cell base for the task
    pqt_class: str    # the class in code_tasks.py that defines it
    paper_n: int = 16  # how many tests PQT's paper runs score a program on
    fixed: tuple[tuple[int, ...], ...] = ()  # PQT's hard-coded inputs, before the drawn ones
    draw: Callable[[_Py2Random], list[int]] | None = field(default=None, repr=False)

    def make_tests(self, seed: int, n: int = 16) -> list[tuple[bytes, bytes]]:
        """``n`` (input, expected output) pairs drawn as PQT draws them, the same for the same
        seed; fixed cases come first and count towards ``n`` (but are never cut), and a task with
        no random cases returns its fixed ones. Each value in [0, base) is one byte."""
        inputs = [list(v) for v in self.fixed]
        if self.draw is not None:
            rand = _Py2Random(seed)
            inputs += [self.draw(rand) for _ in range(max(n - len(self.fixed), 0))]
        out = _OUT[self.name]
        return [(bytes(v), bytes(out(v))) for v in inputs]

    def pqt_tests(self) -> list[tuple[bytes, bytes]]:
        """The test set PQT's paper runs used for this task."""
        return self.make_tests(PQT_SEED, self.paper_n)


_END0 = "; the input ends at its first 0"
_TASKS = [
    PQTTask("reverse", "print the input backwards, then a 0", 256, "ReverseTask",
            draw=_draw_reverse),
    PQTTask("remove-char", "print the input with every value 1 removed, then a 0", 256,
            "RemoveCharTask", draw=_draw_remove_char),
    PQTTask("count-char", "print how many times the value 1 occurs in the input", 27,
            "CountCharTaskV2", fixed=((10, 0), (1, 0), (1, 1, 0), (9, 4, 19, 11, 5, 0),
                                      (24, 11, 26, 1, 15, 0)), draw=_draw_count_char),
    PQTTask("add", "read two numbers and print their sum mod 256, then a 0", 256, "AddTask",
            paper_n=9, fixed=((4, 0), (0, 5), (1, 2), (67, 21), (55, 56), (128, 33),
                              (221, 251), (130, 127), (255, 1)), draw=_draw_add),
    PQTTask("bool-logic", "read three bits x, y, z (each 0 or 1) and print 1 if (x and not z) or "
            "(not y and not z) or (not x and y and z), else 0", 2, "BooleanLogicTask",
            paper_n=8, fixed=tuple((x, y, z) for x in (0, 1) for y in (0, 1) for z in (0, 1))),
    PQTTask("print-hello", "print hello as letter numbers (a=1, b=2, ...): the values "
            "8 5 12 12 15", 27, "PrintTask", paper_n=1, fixed=((),)),
    PQTTask("echo-twice", "print the input twice, each copy followed by a 0" + _END0, 256,
            "EchoTwiceTask", draw=_draw_values(1, 6, 256)),
    PQTTask("echo-thrice", "print the input three times, each copy followed by a 0" + _END0, 256,
            "EchoThriceTask", draw=_draw_values(1, 6, 256)),
    PQTTask("copy-reverse", "print the input, then the input backwards, then the input again, "
            "each followed by a 0" + _END0, 256, "CopyReverseTask", draw=_draw_values(1, 6, 256)),
    PQTTask("zero-cascade", "print each input value followed by as many 0s as there are values "
            "before it" + _END0, 256, "EchoZeroCascadeTask", draw=_draw_values(1, 6, 256)),
    PQTTask("cascade", "print the k-th input value k times (the 1st once, the 2nd twice, ...), "
            "then a 0" + _END0, 256, "EchoCascadeTask", draw=_draw_values(1, 6, 20)),
    PQTTask("shift-left", "rotate the input left by one (its 1st value moves to the end; the "
            "input ends at the first 0 after its 1st value), then print the next value read after "
            "that 0 (a 0 once the input is used up)", 256, "ShiftLeftTask",
            draw=_draw_values(1, 6, 256)),
    PQTTask("shift-right", "rotate the input right by one (its last value moves to the front), "
            "then print a 0" + _END0, 256, "ShiftRightTask", draw=_draw_values(1, 6, 256)),
    PQTTask("riffle", "print the last input value, the first, the second-to-last, the second, "
            "and so on, with a 0 after the middle value when the length is odd" + _END0, 256,
            "RiffleTask", draw=_draw_values(1, 8, 20)),
    PQTTask("unriffle", "print the input's 2nd, 4th, 6th, ... values, then its 1st, 3rd, 5th, ... "
            "values backwards, then a 0; the input ends at a 0 in an odd place (1st, 3rd, ...), "
            "and a 0 in an even place is not printed", 256, "UnriffleTask",
            draw=_draw_values(1, 8, 20)),
    PQTTask("middle-char", "print the middle value of the input if its length is odd, or a 0 if "
            "it is even" + _END0, 256, "MiddleCharTask", draw=_draw_values(1, 10, 256)),
    PQTTask("remove-last", "print the input without its last value, then a 0; the input ends "
            "at the first 0 after its 1st value", 256, "RemoveLastTask",
            draw=_draw_values(1, 6, 20)),
    PQTTask("remove-last-two", "print the input without its last two values, then a 0; the "
            "input ends at the first 0 after its 2nd value", 256, "RemoveLastTwoTask",
            draw=_draw_values(1, 6, 10)),
    PQTTask("echo-alternating", "print the input's 1st, 3rd, 5th, ... values, then its 2nd, 4th, "
            "... values, then a 0; the input ends at a 0 in an odd place (1st, 3rd, ...)", 256,
            "EchoAlternatingTask", draw=_draw_values(1, 8, 20)),
    PQTTask("echo-half", "print the first half of the input (rounded down), then a 0" + _END0,
            256, "EchoHalfTask", draw=_draw_values(1, 9, 20)),
    PQTTask("length", "print how many values the input has before its first 0", 256, "LengthTask",
            draw=_draw_values(1, 14, 256)),
    PQTTask("echo-second-seq", "the input is two sequences, each ending with a 0: print the "
            "second one and its 0", 256, "EchoSecondSequenceTask", draw=_draw_second_seq),
    PQTTask("echo-nth-seq", "the 1st value is n and after it come sequences, each ending with a "
            "0: print the n-th sequence (counting from 1) and its 0", 256, "EchoNthSequenceTask",
            draw=_draw_nth_seq),
    PQTTask("substring", "the 1st value is i and the 2nd is n: print n values of the rest of the "
            "input, starting at its value number i (counting from 0)", 256, "SubstringTask",
            draw=_draw_substring),
    PQTTask("divide-2", "read one number and print half of it, rounded down", 256, "Divide2Task",
            draw=_draw_divide_2),
    PQTTask("dedup", "print the input with each run of repeated values replaced by one of them, "
            "then a 0" + _END0, 256, "DedupTask", draw=_draw_dedup),
]
PQT_TASKS: dict[str, PQTTask] = {t.name: t for t in _TASKS}  # in the paper's order


def fits_bytes(task: PQTTask) -> bool:
    """Whether our 8-bit machine runs every program on this task as PQT's does (cell base 256).
    For count-char and print-hello (27) and bool-logic (2) the tests still fit in bytes, and a
    program that never carries a cell past base-1 or below 0 behaves the same, but one that relies
    on the wrap (``-`` from 0 to make 26, ``+`` to flip a bit back to 0) does not work here, and
    ours can print values >= base, which PQT's machine never does."""
    return task.base == 256


def _distance_reward(out: bytes, want: bytes, base: int) -> float:
    # common/reward.py absolute_distance_reward with absolute_distance and abs_diff: the sum of
    # |a - b| over shared positions plus ``base`` per missing or extra value, turned into
    # (unit - dist) / unit with unit = base * len(want) (base when want is empty). 1 when equal,
    # 0 for no output, negative for long wrong output.
    dist = sum(abs(a - b) for a, b in zip(out, want)) + base * abs(len(out) - len(want))
    unit = float(base * len(want)) or float(base)
    return (unit - dist) / unit


def pqt_reward(outputs: list[bytes], tests: list[tuple[bytes, bytes]], base: int,
               statuses: list[str]) -> float:
    """PQT's reward for one program from its runs on ``tests`` (single_task/code_tasks.py,
    MultiIOTaskManager._score_code and _compute_best_reward, with the paper's settings):

    * if any run failed, the whole reward is FAILURE_REWARD (-2). PQT's failures are the step limit
      and the 0.1 s timeout; any status here other than "ok" counts, because ours also fails on
      unmatched brackets and on the pointer leaving the tape, which PQT's machine runs through;
    * otherwise, per test, the distance reward (see ``_distance_reward``) plus, for an exact
      output, CORRECT_BONUS (2) and CODE_LENGTH_BONUS (1: paper runs do no code simplification);
    * the total is divided by the best possible total, 4 per test, so exact outputs give 1.0 and
      a failed run gives -0.5 / len(tests).
    """
    if not len(outputs) == len(tests) == len(statuses):
        raise ValueError(f"pqt_reward: {len(outputs)} outputs, {len(tests)} tests, "
                         f"{len(statuses)} statuses")
    best = (1.0 + CORRECT_BONUS + CODE_LENGTH_BONUS) * len(tests)
    if not best:
        raise ValueError("pqt_reward: no tests")
    if any(s != "ok" for s in statuses):
        return FAILURE_REWARD / best
    total = 0.0
    for out, (_, want) in zip(outputs, tests):
        out, want = bytes(out), bytes(want)
        total += _distance_reward(out, want, base)
        if out == want:
            total += CORRECT_BONUS + CODE_LENGTH_BONUS
    return total / best


def solves(program: str, task: PQTTask, tests: list[tuple[bytes, bytes]] | None = None) -> bool:
    """Whether ``program`` prints every test's expected output exactly on our interpreter (tests
    default to PQT's own set for the task). Settings as close to PQT's as ours has: eof="zero" is
    PQT's; 4999 steps at most because PQT fails a run on reaching 5000; bounds="error" because we
    cannot clamp like PQT, and an error can only turn a pass into a fail, so a program passing
    here also passes under PQT on base-256 tasks (it never moved left of cell 0, so the clamp
    never mattered), while bounds="wrap" could pass a program PQT would fail."""
    from bfcore.interp.fast import run_many

    if tests is None:
        tests = task.pqt_tests()
    results = run_many([program] * len(tests), [inp for inp, _ in tests], config=PQT_CONFIG)
    return all(r.ok and r.output == want for r, (_, want) in zip(results, tests))
