"""Training throughput: episodes/s (rollout + scoring + update) at the default TrainConfig.

Run: .venv/bin/python bench/bench_train.py [--updates 12] [--no-encoder] [--set FIELD=VALUE ...]

The headline: a fresh trainer at the default config (as `bftui train` starts), at curriculum --level
(3 = all targets, the slowest), after one warm-up update; ``--set`` changes TrainConfig fields for it
(and the same-policy comparison below is skipped).
Baselines in the same run, as ratios: one trainer started from the shipped agent's weights with a
learning rate of 0 (so every variant sees the same policy and episode lengths; fresh trainers drift
apart as they learn, which hid real differences) runs its updates alternating between the default and
(a) random instead of size-bucketed minibatches (``bucket_rows`` off), (b) step-by-step scoring in the
update, as the rollout computes it (``unroll(stepwise=True)``) instead of teacher-forced, (c) separate
exp passes over the action axis for log-probs, entropy and sampling (logsumexp, exp of the log-softmax,
MLX's Gumbel-max categorical) instead of one shared pass, (d) all three, which is close to the trainer
before these changes. Also: the rollout alone, to show the update's share.

Fine-tuning: --finetune FAMILY [--minutes 5] [--set FIELD=VALUE ...] evaluates the shipped agent on
the family's test split (a family it never trained on, e.g. 'double') and on the old skills (the test
split, outside.jsonl), fine-tunes it on the family's train split with the fine-tune defaults
(``FINETUNE``: rehearsal, KL to the start, stop when solved) and ``--set`` over them, for at most that
many minutes, and evaluates again (the baseline is the same agent before fine-tuning).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PARTS = ("time/rollout", "time/score", "time/optimize")
# each variant undoes some of the trainer's speed-ups: random minibatches, step-by-step scoring, and
# separate exp passes (logsumexp, exp(log-softmax), Gumbel sampling) over the action axis
VARIANTS = {"default": (), "random minibatches": ("random",), "step-by-step scoring": ("stepwise",),
            "separate exp passes": ("exp",), "all three (earlier trainer)": ("random", "stepwise", "exp")}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--updates", type=int, default=12)
    ap.add_argument("--level", type=int, default=3, help="curriculum level to measure at (3 = all targets)")
    ap.add_argument("--no-encoder", action="store_true")
    ap.add_argument("--set", nargs="+", default=[], metavar="FIELD=VALUE",
                    help="TrainConfig fields for the headline (JSON values), e.g. hidden=64 epochs=1")
    ap.add_argument("--finetune", metavar="FAMILY")
    ap.add_argument("--minutes", type=float, default=5.0)
    ap.add_argument("--lr", type=float, default=None, help="fine-tune learning rate (default: FINETUNE_LR, what `bftui train --from` uses)")
    args = ap.parse_args()
    if args.finetune:
        return finetune(args.finetune, args.minutes, args.lr, settings(args.set))
    from bfcore.agent.features import to_mx
    from bfcore.runtime import STATE, mx
    from bfcore.train import TrainConfig

    cfg = TrainConfig.from_dict({**TrainConfig(steps=args.updates, encoder_layers=0 if args.no_encoder else 4).to_dict(),
                                 **dict(settings(args.set))})
    tr = trainer(cfg, args.level)
    eps, dt, parts = timed(tr, args.updates)
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
    print(f"baseline rollout only: {eps / roll:.0f} episodes/s; train/rollout ratio {roll / dt:.2f}")
    if args.set:
        print(f"  with {' '.join(args.set)}")
    if args.no_encoder or args.set:
        return 0
    fixed = trainer(replace(cfg, init_from=str(default_agent()), lr=0.0), args.level)
    base_cfg, pol = fixed.cfg, fixed.policy
    totals = {name: [0, 0.0, dict.fromkeys(PARTS, 0.0)] for name in VARIANTS}
    for _ in range(args.updates):
        for name in VARIANTS:
            undo = VARIANTS[name]
            fixed.cfg = replace(base_cfg, bucket_rows="random" not in undo)
            pol.__dict__.pop("score", None)  # back to the class's teacher-forced score
            if "stepwise" in undo:
                # the update's loss calls unroll(actions=...), which calls score
                pol.score = lambda b, actions: type(pol).unroll(pol, b, actions=actions, stepwise=True)
            with separate_exp_passes("exp" in undo):
                e, d, p = timed(fixed, 1)
            tot = totals[name]
            tot[0] += e
            tot[1] += d
            for k in PARTS:
                tot[2][k] += p[k]
    pol.__dict__.pop("score", None)
    e0, d0, p0 = totals["default"]
    print(f"same policy (shipped agent, lr 0), {args.updates} updates of each variant, alternating:")
    for name, (e, d, p) in totals.items():
        print(f"  {name:22s} {e / d:5.0f} episodes/s, optimize {p['time/optimize'] / e * 1000:.2f} ms/episode, "
              f"rollout {p['time/rollout'] / e * 1000:.2f} ms/episode; default is {(e0 / d0) / (e / d):.2f}x this")
    return 0


def settings(pairs: list[str]):
    import json

    for pair in pairs:
        field, _, value = pair.partition("=")
        try:
            yield field, json.loads(value)
        except json.JSONDecodeError:
            yield field, value


@contextmanager
def separate_exp_passes(on: bool):
    """The policy's heads as they were: logsumexp for log-probs, exp(log-softmax) again for the
    entropy, and MLX's Gumbel-max categorical for sampling (two logs an action)."""
    from bfcore.agent import model
    from bfcore.runtime import mx

    def log_probs(logits, actions, norm=None):
        logp_all = logits - mx.logsumexp(logits, axis=-1, keepdims=True)
        logp = mx.take_along_axis(logp_all, actions[..., None], axis=-1)[..., 0]
        return logp, -(mx.exp(logp_all) * logp_all).sum(-1)

    def sample(logits, norm, key, temperature):
        return mx.random.categorical(logits / temperature, key=key)

    saved = model._normalise, model._log_probs, model._sample
    if on:
        model._normalise, model._log_probs, model._sample = (lambda logits: None), log_probs, sample
    try:
        yield
    finally:
        model._normalise, model._log_probs, model._sample = saved


