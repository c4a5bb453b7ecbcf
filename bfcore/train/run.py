"""What both trainers (``bfcore.train.loop``, ``bfcore.synth.train``) share around their updates.

* One trainer per run directory: ``RUN/lock``, held (``flock``) for the trainer's life. The kernel
  drops it however the process ends, so a killed run leaves no stale lock.
* ``metrics.jsonl`` holds the reports of the run being continued and no others: lines after the
  resumed checkpoint are dropped, and a fresh run starts an empty log.
* Every stop leaves a checkpoint at an update boundary. Ctrl-C or SIGTERM in the middle of an update
  rolls the trainer back to the state it had before the update (weights, optimiser, random
  generators, counters), so the resumed run makes that update exactly as an uninterrupted run does.
* A non-finite loss or non-finite weights stop the run with one line; the trainer is rolled back to
  the update before, and that last good state is what gets saved.

A trainer here has ``step``, ``elapsed``, ``update() -> stats``, ``save()``, ``snapshot()`` /
``rollback(snapshot)`` and ``non_finite(stats) -> str | None`` (what went non-finite, if anything).
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import threading
from contextlib import contextmanager
from pathlib import Path

from bfcore.train import checkpoint
from bfcore.errors import InputError


class TrainError(InputError):
    """A run that cannot start or go on (configuration, files, another trainer, divergence); one line."""


def new_run_dir(parent: Path, prefix: str) -> Path:
    """``parent/PREFIX-YYYYmmdd-HHMMSS``, with ``-2``, ``-3``... when runs start within a second."""
    import time

    base = Path(parent) / f"{prefix}-{time.strftime('%Y%m%d-%H%M%S')}"
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


@contextmanager
def locked(run_dir: Path, resume: bool, hint: str):
    """Take the run directory for this trainer; yields its checkpoint (None for a fresh run).
    Refuses a directory another trainer holds, a resume with nothing to resume and a fresh run over
    a checkpoint (``hint`` says what to do instead)."""
    run_dir = Path(run_dir)
    made = [d for d in (run_dir, *run_dir.parents) if not d.exists()]  # the run dir, then parents
    run_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(run_dir / "lock", os.O_RDWR | os.O_CREAT, 0o644)
    ok = False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            raise TrainError(f"{run_dir}: another trainer (pid {holder}) is using this run directory") \
                from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        ck = checkpoint.find(run_dir)
        if resume and ck is None:
            raise TrainError(f"{run_dir}: no checkpoint to resume from")
        if not resume and ck is not None:
            raise TrainError(f"{run_dir}: already holds a run ({hint})")
        yield ck
        ok = True
    finally:
        if made and not ok and {p.name for p in run_dir.iterdir()} <= {"lock"}:
            # a run refused before it wrote anything (a bad task file, say) leaves no directory
            os.unlink(run_dir / "lock")
            for d in made:
                d.rmdir()
        os.close(fd)  # releases the lock


def trim_metrics(path: Path, step: int) -> None:
    """Keep the report lines up to ``step`` (the checkpoint being resumed; 0 for a fresh run, which
    then starts an empty log even where a run killed before its first save left lines)."""
    keep = []
    if path.is_file():
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                if json.loads(line).get("step", 0) <= step:
                    keep.append(line)
            except (ValueError, AttributeError, TypeError):  # not a report line: dropped
                continue
    checkpoint.atomic_write_text(path, "".join(line + "\n" for line in keep))


@contextmanager
def _sigterm_as_ctrl_c():
    """SIGTERM (``kill``, a job scheduler, a closing session) stops training as Ctrl-C does."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers belong to the main thread; there the caller decides (should_stop)
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


class _Diverged(Exception):
    """A non-finite loss or weights after an update (the trainer is rolled back to before it)."""


def _update(trainer) -> dict:
    before = trainer.snapshot()
    try:
        stats = trainer.update()
    except BaseException:
        trainer.rollback(before)  # Ctrl-C, SIGTERM or an error mid-update: back to the last boundary
        raise
    bad = trainer.non_finite(stats)
    if bad is not None:
        step = trainer.step
        trainer.rollback(before)
        raise _Diverged(f"update {step}: {bad} is not finite (the run diverged: try a lower learning rate)")
    return stats


def drive(trainer, run_dir: Path, config: dict, summarize, *, steps: int | None, minutes: float,
          report_every: int, save_every: int, on_report=None, should_stop=None) -> None:
    """Run updates until ``steps`` (None: no limit), ``minutes`` of training or ``should_stop()``;
    report every ``report_every`` (``summarize(stats) -> dict``, one metrics line), save every
    ``save_every`` and at the end, however it ends."""
    metrics = run_dir / "metrics.jsonl"
    trim_metrics(metrics, trainer.step)
    checkpoint.atomic_write_text(run_dir / "config.json", json.dumps(config, indent=1))
    stats: list[dict] = []
    saved = trainer.step if trainer.step else None  # a resumed run's checkpoint is on disk already
    diverged = False
    with _sigterm_as_ctrl_c(), open(metrics, "a", encoding="utf-8") as mf:

        def log() -> dict:
            rep = summarize(stats)
            stats.clear()
            mf.write(json.dumps(rep) + "\n")
            mf.flush()
            return rep

        def report() -> None:
            rep = log()
            if on_report is not None:
                on_report(rep)

        try:
            while steps is None or trainer.step < steps:
                if should_stop is not None and should_stop():
                    break
                if minutes and trainer.elapsed >= minutes * 60:
                    break
                stats.append(_update(trainer))
                # a trainer may end the run itself (the taught tasks solved, or no progress)
                stopped = trainer.stop_reason() if hasattr(trainer, "stop_reason") else None
                if stopped:
                    stats[-1]["stopped"] = stopped
                    break
                if trainer.step % report_every == 0:
                    report()
                if trainer.step % save_every == 0:
                    trainer.save()
                    saved = trainer.step
            if stats:  # stopped between reports: the log ends where training did
                report()
        except _Diverged as exc:
            diverged = True
            kept = (f"the checkpoint keeps step {trainer.step}, the last good one" if trainer.step
                    else "no checkpoint was saved")
            raise TrainError(f"{run_dir}: {exc}; {kept}") from None
        finally:
            if stats:  # however it ended, the log ends where the checkpoint does
                log()
            # a fresh run that diverged on its first update keeps nothing: it may start again as it is
            if saved != trainer.step and not (diverged and trainer.step == 0):
                trainer.save()
