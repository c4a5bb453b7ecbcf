"""The main screen: prompt bar, debugger panel, reward curve; generation and fine-tuning workers."""

from __future__ import annotations

import time
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, Static
from textual.worker import get_current_worker

from bftui.messages import (
    AgentReady, AgentUnavailable, GenerationFailed, GenerationReady, TaskAdded, TrainReport,
    TrainStopped,
)
from bftui.screens.agent_host import AgentHost, AgentMissing
from bftui.screens.options import GenOptions, OptionsScreen
from bftui.screens.taskset import (TaskSetError, TaskSetScreen, append_task, count_tasks,
                                  has_examples, read_tasks)
from bftui.widgets.curve import Curve
from bftui.widgets.debugger import DebuggerPanel
from bftui.widgets.prompt import PromptInput

CURVE_HZ = 4  # the reward curve redraws at this rate, however fast reports arrive
POLL = 0.1  # seconds a worker waits on the agent thread before checking for cancellation


def parse_expected(text: str) -> bytes | None:
    r"""The expect box as bytes: empty -> None; ``\n``, ``\t`` and ``\xNN`` escapes understood."""
    if not text:
        return None
    from bfcore.synth.examples import ExampleError, decode_escapes

    # The bytes a program must print: \xNN is one byte, other text its UTF-8 (as gen --expect and
    # the REPL's :expect); latin-1 made 'é' the byte 0xe9, and a byte the shell passed as not
    # UTF-8 (bftui debug --expect $'\xff') raised.
    try:
        return decode_escapes(text, "expected output")
    except ExampleError:  # an unknown escape or a lone surrogate: the text as typed
        return text.encode("utf-8", "backslashreplace")


def parse_examples(text: str) -> list[tuple[bytes, bytes]] | None:
    r"""Examples typed in the expect box, ``IN -> OUT`` separated by ``;`` (``hi -> ih; abc -> cba``):
    the synthesis agent then searches for a program passing them all. None when the box holds no
    ``->`` (a plain expected output)."""
    if "->" not in text:
        return None
    pairs = []
    for part in text.split(";"):
        if part.strip():
            inp, _, out = part.partition("->")
            # one space on each side belongs to the arrow; others are data
            inp = inp.lstrip()[:-1] if inp.endswith(" ") else inp.lstrip()
            out = out.rstrip()[1:] if out.startswith(" ") else out.rstrip()
            pairs.append((parse_expected(inp) or b"", parse_expected(out) or b""))
    return pairs


def init_settings(agent_dir: Path | None) -> dict:
    """TrainConfig fields that make a run start from the agent at ``agent_dir`` (its model shape
    and encoder depth must match for ``init_from``); empty when there is no such agent."""
    import json

    if agent_dir is None:
        return {}
    ckpt = agent_dir / "checkpoint" if (agent_dir / "checkpoint").is_dir() else agent_dir
    try:
        state = json.loads((ckpt / "state.json").read_text())
        model = state["model"]
    except (OSError, ValueError, KeyError):
        return {}
    encoder = state.get("encoder") or {}
    return {"init_from": str(ckpt), "hidden": model["hidden"], "conv_layers": model["conv_layers"],
            "max_steps": model["max_steps"],
            "encoder_layers": int(encoder.get("layers", 4)) if model.get("enc_dim") else 0}


def stall_warning(report: dict) -> str | None:
    """Plain advice when a teaching run has stopped learning (or has stopped because of it)."""
    stopped = str(report.get("stopped") or "")
    entropy = report.get("entropy")
    if stopped.startswith("stalled") or (entropy is not None and entropy < 1e-3
                                         and float(report.get("success_rate") or 0) < 0.5):
        return ("learning has stalled (the agent always writes the same thing, or success is flat): "
                "add more examples and more phrasings of each task, or start again with more "
                "exploration (a higher ent_coef)")
    return None


