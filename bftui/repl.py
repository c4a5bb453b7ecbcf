"""``bftui repl``: quick prompts and programs at a prompt-toolkit prompt.

A line of Brainfuck runs at once; any other plain line is a request to the agent; ``:`` commands do
the rest (``:help`` lists them). :class:`Repl` holds the session and handles one line at a time, so
the same code serves the interactive prompt (:func:`run_interactive`) and piped stdin
(:func:`run_piped`). Nothing heavy is imported here: the interpreter, agent and trainer load on
first use, so the prompt appears at once.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from bfcore.threads import release_mlx_streams
from prompt_toolkit import PromptSession, print_formatted_text
from prompt_toolkit.completion import CompleteEvent, NestedCompleter, WordCompleter
from prompt_toolkit.document import Document
from prompt_toolkit.formatted_text import FormattedText, PygmentsTokens
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.lexers import Lexer, PygmentsLexer
from prompt_toolkit.patch_stdout import patch_stdout
from prompt_toolkit.styles import Style
from pygments.lexers import BrainfuckLexer

BF_CHARS = frozenset("+-<>.,[]")

HELP = {
    ":run": ":run [CODE|FILE]   run Brainfuck (the last program when none is given)",
    ":debug": ":debug             open the step debugger on the last program",
    ":gen": ":gen PROMPT        ask the agent for a program (same as a plain line)",
    ":expect": ":expect [TEXT]     expected output for the next prompts (\\n escapes); no TEXT clears",
    ":example": ":example IN OUT    add an example (quote with spaces; \\n \\0 \\xNN): prompts then search for a\n"
                "                   program (loops, input) that passes every example; no IN OUT clears",
    ":input": ":input [TEXT]      the input programs read with ',' (\\n escapes); no TEXT clears",
    ":train": ":train [STEPS|stop] fine-tune on this session's prompts that had an :expect",
    ":model": ":model [PATH]      show the agent in use, or load another checkpoint",
    ":undo": ":undo              go back to the agent in use before the last accepted :train",
    ":help": ":help              this list",
    ":quit": ":quit              leave (also Ctrl-D)",
}
DEFAULT_TRAIN_STEPS = 30
ALIASES = {":q": ":quit", ":exit": ":quit", ":h": ":help", ":?": ":help"}

STYLE = Style.from_dict(
    {
        "label": "ansibrightblack",
        "error": "ansired bold",
        "ok": "ansigreen",
        "warn": "ansiyellow",
        "command": "ansicyan bold",
        "bottom-toolbar": "noreverse bg:#222222 #aaaaaa",
    }
)


def looks_like_code(text: str) -> bool:
    """Only BF instructions and whitespace, with at least one instruction."""
    stripped = "".join(text.split())
    return bool(stripped) and set(stripped) <= BF_CHARS


def not_text_at(text: str) -> int | None:
    """1-based position of the first character that is not text (a lone surrogate: what a byte
    that is not UTF-8 becomes on the way in), or None."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return exc.start + 1
    return None


def escape_bytes(data: bytes) -> str:
    """Printable ASCII as is, every other byte (and backslash) as ``\\xNN``: what ``bftui debug
    --expect`` reads back."""
    return "".join(chr(b) if 32 <= b < 127 and b != 92 else f"\\x{b:02x}" for b in data)


