"""bfcore stays free of UI code, and the interpreter stays light enough for a fast ``bftui run``."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
UI = ("bftui", "textual", "prompt_toolkit", "rich")


def _modules():
    """Every module file under bfcore/ (found on disk, so nothing is imported while collecting)."""
    for path in sorted((ROOT / "bfcore").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = list(_modules())


def imported_after(module):
    code = f"import sys, {module}; print(' '.join(sorted(sys.modules)))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return set(proc.stdout.split())


def test_walk_finds_the_interpreter():
    assert {"bfcore.interp.fast", "bfcore.interp.machine", "bfcore.interp.program", "bfcore.errors"} <= set(MODULES)


@pytest.mark.parametrize("module", MODULES)
def test_no_ui_imports(module):
    loaded = imported_after(module)
    bad = sorted(m for m in loaded if m.split(".")[0] in UI)
    assert not bad, f"{module} imports {bad}"


@pytest.mark.parametrize("module", ["bfcore.interp.fast", "bfcore.interp.machine", "bfcore.interp.randprog"])
def test_interpreter_imports_no_mlx_numba_or_numpy(module):
    loaded = {m.split(".")[0] for m in imported_after(module)}
    assert not loaded & {"mlx", "numba", "numpy"}


@pytest.mark.parametrize("module", MODULES)
def test_mlx_is_imported_only_after_the_runtime_setup(module):
    """Importing mlx before bfcore.runtime silently loses the OpenBLAS preload (a ~5x slower CPU)."""
    code = (
        f"import sys, {module}\n"
        "from bfcore import blaswheel\n"
        "rt = sys.modules.get('bfcore.runtime')\n"
        "ok = 'mlx.core' not in sys.modules or (rt is not None and\n"
        "     (rt.STATE['openblas_path'] is not None\n"
        "      or rt._find_openblas() is blaswheel.wheel_library() is None))\n"
        "print(ok)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "True", f"{module} imports mlx before bfcore.runtime"
