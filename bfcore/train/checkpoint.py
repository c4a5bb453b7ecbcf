"""Checkpoints: model.safetensors, optimizer.safetensors and state.json, each written atomically."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from bfcore.runtime import mx  # first: it must set up BLAS before anything imports mlx.core

from mlx.utils import tree_flatten, tree_unflatten  # noqa: E402


def atomic_write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    os.fchmod(fd, 0o644)  # mkstemp's 0600 would make shared run dirs unreadable to others
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _atomic_safetensors(path: Path, arrays: dict) -> None:
    tmp = path.with_name(path.stem + ".tmp.safetensors")
    mx.save_safetensors(str(tmp), arrays)
    os.replace(tmp, path)


def save(ckpt_dir: Path, policy, optimizer, state: dict) -> None:
    """Weights first, state.json last: a state.json always describes weights already on disk."""
    ckpt_dir = Path(ckpt_dir)
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    _atomic_safetensors(ckpt_dir / "model.safetensors", dict(tree_flatten(policy.parameters())))
    if optimizer is not None:
        _atomic_safetensors(ckpt_dir / "optimizer.safetensors", dict(tree_flatten(optimizer.state)))
    atomic_write_text(ckpt_dir / "state.json", json.dumps(state, indent=1))


def load_optimizer(ckpt_dir: Path, optimizer) -> None:
    arrays = mx.load(str(Path(ckpt_dir) / "optimizer.safetensors"))
    optimizer.state = tree_unflatten(list(arrays.items()))


def load_state(ckpt_dir: Path) -> dict:
    return json.loads((Path(ckpt_dir) / "state.json").read_text())
