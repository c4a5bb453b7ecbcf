"""The agent the app uses: load a checkpoint, turn a prompt into a Brainfuck program.

Decoding: greedy, sampling with a temperature, beam search, and best-of-N verified by the
interpreter against the expected output (the best program and its reward come back).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bfcore.agent.compile import compile_bytes
from bfcore.agent.features import Featurizer, to_mx
from bfcore.agent.memory import END_K, GEN_BYTES, K, TRANSFORMS
from bfcore.agent.model import GEN_TR, START_TR, MODEL_RULES, ModelConfig, Policy
from bfcore.configcheck import ConfigError, check, encoder_section
from bfcore.errors import InputError


class AgentError(InputError):
    """A checkpoint that cannot be loaded; the message names the file and the reason."""


@dataclass
class Generation:
    prompt: str
    program: str
    output: bytes
    tokens: list[str]
    token_probs: list[float]
    spans: list[tuple[int, int]]
    reward: float | None = None
    success: bool | None = None

    @property
    def confidence(self) -> float:
        """Geometric mean of the chosen tokens' probabilities (0 for an empty program)."""
        if not self.program or not self.token_probs:
            return 0.0
        import math

        return math.exp(sum(math.log(max(p, 1e-9)) for p in self.token_probs) / len(self.token_probs))

    @property
    def unfamiliar(self) -> bool:
        """The request looks unlike the training prompts: an empty program or low confidence.
        A weak signal: the agent is often sure of a wrong answer (docs/experiments/forgetting.md)."""
        return self.confidence < UNFAMILIAR_BELOW


# 1% of the test split's correct programs fall below this (their geometric-mean confidence).
UNFAMILIAR_BELOW = 0.6


def default_agent_dir() -> Path:
    from bfcore.tasks import assets_dir

    return assets_dir() / "agent"


def load_policy(path: Path):
    """(policy, state dict) from a checkpoint directory holding model.safetensors + state.json.
    Refuses one that does not hold together (``bfcore.train.checkpoint.load``): files that fail the
    manifest, weights of another shape or not finite, a model config with values it does not know."""
    from bfcore.train import checkpoint

    path = Path(path)
    state_file, weights = path / "state.json", path / "model.safetensors"
    for f in (state_file, weights):
        if not f.is_file():
            raise AgentError(f"{f}: missing (not a checkpoint directory?)")
    try:
        state = checkpoint.read_state(path)
        cfg = ModelConfig(**state["model"])
        if cfg.token_rows not in ("all", "facts"):
            raise ValueError(f"token_rows must be 'all' or 'facts', got {cfg.token_rows!r}")
    except (ValueError, KeyError, TypeError) as exc:
        raise AgentError(f"{state_file}: unreadable ({exc})") from None
    try:  # before building anything from them: a bad value fails deep in MLX otherwise
        check(cfg, MODEL_RULES)
    except ConfigError as exc:
        raise AgentError(f"{state_file}: model.{exc}") from None
    try:
        if cfg.enc_dim:
            encoder_section(state)
    except ConfigError as exc:
        raise AgentError(f"{state_file}: {exc}") from None
    policy = Policy(cfg)
    try:
        checkpoint.load(path, policy)
    except checkpoint.CheckpointError as exc:
        raise AgentError(str(exc)) from None
    return policy, state


def describe_action(a: int, M: int, byte: int) -> str:
    ch = chr(byte) if 32 <= byte < 127 else f"\\x{byte:02x}"
    if a < M * K:
        return f"{TRANSFORMS[a % K]} {ch!r}"
    return f"gen {ch!r}"