def show_bytes(data: bytes) -> str:
    """One-line, quoted view of program output: escapes for newlines and control bytes."""
    # Each byte that is not UTF-8 as \xNN, which :expect reads back as that byte; text as text.
    shown = []
    for ch in data.decode("utf-8", "surrogateescape"):
        if "\udc80" <= ch <= "\udcff":
            shown.append(f"\\x{ord(ch) - 0xDC00:02x}")
        elif ch in '"\\':
            shown.append("\\" + ch)
        else:
            shown.append(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii"))
    return '"' + "".join(shown) + '"'


class Printer:
    """Where results go. ``file=None``: the prompt-toolkit terminal, styled, and safe to use from
    a worker thread while the prompt is shown. A file gets plain text; with ``raw=True`` program
    output is written to its binary buffer byte for byte."""

    def __init__(self, file: TextIO | None = None, *, raw: bool = False) -> None:
        self.file = file
        self.raw = raw

    def line(self, *fragments: tuple[str, str] | str) -> None:
        parts = [("", f) if isinstance(f, str) else f for f in fragments]
        plain = "".join(text for _, text in parts)
        if self.file is not None:
            self.file.write(plain + "\n")
            self.file.flush()
        elif threading.current_thread() is not threading.main_thread():
            # From a worker thread only patch_stdout's proxy keeps the prompt intact; it takes text.
            print(plain, file=sys.stdout, flush=True)
        else:
            print_formatted_text(FormattedText(parts), style=STYLE)

    def program(self, label: str, source: str) -> None:
        source = source.rstrip("\n")
        if self.file is not None or threading.current_thread() is not threading.main_thread():
            self.line(("class:label", label), source)
            return
        tokens = list(BrainfuckLexer().get_tokens(source))
        print_formatted_text(FormattedText([("class:label", label)]), PygmentsTokens(tokens), sep="", style=STYLE)

    def data(self, output: bytes) -> None:
        """A program's output as it printed it, ending with a newline so the next prompt starts clean."""
        if not output.endswith(b"\n"):
            output += b"\n"
        buffer = getattr(self.file, "buffer", None)
        if self.raw and buffer is not None:
            self.file.flush()
            buffer.write(output)
            buffer.flush()
            return
        text = output.decode("utf-8", errors="backslashreplace")
        if self.file is not None:
            self.file.write(text)
            self.file.flush()
        else:
            print_formatted_text(text, end="")

    def error(self, message: str) -> None:
        self.line(("class:error", "error: "), message)


@dataclass
class Pair:
    prompt: str
    expect: bytes


class Repl:
    """One REPL session: the agent (loaded on the first prompt), the last program, the expected
    output, and the (prompt, expected) pairs collected for ``:train``."""

    def __init__(self, printer: Printer, *, model: str | None = None, interactive: bool = False) -> None:
        self.out = printer
        self.model = model
        self.interactive = interactive
        self.agent = None
        self.last_program: str | None = None
        self.last_reward: float | None = None
        self.expect: bytes | None = None
        self.pairs: list[Pair] = []
        self.failures = 0  # lines that ended in an error, for the piped exit code
        self.line_no: int | None = None  # of the piped line being handled, for its errors
        self.trainer: TrainJob | None = None
        self.examples: list[tuple[bytes, bytes]] = []
        self.input = b""
        self.synth = None

    # -- dispatch --------------------------------------------------------------------------------

    def handle(self, line: str) -> bool:
        """Handle one input line; False means the session should end."""
        text = line.strip()
        if not text:
            return True
        bad = not_text_at(text)
        if bad is not None:  # the tokenizer, the encoder and the output check all need text
            self._fail(f"{self.where()}not UTF-8 text (at character {bad}); the line is skipped")
            return True
        if text.startswith(":"):
            name, _, arg = text.partition(" ")
            name = ALIASES.get(name, name)
            if name == ":quit":
                return False
            handler = self._commands().get(name)
            if handler is None:
                self._fail(f"unknown command {name} (try :help)")
            else:
                handler(arg.strip())
            return True
        if looks_like_code(text):
            self.run_code(line)
        else:
            self.prompt(text)
        return True

    def _commands(self) -> dict[str, Callable[[str], None]]:
        return {
            ":run": self.cmd_run,
            ":debug": self.cmd_debug,
            ":gen": self.cmd_gen,
            ":expect": self.cmd_expect,
            ":example": self.cmd_example,
            ":input": self.cmd_input,
            ":train": self.cmd_train,
            ":model": self.cmd_model,
            ":undo": self.cmd_undo,
            ":help": self.cmd_help,
        }

    def where(self) -> str:
        return f"line {self.line_no}: " if self.line_no is not None else ""

    def _fail(self, message: str) -> None:
        self.failures += 1
        self.out.error(message)

    # -- running programs ------------------------------------------------------------------------

    def run_code(self, source: str) -> None:
        from bfcore.interp.fast import run

        self.last_program = source
        result = run(source, self.input)
        if result.output or result.ok:
            self.out.data(result.output)
        if not result.ok:
            self._fail(str(result.error) if result.error else result.status)
        elif self.expect is not None:
            self._compare(result.output)

    def _compare(self, output: bytes) -> None:
        expected = self.expect
        if output == expected:
            self.out.line(("class:ok", "matches the expected output"))
        else:
            self.out.line(("class:warn", f"expected {show_bytes(expected)}, got {show_bytes(output)}"))

    def cmd_run(self, arg: str) -> None:
        if arg and not looks_like_code(arg):
            path = Path(arg).expanduser()
            if not path.is_file():
                self._fail(f"{arg}: not Brainfuck code and not a file")
                return
            arg = path.read_text(errors="replace")
        source = arg or self.last_program
        if not source:
            self._fail("no program yet: type one, or :run CODE")
            return
        self.run_code(source)

    # -- the agent -------------------------------------------------------------------------------

    def _load_agent(self):
        if self.agent is not None:
            return self.agent
        from bfcore.agent import Agent, default_agent_dir

        if self.model is None and not (default_agent_dir() / "state.json").is_file():
            return None
        self.out.line(("class:label", f"loading the agent ({self.model or 'default'})..."))
        try:
            self.agent = Agent.load(self.model)
        except (OSError, ValueError) as exc:  # AgentError is a ValueError naming the file
            self._fail(f"could not load the agent: {exc}")
            return False
        return self.agent

    def _wants_synth(self, text: str) -> bool:
        if self.examples:
            return True
        if self.expect is not None or self.model is not None:
            return False
        from bfcore.synth.router import routes_to_synth

        return routes_to_synth(text)

    def _load_synth(self):
        if self.synth is None:
            from bfcore.synth.agent import SynthAgent
            from bfcore.synth.router import shared_encoder

            self.out.line(("class:label", "loading the synthesis agent..."))
            try:
                self.synth = SynthAgent.load(None, encoder=shared_encoder())
            except (OSError, ValueError) as exc:
                self._fail(f"could not load the synthesis agent: {exc}")
                return None
        return self.synth

    def synth_prompt(self, text: str) -> None:
        agent = self._load_synth()
        if agent is None:
            return
        if not self.examples:
            from bfcore.interp.fast import run
            from bfcore.synth.agent import PROBE_INPUT
            from bfcore.synth.score import CONFIG

            probe = self.input or PROBE_INPUT
            g = agent.generate(text, probe=self.input or None)  # none given: two probes
            self.last_program = g.program
            self.out.program("program: ", g.program)
            r = run(g.program, probe if g.reads_input else b"", CONFIG, jit_after=None)
            where = f"on input {show_bytes(probe)}: " if g.reads_input else "output: "
            self.out.line(("class:label", where), show_bytes(r.output),
                          ("class:label", "" if r.status == "ok" else f" ({r.status})"))
            self.out.line(("class:label", "confidence: "), f"{g.confidence:.2f}",
                          ("class:label", "  (add :example IN OUT to check it and search)"))
            return
        res = agent.search(text, tuple(self.examples), budget=1000)
        g = res.best
        self.last_program = g.program
        self.out.program("program: ", g.program)
        style = "class:ok" if res.solved else "class:warn"
        self.out.line(("class:label", "examples: "), (style, f"{sum(g.passed)}/{len(g.passed)} passed"),
                      ("class:label", f"  (npe {res.npe}, {res.seconds:.2f} s)"))
        for (inp, want), ok, out in zip(self.examples, g.passed, g.outputs):
            if not ok:
                self.out.line(("class:warn", f"first failing: input {show_bytes(inp)} gave "
                               f"{show_bytes(out)}, expected {show_bytes(want)}"))
                break
        if not res.solved:
            self.failures += 1

    def prompt(self, text: str) -> None:
        if self._wants_synth(text):
            self.synth_prompt(text)
            return
        agent = self._load_agent()
        if agent is False:
            return
        if agent is None:
            self._fail("no agent: the shipped default (assets/agent/) is missing; lines of Brainfuck still run")
            return
        expect = self.expect
        generation = agent.generate(text, expect=expect)
        self.last_program = generation.program
        self.out.program("program: ", generation.program)
        self.out.line(("class:label", "output:  "), show_bytes(generation.output))
        if generation.unfamiliar:
            from bftui.hints import UNFAMILIAR

            self.out.line(("class:warn", UNFAMILIAR.format(confidence=generation.confidence)))
        if expect is not None:
            self.last_reward = generation.reward
            ok = generation.success
            mark = ("class:ok", " (success)") if ok else ("class:warn", f" (expected {show_bytes(expect)})")
            reward = "-" if generation.reward is None else f"{generation.reward:.3f}"
            self.out.line(("class:label", "reward:  "), reward, mark)
            self._remember(Pair(text, expect))

    def _remember(self, pair: Pair) -> None:
        if pair not in self.pairs:
            self.pairs.append(pair)

    def cmd_gen(self, arg: str) -> None:
        if not arg:
            self._fail("usage: :gen PROMPT")
            return
        self.prompt(arg)

    def cmd_expect(self, arg: str) -> None:
        if not arg:
            self.expect = None
            self.out.line(("class:label", "expected output cleared"))
            return
        from bfcore.synth.examples import ExampleError, decode_escapes as decode_bytes

        # The same bytes as :input and :example: \xNN is one byte (as show_bytes writes it),
        # anything else its UTF-8 bytes.
        try:
            self.expect = decode_bytes(arg, ":expect")
        except ExampleError as exc:
            self._fail(str(exc))
            return
        self.out.line(("class:label", "expecting "), show_bytes(self.expect))

    def cmd_example(self, arg: str) -> None:
        import shlex

        from bfcore.synth.examples import ExampleError, decode_escapes as decode_bytes

        if not arg:
            self.examples = []
            self.out.line(("class:label", "examples cleared"))
            return
        try:
            parts = shlex.split(arg)
        except ValueError as exc:
            self._fail(f":example: {exc}")
            return
        if len(parts) != 2:
            self._fail(":example takes two texts, IN and OUT (quote a text with spaces)")
            return
        try:
            pair = (decode_bytes(parts[0], ":example IN"), decode_bytes(parts[1], ":example OUT"))
        except ExampleError as exc:
            self._fail(str(exc))
            return
        self.examples.append(pair)
        self.out.line(("class:label", f"example {len(self.examples)}: "), show_bytes(pair[0]),
                      ("class:label", " -> "), show_bytes(pair[1]))

    def cmd_input(self, arg: str) -> None:
        from bfcore.synth.examples import ExampleError, decode_escapes as decode_bytes

        try:
            self.input = decode_bytes(arg, ":input") if arg else b""
        except ExampleError as exc:
            self._fail(str(exc))
            return
        self.out.line(("class:label", "input: "), show_bytes(self.input) if arg else "(none)")

    def cmd_model(self, arg: str) -> None:
        if not arg:
            self.out.line(("class:label", "checkpoint: "), self.model or "default (the shipped agent)")
            self.out.line(("class:label", "model:      "), self.model_label())
            return
        path = Path(arg).expanduser()
        if arg != "default" and not path.exists():
            self._fail(f"{arg}: no such checkpoint")
            return
        self.model = None if arg == "default" else str(path)
        self.agent = None  # loaded on the next prompt
        self.out.line(("class:label", "model set to "), self.model or "default", ("class:label", " (loads on the next prompt)"))

    def cmd_undo(self, arg: str) -> None:
        from bfcore.agent.gate import AgentHistory

        if self.trainer is not None and self.trainer.running:
            self._fail("training is running (:train stop first)")
            return
        try:
            self.model = AgentHistory(agents_path()).back()
        except LookupError as exc:
            self._fail(str(exc))
            return
        self.agent = None
        self.out.line(("class:label", "back to "), self.model or "default (the shipped agent)")

    # -- other tools -----------------------------------------------------------------------------

    def cmd_debug(self, arg: str) -> None:
        if not self.last_program:
            self._fail("no program yet: type one or ask the agent first")
            return
        if not self.interactive:
            self._fail(":debug needs a terminal")
            return
        from bftui.cli import main as cli_main

        path = last_program_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.last_program)
        argv = ["debug", str(path)]
        if self.expect is not None:
            argv += ["--expect", escape_bytes(self.expect)]
        cli_main(argv)

    def cmd_train(self, arg: str) -> None:
        if arg == "stop":
            if self.trainer is None or not self.trainer.running:
                self._fail("no training is running")
            else:
                self.trainer.stop.set()
                self.out.line(("class:label", "stopping after the current update (a checkpoint is saved)"))
            return
        if self.trainer is not None and self.trainer.running:
            self._fail("training is already running (:train stop to end it)")
            return
        if arg and not (arg.isdigit() and int(arg) > 0):
            self._fail(f":train {arg}: expected a positive number of updates, or stop")
            return
        if not self.pairs:
            self._fail("nothing to train on: set :expect TEXT, then type prompts")
            return
        steps = int(arg) if arg else None
        self.trainer = TrainJob(self, list(self.pairs), steps)
        self.trainer.start()

    def cmd_help(self, arg: str) -> None:
        key = ":" + arg.lstrip(":")
        key = ALIASES.get(key, key)
        if key in HELP:
            self.out.line(HELP[key])
            return
        self.out.line(("class:label", "a line of Brainfuck runs it; any other line asks the agent for a program"))
        for text in HELP.values():
            name, _, rest = text.partition(" ")
            self.out.line(("class:command", name), " " + rest)

    def close(self, finish_training: bool = False) -> None:
        """Wait for a running training job: to finish (a script asked for it), or to stop and save."""
        if self.trainer is None or not self.trainer.running:
            return
        if finish_training:
            self.out.line(("class:label", "waiting for training to finish..."))
        else:
            self.out.line(("class:label", "stopping training and saving its checkpoint..."))
            self.trainer.stop.set()
        try:
            self.trainer.thread.join()
        except KeyboardInterrupt:
            self.trainer.stop.set()
            self.trainer.thread.join()

    def model_label(self) -> str:
        """The language model behind the agent, once it is loaded."""
        if self.agent is None:
            return "loads on the first prompt"
        encoder = getattr(self.agent, "state", {}).get("encoder") or {}
        if not encoder:
            return "none (characters only)"
        return f"{encoder.get('model') or 'SmolLM2-135M (embedded)'}, {encoder.get('layers', '?')} layers"

    def toolbar(self) -> FormattedText:
        checkpoint = self.model or "default"
        reward = "-" if self.last_reward is None else f"{self.last_reward:.3f}"
        parts = [f" model: {self.model_label()}", f"checkpoint: {checkpoint}", f"last reward: {reward}"]
        if self.expect is not None:
            parts.append(f"expect: {show_bytes(self.expect)}")
        if self.trainer is not None and self.trainer.running:
            parts.append(f"training {self.trainer.step}/{self.trainer.total or '?'}")
        return FormattedText([("class:bottom-toolbar", "  |  ".join(parts))])


