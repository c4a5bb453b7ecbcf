"""Low-rank adapters on the q/v projections of the last N kept layers; the only trainable weights.

``B`` starts at zero, so a fresh adapter leaves the encoder's output unchanged until it is trained.
Adapters are saved on their own (a small safetensors file) and loaded onto an encoder built with the
same model, K and N.
"""

from __future__ import annotations

import hashlib
import math
import os
import tempfile
from pathlib import Path

from bfcore.runtime import mx  # first: it must run before mlx is imported

from mlx import nn  # noqa: E402
from mlx.utils import tree_flatten  # noqa: E402

from .errors import EncoderError

TARGETS = ("q_proj", "v_proj")


class LoRALinear(nn.Module):
    """``base(x) + scale * (x @ A) @ B`` with ``base`` frozen."""

    def __init__(self, base: nn.Module, rank: int = 8, alpha: float = 16.0) -> None:
        super().__init__()
        self.base = base
        in_dims, out_dims = _dims(base)
        bound = 1.0 / math.sqrt(in_dims)
        self.lora_a = mx.random.uniform(-bound, bound, (in_dims, rank))
        self.lora_b = mx.zeros((rank, out_dims))
        self.scale = alpha / rank

    def __call__(self, x: mx.array) -> mx.array:
        lora = (x @ self.lora_a.astype(x.dtype)) @ self.lora_b.astype(x.dtype)
        return self.base(x) + self.scale * lora


def _dims(linear: nn.Module) -> tuple[int, int]:
    out_dims, cols = linear.weight.shape
    bits = getattr(linear, "bits", None)
    return (cols * 32 // bits if bits else cols), out_dims


def attach_lora(enc, n: int, rank: int = 8) -> None:
    """Wrap q/v of the last ``n`` kept layers of ``enc.model``; freeze everything else."""
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= enc.layers:
        raise EncoderError(f"lora_layers={n!r} is out of range: 1..{enc.layers} (the kept layers)")
    enc.model.freeze()
    for layer in enc.model.layers[-n:]:
        attn = layer.self_attn
        for name in TARGETS:
            adapter = LoRALinear(getattr(attn, name), rank=rank)
            adapter.base.freeze()
            setattr(attn, name, adapter)
    mx.eval(enc.model.trainable_parameters())
    enc.lora_layers = n
    enc.cache = None  # outputs change with every update: never cache them
    enc._prefix_kv = None


def lora_arrays(model) -> dict[str, mx.array]:
    return dict(tree_flatten(model.trainable_parameters()))


def lora_hash(model) -> str:
    digest = hashlib.sha256()
    for key, value in sorted(lora_arrays(model).items()):
        digest.update(key.encode())
        digest.update(memoryview(mx.array(value, mx.float32)))
    return digest.hexdigest()[:16]


def save_lora(enc, path: str | Path) -> Path:
    """Write the adapters atomically to ``path`` (a .safetensors file)."""
    if not enc.lora_layers:
        raise EncoderError("this encoder has no LoRA adapters to save (load it with lora_layers=N)")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp.safetensors")
    os.close(fd)
    meta = {"model": enc.name, "layers": str(enc.layers), "lora_layers": str(enc.lora_layers)}
    try:
        mx.save_safetensors(tmp, lora_arrays(enc.model), metadata=meta)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def load_lora(enc, path: str | Path) -> None:
    """Load adapters saved by :func:`save_lora` onto an encoder with the same model, K and N."""
    if not enc.lora_layers:
        raise EncoderError("this encoder has no LoRA adapters (load it with lora_layers=N first)")
    try:
        arrays, meta = mx.load(str(path), return_metadata=True)
    except Exception as exc:  # noqa: BLE001
        raise EncoderError(f"cannot read LoRA file {path}: {str(exc).splitlines()[0]}") from None
    want = lora_arrays(enc.model)
    same = set(arrays) == set(want) and all(arrays[k].shape == want[k].shape for k in want)
    if not same or meta.get("layers") != str(enc.layers):
        raise EncoderError(
            f"LoRA file {path} does not fit this encoder (saved for K={meta.get('layers')}, "
            f"N={meta.get('lora_layers')}; this one has K={enc.layers}, N={enc.lora_layers})"
        )
    enc.model.load_weights(list(arrays.items()), strict=False)
    mx.eval(enc.model.trainable_parameters())
