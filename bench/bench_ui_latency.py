"""Key-press-to-repaint latency of the debugger while CPU-heavy work runs (not a test).

    .venv/bin/python bench/bench_ui_latency.py [--presses 60]

Drives ``bftui debug`` headless. One sample: post an F9 key event (toggle a breakpoint at the
cursor), then poll until the program editor renders its line with the breakpoint toggled, i.e.
the key was handled and the pane repainted. Scenarios, all measured in this run:

* idle: nothing else running (the baseline);
* python thread: a pure-Python busy loop in a thread worker (holds the GIL: the worst case for a
  training or generation worker that does Python work);
* numpy thread: matrix products in a thread worker (releases the GIL, like MLX/BLAS work);
* chunked run: the debugger itself running a never-halting program in timer chunks.

Prints median and p95 latency and their ratio to the idle baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from textual import events  # noqa: E402

from bfcore.interp.program import Config  # noqa: E402
from bftui.app import debug_app  # noqa: E402


def python_load(stop: threading.Event) -> None:
    x = 0
    while not stop.is_set():
        for i in range(10_000):
            x = (x * 31 + i) & 0xFFFF


def numpy_load(stop: threading.Event) -> None:
    import numpy as np

    a = np.random.default_rng(0).standard_normal((384, 384)).astype(np.float32)
    while not stop.is_set():
        a = np.tanh(a @ a.T / 384)


async def measure(scenario: str, presses: int) -> list[float]:
    app = debug_app("+[]", config=Config(max_steps=10**12), data_dir=Path(tempfile.mkdtemp()))
    stop = threading.Event()
    samples = []
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        panel = app._panel()
        thread = None
        if scenario in ("python thread", "numpy thread"):
            target = python_load if scenario == "python thread" else numpy_load
            thread = threading.Thread(target=target, args=(stop,), daemon=True)
            thread.start()
        elif scenario == "chunked run":
            await pilot.press("f5")
        editor = panel.editor
        painted = {}
        get_line = editor.get_line

        def spy(index):  # note when a line shows the breakpoint state we are waiting for
            painted.setdefault(0 in editor._breakpoints, time.perf_counter())
            return get_line(index)

        editor.get_line = spy
        for i in range(presses):
            want = 0 not in panel.breakpoints
            painted.clear()
            began = time.perf_counter()
            app.post_message(events.Key("f9", None))
            while want not in painted:
                await asyncio.sleep(0.0005)
            samples.append(painted[want] - began)
        if scenario == "chunked run":
            assert panel.state == "running", "the run should still be going"
            steps = panel.machine.steps
        stop.set()
        if thread is not None:
            thread.join()
    if scenario == "chunked run":
        print(f"  (the chunked run did {steps:,} steps meanwhile)")
    return samples


def describe() -> str:
    return (f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, "
            f"Python {platform.python_version()}, {platform.processor() or 'cpu'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=60)
    args = parser.parse_args()
    print(f"machine: {describe()}")
    print(f"{args.presses} F9 presses per scenario, latency = key event posted -> line repainted")
    results = {}
    for scenario in ("idle", "python thread", "numpy thread", "chunked run"):
        samples = asyncio.run(measure(scenario, args.presses))
        results[scenario] = (statistics.median(samples),
                             sorted(samples)[int(0.95 * (len(samples) - 1))])
    base_med, base_p95 = results["idle"]
    print(f"{'scenario':<15} {'median ms':>10} {'p95 ms':>8} {'x idle (median)':>16}")
    for scenario, (med, p95) in results.items():
        print(f"{scenario:<15} {med * 1000:>10.1f} {p95 * 1000:>8.1f} {med / base_med:>16.2f}")


if __name__ == "__main__":
    main()