class TrainJob:
    """Fine-tuning on the session's pairs in a background thread; reports print above the prompt."""

    def __init__(self, repl: Repl, pairs: list[Pair], steps: int | None) -> None:
        self.repl = repl
        self.pairs = pairs
        self.steps = steps
        self.stop = threading.Event()
        self.checkpoint: str | None = None
        self.total: int | None = None
        self.step = 0
        from bfcore.agent.gate import GATE_POINTS

        self.start_from = repl.model  # the agent being taught (None: the shipped default)
        self.gate_points = GATE_POINTS
        self.thread = threading.Thread(target=self._run, name="bftui-repl-train", daemon=True)

    @property
    def running(self) -> bool:
        return self.thread.is_alive()

    def start(self) -> None:
        self.repl.out.line(("class:label", f"training on {len(self.pairs)} prompt(s) in the background (:train stop ends it)"))
        self.thread.start()

    def _run(self) -> None:
        out = self.repl.out
        try:
            from bfcore.tasks import make_task, save_tasks
            from bfcore.train import train

            task_file = session_dir() / "repl_tasks.jsonl"
            task_file.parent.mkdir(parents=True, exist_ok=True)
            # Tasks hold text as latin-1 code points, one per byte, so any expected bytes round-trip.
            tasks = [make_task(p.prompt, p.expect.decode("latin-1"), family="repl") for p in self.pairs]
            save_tasks(tasks, task_file)
            config = fine_tune_config(task_file, self.steps, self.repl.model)
            self.total = config.steps
            out.line(("class:label", f"run directory: {config.run_dir} (bftui watch {config.run_dir})"))
            run_dir = train(config, on_report=self._report, should_stop=self.stop.is_set)
            out.line(("class:label", "checking old skills on the val split..."))
            gate = self._gate(run_dir, tasks)
        except Exception as exc:  # a failed background job must report, not kill the prompt
            self.repl._fail(f"training failed: {type(exc).__name__}: {exc}")
            return
        finally:
            release_mlx_streams()
        self.checkpoint = str(Path(run_dir) / "checkpoint")
        if not gate.accepted:
            out.line(("class:warn", f"training done: {run_dir} ({gate.message()})"))
            return
        from bfcore.agent.gate import AgentHistory

        AgentHistory(agents_path()).accept(self.checkpoint, start=self.start_from)
        self.repl.model = self.checkpoint
        self.repl.agent = None
        out.line(("class:ok", "training done: "), str(run_dir),
                 ("class:label", f" ({gate.message()}; the next prompt uses it, :undo goes back)"))

    def _gate(self, run_dir, tasks):
        from bfcore.agent import Agent
        from bfcore.agent.gate import GateSkipped, check

        try:
            return check(Agent.load(self.start_from), Agent.load(run_dir), points=self.gate_points,
                         taught=tasks)
        except Exception as exc:  # the run is kept; the person decides
            return GateSkipped(f"{exc.__class__.__name__}: {exc}",
                               how=f":model {Path(run_dir) / 'checkpoint'}")

    def _report(self, metrics: dict) -> None:
        step = metrics.get("step", "?")
        self.step = step
        ret = metrics.get("episodic_return")
        success = metrics.get("success_rate")
        text = f"train step {step}/{self.total}"
        if isinstance(ret, (int, float)):
            text += f"  return {ret:.3f}"
        if isinstance(success, (int, float)):
            text += f"  success {success:.0%}"
        old = metrics.get("rehearsal_success")
        if isinstance(old, (int, float)):
            text += f"  old skills {old:.0%}"
        if metrics.get("stopped"):
            text += f"  ({metrics['stopped']})"
        self.repl.out.line(("class:label", text))


