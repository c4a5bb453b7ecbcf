"""Scoring an agent on a task set: per-family exact-output success, reward, program length, valid %."""

from __future__ import annotations

from collections import defaultdict

import numpy as np


def evaluate(agent, tasks, batch: int = 256, greedy: bool = True) -> dict:
    """Greedy-decode every task, run the programs, score the real outputs. Returns
    ``{"families": {name: stats}, "overall": stats, "results": [per-task dicts]}``."""
    from bfcore.interp.program import find_errors
    from bfcore.rewards import greedy_length, run_programs, score

    rows = []
    for s in range(0, len(tasks), batch):
        part = tasks[s:s + batch]
        gens = agent.generate_batch([t.problem for t in part], greedy=greedy, seed=s)
        programs = [g.program for g in gens]
        outputs, statuses = run_programs(programs, part)
        sc = score(outputs, statuses, part, programs)
        for i, (t, g) in enumerate(zip(part, gens)):
            rows.append({"family": t.family, "problem": t.problem, "expected": t.target.decode("latin-1"),
                         "program": g.program, "output": outputs[i][0].decode("latin-1"),
                         "success": bool(sc.success[i]), "reward": float(sc.total[i]),
                         "valid": not find_errors(g.program) and all(st == "ok" for st in statuses[i]),
                         "length": len(g.program), "greedy_length": greedy_length(t.target)})
    fams = defaultdict(list)
    for r in rows:
        fams[r["family"]].append(r)
    out = {"families": {f: _stats(rs) for f, rs in sorted(fams.items())}, "overall": _stats(rows), "results": rows}
    return out


def _stats(rows) -> dict:
    ok = [r for r in rows if r["success"]]
    return {"n": len(rows), "success": float(np.mean([r["success"] for r in rows])),
            "reward": float(np.mean([r["reward"] for r in rows])),
            "length": float(np.mean([r["length"] for r in rows])),
            "valid": float(np.mean([r["valid"] for r in rows])),
            # program length relative to the greedy compiler, over the programs that print the right thing
            "length_ratio": float(sum(r["length"] for r in ok) / max(sum(r["greedy_length"] for r in ok), 1)) if ok else None}


def format_table(report: dict) -> str:
    head = f"{'family':<12} {'n':>5} {'success':>8} {'reward':>8} {'length':>7} {'valid':>6} {'len/greedy':>10}"
    lines = [head, "-" * len(head)]
    items = list(report["families"].items()) + [("overall", report["overall"])]
    for name, s in items:
        lr = f"{s['length_ratio']:.2f}" if s["length_ratio"] is not None else "-"
        lines.append(f"{name:<12} {s['n']:>5} {s['success']:>8.1%} {s['reward']:>8.3f} {s['length']:>7.1f} "
                     f"{s['valid']:>6.0%} {lr:>10}")
    return "\n".join(lines)
