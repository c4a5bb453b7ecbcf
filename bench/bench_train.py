"""Training throughput: episodes/s (rollout + scoring + update) at the default TrainConfig.

Run: .venv/bin/python bench/bench_train.py [--updates 12] [--no-encoder]
Baselines in the same run: the rollout alone (no update), so the ratio shows the update's share; a
fresh trainer with the same seed and random (not length-bucketed) minibatches; and one whose update
scores the rollout's actions step by step, as the rollout computed them (``unroll(stepwise=True)``),
instead of teacher-forced over all steps at once.
Short targets early in the curriculum make episodes short; the figure is measured at --level
(3 = all targets, the slowest).

Fine-tuning: --finetune FAMILY [--minutes 5] evaluates the shipped agent on the family's test split
(a family it never trained on, e.g. 'double'), fine-tunes it on the family's train split for that
many minutes, and evaluates again (the baseline is the same agent before fine-tuning).
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--updates", type=int, default=12)
    ap.add_argument("--level", type=int, default=3, help="curriculum level to measure at (3 = all targets)")
    ap.add_argument("--no-encoder", action="store_true")
    ap.add_argument("--finetune", metavar="FAMILY")
    ap.add_argument("--minutes", type=float, default=5.0)
    ap.add_argument("--lr", type=float, default=None, help="fine-tune learning rate (default: FINETUNE_LR, what `bftui train --from` uses)")
    args = ap.parse_args()
    if args.finetune:
        return finetune(args.finetune, args.minutes, args.lr)
    from bfcore.agent.features import to_mx
    from bfcore.runtime import STATE, mx
    from bfcore.train import TrainConfig

    cfg = TrainConfig(steps=args.updates, encoder_layers=0 if args.no_encoder else 4)
    # baseline 2: a fresh trainer, same seed, with random (not length-bucketed) minibatches
    plain = TrainConfig(steps=args.updates, encoder_layers=cfg.encoder_layers, bucket_lengths=False)
    eps_plain, dt_plain, _, _ = timed_updates(plain, args)
    eps_step, dt_step, parts_step, _ = timed_updates(cfg, args, stepwise=True)
    eps, dt, parts, tr = timed_updates(cfg, args)
    t = time.perf_counter()
    for i in range(args.updates):
        feats = tr.feat.batch([tr.tasks[j].problem for j in tr._pick()])
        mx.eval(tr.policy.unroll(to_mx(feats), key=mx.random.key(i)))
    roll = time.perf_counter() - t
    print(f"machine: {platform.machine()} {os.cpu_count()} cpus, BLAS {STATE['blas']}, load avg {os.getloadavg()[0]:.1f}")
    print(f"config: batch {cfg.batch_size}, epochs {cfg.epochs} x {cfg.minibatches} minibatches, hidden {cfg.hidden}, "
          f"encoder layers {cfg.encoder_layers}, curriculum level {args.level}")
    print(f"train: {eps / dt:.0f} episodes/s (rollout + score + update; target >= 1000)")
    print("  split: " + ", ".join(f"{k[5:]} {v / dt:.0%}" for k, v in parts.items()))
    print(f"baseline random minibatches (bucket_lengths off, fresh trainer, same seed): "
          f"{eps_plain / dt_plain:.0f} episodes/s; bucketed/random {eps / dt / (eps_plain / dt_plain):.2f}x")
    print(f"baseline step-by-step scoring in the update (fresh trainer, same seed): {eps_step / dt_step:.0f} "
          f"episodes/s, optimize {parts_step['time/optimize'] / eps_step * 1000:.2f} ms/episode against "
          f"{parts['time/optimize'] / eps * 1000:.2f}; train speed-up {eps / dt / (eps_step / dt_step):.2f}x")
    print(f"baseline rollout only: {eps / roll:.0f} episodes/s; train/rollout ratio {roll / dt:.2f}")
    return 0


def timed_updates(cfg, args, stepwise=False):
    """(episodes, seconds, time split, trainer) of ``args.updates`` updates by a fresh trainer at
    curriculum level ``args.level``, after one warm-up update."""
    from bfcore.train import Trainer

    with tempfile.TemporaryDirectory() as d:
        tr = Trainer(cfg, Path(d))  # update() writes nothing; the directory is only named
    if stepwise:  # the update's loss calls unroll(actions=...), which calls score: score step by step
        pol = tr.policy
        pol.score = lambda b, actions: type(pol).unroll(pol, b, actions=actions, stepwise=True)
    tr.curriculum.level = args.level
    tr.update()  # warm-up
    parts = {"time/rollout": 0.0, "time/score": 0.0, "time/optimize": 0.0}
    eps = 0
    t = time.perf_counter()
    for _ in range(args.updates):
        s = tr.update()
        eps += s["episodes"]
        for k in parts:
            parts[k] += s[k]
    return eps, time.perf_counter() - t, parts, tr


def finetune(family: str, minutes: float, lr: float | None = None) -> int:
    from bfcore.agent import Agent, default_agent_dir
    from bfcore.agent.evaluate import evaluate
    from bfcore.tasks import generate
    from bfcore.train import TrainConfig, train
    from bfcore.train.config import FINETUNE_LR

    test = generate(family, "test", 60)
    before = evaluate(Agent.load(), test)["overall"]
    with tempfile.TemporaryDirectory() as d:
        cfg = TrainConfig(run_dir=str(Path(d) / "ft"), families=[family], init_from=str(default_agent_dir()),
                          minutes=minutes, steps=100000, curriculum=False, report_every=10, save_every=100000)
        cfg.lr = FINETUNE_LR if lr is None else lr
        t = time.perf_counter()
        reports = []
        run = train(cfg, on_report=reports.append)
        wall = time.perf_counter() - t
        after = evaluate(Agent.load(run), test)["overall"]
    print(f"machine: {platform.machine()} {os.cpu_count()} cpus, load avg {os.getloadavg()[0]:.1f}")
    print(f"fine-tune on unseen family {family!r}: {reports[-1]['step'] if reports else 0} updates, "
          f"{minutes:.1f} min of training ({wall / 60:.1f} min wall incl. set-up)")
    print(f"test-split exact success: before {before['success']:.1%} -> after {after['success']:.1%} (bar: >= 80%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
