"""Process-wide set-up that must happen before MLX is imported.

Import MLX through this module (``from bfcore.runtime import mx``) so the set-up always runs first:

* On Linux the ``mlx-cpu`` wheel links a slow reference BLAS. If the system has OpenBLAS, loading it
  with ``RTLD_GLOBAL`` before ``mlx.core`` makes MLX resolve its BLAS symbols there (float32 matmul was
  ~37x faster on the development machine). Never required: without it everything still works.
* glibc's malloc maps and unmaps every large buffer by default; MLX's CPU backend allocates many
  short-lived large buffers, and the page faults dominated a PPO update. Raising the mmap and trim
  thresholds keeps freed memory in the heap for reuse.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import glob
import os
import sys

_OPENBLAS_GLOBS = (
    "/usr/lib/*-linux-gnu/openblas-pthread/libopenblas.so.0",
    "/usr/lib/*-linux-gnu/openblas-openmp/libopenblas.so.0",
    "/usr/lib/*-linux-gnu/libopenblas.so.0",
    "/usr/lib64/libopenblas*.so.0",
)

#: What :func:`setup` did, for ``bftui info`` and ``--verbose``.
STATE: dict[str, object] = {"blas": "bundled", "openblas_path": None, "mallopt": False}

_done = False


def _find_openblas() -> str | None:
    override = os.environ.get("BFTUI_OPENBLAS")
    if override is not None:  # empty string disables the preload
        return override or None
    for pattern in _OPENBLAS_GLOBS:
        hits = sorted(glob.glob(pattern))
        if hits:
            return hits[0]
    return None


def _tune_malloc() -> None:
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    ok = libc.mallopt(m_mmap_threshold, 2**31 - 1) and libc.mallopt(m_trim_threshold, 2**31 - 1)
    STATE["mallopt"] = bool(ok)


def setup() -> None:
    """Preload OpenBLAS and tune malloc, once, before ``mlx.core`` is imported. Safe to call again."""
    global _done
    if _done:
        return
    _done = True
    if not sys.platform.startswith("linux"):
        STATE["blas"] = "system (Accelerate)" if sys.platform == "darwin" else "bundled"
        return
    _tune_malloc()
    if "mlx.core" in sys.modules:
        return  # too late to change which BLAS MLX binds to
    path = _find_openblas()
    if path:
        try:
            ctypes.CDLL(path, mode=os.RTLD_GLOBAL)
        except OSError:
            return
        STATE["blas"] = "OpenBLAS"
        STATE["openblas_path"] = path


setup()

import mlx.core as mx  # noqa: E402  (must follow setup())

__all__ = ["mx", "setup", "STATE"]
