"""Process-wide set-up that must happen before MLX is imported.

Import MLX through this module (``from bfcore.runtime import mx``) so the set-up always runs first:

* On Linux the ``mlx-cpu`` wheel links a slow reference BLAS. A library loaded with ``RTLD_GLOBAL``
  before ``mlx.core`` that exports the standard BLAS names takes its place (float32 matmul ~30x
  faster on the development machine). The first that loads wins:

  1. ``$BFTUI_OPENBLAS`` (a path; empty disables every preload);
  2. the system OpenBLAS (``apt-get install libopenblas0-pthread``);
  3. the ``scipy-openblas32`` wheel, a dependency on Linux, under standard names
     (:mod:`bfcore.blaswheel`), so the README's install alone is fast;
  4. else MLX's bundled BLAS. ``$BFTUI_BLAS`` (``system``, ``wheel`` or ``bundled``) picks one,
     for benchmarks. Never required: without any of them everything still works.
* glibc's malloc maps and unmaps every large buffer by default; MLX's CPU backend allocates many
  short-lived large buffers, and the page faults dominated a PPO update. Raising the mmap and trim
  thresholds keeps freed memory in the heap for reuse.
"""

from __future__ import annotations

import ctypes
import glob
import os
import sys

_OPENBLAS_GLOBS = (
    "/usr/lib/*-linux-gnu/openblas-pthread/libopenblas.so.0",
    "/usr/lib/*-linux-gnu/openblas-openmp/libopenblas.so.0",
    "/usr/lib/*-linux-gnu/libopenblas.so.0",
    "/usr/lib64/libopenblas*.so.0",
)

#: What :func:`setup` did, for ``bftui info`` and ``--verbose``. ``openblas_path`` is set whenever an
#: OpenBLAS was loaded (it has ``openblas_set_num_threads``).
BUNDLED = "bundled reference BLAS (slow)"
STATE: dict[str, object] = {"blas": BUNDLED, "openblas_path": None, "mallopt": False,
                            "blas_note": None}

_done = False
_CHOICES = ("auto", "system", "wheel", "bundled")


def _find_openblas() -> str | None:
    """The system OpenBLAS, or ``$BFTUI_OPENBLAS`` when set (empty: none)."""
    override = os.environ.get("BFTUI_OPENBLAS")
    if override is not None:
        return override or None
    for pattern in _OPENBLAS_GLOBS:
        hits = sorted(glob.glob(pattern))
        if hits:
            return hits[0]
    return None


def _wheel_openblas() -> str | None:
    from bfcore import blaswheel  # stdlib only; mlx is not imported yet

    src = blaswheel.wheel_library()
    if src is None:
        return None
    try:
        return str(blaswheel.aliased_copy(src))
    except (OSError, ValueError) as e:  # a read-only cache, an unexpected ELF: fall back, say why
        STATE["blas_note"] = f"scipy-openblas32 not used: {e}"
        return None


def _preload(path: str) -> bool:
    try:
        ctypes.CDLL(path, mode=os.RTLD_GLOBAL)
    except OSError as e:
        STATE["blas_note"] = f"{path} not loaded: {e}"
        return False
    return True


def _tune_malloc() -> None:
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    ok = libc.mallopt(m_mmap_threshold, 2**31 - 1) and libc.mallopt(m_trim_threshold, 2**31 - 1)
    STATE["mallopt"] = bool(ok)


def setup() -> None:
    """Preload a fast BLAS and tune malloc, once, before ``mlx.core`` is imported. Safe to call again."""
    global _done
    if _done:
        return
    _done = True
    if not sys.platform.startswith("linux"):
        STATE["blas"] = "system (Accelerate)" if sys.platform == "darwin" else BUNDLED
        return
    _tune_malloc()
    if "mlx.core" in sys.modules:
        return  # too late to change which BLAS MLX binds to
    choice = os.environ.get("BFTUI_BLAS", "auto").strip().lower() or "auto"
    if choice not in _CHOICES:
        STATE["blas_note"] = f"BFTUI_BLAS={choice!r} ignored (one of {', '.join(_CHOICES)})"
        choice = "auto"
    explicit = os.environ.get("BFTUI_OPENBLAS") is not None
    if choice in ("auto", "system"):
        path = _find_openblas()
        if path and _preload(path):
            STATE.update(blas="OpenBLAS (system)", openblas_path=path)
            return
    if choice in ("auto", "wheel") and not explicit:
        path = _wheel_openblas()
        if path and _preload(path):
            STATE.update(blas="OpenBLAS (scipy-openblas32 wheel)", openblas_path=path)


setup()

import mlx.core as mx  # noqa: E402  (must follow setup())

__all__ = ["mx", "setup", "STATE"]
