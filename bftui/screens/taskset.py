"""The user's own task set: prompts with expected outputs added from the app, one JSONL line each."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


def append_task(path: Path, prompt: str, expected: bytes) -> int:
    """Append one task atomically (rewrite to a temp file, then rename); returns the task count."""
    from bfcore.tasks import make_task

    line = json.dumps(make_task(prompt, expected.decode("latin-1")).to_json(), ensure_ascii=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    if old and not old.endswith("\n"):
        old += "\n"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(old + line + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return count_tasks(path)


def count_tasks(path: Path) -> int:
    if not path.exists():
        return 0
    lines = path.read_text(encoding="utf-8").splitlines()
    return sum(1 for s in lines if s.strip() and not s.lstrip().startswith("#"))
