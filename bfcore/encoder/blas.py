"""Temporarily limit OpenBLAS to one thread around single-prompt encodes.

A one-prompt forward is a chain of skinny matmuls (~10 rows x 576 x 1536) that are memory-bound;
OpenBLAS still splits them over its threads, whose spin-waits cost more than they save, and on a
busy 2-core machine (a trainer running beside the UI) they made one encode 2-3x slower in wall time
and CPU time (see bench/bench_encoder.py). Batched encodes keep the process-wide setting.
"""

from __future__ import annotations

import ctypes
from contextlib import contextmanager

from bfcore.runtime import STATE

_lib = None


def _openblas():
    global _lib
    if _lib is None:
        _lib = False
        path = STATE.get("openblas_path")
        if path:
            try:
                lib = ctypes.CDLL(str(path))
                lib.openblas_get_num_threads.restype = ctypes.c_int
                lib.openblas_set_num_threads.argtypes = [ctypes.c_int]
                _lib = lib
            except (OSError, AttributeError):
                _lib = False
    return _lib or None


@contextmanager
def blas_threads(count: int, enabled: bool = True):
    """Run the block with OpenBLAS limited to ``count`` threads (no-op without OpenBLAS)."""
    lib = _openblas() if enabled else None
    if lib is None:
        yield
        return
    before = lib.openblas_get_num_threads()
    if before == count:
        yield
        return
    lib.openblas_set_num_threads(count)
    try:
        yield
    finally:
        lib.openblas_set_num_threads(before)
