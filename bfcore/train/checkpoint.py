"""Checkpoints, for both trainers: each one a directory written whole and switched to in one rename.

``RUN/checkpoint`` is a symlink to ``RUN/checkpoint.<step>.<random>/``, which holds
model.safetensors, optimizer.safetensors, state.json and, written last, manifest.json (the step and
each file's sha256). A save writes a new directory (fsync of each file and of the directory), points a
new symlink at it and renames that over ``RUN/checkpoint``: a reader, or a run killed at any point of
a save, finds the old checkpoint or the new one, whole. Loading checks the manifest, the arrays'
names, shapes and dtypes against the model loaded into, and that they are finite; a checkpoint that
fails is refused with one line (``CheckpointError``). Checkpoints without a manifest (the shipped
agents, runs from earlier versions) still load, with every check but the hashes.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

from bfcore.atomic import atomic_write_text  # noqa: F401  (callers import it from here)
from bfcore.runtime import mx  # first: it must set up BLAS before anything imports mlx.core

from mlx.utils import tree_flatten, tree_unflatten  # noqa: E402

MANIFEST = "manifest.json"
# what a save leaves beside RUN/checkpoint: data dirs, a symlink not yet renamed, and the directories
# earlier versions moved aside while swapping (checkpoint.old-PID / checkpoint.new-PID)
_SIBLING = re.compile(r"\.(\d+\.\w+|link-\w+|old-\d+|new-\d+)$")


class CheckpointError(ValueError):
    """A checkpoint that cannot be saved or used; the message is one line naming the file and why."""


def _sync(path: Path) -> str:
    """fsync a written file; returns its sha256 (read back, so it hashes what is on disk)."""
    return _sha256(path, fsync=True)


def _sync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sha256(path: Path, fsync: bool = False) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
        if fsync:
            os.fsync(f.fileno())
    return h.hexdigest()


def _pause() -> None:
    # fault injection (scripts/fault_inject.py): widen the windows between a checkpoint's files
    secs = float(os.environ.get("BFTUI_CHECKPOINT_PAUSE", "0") or 0)
    if secs > 0:
        time.sleep(secs)


def non_finite(tree) -> str | None:
    """The name of the first floating-point array in ``tree`` holding a NaN or an infinity, else None."""
    items = [(k, v) for k, v in tree_flatten(tree) if mx.issubdtype(v.dtype, mx.floating)]
    if not items:
        return None
    ok = mx.stack([mx.isfinite(v).all() for _, v in items]).tolist()
    return next((k for (k, _), good in zip(items, ok) if not good), None)


def save(link: Path, policy, optimizer, state: dict) -> Path:
    """Write ``policy``'s weights, ``optimizer``'s state and ``state`` (with its "step") as a new
    checkpoint and point ``link`` (RUN/checkpoint) at it; returns the new directory. Refuses
    non-finite arrays, so a diverged run never replaces a good checkpoint."""
    link = Path(link)
    run = link.parent
    run.mkdir(parents=True, exist_ok=True)
    files = {"model.safetensors": dict(tree_flatten(policy.parameters()))}
    if optimizer is not None:
        files["optimizer.safetensors"] = dict(tree_flatten(optimizer.state))
    for name, arrays in files.items():
        bad = non_finite(arrays)
        if bad is not None:
            raise CheckpointError(f"{link}: not saved: {bad} in {name} is not finite")
    new = Path(tempfile.mkdtemp(prefix=f"{link.name}.{int(state['step']):06d}.", dir=run))
    os.chmod(new, 0o755)  # mkdtemp's 0700 would make shared run dirs unreadable to others
    digests = {}
    for name, arrays in files.items():
        mx.save_safetensors(str(new / name), arrays)
        digests[name] = _sync(new / name)
        _pause()
    (new / "state.json").write_text(json.dumps(state, indent=1), encoding="utf-8")
    digests["state.json"] = _sync(new / "state.json")
    _pause()
    (new / MANIFEST).write_text(json.dumps({"step": state["step"], "sha256": digests}, indent=1))
    _sync(new / MANIFEST)
    _sync_dir(new)
    _pause()
    tmp = run / f"{link.name}.link-{new.name.rsplit('.', 1)[1]}"
    os.symlink(new.name, tmp)
    previous = os.readlink(link) if link.is_symlink() else None
    if link.is_dir() and not link.is_symlink():  # a checkpoint directory written by an earlier version
        os.replace(link, run / f"{link.name}.old-{os.getpid()}")
    os.replace(tmp, link)  # the switch: one rename
    _sync_dir(run)
    # keep the previous checkpoint too: a reader that resolved the link just before the switch
    # (the app picking up a new checkpoint) still finds its files
    for p in run.iterdir():
        if p.name.startswith(link.name) and _SIBLING.search(p.name[len(link.name):]) \
                and p.name not in (new.name, previous):
            if p.is_symlink() or not p.is_dir():
                p.unlink()
            else:
                shutil.rmtree(p, ignore_errors=True)
    return new


def find(run_dir: Path) -> Path | None:
    """The run's checkpoint, or the one an earlier version's save had moved aside when it died
    between its two renames."""
    run_dir = Path(run_dir)
    ck = run_dir / "checkpoint"
    if (ck / "state.json").is_file():
        return ck
    olds = sorted(run_dir.glob("checkpoint.old-*"))
    return olds[-1] if olds and (olds[-1] / "state.json").is_file() else None


def read_state(ckpt: Path) -> dict:
    """state.json, once the manifest (where there is one) vouches for every file of the checkpoint."""
    ckpt = Path(ckpt)
    man_file, st_file = ckpt / MANIFEST, ckpt / "state.json"
    man = _json(man_file) if man_file.is_file() else None
    if man is not None:
        digests = man.get("sha256")
        if not isinstance(digests, dict) or "state.json" not in digests:
            raise CheckpointError(f"{man_file}: no sha256 of state.json")
        for name, digest in digests.items():
            f = ckpt / str(name)
            if not f.is_file():
                raise CheckpointError(f"{f}: missing (the manifest lists it)")
            if _sha256(f) != digest:
                raise CheckpointError(f"{f}: does not match the manifest "
                                      "(corrupt, or from another checkpoint)")
    if not st_file.is_file():
        raise CheckpointError(f"{st_file}: missing (not a checkpoint directory?)")
    state = _json(st_file)
    if man is not None and state.get("step") != man.get("step"):
        raise CheckpointError(f"{st_file}: step {state.get('step')}, "
                              f"but the manifest is for step {man.get('step')}")
    return state


def _json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"{path}: unreadable ({exc})") from None
    if not isinstance(data, dict):
        raise CheckpointError(f"{path}: expected a JSON object")
    return data


def read_arrays(path: Path, like) -> dict:
    """The arrays of a safetensors file, checked against the tree ``like`` (names, shapes, dtypes)
    and for non-finite values; returns them as a tree shaped like ``like``."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: missing (not a checkpoint directory?)")
    try:
        arrays = mx.load(str(path))
    except (OSError, RuntimeError, ValueError) as exc:
        raise CheckpointError(f"{path}: unreadable ({exc})") from None
    want = dict(tree_flatten(like))
    if arrays.keys() != want.keys():
        miss, extra = sorted(want.keys() - arrays.keys()), sorted(arrays.keys() - want.keys())
        raise CheckpointError(f"{path}: does not match the model "
                              f"(missing {miss[:3]}, unexpected {extra[:3]})")
    for k, v in want.items():
        a = arrays[k]
        if a.shape != v.shape or a.dtype != v.dtype:
            raise CheckpointError(f"{path}: {k} is {a.dtype} {tuple(a.shape)}, the model's is "
                                  f"{v.dtype} {tuple(v.shape)} (a checkpoint of another model?)")
    bad = non_finite(arrays)
    if bad is not None:
        raise CheckpointError(f"{path}: {bad} is not finite (NaN or infinite values)")
    return tree_unflatten(list(arrays.items()))