class MainScreen(Screen):
    BINDINGS = [
        Binding("ctrl+o", "options", "Options", show=False, id="main.options",
                tooltip="Generation options: greedy, temperature, best-of-N"),
        Binding("ctrl+n", "add_task", "Add task", show=False, id="main.add_task",
                tooltip="Add the prompt and its expected output (or examples: in -> out; in -> out) "
                        "to your task set"),
        Binding("ctrl+t", "toggle_training", "Train", show=False, id="main.train",
                tooltip="Start or stop teaching on your task set (tasks with examples teach the "
                        "agent that writes loops and reads input)"),
        Binding("ctrl+g", "generate", "Generate", show=False, id="main.generate",
                tooltip="Generate a program for the prompt (Enter in the prompt does too)"),
        Binding("ctrl+l", "tasks", "Tasks", show=False, id="main.tasks",
                tooltip="List, edit and delete the tasks in your task set"),
        Binding("ctrl+b", "agent_back", "Previous agent", show=False, id="main.agent_back",
                tooltip="Go back to the agent in use before the last accepted fine-tune"),
    ]

    def __init__(self, *, agent_path: str | None, data_dir: Path, train_overrides: dict | None = None,
                 history: list[str] | None = None, gate_points: float | None = None) -> None:
        super().__init__()
        from bfcore.agent.gate import GATE_POINTS, AgentHistory

        self.agents = AgentHistory(data_dir / "agents.json")  # every fine-tune the gate accepted
        if agent_path is None and self.agents.current and Path(self.agents.current).is_dir():
            agent_path = self.agents.current
        self.gate_points = GATE_POINTS if gate_points is None else gate_points
        self.host = AgentHost(agent_path)
        # the synthesis agent's own history: teaching it with tasks that have examples
        self.synth_agents = AgentHistory(data_dir / "synth_agents.json")
        if self.synth_agents.current and Path(self.synth_agents.current).is_dir():
            self.host.use_synth(self.synth_agents.current)
        self._last_kind = "print"  # which agent the last accepted change was to (ctrl+b undoes it)
        self._pending_print = False  # print tasks waiting for the synthesis agent's teaching
        self.data_dir = data_dir
        self.task_file = data_dir / "tasks.jsonl"
        self.options = GenOptions()
        self.train_overrides = dict(train_overrides or {})
        self.agent_state = "loading agent…"
        self.training = False
        self._stop_requested = False
        self._reports: list[dict] = []  # buffered between curve redraws
        self._history = history
        self.last_generation = None
        self.run_dir: Path | None = None
        self._warned = False
        self._train_start: str | None = None
        self.task_success: dict[str, float] = {}  # prompt -> success in the latest training report

    def compose(self) -> ComposeResult:
        yield Static("", id="too-small")
        with Vertical(classes="body"):
            with Horizontal(id="prompt-bar"):
                yield Label("ask›", id="ask-label")
                yield PromptInput(history=self._history, id="prompt", compact=True,
                                  placeholder="say hi   (Enter generates, F1 help)")
                yield Input(id="expect", compact=True, placeholder="expect, or examples: in -> out; in -> out")
                yield Label(self.options.summary(), id="gen-options")
            side = Vertical(Curve("reward", placeholder="train: ctrl+t", id="reward"),
                            Static("", id="train-info"), id="side")
            yield DebuggerPanel("", side=side, id="debugger")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#prompt").focus()
        self.query_one("#side").border_title = "training"
        self._show_train_info()
        self.set_interval(1 / CURVE_HZ, self._flush_reports)
        self.load_agent()

    def on_unmount(self) -> None:
        self.host.shutdown()

    @property
    def panel(self) -> DebuggerPanel:
        return self.query_one(DebuggerPanel)

    # -- agent -----------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="agent")
    def load_agent(self) -> None:
        future = self.host.load()
        try:
            result = self._wait(future)
        except Exception as exc:  # a broken checkpoint must not take the app down
            result = AgentUnavailable(f"agent failed to load: {exc.__class__.__name__}: {exc}")
        if result is not None:
            self.post_message(result if isinstance(result, AgentUnavailable) else AgentReady(result))

    def _wait(self, future):
        """Wait on the agent thread while honouring cancellation; errors become messages."""
        worker = get_current_worker()
        while not worker.is_cancelled:
            try:
                return future.result(timeout=POLL)
            except FutureTimeout:
                continue
            except AgentMissing as exc:
                return AgentUnavailable(str(exc))
        future.cancel()
        return None

    def on_agent_ready(self, message: AgentReady) -> None:
        self.agent_state = f"agent: {Path(message.info).name or message.info}"
        self._show_train_info()

    def on_agent_unavailable(self, message: AgentUnavailable) -> None:
        self.agent_state = "no agent yet"
        self.panel.editor.placeholder = (
            f"{message.reason}\n\nMeanwhile, type or paste a Brainfuck program here and press "
            "F5 to run it or F8 to step through it.")
        self._show_train_info()
        self.notify(message.reason, title="no agent", severity="warning", timeout=6)

    # -- generation ------------------------------------------------------------------------------

    @on(Input.Submitted, "#prompt")
    def _prompt_submitted(self, event: Input.Submitted) -> None:
        self.action_generate()

    @on(Input.Submitted, "#expect")
    def _expect_submitted(self, event: Input.Submitted) -> None:
        self.action_generate()

    def action_generate(self) -> None:
        prompt = self.query_one("#prompt", PromptInput).value.strip()
        if not prompt:
            self.notify("type a request first, e.g. 'say hi'", severity="warning")
            return
        self.query_one("#prompt", PromptInput).remember(prompt)
        box = self.query_one("#expect", Input).value
        examples = parse_examples(box)
        expected = None if examples else parse_expected(box)
        self.panel.query_one("#program").border_title = f"program: generating for {prompt!r}…"
        self.generate(prompt, expected, self.options, examples or [])

    @work(thread=True, exclusive=True, group="generate")
    def generate(self, prompt: str, expected: bytes | None, options: GenOptions,
                 examples: list | None = None) -> None:
        began = time.perf_counter()
        future = self.host.generate(prompt, greedy=options.greedy, temperature=options.temperature,
                                    best_of=options.best_of, expected=expected,
                                    examples=examples or [])
        try:
            result = self._wait(future)
        except Exception as exc:  # the agent's own failure: report it, keep the app alive
            self.post_message(GenerationFailed(prompt, f"{exc.__class__.__name__}: {exc}"))
            return
        if isinstance(result, AgentUnavailable):
            self.post_message(GenerationFailed(prompt, result.reason))
        elif result is not None:
            self.post_message(GenerationReady(prompt, result, expected, time.perf_counter() - began,
                                              examples or []))

    def on_generation_ready(self, message: GenerationReady) -> None:
        g = message.generation
        self.last_generation = g
        panel = self.panel
        if hasattr(g, "passed"):  # the synthesis agent: its program reads input
            self._show_synth(g, message)
            return
        panel.load(g.program, expected=message.expected)
        panel.editor.show_confidence(list(g.spans), list(g.token_probs))
        reward = "" if g.reward is None else f" reward {g.reward:.2f}"
        ok = "" if g.success is None else (" ✓" if g.success else " ✗")
        panel.editor.border_title = f"program for {message.prompt!r}{reward}{ok}"
        panel.editor.set_info(f"{len(g.program)} chars, {message.seconds:.2f}s")
        if g.unfamiliar:
            from bftui.hints import UNFAMILIAR

            self.notify(UNFAMILIAR.format(confidence=g.confidence), title="unfamiliar request",
                        severity="warning", timeout=8)
        panel.run()  # show the output at once; F2 resets to step through it

    def _show_synth(self, g, message: GenerationReady) -> None:
        from bfcore.synth.agent import PROBE_INPUT
        from bfcore.synth.examples import show

        examples = message.examples
        inp, want = examples[0] if examples else (PROBE_INPUT, None)
        if not examples and not g.reads_input:
            inp = b""
        panel = self.panel
        panel.load(g.program, input=inp, expected=want)
        panel.editor.show_confidence(list(g.spans), list(g.token_probs))
        if examples:
            verdict = f"examples {sum(g.passed)}/{len(g.passed)} " + ("✓" if g.solved else "✗")
            failing = [(i, o) for (i, _), ok, o in zip(examples, g.passed, g.outputs) if not ok]
            if failing:
                self.notify(f"first failing input '{show(failing[0][0])}' gave '{show(failing[0][1])}'",
                            title="not every example passes", severity="warning", timeout=6)
            extra = f", npe {g.npe}"
        else:
            verdict = f"confidence {g.confidence:.2f}, " + (f"run on '{show(inp)}'"
                                                            if g.reads_input else "reads no input")
            extra = ""
            if g.confidence < 0.3:
                self.notify("this request looks unlike what the agent was trained on; give examples "
                            "in the expect box (in -> out; in -> out) so it can search",
                            title="low confidence", severity="warning", timeout=6)
        panel.editor.border_title = f"program for {message.prompt!r}: {verdict}"
        panel.editor.set_info(f"{len(g.program)} chars, {message.seconds:.2f}s{extra}")
        panel.run()

    def on_generation_failed(self, message: GenerationFailed) -> None:
        self.panel.editor.border_title = "program (generation failed)"
        self.notify(message.error, title="generation failed", severity="error", timeout=6)

    def action_options(self) -> None:
        def chosen(options: GenOptions | None) -> None:
            if options is not None:
                self.options = options
                self.query_one("#gen-options", Label).update(options.summary())

        self.app.push_screen(OptionsScreen(self.options), chosen)

    # -- task set and fine-tuning ----------------------------------------------------------------

    def action_add_task(self) -> None:
        prompt = self.query_one("#prompt", PromptInput).value.strip()
        box = self.query_one("#expect", Input).value
        examples = parse_examples(box)
        expected = None if examples else parse_expected(box)
        if not prompt or (expected is None and not examples):
            self.notify("fill in the prompt and the expected output (or examples: in -> out; "
                        "in -> out) to add a task", severity="warning")
            return
        try:
            count = append_task(self.task_file, prompt, expected, examples=examples)
        except TaskSetError as exc:
            self.notify(str(exc), title="task not added", severity="warning", timeout=8)
            return
        self.post_message(TaskAdded(str(self.task_file), count))

    def action_tasks(self) -> None:
        self.app.push_screen(TaskSetScreen(self.task_file, self.data_dir / "runs", self.task_success),
                             lambda _: self._show_train_info())

    def on_task_added(self, message: TaskAdded) -> None:
        self.notify(f"task {message.count} saved to {message.path}")
        self._show_train_info()

    def action_toggle_training(self) -> None:
        if self.training:
            self._stop_requested = True
            self._show_train_info("stopping…")
            return
        if count_tasks(self.task_file) == 0:
            self.notify("your task set is empty: type a prompt and an expected output, then ctrl+n",
                        severity="warning")
            return
        try:
            tasks = read_tasks(self.task_file)
        except TaskSetError as exc:
            self.notify(str(exc), title="cannot read the task set", severity="error", timeout=8)
            return
        with_examples = [t for t in tasks if has_examples(t)]
        self._pending_print = len(with_examples) < len(tasks)
        self.training, self._stop_requested, self._warned = True, False, False
        self.query_one("#reward", Curve).clear()
        self._show_train_info("starting…")
        if with_examples:  # programs that read input: the synthesis agent learns them
            self._train_start = self.host.synth_path()
            self.teach_synth_worker(with_examples)
        else:
            self.train_worker()

    @work(thread=True, exclusive=True, group="train")
    def teach_synth_worker(self, tasks: list) -> None:
        worker = get_current_worker()
        from bfcore.synth.agent import SynthAgent, default_synth_dir
        from bfcore.synth.router import shared_encoder
        from bfcore.synth.teach import gate, teach
        from bfcore.train.run import new_run_dir

        start = self._train_start or str(default_synth_dir())
        self.run_dir = run_dir = new_run_dir(self.data_dir / "runs", "teach")
        result = None
        try:
            enc = shared_encoder()
            overrides = dict(self.train_overrides.get("synth", {}))  # tests, power users
            teach(start, tasks, run_dir, encoder=enc,
                  on_report=lambda r: self.post_message(TrainReport(dict(r))),
                  should_stop=lambda: worker.is_cancelled or self._stop_requested, **overrides)
            if not worker.is_cancelled:
                self.app.call_from_thread(self._show_train_info, "checking old skills…")
                try:
                    result = gate(SynthAgent.load(start, encoder=enc),
                                  SynthAgent.load(run_dir, encoder=enc), tasks,
                                  points=self.gate_points)
                except Exception as exc:  # the run is kept; the person decides
                    from bfcore.agent.gate import GateSkipped

                    result = GateSkipped(f"{exc.__class__.__name__}: {exc}")
            # then the print tasks, as one Ctrl+T, in this thread: a second worker started
            # from here found MLX streams of this one gone ("no Stream(cpu, 2) in current thread")
            more = self._pending_print and not self._stop_requested and not worker.is_cancelled
            self.post_message(TrainStopped(str(run_dir), self._stop_requested, gate=result,
                                           kind="synth", more=more))
            if more:
                self._print_training(worker)
        except Exception as exc:  # a failed run must not take the app down with it
            self.post_message(TrainStopped(None, False, f"{exc.__class__.__name__}: {exc}",
                                           kind="synth"))
        finally:
            from bfcore.threads import release_mlx_streams

            release_mlx_streams()

    @work(thread=True, exclusive=True, group="train")
    def train_worker(self) -> None:
        try:
            self._print_training(get_current_worker())
        finally:
            from bfcore.threads import release_mlx_streams

            release_mlx_streams()  # this thread ran MLX: free its streams or the process may abort at exit

    def _print_training(self, worker) -> None:
        """Fine-tune the print agent, gate it, and post TrainStopped (in the calling worker)."""
        from bfcore.train import TrainConfig, train

        self._pending_print = False
        self._train_start = self.host.current_path()
        gate = None
        try:
            config = TrainConfig(**self._train_config())
            run_dir = train(config, on_report=lambda r: self.post_message(TrainReport(dict(r))),
                            should_stop=lambda: worker.is_cancelled or self._stop_requested)
            if config.init_from and not worker.is_cancelled:
                self.app.call_from_thread(self._show_train_info, "checking old skills…")
                gate = self._gate(config.init_from, run_dir)
        except Exception as exc:  # a failed run must not take the app down with it
            self.post_message(TrainStopped(None, False, f"{exc.__class__.__name__}: {exc}"))
            return
        self.post_message(TrainStopped(str(run_dir), self._stop_requested, gate=gate))

    def _gate(self, start: str, run_dir: Path):
        """The new weights against the agent they started from, on the val split (this thread)."""
        from bfcore.agent import Agent
        from bfcore.agent.gate import GateSkipped, check
        from bfcore.tasks import TaskFormatError, load_tasks

        try:
            taught = load_tasks(self.task_file)
        except TaskFormatError:
            taught = None
        try:
            return check(Agent.load(start), Agent.load(run_dir), points=self.gate_points,
                         taught=taught)
        except Exception as exc:  # the run is kept; the person decides
            return GateSkipped(f"{exc.__class__.__name__}: {exc}")

    def _train_config(self) -> dict:
        """Fine-tune the agent in use (same model shape) on the user's task set, in a new run dir
        under the data dir; ``train_overrides`` (tests, power users) win over everything."""
        from bfcore.train.run import new_run_dir

        self.run_dir = new_run_dir(self.data_dir / "runs", "app")
        tasks = str(self.task_file)
        try:
            mixed = read_tasks(self.task_file)
        except TaskSetError:
            mixed = []
        if any(has_examples(t) for t in mixed):  # those teach the synthesis agent, not this one
            from bfcore.tasks import save_tasks

            tasks = str(self.data_dir / "tasks.print.jsonl")
            save_tasks([t for t in mixed if not has_examples(t)], Path(tasks))
        settings = {"tasks": tasks, "run_dir": str(self.run_dir), "steps": 100_000,
                    "report_every": 1, "save_every": 5, "curriculum": False, "batch_size": 64}
        start = init_settings(self.host.weights_path())
        if start:
            from bfcore.train.config import FINETUNE

            settings.update(FINETUNE)  # keep the old skills (rehearsal, KL to the start)
        settings.update(start)
        settings.update({k: v for k, v in self.train_overrides.items() if k != "synth"})
        return settings

    def on_train_report(self, message: TrainReport) -> None:
        # generation keeps the current agent while training runs: new weights pass the gate first
        self._reports.append(message.report)

    def _switch_to(self, path: str | None) -> None:
        self.host.use_weights(path)
        self.agent_state = f"agent: {Path(path).name}" if path else "agent: shipped default"

    def _flush_reports(self) -> None:
        if not self._reports:
            return
        reports, self._reports = self._reports, []
        curve = self.query_one("#reward", Curve)
        for r in reports:
            if r.get("episodic_return") is not None:
                curve.add("return", float(r["episodic_return"]))
            if r.get("success_rate") is not None:
                curve.add("success", float(r["success_rate"]))
            if r.get("rehearsal_success") is not None:  # the old skills, apart from the new tasks
                curve.add("old skills", float(r["rehearsal_success"]))
            if r.get("custom_solved") is not None:  # teaching the synthesis agent
                curve.add("your tasks", float(r["custom_solved"]))
        last = reports[-1]
        if last.get("custom_solved") is not None:
            self.task_success.update(last.get("task_success") or {})  # Ctrl+L shows them
            self._show_train_info(f"step {last.get('step', '?')} · your tasks solved "
                                  f"{float(last['custom_solved']):.0%} · npe {last.get('npe', 0):,}")
            return
        old = last.get("rehearsal_success")
        per = last.get("task_success") or {}
        solved = f" · tasks {sum(v >= 0.5 for v in per.values())}/{len(per)}" if per else ""
        self._show_train_info(f"step {last.get('step', '?')} "
                              f"ok {float(last.get('success_rate') or 0):.0%}{solved}"
                              + (f" · old {old:.0%}" if old is not None else ""))
        self.task_success.update(per)
        warning = stall_warning(last)
        if warning and not self._warned:
            self._warned = True
            self.notify(warning, title="learning has stalled", severity="warning", timeout=12)

    def on_train_stopped(self, message: TrainStopped) -> None:
        self._flush_reports()
        self.training = False
        if message.error:
            self._show_train_info("failed")
            self.notify(message.error, title="training failed", severity="error", timeout=10)
            return
        ended = "stopped" if message.stopped else "finished"
        gate = message.gate
        if message.run_dir and (gate is None or gate.accepted):
            self._accept(message.kind, message.run_dir)
        self._show_train_info("stopped" if message.stopped else "done")
        who = "the synthesis agent: " if message.kind == "synth" else ""
        if gate is None:
            self.notify(f"training {ended}; generation now uses the new weights")
        else:
            self.notify(f"{who}training {ended}; {gate.message()}", title="gate",
                        severity="information" if gate.accepted else "warning", timeout=12)
        if message.more:  # the print tasks come next, in the same worker
            self.training, self._warned = True, False
            self._show_train_info("print tasks next…")

    def _accept(self, kind: str, run_dir: str) -> None:
        self._last_kind = kind
        if kind == "synth":
            self.synth_agents.accept(run_dir, start=self._train_start)
            self.host.use_synth(run_dir)
            self.agent_state = f"synth: {Path(run_dir).name}"
        else:
            self.agents.accept(run_dir, start=self._train_start)
            self._switch_to(run_dir)

    def action_agent_back(self) -> None:
        if self.training:
            self.notify("training is running: stop it first (ctrl+t)", severity="warning")
            return
        synth = self._last_kind == "synth"
        try:
            path = (self.synth_agents if synth else self.agents).back()
        except LookupError as exc:
            self.notify(str(exc), severity="warning")
            return
        if synth:
            self.host.use_synth(path)
            self.agent_state = f"synth: {Path(path).name}" if path else "synth: shipped"
            self._last_kind = "print" if len(self.synth_agents.stack) < 2 else "synth"
        else:
            self._switch_to(path)
        self._show_train_info()
        what = "the synthesis agent" if synth else "the agent"
        self.notify(f"{what}: back to {path or 'the shipped default'}")

    def action_agent_use_last(self) -> None:
        """Use the last teaching run's weights even though the gate did not let them through."""
        run = self.run_dir
        if self.training or run is None or not (run / "checkpoint").exists():
            self.notify("no finished teaching run to use", severity="warning")
            return
        self._accept("synth" if run.name.startswith("teach") else "print", str(run))
        self._show_train_info()
        self.notify(f"now using {run} (ctrl+b goes back)")

    def action_agent_default(self) -> None:
        if self.training:
            self.notify("training is running: stop it first (ctrl+t)", severity="warning")
            return
        self.agents.reset()
        self._switch_to(None)
        self.synth_agents.reset()
        self.host.use_synth(None)
        self._last_kind = "print"
        self._show_train_info()
        self.notify("back to the shipped default agents (ctrl+b undoes this)")

    def _show_train_info(self, state: str | None = None) -> None:
        state = state or ("running" if self.training else "idle")
        tasks = count_tasks(self.task_file)
        self.query_one("#train-info", Static).update(
            f"train: {state}\ntasks: {tasks} · {self.agent_state}")
