"""The bftui Textual app. It composes screens and routes the debugger keys; the work lives in
``widgets/`` (debugger, editor, tape, output) and ``screens/`` (main, debug, help, options)."""

from __future__ import annotations

import json
import time
import tomllib
from functools import partial
from pathlib import Path

from textual.app import App
from textual.binding import Binding
from textual.command import Hit, Hits, Provider

MIN_WIDTH, MIN_HEIGHT = 60, 20
WIDE_WIDTH = 120

# (binding id, keys, action, footer label, shown in footer, help text). Priority bindings, so the
# F-keys TextArea uses itself (F6 select line, F7 select all) step the debugger instead.
DEBUG_KEYS = [
    ("debug.run", "f5", "run", "Run", True, "Run (or continue) to a breakpoint, the end or the step budget"),
    ("debug.pause", "f6", "pause", "Pause", True, "Pause a run or an animation"),
    ("debug.back", "f7", "back", "Back", True, "Step back one instruction"),
    ("debug.step", "f8", "step", "Step", True, "Step one instruction"),
    ("debug.over", "f10", "step_over", "Over", True, "Step over a whole loop (on '[')"),
    ("debug.cursor", "f4", "run_to_cursor", "Cursor", True, "Run to the editor cursor"),
    ("debug.breakpoint", "f9", "toggle_breakpoint", "Break", True, "Toggle a breakpoint at the cursor"),
    ("debug.reset", "f2", "reset", "Reset", True, "Reset the machine (keeps breakpoints)"),
    ("debug.animate", "f3", "animate", "Anim", True, "Animated run, one step at a time"),
    ("debug.slower", "f11,ctrl+down", "slower", "Slower", False, "Animate slower"),
    ("debug.faster", "f12,ctrl+up", "faster", "Faster", False, "Animate faster"),
]


def _debug_bindings() -> list[Binding]:
    return [
        Binding(keys, f"debug('{action}')", label, show=show, id=bid, tooltip=help_text,
                priority=True)
        for bid, keys, action, label, show, help_text in DEBUG_KEYS
    ]


def user_keymap_path() -> Path | None:
    """``keymap.toml`` (or ``.json``) in the user config dir: ``{binding_id = "keys"}``."""
    import platformdirs

    base = Path(platformdirs.user_config_dir("bftui"))
    for name in ("keymap.toml", "keymap.json"):
        if (base / name).is_file():
            return base / name
    return None


def load_keymap(path: Path) -> dict[str, str]:
    """Read a keymap file; raises ValueError naming the file on a bad one."""
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: cannot read keymap ({exc})") from None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ValueError(f"{path}: a keymap maps binding ids to key strings, e.g. debug.step = \"n\"")
    return data


class BFCommands(Provider):
    """Command palette entries for the main actions."""

    def _commands(self) -> list[tuple[str, str, callable]]:
        app = self.app
        cmds = [(f"Debugger: {text}", text, partial(app.action_debug, action))
                for _, _, action, _, _, text in DEBUG_KEYS]
        cmds.append(("Debugger: command (watch, set a cell, step N, reverse, hex)",
                     "Type a debugger command (Ctrl+F)", app.action_debug_command))
        cmds.append(("Save the program", "Write the edited program to its file (Ctrl+S)",
                     app.action_save_program))
        cmds.append(("Save the full output to a file", "Write every output byte to a file (Ctrl+R)",
                     app.action_save_output))
        cmds.append(("Help: keys and actions", "Show every binding", app.action_help))
        screen = app.screen
        for name, text in (("generate", "Generate a program for the prompt"),
                           ("options", "Generation options"),
                           ("add_task", "Add the prompt and expected output to your task set"),
                           ("tasks", "Tasks: list, edit and delete your task set"),
                           ("toggle_training", "Start or stop fine-tuning"),
                           ("agent_back", "Agent: back to the previous one"),
                           ("agent_default", "Agent: back to the shipped default"),
                           ("agent_use_last", "Agent: use the last run anyway")):
            method = getattr(screen, f"action_{name}", None)
            if method is not None:
                cmds.append((text, text, method))
        return cmds

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield Hit(1.0, title, callback, help=help_text)


