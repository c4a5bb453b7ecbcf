"""``train(config, on_report=None, should_stop=None) -> run_dir``: PPO or GRPO against the interpreter.

One update = sample a batch of tasks (from the curriculum's pool), roll the policy out as one lazy
MLX graph, compile the print tokens to BF, run them with ``run_many``, score the real outputs,
turn the scores into advantages (GAE over shaped per-step rewards for PPO, group-relative for
GRPO), then a few clipped-objective minibatch epochs. Everything MLX is created inside this call,
so it may run in a background thread (MLX arrays belong to the thread that made them).
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from bfcore.configcheck import ConfigError
from bfcore.runtime import mx
from bfcore.train.run import TrainError  # noqa: F401  (raised here; bfcore.train exports it)


#: Built-in train tasks per family in the rehearsal pool (13 families: 650 prompts to encode).
REHEARSAL_PER_FAMILY = 50
#: Reports carry each task's own success when a run teaches at most this many tasks.
PER_TASK_MAX = 32


class TrainConfigError(TrainError, ConfigError):
    """A bad config value: a TrainError to callers of train(), with the ``field`` it is about."""


def _load_tasks(cfg):
    from bfcore import tasks as T

    if cfg.tasks:
        try:
            return T.load_tasks(cfg.tasks)
        except T.TaskFormatError as exc:
            raise TrainError(str(exc)) from None
    fams = list(cfg.families) or T.FAMILIES
    bad = [f for f in fams if f not in T.TEMPLATES]
    if bad:
        raise TrainError(f"unknown family {bad[0]!r}; known: {', '.join(T.TEMPLATES)}")
    return T.make_split("train", cfg.tasks_per_family, fams, seed=cfg.seed)


def _run_dir(cfg) -> Path:
    if cfg.run_dir:
        return Path(cfg.run_dir)
    from bfcore.train.run import new_run_dir

    return new_run_dir(Path("runs"), cfg.algo)


def _check(cfg) -> None:
    """The checks that need nothing loaded: made before the run directory is created or locked."""
    try:
        cfg.validate()
    except ConfigError as exc:
        raise TrainConfigError(str(exc), exc.field) from None
    if (cfg.rehearsal or cfg.kl_coef) and not cfg.init_from:
        raise TrainConfigError("rehearsal and kl_coef keep a starting agent's skills: they need "
                               "init_from", "rehearsal" if cfg.rehearsal else "kl_coef")


class Trainer:
    def __init__(self, cfg, run_dir: Path, on_progress=None):
        import mlx.optimizers as optim

        from bfcore.agent.agent import load_policy
        from bfcore.agent.features import Featurizer
        from bfcore.agent.model import ModelConfig, Policy
        from bfcore.tasks import Curriculum

        _check(cfg)
        self.cfg, self.run_dir, self.ckpt = cfg, run_dir, run_dir / "checkpoint"
        self.tasks = _load_tasks(cfg)
        self.n_user = len(self.tasks)  # the tasks being taught; rehearsal tasks follow them
        if cfg.rehearsal:
            from bfcore import tasks as T

            self.tasks = self.tasks + T.make_split("train", REHEARSAL_PER_FAMILY, T.FAMILIES, seed=cfg.seed)
        # the one place seeds are set
        self.np_rng = np.random.default_rng(cfg.seed)
        self.py_rng = random.Random(cfg.seed)
        mx.random.seed(cfg.seed)
        encoder = None
        if cfg.encoder_layers:
            from bfcore.encoder import EncoderError, load_encoder

            try:
                encoder = load_encoder(cfg.encoder_model or None, layers=cfg.encoder_layers)
            except EncoderError as exc:  # a config value the model cannot meet
                field = "encoder_layers" if "layers" in str(exc) else "encoder_model"
                raise TrainConfigError(f"{field}: {exc}", field) from None
        # prompts are encoded as batches draw them (see features.py), not all before step 1;
        # on_progress(step, done, total) follows each update's encoding, chunk by chunk
        self.feat = Featurizer(encoder)
        if on_progress is not None:
            self.feat.on_progress = lambda done, total: on_progress(self.step + 1, done, total)
        src = None
        if cfg.init_from:
            src, _ = load_policy(Path(cfg.init_from) / "checkpoint" if (Path(cfg.init_from) / "checkpoint").is_dir()
                                 else Path(cfg.init_from))
        # a fine-tuned agent keeps the token states it has; one without them may grow them
        has = src is not None and src.cfg.token_states
        tok = bool((cfg.token_states or has) and self.feat.enc_dim)
        rows = (src.cfg.token_rows if has else cfg.token_rows) if tok else "all"
        mcfg = ModelConfig(cfg.hidden, cfg.conv_layers, self.feat.enc_dim, cfg.max_steps, token_states=tok,
                           token_rows=rows)
        self.policy = Policy(mcfg)
        if src is not None:
            if replace(src.cfg, token_states=tok, token_rows=rows) != mcfg:
                raise TrainError(f"{cfg.init_from}: its model ({src.cfg}) differs from this config ({mcfg})")
            # grown weights are gated off at 0, so the agent starts out exactly as it was
            self.policy.update(src.parameters(), strict=not (tok and not has))
        mx.eval(self.policy.parameters())
        self.ref = None
        if cfg.kl_coef:  # a frozen copy of the starting policy, for the KL penalty
            self.ref = Policy(mcfg)
            self.ref.update(self.policy.parameters())
            self.ref.freeze()
            mx.eval(self.ref.parameters())
        self.opt = optim.Adam(cfg.lr)
        self.opt.init(self.policy.trainable_parameters())
        self.curriculum = Curriculum(threshold=cfg.curriculum_threshold)
        if not cfg.curriculum:
            self.curriculum.level = len(self.curriculum.limits) - 1
        self.step, self.episodes, self.elapsed = 0, 0, 0.0
        self.by_family: dict[str, list[int]] = {}
        for i, t in enumerate(self.tasks[: self.n_user]):
            self.by_family.setdefault(t.family, []).append(i)
        self.family_ema: dict[str, float] = {}
        self.progress = {"ema": 0.0, "best": 0.0, "best_step": 0}  # for target_success and patience
        self.encoder_info = {"model": cfg.encoder_model or None, "layers": cfg.encoder_layers} if encoder else {}
        import mlx.nn as nn

        self.loss_and_grad = nn.value_and_grad(self.policy, self._loss)

    # ------------------------------------------------------------ state
    def state(self) -> dict:
        from dataclasses import asdict

        return {"step": self.step, "episodes": self.episodes, "elapsed": self.elapsed,
                "model": asdict(self.policy.cfg), "encoder": self.encoder_info,
                "curriculum": self.curriculum.state(), "family_ema": self.family_ema, "seed": self.cfg.seed, "algo": self.cfg.algo,
                "progress": self.progress,
                "rng": {"numpy": self.np_rng.bit_generator.state, "python": _py_state(self.py_rng),
                        "mlx_next_key": self._key(self.step).tolist()}}

    def save(self) -> None:
        from bfcore.train import checkpoint

        checkpoint.save(self.ckpt, self.policy, self.opt, self.state())

    def restore(self) -> None:
        """Continue from the run's checkpoint; a mixed, corrupt or foreign one is refused (one line)."""
        from dataclasses import asdict

        from bfcore.train import checkpoint

        ck = checkpoint.find(self.run_dir)
        if ck is None:
            raise TrainError(f"{self.ckpt}: no checkpoint to resume from")
        checkpoint.resume_into(ck, self, asdict(self.policy.cfg))

    def _set_state(self, s: dict) -> None:
        self.step, self.episodes, self.elapsed = int(s["step"]), int(s["episodes"]), float(s["elapsed"])
        self.curriculum.load_state(s["curriculum"])
        self.family_ema = dict(s.get("family_ema", {}))
        self.progress = dict(s.get("progress", self.progress))
        self.np_rng.bit_generator.state = s["rng"]["numpy"]
        self.py_rng.setstate(_py_unstate(s["rng"]["python"]))

    def snapshot(self):
        """The state at an update boundary, for ``rollback``: what a checkpoint holds, in memory (MLX
        arrays are immutable, so keeping references is enough; the JSON round trip copies the rest
        exactly as a save and a resume would)."""
        from mlx.utils import tree_map

        return json.dumps(self.state()), self.policy.parameters(), tree_map(lambda a: a, self.opt.state)

    def rollback(self, snap) -> None:
        state, params, opt_state = snap
        self.policy.update(params)
        self.opt.state = opt_state
        self._set_state(json.loads(state))

    def non_finite(self, stats: dict) -> str | None:
        from bfcore.train.checkpoint import non_finite

        for k in ("policy_loss", "value_loss", "entropy"):
            if not np.isfinite(stats[k]):
                return f"the {k.replace('_', ' ')}"
        bad = non_finite(self.policy.parameters()) or non_finite(self.opt.state)
        return None if bad is None else f"the weight {bad}"

    def _key(self, step: int):
        # per-update keys derived from (seed, step): a resumed run samples exactly what it would have
        return mx.random.key(self.cfg.seed * 1_000_003 + step)

    # ------------------------------------------------------------ one update
    def _pick(self) -> np.ndarray:
        """Task indices for one batch. With family_balance, half the episodes come from families
        drawn with weight 1.1 - (their running success): the batch leans on what fails."""
        cur, cfg = self.curriculum, self.cfg
        n = cfg.batch_size // cfg.group_size if cfg.algo == "grpo" else cfg.batch_size
        pools = {f: [i for i in idx if cur.admits(self.tasks[i])] for f, idx in self.by_family.items()}
        pools = {f: p for f, p in pools.items() if p} or self.by_family
        idx = self.np_rng.choice([i for p in pools.values() for i in p], n)
        if cfg.family_balance:
            # half the batch stays task-uniform: fully balanced batches starved the easy, dense
            # signal early on (measured: 5% vs 55% success after 200 updates)
            fams = sorted(pools)
            w = np.array([1.1 - self.family_ema.get(f, 0.0) for f in fams])
            chosen = self.np_rng.choice(len(fams), n, p=w / w.sum())
            half = self.np_rng.random(n) < 0.5
            for j in np.flatnonzero(half):
                pool = pools[fams[chosen[j]]]
                idx[j] = pool[self.np_rng.integers(len(pool))]
        if cfg.rehearsal:
            old = np.flatnonzero(self.np_rng.random(n) < cfg.rehearsal)
            idx[old] = self.n_user + self.np_rng.integers(len(self.tasks) - self.n_user, size=len(old))
        return np.repeat(idx, cfg.group_size) if cfg.algo == "grpo" else idx

    def stop_reason(self) -> str | None:
        """Why training should stop now: the taught tasks are solved, or they stopped improving."""
        cfg, p = self.cfg, self.progress
        if cfg.target_success and p["ema"] >= cfg.target_success:
            return f"target reached: running success {p['ema']:.0%} >= {cfg.target_success:.0%}"
        if cfg.patience and self.step - p["best_step"] >= cfg.patience:
            return f"stalled: no better running success than {p['best']:.0%} in {cfg.patience} updates"
        return None

    def _track_progress(self, success: float) -> None:
        p = self.progress
        p["ema"] = 0.8 * p["ema"] + 0.2 * success
        if p["ema"] > p["best"] + 1e-3:
            p["best"], p["best_step"] = p["ema"], self.step

    def _track_families(self, tasks, success) -> dict:
        out = {}
        for f in sorted({t.family for t in tasks}):
            s = float(np.mean([ok for t, ok in zip(tasks, success) if t.family == f]))
            self.family_ema[f] = 0.8 * self.family_ema.get(f, 0.0) + 0.2 * s
            out[f] = s
        return out

    def _minibatches(self, rows: np.ndarray) -> list[np.ndarray]:
        """Split one batch into ``minibatches`` parts. The rollout runs part by part and each part is
        one minibatch of the update, padded to its own longest prompt: with ``bucket_rows`` a part
        holds prompts of similar memory sizes (random ties), so short prompts do not pay for the
        batch's longest (2 parts: 66 padded rows a prompt instead of 87 at 45 real ones)."""
        perm = self.np_rng.permutation(len(rows))
        if self.cfg.bucket_rows:
            perm = perm[np.argsort(rows[perm], kind="stable")]
        return np.array_split(perm, self.cfg.minibatches)

    def _rollout(self, tasks):
        """Sample one episode per task, part by part (see ``_minibatches``). Returns the parts, each
        part's MLX features and rollout, and the [B, S] numpy arrays logp, value, alive and byte in
        batch order."""
        from bfcore.agent.features import to_mx

        B = len(tasks)
        # the batch's new prompts in one encode_batch call, whatever the batch size: its chunks
        # then depend only on what the disk cache holds, so a resumed run encodes to the same bits
        self.feat.warm([t.problem for t in tasks], chunk=B)
        parts = self._minibatches(np.array([len(self.feat.memory(t.problem)) for t in tasks]))
        drop = self.np_rng.random(B) < self.cfg.token_dropout if self.cfg.token_dropout else np.zeros(B, bool)
        feats, rolls = [], []
        for mb, key in zip(parts, mx.random.split(self._key(self.step), len(parts))):
            f = self.feat.batch([tasks[i].problem for i in mb])
            if "tok" in f:
                f["tok"][drop[mb]] = -1  # rollout and update both see the same dropped rows
            feats.append(to_mx(f))
            rolls.append(self.policy.unroll(feats[-1], key=key, temperature=self.cfg.temperature))
        mx.eval(rolls)
        S = max(r["actions"].shape[1] for r in rolls)

        def merged(name, fill, dtype):
            out = np.full((B, S), fill, dtype)
            for mb, r in zip(parts, rolls):
                v = np.array(r[name])
                out[mb, : v.shape[1]] = v
            return out

        arrays = (merged("logp", 0.0, np.float32), merged("value", 0.0, np.float32), merged("alive", False, bool),
                  merged("byte", -1, np.int32))
        return parts, feats, rolls, arrays

    def _loss(self, b, actions, old_logp, adv, ret, alive, ref_logp=None, ref_rows=None):
        from bfcore.train.ppo import kl_to_reference, ppo_terms

        o = self.policy.unroll(b, actions=actions)
        pl, vl, ent, kl, cf = ppo_terms(mx, o["logp"], old_logp, adv, o["value"], ret, o["entropy"], alive,
                                        self.cfg.clip)
        vf = self.cfg.vf_coef if self.cfg.algo == "ppo" else 0.0
        loss = pl + vf * vl - self.cfg.ent_coef * ent
        ref_kl = mx.array(0.0)
        if ref_logp is not None:
            ref_kl = kl_to_reference(mx, o["logp"], ref_logp, alive if ref_rows is None else alive & ref_rows)
            loss = loss + self.cfg.kl_coef * ref_kl
        return loss, (pl, vl, ent, kl, cf, ref_kl)

    def update(self) -> dict:
        import mlx.optimizers as optim

        from bfcore.agent.compile import compile_bytes
        from bfcore.rewards import run_programs, score, shaped_rewards
        from bfcore.train.ppo import explained_variance, gae, group_advantages

        cfg = self.cfg
        t0 = time.perf_counter()
        enc0, enc_s0 = self.feat.encoded, self.feat.encode_seconds
        idx = self._pick()
        tasks = [self.tasks[i] for i in idx]
        B = len(idx)
        parts, feats, rolls, (old_logp, values, alive, byte) = self._rollout(tasks)
        t1 = time.perf_counter()
        S = alive.shape[1]
        printed = [bytes(int(x) for x in row if x >= 0) for row in byte]
        programs = [compile_bytes(p)[0] for p in printed]
        outputs, statuses = run_programs(programs, tasks)
        sc = score(outputs, statuses, tasks, programs, cfg.reward_weights)
        if cfg.algo == "ppo":
            rewards = shaped_rewards(printed, [t.target for t in tasks], sc.total, alive.sum(1), S, cfg.shaping)
            adv, ret = gae(rewards, values, alive, cfg.gamma, cfg.gae_lambda)
        else:
            adv = group_advantages(sc.total, cfg.group_size)[:, None] * alive
            ret = np.zeros_like(adv)
        ref = None
        if self.ref is not None:  # the starting policy's log-probs of the sampled actions, per part
            ref = [self.ref.unroll(feats[j], actions=rolls[j]["actions"])["logp"] for j in range(len(parts))]
            mx.eval(ref)
        # with kl_on 'rehearsal' only the old tasks' episodes are held to the starting policy
        ref_rows = [mx.array((idx[mb] >= self.n_user)[:, None]) if cfg.kl_on == "rehearsal" else None
                    for mb in parts]
        t2 = time.perf_counter()
        logs = []
        for _ in range(cfg.epochs):
            for j in self.np_rng.permutation(len(parts)):
                mb = parts[j]
                a = adv[mb]
                if cfg.norm_adv:
                    w = alive[mb]
                    mu = (a * w).sum() / max(w.sum(), 1)
                    sd = np.sqrt((((a - mu) ** 2) * w).sum() / max(w.sum(), 1))
                    a = (a - mu) / (sd + 1e-8) * w
                n = int(alive[mb].any(0).sum())  # steps after every episode ended cost time, not loss
                # actions index this part's own memory rows, so each part keeps its own features
                (loss, aux), grads = self.loss_and_grad(
                    feats[j], rolls[j]["actions"][:, :n], mx.array(old_logp[mb, :n]),
                    mx.array(a[:, :n], mx.float32), mx.array(ret[mb, :n], mx.float32), mx.array(alive[mb, :n]),
                    None if ref is None else ref[j][:, :n], ref_rows[j])
                grads, _ = optim.clip_grad_norm(grads, cfg.max_grad_norm)
                self.opt.update(self.policy, grads)
                mx.eval(self.policy.parameters(), self.opt.state, aux)
                logs.append([float(x) for x in aux])
        self.step += 1
        self.episodes += B
        # encoding new prompts is set-up, as it was when it all ran before step 1: not counted in
        # the run's training time (minutes, sps), reported as time/encode
        encode_s = self.feat.encode_seconds - enc_s0
        dt = time.perf_counter() - t0 - encode_s
        self.elapsed += dt
        lg = np.array(logs)
        live = alive.astype(bool)
        user = idx < self.n_user
        out = {"episodic_return": float(sc.total[user].mean()), "success_rate": float(sc.success[user].mean()),
               "policy_loss": lg[:, 0].mean(), "value_loss": lg[:, 1].mean(), "entropy": lg[:, 2].mean(),
               "approx_kl": lg[:, 3].mean(), "clipfrac": lg[:, 4].mean(), "seconds": dt, "episodes": B,
               "explained_variance": explained_variance(values[live], ret[live]) if cfg.algo == "ppo" else float("nan"),
               "first_ratio_kl": logs[0][3], "time/rollout": t1 - t0 - encode_s, "time/score": t2 - t1,
               "time/encode": encode_s, "prompts_encoded": self.feat.encoded - enc0,
               "time/optimize": time.perf_counter() - t2}
        if self.ref is not None:
            out["kl_ref"] = lg[:, 5].mean()
        if cfg.rehearsal:  # the old skills, apart from the tasks being taught
            out["rehearsal_success"] = float(sc.success[~user].mean()) if (~user).any() else float("nan")
        for n, v in sc.parts.items():
            out[f"reward/{n}"] = float(v.mean())
        self._track_progress(out["success_rate"])
        if self.n_user <= PER_TASK_MAX:  # a person's own few tasks: each one's success, by prompt
            out["_task_success"] = [(tasks[i].problem, bool(sc.success[i])) for i in np.flatnonzero(user)]
        out["_family_success"] = self._track_families([t for t, u in zip(tasks, user) if u], sc.success[user])
        # the level follows the mean over families, not the batch (which leans on the failing ones)
        fam = self.family_ema if self.cfg.family_balance else None
        self.curriculum.update(float(np.mean(list(out["_family_success"].values()))) if fam else out["success_rate"])
        out["_samples"] = [{"family": tasks[i].family, "prompt": tasks[i].problem, "program": programs[i],
                            "output": outputs[i][0].decode("latin-1"), "reward": round(float(sc.total[i]), 4)}
                           for i in range(min(cfg.samples_per_report, B))]
        return out


