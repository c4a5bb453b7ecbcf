"""Errors of the Brainfuck interpreter. They are values: runs return them in results, and
``str(err)`` is always one line that names where the problem is.

Every error carries ``kind`` ('syntax' | 'tape' | 'step_limit' | 'output_limit'), ``line`` and
``col`` (1-based), ``pos`` (index into the source) and ``step`` (1-based number of the instruction
that failed or was about to run; None for syntax errors). Two errors compare equal when all of
these and the message match, so results of the fast path and the Machine can be compared directly.
"""

from __future__ import annotations


class InputError(ValueError):
    """Bad input a user can fix (a file, a config value, a prompt): ``str(err)`` is one line that
    names the file or field. The CLI prints it as one line and exits 2, whatever module raised it."""

    def __init__(self, message: str = "") -> None:
        super().__init__(" ".join(str(message).split()))


class BFError(Exception):
    kind = "error"

    def __init__(self, message: str, *, line: int | None = None, col: int | None = None,
                 pos: int | None = None, step: int | None = None, kind: str | None = None):
        self.message = " ".join(str(message).split())  # one line, always
        self.line, self.col, self.pos, self.step = line, col, pos, step
        if kind is not None:
            self.kind = kind
        super().__init__(str(self))

    def _where(self) -> str:
        if self.line is None:
            return ""
        return f"{self.line}:{self.col}"

    def __str__(self) -> str:
        where = self._where()
        if self.step is not None:
            return f"step {self.step} ({where}): {self.message}" if where else f"step {self.step}: {self.message}"
        return f"{where}: {self.message}" if where else self.message

    def _key(self) -> tuple:
        return (type(self).__name__, self.kind, self.message, self.line, self.col, self.pos, self.step)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BFError):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"

    def __reduce__(self):
        # Exceptions pickle through args; keyword-only fields need spelling out.
        return (_rebuild, (type(self), self.message, self.line, self.col, self.pos, self.step, self.kind))


def _rebuild(cls, message, line, col, pos, step, kind):
    return cls(message, line=line, col=col, pos=pos, step=step, kind=kind)


class BFSyntaxError(BFError):
    """An unmatched '[' or ']'; str() is like "3:14: unmatched '['"."""

    kind = "syntax"


class TapeError(BFError):
    """The pointer left the tape (bounds='error'); str() is like
    "step 120 (1:7): pointer moved left of cell 0"."""

    kind = "tape"


class LimitError(BFError):
    """A budget ran out: kind is 'step_limit' or 'output_limit'."""

    kind = "step_limit"


__all__ = ["InputError", "BFError", "BFSyntaxError", "TapeError", "LimitError"]
