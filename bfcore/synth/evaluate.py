"""Scoring the synthesis agent: per family, the share of tasks whose program passes every test.

Each task is judged on *fresh* inputs (:func:`~bfcore.synth.families.fresh_tests` with a seed of the
evaluation's own), so a score says the program works, not that an output was remembered. The
tracer's example input is the first of those tests' inputs, as a user's first example would be.
With ``budget > 1`` the agent may also search: it sees ``n_examples`` of the tests as examples and
is judged on the rest. A family with a cap on program text (copies: half the print compiler's)
counts a longer program as failed, in both modes.
"""

from __future__ import annotations

import numpy as np


def evaluate(agent, tasks, seed: int = 12345, n_tests: int = 6, budget: int = 1,
             n_examples: int = 2, fresh: bool = True) -> dict:
    """{"overall": share of all tasks solved, "<family>": share solved, "worst_family": the lowest
    family score, "input_families" / "constant_families": the share over each kind (when present),
    "n": tasks, "npe": mean programs executed per task, "tasks": one row per task (:func:`_row`)}."""
    from bfcore.synth.families import fresh_tests, text_cap
    from bfcore.synth.score import score_programs

    rng = np.random.default_rng(seed)
    per: dict[str, list[bool]] = {}
    npes, rows = [], []
    if budget <= 1:
        tests = [fresh_tests(t, int(rng.integers(1 << 31)), n_tests) if fresh else t.tests
                 for t in tasks]
        eps = []
        for i in range(0, len(tasks), 256):
            eps += agent.choose([t.problem for t in tasks[i:i + 256]],
                                [ts[0][0] for ts in tests[i:i + 256]])
        scored = score_programs([e.program for e in eps], tests, [len(e.actions) - 1 for e in eps],
                                caps=[text_cap(t.family, ts) for t, ts in zip(tasks, tests)])
        for t, e, ts, s in zip(tasks, eps, tests, scored):
            per.setdefault(t.family, []).append(s.solved)
            rows.append(_row(t, e.program, ts, s, s.solved, 1))
        npes = [1] * len(tasks)
    else:
        for t in tasks:
            ts = fresh_tests(t, int(rng.integers(1 << 31)), n_tests + n_examples) if fresh else t.tests
            examples = ts[:n_examples]
            cap = text_cap(t.family, ts)
            res = agent.search(t.problem, examples, budget=budget, seed=int(rng.integers(1 << 31)),
                               max_chars=cap)
            # run on every test, examples first (the row names the first failed of all); it is
            # judged on the others, or on all when there are no others
            s = score_programs([res.best.program], [ts], [0], caps=[cap])[0]
            hidden = s.passed[n_examples:] if len(ts) > n_examples else s.passed
            ok = res.solved and all(hidden)
            per.setdefault(t.family, []).append(ok)
            npes.append(res.npe)
            rows.append(_row(t, res.best.program, ts, s, ok, res.npe))
    out = {f: float(np.mean(v)) for f, v in sorted(per.items())}
    allv = [x for v in per.values() for x in v]
    result = {"overall": float(np.mean(allv)) if allv else 0.0, **out}
    result["worst_family"] = min(out.values()) if out else 0.0
    # the two halves apart: the bars are set for the families that read input
    from bfcore.synth.families import FAMILIES

    for name, want in (("input_families", True), ("constant_families", False)):
        v = [x for f, xs in per.items() if f in FAMILIES and FAMILIES[f].reads_input == want
             for x in xs]
        if v:
            result[name] = float(np.mean(v))
    result["n"] = len(tasks)
    result["npe"] = float(np.mean(npes)) if npes else 0.0
    result["tasks"] = rows
    return result


def _row(task, program: str, tests, scored, solved: bool, npe: int) -> dict:
    """One task's line of the report: what was asked, the program, and the first test it fails
    (input, expected and actual output, run status, or "over the length cap" for a right output
    from a program longer than its family allows; bytes as latin-1 text), or None."""
    row = {"problem": task.problem, "family": task.family, "solved": bool(solved),
           "program": program, "npe": int(npe), "first_failure": None}
    for (inp, want), ok, got, status in zip(tests, scored.passed, scored.outputs,
                                            scored.statuses):
        if not ok:
            row["first_failure"] = {"input": inp.decode("latin-1"),
                                    "expected": want.decode("latin-1"),
                                    "output": got.decode("latin-1"),
                                    "status": "over the length cap"
                                    if got == want and status == "ok" else status}
            break
    return row
