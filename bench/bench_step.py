"""Where a decoder step's time goes: why training runs at ~10^2 episodes/s on this CPU, not 10^3.

Run: .venv/bin/python bench/bench_step.py [--batch 256] [--repeat 20]

Times one ``Policy.step`` (forward, at the default model and a batch of real training prompts), then
the element-wise exp-family work such a step does at the same shapes (the GRU's sigmoid/tanh, the
log-softmax and entropy over every action), and as a baseline in the same run, numpy's exp over the
same [batch, actions] array. On the development machine MLX's CPU exp was several times slower than
numpy's, and that work was a large share of the step; a step is dozens of small ops whatever the batch.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def timed(fn, repeat: int) -> float:
    """Median seconds of ``fn`` (which must evaluate its own result)."""
    fn()
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return sorted(runs)[len(runs) // 2]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    import numpy as np

    from bfcore.agent.features import to_mx
    from bfcore.agent.model import START_TR
    from bfcore.runtime import STATE, mx
    from bfcore.train import TrainConfig, Trainer

    cfg = TrainConfig(batch_size=args.batch)
    with tempfile.TemporaryDirectory() as d:
        tr = Trainer(cfg, Path(d))
    tr.curriculum.level = 3
    feats = tr.feat.batch([tr.tasks[i].problem for i in tr._pick()])
    b = to_mx(feats)
    pol = tr.policy
    ctx = pol.context(b)
    mx.eval(ctx)
    B, M = feats["mask"].shape
    H = pol.cfg.hidden
    prev = (mx.full((B,), 97, mx.int32), mx.full((B,), START_TR, mx.int32), mx.full((B,), 2, mx.int32))
    _, logits, _ = pol.step(ctx, b, ctx["h"], 1, *prev)
    mx.eval(logits)
    A = logits.shape[1]

    step = timed(lambda: mx.eval(pol.step(ctx, b, ctx["h"], 1, *prev)), args.repeat)
    gates = mx.random.normal((B, 3 * H))
    acts = mx.random.normal((B, A))
    mx.eval(gates, acts)

    def exp_family():
        r = mx.sigmoid(gates[:, :2 * H])  # GRU gates
        n = mx.tanh(gates[:, 2 * H:])  # GRU candidate
        q = mx.tanh(gates[:, :H])  # query and value heads
        v = mx.tanh(gates[:, H:2 * H])
        logp = acts - mx.logsumexp(acts, axis=-1, keepdims=True)
        ent = -(mx.exp(logp) * logp).sum(-1)  # entropy bonus
        mx.eval(r, n, q, v, ent)

    family = timed(exp_family, args.repeat)
    mlx_exp = timed(lambda: mx.eval(mx.exp(acts)), args.repeat)
    np_acts = np.array(acts)
    np_exp = timed(lambda: np.exp(np_acts), args.repeat)
    mlx_add = timed(lambda: mx.eval(acts + acts), args.repeat)

    print(f"machine: {platform.machine()} {os.cpu_count()} cpus, Python {platform.python_version()}, "
          f"MLX {mx.__version__} ({STATE['blas']}), load avg {os.getloadavg()[0]:.1f}")
    print(f"shapes: batch {B}, memory rows {M}, actions {A}, hidden {H}")
    print(f"one decoder step (forward): {step * 1e3:.2f} ms")
    print(f"  its exp-family element-wise work alone: {family * 1e3:.2f} ms ({family / step:.0%} of the step)")
    print(f"exp over [{B}, {A}]: MLX {mlx_exp * 1e3:.3f} ms, numpy (baseline) {np_exp * 1e3:.3f} ms: "
          f"MLX/numpy {mlx_exp / np_exp:.1f}x; MLX add on the same array {mlx_add * 1e3:.3f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
