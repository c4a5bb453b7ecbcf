"""bench/workloads.py: its programs compute what they say, on every tier, and the committed
copies are what the script writes."""

import subprocess
import sys
from pathlib import Path

import pytest

from bfcore.interp.fast import UNLIMITED, run
from bfcore.interp.machine import Machine
from bfcore.interp.program import Config

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from workloads import WORKLOADS, carpet, primes  # noqa: E402

BIG = Config(max_steps=UNLIMITED, max_output=UNLIMITED)


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("BFTUI_NATIVE_CACHE", str(tmp_path / "native"))


def carpet_rows(levels: int) -> str:
    side = 3 ** levels

    def full(x, y):
        return not any((x // 3 ** k) % 3 == 1 and (y // 3 ** k) % 3 == 1 for k in range(levels))

    return "".join("".join("#" if full(x, y) else " " for x in range(side)) + "\n"
                   for y in range(side))


def prime_lines(rounds: int, limit: int) -> str:
    line = "".join(f"{n} " for n in range(2, limit) if all(n % d for d in range(2, n)))
    return (line + "\n") * rounds


def every_tier(src: str) -> bytes:
    m = Machine(src, b"", BIG)
    m.run()
    want = m.result()
    assert want.ok, want
    for native in (True, False):
        for jit_after in (0, 5_000):  # compiled from the start, or after the Python tier
            assert run(src, b"", BIG, jit_after=jit_after, native=native) == want
    return want.output


@pytest.mark.parametrize("levels", [1, 2])
def test_carpet_draws_the_carpet(levels):
    assert every_tier(carpet(levels)).decode() == carpet_rows(levels)


def test_carpet_hole_pattern_at_side_27():
    text = run(carpet(3), b"", BIG).output.decode()
    assert text == carpet_rows(3)
    middle = text.splitlines()[13]
    assert middle == "# #   # #" + " " * 9 + "# #   # #"  # holes at all three scales


@pytest.mark.parametrize("rounds,limit", [(1, 20), (2, 40)])
def test_primes_by_trial_division(rounds, limit):
    assert every_tier(primes(rounds, limit)).decode() == prime_lines(rounds, limit)


def test_primes_prints_three_digit_numbers():
    assert run(primes(1, 256), b"", BIG).output.decode() == prime_lines(1, 256)


def test_committed_programs_are_what_the_script_writes():
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "workloads.py"), "--check"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    for name in WORKLOADS:
        assert (ROOT / "bench" / "programs" / name).exists()
