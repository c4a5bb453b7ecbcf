"""Brainfuck programs: run configuration, parsing (bracket matching with line:column errors) and
the result type shared by the fast path and the stepping Machine."""

from __future__ import annotations

import bisect
from array import array
from dataclasses import dataclass
from typing import NamedTuple

from bfcore.errors import BFError, BFSyntaxError, LimitError, TapeError

INSTRUCTIONS = frozenset("+-<>.,[]")
EOF_MODES = ("zero", "max", "keep")
BOUNDS_MODES = ("error", "wrap")
# Upper bounds, so a typo like --tape 100000000000 is refused in one line instead of failing deep
# in the run: the tape is one bytearray (1 GiB at most), and the fast path counts steps and
# output bytes in int64 (bfcore.interp.fast.UNLIMITED is this same number).
MAX_TAPE = 1 << 30
CELL_BITS = (8, 16, 32)
MAX_COUNT = 1 << 62


@dataclass(frozen=True)
class Config:
    """How a program runs. ``max_steps`` counts raw BF instructions; ``max_output`` bytes."""

    tape_len: int = 30000
    eof: str = "zero"      # what ',' stores at end of input: 0, all ones (255), or leaves the cell
    bounds: str = "error"  # moving off either end of the tape: an error, or wrap around
    max_steps: int = 10_000_000
    max_output: int = 1 << 20
    cell_bits: int = 8     # 8, 16 or 32: cells wrap at 2**cell_bits; '.' writes the low byte

    @property
    def cell_mask(self) -> int:
        return (1 << self.cell_bits) - 1

    def __post_init__(self) -> None:
        if self.cell_bits not in CELL_BITS:
            raise ValueError(f"cell_bits must be 8, 16 or 32, not {self.cell_bits!r}")
        if not isinstance(self.tape_len, int) or not 1 <= self.tape_len <= MAX_TAPE:
            raise ValueError(f"tape_len must be an integer from 1 to {MAX_TAPE:,}, not {self.tape_len!r}")
        if self.eof not in EOF_MODES:
            raise ValueError(f"eof must be one of {', '.join(EOF_MODES)}, not {self.eof!r}")
        if self.bounds not in BOUNDS_MODES:
            raise ValueError(f"bounds must be one of {', '.join(BOUNDS_MODES)}, not {self.bounds!r}")
        for name in ("max_steps", "max_output"):
            value = getattr(self, name)
            if not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
                raise ValueError(f"{name} must be an integer from 0 to {MAX_COUNT:,}, not {value!r}")


class RunResult(NamedTuple):
    """The outcome of a whole run. ``output`` is the partial output when the run stopped early.
    (A NamedTuple: immutable, and cheap to build by the thousand when scoring.)"""

    output: bytes
    steps: int
    status: str  # "ok" | "error" | "step_limit" | "output_limit"
    error: BFError | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class Program:
    """A parsed program: the instructions alone (``code``), where each sits in the source
    (``positions``) and the index of each bracket's partner (``match``)."""

    __slots__ = ("source", "code", "positions", "match", "_ir")

    def __init__(self, source: str, code: str, positions, match):
        self.source = source
        self.code = code
        self.positions = positions
        self.match = match
        self._ir = None  # the fast path's compiled form, built on first use

    def __len__(self) -> int:
        return len(self.code)

    def __repr__(self) -> str:
        return f"Program({len(self.code)} instructions)"

    def line_col(self, pos: int) -> tuple[int, int]:
        """1-based line and column of source index ``pos``."""
        return line_col(self.source, pos)

    def source_pos(self, index: int) -> int:
        """Source index of instruction ``index``; len(source) for the end of the program."""
        return self.positions[index] if index < len(self.positions) else len(self.source)

    def index_at(self, pos: int) -> int:
        """Index of the first instruction at or after source index ``pos`` (len(code) if none)."""
        return bisect.bisect_left(self.positions, pos)

    def tape_error(self, index: int, step: int, left: bool, tape_len: int) -> TapeError:
        """The TapeError for instruction ``index`` failing as step number ``step``."""
        return tape_error(self.source, self.source_pos(index), step, left, tape_len)

    def limit_error(self, kind: str, index: int, step: int, limit: int) -> LimitError:
        """The LimitError for a run stopped before instruction ``index`` (step number ``step``)."""
        return limit_error(self.source, kind, self.source_pos(index), step, limit)


