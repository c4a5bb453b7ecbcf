"""The RL maths, as small pure functions the tests check against hand-computed values."""

from __future__ import annotations

import numpy as np


def gae(rewards: np.ndarray, values: np.ndarray, alive: np.ndarray, gamma: float, lam: float):
    """Generalised advantage estimates for [B, S] arrays; ``alive`` marks real steps. The episode
    ends after its last alive step (value 0 beyond). Returns (advantages, returns)."""
    B, S = rewards.shape
    adv = np.zeros((B, S))
    last = np.zeros(B)
    for t in reversed(range(S)):
        nxt_alive = alive[:, t + 1] if t + 1 < S else np.zeros(B, bool)
        nxt_v = values[:, t + 1] * nxt_alive if t + 1 < S else np.zeros(B)
        delta = rewards[:, t] + gamma * nxt_v - values[:, t]
        last = delta + gamma * lam * nxt_alive * last
        adv[:, t] = last * alive[:, t]
    return adv, (adv + values) * alive


def discounted_returns(rewards: np.ndarray, alive: np.ndarray, gamma: float) -> np.ndarray:
    out = np.zeros_like(rewards, dtype=float)
    run = np.zeros(rewards.shape[0])
    for t in reversed(range(rewards.shape[1])):
        run = rewards[:, t] + gamma * run * (alive[:, t + 1] if t + 1 < rewards.shape[1] else 0)
        out[:, t] = run * alive[:, t]
    return out


def group_advantages(totals: np.ndarray, group_size: int, eps: float = 1e-6) -> np.ndarray:
    """GRPO: each episode's reward relative to the other samples of the same prompt."""
    g = totals.reshape(-1, group_size)
    adv = (g - g.mean(1, keepdims=True)) / (g.std(1, keepdims=True) + eps)
    return adv.reshape(-1)


def explained_variance(pred: np.ndarray, target: np.ndarray) -> float:
    var = np.var(target)
    return float("nan") if var == 0 else float(1 - np.var(target - pred) / var)


def ppo_terms(mx, new_logp, old_logp, adv, new_v, ret, entropy, alive, clip: float):
    """Clipped policy loss, value loss, entropy and diagnostics, averaged over alive steps."""
    w = alive.astype(new_logp.dtype)
    n = mx.maximum(w.sum(), 1)
    ratio = mx.exp(new_logp - old_logp)
    pg = mx.maximum(-adv * ratio, -adv * mx.clip(ratio, 1 - clip, 1 + clip))
    policy_loss = (pg * w).sum() / n
    value_loss = 0.5 * (((new_v - ret) ** 2) * w).sum() / n
    ent = (entropy * w).sum() / n
    log_ratio = new_logp - old_logp
    approx_kl = (((ratio - 1) - log_ratio) * w).sum() / n
    clipfrac = ((mx.abs(ratio - 1) > clip).astype(w.dtype) * w).sum() / n
    return policy_loss, value_loss, ent, approx_kl, clipfrac


def kl_to_reference(mx, new_logp, ref_logp, alive):
    """KL(policy || reference) from the sampled actions' log-probs: the low-variance, always
    non-negative estimator exp(r) - r - 1 with r = ref - new (Schulman's k3, as TRL uses)."""
    w = alive.astype(new_logp.dtype)
    r = ref_logp - new_logp
    return (((mx.exp(r) - r) - 1) * w).sum() / mx.maximum(w.sum(), 1)
