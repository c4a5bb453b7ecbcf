"""Scoring programs by running them on a task's tests.

The reward of a program on a set of tests (``(input, expected output)`` pairs):

* per test, 1 for the exact output, else a partial credit of at most 0.5: half for the share of
  positions holding the expected byte, half for the per-byte distance (cyclic, so ``'A'`` is close
  to ``'a'`` minus 32) with a penalty per missing or extra byte;
* a bonus of 1 when every test passes (exactness matters more than closeness);
* a penalty of 0.05 per test that errs or runs out of steps (a hang, a pointer off the tape);
* a length penalty of 0.002 per action, so of two passing programs the shorter wins;
* for a task with a cap on the program's text (a family whose programs must beat the print run,
  :func:`~bfcore.synth.families.text_cap`), a program over it passes no test: its exact outputs
  earn the partial credit's 0.5, less up to 0.25 for how far over the cap it is.

The result is in [-0.05 - 0.002 * len, 2].
"""

from __future__ import annotations

from dataclasses import dataclass

from bfcore.interp.program import Config

# per test. PQT's 5,000 (its bench keeps it: pqt_tasks.PQT_CONFIG) failed a right counter of z's
# on 8 letters (5,066 steps: each byte below z wraps to ~250 and is cleared a step at a time);
# a hang costs only this
STEP_LIMIT = 20_000
CONFIG = Config(max_steps=STEP_LIMIT, max_output=256)


@dataclass(frozen=True)
class Scored:
    reward: float
    passed: tuple[bool, ...]  # one per test
    outputs: tuple[bytes, ...]
    statuses: tuple[str, ...]

    @property
    def solved(self) -> bool:
        return all(self.passed)


def matches(out: bytes, want: bytes) -> float:
    """Fraction of positions where the output has the expected byte, over the longer length."""
    n = max(len(out), len(want))
    return sum(a == b for a, b in zip(out, want)) / n if n else 1.0


def closeness(out: bytes, want: bytes) -> float:
    """1 for equal outputs, down to 0: the cyclic byte distance over the shared prefix plus the
    worst distance (128) for every missing or extra byte, normalised by the target's length."""
    if out == want:
        return 1.0
    d = 128 * abs(len(out) - len(want))
    for a, b in zip(out, want):
        x = abs(a - b)
        d += min(x, 256 - x)
    return max(0.0, 1.0 - d / (128 * max(len(want), 1)))


def reward_of(outputs, statuses, tests, n_actions: int, over: float = 0.0) -> Scored:
    """``over``: how far the text is past the task's cap, as a share of the cap (0: within)."""
    passed, r = [], 0.0
    for out, st, (_, want) in zip(outputs, statuses, tests):
        ok = st == "ok" and out == want and not over
        passed.append(ok)
        if ok:
            r += 1.0
        elif st == "ok" and out == want:
            r += 0.5 - 0.25 * min(over, 1.0)
        else:
            r += 0.25 * (matches(out, want) + closeness(out, want))
            r -= 0.05 if st in ("error", "step_limit") else 0
    r /= max(len(tests), 1)
    if all(passed):
        r += 1.0
    return Scored(r - 0.002 * n_actions, tuple(passed), tuple(outputs), tuple(statuses))


SMALL_BATCH = 16  # runs this few go one by one in plain Python: no numba compile for them


def score_programs(programs: list[str], tests_per_program: list, n_actions: list[int],
                   config: Config = CONFIG, caps=None) -> list[Scored]:
    """Run every program on each of its tests and score it: in one ``run_many`` batch, or, for a
    handful of runs (a greedy program checked on a user's examples), one by one in plain Python,
    so that a fresh install's first check does not wait ~14 s for numba to compile. ``caps``:
    per program, the most characters its text may have (None: any)."""
    from bfcore.interp.fast import run, run_many

    srcs, inputs, where = [], [], []
    for i, (p, tests) in enumerate(zip(programs, tests_per_program)):
        for inp, _ in tests:
            srcs.append(p)
            inputs.append(inp)
            where.append(i)
    if len(srcs) <= SMALL_BATCH:
        results = [run(p, inp, config, jit_after=None) for p, inp in zip(srcs, inputs)]
    else:
        results = run_many(srcs, inputs, config)
    outs = [[] for _ in programs]
    sts = [[] for _ in programs]
    for i, r in zip(where, results):
        outs[i].append(r.output)
        sts[i].append(r.status)
    caps = caps if caps is not None else [None] * len(programs)
    overs = [0.0 if c is None or len(p) <= c else (len(p) - c) / max(c, 1)
             for p, c in zip(programs, caps)]
    return [reward_of(o, s, t, n, v)
            for o, s, t, n, v in zip(outs, sts, tests_per_program, n_actions, overs)]


def score_one(program: str, tests, config: Config = CONFIG) -> Scored:
    """The same score for one program (its length counted in actions, as the agent writes it)."""
    from bfcore.synth.actions import tokenize

    return score_programs([program], [tests], [len(tokenize(program)) - 1], config)[0]
