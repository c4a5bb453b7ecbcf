"""Which family a request is about: a softmax regression on the frozen encoder's pooled state.

The decoder conditions on the same state, but a held-out phrasing often decodes into a mix of two
families' programs; a classifier fitted on the families' train phrasings alone names the family
more often than the decode writes its program (val: 93% against 84% for the programs that read
input). :meth:`SynthAgent.choose` uses its posterior as a prior over the library: each program
is scored by its log-probability under the policy plus ``WEIGHT`` times the log-posterior of the
families it solved in training, when the classifier is sure of one family (``CONFIDENT``).
Shipped as ``intent.json`` beside the agent
(``scripts/fit_intent.py``); without it the agent ranks by the policy alone.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np

#: how much the family prior counts against the policy's log-probability (chosen on val)
WEIGHT = 4.0
#: the prior of a decode that is no library program
FLOOR = 0.05
#: the prior counts only when the classifier is this sure of one family: a request unlike every
#: family (PQT's "print the input twice, each copy followed by a 0") was sent to a library
#: program of a family it half resembled (val greedy: 82.0% without this rule, 84.3% with it)
CONFIDENT = 0.5


def fit(pooled: np.ndarray, labels: list[str], l2: float = 1e-2, steps: int = 400,
        lr: float = 0.5) -> dict:
    """The model as a JSON-ready dict: standardised features, full-batch gradient descent."""
    families = sorted(set(labels))
    y = np.eye(len(families))[[families.index(f) for f in labels]]
    mean, scale = pooled.mean(0), pooled.std(0) + 1e-6
    x = (pooled - mean) / scale
    w, b = np.zeros((x.shape[1], len(families))), np.zeros(len(families))
    for _ in range(steps):
        g = (_softmax(x @ w + b) - y) / len(x)
        w -= lr * (x.T @ g + l2 * w)
        b -= lr * g.sum(0)
    return {"families": families, "w": np.round(w, 6).tolist(), "b": np.round(b, 6).tolist(),
            "mean": np.round(mean, 6).tolist(), "scale": np.round(scale, 6).tolist()}


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(-1, keepdims=True)


class Intent:
    @classmethod
    @functools.lru_cache(maxsize=4)
    def cached(cls, path: Path) -> "Intent":
        return cls(json.loads(path.read_text()))

    def __init__(self, d: dict):
        self.families = list(d["families"])
        self._index = {f: i for i, f in enumerate(self.families)}
        self.w, self.b = np.array(d["w"]), np.array(d["b"])
        self.mean, self.scale = np.array(d["mean"]), np.array(d["scale"])

    def posterior(self, pooled: np.ndarray) -> np.ndarray:
        """[N, families] probabilities for [N, D] pooled states."""
        return _softmax(((np.asarray(pooled, np.float64) - self.mean) / self.scale) @ self.w
                        + self.b)

    def prior(self, post: np.ndarray, families) -> float:
        """The log-prior of a program under one request's posterior: for a library program
        (``families``: those it solved in training) its likeliest family's, or the request's top
        family's when the model knows none of them (a person's own task); for a decode that is
        no library program (``families`` None), ``FLOOR``: it was never checked on fresh tests,
        and a held-out phrasing's decode is often a mix of two families' programs."""
        if families is None:
            return float(np.log(FLOOR))
        known = [post[self._index[f]] for f in families if f in self._index]
        return float(np.log(max(max(known) if known else post.max(), 1e-9)))


def intent_path(synth_dir) -> Path:
    return Path(synth_dir) / "intent.json"
