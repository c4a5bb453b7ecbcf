"""Benchmark the fast path against a plain C interpreter, and the batch scorer.

    .venv/bin/python bench/bench_interp.py [--quick] [--program FILE ...]

First, whole processes as a user runs them: ``bftui run FILE`` with default flags against the C
baseline's binary on the same file, wall time, in the same run; bftui once with an empty cache of
compiled code (the first run of a program) and then warm (best of 3). ``--program`` adds files,
such as a local copy of mandelbrot.b (the field's standard workload, not ours to commit).

Compiles bench/c_baseline.c with ``cc -O2`` in the same run, checks that both produce the same
output on every program, and prints time ratios (C time / fast time: > 1 means the fast path is
faster). Numba compile time is measured separately (fresh cache dir in a subprocess) and excluded
from the timed runs. Then ``run_many`` throughput in programs per second.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bfcore.interp.fast import run, run_many  # noqa: E402
from bfcore.interp.program import Config, parse  # noqa: E402
from bfcore.interp.randprog import random_flat, random_program  # noqa: E402

PROGRAMS = ROOT / "assets" / "programs"
WORKLOADS = ROOT / "bench" / "programs"  # mandelbrot.b's class, written by bench/workloads.py
BIG = Config(max_steps=1 << 62)

# Three nested counted loops of 250 whose innermost body is a plain loop (it holds a clear loop),
# so only run-length folding applies to it: this measures raw dispatch speed.
NESTED_PLAIN = "------[>------[>------[>+>++>+++[-]<<<-]<-]<-]"
# Counted loops 250 x 250 x 250 x 16 deep, the innermost holding a clear loop: no rewrite
# collapses the nest, and the C baseline takes a few seconds (the "non-collapsible nest").
NESTED_DEEP = "------[>------[>------[>++++++++++++++++[>+>+[-]<<-]<-]<-]<-]"
# The same nest with a copy/multiply loop innermost: the closed forms apply.
NESTED_MUL = "------[>------[>------[>+++++[->+>++>+++<<<]<-]<-]<-]>>>.>.>."


def machine_description() -> str:
    model = platform.processor() or "unknown cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cc = subprocess.run(["cc", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    import numba

    return (f"{model}, {os.cpu_count()} cores; Python {platform.python_version()}, "
            f"numba {numba.__version__}; {cc}")


def build_c(tmp: Path) -> Path:
    exe = tmp / "c_baseline"
    subprocess.run(["cc", "-O2", "-o", str(exe), str(ROOT / "bench" / "c_baseline.c")], check=True)
    return exe


def time_c(exe: Path, path: Path, repeat: int) -> tuple[float, bytes]:
    best, out = float("inf"), b""
    for _ in range(3):
        proc = subprocess.run([str(exe), str(path), str(repeat)], capture_output=True, check=True,
                              stdin=subprocess.DEVNULL)
        best = min(best, float(proc.stderr.split()[-1]))
        out = proc.stdout
    return best, out


def time_fast(src: str, repeat: int) -> tuple[float, bytes, int]:
    src = parse(src)  # parsing is excluded, as in the C baseline
    first = run(src, b"", BIG, jit_after=0)  # warm: numba code loaded, IR compiled
    assert first.ok, first.error
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(repeat):
            run(src, b"", BIG, jit_after=0)
        best = min(best, time.perf_counter() - t0)
    return best, first.output, first.steps


def random_workload(count: int) -> list[str]:
    """The longest-running terminating random programs among the first seeds."""
    found = []
    for seed in range(600):
        src = random_program(seed, items=14, max_depth=3, cells=8, io=False)
        r = run(src, b"", Config(max_steps=200_000_000), jit_after=0)
        if r.ok:
            found.append((r.steps, src))
    found.sort(reverse=True)
    return [src for _, src in found[:count]]


def compare_speed(exe: Path, tmp: Path, quick: bool) -> None:
    cases = [
        ("busy.b (nested, copy loops)", (PROGRAMS / "busy.b").read_text(), 1),
        ("squares.b x20 (arithmetic)", (PROGRAMS / "squares.b").read_text(), 20),
        ("hello.b x2000 (per-call overhead)", (PROGRAMS / "hello.b").read_text(), 2000),
        ("nested 250^3, plain inner loop", NESTED_PLAIN, 1),
        ("nested 250^3, multiply loop", NESTED_MUL, 1),
    ]
    for i, src in enumerate(random_workload(3 if quick else 8)):
        cases.append((f"random nested #{i}", src, 1))
    print(f"{'program':34} {'raw steps':>14} {'C (s)':>9} {'fast (s)':>9} {'C/fast':>7}")
    for name, src, repeat in cases:
        path = tmp / "prog.b"
        path.write_text(src)
        c_time, c_out = time_c(exe, path, repeat)
        f_time, f_out, steps = time_fast(src, repeat)
        assert c_out == f_out, f"{name}: C and fast outputs differ"
        print(f"{name:34} {steps * repeat:>14,} {c_time:9.4f} {f_time:9.4f} {c_time / f_time:7.2f}")


def wall(cmd: list[str], env=None) -> tuple[float, bytes]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, stdin=subprocess.DEVNULL, env=env, cwd=ROOT)
    dt = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)}: exit {proc.returncode}: {proc.stderr[-300:]!r}")
    return dt, proc.stdout


def whole_process(exe: Path, tmp: Path, extra: list[Path]) -> None:
    cases = [(p.name, p) for p in extra]
    cases += [(f"{p.name} (bench/workloads.py)", p) for p in sorted(WORKLOADS.glob("*.b"))]
    for name, src in [("nested 250^3 x 16, plain loops", NESTED_DEEP),
                      ("nested 250^3, multiply loop", NESTED_MUL)]:
        path = tmp / f"{name.split(',')[1].strip().replace(' ', '_')}.b"
        path.write_text(src)
        cases.append((name, path))
    cases += [("busy.b", PROGRAMS / "busy.b"), ("hello.b", PROGRAMS / "hello.b")]
    bftui = [sys.executable, "-m", "bftui", "run"]
    print("whole process, wall seconds: `bftui run FILE` (default flags) and the C baseline "
          "(cc -O2) on the same file")
    print(f"{'program':34} {'C':>7} {'bftui cold':>10} {'bftui warm':>10} {'warm/C':>7} "
          f"{'cold/C':>7}")
    for name, path in cases:
        c_time, c_out = min(wall([str(exe), str(path)]) for _ in range(3))
        env = dict(os.environ, BFTUI_NATIVE_CACHE=str(tmp / f"cache-{path.stem}"))
        cold, out = wall(bftui + [str(path)], env)
        warm = min(wall(bftui + [str(path)], env)[0] for _ in range(3))
        assert out == c_out, f"{name}: C and bftui outputs differ"
        print(f"{name:34} {c_time:7.2f} {cold:10.2f} {warm:10.2f} {warm / c_time:7.2f} "
              f"{cold / c_time:7.2f}", flush=True)


def peak_rss(cmd: list[str]) -> int:
    """Peak resident memory of one child process, in bytes (Linux reports KiB)."""
    code = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, "
            "stdout=subprocess.DEVNULL); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code, *cmd], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout
    return int(out) * 1024


def memory(tmp: Path, size: int = 5_000_000) -> None:
    """Peak memory of `bftui run` on a big program of single instructions at random (about one
    IR op a byte), against the same command on busy.b (the interpreter with numba loaded: a
    program that big runs on the numba tier, over native code's size limit)."""
    rng = random.Random(5)
    pieces = ["+", "-", ">", "<", "[-]", "+>", "-<"]
    text = "".join(rng.choice(pieces) for _ in range(size * 2 // 3))[:size]
    path = tmp / "big.b"
    path.write_text(text)
    bftui = [sys.executable, "-m", "bftui", "run", "--wrap"]
    base = peak_rss(bftui + [str(PROGRAMS / "busy.b")])
    peak = peak_rss(bftui + [str(path)])
    print(f"memory: `bftui run --wrap` on a {len(text) / 1e6:.1f} MB program: peak "
          f"{peak / 2**20:.0f} MiB; on busy.b {base / 2**20:.0f} MiB; "
          f"{(peak - base) / len(text):.1f} bytes a source byte above that")


def numba_compile_times() -> None:
    code = ("import time; t=time.perf_counter(); from bfcore.interp.fast import run, run_many; "
            "run('+[-]', jit_after=0); run_many(['+']); print(time.perf_counter()-t)")
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        times = [float(subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, check=True,
                                      capture_output=True, text=True).stdout) for _ in range(2)]
    print(f"numba: compile both executors (empty cache) {times[0]:.2f} s; "
          f"import numba + load from cache {times[1]:.2f} s (both excluded from the timings above)")


def throughput() -> None:
    rng = random.Random(7)
    n = 1024
    flat = [random_flat(rng, rng.randint(64, 256)) for _ in range(n)]
    loops = [random_program(rng, items=rng.randint(3, 8), max_depth=3) for _ in range(n)]
    cfg = Config(max_steps=100_000, max_output=256)
    print(f"scoring batches of {n} programs (max_steps {cfg.max_steps:,}), programs/second, "
          f"parsing and compiling included:")
    print(f"{'batch':28} {'run() each':>11} {'run_many':>10} {'ratio':>7}")
    for name, progs in [("loop-free 64-256 instr", flat), ("random nested loops", loops)]:
        run_many(progs[:4], b"x", cfg)  # numba code loaded
        t0 = time.perf_counter()
        single = [run(p, b"x", cfg, jit_after=0) for p in progs]
        t_loop = time.perf_counter() - t0
        t_batch = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            batch = run_many(progs, b"x", cfg)
            t_batch = min(t_batch, time.perf_counter() - t0)
        assert batch == single
        print(f"{name:28} {n / t_loop:11,.0f} {n / t_batch:10,.0f} {t_loop / t_batch:7.1f}")


def machine_speed() -> None:
    from bfcore.interp.machine import Machine

    src = (PROGRAMS / "squares.b").read_text()
    m = Machine(src)
    t0 = time.perf_counter()
    m.run()
    dt = time.perf_counter() - t0
    f_time, _, _ = time_fast(src, 1)
    print(f"stepping Machine (debugger, undo history on): squares.b {m.steps:,} steps in {dt:.2f} s "
          f"= {m.steps / dt / 1e6:.1f}M steps/s; fast path {dt / f_time:.0f}x faster")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer random programs")
    parser.add_argument("--program", type=Path, action="append", default=[],
                        help="another program for the whole-process table (repeatable)")
    parser.add_argument("--whole-only", action="store_true", help="only the whole-process table")
    parser.add_argument("--memory-only", action="store_true",
                        help="only the peak memory of a 5 MB program")
    args = parser.parse_args()
    print(f"machine: {machine_description()}")
    with tempfile.TemporaryDirectory() as tmp:
        if args.memory_only:
            return memory(Path(tmp))
        exe = build_c(Path(tmp))
        whole_process(exe, Path(tmp), args.program)
        if args.whole_only:
            return
        memory(Path(tmp))
        numba_compile_times()
        compare_speed(exe, Path(tmp), args.quick)
    machine_speed()
    throughput()


if __name__ == "__main__":
    main()