def _py_state(rng: random.Random):
    v, s, g = rng.getstate()
    return [v, list(s), g]


def _py_unstate(s):
    return (s[0], tuple(s[1]), s[2])


def _aggregate(stats: list[dict], trainer: Trainer) -> dict:
    skip = ("seconds", "episodes", "first_ratio_kl", "stopped")
    keys = [k for k in stats[0] if not k.startswith("_") and k not in skip]
    rep = {"step": trainer.step, "episodes": trainer.episodes, "time": round(trainer.elapsed, 3)}
    if "stopped" in stats[-1]:
        rep["stopped"] = stats[-1]["stopped"]
    if trainer.cfg.target_success or trainer.cfg.patience:
        rep["running_success"] = round(trainer.progress["ema"], 4)
    for k in keys:
        vals = [s[k] for s in stats if s[k] == s[k]]
        rep[k] = float(np.mean(vals)) if vals else None
    secs = sum(s["seconds"] for s in stats)
    rep["sps"] = sum(s["episodes"] for s in stats) / max(secs, 1e-9)
    rep["curriculum_level"] = trainer.curriculum.level
    fam: dict[str, list[float]] = {}
    for s in stats:
        for f, v in s["_family_success"].items():
            fam.setdefault(f, []).append(v)
    rep["family_success"] = {f: round(float(np.mean(v)), 4) for f, v in sorted(fam.items())}
    if "_task_success" in stats[0]:
        per: dict[str, list[bool]] = {}
        for s in stats:
            for prompt, ok in s["_task_success"]:
                per.setdefault(prompt, []).append(ok)
        rep["task_success"] = {p: round(float(np.mean(v)), 4) for p, v in per.items()}
    rep["samples"] = stats[-1]["_samples"]
    return rep


def train(config, on_report=None, should_stop=None, on_progress=None) -> Path:
    """Train per ``config``; returns the run directory. Saves a checkpoint every ``save_every``
    updates and whenever training ends (``steps``, ``minutes``, ``should_stop()``, Ctrl-C or SIGTERM,
    then re-raised as KeyboardInterrupt, or divergence), always at an update boundary.
    ``on_progress(step, done, total)``: prompts encoded so far of those the coming update needs."""
    from bfcore.train import run

    cfg = config
    _check(cfg)
    run_dir = _run_dir(cfg)
    with run.locked(run_dir, cfg.resume, "use --resume, or another --run"):
        trainer = Trainer(cfg, run_dir, on_progress=on_progress)
        if cfg.resume:
            trainer.restore()
        run.drive(trainer, run_dir, cfg.to_dict(), lambda stats: _aggregate(stats, trainer),
                  steps=cfg.steps, minutes=cfg.minutes, report_every=cfg.report_every,
                  save_every=cfg.save_every, on_report=on_report, should_stop=should_stop)
    return run_dir
