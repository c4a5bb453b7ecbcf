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

The taught agent keeps its start as an expert (:func:`keep_start`, as Expert Gate does: Aljundi
et al. 2017): a family classifier refitted with the person's requests as one more class sends a
request it gives to a family the start knew to the start itself, and only the person's kind of
request to the taught weights (sending only the requests it was sure of, 0.5 or more, cost
2.0-2.3 points of val: the start answers the unsure ones better). Fine-tuning
moved the old families' rankings in every run (val -2.7 and -3.0 points, single families -25 to
-50), and the classifier reads the frozen encoder, which teaching never changes.
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
    out = train(cfg, on_report=rule.report, should_stop=rule, encoder=encoder,
                tasks=mine + rehearse)
    keep_start(ck, out, [t.problem for t in mine], encoder)
    return out


#: a taught agent's file naming its start and the person's requests (:func:`keep_start`)
TAUGHT_FILE = "taught.json"


def keep_start(start_ck: Path, run_dir: str | Path, prompts: list[str], encoder=None) -> Path:
    """Write into the taught checkpoint a family classifier that knows the person's requests as
    one class (``taught:<run name>``; the requests of earlier teachings of the start keep their
    own), and :data:`TAUGHT_FILE`, which names the start (see the module's note)."""
    import json
    import random

    import numpy as np

    from bfcore.synth.agent import default_synth_dir
    from bfcore.synth.families import make_tasks
    from bfcore.synth.intent import fit, intent_path
    from bfcore.synth.train import Embedder, find_checkpoint
    from bfcore.tasks import dress
    from bfcore.train.checkpoint import atomic_write_text

    if encoder is None:
        from bfcore.encoder import load_encoder

        encoder = load_encoder(None, layers=4)
    run_dir = Path(run_dir)
    ck = find_checkpoint(run_dir) or run_dir
    label = f"taught:{run_dir.resolve().name}"
    fams = make_tasks("train", 60, seed=11)  # as scripts/fit_intent.py fits the shipped one
    texts, labels = [t.problem for t in fams], [t.family for t in fams]
    rng = random.Random(0)
    for lab, ps in taught_chain(start_ck) + [(label, prompts)]:
        # each class weighs as much as a family, and is dressed as the families' train
        # phrasings are ("could you ...", "... please"), so that a wrapping tells no class
        reps = max(1, 60 // max(len(ps), 1))
        texts += [dress(p, "custom", rng, set()) for p in ps for _ in range(reps)]
        labels += [lab] * (len(ps) * reps)
    model = fit(np.asarray(Embedder(encoder)(texts), np.float64), labels)
    atomic_write_text(intent_path(ck), json.dumps(model))
    start = Path(start_ck).resolve()
    atomic_write_text(ck / TAUGHT_FILE, json.dumps(  # "": the shipped agent, wherever installed
        {"start": "" if start == default_synth_dir().resolve() else str(start), "label": label,
         "prompts": list(prompts)}))
    return ck


def taught_chain(ck: Path) -> list[tuple[str, list[str]]]:
    """(label, requests) of every teaching behind the agent at ``ck``, the earliest first."""
    import json

    out = []
    f = Path(ck) / TAUGHT_FILE
    while f.is_file():
        t = json.loads(f.read_text())
        out.insert(0, (t["label"], t["prompts"]))
        if not t["start"]:
            break
        f = Path(t["start"]) / TAUGHT_FILE
    return out


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
