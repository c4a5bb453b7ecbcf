"""The user's own task set (prompts with an expected output or with examples, one JSONL line
each) and Ctrl+L, the screen that lists, edits and deletes them. Every write is atomic;
duplicates are refused."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label


class TaskSetError(ValueError):
    """A refused change (a duplicate) or an unreadable task file; the message is one line."""


def read_tasks(path: Path) -> list:
    from bfcore.tasks import TaskFormatError, load_tasks

    if not path.exists():
        return []
    try:
        return load_tasks(path)
    except TaskFormatError as exc:
        raise TaskSetError(str(exc)) from None


def has_examples(task) -> bool:
    """A task given by examples (input -> output), which the synthesis agent learns, rather than
    one expected output for the print agent."""
    return len(task.tests) > 1 or task.reads_input


def answer_text(task) -> str:
    """What the expect box shows for a task: its output, or its examples ``in -> out; ...``."""
    if has_examples(task):
        return "; ".join(f"{show(i)} -> {show(o)}" for i, o in task.tests)
    return show(task.target)


def _check_new(tasks: list, new, skip: int | None = None) -> None:
    for i, t in enumerate(tasks):
        if i != skip and t.problem.strip().lower() == new.problem.strip().lower():
            same = "the same answer" if t.tests == new.tests else f"'{answer_text(t)}'"
            raise TaskSetError(f"task {i + 1} already asks {t.problem!r} (expecting {same}); "
                               "edit or delete it in the task list (ctrl+l)")


def _task(prompt: str, expected: bytes | None, examples=None, family: str = "custom"):
    from bfcore.tasks import Task, make_task

    if examples:
        return Task(prompt, tuple((bytes(i), bytes(o)) for i, o in examples), family)
    return make_task(prompt, expected.decode("latin-1"), family=family)


def append_task(path: Path, prompt: str, expected: bytes | None, examples=None) -> int:
    """Add one task (atomically): an expected output, or ``examples`` [(input, output)]; returns
    the task count. A prompt already there is refused."""
    from bfcore.tasks import save_tasks

    tasks = read_tasks(path)
    task = _task(prompt, expected, examples)
    _check_new(tasks, task)
    save_tasks(tasks + [task], path)
    return len(tasks) + 1


def replace_task(path: Path, index: int, prompt: str, expected: bytes | None, examples=None) -> None:
    from bfcore.tasks import save_tasks

    tasks = read_tasks(path)
    task = _task(prompt, expected, examples, family=tasks[index].family)
    _check_new(tasks, task, skip=index)
    tasks[index] = task
    save_tasks(tasks, path)


def delete_task(path: Path, index: int) -> None:
    from bfcore.tasks import save_tasks

    tasks = read_tasks(path)
    del tasks[index]
    save_tasks(tasks, path)


def count_tasks(path: Path) -> int:
    if not path.exists():
        return 0
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return sum(1 for s in lines if s.strip() and not s.lstrip().startswith("#"))


def show(data: bytes) -> str:
    r"""Bytes as the expect box takes them back (``\n``, ``\xNN`` escapes)."""
    return data.decode("latin-1").encode("unicode_escape").decode("ascii")


class TaskSetScreen(ModalScreen[None]):
    """The task set as a table: the row under the cursor fills the two boxes below."""

    DEFAULT_CSS = """
    TaskSetScreen { align: center middle; }
    TaskSetScreen > Vertical {
        width: 90%; height: 90%; border: round $primary; background: $surface; padding: 0 1;
    }
    TaskSetScreen DataTable { height: 1fr; }
    TaskSetScreen #where, TaskSetScreen #message { height: auto; color: $text-muted; }
    TaskSetScreen #edit { height: 3; }
    TaskSetScreen #edit Input { width: 1fr; }
    """
    BINDINGS = [
        Binding("escape", "close", "Close", id="tasks.close"),
        Binding("delete,ctrl+d", "delete", "Delete", id="tasks.delete",
                tooltip="Delete the task under the cursor"),
        Binding("ctrl+s", "save", "Save edit", id="tasks.save", priority=True,
                tooltip="Replace the task under the cursor with the two boxes"),
    ]

    def __init__(self, path: Path, runs: Path, success: dict[str, float] | None = None) -> None:
        super().__init__()
        self.path, self.runs = path, runs
        self.success = success or {}  # prompt -> success in the last training report

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "your task set (esc closes)"
            yield Label(f"tasks: {self.path}\nruns:  {self.runs}", id="where")
            yield DataTable(id="table", cursor_type="row", zebra_stripes=True)
            with Horizontal(id="edit"):
                yield Input(id="edit-prompt", placeholder="prompt", compact=True)
                yield Input(id="edit-expect", placeholder="expected output, or in -> out; in -> out",
                            compact=True)
                yield Button("Save", id="save", compact=True)
            yield Label("delete: del · save an edit: ctrl+s", id="message")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("#", "prompt", "expected", "training success")
        self.reload()
        table.focus()

    def reload(self, cursor: int = 0) -> None:
        table = self.query_one(DataTable)
        table.clear()
        try:
            self.tasks = read_tasks(self.path)
        except TaskSetError as exc:
            self.tasks = []
            self.say(f"cannot read the task set: {exc}")
        for i, t in enumerate(self.tasks):
            ok = self.success.get(t.problem)
            table.add_row(str(i + 1), t.problem, answer_text(t), "-" if ok is None else f"{ok:.0%}")
        if self.tasks:
            table.move_cursor(row=min(cursor, len(self.tasks) - 1))
            self._fill(table.cursor_row)
        else:
            self.query_one("#edit-prompt", Input).value = ""
            self.query_one("#edit-expect", Input).value = ""

    def say(self, text: str) -> None:
        self.query_one("#message", Label).update(text)

    def _fill(self, row: int) -> None:
        if 0 <= row < len(self.tasks):
            self.query_one("#edit-prompt", Input).value = self.tasks[row].problem
            self.query_one("#edit-expect", Input).value = answer_text(self.tasks[row])

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._fill(event.cursor_row)

    def action_delete(self) -> None:
        row = self.query_one(DataTable).cursor_row
        if not self.tasks:
            self.say("nothing to delete")
            return
        gone = self.tasks[row].problem
        delete_task(self.path, row)
        self.reload(row)
        self.say(f"deleted task {row + 1}: {gone!r}")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()

    def action_save(self) -> None:
        from bftui.screens.main import parse_examples, parse_expected

        row = self.query_one(DataTable).cursor_row
        prompt = self.query_one("#edit-prompt", Input).value.strip()
        box = self.query_one("#edit-expect", Input).value
        examples = parse_examples(box)
        expected = None if examples else parse_expected(box)
        if not self.tasks or not prompt or (expected is None and not examples):
            self.say("select a task, and fill in both its prompt and its expected output")
            return
        try:
            replace_task(self.path, row, prompt, expected, examples=examples)
        except TaskSetError as exc:
            self.say(str(exc))
            return
        self.reload(row)
        self.say(f"saved task {row + 1}")

    def action_close(self) -> None:
        self.dismiss(None)
