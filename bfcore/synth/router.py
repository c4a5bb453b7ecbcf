"""Which agent answers a request: the print agent (constant answers) or the synthesis agent.

A softmax regression on the frozen encoder's pooled prompt state over both agents' families,
fitted on their training phrasings, shipped as ``router.json`` beside the synthesis agent. Its
held-out score is measured on both agents' val and test phrasings (``scripts/fit_router.py``).
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
#: constant families the synthesis agent takes too: the print agent has none like them (its
#: "repeat" is one letter n times, so copies stays with it up to what it can print)
SYNTH_CONSTANT_FAMILIES = ("alphabet", "digits", "first_letter", "last_letter", "repeat_word",
                           "lower_word")


def shared_encoder():
    """One encoder per process for the router and both agents (loading it twice costs ~0.4 s)."""
    global _ENCODER
    if _ENCODER is None:
        from bfcore.encoder import load_encoder

        _ENCODER = load_encoder(None, layers=4)
    return _ENCODER


def save(path: Path, model: dict, synth: list[str], report: dict) -> None:
    """``model``: :func:`bfcore.synth.intent.fit` over both agents' families; ``synth``: those
    the synthesis agent answers."""
    from bfcore.train.checkpoint import atomic_write_text

    atomic_write_text(path, json.dumps({**model, "synth": sorted(synth), "report": report}))


class Router:
    """A softmax over both agents' families (the print agent's as ``print:<family>``, copies
    among them): a request goes to the synthesis agent when its families hold most of the
    mass. One class per family separates "SOCK in lower case" from "shout sock" better than one
    line between the two agents did (test: 57% of the synthesis requests routed, against 91%)."""

    @classmethod
    @functools.lru_cache(maxsize=4)
    def cached(cls, path: Path) -> "Router":
        """One read of router.json per process (the app and the REPL ask on every request)."""
        return cls(path)

    def __init__(self, path: Path):
        from bfcore.synth.intent import Intent

        d = json.loads(path.read_text())
        self.model = Intent(d)
        self.synth = np.array([f in set(d["synth"]) for f in self.model.families])

    def p_synth(self, pooled: np.ndarray) -> np.ndarray:
        return self.model.posterior(pooled)[:, self.synth].sum(1)


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
