"""Widening a synthesis checkpoint to a grown action vocabulary (scripts/widen_actions.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))


def _old(weights: dict, n_old: int) -> dict:
    """The same weights as a checkpoint of the first ``n_old`` actions would hold them."""
    out = dict(weights)
    emb = np.array(weights["emb.weight"])
    out["emb.weight"] = np.concatenate([emb[:n_old], emb[-1:]])  # START last
    out["out.weight"] = np.array(weights["out.weight"])[:n_old]
    out["out.bias"] = np.array(weights["out.bias"])[:n_old]
    return out


def test_new_actions_copy_their_parents_and_start_below_them():
    from mlx.utils import tree_flatten

    from bfcore.synth.actions import INDEX, N_ACTIONS, Params
    from bfcore.synth.policy import SynthConfig, SynthPolicy, rollout
    from widen_actions import GAP, widen

    pol = SynthPolicy(SynthConfig(hidden=16, embed=8, enc_dim=6, task_dim=4))
    full = {k: np.array(v) for k, v in tree_flatten(pol.parameters())}
    n_old = INDEX["+n/8"]
    wide = widen(_old(full, n_old), n_old)
    assert wide["emb.weight"].shape == full["emb.weight"].shape
    assert np.array_equal(wide["emb.weight"][-1], full["emb.weight"][-1])  # START moved to the end
    for new, parent in (("+n/8", "+n"), ("+c%8", "+c")):
        i, j = INDEX[new], INDEX[parent]
        assert np.array_equal(wide["emb.weight"][i], full["emb.weight"][j])
        assert np.array_equal(wide["out.weight"][i], full["out.weight"][j])
        assert np.isclose(wide["out.bias"][i], full["out.bias"][j] - GAP)
    assert widen(full, N_ACTIONS) is full  # already current: untouched
    # loaded, its greedy programs never take a new action (each is below its parent)
    import mlx.core as mx

    pol.load_weights([(k, mx.array(v)) for k, v in wide.items()])
    rng = np.random.default_rng(0)
    eps = rollout(pol, rng.normal(size=(8, 6)).astype(np.float32),
                  [Params(n=int(k), c=97 + int(k)) for k in range(8)], [b"ab"] * 8, rng,
                  greedy=True)
    assert not any(a >= n_old for e in eps for a in e.actions)


def test_the_script_names_a_missing_checkpoint_in_one_line(tmp_path):
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "widen_actions.py"), str(tmp_path)],
                       capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "missing" in r.stderr
