"""Benchmark workloads of mandelbrot.b's class, written by us: arithmetic in many small loops that
no rewrite collapses.

    .venv/bin/python bench/workloads.py [--check]

writes bench/programs/carpet.b (a Sierpinski carpet, each cell decided by repeated division by
three) and bench/programs/primes.b (the primes below 256 by trial division, several rounds), with
``--check`` instead comparing the committed files with what this script writes.

The programs come from a small macro writer: every variable has a fixed cell, the writer tracks
the pointer, and each operation (division, tests, printing a number) is spelled out as BF loops.
They are benchmark inputs only: nothing here enters the agent's training data.
"""

from __future__ import annotations

import argparse
import sys
from contextlib import contextmanager
from pathlib import Path

OUT_DIR = Path(__file__).resolve().parent / "programs"


class Writer:
    """Writes BF for operations on named cells. Temporaries are taken and given back in LIFO
    order, so every loop body leaves the pointer where it found it."""

    def __init__(self) -> None:
        self.code: list[str] = []
        self.cells: dict[str, int] = {}
        self.free: list[int] = []
        self.top = 0
        self.ptr = 0
        self.serial = 0  # temporaries get unique names, since operations nest

    # cells
    def var(self, name: str) -> str:
        self.cells[name] = self.free.pop() if self.free else self._grow()
        return name

    def block(self, *names: str) -> tuple[str, ...]:
        """Adjacent cells, in order (fresh ones: the free list is not contiguous)."""
        self.serial += 1
        names = tuple(f"{name}.{self.serial}" for name in names)
        for name in names:
            self.cells[name] = self._grow()
        return names

    def _grow(self) -> int:
        self.top += 1
        return self.top - 1

    def drop(self, *names: str) -> None:
        for name in names:
            self.free.append(self.cells.pop(name))

    @contextmanager
    def temps(self, *names: str):
        self.serial += 1
        names = tuple(self.var(f"{name}.{self.serial}") for name in names)
        yield names
        for name in reversed(names):
            self.clear(name)
            self.drop(name)

    # moves and arithmetic
    def at(self, name: str) -> None:
        d = self.cells[name] - self.ptr
        self.code.append(">" * d if d > 0 else "<" * -d)
        self.ptr = self.cells[name]

    def add(self, name: str, k: int) -> None:
        self.at(name)
        k %= 256
        self.code.append("+" * k if k <= 128 else "-" * (256 - k))

    def clear(self, name: str) -> None:
        self.at(name)
        self.code.append("[-]")

    def set(self, name: str, k: int) -> None:
        self.clear(name)
        self.add(name, k)

    def out(self, name: str) -> None:
        self.at(name)
        self.code.append(".")

    @contextmanager
    def loop(self, name: str):
        """``while name != 0``: the body must change ``name``."""
        self.at(name)
        self.code.append("[")
        yield
        self.at(name)
        self.code.append("]")

    def move(self, src: str, *dsts: tuple[str, int]) -> None:
        """dst += k * src for each (dst, k); src becomes 0."""
        with self.loop(src):
            self.add(src, -1)
            for dst, k in dsts:
                self.add(dst, k)

    def copy(self, src: str, dst: str) -> None:
        """dst += src, src kept."""
        with self.temps("_copy") as (t,):
            self.move(src, (dst, 1), (t, 1))
            self.move(t, (src, 1))

    @contextmanager
    def if_zero(self, name: str):
        """Runs the body when ``name`` is 0; ``name`` kept."""
        with self.temps("_flag", "_probe") as (flag, probe):
            self.add(flag, 1)
            self.copy(name, probe)
            with self.loop(probe):
                self.clear(probe)
                self.add(flag, -1)
            with self.loop(flag):
                self.add(flag, -1)
                yield

    @contextmanager
    def if_nonzero(self, name: str):
        with self.temps("_probe") as (probe,):
            self.copy(name, probe)
            with self.loop(probe):
                self.clear(probe)
                yield

    @contextmanager
    def if_zero_in_place(self, name: str, b: str, c: str):
        """Runs the body when ``name`` is 0, with no copy: ``b`` and ``c`` are the two cells after
        ``name`` and hold 0. The test moves the pointer by data (``[>-]``): after it the pointer
        is on ``b`` or on ``c``, and both paths meet on ``c``."""
        assert self.cells[b] == self.cells[name] + 1 and self.cells[c] == self.cells[name] + 2
        self.add(b, 1)
        self.at(name)
        self.code.append("[>-]>[-")  # name != 0: clear b, stop on c; name == 0: on b, enter
        self.ptr = self.cells[b]
        yield
        self.at(b)
        self.code.append(">]")
        self.ptr = self.cells[c]

    def divmod(self, n: str, d: str, q: str, r: str) -> None:
        """q, r = divmod(n, d) for d >= 1; n becomes 0, d kept, q and r must start at 0. A counter
        runs down from d once for each unit of n, and starts again at d when it reaches 0."""
        count, b, c = self.block("_count", "_b", "_c")
        self.copy(d, count)
        with self.loop(n):
            self.add(n, -1)
            self.add(count, -1)
            with self.if_zero_in_place(count, b, c):
                self.add(q, 1)
                self.copy(d, count)
        self.copy(d, r)
        self.move(count, (r, -1))
        self.drop(c, b, count)

    def print_number(self, name: str) -> None:
        """Prints name (0-255) in decimal, without leading zeros; name kept."""
        with self.temps("_n", "_ten", "_q", "_ones", "_hund", "_tens", "_tn", "_any") as t:
            n, ten, q, ones, hund, tens, tn, any_ = t
            self.copy(name, n)
            self.add(ten, 10)
            self.divmod(n, ten, q, ones)
            self.divmod(q, ten, hund, tens)
            with self.if_nonzero(hund):
                self.add(hund, ord("0"))
                self.out(hund)
                self.set(any_, 1)
            self.copy(tens, tn)
            self.move(any_, (tn, 1))
            with self.if_nonzero(tn):
                self.add(tens, ord("0"))
                self.out(tens)
            self.add(ones, ord("0"))
            self.out(ones)

    def text(self, name: str, s: str) -> None:
        for ch in s:
            self.set(name, ord(ch))
            self.out(name)
        self.clear(name)

    def source(self, title: str) -> str:
        body = "".join(self.code)
        lines = [body[i:i + 100] for i in range(0, len(body), 100)]
        # The title is comment text: BF ignores it, as long as it holds none of the 8 commands.
        assert not set(title) & set("+-<>.,[]"), title
        return title + "\n" + "\n".join(lines) + "\n"


