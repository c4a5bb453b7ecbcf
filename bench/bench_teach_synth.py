"""Teaching the synthesis agent a kind of request it was never trained on, as a person would.

Run: .venv/bin/python bench/bench_teach_synth.py [--family thrice] [--minutes 10] [--agent DIR]
     [--set distill=1 ...]

Each family below is new to the agent (none of its 22 families). The person writes five requests,
each with six examples (inputs of 1 to 6 characters), and teaches (bfcore.synth.teach: the app's Ctrl+T on such tasks). Then
the taught agent is scored on the three *held-out* phrasings, written with the family before any
run, on fresh random inputs: greedy (the chosen program, no examples) and with a search of up to
300 programs on two examples, judged on four others, as `bftui eval --synth` does. The old
families are scored before and after on the val split (greedy, 440 tasks) beside it, and the
taught weights once more without their start (bfcore.synth.teach.keep_start), for comparison.
"""

from __future__ import annotations

import argparse
import random
import string
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# name -> (reference, phrasings taught, held-out phrasings); inputs are short printable words
FAMILIES = {
    "thrice": (lambda x: bytes(b for c in x for b in (c, c, c)),
               ["print every character of the input three times",
                "write each input byte 3 times in a row",
                "triple each character I type",
                "output every letter of what I type thrice",
                "repeat each byte of stdin three times"],
               ["each char, three copies", "make every character appear 3 times",
                "I want each letter tripled"]),
    "minus_one": (lambda x: bytes(c - 1 for c in x),
                  ["subtract one from every byte of the input",
                   "print each character shifted down by one",
                   "output the input with every byte decreased by 1",
                   "lower each character code by one",
                   "move every letter one step back in the alphabet"],
                  ["each char minus one", "decrement every character I type",
                   "print the previous character for each input byte"]),
    "first_two": (lambda x: x[:2],
                  ["print the first two characters of the input",
                   "output only the first 2 bytes I type",
                   "keep the first two letters of the input and drop the rest",
                   "write the input's first two characters",
                   "echo just the opening two bytes of stdin"],
                  ["first 2 chars", "give me the two characters the input starts with",
                   "I only want the input's first pair of letters"]),
    "drop_last": (lambda x: x[:-1],
                  ["print the input without its last character",
                   "drop the final character of what I type",
                   "output everything except the last byte",
                   "remove the last letter of the input",
                   "all but the last character of stdin"],
                  ["chop the last character off the input",
                   "I want my text back minus the final letter", "everything but the last byte"]),
}


def tests_for(ref, rng: random.Random, n: int) -> tuple:
    """``n`` examples of lengths 1, 2, ... (then random up to 6), as a person varies them: with
    4 random lengths of 2-5, teaching drop_last found `>>>,.,.[>,>,]<<<[>[<.,]>]`, which passes
    them and prints "ab" for "ab"."""
    alphabet = string.ascii_lowercase + string.digits
    inputs: list[bytes] = []
    while len(inputs) < n:
        k = len(inputs) + 1 if len(inputs) < 6 else rng.randint(1, 6)
        x = "".join(rng.choice(alphabet) for _ in range(k)).encode()
        if x not in inputs:
            inputs.append(x)
    rng.shuffle(inputs)
    return tuple((x, ref(x)) for x in inputs)


def score(agent, ref, phrasings, seed: int) -> tuple[float, float]:
    """(greedy share, search-300 share) over the phrasings, 4 tasks each, fresh inputs."""
    from bfcore.synth.score import score_programs

    rng = random.Random(seed)
    greedy, search = [], []
    for p in phrasings:
        for _ in range(4):
            ts = tests_for(ref, rng, 6)
            g = agent.generate(p, probe=ts[0][0])
            greedy.append(score_programs([g.program], [ts], [0])[0].solved)
            res = agent.search(p, ts[:2], budget=300, seed=rng.randrange(1 << 31))
            search.append(res.solved and score_programs([res.best.program], [ts[2:]], [0])[0].solved)
    return sum(greedy) / len(greedy), sum(search) / len(search)


def old_skills(agent) -> dict:
    """Greedy success on the val split: "overall" and one entry per family (the gate's score)."""
    from bfcore.synth.families import make_tasks
    from bfcore.synth.teach import success

    return success(agent, make_tasks("val", 20, seed=7))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--family", choices=sorted(FAMILIES), default="thrice")
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--agent", default=None, help="the synthesis agent to teach (default: shipped)")
    ap.add_argument("--run-dir", default=None, help="where the taught agent goes (default: a temp dir)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                    help="override a teaching setting (bfcore.synth.teach.TEACH), e.g. distill=1")
    a = ap.parse_args()
    from bfcore.synth.train import parse_overrides

    try:
        overrides = parse_overrides(a.set)
    except ValueError as exc:
        sys.exit(f"--set {exc}")

    import tempfile

    from bfcore.runtime import STATE
    from bfcore.synth.agent import SynthAgent, default_synth_dir
    from bfcore.synth.teach import teach
    from bfcore.tasks import Task

    ref, taught, held = FAMILIES[a.family]
    start = Path(a.agent) if a.agent else default_synth_dir()
    agent = SynthAgent.load(start)
    print(f"family {a.family}; BLAS {STATE['blas']} ({STATE['openblas_path'] or '-'}); "
          f"overrides {overrides or '-'}")
    g0, s0 = score(agent, ref, held, seed=1)
    old0 = old_skills(agent)
    o0 = old0["overall"]
    print(f"before: held-out greedy {g0:.1%}, search 300 {s0:.1%}; old families (val) {o0:.1%}")
    rng = random.Random(a.seed)
    tasks = [Task(p, tests_for(ref, rng, 6), "custom") for p in taught]
    run_dir = Path(a.run_dir) if a.run_dir else Path(tempfile.mkdtemp(prefix="teach-")) / "run"
    t0 = time.perf_counter()

    def on_report(r):
        print(f"  step {r['step']:4d}  {time.perf_counter() - t0:6.1f} s  "
              f"tasks solved {r.get('custom_solved', 0):.0%}  npe {r['npe']}", flush=True)

    teach(start, tasks, run_dir, minutes=a.minutes, seed=a.seed, on_report=on_report,
          encoder=agent.embed.encoder, **overrides)
    minutes = (time.perf_counter() - t0) / 60
    after = SynthAgent.load(run_dir, encoder=agent.embed.encoder)
    g1, s1 = score(after, ref, held, seed=1)
    old1 = old_skills(after)
    o1 = old1["overall"]
    print(f"after {minutes:.1f} min: held-out greedy {g1:.1%}, search 300 {s1:.1%}; "
          f"old families (val) {o1:.1%} ({100 * (o1 - o0):+.1f} points)")
    moved = [f"{f} {old0[f]:.0%} -> {old1[f]:.0%}" for f in old0
             if f != "overall" and abs(old1[f] - old0[f]) >= 0.1]
    print(f"families that moved 10 points or more: {', '.join(moved) or 'none'}")
    if after.start is not None:  # the comparison: the same weights, never handing to the start
        after.start_sure = 1.01
        g2, s2 = score(after, ref, held, seed=1)
        o2 = old_skills(after)["overall"]
        print(f"the taught weights alone: held-out greedy {g2:.1%}, search 300 {s2:.1%}; "
              f"old families (val) {o2:.1%} ({100 * (o2 - o0):+.1f} points)")
    print(f"taught agent: {run_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
