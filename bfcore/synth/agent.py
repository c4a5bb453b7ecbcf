"""The synthesis agent: load a checkpoint, write a program for a request, search with examples.

:meth:`SynthAgent.generate` writes one program greedily. :meth:`SynthAgent.search` is test-time
search: the greedy program first, then batches of samples, each distinct program run on the examples
by the interpreter, until one passes them all or ``budget`` programs have been executed (NPE).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

#: the example input the decoder's tracer runs on when the request comes without examples
PROBE_INPUT = b"hello"


class SynthAgentError(ValueError):
    """A synthesis checkpoint that cannot be loaded; the message names the file and the reason."""


@dataclass
class SynthGeneration:
    prompt: str
    program: str
    tokens: list[str]
    token_probs: list[float]
    spans: list[tuple[int, int]]
    confidence: float = 0.0                 # geometric mean of the token probabilities
    passed: tuple[bool, ...] = ()           # per example, when examples were given
    outputs: tuple[bytes, ...] = ()
    npe: int = 1                            # programs executed to find it
    seconds: float = 0.0

    @property
    def solved(self) -> bool | None:
        return all(self.passed) if self.passed else None


@dataclass
class SearchResult:
    best: SynthGeneration
    solved: bool
    npe: int
    seconds: float
    tried: list[str] = field(default_factory=list)


def default_synth_dir() -> Path:
    from bfcore.tasks import assets_dir

    return assets_dir() / "synth"


class SynthAgent:
    def __init__(self, policy, embedder, path: Path | None = None, state: dict | None = None):
        self.policy, self.embed, self.path, self.state = policy, embedder, path, state or {}

    @classmethod
    def load(cls, path: str | Path | None = None, encoder=None) -> "SynthAgent":
        from bfcore.runtime import mx

        from bfcore.synth.policy import SynthConfig, SynthPolicy
        from bfcore.synth.train import Embedder, find_checkpoint

        path = Path(path) if path is not None else default_synth_dir()
        ck = find_checkpoint(path) or path
        st_file, weights = ck / "state.json", ck / "model.safetensors"
        for f in (st_file, weights):
            if not f.is_file():
                raise SynthAgentError(f"{f}: missing (not a synthesis checkpoint?)")
        try:
            state = json.loads(st_file.read_text())
            if state.get("kind") != "synth":
                raise ValueError("not a synthesis agent's state (kind is not 'synth')")
            cfg = SynthConfig(**state["model"])
        except (ValueError, KeyError, TypeError) as exc:
            raise SynthAgentError(f"{st_file}: unreadable ({exc})") from None
        policy = SynthPolicy(cfg)
        try:
            policy.load_weights(str(weights))
        except (ValueError, RuntimeError) as exc:
            raise SynthAgentError(f"{weights}: does not match the model in state.json ({exc})") from None
        mx.eval(policy.parameters())
        if encoder is None:
            from bfcore.encoder import load_encoder

            encoder = load_encoder(None, layers=int(state.get("encoder", {}).get("layers", 4)))
        return cls(policy, Embedder(encoder), ck, state)

    # ------------------------------------------------------------ writing
    def write(self, prompts: list[str], inputs: list[bytes], greedy: bool, temperature: float = 1.0,
              rng: np.random.Generator | None = None):
        from bfcore.synth.actions import prompt_params
        from bfcore.synth.policy import rollout

        rng = rng if rng is not None else np.random.default_rng()
        return rollout(self.policy, self.embed(prompts), [prompt_params(p) for p in prompts], inputs,
                       rng, temperature=temperature, greedy=greedy)

    def _generation(self, prompt: str, ep) -> SynthGeneration:
        from bfcore.synth.actions import ACTIONS

        names = [ACTIONS[a] for a in ep.actions if a != 0]
        probs = [float(np.exp(lp)) for a, lp in zip(ep.actions, ep.logp) if a != 0]
        conf = float(np.exp(np.mean(ep.logp))) if ep.logp else 0.0
        return SynthGeneration(prompt, ep.program, names, probs, list(ep.spans), conf)

    def generate(self, prompt: str, examples=None) -> SynthGeneration:
        """The greedy program; with ``examples`` ([(input, output)]) it is also run on them."""
        from bfcore.synth.score import score_one

        t0 = time.perf_counter()
        probe = examples[0][0] if examples else PROBE_INPUT
        g = self._generation(prompt, self.write([prompt], [probe], greedy=True)[0])
        if examples:
            s = score_one(g.program, examples)
            g.passed, g.outputs = s.passed, s.outputs
        g.seconds = time.perf_counter() - t0
        return g

    def search(self, prompt: str, examples, budget: int = 1000, batch: int = 64,
               temperature: float = 1.0, seed: int | None = None) -> SearchResult:
        """Greedy, then samples, until a program passes every example or ``budget`` distinct
        programs have run. The best program found (by reward) comes back either way."""
        from bfcore.synth.score import score_programs

        t0 = time.perf_counter()
        rng = np.random.default_rng(seed)
        probe = examples[0][0]
        seen: dict[str, object] = {}
        best, best_r = None, -1e9
        greedy, stalled = True, 0
        while len(seen) < budget and stalled < 50:  # a collapsed policy may never write a new one
            eps = self.write([prompt] * (1 if greedy else batch), [probe] * (1 if greedy else batch),
                             greedy=greedy, temperature=temperature, rng=rng)
            greedy = False
            new = []
            for e in eps:
                if e.program not in seen and len(seen) + len(new) < budget:
                    new.append(e)
                    seen[e.program] = None
            if not new:
                stalled += 1
                continue
            stalled = 0
            scored = score_programs([e.program for e in new], [examples] * len(new),
                                    [len(e.actions) - 1 for e in new])
            for e, s in zip(new, scored):
                if s.reward > best_r:
                    best, best_r = (e, s), s.reward
                if s.solved:
                    return self._result(prompt, e, s, len(seen), t0, True)
        if best is None:  # budget 0
            e = self.write([prompt], [probe], greedy=True)[0]
            s = score_programs([e.program], [examples], [len(e.actions) - 1])[0]
            best = (e, s)
        return self._result(prompt, best[0], best[1], len(seen), t0, False)

    def _result(self, prompt, ep, s, npe, t0, solved) -> SearchResult:
        g = self._generation(prompt, ep)
        g.passed, g.outputs, g.npe = s.passed, s.outputs, npe
        g.seconds = time.perf_counter() - t0
        return SearchResult(g, solved, npe, g.seconds)