class BFApp(App):
    TITLE = "bftui"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {BFCommands}
    BINDINGS = [
        Binding("f1,question_mark", "help", "Help", show=False, id="app.help",
                tooltip="Show this help"),
        Binding("ctrl+s", "save_program", "Save", show=False, id="app.save_program",
                tooltip="Save the edited program (bftui debug: to its file)"),
        Binding("ctrl+r", "save_output", "Save output", show=False, id="app.save_output",
                priority=True, tooltip="Save the program's full output to a file"),
        Binding("ctrl+f", "debug_command", "Command", show=False, id="app.debug_command",
                priority=True, tooltip="A debugger command: watch CELL [= VALUE], unwatch, "
                "set CELL VALUE, step N, reverse, hex, text"),
        Binding("ctrl+q", "quit", "Quit", show=False, id="app.quit", priority=True,
                tooltip="Quit (asks again when the program has unsaved edits)"),
        *_debug_bindings(),
    ]

    def __init__(self, screen_factory, *, data_dir: Path | None = None,
                 keymap: dict[str, str] | None = None) -> None:
        super().__init__()
        self._screen_factory = screen_factory
        self.data_dir = data_dir or default_data_dir()
        self._keymap_override = keymap

    def get_default_screen(self):
        return self._screen_factory(self)

    def on_mount(self) -> None:
        self._apply_user_keymap()
        self._fit(self.size.width, self.size.height)

    def _apply_user_keymap(self) -> None:
        if self._keymap_override is not None:
            self.set_keymap(self._keymap_override)
            return
        path = user_keymap_path()
        if path is None:
            return
        try:
            self.set_keymap(load_keymap(path))
        except ValueError as exc:
            self.notify(str(exc), severity="error", timeout=10)

    def on_resize(self, event) -> None:
        self._fit(event.size.width, event.size.height)

    def _fit(self, width: int, height: int) -> None:
        small = width < MIN_WIDTH or height < MIN_HEIGHT
        self.set_class(small, "-too-small")
        self.set_class(width >= WIDE_WIDTH, "-wide")
        if small:
            for node in self.screen.query("#too-small"):
                node.update(f"The terminal is {width}x{height}: bftui needs at least "
                            f"{MIN_WIDTH}x{MIN_HEIGHT}.\nMake the window bigger (Ctrl+Q quits).")

    # -- actions ---------------------------------------------------------------------------------

    def _panel(self):
        from bftui.widgets.debugger import DebuggerPanel

        panels = self.screen.query(DebuggerPanel)
        return panels.first() if panels else None

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "debug" and self._panel() is None:
            return False  # e.g. on the help screen: the keys do nothing and leave the footer
        return True

    def action_debug(self, action: str) -> None:
        panel = self._panel()
        if panel is None:
            return
        if action == "faster":
            panel.change_speed(+1)
        elif action == "slower":
            panel.change_speed(-1)
        else:
            getattr(panel, action)()

    def action_help(self) -> None:
        from bftui.screens.help import HelpScreen

        if self.screen.__class__.__name__ != "HelpScreen":
            self.push_screen(HelpScreen(self.screen))

    def action_debug_command(self) -> None:
        panel = self._panel()
        if panel is None:
            return
        from bftui.screens.command import CommandScreen

        def done(text: str | None) -> None:
            if not text:
                return
            try:
                self.notify(panel.command(text))
            except ValueError as exc:
                self.notify(str(exc), severity="error", timeout=6)

        self.push_screen(CommandScreen(panel.COMMANDS), done)

    def action_save_program(self) -> None:
        panel = self._panel()
        if panel is None:
            return
        path = getattr(self.screen, "program_path", None)
        if path is None:  # a generated program: a new file among the app's programs
            path = self.data_dir / "programs" / time.strftime("program-%Y%m%d-%H%M%S.b")
        from bfcore.atomic import atomic_write_text

        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(path, panel.source)
        except OSError as exc:
            self.notify(f"cannot save {path}: {exc.strerror or exc}", severity="error")
            return
        panel.saved_text = panel.source
        self.notify(f"program saved to {path}")

    async def action_quit(self) -> None:
        panel = self._panel()
        unsaved = panel is not None and panel.unsaved
        now = time.monotonic()
        if unsaved and now - getattr(self, "_quit_asked", -10.0) > 5.0:
            self._quit_asked = now
            self.notify("The program has unsaved edits: Ctrl+S saves them, Ctrl+Q again quits "
                        "without saving.", severity="warning", timeout=5)
            return
        await super().action_quit()

    def action_save_output(self) -> None:
        panel = self._panel()
        if panel is None or panel.machine is None:
            self.notify("no output to save", severity="warning")
            return
        path = save_output(bytes(panel.machine.output), self.data_dir / "outputs")
        self.notify(f"{len(panel.machine.output)} bytes saved to {path}")


def default_data_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("bftui"))


def save_output(data: bytes, folder: Path) -> Path:
    """Write ``data`` to a new file in ``folder`` atomically and return its path."""
    from bfcore.atomic import atomic_write

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / time.strftime("output-%Y%m%d-%H%M%S.bin")
    atomic_write(path, data)
    return path


def debug_app(source: str, *, input: bytes = b"", title: str = "program", config=None,
              expected: bytes | None = None, path: Path | None = None, **kwargs) -> BFApp:
    from bftui.screens.debug import DebugScreen

    return BFApp(lambda app: DebugScreen(source, input=input, expected=expected, title=title,
                                         config=config, path=path), **kwargs)


def main_app(*, agent_path: str | None = None, train_overrides: dict | None = None,
             data_dir: Path | None = None, gate_points: float | None = None, **kwargs) -> BFApp:
    from bftui.screens.main import MainScreen

    return BFApp(lambda app: MainScreen(agent_path=agent_path, data_dir=app.data_dir,
                                        train_overrides=train_overrides, gate_points=gate_points),
                 data_dir=data_dir, **kwargs)