def fine_tune_config(task_file: Path, steps: int | None, model: str | None):
    """A TrainConfig that fine-tunes ``model`` (None: the shipped agent) on ``task_file``.

    The network shape and encoder must match the checkpoint's, so they are read from its state.json.
    """
    import json

    from bfcore.agent import default_agent_dir
    from bfcore.train import TrainConfig

    source = Path(model) if model else default_agent_dir()
    checkpoint = source / "checkpoint" if (source / "checkpoint" / "state.json").is_file() else source
    state = json.loads((checkpoint / "state.json").read_text())
    shape, encoder = state.get("model", {}), state.get("encoder") or {}
    from bfcore.train.config import FINETUNE
    from bfcore.train.run import new_run_dir

    keep = {k: v for k, v in FINETUNE.items() if k != "steps"}  # the session says how many
    return TrainConfig(
        **keep,  # keep the old skills (rehearsal, KL to the start)
        run_dir=str(new_run_dir(session_dir() / "runs", "repl")),
        tasks=str(task_file),
        steps=steps or DEFAULT_TRAIN_STEPS,
        init_from=str(checkpoint),
        curriculum=False,  # the session's few targets are all wanted now, whatever their length
        batch_size=64,
        report_every=1,
        save_every=10,
        hidden=shape.get("hidden", TrainConfig.hidden),
        conv_layers=shape.get("conv_layers", TrainConfig.conv_layers),
        max_steps=shape.get("max_steps", TrainConfig.max_steps),
        encoder_layers=int(encoder.get("layers", 0)) if shape.get("enc_dim") else 0,
        encoder_model=encoder.get("model") or "",
    )


