"""Teaching the synthesis agent a new kind of request from a person's tasks with examples.

A person gives a few requests, each with examples (input -> output). :func:`teach` continues the
agent's training from its checkpoint, weights and library, on those tasks and on its own families:
half of each batch draws the person's tasks (samples, edits, the enumerative search), the other
half rehearses the families, so the old programs stay imitated under their phrasings; half of
that rehearsal goes to the families whose phrasings are nearest the person's, where the taught
program would otherwise take over (experience replay aimed where it interferes, as MIR does),
and the rehearsal episodes are distilled from the starting policy (the KL from its action
distribution, as in learning without forgetting), so the old phrasings keep their programs. The
person's solved programs are also written under the rehearsal prompts and distilled there (not
imitated): held to the start, they do not climb above an old family's program in the ranking.
A program that passes a task's examples joins its queue, so the agent's library, and is
imitated under the person's phrasings, which teaches the policy to rank it first for requests
like them.

:func:`gate` checks the taught agent before it is used, as the print agent's fine-tunes are.

Teaching stops by itself ``settle`` updates after every task has a passing program (time for the
policy to take it in), when ``minutes`` run out, or when ``should_stop`` says so. The starting
agent is never changed: the run directory is a new agent.
"""

from __future__ import annotations

from pathlib import Path

#: how teaching differs from training from scratch: a lower learning rate (the start is a
#: trained agent), half of each batch on the person's tasks, half the rest on the three families
#: whose phrasings are nearest theirs, the rehearsal held to the starting policy (distill), the
#: enumerative search more often; docs/experiments/teach_synth.md has the runs behind each
TEACH = {"lr": 1e-4, "focus": 0.5, "near": 0.5, "near_k": 3, "distill": 1.0, "enum_every": 5,
         "report_every": 5, "save_every": 25}


def teach(start: str | Path, tasks, run_dir: str | Path, minutes: float = 10.0, settle: int = 30,
          seed: int = 0, on_report=None, should_stop=None, encoder=None, **overrides) -> Path:
    """Teach the agent at ``start`` the ``tasks`` (:class:`~bfcore.tasks.Task` with tests, of no
    built-in family); returns the run directory, a loadable synthesis agent."""
    import json

    from bfcore.synth.families import make_tasks
    from bfcore.synth.train import SynthTrainConfig, find_checkpoint, train
    from bfcore.tasks import Task

    start = Path(start)
    ck = find_checkpoint(start) or start
    model = json.loads((ck / "state.json").read_text())["model"]
    mine = [Task(t.problem, tuple(t.tests), "custom") for t in tasks]  # their own queue keys
    if not mine or not all(t.tests for t in mine):
        raise ValueError("teaching needs tasks with examples (input -> output)")
    rehearse = make_tasks("train", 50, seed=seed)
    cfg = SynthTrainConfig(**{"run_dir": str(run_dir), "seed": seed, "steps": 0, "minutes": minutes,
                              "init_from": str(ck), "hidden": model["hidden"],
                              "max_len": model["max_len"], "observe": model["observe"],
                              **TEACH, **overrides})
    rule = _Settled(settle, on_report, should_stop)
    return train(cfg, on_report=rule.report, should_stop=rule, encoder=encoder, tasks=mine + rehearse)


class _Settled:
    """Stop ``settle`` updates after the first report in which every task had a passing program
    (or when ``should_stop`` says so); reports pass through to ``on_report``."""

    def __init__(self, settle: int, on_report=None, should_stop=None):
        self.settle, self.on_report, self.should_stop = settle, on_report, should_stop
        self.step, self.solved_at = 0, None

    def report(self, r: dict) -> None:
        self.step = int(r["step"])
        if self.solved_at is None and r.get("custom_solved", 0) >= 1:
            self.solved_at = self.step
        if self.on_report is not None:
            self.on_report(r)

    def __call__(self) -> bool:
        if self.should_stop is not None and self.should_stop():
            return True
        return self.solved_at is not None and self.step - self.solved_at >= self.settle


def gate(current, candidate, taught=(), points: float | None = None, per_family: int = 10):
    """The gate before the app generates with a taught synthesis agent (:func:`bfcore.agent.gate.
    check`): greedy success on the val split (held-out phrasings of its families, fresh inputs)
    may fall by at most ``points``; ``taught``: the person's tasks, on their own examples."""
    from bfcore.agent.gate import GATE_POINTS, check
    from bfcore.synth.families import make_tasks

    return check(current, candidate, points=GATE_POINTS if points is None else points,
                 tasks=make_tasks("val", per_family, seed=7), taught=list(taught) or None,
                 score=success)


def success(agent, tasks) -> dict[str, float]:
    """Greedy success on ``tasks``: "overall" and one share per built-in family."""
    from bfcore.synth.evaluate import evaluate
    from bfcore.synth.families import FAMILIES

    # a family's tasks get fresh inputs; a person's tasks are judged on their own examples
    r = evaluate(agent, tasks, fresh=all(t.family in FAMILIES for t in tasks))
    return {"overall": r["overall"], **{f: r[f] for f in r if f in FAMILIES}}