def carpet(levels: int = 5) -> str:
    """A Sierpinski carpet of side 3**levels: cell (x, y) is blank when at some level both base-3
    digits are 1. Each digit comes from a division by three, done by counting."""
    side = 3 ** levels
    assert side <= 255
    w = Writer()
    y, cy, x, cx, full, a, b, qa, qb, ra, rb, three, ch = (
        w.var(n) for n in "y cy x cx full a b qa qb ra rb three ch".split())
    w.add(three, 3)
    w.add(cy, side)
    with w.loop(cy):
        w.add(cy, -1)
        w.clear(x)
        w.add(cx, side)
        with w.loop(cx):
            w.add(cx, -1)
            w.set(full, 1)
            w.copy(x, a)
            w.copy(y, b)
            for _ in range(levels):
                w.divmod(a, three, qa, ra)
                w.divmod(b, three, qb, rb)
                w.move(qa, (a, 1))
                w.move(qb, (b, 1))
                w.add(ra, -1)
                w.add(rb, -1)
                with w.if_zero(ra):
                    with w.if_zero(rb):
                        w.clear(full)
                w.clear(ra)
                w.clear(rb)
            w.set(ch, ord(" "))
            with w.if_nonzero(full):
                w.add(ch, ord("#") - ord(" "))
            w.out(ch)
            w.add(x, 1)
        w.set(ch, ord("\n"))
        w.out(ch)
        w.add(y, 1)
    return w.source(f"Sierpinski carpet of side {side} (made by bench/workloads)")


def primes(rounds: int = 8, limit: int = 256) -> str:
    """The primes below ``limit`` by trial division by every smaller number (no early exit), one
    line per round."""
    assert 3 <= limit <= 256 and 1 <= rounds <= 255
    w = Writer()
    rnd, n, cn, d, cd, prime, nn, q, r, ch = (
        w.var(v) for v in "rnd n cn d cd prime nn q r ch".split())
    w.add(rnd, rounds)
    with w.loop(rnd):
        w.add(rnd, -1)
        w.set(n, 2)
        w.add(cn, limit - 2)
        with w.loop(cn):
            w.add(cn, -1)
            w.set(prime, 1)
            w.set(d, 2)
            w.copy(n, cd)
            w.add(cd, -2)
            with w.loop(cd):
                w.add(cd, -1)
                w.copy(n, nn)
                w.divmod(nn, d, q, r)
                w.clear(q)
                with w.if_zero(r):
                    w.clear(prime)
                w.clear(r)
                w.add(d, 1)
            with w.if_nonzero(prime):
                w.print_number(n)
                w.text(ch, " ")
            w.add(n, 1)
        w.text(ch, "\n")
    return w.source(f"Primes below {limit} by trial division in {rounds} rounds (made by bench/workloads)")


WORKLOADS = {"carpet.b": carpet, "primes.b": primes}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="compare the committed programs with what this script writes")
    args = ap.parse_args()
    stale = []
    for name, make in WORKLOADS.items():
        path, text = OUT_DIR / name, make()
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(name)
        else:
            OUT_DIR.mkdir(exist_ok=True)
            path.write_text(text)
            print(f"wrote {path} ({len(text):,} bytes)")
    if stale:
        sys.exit(f"bench/workloads.py --check: out of date: {', '.join(stale)}")


if __name__ == "__main__":
    main()
