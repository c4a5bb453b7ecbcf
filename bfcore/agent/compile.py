"""Turning the policy's print tokens into Brainfuck text.

Every token prints one byte: from the current cell value it emits the shorter of the ``+`` or ``-``
run that reaches the byte (cells wrap at 256), then ``.``. One cell is enough, so every program is
valid BF by construction and runs unchanged in any interpreter with 8-bit wrapping cells.
"""

from __future__ import annotations


def byte_run(cell: int, byte: int) -> str:
    up = (byte - cell) % 256
    return "+" * up if up <= 128 else "-" * (256 - up)


def compile_bytes(data: bytes | list[int]) -> tuple[str, list[tuple[int, int]]]:
    """The program printing ``data`` and the source span of each byte's instructions."""
    parts, spans, cell, pos = [], [], 0, 0
    for b in data:
        chunk = byte_run(cell, b) + "."
        parts.append(chunk)
        spans.append((pos, pos + len(chunk)))
        pos += len(chunk)
        cell = b
    return "".join(parts), spans