# -- front ends ------------------------------------------------------------------------------------


def session_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("bftui"))


def agents_path() -> Path:
    """The accepted agents, shared with the app (bfcore.agent.gate.AgentHistory)."""
    return session_dir() / "agents.json"


def history_path() -> Path:
    return session_dir() / "history"


def last_program_path() -> Path:
    return session_dir() / "last.b"


class ReplLexer(Lexer):
    """Brainfuck colours for lines that are code, a coloured command word for ``:`` lines."""

    def __init__(self) -> None:
        self.bf = PygmentsLexer(BrainfuckLexer)

    def lex_document(self, document: Document):
        text = document.text
        if looks_like_code(text):
            return self.bf.lex_document(document)
        if text.startswith(":"):
            name, sep, rest = text.partition(" ")
            return lambda lineno: [("class:command", name), ("", sep + rest)] if lineno == 0 else []
        return lambda lineno: [("", document.lines[lineno])]


class CommandCompleter(NestedCompleter):
    """NestedCompleter whose first word may start with ':' (its stock word completer stops at
    punctuation, so ':ex' would never complete to ':expect')."""

    def get_completions(self, document: Document, complete_event: CompleteEvent):
        if " " in document.text_before_cursor.lstrip():
            yield from super().get_completions(document, complete_event)
            return
        words = WordCompleter(list(self.options), ignore_case=self.ignore_case, sentence=True)
        yield from words.get_completions(document, complete_event)


