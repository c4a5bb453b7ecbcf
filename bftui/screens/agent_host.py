"""One long-lived thread that owns the agent: MLX arrays belong to the thread that made them, so
loading and generating both happen here, whichever Textual worker asked."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from bfcore.threads import release_mlx_streams


class AgentMissing(Exception):
    """No agent can be loaded; the message says what to do."""


class AgentHost:
    def __init__(self, path: str | None = None) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bftui-agent")
        self._path = path
        self._pending_path: str | None = None  # newer weights, loaded before the next generation
        self._agent = None
        self._synth = None
        self._synth_path: str | None = None  # None: the shipped synthesis agent
        self._synth_pending: str | None = None
        self.info = "not loaded"

    def load(self) -> Future:
        return self._pool.submit(self._ensure_loaded)

    def generate(self, prompt: str, *, greedy: bool, temperature: float, best_of: int,
                 expected: bytes | None, examples=()) -> Future:
        """The print agent's Generation, or, with ``examples`` or for a request the router sends
        there, the synthesis agent's SynthGeneration (its program reads input and loops)."""
        return self._pool.submit(self._generate, prompt, greedy, temperature, best_of, expected,
                                 tuple(examples))

    def use_weights(self, path: str | Path | None) -> None:
        """Switch to the weights at ``path`` (None: the shipped default) at the next request."""
        self._pending_path = "" if path is None else str(path)

    def use_synth(self, path: str | Path | None) -> None:
        """Switch the synthesis agent to ``path`` (None: the shipped one) at its next request."""
        self._synth_pending = "" if path is None else str(path)

    def synth_path(self) -> str | None:
        """The synthesis agent in use now or next (None: the shipped one)."""
        if self._synth_pending is None:
            return self._synth_path
        return self._synth_pending or None

    def current_path(self) -> str | None:
        """The agent directory in use now or next, as given (None: the shipped default)."""
        return self._path if self._pending_path is None else (self._pending_path or None)

    def weights_path(self) -> Path | None:
        """The checkpoint (or run) directory generation uses now or next, if it exists."""
        path = self.current_path()
        if path:
            return Path(path)
        from bfcore.agent import default_agent_dir

        path = default_agent_dir()
        return path if (path / "state.json").is_file() else None

    def shutdown(self) -> None:
        # Queued last, so it runs after any generation in flight: the agent thread used MLX and must
        # free its streams before it ends, or the process may abort at exit.
        self._pool.submit(release_mlx_streams)
        self._pool.shutdown(wait=False)

    # -- in the agent thread ---------------------------------------------------------------------

    def _ensure_loaded(self) -> str:
        if self._pending_path is not None:
            self._path, self._pending_path, self._agent = self._pending_path or None, None, None
        if self._agent is None:
            self._agent = _load_agent(self._path)
            self.info = self._path or "default agent"
        return self.info

    def _generate(self, prompt, greedy, temperature, best_of, expected, examples=()):
        if examples or (expected is None and self._path is None and _routes_to_synth(prompt)):
            return self._synthesize(prompt, examples)
        agent = self._agent if self._pending_path is None and self._agent else None
        if agent is None:
            self._ensure_loaded()
            agent = self._agent
        return agent.generate(prompt, greedy=greedy, temperature=temperature, best_of=best_of,
                              expect=expected)


    def _synthesize(self, prompt, examples):
        if self._synth_pending is not None:
            self._synth_path, self._synth_pending, self._synth = self._synth_pending or None, None, None
        if self._synth is None:
            from bfcore.synth.agent import SynthAgent
            from bfcore.synth.router import shared_encoder

            try:
                self._synth = SynthAgent.load(self._synth_path, encoder=shared_encoder())
            except (ValueError, OSError) as exc:
                raise AgentMissing(f"no synthesis agent: {exc}") from None
        if examples:
            return self._synth.search(prompt, examples, budget=1000).best
        return self._synth.generate(prompt)


def _routes_to_synth(prompt: str) -> bool:
    from bfcore.synth.router import routes_to_synth

    try:
        return routes_to_synth(prompt)
    except (ValueError, OSError):
        return False  # no router or encoder: the print agent answers, as before


def _load_agent(path: str | None):
    from bfcore.agent import Agent

    try:
        return Agent.load(path)
    except (ValueError, OSError) as exc:  # AgentError is a ValueError naming the file
        where = path or "the shipped default (assets/agent/)"
        raise AgentMissing(
            f"no agent loaded from {where}: {exc}. Train one with `bftui train`, or start "
            "with `bftui --agent RUN_DIR`; the debugger works without one."
        ) from None