def default_agent() -> Path:
    from bfcore.agent import default_agent_dir

    return default_agent_dir()


def trainer(cfg, level: int):
    """A trainer at curriculum ``level``, after one warm-up update."""
    from bfcore.train import Trainer

    with tempfile.TemporaryDirectory() as d:
        tr = Trainer(cfg, Path(d))  # update() writes nothing; the directory is only named
    tr.curriculum.level = level
    tr.update()
    return tr


def timed(tr, updates: int):
    """(episodes, seconds, time split) of ``updates`` updates."""
    parts = dict.fromkeys(PARTS, 0.0)
    eps = 0
    t = time.perf_counter()
    for _ in range(updates):
        s = tr.update()
        eps += s["episodes"]
        for k in parts:
            parts[k] += s[k]
    return eps, time.perf_counter() - t, parts


def finetune(family: str, minutes: float, lr: float | None = None, sets=()) -> int:
    """Teach one unseen family; report it and the old skills (the shipped test split and
    outside.jsonl) before and after. ``sets`` are TrainConfig fields over the fine-tune defaults."""
    from dataclasses import asdict

    from bfcore.agent import Agent, default_agent_dir
    from bfcore.agent.evaluate import evaluate
    from bfcore.runtime import STATE
    from bfcore.tasks import default_task_file, generate, load_tasks
    from bfcore.train import TrainConfig, train
    from bfcore.train.config import FINETUNE

    new = generate(family, "test", 60)
    old = {"test": load_tasks(default_task_file("test")),
           "outside": load_tasks(Path(default_task_file("test")).with_name("outside.jsonl"))}

    def scores(agent) -> dict:
        out = {"new": evaluate(agent, new)["overall"]["success"]}
        out.update({k: evaluate(agent, t)["overall"]["success"] for k, t in old.items()})
        return out

    before = scores(Agent.load())
    over = {**FINETUNE, **({"lr": lr} if lr is not None else {}), **dict(sets)}
    with tempfile.TemporaryDirectory() as d:
        base = TrainConfig(run_dir=str(Path(d) / "ft"), families=[family], init_from=str(default_agent_dir()),
                           minutes=minutes, steps=100000, curriculum=False, report_every=10, save_every=100000)
        cfg = TrainConfig.from_dict({**asdict(base), **over})
        t = time.perf_counter()
        reports = []
        run = train(cfg, on_report=reports.append)
        wall = time.perf_counter() - t
        after = scores(Agent.load(run))
    last = reports[-1] if reports else {}
    print(f"machine: {platform.machine()} {os.cpu_count()} cpus, BLAS {STATE['blas']}, "
          f"load avg {os.getloadavg()[0]:.1f}")
    print(f"fine-tune on unseen family {family!r}: {last.get('step', 0)} updates, "
          f"{last.get('time', 0) / 60:.1f} min of training ({wall / 60:.1f} min wall incl. set-up); "
          f"{last.get('stopped') or 'no early stop'}")
    print("  settings: " + ", ".join(f"{k}={v}" for k, v in over.items()))
    print(f"  new family, held-out phrasings: {before['new']:.1%} -> {after['new']:.1%} (bar: >= 80%)")
    print(f"  old skills, test split ({len(old['test'])}): {before['test']:.1%} -> {after['test']:.1%} "
          f"({(after['test'] - before['test']) * 100:+.1f} points; bar: within 2)")
    print(f"  old skills, outside.jsonl ({len(old['outside'])}): {before['outside']:.1%} -> "
          f"{after['outside']:.1%} ({(after['outside'] - before['outside']) * 100:+.1f} points; bar: within 3)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
