"""How close the frozen encoder puts task words: can it bridge a phrasing that training never used?

Run: .venv/bin/python bench/probe_words.py [--layers 4 8 30] [--word shout]

Encodes "<verb> cat" for each verb and prints the cosine between the mean states of the verb's own
tokens, at each encoder depth K. A held-out word (the test split's "shout") is only bridged if it
lands near a trained word with the same meaning ("yell", "uppercase") and away from ones with
another ("say", "whisper").
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

VERBS = ["yell", "scream", "whisper", "say", "print", "uppercase", "capitalize", "reverse", "count"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--layers", type=int, nargs="+", default=[4, 8, 16, 30])
    ap.add_argument("--word", default="shout")
    args = ap.parse_args()
    import numpy as np

    from bfcore.encoder import load_encoder

    print(f"cosine between '{args.word} cat' and '<verb> cat', mean state of the verb's tokens")
    print("K    " + " ".join(f"{v:>10}" for v in VERBS))
    for k in args.layers:
        enc = load_encoder(None, layers=k, cache=False)

        def vec(verb: str):
            out = enc.encode(f"{verb} cat")
            n = len(enc.tokenize(verb))
            return np.array(out.states)[:n].mean(0)

        w = vec(args.word)
        cos = [float(w @ v / np.linalg.norm(w) / np.linalg.norm(v)) for v in map(vec, VERBS)]
        print(f"{k:<4} " + " ".join(f"{c:>10.2f}" for c in cos))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
