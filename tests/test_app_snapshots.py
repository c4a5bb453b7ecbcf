"""Snapshot tests (pytest-textual-snapshot) of the debugger and the main screen at 80x24.
Regenerate after an intended change with ``pytest tests/test_app_snapshots.py --snapshot-update``."""

from __future__ import annotations


from bftui.app import debug_app, main_app

HELLO = "++++++++[>++++[>++>+++>+++>+<<<<-]>+>+>->>+[<]<-]>>.>---.+++++++..+++.>>.<-.<.+++.------.--------.>>+.>++."


def _steady(app) -> None:
    from textual.widgets import Input

    for widget in app.screen.query(Input):
        widget.cursor_blink = False


def test_debugger_at_80x24(snap_compare, tmp_path):
    app = debug_app(HELLO, title="hello.b", data_dir=tmp_path, expected=b"Hello World!\n")

    async def run_before(pilot) -> None:
        await pilot.pause()
        panel = app._panel()
        panel.toggle_breakpoint(HELLO.index("."))
        await pilot.press("f5")
        while panel.state == "running":
            await pilot.pause()
        await pilot.press("f8", "f8", "f8")

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_main_screen_at_80x24(snap_compare, tmp_path):
    app = main_app(agent_path="no-such-agent", data_dir=tmp_path)

    async def run_before(pilot) -> None:
        screen = app.screen
        while screen.agent_state != "no agent yet":
            await pilot.pause()
        app.clear_notifications()
        _steady(app)
        await pilot.press(*"say hi", "tab", *"hi")
        screen.panel.load("+" * 104 + ".+.", expected=b"hi")
        await pilot.press("f5")
        while screen.panel.state == "running":
            await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_too_small_message(snap_compare, tmp_path):
    assert snap_compare(debug_app("+", data_dir=tmp_path), terminal_size=(50, 15))
