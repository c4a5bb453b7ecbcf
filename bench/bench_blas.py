"""Which BLAS MLX gets, and what it costs: the system OpenBLAS, the scipy-openblas32 wheel, bundled.

Run: .venv/bin/python bench/bench_blas.py [--rounds 2] [--updates 4] [--skip-train]

Each BLAS runs in a fresh process (``BFTUI_BLAS`` picks it; MLX binds its BLAS once, at import), in
alternating rounds so that drift in the machine's load hits all of them alike. Per BLAS: a float32
1024x1024 matmul x10, and training throughput from ``bench/bench_train.py --updates N --set
token_states=true`` (the print agent's trainer with the encoder). Ratios are against the system
OpenBLAS when it is present, else against the bundled BLAS.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MATMUL = """
import time
from bfcore.runtime import STATE, mx
a = mx.random.normal((1024, 1024)); mx.eval(a @ a)
t = time.perf_counter()
for _ in range(10):
    mx.eval(a @ a)
print(STATE["blas"], "|", STATE["openblas_path"], "|", time.perf_counter() - t)
"""


def child(choice: str, args: list[str]) -> str:
    env = {**os.environ, "BFTUI_BLAS": choice}
    env.pop("BFTUI_OPENBLAS", None)
    out = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, cwd=ROOT,
                         timeout=3600)
    if out.returncode:
        raise SystemExit(f"bench_blas: {choice}: {out.stderr.strip().splitlines()[-1:]}")
    return out.stdout


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--updates", type=int, default=4)
    ap.add_argument("--skip-train", action="store_true")
    args = ap.parse_args()
    found: dict[str, str] = {}
    for choice in ("system", "wheel", "bundled"):
        name, path, _ = child(choice, ["-c", MATMUL]).strip().split(" | ")
        if choice == "bundled" or path != "None":  # a missing library falls back to bundled
            found[choice] = f"{name} ({path})" if path != "None" else name
    print(f"machine: {platform.machine()}, {os.cpu_count()} cpus, {platform.platform()}, "
          f"Python {platform.python_version()}")
    for choice, what in found.items():
        print(f"  {choice:8s} {what}")
    matmul = {c: [] for c in found}
    train = {c: [] for c in found}
    for _ in range(args.rounds):
        for choice in found:
            matmul[choice].append(float(child(choice, ["-c", MATMUL]).split(" | ")[2]))
            if not args.skip_train:
                out = child(choice, ["bench/bench_train.py", "--updates", str(args.updates),
                                     "--set", "token_states=true"])
                train[choice].append(float(re.search(r"train: (\d+) episodes/s", out).group(1)))
    base = "system" if "system" in found else "bundled"
    print(f"best of {args.rounds} rounds; ratios against {base}")
    for choice in found:
        mm = min(matmul[choice])
        line = f"  {choice:8s} matmul 1024^2 x10 {mm:6.3f} s ({min(matmul[base]) / mm:5.2f}x)"
        if train[choice]:
            eps = max(train[choice])
            line += f"   train {eps:5.0f} episodes/s ({eps / max(train[base]):5.2f}x)"
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