def load(ckpt: Path, policy, optimizer=None) -> dict:
    """Load a checkpoint into ``policy`` (and ``optimizer``); returns its state. Everything is checked
    before anything is assigned; the checkpoint's directory is resolved once, so a save switching
    the link meanwhile cannot mix two checkpoints."""
    ckpt = Path(ckpt)
    real = ckpt.parent / os.readlink(ckpt) if ckpt.is_symlink() else ckpt  # messages keep the user's path
    state = read_state(real)
    params = read_arrays(real / "model.safetensors", policy.parameters())
    opt = read_arrays(real / "optimizer.safetensors", optimizer.state) if optimizer is not None else None
    policy.update(params)
    if optimizer is not None:
        optimizer.state = opt
    mx.eval(policy.parameters(), optimizer.state if optimizer is not None else [])
    return state


def resume_into(ck: Path, trainer, model: dict, kind: str | None = None) -> dict:
    """Load checkpoint ``ck`` into ``trainer`` (its ``policy``, ``opt`` and ``_set_state``), after
    checking it holds this run's ``model`` (and ``kind``); the run's config keeps the learning rate
    (``--resume --lr``). A mixed, corrupt or foreign checkpoint is refused in one line."""
    st = load(ck, trainer.policy, trainer.opt)
    if (kind is not None and st.get("kind") != kind) or st.get("model") != model:
        raise CheckpointError(f"{ck}/state.json: its model {st.get('model')} is not this run's ({model})")
    try:
        trainer._set_state(st)
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{ck}/state.json: unreadable ({type(exc).__name__}: {exc})") from None
    trainer.opt.learning_rate = trainer.cfg.lr  # the optimizer state carries one; the config decides
    return st
