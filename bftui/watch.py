"""The training dashboard: follows ``RUN_DIR/metrics.jsonl`` and draws it live.

Used by ``bftui watch RUN_DIR`` and by ``bftui train --watch`` (which passes ``on_quit`` so quitting
asks the trainer to stop and save a checkpoint first).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Grid
from textual.widgets import DataTable, Footer, Header, Static

from bftui.metrics import MetricsFollower, Update
from bftui.widgets.curve import Curve, format_value

# curve id -> (title, metric keys drawn in it)
CURVES: dict[str, tuple[str, tuple[str, ...]]] = {
    "reward": ("reward", ("episodic_return",)),
    "success": ("success rate", ("success_rate",)),
    "entropy": ("entropy", ("entropy",)),
    "kl": ("policy change", ("approx_kl", "clipfrac")),
    "value-loss": ("value loss", ("value_loss",)),
}
# Latest values listed in the stats panel, besides step/episodes/sps/ETA.
STAT_KEYS = ("policy_loss", "explained_variance", "curriculum_level")
# Steps/s is measured over this many recent records, so the ETA follows the current pace.
RATE_WINDOW = 20
# A metrics file untouched this long belongs to a run that is not training now (stopped, or
# finished under another config's limits, like the shipped agent's): no ETA is shown for it.
IDLE_SECONDS = 120
_CELL = 48  # characters of a program or output shown in the samples table


class WatchApp(App[str]):
    """Training dashboard for one run directory."""

    TITLE = "bftui watch"
    DEFAULT_CSS = """
    #status { height: 1; padding: 0 1; background: $boost; }
    #curves { grid-size: 3 2; grid-gutter: 0 1; height: 2fr; min-height: 12; }
    #curves > Curve { height: 1fr; border: round $primary-background-lighten-2; }
    #stats { height: 1fr; border: round $primary-background-lighten-2; padding: 0 1; }
    #samples { height: 1fr; min-height: 5; border: round $primary-background-lighten-2; }
    """
    BINDINGS = [
        Binding("q", "quit", "Quit", id="watch.quit"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True, id="watch.interrupt"),
        Binding("r", "reload", "Re-read", id="watch.reload"),
    ]

    def __init__(
        self,
        run_dir: Path,
        on_quit: Callable[[], None] | None = None,
        *,
        poll_interval: float = 0.5,
    ) -> None:
        super().__init__()
        self.run_dir = Path(run_dir)
        self.on_quit = on_quit
        self.poll_interval = poll_interval
        self.follower = MetricsFollower(self.run_dir / "metrics.jsonl")
        self.records = 0  # records ingested since the last start-over
        self.latest: dict = {}
        self.samples: dict[str, dict] = {}  # family -> latest sample
        self.total_steps: int | None = None
        self.total_minutes: float | None = None
        self._pace: list[tuple[float, float]] = []  # (time, step) of recent records

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("waiting for metrics", id="status")
        with Grid(id="curves"):
            for curve_id, (title, _) in CURVES.items():
                yield Curve(title, id=f"curve-{curve_id}", placeholder="waiting for metrics")
            yield Static("", id="stats")
        yield DataTable(id="samples", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = str(self.run_dir)
        # Held, not queried per poll: a poll that lands while the app shuts down must not fail.
        self._curves = {curve_id: self.query_one(f"#curve-{curve_id}", Curve) for curve_id in CURVES}
        self._status_bar = self.query_one("#status", Static)
        self._stats_panel = self.query_one("#stats", Static)
        self._samples_table = table = self.query_one("#samples", DataTable)
        table.border_title = "latest samples"
        for column in ("family", "reward", "prompt", "program", "output"):
            table.add_column(column, key=column)
        self._stats_panel.border_title = "run"
        self.poll_metrics()
        self.set_interval(self.poll_interval, self.poll_metrics)

    # -- ingesting -------------------------------------------------------------------------------

    def poll_metrics(self) -> None:
        update = self.follower.poll()
        if update.reset:
            self._start_over()
        self._ingest(update)
        if update.more:
            self.call_after_refresh(self.poll_metrics)

    def _ingest(self, update: Update) -> None:
        if self.total_steps is None:
            self.total_steps, self.total_minutes = _limits(self.run_dir / "config.json")
        curves = self._curves
        for record in update.records:
            self.records += 1
            self.latest.update(record)
            for curve_id, (_, keys) in CURVES.items():
                for key in keys:
                    value = _number(record.get(key))
                    if value is not None:
                        curves[curve_id].add(key, value)
            self._track_pace(record)
            for sample in record.get("samples") or ():
                if isinstance(sample, dict):
                    self.samples[str(sample.get("family", "?"))] = sample
        if update.records or update.reset:
            self._show_samples()
        self._show_status()

    def _track_pace(self, record: dict) -> None:
        time, step = _number(record.get("time")), _number(record.get("step"))
        if time is not None and step is not None:
            self._pace = [*self._pace[-(RATE_WINDOW - 1):], (time, step)]

    def _start_over(self) -> None:
        self.records = 0
        self.latest = {}
        self.samples = {}
        self._pace = []
        self.total_steps = self.total_minutes = None
        for curve in self._curves.values():
            curve.clear()
        self.notify("metrics.jsonl started over; cleared the dashboard", timeout=3)

    # -- showing ---------------------------------------------------------------------------------

    def _show_status(self) -> None:
        status = Text()
        follower = self.follower
        if not follower.exists:
            status.append(f"waiting for metrics: {follower.path} does not exist yet", style="italic")
        elif not self.records:
            status.append("waiting for metrics: no records yet", style="italic")
        else:
            status.append(self.progress_line())
        if follower.bad_lines:
            plural = "s" if follower.bad_lines > 1 else ""
            status.append(
                f"  | {follower.bad_lines} bad line{plural} skipped (last: line {follower.last_bad_line})",
                style="bold red",
            )
        self._status_bar.update(status)
        self._stats_panel.update(self._stats_text())

    def progress_line(self) -> str:
        step = self.latest.get("step")
        total = f"/{self.total_steps}" if self.total_steps else ""
        sps = _number(self.latest.get("sps"))
        parts = [
            f"step {step if step is not None else '-'}{total}",
            f"{self.latest.get('episodes', '-')} episodes ({format_value(sps)}/s)",
        ]
        spent = _number(self.latest.get("time"))
        if self.total_minutes and spent is not None:
            parts.insert(1, f"{spent / 60:.1f}/{self.total_minutes:g} min")
        idle = self.follower.idle_seconds()
        if self.finished():
            parts.append("finished (q to close)")
        elif idle is not None and idle > IDLE_SECONDS:
            parts.append(f"no new metrics for {format_eta(idle)}: not training")
        else:
            parts.append(f"ETA {format_eta(self.eta_seconds())}")
        return "  ".join(parts)

    def finished(self) -> bool:
        """config.json's ``steps`` or ``minutes`` (of training time) reached."""
        step, spent = _number(self.latest.get("step")), _number(self.latest.get("time"))
        return bool((self.total_steps and step is not None and step >= self.total_steps)
                    or (self.total_minutes and spent is not None and spent >= self.total_minutes * 60))

    def eta_seconds(self) -> float | None:
        """Seconds left from the recent steps-per-second pace and config.json's ``steps``, or its
        ``minutes`` of training time if that ends the run first."""
        left = []
        spent = _number(self.latest.get("time"))
        if self.total_minutes and spent is not None:
            left.append(max(0.0, self.total_minutes * 60 - spent))
        if self.total_steps and len(self._pace) >= 2:
            (t0, s0), (t1, s1) = self._pace[0], self._pace[-1]
            if t1 > t0 and s1 > s0:
                left.append(max(0.0, (self.total_steps - s1) * (t1 - t0) / (s1 - s0)))
        return min(left) if left else None

    def _stats_text(self) -> Text:
        text = Text()
        rows = [("records", str(self.records))]
        rows += [(key, format_value(_number(self.latest.get(key)))) for key in STAT_KEYS if key in self.latest]
        rows += [
            (key, format_value(_number(value)))
            for key, value in sorted(self.latest.items())
            if key.startswith("reward/")
        ]
        width = max(len(key) for key, _ in rows)
        for key, value in rows:
            text.append(f"{key.ljust(width)} ", style="dim")
            text.append(f"{value}\n")
        text.rstrip()
        return text

    def _show_samples(self) -> None:
        table = self._samples_table
        table.clear()
        for family, sample in sorted(self.samples.items()):
            reward = _number(sample.get("reward"))
            table.add_row(
                family,
                format_value(reward),
                _clip(str(sample.get("prompt", ""))),
                _clip(str(sample.get("program", ""))),
                _clip(_printable(sample.get("output", ""))),
                key=family,
            )

    # -- actions ---------------------------------------------------------------------------------

    def action_reload(self) -> None:
        self.follower = MetricsFollower(self.follower.path)
        self._start_over()
        self.poll_metrics()

    async def action_quit(self) -> None:
        if self.on_quit is None:
            self.exit("stopped watching")
            return
        # Say so before calling: on_quit may block while the trainer writes its checkpoint.
        self._status_bar.update(Text("stopping: asking the trainer to save a checkpoint...", style="bold"))
        self.call_after_refresh(self._stop_trainer)

    def _stop_trainer(self) -> None:
        self.on_quit()
        self.exit("asked the trainer to stop and save a checkpoint")


def format_eta(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "-"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


def _limits(config_path: Path) -> tuple[int | None, float | None]:
    """(steps, minutes) from a run's config.json; None for a missing or unset limit."""
    try:
        config = json.loads(config_path.read_text())
    except (OSError, ValueError):
        return None, None
    if not isinstance(config, dict):
        return None, None
    steps, minutes = _number(config.get("steps")), _number(config.get("minutes"))
    return (int(steps) if steps and steps > 0 else None), (minutes if minutes and minutes > 0 else None)


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _printable(output) -> str:
    # Control bytes would garble the table; JSON escaping keeps them visible and on one line.
    return json.dumps(str(output), ensure_ascii=False)[1:-1]


def _clip(text: str) -> str:
    return text if len(text) <= _CELL else text[: _CELL - 1] + "…"
