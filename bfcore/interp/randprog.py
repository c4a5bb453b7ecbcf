"""Random Brainfuck programs that always terminate, for tests and the benchmark.

Every generated loop is counted: its counter cell is touched inside the loop only by one
decrement (or increment) per iteration, and the body returns the pointer to the counter, so each
loop runs at most 255 times. Bodies nest further loops on other cells, and use the shapes the
fast path optimizes (clear, copy/multiply loops) as well as plain ones; scans (``[>]``, ``[<]``)
appear at the top level, where moving to an unknown cell is harmless. Programs may still stop
with a TapeError (a scan or move off cell 0), which is a terminating run too.
"""

from __future__ import annotations

import random


class _Gen:
    def __init__(self, rng: random.Random, cells: int, max_depth: int, io: bool):
        self.rng, self.cells, self.max_depth, self.io = rng, cells, max_depth, io
        self.out: list[str] = []
        self.ptr = 0

    def move_to(self, cell: int) -> None:
        d = cell - self.ptr
        self.out.append(">" * d if d > 0 else "<" * -d)
        self.ptr = cell

    def free_cell(self, busy: set[int]) -> int | None:
        free = [c for c in range(self.cells) if c not in busy]
        return self.rng.choice(free) if free else None

    def block(self, items: int, depth: int, busy: set[int]) -> None:
        for _ in range(items):
            self.item(depth, busy)

    def item(self, depth: int, busy: set[int]) -> None:
        rng = self.rng
        roll = rng.random()
        cell = self.free_cell(busy)
        if cell is None:
            return
        if roll < 0.35:
            self.move_to(cell)
            self.out.append(rng.choice("+-") * rng.randint(1, 12))
        elif roll < 0.45 and self.io:
            self.move_to(rng.randrange(self.cells))
            self.out.append(".")
        elif roll < 0.5 and self.io:
            self.move_to(cell)
            self.out.append(",")
        elif roll < 0.6:
            self.move_to(cell)
            self.out.append(rng.choice(["[-]", "[+]", "[---]"]))
        elif roll < 0.72:
            self.copy_loop(cell, busy)
        elif depth < self.max_depth:
            self.counted_loop(cell, depth, busy)
        elif depth == 0 and roll < 0.8:
            self.out.append(rng.choice(["[>]", "[<]", "[>>]"]))
        else:
            self.move_to(cell)
            self.out.append("+" * rng.randint(1, 5))

    def copy_loop(self, counter: int, busy: set[int]) -> None:
        targets = [c for c in range(self.cells) if c not in busy and c != counter]
        if not targets:
            return
        self.move_to(counter)
        body, here = [self.rng.choice("-+")], counter
        for t in self.rng.sample(targets, self.rng.randint(1, min(3, len(targets)))):
            d = t - here
            body.append((">" * d if d > 0 else "<" * -d) + self.rng.choice("+-") * self.rng.randint(1, 4))
            here = t
        d = counter - here
        body.append(">" * d if d > 0 else "<" * -d)
        self.out.append("[" + "".join(body) + "]")

    def counted_loop(self, counter: int, depth: int, busy: set[int]) -> None:
        rng = self.rng
        self.move_to(counter)
        if rng.random() < 0.7:  # keep most runs short; the rest start from whatever is there
            self.out.append("[-]")
        self.out.append("+" * rng.randint(0, 4) + "[")
        step = rng.choice("-+") if rng.random() < 0.2 else "-"
        first = rng.random() < 0.5
        if first:
            self.out.append(step)
        self.block(rng.randint(1, 4), depth + 1, busy | {counter})
        self.move_to(counter)
        if not first:
            self.out.append(step)
        self.out.append("]")


def random_program(rng: random.Random | int | None = None, items: int = 12, max_depth: int = 3,
                   cells: int = 6, io: bool = True) -> str:
    """A random terminating program of ``items`` top-level pieces over ``cells`` cells."""
    if not isinstance(rng, random.Random):
        rng = random.Random(rng)
    gen = _Gen(rng, cells, max_depth, io)
    gen.block(items, 0, set())
    return "".join(gen.out)


def random_flat(rng: random.Random | int | None = None, length: int = 128, io: bool = True) -> str:
    """A random loop-free program (no brackets) of exactly ``length`` instructions."""
    if not isinstance(rng, random.Random):
        rng = random.Random(rng)
    alphabet = "+-<>>>.," if io else "+-<>>>"
    return "".join(rng.choice(alphabet) for _ in range(length))


__all__ = ["random_program", "random_flat"]