def make_completer() -> NestedCompleter:
    commands: dict = {name: None for name in HELP}
    commands[":help"] = {name.lstrip(":"): None for name in HELP}
    commands[":model"] = {"default": None}
    commands[":train"] = {"stop": None}
    nested = NestedCompleter.from_nested_dict(commands)
    return CommandCompleter(nested.options, ignore_case=nested.ignore_case)


def make_session(repl: Repl, history: History | None = None, **kwargs) -> PromptSession:
    return PromptSession(
        message=[("class:command", "bf> ")],
        history=history if history is not None else InMemoryHistory(),
        completer=make_completer(),
        complete_while_typing=True,
        lexer=ReplLexer(),
        bottom_toolbar=repl.toolbar,
        style=STYLE,
        **kwargs,
    )


def open_history(path: Path | None = None) -> FileHistory:
    path = path or history_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    return FileHistory(str(path))


def run_interactive(repl: Repl, session: PromptSession) -> int:
    """The prompt loop. Ctrl-C clears the line (or interrupts a running program); Ctrl-D leaves."""
    with patch_stdout(raw=True):
        while True:
            try:
                line = session.prompt()
            except KeyboardInterrupt:
                continue
            except EOFError:
                break
            try:
                if not repl.handle(line):
                    break
            except KeyboardInterrupt:
                repl.out.error("interrupted")
            except Exception as exc:  # a bug in one line's handling must not end the session
                repl._fail(f"{type(exc).__name__}: {' '.join(str(exc).split())}")
        repl.close()
    return 0


def run_piped(repl: Repl, stdin: TextIO) -> int:
    """One line at a time from a pipe, results on stdout; exit 1 if any line failed. A line that
    fails (even by a bug) is reported with its number, and the session goes on."""
    # Bytes, decoded line by line: a byte that is not UTF-8 must spoil its line, not the stream.
    lines = getattr(stdin, "buffer", stdin)
    for n, raw in enumerate(lines, 1):
        repl.line_no = n
        line = raw.decode("utf-8", "surrogateescape") if isinstance(raw, bytes) else raw
        try:
            if not repl.handle(line.rstrip("\r\n")):
                break
        except Exception as exc:
            repl._fail(f"line {n}: {type(exc).__name__}: {' '.join(str(exc).split())}")
    repl.line_no = None
    repl.close(finish_training=True)
    return 1 if repl.failures else 0


def main(model: str | None = None, history: Path | None = None) -> int:
    try:
        if not sys.stdin.isatty():
            return run_piped(Repl(Printer(sys.stdout, raw=True), model=model), sys.stdin)
        repl = Repl(Printer(), model=model, interactive=True)
        return run_interactive(repl, make_session(repl, open_history(history)))
    finally:
        release_mlx_streams()
