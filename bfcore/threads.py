"""MLX and threads.

MLX (>= 0.31) gives each thread its own streams, and arrays belong to the thread that made them: build
or load a model inside the thread that uses it. A thread that used MLX and ends without freeing its
streams can make the process abort at exit ("terminate called without an active exception", exit 134)
after all its work succeeded, so every such thread calls :func:`release_mlx_streams` last.
"""

from __future__ import annotations

import sys


def release_mlx_streams() -> None:
    """Free the calling thread's MLX streams; does nothing (and imports nothing) if MLX never loaded."""
    mlx_core = sys.modules.get("mlx.core")
    if mlx_core is not None:
        mlx_core.clear_streams()
