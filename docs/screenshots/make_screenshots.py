"""Regenerate the SVG screenshots in this folder: ``.venv/bin/python docs/screenshots/make_screenshots.py``
(pass ``--agent assets/agent`` to show a real generation on the main screen; the dashboard shows
the shipped agent's training log)."""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from pathlib import Path

from bftui.app import debug_app, main_app
from bftui.watch import WatchApp

HERE = Path(__file__).resolve().parent
HELLO = "++++++++[>++++[>++>+++>+++>+<<<<-]>+>+>->>+[<]<-]>>.>---.+++++++..+++.>>.<-.<.+++.------.--------.>>+.>++."


async def wait(pilot, condition) -> None:
    while not condition():
        await pilot.pause()


async def debugger(size: tuple[int, int], name: str) -> None:
    app = debug_app(HELLO, title="hello.b", expected=b"Hello World!\n", data_dir=Path(tempfile.mkdtemp()))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        panel = app._panel()
        panel.toggle_breakpoint(HELLO.index(".", 60))
        await pilot.press("f5")
        await wait(pilot, lambda: panel.state != "running")
        await pilot.press("f8", "f8")
        app.save_screenshot(str(HERE / name))


async def main_screen(size: tuple[int, int], name: str, agent: str | None) -> None:
    app = main_app(agent_path=agent or "no-such-agent", data_dir=Path(tempfile.mkdtemp()))
    async with app.run_test(size=size) as pilot:
        screen = app.screen
        await wait(pilot, lambda: screen.agent_state != "loading agent…")
        app.clear_notifications()
        await pilot.press(*"say hi", "tab", *"hi", "shift+tab")
        if agent:
            await pilot.press("enter")
            await wait(pilot, lambda: screen.last_generation is not None)
        else:
            screen.panel.load("+" * 104 + ".+.", expected=b"hi")
            await pilot.press("f5")
        await wait(pilot, lambda: screen.panel.state not in ("running", "ready"))
        app.save_screenshot(str(HERE / name))


async def dashboard(size: tuple[int, int], name: str) -> None:
    """The training dashboard on the shipped agent's own training log."""
    os.chdir(HERE.parents[1])  # the title shows the path as a user at the repository root types it
    run_dir = Path("assets/agent")
    lines = (run_dir / "metrics.jsonl").read_text().count("\n")
    app = WatchApp(run_dir)
    async with app.run_test(size=size) as pilot:
        await wait(pilot, lambda: app.records >= lines)
        await pilot.pause()
        app.save_screenshot(str(HERE / name))


async def run(agent: str | None) -> None:
    await debugger((80, 24), "debugger-80x24.svg")
    await debugger((160, 48), "debugger-160x48.svg")
    await main_screen((80, 24), "main-80x24.svg", agent)
    await main_screen((160, 48), "main-160x48.svg", agent)
    await dashboard((100, 32), "dashboard-100x32.svg")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agent", default=None)
    asyncio.run(run(parser.parse_args().agent))
