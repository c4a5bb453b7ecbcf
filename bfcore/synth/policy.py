"""The synthesis policy: a GRU that writes a BF program one instruction action at a time.

Each step reads the previous action, the :class:`~bfcore.synth.observe.Tracer`'s summary of the
program so far run on an example input, and a task vector projected from the frozen encoder's pooled
prompt state (which also sets the initial GRU state). The head scores every action; the
:class:`~bfcore.synth.actions.Grammar` masks those that would make an invalid program.

:func:`rollout` samples step by step (the tracer must see each action before the next is chosen);
:meth:`SynthPolicy.score` recomputes the same log-probabilities teacher-forced for the update, with
only the GRU recurrence sequential.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bfcore.runtime import mx  # first: it sets up BLAS before anything imports mlx.core

import mlx.nn as nn  # noqa: E402

from bfcore.agent.model import GRUCell, _log_probs, config_dict  # noqa: E402,F401 (config_dict: re-exported)
from bfcore.configcheck import between  # noqa: E402
from bfcore.synth.actions import (CLOSE, END, N_ACTIONS, OPEN, Grammar, Params,  # noqa: E402
                                  action_text, to_program)
from bfcore.synth.observe import OBS_DIM, Tracer  # noqa: E402

NEG = -1e9
START = N_ACTIONS  # the "previous action" of the first step
_FINISHED = (np.zeros(OBS_DIM, np.float32), np.eye(N_ACTIONS, dtype=bool)[END])  # a written row


@dataclass
class SynthConfig:
    hidden: int = 128
    embed: int = 32
    enc_dim: int = 576
    task_dim: int = 64
    max_len: int = 32
    max_depth: int = 3
    observe: bool = True  # False: the decoder sees zeros instead of the tracer (the ablation)


# Bounds of a synthesis checkpoint's "model" values, checked on load.
SYNTH_MODEL_RULES = {"hidden": between(1, 4096), "embed": between(1, 4096), "enc_dim": between(1, 1 << 16),
                     "task_dim": between(1, 4096), "max_len": between(1, 1024), "max_depth": between(1, 64)}


class SynthPolicy(nn.Module):
    def __init__(self, cfg: SynthConfig):
        super().__init__()
        self.cfg = cfg
        E, H, T = cfg.embed, cfg.hidden, cfg.task_dim
        self.emb = nn.Embedding(N_ACTIONS + 1, E)
        self.obs_in = nn.Linear(OBS_DIM, E)
        self.task = nn.Linear(cfg.enc_dim, T)
        self.h0 = nn.Linear(T, H)
        self.cell = GRUCell(2 * E + T, H)
        self.hid = nn.Linear(H + T, H)
        self.out = nn.Linear(H, N_ACTIONS)

    def start(self, pooled):
        t = mx.tanh(self.task(pooled))
        return t, mx.tanh(self.h0(t))

    def _inputs(self, prev, obs, t):
        return mx.concatenate([self.emb(prev), self.obs_in(obs), t], axis=-1)

    def _logits(self, h, t):
        return self.out(mx.tanh(self.hid(mx.concatenate([h, t], axis=-1))))

    def step(self, t, h, prev, obs):
        h = self.cell(self._inputs(prev, obs, t), h)
        return h, self._logits(h, t)

    def forced_logits(self, pooled, prev, obs, masks):
        """Masked logits [B, T, A] of every step of recorded episodes, teacher-forced: only the
        GRU recurrence runs step by step."""
        t, h = self.start(pooled)
        B, T = prev.shape
        tt = mx.broadcast_to(t[:, None, :], (B, T, t.shape[-1]))
        gx = self.cell.wx(self._inputs(prev, obs, tt))
        hs = []
        for i in range(T):
            h = self.cell.recur(gx[:, i], h)
            hs.append(h)
        return mx.where(masks, self._logits(mx.stack(hs, axis=1), tt), NEG)

    def score(self, pooled, prev, obs, masks, actions, valid):
        """(sum of log-probs [B], mean entropy [B]) of recorded episodes, teacher-forced."""
        return self.scored(pooled, prev, obs, masks, actions, valid)[:2]

    def scored(self, pooled, prev, obs, masks, actions, valid):
        """:meth:`score` and the masked logits [B, T, A] it came from (for a distillation)."""
        logits = self.forced_logits(pooled, prev, obs, masks)
        logp, ent = _log_probs(logits, actions)
        n = mx.maximum(valid.sum(1), 1)
        return (logp * valid).sum(1), (ent * valid).sum(1) / n, logits


@dataclass
class Episode:
    """One program as written: its actions and what each step saw (for teacher-forced scoring)."""

    actions: list[int]
    obs: np.ndarray        # [T, OBS_DIM]
    masks: np.ndarray      # [T, N_ACTIONS] bool
    logp: list[float] = field(default_factory=list)
    program: str = ""
    spans: list[tuple[int, int]] = field(default_factory=list)


class Writer:
    """The grammar and the tracer of one program being written."""

    def __init__(self, params: Params, inp: bytes, cfg: SynthConfig):
        self.params, self.observe = params, cfg.observe
        self.grammar = Grammar(params, cfg.max_len, cfg.max_depth)
        self.tracer = Tracer(inp)
        self.actions: list[int] = []
        self.obs, self.masks, self.logp = [], [], []

    def look(self) -> tuple[np.ndarray, np.ndarray]:
        o = np.zeros(OBS_DIM, np.float32)
        if self.observe:
            self.tracer.features(o)
        m = np.zeros(N_ACTIONS, bool)
        m[self.grammar.allowed()] = True
        self.obs.append(o)
        self.masks.append(m)
        return o, m

    def push(self, a: int) -> None:
        self.actions.append(a)
        self.grammar.push(a)
        if a != END:
            self.tracer.push(action_text(a, self.params), (a == OPEN) - (a == CLOSE))

    def episode(self) -> Episode:
        program, spans = to_program(self.actions, self.params)
        return Episode(list(self.actions), np.array(self.obs), np.array(self.masks), list(self.logp),
                       program, spans)


def replay(actions, params: Params, inp: bytes, cfg: SynthConfig) -> Episode | None:
    """Re-derive what each step of a known action sequence saw (for training on the queue); None
    when the grammar forbids one of its actions under these params (e.g. a "+n" for a phrasing in
    which no number was read)."""
    w = Writer(params, inp, cfg)
    for a in actions:
        _, mask = w.look()
        if not mask[a]:
            return None
        w.push(int(a))
        if a == END:
            break
    return w.episode()


def rollout(policy: SynthPolicy, pooled: np.ndarray, params: list[Params], inputs: list[bytes],
            rng: np.random.Generator, temperature: float = 1.0, greedy: bool = False) -> list[Episode]:
    """Write one program per row of ``pooled`` [B, D]: sampled, or greedy (argmax)."""
    cfg = policy.cfg
    B = len(params)
    writers = [Writer(p, x, cfg) for p, x in zip(params, inputs)]
    t, h = policy.start(mx.array(pooled))
    prev = np.full(B, START, np.int32)
    alive = np.ones(B, bool)
    for _ in range(cfg.max_len + 1):
        looks = [w.look() if alive[i] else _FINISHED for i, w in enumerate(writers)]
        obs = np.stack([o for o, _ in looks])
        mask = np.stack([m for _, m in looks])
        h, logits = policy.step(t, h, mx.array(prev), mx.array(obs))
        lg = np.array(logits, np.float64)
        lg = np.where(mask, lg, -np.inf)
        lg -= lg.max(1, keepdims=True)
        logz = np.log(np.exp(lg).sum(1, keepdims=True))
        logp = lg - logz
        if greedy:
            acts = lg.argmax(1)
        else:
            g = lg / temperature - np.log(-np.log(rng.random(lg.shape)))  # Gumbel-max
            acts = g.argmax(1)
        for i in np.flatnonzero(alive):
            a = int(acts[i])
            writers[i].push(a)
            writers[i].logp.append(float(logp[i, a]))
            if a == END:
                alive[i] = False
        prev = acts.astype(np.int32)
        if not alive.any():
            break
    return [w.episode() for w in writers]


def batch_arrays(episodes: list[Episode]):
    """Pad recorded episodes into the arrays :meth:`SynthPolicy.score` takes."""
    B, T = len(episodes), max(len(e.actions) for e in episodes)
    prev = np.full((B, T), START, np.int32)
    acts = np.zeros((B, T), np.int32)
    obs = np.zeros((B, T, OBS_DIM), np.float32)
    masks = np.zeros((B, T, N_ACTIONS), bool)
    masks[:, :, END] = True  # padding steps: any valid mask (they are not counted)
    valid = np.zeros((B, T), np.float32)
    for i, e in enumerate(episodes):
        n = len(e.actions)
        acts[i, :n] = e.actions
        prev[i, 1:n] = e.actions[:n - 1]
        obs[i, :n] = e.obs
        masks[i, :n] = e.masks
        valid[i, :n] = 1
    return tuple(mx.array(a) for a in (prev, obs, masks, acts, valid))

