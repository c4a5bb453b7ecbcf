"""Training the synthesis agent: policy gradient plus a priority queue of the best programs found.

Each update draws ``keys_per_batch`` tasks (a family and its parameters, e.g. "add" with k=3), one
training phrasing each and *fresh* random test inputs, samples ``samples_per_key`` programs per
task, runs them all on the tests (``run_many``) and learns from two signals:

* REINFORCE with group-relative advantages (GRPO's baseline: each program's reward against the
  other programs written for the same task), plus an entropy bonus;
* PQT's priority queue: the best ``queue_size`` distinct programs found so far for each task are
  imitated (maximum likelihood) under whatever phrasing the task is drawn with, so a program found
  for "reverse the input" is also learned for "print the input backwards". Queue entries are
  re-scored on every draw's fresh inputs, so a program that only fits earlier inputs sinks.

NPE (programs executed, each on all its tests, as PQT counts) is logged with the usual metric names.
The queue holds only what the agent itself wrote: no hand-written program enters it.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np

from bfcore.configcheck import ConfigError, above, at_least, between, check
from bfcore.synth.library import SOLVED_REWARD, library_of

BIG = 10**9
# Bounds of SynthTrainConfig's fields (configcheck adds the type of each default).
RULES = {
    "seed": between(0, 2**32 - 1), "steps": between(0, BIG), "minutes": between(0, BIG),
    "per_family": between(1, 10**7), "keys_per_batch": between(1, 1 << 16),
    "samples_per_key": between(1, 1 << 16), "n_tests": between(1, 1000), "lr": above(0),
    "ent_coef": at_least(0), "pqt_weight": at_least(0), "queue_size": between(1, 10**6),
    "imitate_top": between(0, 10**6), "mutants_per_key": between(0, 1 << 20),
    "enum_every": between(0, BIG), "enum_seconds": at_least(0), "enum_share": between(0, 1),
    "enum_beam": between(1, 10**7), "enum_wide_after": between(0, BIG),
    "temperature": above(0), "grad_clip": above(0),
    "report_every": between(1, BIG), "save_every": between(1, BIG), "hidden": between(1, 4096),
    "max_len": between(1, 1024), "focus": between(0, 1), "near": between(0, 1),
    "near_k": between(1, 1000), "distill": at_least(0), "boost": between(0, 1),
}


@dataclass
class SynthTrainConfig:
    run_dir: str = "runs/synth"
    seed: int = 0
    steps: int = 2000               # updates (0: no limit; minutes then ends the run)
    minutes: float = 0.0            # stop after this much training time (0: no limit)
    families: list[str] = field(default_factory=list)  # empty: every family
    per_family: int = 200           # training tasks drawn per family (phrasings x parameters)
    keys_per_batch: int = 16
    samples_per_key: int = 32
    n_tests: int = 6
    lr: float = 1e-3
    ent_coef: float = 0.05
    pqt_weight: float = 1.0
    queue_size: int = 10
    queue_min_reward: float = 0.0   # only programs at least this good are imitated
    imitate_top: int = 10           # how many of a task's queue entries are imitated per draw
    mutants_per_key: int = 128      # local-search edits of a task's best programs, per draw
    enum_every: int = 10            # updates between enumerative searches (0: none)
    enum_seconds: float = 10.0      # time cap of one enumerative search (doubled per failure
                                    # on the same task, up to 4x)
    enum_share: float = 0.3         # at most this share of training time goes to them
    enum_beam: int = 2000           # states kept per level of it
    enum_wide_after: int = 1        # failed searches on a task after which its searches also
                                    # try loops in loops and test constants (+30-50% a level),
                                    # or, every other time, ifs in loops
    temperature: float = 1.0
    grad_clip: float = 1.0
    report_every: int = 10
    save_every: int = 100
    hidden: int = 128
    max_len: int = 32
    observe: bool = True
    init_from: str = ""             # a synth checkpoint to start from (weights and queue)
    focus: float = 0.0              # share of each batch drawn from a user's tasks (teaching),
                                    # the rest rehearses the families
    near: float = 0.0               # share of that rehearsal drawn from the near_k families whose
    near_k: int = 3                 # phrasings are nearest the user's (where teaching interferes)
    distill: float = 0.0            # weight of KL(start || policy) on the rehearsal episodes'
                                    # steps (learning without forgetting); needs init_from
    boost: float = 0.0              # share of each batch drawn from boost_families (a family
    boost_families: list[str] = field(default_factory=list)  # that gained actions: copies)
    resume: bool = False

    def __post_init__(self) -> None:
        check(self, RULES)  # ConfigError names the field; every way of making one is checked

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "SynthTrainConfig":
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ConfigError(f"unknown config keys: {', '.join(unknown)}", unknown[0])
        return cls(**d)


def parse_overrides(items: list[str]) -> dict:
    """``FIELD=VALUE`` strings (a script's ``--set``) as config values: JSON where the value
    looks like a number, a bool, a list or an object, else the string; an unknown field is a
    ConfigError that names it."""
    names = {f.name for f in fields(SynthTrainConfig)}
    out = {}
    for item in items:
        name, _, value = item.partition("=")
        if name not in names:
            raise ConfigError(f"{item}: no config field {name!r}", name)
        out[name] = json.loads(value) if value[:1] in "[{0123456789-tf" else value
    return out


def task_key(task) -> str:
    """The queue a task's programs go to. A family that reads input has one program for every
    parameter value (its parameter runs read k or the letter from the prompt), so it shares one
    queue; a constant family's answer depends on its values, so each combination has its own."""
    from bfcore.synth.families import FAMILIES, task_params

    if task.family not in FAMILIES:  # a user's task: its own tests, its own queue
        return json.dumps(["custom", task.problem])
    if FAMILIES[task.family].reads_input:
        return json.dumps([task.family])
    return json.dumps([task.family, task_params(task)], sort_keys=True)


def is_custom(key: str) -> bool:
    """Whether a queue key is a user's task (:func:`task_key` gave it), not a family's."""
    return key.startswith('["custom"')


class Queue:
    """The best distinct action sequences per task key, by mean reward over every scoring so far
    (a sequence is scored under the phrasing and the inputs of each draw it is re-run on)."""

    def __init__(self, size: int):
        self.size = size
        self.entries: dict[str, dict[tuple, list]] = {}  # key -> actions -> [reward sum, n]

    def add(self, key: str, actions, reward: float) -> None:
        q = self.entries.setdefault(key, {})
        acts = tuple(map(int, actions))
        e = q.get(acts)
        if e is None:
            q[acts] = [reward, 1]
        else:
            e[0] += reward
            e[1] += 1
        if len(q) > self.size:
            del q[min(q, key=lambda a: q[a][0] / q[a][1])]

    def best(self, key: str, min_reward: float = -1e9) -> list[tuple[list[int], float]]:
        q = self.entries.get(key, {})
        out = [(list(a), e[0] / e[1]) for a, e in q.items() if e[0] / e[1] >= min_reward]
        return sorted(out, key=lambda x: -x[1])

    def solved(self, key: str) -> bool:
        """Whether some entry of the task passed (nearly) every test it was run on."""
        return any(e[0] / e[1] >= SOLVED_REWARD for e in self.entries.get(key, {}).values())

    def drop(self, key: str, actions) -> None:
        """Take an entry out, unless it is solved: a draw whose phrasing gives a solved program no
        fact (the letter of "drop all as" was not read) fails every program alike, and dropping
        the losers of that draw emptied remove's queue of its one solved program in a 30-min run."""
        q, t = self.entries.get(key, {}), tuple(map(int, actions))
        if t in q and q[t][0] / q[t][1] < SOLVED_REWARD:
            del q[t]

    def state(self) -> dict:
        return {k: [[list(a), e[0], e[1]] for a, e in q.items()] for k, q in self.entries.items()}

    def load(self, s: dict) -> None:
        self.entries = {k: {tuple(a): [r, n] for a, r, n in q} for k, q in s.items()}


class Embedder:
    """Pooled prompt states from the frozen encoder, cached per prompt (numpy, thread-agnostic)."""

    def __init__(self, encoder):
        self.encoder, self.cache = encoder, {}

    def __call__(self, prompts: list[str]) -> np.ndarray:
        todo = list(dict.fromkeys(p for p in prompts if p not in self.cache))
        for i in range(0, len(todo), 128):
            chunk = todo[i:i + 128]
            _, _, pooled = self.encoder.encode_batch(chunk)
            for p, v in zip(chunk, np.array(pooled, np.float32)):
                self.cache[p] = v
        return np.stack([self.cache[p] for p in prompts])


class SynthTrainer:
    def __init__(self, cfg: SynthTrainConfig, encoder=None, tasks=None, run_config=None):
        """``run_config``: how programs run on the tests (default
        :data:`bfcore.synth.score.CONFIG`; PQT's tasks stop at 4,999 steps)."""
        from bfcore.runtime import mx
        import mlx.optimizers as optim

        from bfcore.synth.policy import SynthConfig, SynthPolicy
        from bfcore.synth.score import CONFIG

        self.cfg = cfg
        self.run_config = run_config or CONFIG
        self.rng = np.random.default_rng(cfg.seed)
        self.pyrng = random.Random(cfg.seed)
        mx.random.seed(cfg.seed)
        if encoder is None:
            from bfcore.encoder import load_encoder

            encoder = load_encoder(None, layers=4)
        self.encoder = encoder
        self.embed = Embedder(encoder)
        self.policy = SynthPolicy(SynthConfig(hidden=cfg.hidden, enc_dim=encoder.dim,
                                              max_len=cfg.max_len, observe=cfg.observe))
        if cfg.init_from:
            self.policy.load_weights(str(Path(cfg.init_from) / "model.safetensors"))
        mx.eval(self.policy.parameters())
        self.ref = None  # the starting policy, frozen, that rehearsal is distilled from
        if cfg.distill and cfg.init_from:
            self.ref = SynthPolicy(self.policy.cfg)
            self.ref.load_weights(str(Path(cfg.init_from) / "model.safetensors"))
            self.ref.freeze()
            mx.eval(self.ref.parameters())
        self.opt = optim.Adam(learning_rate=cfg.lr)
        # now rather than at the first update: a checkpoint's optimizer state is checked against it
        self.opt.init(self.policy.trainable_parameters())
        self.queue = Queue(cfg.queue_size)
        if cfg.init_from:  # and its library: what it solved stays solved and imitated
            self._init_queue(Path(cfg.init_from) / "state.json")
        self.step, self.npe, self.elapsed, self.episodes = 0, 0, 0.0, 0
        self.found: dict[str, str] = {}  # key -> the first program that passed a draw's tests
        self.enum_npe, self.enum_found, self.enum_time = 0, 0, 0.0
        self.enum_fails: dict[str, int] = {}  # key -> enumerative searches that found nothing
        self._lib = None
        self._set_tasks(tasks)
        if cfg.init_from:
            self._rescore_queue()

    def _init_queue(self, path: Path) -> None:
        try:
            q = json.loads(path.read_text()).get("queue")
            if isinstance(q, dict):
                self.queue.load(q)
        except (OSError, ValueError, TypeError) as exc:
            raise ConfigError(f"init_from: {path}: unreadable queue ({exc})", "init_from") from None

    def _rescore_queue(self) -> None:
        """Score a carried-over queue afresh on this run's tasks, one scoring per program: its
        rewards were means under the rules of the run that found them, and a rule changed since
        (a family's cap on program text) would otherwise stay stale for hundreds of draws. Keys
        this run has no task for keep their entries."""
        from bfcore.synth.actions import prompt_params, to_program
        from bfcore.synth.score import score_programs

        items = [(k, acts) for k, q in self.queue.entries.items() if k in self.by_key for acts in q]
        if not items:
            return
        tasks = [self.by_key[k][0] for k, _ in items]
        progs = [to_program(a, prompt_params(t.problem))[0] for (_, a), t in zip(items, tasks)]
        scored = score_programs(progs, [t.tests for t in tasks], [len(a) - 1 for _, a in items],
                                config=self.run_config,
                                caps=[self._cap(k, t.tests) for (k, _), t in zip(items, tasks)])
        for (k, acts), s in zip(items, scored):
            self.queue.entries[k][acts] = [s.reward, 1]

    def _set_tasks(self, tasks) -> None:
        from bfcore.synth.families import make_tasks

        if tasks is None:
            tasks = make_tasks("train", self.cfg.per_family, seed=self.cfg.seed,
                               families=self.cfg.families or None, n_tests=self.cfg.n_tests)
        self.by_key: dict[str, list] = {}
        for t in tasks:
            self.by_key.setdefault(task_key(t), []).append(t)
        self.family_keys: dict[str, list[str]] = {}
        for k in sorted(self.by_key):
            self.family_keys.setdefault(json.loads(k)[0], []).append(k)
        self.family_names = sorted(self.family_keys)
        missing = sorted(set(self.cfg.boost_families) - set(self.family_keys))
        if missing:
            raise ConfigError(f"boost_families: no tasks of family {missing[0]!r} in this run",
                              "boost_families")
        self._near: list[str] | None = None
        self.embed([t.problem for ts in self.by_key.values() for t in ts])

    # ---------------------------------------------------------------- one update
    def _draw(self):
        from bfcore.synth.families import FAMILIES, fresh_tests

        n, fams = self.cfg.keys_per_batch, self.family_names
        # families uniformly (a constant family has a key per value, an input family one), distinct
        # while there are enough: one key drawn many times in a batch would be imitated many times
        keys = []
        custom = self.family_keys.get("custom", [])
        if self.cfg.focus and custom:  # teaching: the user's tasks, distinct while they last
            m = max(1, round(self.cfg.focus * n))
            keys = [custom[int(i)] for i in self.rng.choice(len(custom), m, replace=len(custom) < m)]
            fams = [f for f in fams if f != "custom"] or fams
            near = self._near_families()
            m = min(round(self.cfg.near * (n - len(keys))), n - len(keys)) if near else 0
            keys += [self._key_of(f) for f in (self.rng.choice(near, m) if m else [])]
        if self.cfg.boost_families:  # each has tasks (_set_tasks checked)
            m = round(self.cfg.boost * (n - len(keys)))
            keys += [self._key_of(f) for f in self.rng.choice(self.cfg.boost_families, m)]
        picked = self.rng.choice(len(fams), n - len(keys), replace=len(fams) < n - len(keys))
        keys += [self._key_of(fams[f]) for f in picked]
        drawn = []
        for k in keys:
            task = self.pyrng.choice(self.by_key[k])
            if task.family in FAMILIES:
                tests = fresh_tests(task, seed=int(self.rng.integers(1 << 31)), n=self.cfg.n_tests)
            else:
                tests = task.tests  # a user's task has only the tests it came with
            drawn.append((k, task.problem, tests))
        return drawn

    def _key_of(self, family: str) -> str:
        """One of the family's task keys, at random."""
        ks = self.family_keys[family]
        return ks[int(self.rng.integers(len(ks)))]

    def _near_families(self) -> list[str]:
        """The ``near_k`` families whose phrasings are nearest the user's tasks' (cosine of mean
        pooled prompt states, centred on all prompts): teaching "three times" pulled the
        twice_each phrasings to the taught program, so those are the ones to rehearse."""
        if self.cfg.near <= 0 or "custom" not in self.family_keys:
            return []
        if self._near is None:
            fams = [f for f in self.family_names if f != "custom"]
            groups = [[t.problem for k in self.family_keys[f] for t in self.by_key[k]][:64]
                      for f in ["custom", *fams]]
            vecs = self.embed([p for g in groups for p in g]).astype(np.float64)
            vecs -= vecs.mean(0)
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True) + 1e-9
            cents, i = [], 0
            for g in groups:
                cents.append(vecs[i:i + len(g)].mean(0))
                i += len(g)
            sims = [float(c @ cents[0]) / (np.linalg.norm(c) * np.linalg.norm(cents[0]) + 1e-9)
                    for c in cents[1:]]
            self._near = [fams[j] for j in np.argsort(sims)[::-1][:self.cfg.near_k]]
        return self._near

    def update(self) -> dict:
        from bfcore.runtime import mx
        import mlx.nn as nn
        import mlx.optimizers as optim

        from bfcore.synth.actions import prompt_params, to_program
        from bfcore.synth.policy import batch_arrays, replay, rollout
        from bfcore.synth.score import score_programs

        t0 = time.perf_counter()
        self._lib = None  # the solved-program library, gathered once per update when needed
        cfg, S = self.cfg, self.cfg.samples_per_key
        drawn = self._draw()
        dparams = [prompt_params(p) for _, p, _ in drawn]  # one per drawn task
        prompts = [p for _, p, _ in drawn for _ in range(S)]
        params = [dp for dp in dparams for _ in range(S)]
        tests = [t for _, _, t in drawn for _ in range(S)]
        pooled = self.embed(prompts)
        eps = rollout(self.policy, pooled, params, [t[0][0] for t in tests], self.rng, cfg.temperature)
        t_sample = time.perf_counter()
        # the queue's programs for these tasks are re-scored on the same fresh inputs, beside
        # edits of the best of them (local search)
        q_items, n_mut = [], 0
        for j, (k, _, _) in enumerate(drawn):
            best = self.queue.best(k)
            muts = self._mutants(dparams[j], best) + self._siblings(k)
            n_mut += len(muts)
            q_items += [(j, acts) for acts, _ in best] + [(j, m) for m in muts]
        q_progs = [to_program(a, dparams[j])[0] for j, a in q_items]
        progs = [e.program for e in eps] + q_progs
        dcaps = [self._cap(k, ts) for k, _, ts in drawn]
        scored = score_programs(progs, tests + [drawn[j][2] for j, _ in q_items],
                                [len(e.actions) - 1 for e in eps] + [len(a) - 1 for _, a in q_items],
                                config=self.run_config,
                                caps=[dcaps[i // S] for i in range(len(eps))]
                                + [dcaps[j] for j, _ in q_items])
        self.npe += len(eps) + n_mut
        self.episodes += len(eps)
        t_run = time.perf_counter()
        rewards = np.array([s.reward for s in scored[:len(eps)]], np.float32)
        rows = [i // S for i in range(len(eps))] + [j for j, _ in q_items]
        all_acts = [e.actions for e in eps] + [a for _, a in q_items]
        self._enqueue(drawn, rows, all_acts, scored)
        for i, s in enumerate(scored):
            j = i // S if i < len(eps) else q_items[i - len(eps)][0]
            if s.solved and drawn[j][0] not in self.found:
                self.found[drawn[j][0]] = progs[i]
        g = rewards.reshape(-1, S)
        adv = ((g - g.mean(1, keepdims=True)) / (g.std(1, keepdims=True) + 1e-6)).reshape(-1)
        # imitation targets: each drawn task's best programs, replayed under this draw's phrasing
        imit, imit_rows = [], []
        for j, (k, _, ts) in enumerate(drawn):
            for acts, r in self.queue.best(k, cfg.queue_min_reward)[:cfg.imitate_top]:
                ep = replay(acts, dparams[j], ts[0][0], self.policy.cfg)
                if ep is not None:
                    imit.append(ep)
                    imit_rows.append(j * S)
        n_imit = len(imit)
        # teaching: the person's solved programs written under the rehearsal prompts, to be held
        # to the start's distribution there (distilled, never imitated), so a taught program
        # does not climb above an old family's own in the library's ranking
        held, held_rows = self._held_out_of_rehearsal(drawn, dparams) if self.ref else ([], [])
        forced, forced_rows = imit + held, imit_rows + held_rows  # scored teacher-forced
        arrays = batch_arrays(eps + forced)
        pooled_all = mx.array(np.concatenate([pooled, pooled[forced_rows]]) if forced else pooled)
        n_rl = len(eps)
        adv_mx = mx.array(adv)
        ref_lp, old = self._reference(drawn, pooled_all, arrays, n_rl, forced_rows)

        def loss_fn(model):
            logp, ent, logits = model.scored(pooled_all, *arrays)
            valid = arrays[4]
            pg = -(adv_mx * logp[:n_rl]).mean()
            loss = pg - cfg.ent_coef * ent[:n_rl].mean()
            if n_imit:
                loss = loss - cfg.pqt_weight * logp[n_rl:n_rl + n_imit].mean()
            kl = mx.array(0.0)
            if ref_lp is not None:  # each rehearsal episode's summed KL(start || now) per step
                lp = logits - mx.logsumexp(logits, axis=-1, keepdims=True)
                step_kl = mx.where(arrays[2], mx.exp(ref_lp) * (ref_lp - lp), 0).sum(-1)
                kl = ((step_kl * valid).sum(1) * old).sum() / mx.maximum(old.sum(), 1)
                loss = loss + cfg.distill * kl
            return loss, (pg, ent[:n_rl].mean(), kl)

        (loss, (pg, ent, kl)), grads = nn.value_and_grad(self.policy, loss_fn)(self.policy)
        grads, gnorm = optim.clip_grad_norm(grads, cfg.grad_clip)
        self.opt.update(self.policy, grads)
        mx.eval(self.policy.parameters(), self.opt.state, loss)
        self.step += 1
        t1 = time.perf_counter()
        enum = 0.0
        if (cfg.enum_every and self.step % cfg.enum_every == 0
                and self.enum_time <= cfg.enum_share * self.elapsed):
            enum = self.discover()
            self.enum_time += enum
        self.elapsed += time.perf_counter() - t0
        solved = np.array([s.solved for s in scored[:len(eps)]]).reshape(-1, S)
        return {"time_enum": enum, "episodic_return": float(rewards.mean()), "success_rate": float(solved.mean()),
                "task_solved": float(solved.any(1).mean()), "loss": float(loss.item()),
                "policy_loss": float(pg.item()), "entropy": float(ent.item()),
                "unique": len({e.program for e in eps}) / len(eps),
                "length": float(np.mean([len(e.actions) - 1 for e in eps])),
                "grad_norm": float(gnorm.item()), "imitated": n_imit, "kl_ref": float(kl.item()),
                "time_sample": t_sample - t0, "time_run": t_run - t_sample, "time_update": t1 - t_run}

    def _held_out_of_rehearsal(self, drawn, dparams, most: int = 2):
        """Episodes of up to ``most`` of the person's solved programs, replayed under each
        rehearsal draw's phrasing and first test input, with the rows of their prompts."""
        from bfcore.synth.policy import replay

        S = self.cfg.samples_per_key
        mine = list(dict.fromkeys(tuple(acts) for k in self.family_keys.get("custom", [])
                                  if self.queue.solved(k) for acts, _ in self.queue.best(k)[:1]))
        mine = [list(a) for a in mine[:most]]
        out, rows = [], []
        for j, (k, _, ts) in enumerate(drawn):
            if not mine or is_custom(k):
                continue
            for acts in mine:
                ep = replay(acts, dparams[j], ts[0][0], self.policy.cfg)
                if ep is not None:
                    out.append(ep)
                    rows.append(j * S)
        return out, rows

    def _reference(self, drawn, pooled_all, arrays, n_rl: int, forced_rows: list[int]):
        """The starting policy's log-probabilities [B, T, A] on this update's episodes, and a
        [B] mask of those drawn for rehearsal (not the user's tasks); (None, None) when there is
        nothing to distil."""
        from bfcore.runtime import mx

        if self.ref is None:
            return None, None
        S = self.cfg.samples_per_key
        rows = [i // S for i in range(n_rl)] + [r // S for r in forced_rows]
        old = np.array([not is_custom(drawn[j][0]) for j in rows], np.float32)
        if not old.any():
            return None, None
        logits = self.ref.forced_logits(pooled_all, *arrays[:3])
        ref_lp = logits - mx.logsumexp(logits, axis=-1, keepdims=True)
        mx.eval(ref_lp)
        return mx.stop_gradient(ref_lp), mx.array(old)

    def discover(self) -> float:
        """One enumerative search (:mod:`bfcore.synth.enumerate`) on a task no queue entry solves
        yet, on fresh tests; a program it finds joins that task's queue like a sampled one, to be
        imitated. Sampling and edits earn partial credit on the way to most programs; this finds
        the needles (``,[>,]<.`` for "the last byte") that nothing on the way to them earns.
        Returns the seconds it took."""
        from bfcore.synth.actions import prompt_params, to_program
        from bfcore.synth.enumerate import enumerate_search
        from bfcore.synth.families import FAMILIES, fresh_tests
        from bfcore.synth.policy import replay
        from bfcore.synth.score import score_programs

        t0 = time.perf_counter()
        unsolved: dict[str, list[str]] = {}
        for f, keys in self.family_keys.items():
            ks = [k for k in keys if not self.queue.solved(k)]
            if ks:
                unsolved[f] = ks
        if not unsolved:
            return 0.0
        if self.cfg.focus and "custom" in unsolved:  # teaching: the person's tasks come first
            unsolved = {"custom": unsolved["custom"]}
        # the family searched least so far (ties at random): with a uniform draw one family got
        # 9 searches and another 1 in a 390-update segment
        tried = {f: sum(self.enum_fails.get(k, 0) for k in self.family_keys[f]) for f in unsolved}
        least = min(tried.values())
        fams = sorted(f for f in unsolved if tried[f] == least)
        keys = unsolved[fams[int(self.rng.integers(len(fams)))]]
        key = keys[int(self.rng.integers(len(keys)))]
        task = self.pyrng.choice(self.by_key[key])
        tests = (fresh_tests(task, seed=int(self.rng.integers(1 << 31)), n=self.cfg.n_tests)
                 if task.family in FAMILIES else task.tests)
        params = prompt_params(task.problem)
        cap = self._cap(key, tests)
        fails = self.enum_fails.get(key, 0)
        wide = fails >= self.cfg.enum_wide_after
        # wide searches try ifs in loops and loops in loops by turns (odd failure counts the
        # ifs): both at once took count past 80 s, each alone finds what it finds in under 40
        cond = wide and fails % 2 == 1
        r = enumerate_search(tests, params, beam=self.cfg.enum_beam, max_len=self.cfg.max_len,
                             seconds=self.cfg.enum_seconds * 2 ** min(fails, 2), rng=self.rng,
                             nested=wide and not cond, constants=wide and not cond,
                             conditional=cond, max_chars=cap)
        self.npe += r.npe
        self.enum_npe += r.npe
        if r.actions is None:
            self.enum_fails[key] = fails + 1
        elif replay(r.actions, params, tests[0][0], self.policy.cfg):
            prog = to_program(r.actions, params)[0]
            s = score_programs([prog], [tests], [len(r.actions) - 1], config=self.run_config,
                               caps=[cap])[0]
            self.queue.add(key, r.actions, s.reward)
            if s.solved:
                self.enum_found += 1
                self.found.setdefault(key, prog)
        return time.perf_counter() - t0

    def _cap(self, key: str, tests) -> int | None:
        """The task's cap on program text (:func:`~bfcore.synth.families.text_cap`)."""
        from bfcore.synth.families import text_cap

        return text_cap(self.by_key[key][0].family, tests)

    def _enqueue(self, drawn, rows, all_acts, scored) -> None:
        """Queue this update's programs, one per behaviour: of the programs that printed the same
        outputs on a draw's tests only the best (the shortest) goes in, and the others leave the
        queue unless solved (:meth:`Queue.drop`), so its entries stay distinct programs rather than one program with junk around it
        (which starved local search of anything new to edit)."""
        groups: dict[tuple, tuple] = {}
        for j, acts, s in zip(rows, all_acts, scored):
            sig = (j, s.outputs, s.statuses)
            if sig not in groups or s.reward > groups[sig][1].reward:
                groups[sig] = (acts, s)
        winners = {(j, tuple(map(int, a))) for (j, *_), (a, _) in groups.items()}
        for j, acts, s in zip(rows, all_acts, scored):
            key, t = drawn[j][0], tuple(map(int, acts))
            if (j, t) in winners:
                self.queue.add(key, acts, s.reward)
            else:
                self.queue.drop(key, t)

    def _mutants(self, params, best) -> list[list[int]]:
        """Edits of the task's three best programs and of two that solved other tasks (and
        those two unedited)."""
        from bfcore.synth.mutate import mutants

        n = self.cfg.mutants_per_key
        if not n or not best:
            return []
        out = []
        parents = best[:3]
        # and programs that solved other tasks: "print the last byte" is a few edits from
        # "echo", and the agent's own finds are the best starting points it has
        if self._lib is None:
            self._lib = self._library()
        lib = self._lib
        for i in self.rng.choice(len(lib), min(2, len(lib)), replace=False) if lib else ():
            parents.append((lib[int(i)], 0.0))
            # as it is, too: a program with parameter runs that solved "print 150 x's" solves
            # "print 90 q's", and a constant family has a queue per value
            out.append(lib[int(i)])
        for i, (acts, _) in enumerate(parents):
            k = n // len(parents) + (i < n % len(parents))
            out += mutants(acts, params, self.rng, k, self.cfg.max_len, self.policy.cfg.max_depth)
        return out

    def _siblings(self, key: str) -> list[list[int]]:
        """For a person's task, the programs that solved their other tasks, unedited: the tasks
        of one teaching are mostly one kind of request, and the library's two random picks
        rarely hit the one program among many that solved a sibling."""
        custom = self.family_keys.get("custom", ())
        if key not in custom:
            return []
        return [a for k in custom if k != key for a, r in self.queue.best(k, SOLVED_REWARD)[:1]]

    def _library(self) -> list[list[int]]:
        """Every queued program that passed (nearly) all its tests, for any task."""
        return library_of(self.queue.state())

    # ---------------------------------------------------------------- checkpoints
    def state(self) -> dict:
        from bfcore.synth.policy import config_dict
        from bfcore.train.loop import _py_state

        return {"kind": "synth", "step": self.step, "npe": self.npe, "elapsed": self.elapsed,
                "episodes": self.episodes, "enum_npe": self.enum_npe, "enum_found": self.enum_found,
                "enum_fails": self.enum_fails, "enum_time": self.enum_time,
                "model": config_dict(self.policy.cfg), "config": self.cfg.to_dict(),
                "encoder": {"model": self.encoder.identity[0] if isinstance(self.encoder.identity, tuple)
                            else None, "layers": 4},
                "rng": self.rng.bit_generator.state, "pyrng": _py_state(self.pyrng),
                "queue": self.queue.state()}

    def save(self, run_dir: Path | None = None) -> None:
        from bfcore.train import checkpoint

        run_dir = Path(run_dir if run_dir is not None else self.cfg.run_dir)
        checkpoint.save(run_dir / "checkpoint", self.policy, self.opt, self.state())

    def restore(self, ckpt: Path) -> None:
        """Continue from a checkpoint; a mixed, corrupt or foreign one is refused (one line)."""
        from bfcore.synth.policy import config_dict
        from bfcore.train import checkpoint

        checkpoint.resume_into(ckpt, self, config_dict(self.policy.cfg), kind="synth")

    def _set_state(self, st: dict) -> None:
        from bfcore.train.loop import _py_unstate

        self.step, self.npe, self.elapsed = int(st["step"]), int(st["npe"]), float(st["elapsed"])
        self.episodes = st.get("episodes", self.step * self.cfg.keys_per_batch
                               * self.cfg.samples_per_key)  # runs saved before it was counted
        self.enum_npe, self.enum_found = st.get("enum_npe", 0), st.get("enum_found", 0)
        self.enum_fails = dict(st.get("enum_fails", {}))
        self.enum_time = st.get("enum_time", 0.0)
        self.rng.bit_generator.state = st["rng"]
        self.pyrng.setstate(_py_unstate(st["pyrng"]))
        self.queue.load(st["queue"])

    def snapshot(self):
        """The state at an update boundary, for ``rollback`` (see ``bfcore.train.run``)."""
        from mlx.utils import tree_map

        return (json.dumps(self.state()), self.policy.parameters(), tree_map(lambda a: a, self.opt.state),
                dict(self.found))

    def rollback(self, snap) -> None:
        state, params, opt_state, found = snap
        self.policy.update(params)
        self.opt.state = opt_state
        self._set_state(json.loads(state))
        self.found = found

    def non_finite(self, stats: dict) -> str | None:
        from bfcore.train.checkpoint import non_finite

        if not np.isfinite(stats["loss"]):
            return "the loss"
        bad = non_finite(self.policy.parameters()) or non_finite(self.opt.state)
        return None if bad is None else f"the weight {bad}"


def find_checkpoint(run_dir: Path) -> Path | None:
    """The run's checkpoint (``bfcore.train.checkpoint.find``)."""
    from bfcore.train import checkpoint

    return checkpoint.find(Path(run_dir))


def train(cfg: SynthTrainConfig, on_report=None, should_stop=None, encoder=None, tasks=None) -> Path:
    """Train per ``cfg`` in ``cfg.run_dir``; metrics.jsonl gets one line per ``report_every``
    updates. Resumable: ``cfg.resume`` continues from the checkpoint (Ctrl-C saves first)."""
    from bfcore.train import run

    run_dir = Path(cfg.run_dir)
    with run.locked(run_dir, cfg.resume, "resume it, or name another run dir") as ck:
        trainer = SynthTrainer(cfg, encoder=encoder, tasks=tasks)
        if cfg.resume:
            trainer.restore(ck)

        def summarize(stats: list[dict]) -> dict:
            rep = {k: float(np.mean([s[k] for s in stats])) for k in stats[0]}
            rep.update(step=trainer.step, npe=trainer.npe, episodes=trainer.episodes,
                       enum_npe=trainer.enum_npe, enum_found=trainer.enum_found,
                       time=round(trainer.elapsed, 2),
                       sps=cfg.keys_per_batch * cfg.samples_per_key * len(stats)
                       / max(sum(s["time_sample"] + s["time_run"] + s["time_update"]
                                 for s in stats), 1e-9),
                       queue_solved=_queue_solved(trainer.queue))
            custom = trainer.family_keys.get("custom")
            if custom:  # a user's tasks: how many have a program that passes their tests
                rep["custom_solved"] = sum(map(trainer.queue.solved, custom)) / len(custom)
                if len(custom) <= 32:  # and which (as the print trainer's task_success)
                    rep["task_success"] = {json.loads(k)[1]: float(trainer.queue.solved(k))
                                           for k in custom}
            return rep

        run.drive(trainer, run_dir, cfg.to_dict(), summarize, steps=cfg.steps or None, minutes=cfg.minutes,
                  report_every=cfg.report_every, save_every=cfg.save_every, on_report=on_report,
                  should_stop=should_stop)
    return run_dir


def _queue_solved(queue: Queue) -> float:
    """Fraction of families with a queue entry whose mean reward shows it passed (nearly) every
    test it was run on (a constant family counts as the share of its keys that have one)."""
    per: dict[str, list[bool]] = {}
    for k in queue.entries:
        per.setdefault(json.loads(k)[0], []).append(queue.solved(k))
    return float(np.mean([np.mean(v) for v in per.values()])) if per else 0.0