def new_tape(config: Config):
    """A tape of zero cells: a bytearray, or an array of 16- or 32-bit cells. A tape that does
    not fit in memory raises MemoryError naming its size."""
    try:
        if config.cell_bits == 8:
            return bytearray(config.tape_len)
        return array("H" if config.cell_bits == 16 else "I", [0]) * config.tape_len
    except MemoryError:
        size = config.tape_len * config.cell_bits // 8
        raise MemoryError(f"no memory for a tape of {config.tape_len:,} {config.cell_bits}-bit "
                          f"cells ({size / 2**30:.1f} GiB); try a smaller --tape") from None


def line_col(source: str, pos: int) -> tuple[int, int]:
    """1-based line and column of source index ``pos``."""
    return source.count("\n", 0, pos) + 1, pos - source.rfind("\n", 0, pos)


def tape_error(source: str, pos: int, step: int, left: bool, tape_len: int) -> TapeError:
    where = "left of cell 0" if left else f"right of the last cell ({tape_len - 1})"
    line, col = line_col(source, pos)
    return TapeError(f"pointer moved {where}", line=line, col=col, pos=pos, step=step)


def limit_error(source: str, kind: str, pos: int, step: int, limit: int) -> LimitError:
    if kind == "step_limit":
        message = f"step limit of {limit} steps reached"
    else:
        message = f"output limit of {limit} bytes reached"
    line, col = line_col(source, pos)
    return LimitError(message, line=line, col=col, pos=pos, step=step, kind=kind)


def _as_text(source: str | bytes) -> str:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source).decode("utf-8", errors="replace")
    return source


def _scan(source: str) -> tuple[str, array, array, list[int]]:
    """Instructions, their positions, bracket partners, and indices of unmatched brackets.
    Positions and partners are 32-bit arrays (lists of Python ints took 50 bytes an
    instruction, 260 MB for a 5 MB program)."""
    positions = array("i", (i for i, ch in enumerate(source) if ch in INSTRUCTIONS))
    code = "".join(source[i] for i in positions)
    match = array("i", [-1]) * len(code)
    stack: list[int] = []
    unmatched: list[int] = []
    for i, ch in enumerate(code):
        if ch == "[":
            stack.append(i)
        elif ch == "]":
            if stack:
                j = stack.pop()
                match[i], match[j] = j, i
            else:
                unmatched.append(i)
    unmatched.extend(stack)
    unmatched.sort()
    return code, positions, match, unmatched


def _syntax_errors(source: str, code: str, positions: list[int], unmatched: list[int]):
    errors = []
    for index in unmatched:
        pos = positions[index]
        line, col = line_col(source, pos)
        errors.append(BFSyntaxError(f"unmatched '{code[index]}'", line=line, col=col, pos=pos))
    return errors


def find_errors(source: str | bytes) -> list[BFSyntaxError]:
    """Every unmatched bracket, in source order (empty for a well-formed program)."""
    source = _as_text(source)
    code, positions, _, unmatched = _scan(source)
    return _syntax_errors(source, code, positions, unmatched)


def parse(source: str | bytes | Program) -> Program:
    """Parse a program; raises BFSyntaxError for the first unmatched bracket in the source."""
    if isinstance(source, Program):
        return source
    source = _as_text(source)
    code, positions, match, unmatched = _scan(source)
    if unmatched:
        raise _syntax_errors(source, code, positions, unmatched[:1])[0]
    return Program(source, code, positions, match)


__all__ = ["Config", "Program", "RunResult", "parse", "find_errors", "INSTRUCTIONS"]
