"""Messages that workers and widgets post upwards ("attributes down, messages up")."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from textual.message import Message


@dataclass
class AgentReady(Message):
    """The agent loaded in its thread; ``info`` says which one (path, or "default")."""

    info: str


@dataclass
class AgentUnavailable(Message):
    """No agent could be loaded; ``reason`` tells the user what to do."""

    reason: str


@dataclass
class GenerationReady(Message):
    """A ``bfcore.agent.Generation`` for ``prompt``, made in ``seconds``."""

    prompt: str
    generation: Any
    expected: bytes | None
    seconds: float
    examples: list = field(default_factory=list)  # (input, output) pairs given to the search


@dataclass
class GenerationFailed(Message):
    prompt: str
    error: str


@dataclass
class TrainReport(Message):
    """One report dict from ``bfcore.train.train`` (keys as in metrics.jsonl)."""

    report: dict


@dataclass
class TrainStopped(Message):
    """Training ended: finished, stopped on request, or failed with ``error``."""

    run_dir: str | None
    stopped: bool
    error: str | None = None
    gate: Any = None  # bfcore.agent.gate.GateResult, when the run started from an agent
    kind: str = "print"  # which agent was taught: "print" or "synth" (tasks with examples)
    more: bool = False  # another run follows in the same worker (the print tasks of a mixed set)


@dataclass
class TaskAdded(Message):
    path: str
    count: int
