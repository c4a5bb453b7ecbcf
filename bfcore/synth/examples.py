"""Examples a user gives on the command line or in a file, binary-safe.

On the command line an example is text with C-style escapes (``\\n``, ``\\t``, ``\\0``, ``\\xNN``,
``\\\\``); other characters are their UTF-8 bytes (bytes the shell passed that are not UTF-8 come
through as they were). A tests file holds one JSON object a line, ``{"input": ..., "output": ...}``,
whose strings map each character to one byte (U+0000..U+00FF), so any byte can be written.
"""

from __future__ import annotations

import json
import re

from bfcore.errors import InputError

_ESC = re.compile(r"\\(x[0-9a-fA-F]{2}|[ntr0\\]|.|$)", re.S)
_SIMPLE = {"n": b"\n", "t": b"\t", "r": b"\r", "0": b"\0", "\\": b"\\"}


class ExampleError(InputError):
    """A malformed example; the message says which one and why, on one line."""


def decode_escapes(text: str, where: str = "example") -> bytes:
    out, pos = bytearray(), 0
    for m in _ESC.finditer(text):
        out += text[pos:m.start()].encode("utf-8", "surrogateescape")
        g = m.group(1)
        if g.startswith("x") and len(g) == 3:
            out.append(int(g[1:], 16))
        elif g in _SIMPLE:
            out += _SIMPLE[g]
        else:
            shown = "\\" + g if g else "\\ at the end"
            raise ExampleError(f"{where}: unknown escape {shown!r} at column {m.start() + 1} "
                               "(use \\n, \\t, \\r, \\0, \\xNN or \\\\)")
        pos = m.end()
    try:
        return bytes(out + text[pos:].encode("utf-8", "surrogateescape"))
    except UnicodeEncodeError:
        raise ExampleError(f"{where}: holds a character that is not text (a lone surrogate)") from None


def _byte_string(value, where: str, name: str) -> bytes:
    if not isinstance(value, str):
        raise ExampleError(f"{where}: {name!r} must be a string, not {type(value).__name__}")
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError as exc:
        raise ExampleError(f"{where}: {name!r} has character {value[exc.start]!r} above U+00FF "
                           "(each character is one byte: write bytes as \\u00XX)") from None


def load_tests(path) -> tuple[tuple[bytes, bytes], ...]:
    """(input, output) pairs from a JSONL file; an error names the file and the line."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as exc:
        raise ExampleError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise ExampleError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    tests = []
    for n, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = f"{path}:{n}"
        try:
            obj = json.loads(line)
        except ValueError as exc:
            raise ExampleError(f"{where}: not JSON ({exc.msg})") from None
        if not isinstance(obj, dict) or "output" not in obj:
            raise ExampleError(f'{where}: expected {{"input": ..., "output": ...}}')
        tests.append((_byte_string(obj.get("input", ""), where, "input"),
                      _byte_string(obj["output"], where, "output")))
    if not tests:
        raise ExampleError(f"{path}: no tests in the file")
    return tuple(tests)


def check_reachable(tests, max_output: int | None = None) -> None:
    """Refuse tests no program of the agent can meet (outputs longer than the run's cap, by
    default the scorer's)."""
    if max_output is None:
        from bfcore.synth.score import CONFIG

        max_output = CONFIG.max_output
    for i, (_, out) in enumerate(tests, 1):
        if len(out) > max_output:
            raise ExampleError(f"test {i}: expects {len(out)} output bytes; the search caps "
                               f"output at {max_output}")


def show(b: bytes, limit: int | None = 40) -> str:
    """A byte string as a one-line repr-like text: printable ASCII as is, the rest escaped as
    :func:`decode_escapes` reads them; cut at ``limit`` characters (None: never)."""
    s = "".join(chr(c) if 32 <= c < 127 and c != 92 else {10: "\\n", 9: "\\t", 92: "\\\\"}.get(c, f"\\x{c:02x}")
                for c in b)
    return s if limit is None or len(s) <= limit else s[:limit] + "..."
