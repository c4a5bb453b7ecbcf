"""The synthesis agent: load a checkpoint, write a program for a request, search with examples.

:meth:`SynthAgent.generate` writes one program: the most likely of the greedy decode and the
programs of the agent's library (:mod:`bfcore.synth.library`: what its training solved), under the
policy. :meth:`SynthAgent.search` is test-time search: that program first, then the library in the
policy's order, then batches of samples and local edits, each distinct program run on the examples
by the interpreter, until one passes them all or ``budget`` programs have been executed (NPE).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bfcore.errors import InputError

#: the example input the decoder's tracer runs on when the request comes without examples
PROBE_INPUT = b"hello"


class SynthAgentError(InputError):
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
    statuses: tuple[str, ...] = ()          # per example: "ok", "error", "step_limit"...
    npe: int = 1                            # programs executed to find it
    seconds: float = 0.0

    @property
    def solved(self) -> bool | None:
        return all(self.passed) if self.passed else None

    @property
    def reads_input(self) -> bool:
        """Whether the program reads at all: one that does not prints the same on any input, so
        it is run, and shown, on none."""
        return "," in self.program


@dataclass
class SearchResult:
    best: SynthGeneration  # the first program that passed every example, else the best found

    @property
    def solved(self) -> bool:
        return all(self.best.passed)

    @property
    def npe(self) -> int:
        return self.best.npe

    @property
    def seconds(self) -> float:
        return self.best.seconds


def default_synth_dir() -> Path:
    from bfcore.tasks import assets_dir

    return assets_dir() / "synth"


class SynthAgent:
    def __init__(self, policy, embedder, path: Path | None = None, state: dict | None = None,
                 use_library: bool = True):
        self.policy, self.embed, self.path, self.state = policy, embedder, path, state or {}
        self.use_library = use_library  # False: the decoder alone (the ablation)
        self.use_intent = True  # False: rank the library by the policy alone (the ablation)
        self._families: dict | None = None
        self._intent = False  # the family classifier, once looked up (None: there is none)
        self._library: list[list[int]] | None = None
        self._split: tuple[list, list] = ([], [])  # the library without / with parameter runs
        # the library replayed per (facts, probe): most requests share both, so ranking them
        # costs one teacher-forced batch rather than a tracer run of every program
        from bfcore.lru import BoundedLRU

        self._replays = BoundedLRU(1 << 62, capacity=64, size=lambda v: 0)
        self._weights: dict | None = None  # the policy's weights in numpy, for ranking
        # a taught agent's start, which answers the requests of the families it knew
        # (bfcore.synth.teach.keep_start), and the label of the person's requests
        self.start: SynthAgent | None = None
        self.taught_label = ""
        # how sure the classifier must be of an old family for the start to answer: any share
        # (0.5 left unsure requests to taught weights, which cost 2.0-2.3 points of val)
        self.start_sure = 0.0

    @property
    def library(self) -> list[list[int]]:
        """The solved programs of the checkpoint's queue (empty when ``use_library`` is off)."""
        if not self.use_library:
            return []
        if self._library is None:
            from bfcore.synth.actions import FACT_OF
            from bfcore.synth.library import load_library

            self._library = load_library(self.state)
            # a program without facts replays the same under any facts
            plain, param = [], []
            for a in self._library:
                (param if set(a) & FACT_OF.keys() else plain).append(a)
            self._split = (plain, param)
        return self._library

    def _numpy_weights(self) -> dict:
        if self._weights is None:  # the weights never change once loaded
            from bfcore.synth.library import numpy_weights

            self._weights = numpy_weights(self.policy)
        return self._weights

    def ranked(self, prompt: str, probe: bytes,
               no_input: bool = False) -> list[tuple[float, list[int]]]:
        """The library under this request, most likely first: (sum of log-probs, actions);
        ``no_input``: only its programs that read nothing."""
        from bfcore.synth.actions import prompt_params
        from bfcore.synth.library import rank, replays

        if not self.library:
            return []
        params = prompt_params(prompt)
        eps = []
        # the plain programs' replays under one key for any facts; the others' per facts
        for keyed, progs in zip((None, params), self._split):
            got = self._replays.get((keyed, probe, no_input))
            if got is None:
                if no_input:
                    from bfcore.synth.actions import READ

                    progs = [p for p in progs if READ not in p]
                got = replays(progs, params, probe, self.policy.cfg)
                self._replays.put((keyed, probe, no_input), got)
            eps += got
        return rank(self.policy, self.embed([prompt])[0], params, probe, self.library, eps=eps,
                    weights=self._numpy_weights())

    @classmethod
    def load(cls, path: str | Path | None = None, encoder=None) -> "SynthAgent":
        from bfcore.configcheck import ConfigError, check, encoder_section
        from bfcore.synth.policy import SYNTH_MODEL_RULES, SynthConfig, SynthPolicy
        from bfcore.synth.train import Embedder, find_checkpoint
        from bfcore.train import checkpoint

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
        try:  # before building anything from them: a bad value fails deep in MLX otherwise
            check(cfg, SYNTH_MODEL_RULES)
            _, layers = encoder_section(state)  # the embedded model: only the layers can vary
        except ConfigError as exc:
            raise SynthAgentError(f"{st_file}: {'model.' if exc.field in cfg.__dict__ else ''}{exc}") from None
        policy = SynthPolicy(cfg)
        try:
            checkpoint.load(ck, policy)  # the manifest, shapes and finite weights
        except checkpoint.CheckpointError as exc:
            raise SynthAgentError(str(exc)) from None
        if encoder is None:
            from bfcore.encoder import EncoderError, load_encoder

            try:
                encoder = load_encoder(None, layers=layers)
            except EncoderError as exc:
                raise SynthAgentError(f"{st_file}: encoder: {exc}") from None
        agent = cls(policy, Embedder(encoder), ck, state)
        from bfcore.synth.teach import TAUGHT_FILE

        if (ck / TAUGHT_FILE).is_file():
            try:
                t = json.loads((ck / TAUGHT_FILE).read_text())
                agent.taught_label = str(t["label"])
                start = t["start"] or None
            except (ValueError, KeyError, TypeError) as exc:
                raise SynthAgentError(f"{ck / TAUGHT_FILE}: unreadable ({exc})") from None
            try:
                agent.start = cls.load(start, encoder=encoder)
            except SynthAgentError as exc:
                raise SynthAgentError(f"{ck}: the agent it was taught from: {exc}") from None
        return agent

    def _to_start(self, prompts: list[str], eps=None) -> list[bool]:
        """Which requests this taught agent's start answers: those its classifier gives (with
        ``start_sure`` or more, by default any share) to a family the start knew (not the
        person's), unless this agent's own choice (``eps``, when given) is a program of the
        person's tasks and the classifier gives the person's class more than a chance share:
        five phrasings teach the classifier less than they teach the policy ("decrement every
        character I type" was add's at 0.77, the person's at 0.10, and the taught weights chose
        the taught program)."""
        if self.start is None:
            return [False] * len(prompts)
        post = self._posterior(prompts)
        if post is None:
            return [False] * len(prompts)
        from bfcore.synth.library import upto_end

        fams = self.intent.families
        me = fams.index(self.taught_label) if self.taught_label in fams else None
        lib = self.library_families
        out = []
        for i, p in enumerate(post):
            to_start = fams[int(p.argmax())] != self.taught_label and p.max() >= self.start_sure
            # this agent chose a taught program, and the person's class has more than a chance
            # share: the taught weights know this kind (old requests for which the taught
            # weights chose the taught program had at most 0.007 of it, on val)
            if (to_start and eps is not None and me is not None and p[me] >= 1 / len(fams)
                    and "custom" in lib.get(upto_end(eps[i].actions), ())):
                to_start = False
            out.append(bool(to_start))
        return out

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

    def _scored_episode(self, prompt: str, actions, probe: bytes):
        """The episode of a known action sequence, with the policy's log-probabilities of it when
        the tracer runs on ``probe`` (the input the search's own samples were written on)."""
        from bfcore.synth.actions import prompt_params
        from bfcore.synth.library import forced_logp
        from bfcore.synth.policy import batch_arrays, replay

        ep = replay(actions, prompt_params(prompt), probe, self.policy.cfg)
        arrays = (np.array(a) for a in batch_arrays([ep]))
        lp = forced_logp(self._numpy_weights(), self.embed([prompt])[0], *arrays, per_step=True)[0]
        ep.logp = lp[:len(ep.actions)].tolist()
        return ep

    def choose(self, prompts: list[str], probes: list[bytes], ranked=None) -> list:
        """The episode of the most likely program for each request: the greedy decode, or a
        library program the policy gives a higher log-probability (a held-out phrasing often
        decodes greedily into a mix of two families' programs, while the library ranks the right
        one first). ``ranked``: each request's :meth:`ranked`, when already computed. A taught
        agent's start chooses for the requests of its own families (:meth:`_to_start`)."""
        eps = self._choose_own(prompts, probes, ranked)
        old = self._to_start(prompts, eps)
        if any(old):
            theirs = iter(self.start.choose([p for p, o in zip(prompts, old) if o],
                                            [b for b, o in zip(probes, old) if o]))
            eps = [next(theirs) if o else e for o, e in zip(old, eps)]
        return eps

    def _choose_own(self, prompts: list[str], probes: list[bytes], ranked=None) -> list:
        eps = self.write(prompts, probes, greedy=True)
        post = self._posterior(prompts)
        for i, (prompt, probe) in enumerate(zip(prompts, probes)):
            r = self.ranked(prompt, probe) if ranked is None else ranked[i]
            eps[i] = self._likelier(prompt, probe, eps[i], r, None if post is None else post[i])
        return eps

    def _posterior(self, prompts: list[str]):
        """The family classifier's [N, families] posterior, or None (no classifier or library)."""
        intent = self.intent
        if intent is None or not self.library:
            return None
        pooled = self.embed(prompts)
        # the shipped classifier reads the shipped encoder's states; another encoder's (a
        # checkpoint of another model, a test's tiny one) are not its to judge
        return intent.posterior(pooled) if pooled.shape[1] == intent.mean.shape[0] else None

    def _likelier(self, prompt: str, probe: bytes, ep, ranked, post):
        """``ep`` (a decode), or the library program ranked above it: by log-probability, plus
        the family prior when ``post`` (the request's posterior) is given and sure enough."""
        if not ranked:
            return ep
        from bfcore.synth.intent import CONFIDENT, WEIGHT

        mine = float(np.sum(ep.logp))
        if post is not None and post.max() >= CONFIDENT:  # see bfcore.synth.intent
            intent, fams = self.intent, self.library_families
            prior = lambda acts: WEIGHT * intent.prior(post, fams.get(tuple(acts)))  # noqa: E731
            ranked = sorted(((lp + prior(a), a) for lp, a in ranked), key=lambda x: -x[0])
            mine += prior(ep.actions)
        if ranked[0][0] > mine and ranked[0][1] != ep.actions:
            return self._scored_episode(prompt, ranked[0][1], probe)
        return ep

    @property
    def intent(self):
        """The family classifier (:mod:`bfcore.synth.intent`): the checkpoint's own, else the
        shipped one (it reads only the encoder's states, which every synthesis agent shares);
        None without one, or with ``use_intent`` off."""
        if not self.use_intent:
            return None
        if self._intent is False:  # looked up once: generate() asks on every request
            from bfcore.synth.intent import Intent, intent_path

            found = [intent_path(d) for d in ([self.path] if self.path else [])
                     + [default_synth_dir()] if intent_path(d).is_file()]
            self._intent = Intent.cached(found[0]) if found else None
        return self._intent

    @property
    def library_families(self) -> dict:
        if self._families is None:
            from bfcore.synth.library import library_families

            q = self.state.get("queue")
            self._families = library_families(q) if isinstance(q, dict) else {}
        return self._families

    def generate(self, prompt: str, examples=None, probe: bytes | None = None) -> SynthGeneration:
        """The most likely program (:meth:`choose`); with ``examples`` ([(input, output)]) it is
        also run on them. The tracer runs on ``probe``, else the first example's input, else
        on PROBE_INPUT and on no input, the likelier program kept."""
        from bfcore.synth.score import score_one

        t0 = time.perf_counter()
        if probe is None and examples:
            probe = examples[0][0]
        if probe is None:
            # no input to trace on: decode on a sample one and on none, and keep the likelier
            # (on "hello" a copies request read input: -5.3 nats against -1.9 on nothing; the
            # requests that read input are likelier on "hello"). The library is ranked on that
            # probe only (both took p50 from 40 to 52 ms), on no input only its programs that
            # read nothing
            two = self.write([prompt, prompt], [PROBE_INPUT, b""], greedy=True)
            ep, probe = max(zip(two, (PROBE_INPUT, b"")), key=lambda x: float(np.sum(x[0].logp)))
            post = self._posterior([prompt])
            ep = self._likelier(prompt, probe, ep, self.ranked(prompt, probe, no_input=not probe),
                                None if post is None else post[0])
        else:
            ep = self._choose_own([prompt], [probe])[0]
        if self._to_start([prompt], [ep])[0]:
            return self.start.generate(prompt, examples, probe)
        g = self._generation(prompt, ep)
        if examples:
            s = score_one(g.program, examples)
            g.passed, g.outputs, g.statuses = s.passed, s.outputs, s.statuses
        g.seconds = time.perf_counter() - t0
        return g

    def search(self, prompt: str, examples, budget: int = 1000, batch: int = 64,
               temperature: float = 1.0, seed: int | None = None,
               max_chars: int | None = None, config=None) -> SearchResult:
        """The chosen program, then the library in the policy's order (``batch // 8`` at a time),
        then, by turns, a climb (every one-edit neighbour, :func:`~bfcore.synth.mutate.neighbours`,
        of :meth:`_climb_starts`, then of the best programs so far) and a round of samples and of
        random edits of the best, until a program passes every example or ``budget`` distinct
        programs have run. A taught agent's start searches first for its own families' requests,
        on half the budget. The best program found (by reward) comes back either way. ``max_chars``: a
        program longer than this passes nothing (a task whose loop must beat printing). ``config``:
        how the examples are run (default :data:`bfcore.synth.score.CONFIG`)."""
        args = (batch, temperature, seed, max_chars, config)
        if not self._to_start([prompt])[0]:
            return self._search_own(prompt, examples, budget, *args)
        # a taught agent: its start first, on half the budget, then its own search on the rest
        res = self.start.search(prompt, examples, max(1, budget // 2), *args)
        if res.solved or res.npe >= budget:
            return res
        mine = self._search_own(prompt, examples, budget - res.npe, *args)
        mine.best.npe += res.npe
        mine.best.seconds += res.seconds
        return mine

    def _search_own(self, prompt: str, examples, budget: int, batch: int, temperature: float,
                    seed: int | None, max_chars: int | None, config) -> SearchResult:
        from bfcore.synth.actions import prompt_params, to_program
        from bfcore.synth.mutate import mutants, neighbours
        from bfcore.synth.score import CONFIG, score_programs

        config = config or CONFIG
        t0 = time.perf_counter()
        rng = np.random.default_rng(seed)
        params, probe, cfg = prompt_params(prompt), examples[0][0], self.policy.cfg
        seen: set[str] = set()
        pool: list[tuple[float, list[int]]] = []  # (reward, actions), best first
        best = None
        stalled = 0
        ranked = self.ranked(prompt, probe)
        chosen = self.choose([prompt], [probe], [ranked])[0]
        rounds = [[(chosen.actions, chosen)]]
        step = max(1, batch // 8)  # a few at a time: the right one is usually among the first
        rounds += [[(acts, None) for _, acts in ranked[i:i + step]]
                   for i in range(0, len(ranked), step)]
        rounds.reverse()
        expanded: set[tuple[int, ...]] = set()
        starts = self._climb_starts(prompt, chosen, ranked)
        turn = 0
        while len(seen) < budget and stalled < 50:  # a collapsed policy may write nothing new
            top = next((a for a in starts + [a for _, a in pool[:4]]
                        if tuple(a) not in expanded), None)
            if rounds:
                cands = rounds.pop()
            elif top is not None and turn % 2 == 0:  # by turns with samples: climb
                turn += 1
                expanded.add(tuple(top))
                cands = [(m, None) for m in neighbours(top, params, cfg.max_len, cfg.max_depth)]
            else:
                turn += 1
                cands = [(e.actions, e) for e in self.write([prompt] * batch, [probe] * batch,
                                                            greedy=False, temperature=temperature,
                                                            rng=rng)]
                for _, acts in pool[:3]:
                    cands += [(m, None) for m in mutants(acts, params, rng, batch // 6,
                                                          cfg.max_len, cfg.max_depth)]
            new = []
            for acts, e in cands:
                prog = e.program if e is not None else to_program(acts, params)[0]
                if prog not in seen and len(seen) < budget:
                    seen.add(prog)
                    new.append((acts, e, prog))
            if not new:
                stalled += 1
                continue
            stalled = 0
            scored = score_programs([p for _, _, p in new], [examples] * len(new),
                                    [len(a) - 1 for a, _, _ in new], config=config,
                                    caps=[max_chars] * len(new))
            for (acts, e, prog), sc in zip(new, scored):
                pool.append((sc.reward, list(acts)))
                if best is None or sc.reward > best[2].reward:  # (shorter wins among solved)
                    best = (acts, e, sc)
            if best[2].solved:
                return self._result(prompt, probe, *best, len(seen), t0)
            pool.sort(key=lambda x: -x[0])
            del pool[16:]
        if best is None:  # budget 0
            best = (chosen.actions, chosen,
                    score_programs([chosen.program], [examples], [len(chosen.actions) - 1],
                                   config=config, caps=[max_chars])[0])
        return self._result(prompt, probe, *best, len(seen), t0)

    def _climb_starts(self, prompt: str, chosen, ranked) -> list[list[int]]:
        """Where search's first climbs start: what the request asks for (the chosen program, the
        library's two likeliest, and the likeliest of each of the classifier's two likeliest
        families, however unsure), before the programs that happen to score best on the
        examples. A program one edit from a family's (a count that prints the number as a byte,
        not a digit) scores below one that is right on a few examples by luck."""
        starts = [list(chosen.actions)] + [list(a) for _, a in ranked[:2]]
        post = self._posterior([prompt])
        if post is not None:
            fams = self.library_families
            for f in np.argsort(-post[0])[:2]:
                name = self.intent.families[f]
                starts += [list(a) for _, a in ranked if name in fams.get(tuple(a), ())][:1]
        return starts

    def _result(self, prompt, probe, actions, ep, s, npe, t0) -> SearchResult:
        if ep is None:  # a local edit: what the policy thinks of it, teacher-forced
            ep = self._scored_episode(prompt, actions, probe)
        g = self._generation(prompt, ep)
        g.passed, g.outputs, g.statuses, g.npe = s.passed, s.outputs, s.statuses, npe
        g.seconds = time.perf_counter() - t0
        return SearchResult(g)
