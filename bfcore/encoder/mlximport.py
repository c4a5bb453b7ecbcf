"""Import mlx-lm model modules without running ``mlx_lm/__init__.py``.

``import mlx_lm.models.llama`` executes the package ``__init__``, which imports ``transformers`` (1-6 s).
The model files themselves need only mlx, so the embedded GGUF path imports them with a bare,
unexecuted ``mlx_lm`` package object in place; it is removed again afterwards so that a later real
``import mlx_lm`` (the any-model path) runs the package ``__init__`` as usual.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from types import ModuleType


def import_model_module(name: str) -> ModuleType:
    """``mlx_lm.models.<name>``, importing transformers only if mlx_lm was already fully imported."""
    full = f"mlx_lm.models.{name}"
    if full in sys.modules or "mlx_lm" in sys.modules:
        return importlib.import_module(full)
    spec = importlib.util.find_spec("mlx_lm")
    if spec is None:
        raise ImportError("mlx-lm is not installed")
    sys.modules["mlx_lm"] = importlib.util.module_from_spec(spec)
    try:
        return importlib.import_module(full)
    finally:
        del sys.modules["mlx_lm"]


def import_mlx_lm() -> ModuleType:
    """The real ``mlx_lm`` package (slow: pulls in transformers), with its ``models`` attribute set."""
    import mlx_lm  # noqa: PLC0415
    import mlx_lm.utils  # noqa: F401, PLC0415

    # Submodules imported earlier through import_model_module() are not bound on the fresh package.
    if "mlx_lm.models" in sys.modules and not hasattr(mlx_lm, "models"):
        mlx_lm.models = sys.modules["mlx_lm.models"]
    return mlx_lm
