"""Widen a synthesis checkpoint to the current action vocabulary, in place or into a new directory.

The vocabulary grows at its end (the derived facts ``+n/8`` ... came after ``-c``); the embedding's
last row is the START input, which moves to the end. A new action starts as a copy of the action it
derives from (``+n/8`` from ``+n``, ``.w`` from ``.``): the same input embedding, and the same
head row with a bias ``GAP`` lower, so the widened policy's greedy programs are the old ones, and
sampling tries the new actions at about e^-GAP the rate of their parents until training says
otherwise.

Run: .venv/bin/python scripts/widen_actions.py SRC [DST]   (SRC: a directory with model.safetensors)
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

GAP = 3.0
# the action each new one starts as, where its name does not say ("+n/8" is "+n" divided)
PARENT = {".w": ".", "+n2": "+n", "+c2": "+c", "+w0": "+c", "+w$": "+c"}


def widen(weights: dict, n_old: int) -> dict:
    """The arrays for the current vocabulary from those of a vocabulary of ``n_old`` actions."""
    import numpy as np

    from bfcore.synth.actions import ACTIONS, INDEX, N_ACTIONS

    if n_old == N_ACTIONS:
        return weights
    if not 0 < n_old < N_ACTIONS:
        raise ValueError(f"{n_old} actions: not a smaller vocabulary than this one's {N_ACTIONS}")
    parent = [INDEX[PARENT.get(ACTIONS[a]) or ACTIONS[a].split("/")[0].split("%")[0]]
              for a in range(n_old, N_ACTIONS)]
    out = dict(weights)
    emb = np.array(weights["emb.weight"])
    out["emb.weight"] = np.concatenate([emb[:n_old], emb[parent], emb[n_old:]])
    w, b = np.array(weights["out.weight"]), np.array(weights["out.bias"])
    out["out.weight"] = np.concatenate([w, w[parent]])
    out["out.bias"] = np.concatenate([b, b[parent] - GAP])
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("src", type=Path)
    ap.add_argument("dst", type=Path, nargs="?")
    args = ap.parse_args()
    from bfcore.runtime import mx

    src = args.src / "model.safetensors"
    if not src.is_file():
        print(f"widen_actions: {src}: missing", file=sys.stderr)
        return 2
    weights = {k: v for k, v in mx.load(str(src)).items()}
    n_old = weights["out.bias"].shape[0]
    try:
        wide = {k: mx.array(v) for k, v in widen(weights, n_old).items()}
    except ValueError as exc:
        print(f"widen_actions: {src}: {exc}", file=sys.stderr)
        return 2
    dst = args.dst or args.src
    if dst != args.src:
        shutil.copytree(args.src, dst, dirs_exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dst, suffix=".safetensors")
    os.close(fd)
    mx.save_safetensors(tmp, wide)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, dst / "model.safetensors")
    print(f"{dst / 'model.safetensors'}: {n_old} -> {wide['out.bias'].shape[0]} actions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