class Agent:
    def __init__(self, policy: Policy, featurizer: Featurizer, path: Path | None = None, state: dict | None = None):
        self.policy, self.featurizer, self.path, self.state = policy, featurizer, path, state or {}

    @classmethod
    def load(cls, path: str | Path | None = None, encoder=None) -> "Agent":
        """Load a checkpoint dir (or a run dir holding ``checkpoint/``); None = the shipped default."""
        path = Path(path) if path is not None else default_agent_dir()
        if (path / "checkpoint" / "state.json").is_file():
            path = path / "checkpoint"
        policy, state = load_policy(path)
        if policy.cfg.enc_dim and encoder is None:
            from bfcore.encoder import EncoderError, load_encoder

            model, layers = encoder_section(state)  # checked by load_policy
            try:
                encoder = load_encoder(model, layers=layers)
            except EncoderError as exc:
                raise AgentError(f"{path / 'state.json'}: encoder: {exc}") from None
        return cls(policy, Featurizer(encoder if policy.cfg.enc_dim else None), path, state)

    # ------------------------------------------------------------ public
    def generate(self, prompt: str, greedy: bool = True, temperature: float = 1.0, best_of: int = 1,
                 beam: int = 0, expect: str | bytes | None = None, seed: int | None = None) -> Generation:
        if isinstance(expect, str):  # text means its UTF-8 bytes, never '?' for what latin-1 lacks
            expect = expect.encode("utf-8")
        if beam and beam > 1:
            cands = self._beam(prompt, beam)
        elif best_of > 1:
            cands = self._decode([prompt] * best_of, greedy=False, temperature=temperature, seed=seed)
            if greedy:
                cands = self._decode([prompt], greedy=True) + cands
        else:
            cands = self._decode([prompt], greedy=greedy, temperature=temperature, seed=seed)
        return self._pick(cands, expect)

    def generate_batch(self, prompts: list[str], greedy: bool = True, temperature: float = 1.0,
                       seed: int | None = None) -> list[Generation]:
        return self._decode(prompts, greedy=greedy, temperature=temperature, seed=seed)

    # ------------------------------------------------------------ decoding
    def _decode(self, prompts, greedy, temperature=1.0, seed=None) -> list[Generation]:
        from bfcore.runtime import mx

        feats = self.featurizer.batch(prompts)
        key = mx.random.key(seed if seed is not None else np.random.randint(1 << 30))
        out = self.policy.unroll(to_mx(feats), key=None if greedy else key, greedy=greedy, temperature=temperature)
        mx.eval(out)
        M = feats["mask"].shape[1]
        return [self._generation(p, np.array(out["actions"][i]), np.array(out["byte"][i]), np.array(out["logp"][i]), M)
                for i, p in enumerate(prompts)]

    def _generation(self, prompt, actions, bytes_, logp, M) -> Generation:
        printed, tokens, probs = [], [], []
        for a, b, lp in zip(actions, bytes_, logp):
            if b < 0:
                break
            printed.append(int(b))
            tokens.append(describe_action(int(a), M, int(b)))
            probs.append(float(np.exp(lp)))
        program, spans = compile_bytes(printed)
        return Generation(prompt, program, bytes(printed), tokens, probs, spans)

    def _beam(self, prompt: str, width: int) -> list[Generation]:
        """Beam search over whole actions; finished beams compete on total log-probability."""
        from bfcore.runtime import mx

        feats = self.featurizer.batch([prompt])
        M = feats["mask"].shape[1]
        b = to_mx({k: np.repeat(v, width, axis=0) for k, v in feats.items()})
        pol = self.policy
        ctx = pol.context(b)
        h = ctx["h"]
        table = np.array(b["table"][0]).reshape(M * 4)
        beams = [(0.0, [], [], [])]  # (logp, actions, bytes, token logps)
        finished = []
        prev_byte, prev_tr, prev_pos = np.full(width, 256), np.full(width, START_TR), np.full(width, -1)
        for t in range(pol.cfg.max_steps):
            n = len(beams)
            h, logits, _ = pol.step(ctx, b, h, t, mx.array(prev_byte, mx.int32), mx.array(prev_tr, mx.int32),
                                    mx.array(prev_pos, mx.int32))
            lp = np.array(logits - mx.logsumexp(logits, axis=-1, keepdims=True))[:n]
            cand = []
            for i, (s, acts, bs, lps) in enumerate(beams):
                for a in np.argsort(-lp[i])[:width]:
                    cand.append((s + lp[i, a], i, int(a), float(lp[i, a])))
            cand.sort(key=lambda c: -c[0])
            new, rows = [], []
            for s, i, a, l in cand:
                _, acts, bs, lps = beams[i]
                is_ptr = a < M * K
                if is_ptr and a % K == END_K:
                    finished.append((s, acts + [a], bs, lps + [l]))
                    continue
                byte = int(table[(a // K) * 4 + a % K]) if is_ptr else int(GEN_BYTES[a - M * K])
                new.append((s, acts + [a], bs + [byte], lps + [l]))
                rows.append(i)
                if len(new) == width:
                    break
            if not new or (finished and max(f[0] for f in finished) >= new[0][0]):
                break
            beams = new
            idx = np.array(rows + [rows[0]] * (width - len(rows)))
            h = h[mx.array(idx)]
            for arr_i, (s, acts, bs, lps) in enumerate(new):
                a = acts[-1]
                prev_byte[arr_i] = bs[-1]
                prev_tr[arr_i] = a % K if a < M * K else GEN_TR
                prev_pos[arr_i] = a // K if a < M * K else -1
        finished.extend(beams if not finished else [])
        finished.sort(key=lambda f: -f[0])
        gens = []
        for s, acts, bs, lps in finished[:width]:
            gens.append(self._generation(prompt, np.array(acts), np.array(bs + [-1]), np.array(lps), M))
        return gens

    def _pick(self, cands: list[Generation], expect: bytes | None) -> Generation:
        from bfcore.interp.fast import run

        # one by one, not run_many: a few short loop-free programs run in pure Python in well under
        # a millisecond, and the first run_many of a fresh install waits ~14 s for numba to compile
        results = [run(g.program) for g in cands]
        for g, r in zip(cands, results):
            g.output = r.output  # what the interpreter printed, not what the tokens meant
        if expect is None:
            return cands[0]
        from bfcore.rewards import score
        from bfcore.tasks import Task

        task = Task(cands[0].prompt, ((b"", expect),))
        sc = score([[g.output] for g in cands], [[r.status] for r in results], [task] * len(cands),
                   [g.program for g in cands])
        for i, g in enumerate(cands):
            g.reward, g.success = float(sc.total[i]), bool(sc.success[i])
        best = max(range(len(cands)), key=lambda i: (sc.total[i], -len(cands[i].program)))
        return cands[best]
