"""The scipy-openblas32 wheel as MLX's BLAS: the renamed copy, the preload order, the fallbacks."""

import ctypes
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bfcore import blaswheel

ROOT = Path(__file__).resolve().parents[1]
SRC = blaswheel.wheel_library()
needs_wheel = pytest.mark.skipif(SRC is None or not sys.platform.startswith("linux"),
                                 reason="scipy-openblas32 is a Linux dependency")


def test_sysv_hash_matches_the_elf_specification():
    # values from the System V ABI's algorithm, as glibc's _dl_elf_hash computes them
    assert blaswheel.sysv_hash(b"") == 0
    assert blaswheel.sysv_hash(b"a") == 0x61
    assert blaswheel.sysv_hash(b"printf") == 0x077905A6
    assert blaswheel.sysv_hash(b"exit") == 0x0006CF04


def test_not_an_elf_file_is_refused():
    with pytest.raises(blaswheel.ElfError, match="ELF"):
        blaswheel.strip_prefix(bytearray(b"#!/bin/sh\n" + bytes(100)))


@needs_wheel
def test_the_copy_exports_standard_names_that_compute(tmp_path):
    path = blaswheel.aliased_copy(SRC, tmp_path)
    lib = ctypes.CDLL(str(path))
    with pytest.raises(AttributeError):
        lib.scipy_cblas_sgemm  # noqa: B018  (renamed: the old name is gone)
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 4), dtype=np.float32)
    b = rng.standard_normal((4, 5), dtype=np.float32)
    c = np.zeros((3, 5), dtype=np.float32)
    f = ctypes.c_float
    ptr = ctypes.POINTER(ctypes.c_float)
    row_major, no_trans = 101, 111
    lib.cblas_sgemm(row_major, no_trans, no_trans, 3, 5, 4, f(1.0), a.ctypes.data_as(ptr), 4,
                    b.ctypes.data_as(ptr), 5, f(0.0), c.ctypes.data_as(ptr), 5)
    np.testing.assert_allclose(c, a @ b, rtol=1e-5)
    lib.openblas_get_num_threads.restype = ctypes.c_int
    assert lib.openblas_get_num_threads() >= 1


@needs_wheel
def test_the_copy_is_made_once(tmp_path):
    first = blaswheel.aliased_copy(SRC, tmp_path)
    stamp = first.stat().st_mtime_ns
    assert blaswheel.aliased_copy(SRC, tmp_path) == first
    assert first.stat().st_mtime_ns == stamp
    assert [p.name for p in tmp_path.iterdir()] == [first.name]  # no temp files left


def _clean_env() -> dict:
    return {k: v for k, v in os.environ.items() if k not in ("BFTUI_BLAS", "BFTUI_OPENBLAS")}


def _runtime(env: dict, code: str = "") -> dict:
    probe = ("import json, os, sys\nfrom bfcore.runtime import STATE, mx\n"
             "a = mx.array([[1.0, 2.0], [3.0, 4.0]])\n"
             "maps = open('/proc/self/maps').read()\n"
             f"{code}\n"
             "print(json.dumps({**STATE, 'mm': (a @ a).tolist(),\n"
             "  'mapped': STATE['openblas_path'] is not None and os.path.realpath(STATE['openblas_path']) in maps}))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT,
                         env={**_clean_env(), **env}, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@needs_wheel
def test_without_a_system_openblas_mlx_runs_on_the_wheel(tmp_path):
    env = {"BFTUI_BLAS": "wheel", "XDG_CACHE_HOME": str(tmp_path)}
    state = _runtime(env)
    assert state["blas"] == "OpenBLAS (scipy-openblas32 wheel)"
    assert state["openblas_path"].startswith(str(tmp_path)) and state["mapped"]
    assert state["mm"] == [[7.0, 10.0], [15.0, 22.0]]


@needs_wheel
def test_an_unwritable_cache_falls_back_to_the_bundled_blas_and_says_why(tmp_path):
    cache = tmp_path / "cache"
    cache.write_text("a file where the cache directory should be")
    state = _runtime({"BFTUI_BLAS": "wheel", "XDG_CACHE_HOME": str(cache)})
    assert state["openblas_path"] is None and state["blas"].startswith("bundled")
    assert "scipy-openblas32 not used" in state["blas_note"]
    assert state["mm"] == [[7.0, 10.0], [15.0, 22.0]]


def test_bundled_and_empty_override_load_no_openblas():
    for env in ({"BFTUI_BLAS": "bundled"}, {"BFTUI_OPENBLAS": ""}):
        state = _runtime(env)
        assert state["openblas_path"] is None and state["blas"].startswith("bundled"), env


def test_an_unknown_choice_is_named_and_ignored():
    state = _runtime({"BFTUI_BLAS": "mkl"})
    assert "BFTUI_BLAS='mkl' ignored" in state["blas_note"]


@needs_wheel
def test_a_default_linux_install_gets_an_openblas():
    """The README's install alone: the system OpenBLAS where present, else the wheel's."""
    env = _clean_env()
    probe = ("import json, os\nfrom bfcore.runtime import STATE\n"
             "p = STATE['openblas_path']\n"
             "print(json.dumps([p, p is not None and os.path.realpath(p) in open('/proc/self/maps').read()]))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT,
                         env=env, timeout=120)
    path, mapped = json.loads(out.stdout)
    assert path and mapped, out.stderr
