"""The gate before the app or the REPL generates with fine-tuned weights, and the list of the agents
it let through.

A fine-tune is accepted only if the old skills hold: exact-output success on the built-in val split
(held-out phrasings of the trained families) may fall by at most ``points`` points. The test split
stays untouched for reporting.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from bfcore.atomic import atomic_write_text

GATE_POINTS = 2.0


@dataclass(frozen=True)
class GateResult:
    accepted: bool
    before: float  # old skills (val split success) of the agent in use
    after: float  # the same for the fine-tuned candidate
    n: int  # val tasks
    points: float
    taught: float | None = None  # the candidate's success on the tasks it was taught
    # the family that fell most, (name, before, after), when one fell by more than ``points``:
    # the gate averages over families, so an accepted agent can still have lost one
    fell: tuple[str, float, float] | None = None

    def message(self) -> str:
        old = f"old skills (val split, {self.n} tasks) {self.before:.1%} -> {self.after:.1%}"
        if self.fell is not None:
            name, was, now = self.fell
            old += f" ({name} fell most: {was:.0%} -> {now:.0%})"
        taught = "" if self.taught is None else f"; your tasks {self.taught:.0%}"
        if self.accepted:
            return f"now using the new agent: {old}{taught}"
        return (f"kept the current agent: {old}, a fall of more than {self.points:g} points{taught}. "
                "Teach with more examples and phrasings, or fewer updates")


@dataclass(frozen=True)
class GateSkipped:
    """The gate could not run (say, a custom model the val split does not fit): nothing switches."""

    reason: str
    how: str = "ctrl+p, 'Agent: use the last run anyway'"  # how to use the new weights anyway
    accepted: bool = False

    def message(self) -> str:
        return (f"kept the current agent: its old skills could not be checked ({self.reason}). "
                f"To use the new one anyway: {self.how}")


def val_tasks():
    from bfcore.tasks import default_task_file, load_tasks

    return load_tasks(default_task_file("val"))


def success(agent, tasks) -> dict[str, float]:
    """The print agent's exact-output success: "overall" and one share per family."""
    from bfcore.agent.evaluate import evaluate

    if not tasks:
        return {"overall": float("nan")}
    r = evaluate(agent, tasks)
    return {"overall": float(r["overall"]["success"]),
            **{f: float(st["success"]) for f, st in r["families"].items()}}


def check(current, candidate, *, points: float = GATE_POINTS, tasks=None, taught=None,
          score=success) -> GateResult:
    """Compare two loaded agents on the val split (or ``tasks``); ``taught``: the user's tasks;
    ``score(agent, tasks)``: the share solved, or a dict of "overall" and per-family shares (the
    print agent's :func:`success` by default), so that the family that fell most is named."""
    tasks = val_tasks() if tasks is None else tasks
    (before, fams0), (after, fams1) = _shares(score(current, tasks)), _shares(score(candidate, tasks))
    drops = sorted((fams1[f] - fams0[f], f) for f in fams0.keys() & fams1.keys())
    fell = None
    if drops and drops[0][0] < -points / 100:
        fell = (drops[0][1], fams0[drops[0][1]], fams1[drops[0][1]])
    return GateResult(accepted=after >= before - points / 100, before=before, after=after,
                      n=len(tasks), points=points,
                      taught=_shares(score(candidate, taught))[0] if taught else None, fell=fell)


def _shares(r) -> tuple[float, dict[str, float]]:
    """A score's overall share and its per-family shares: a score returns a share, or a dict with
    "overall" and one share per family."""
    if isinstance(r, dict):
        return float(r["overall"]), {k: float(v) for k, v in r.items() if k != "overall"}
    return float(r), {}


class AgentHistory:
    """The accepted agents, newest last, in one JSON file: ``None`` is the shipped default.

    ``accept`` pushes, ``back`` pops to the previous one, ``reset`` pushes the default (so that it
    can be undone too). Written atomically; a missing or unreadable file is a fresh history.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            stack = [p if p is None else str(p) for p in data["stack"]]
        except (OSError, ValueError, KeyError, TypeError):
            stack = []
        self.stack: list[str | None] = stack or [None]

    @property
    def current(self) -> str | None:
        return self.stack[-1]

    def accept(self, path: str | Path, start: str | Path | None = None) -> None:
        """``path`` becomes current; ``start``, the agent it was fine-tuned from, goes under it
        when the history does not end with it already (an agent given with ``--agent``)."""
        start = None if start is None else str(start)
        if self.current != start:
            self.stack.append(start)
        self.stack.append(str(path))
        self._save()

    def reset(self) -> None:
        if self.current is not None:
            self.stack.append(None)
            self._save()

    def back(self) -> str | None:
        """Go back to the previous agent; raises LookupError when there is none."""
        if len(self.stack) < 2:
            raise LookupError("nothing to undo: this is the first agent of the history")
        self.stack.pop()
        self._save()
        return self.current

    def _save(self) -> None:
        atomic_write_text(self.path, json.dumps({"stack": self.stack}, indent=1))
