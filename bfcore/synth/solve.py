"""Solving one task: test-time search, then a short on-line fine-tune when search alone fails.

:func:`solve` first lets the agent search (greedy, then samples checked against the task's tests);
if no program passes, it fine-tunes a copy of the agent on that task alone, PQT style (samples,
local edits of the best programs, imitation of the queue), until a program passes every test or
the budget of programs executed (NPE) is spent. The agent on disk is never changed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from bfcore.tasks import Task


@dataclass
class SolveReport:
    problem: str
    solved: bool
    program: str
    npe: int
    seconds: float
    stage: str  # "search" | "finetune" | "failed"
    passed: tuple[bool, ...] = ()


def solve(agent, task: Task, budget: int = 10_000, search_budget: int = 1_000,
          finetune: bool = True, seed: int = 0, on_progress=None, config=None) -> SolveReport:
    from bfcore.synth.score import score_programs

    t0 = time.perf_counter()
    tests = tuple(task.tests)
    res = agent.search(task.problem, tests, budget=min(budget, search_budget), seed=seed,
                       config=config)
    if res.solved or not finetune or res.npe >= budget:
        return SolveReport(task.problem, res.solved, res.best.program, res.npe,
                           time.perf_counter() - t0, "search" if res.solved else "failed",
                           res.best.passed)
    from bfcore.synth.train import SynthTrainConfig, SynthTrainer

    cfg = SynthTrainConfig(run_dir="", seed=seed, keys_per_batch=1, samples_per_key=64,
                           mutants_per_key=64, enum_every=0,  # its millions of NPE: not here
                           hidden=agent.policy.cfg.hidden,
                           max_len=agent.policy.cfg.max_len, observe=agent.policy.cfg.observe,
                           lr=3e-4, init_from=str(agent.path) if agent.path else "")
    trainer = SynthTrainer(cfg, encoder=agent.embed.encoder,
                           tasks=[Task(task.problem, tests, "custom")], run_config=config)
    trainer.npe = res.npe
    while trainer.npe < budget and not trainer.found:
        stats = trainer.update()
        if on_progress is not None:
            on_progress({"npe": trainer.npe, **stats})
    if trainer.found:
        program = next(iter(trainer.found.values()))
        s = score_programs([program], [tests], [0], **({"config": config} if config else {}))[0]
        return SolveReport(task.problem, True, program, trainer.npe, time.perf_counter() - t0,
                           "finetune", s.passed)
    return SolveReport(task.problem, False, res.best.program, trainer.npe,
                       time.perf_counter() - t0, "failed", res.best.passed)
