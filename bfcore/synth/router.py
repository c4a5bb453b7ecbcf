"""Which agent answers a request: the print agent (constant answers) or the synthesis agent.

A logistic regression on the frozen encoder's pooled prompt state, fitted on the two agents'
training phrasings (the print agent's train split against every synthesis family's train split),
shipped as ``router.json`` beside the synthesis agent. Its held-out score is measured on both
agents' val and test phrasings (``scripts/fit_router.py``).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np

_ENCODER = None
# a request goes to the synthesis agent only when the router is this sure: sending a constant
# request there costs the print agent's 93% on it, so doubt keeps it with the print agent
THRESHOLD = 0.7


def shared_encoder():
    """One encoder per process for the router and both agents (loading it twice costs ~0.4 s)."""
    global _ENCODER
    if _ENCODER is None:
        from bfcore.encoder import load_encoder

        _ENCODER = load_encoder(None, layers=4)
    return _ENCODER


def fit(pooled: np.ndarray, labels: np.ndarray, l2: float = 1e-3, steps: int = 500,
        lr: float = 0.5) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """(w, b, mean, scale) of a logistic regression on standardised features, by gradient descent."""
    mean, scale = pooled.mean(0), pooled.std(0) + 1e-6
    x = (pooled - mean) / scale
    w, b = np.zeros(x.shape[1]), 0.0
    pos = labels.mean()
    cw = np.where(labels == 1, 0.5 / pos, 0.5 / (1 - pos))  # balanced classes
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(x @ w + b)))
        g = cw * (p - labels)
        w -= lr * (x.T @ g / len(x) + l2 * w)
        b -= lr * g.mean()
    return w, b, mean, scale


def save(path: Path, w, b, mean, scale, report: dict) -> None:
    from bfcore.train.checkpoint import atomic_write_text

    atomic_write_text(path, json.dumps({"w": np.round(w, 6).tolist(), "b": float(b),
                                        "mean": np.round(mean, 6).tolist(),
                                        "scale": np.round(scale, 6).tolist(), "report": report}))


class Router:
    @classmethod
    @functools.lru_cache(maxsize=4)
    def cached(cls, path: Path) -> "Router":
        """One read of router.json per process (the app and the REPL ask on every request)."""
        return cls(path)

    def __init__(self, path: Path):
        d = json.loads(path.read_text())
        self.w, self.b = np.array(d["w"]), float(d["b"])
        self.mean, self.scale = np.array(d["mean"]), np.array(d["scale"])

    def p_synth(self, pooled: np.ndarray) -> np.ndarray:
        return 1 / (1 + np.exp(-(((pooled - self.mean) / self.scale) @ self.w + self.b)))


def router_path(synth_dir=None) -> Path:
    from bfcore.synth.agent import default_synth_dir

    return Path(synth_dir or default_synth_dir()) / "router.json"


def _too_long_to_print(prompt: str) -> bool:
    """A letter asked for more times than the print agent can write bytes ("print 50 a's"): its
    answers stop at MAX_TARGET bytes (it printed 10 a's for that request), and the synthesis
    agent's copies programs loop. Numbers alone ("print the number 42") stay with the router."""
    from bfcore.synth.actions import prompt_params
    from bfcore.tasks import MAX_TARGET

    p = prompt_params(prompt)
    return p.c is not None and p.n is not None and p.n > MAX_TARGET


def routes_to_synth(prompt: str, synth_dir=None) -> bool:
    """True when the request is for the synthesis agent; False when no router is shipped. A
    synthesis checkpoint without a router of its own (a run directory) uses the shipped one: the
    router reads only the encoder's states, which every synthesis agent shares."""
    if _too_long_to_print(prompt):
        return True
    path = router_path(synth_dir)
    if not path.is_file():
        path = router_path(None)
    if not path.is_file():
        return False
    _, _, pooled = shared_encoder().encode_batch([prompt])
    return bool(Router.cached(path).p_synth(np.array(pooled, np.float64))[0] > THRESHOLD)
