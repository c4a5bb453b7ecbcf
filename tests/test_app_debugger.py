"""Pilot tests of the step debugger (``bftui debug``): keys drive a real Machine; every expected
value is worked out from the program text, not read back from the machine."""

from __future__ import annotations

import asyncio
import functools

from bfcore.interp.program import Config
from bftui.app import debug_app
from bftui.widgets.output import escape_bytes, first_difference, render_output
from bftui.widgets.tape import TapeView, cell_text

HELLO = "++++++++[>++++[>++>+++>+++>+<<<<-]>+>+>->>+[<]<-]>>.>---.+++++++..+++.>>.<-.<.+++.------.--------.>>+.>++."


def sync(test):
    """Run an async test body with asyncio (the suite needs no async pytest plugin)."""
    @functools.wraps(test)
    def run(*args, **kwargs):
        return asyncio.run(test(*args, **kwargs))
    return run


async def settle(pilot, panel) -> None:
    """Let a chunked run go on until it stops (it runs on a timer; no fixed sleeps)."""
    while panel.state == "running":
        await pilot.pause()


def panel_of(app):
    return app._panel()


async def run_to_cursor(pilot, panel, index: int) -> None:
    """Put the editor cursor on instruction ``index``, press F4 and let the run stop."""
    panel.editor.move_cursor(panel.editor.location_of(index))
    await pilot.press("f4")
    await settle(pilot, panel)


@sync
async def test_step_back_and_breakpoint(tmp_path):
    app = debug_app(HELLO, data_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        panel = panel_of(app)
        await pilot.press(*["f8"] * 8)
        m = panel.machine
        assert (m.steps, m.ptr, m.tape[0], m.pc) == (8, 0, 8, 8)  # eight '+', next is '['
        await pilot.press("f7", "f7")
        assert (m.steps, m.tape[0], m.pc) == (6, 6, 6)
        first_dot = HELLO.index(".")
        panel.editor.move_cursor(panel.editor.location_of(first_dot))
        await pilot.press("f9", "f5")
        await settle(pilot, panel)
        assert (panel.state, panel.reason, m.pc, m.output) == ("paused", "breakpoint", first_dot, b"")
        await pilot.press("f8")
        assert m.output == b"H"
        await pilot.press("f7")
        assert m.output == b""  # stepping back takes the byte back
        await pilot.press("f5")
        await settle(pilot, panel)
        assert (panel.state, panel.reason, m.output) == ("halted", "end", b"Hello World!\n")
        status = str(app.screen.query_one("#status").render())
        assert "halted" in status and "stopped: end" in status


@sync
async def test_step_over_a_loop_and_run_to_cursor(tmp_path):
    source = "+++[>++<-]>.+."
    app = debug_app(source, data_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        panel = panel_of(app)
        await pilot.press("f8", "f8", "f8")
        assert panel.machine.pc == 3  # on '['
        await pilot.press("f10")
        await settle(pilot, panel)
        m = panel.machine
        assert (m.pc, m.tape[0], m.tape[1], panel.reason) == (10, 0, 6, "step over")
        await run_to_cursor(pilot, panel, 13)
        assert (m.pc, m.output, panel.reason) == (13, b"\x06", "cursor")
        # behind the current instruction, outside any loop around it: not run to the end
        await run_to_cursor(pilot, panel, 0)
        assert (m.pc, m.output) == (13, b"\x06")
        assert any("behind the current instruction" in n.message for n in app._notifications)


@sync
async def test_run_to_a_cursor_behind_inside_a_loop_comes_back_to_it(tmp_path):
    source = "++[>+<-]>."
    app = debug_app(source, data_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        panel = panel_of(app)
        await pilot.press("f8", "f8", "f8", "f8", "f8")  # ++[>+ : pc 5, inside the loop
        m = panel.machine
        assert m.pc == 5
        await run_to_cursor(pilot, panel, 3)  # the '>' behind it, in the same loop
        assert (m.pc, m.tape[1], panel.reason) == (3, 1, "cursor")


@sync
async def test_edit_then_rerun_and_bad_brackets(tmp_path):
    app = debug_app("+.", data_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        panel = panel_of(app)
        editor = panel.editor
        editor.focus()
        editor.select_all()
        await pilot.press(*"+++[>+<-]>[")  # unmatched '[' while typing: no crash, shown inline
        panel.rebuild_now()
        await pilot.pause()
        assert panel.machine is None and panel.state == "error"
        assert [e.pos for e in panel.errors] == [10]
        assert "unmatched" in str(app.screen.query_one("#status").render())
        await pilot.press("backspace", *"++.")
        await pilot.press("f5")
        await settle(pilot, panel)
        assert (panel.state, panel.machine.output) == ("halted", b"\x05")


@sync
async def test_a_program_that_never_halts_stops_at_the_budget(tmp_path):
    app = debug_app("+[]", data_dir=tmp_path, config=Config(max_steps=300_000))
    async with app.run_test(size=(80, 24)) as pilot:
        panel = panel_of(app)
        await pilot.press("f5")
        await settle(pilot, panel)
        assert (panel.state, panel.reason, panel.machine.steps) == ("error", "step_limit", 300_000)
        assert "step_limit" in str(app.screen.query_one("#status").render())


@sync
async def test_keys_get_through_during_a_long_run(tmp_path):
    app = debug_app("+[]", data_dir=tmp_path, config=Config(max_steps=10**12))
    async with app.run_test(size=(80, 24)) as pilot:
        panel = panel_of(app)
        await pilot.press("f5")
        assert panel.state == "running"  # the run goes on in chunks between key presses
        await pilot.press("f6")
        assert panel.state == "paused" and panel.reason is None and panel.machine.steps > 0


@sync
async def test_animation_and_speed(tmp_path):
    app = debug_app("+" * 50, data_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        panel = panel_of(app)
        speed = panel.speed
        await pilot.press("f12")
        assert panel.speed > speed
        await pilot.press("f11", "f11")
        assert panel.speed < speed
        await pilot.press("f3")
        assert panel.state == "animating"
        await pilot.press("f6")
        assert panel.state == "paused"


@sync
async def test_huge_output_is_truncated_and_saved_in_full(tmp_path):
    app = debug_app("+[.]", data_dir=tmp_path, config=Config(max_output=20_000))
    async with app.run_test(size=(80, 24)) as pilot:
        panel = panel_of(app)
        await pilot.press("f5")
        await settle(pilot, panel)
        assert panel.reason == "output_limit" and len(panel.machine.output) == 20_000
        shown = str(app.screen.query_one("#output-text").render())
        assert "more bytes" in shown and len(shown) < 20_000
        await pilot.press("ctrl+r")
    saved = list((tmp_path / "outputs").glob("output-*.bin"))
    assert len(saved) == 1 and saved[0].read_bytes() == b"\x01" * 20_000


@sync
async def test_tape_scrolls_to_a_far_pointer(tmp_path):
    app = debug_app(">" * 5000 + "+", data_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        panel = panel_of(app)
        await pilot.press("f5")
        await settle(pilot, panel)
        tape = app.screen.query_one(TapeView)
        rows = [tape.render_line(y).text for y in range(tape.scrollable_content_region.height)]
        assert cell_text(5000, 1, True) in [r.rstrip() for r in rows]


@sync
async def test_too_small_terminal_shows_a_message(tmp_path):
    app = debug_app("+", data_dir=tmp_path)
    async with app.run_test(size=(50, 15)) as pilot:
        await pilot.pause()
        message = app.screen.query_one("#too-small")
        assert message.display and "50x15" in str(message.render())
        assert not app.screen.query_one(".body").display or app.has_class("-too-small")
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert not app.has_class("-too-small")


@sync
async def test_keymap_remaps_a_debugger_key(tmp_path):
    app = debug_app("+++", data_dir=tmp_path, keymap={"debug.step": "ctrl+b"})
    async with app.run_test(size=(80, 24)) as pilot:
        panel = panel_of(app)
        await pilot.press("f8")
        assert panel.machine.steps == 0
        await pilot.press("ctrl+b")
        assert panel.machine.steps == 1
        await pilot.press("f1")
        assert app.screen.__class__.__name__ == "HelpScreen"
        rows = dict((text, keys) for keys, text in app.screen.rows)
        assert rows["Step one instruction"] == "^b"
        assert rows["Animate faster"] == "f12, ^↑"


@sync
async def test_command_palette_steps(tmp_path):
    app = debug_app("+++", data_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+p", *"step one instruction")
        while not _palette_hits(app):  # the palette searches in a background task
            await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert panel_of(app).machine.steps == 1


def _palette_hits(app) -> int:
    from textual.command import CommandList

    lists = app.screen.query(CommandList)
    return lists.first().option_count if lists else 0


def test_output_rendering_escapes_and_diffs():
    assert escape_bytes(b"a\x00\x7f\\") == "a\\0\\x7f\\\\"
    assert first_difference(b"hello", b"help") == 3
    assert first_difference(b"hi", b"hi") is None
    assert first_difference(b"hi", b"hi!") == 2
    text = render_output(b"hex", b"hey").plain
    assert "differs at byte 2" in text and "'x'" in text and "'y'" in text
    assert "✓ output matches" in render_output(b"ok", b"ok").plain


@sync
async def test_confidence_shades_unsure_tokens_only(tmp_path):
    app = debug_app("+++.", data_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        editor = panel_of(app).editor
        await pilot.press("f8")  # move the current-instruction mark off the shaded tokens
        editor.move_cursor((0, 3))
        editor.show_confidence([(0, 2), (2, 3), (3, 4)], [0.1, 0.95, 0.6])
        line = editor.get_line(0)
        shaded = {i for span in line.spans if span.style.bgcolor is not None
                  for i in range(span.start, span.end)}
        assert 0 in shaded and 3 in shaded and 2 not in shaded
        editor.insert("+")  # an edit makes the shading stale: it goes
        await pilot.pause()
        assert editor._confidence == []


def test_debug_command_loads_no_model(tmp_path):
    import subprocess
    import sys

    code = ("import sys\nfrom bftui.cli import build_parser\nfrom bftui.app import debug_app\n"
            "from bfcore.interp.program import Config\n"
            "app = debug_app('+.', config=Config())\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('mlx', 'numba', 'mlx_lm')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_debug_command_rejects_a_missing_file(tmp_path, capsys):
    from bftui.cli import main

    assert main(["debug", str(tmp_path / "nope.b")]) == 2
    assert "nope.b: cannot read" in capsys.readouterr().err


def test_user_keymap_files(tmp_path):
    import pytest

    from bftui.app import load_keymap

    good = tmp_path / "keymap.toml"
    good.write_text('"debug.step" = "n"\n"debug.back" = "b,ctrl+b"\n')
    assert load_keymap(good) == {"debug.step": "n", "debug.back": "b,ctrl+b"}
    bad = tmp_path / "keymap.json"
    bad.write_text('{"debug.step": 3}')
    with pytest.raises(ValueError, match="keymap.json"):
        load_keymap(bad)


@sync
async def test_a_runtime_error_is_named_in_the_status_line(tmp_path):
    app = debug_app("+\n+<<", data_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        panel = panel_of(app)
        await pilot.press("f5")
        await settle(pilot, panel)
        # two '+' ran; the first '<' (line 2, column 2) would leave the tape
        assert (panel.state, panel.reason, panel.machine.steps) == ("error", "error", 2)
        status = str(app.screen.query_one("#status").render())
        assert "step 3 (2:2): pointer moved left of cell 0" in status
        # the editor's border shows the cursor's line:column the same way
        panel.editor.move_cursor(panel.editor.location_of(panel.machine.pc))  # the '<' at fault
        await pilot.pause()
        assert str(panel.editor.border_subtitle).endswith("2:2")
        panel.editor.move_cursor((0, 0))
        await pilot.pause()
        assert str(panel.editor.border_subtitle).endswith("1:1")
        await pilot.press("f7")  # back out of the error and carry on stepping
        assert (panel.state, panel.machine.steps, panel.machine.error) == ("paused", 1, None)


@sync
async def test_the_input_field_feeds_the_program_and_says_end_of_input(tmp_path):
    app = debug_app(",[.,]", data_dir=tmp_path)
    async with app.run_test(size=(80, 30)) as pilot:
        panel = panel_of(app)
        field = app.screen.query_one("#stdin")
        field.focus()
        await pilot.press(*"hi\\x21")
        await pilot.pause()
        assert panel.input == b"hi!"
        await pilot.press("f5")
        await settle(pilot, panel)
        output = app.screen.query_one("#output")
        assert bytes(panel.machine.output) == b"hi!" and panel.machine.in_pos == 3
        assert "input 3/3 bytes read · end of input" in str(output.border_title)
        await pilot.press("f7", "f7")  # back over the "]", then the "," that found nothing
        assert "end of input" not in str(output.border_title)
        await pilot.press("backslash", "q")  # a bad escape: named, and the input is kept
        await pilot.pause()
        assert panel.input == b"hi!" and "unknown escape" in str(field.border_subtitle)


def test_input_escapes_round_trip_every_byte():
    from bftui.widgets.debugger import input_text, parse_input

    data = bytes(range(256))
    assert parse_input(input_text(data)) == data
    assert parse_input("a\\n\\x00é") == b"a\n\x00" + "é".encode()


def program_file(tmp_path):
    """``+.`` in a file, and the debugger on it."""
    path = tmp_path / "p.b"
    path.write_text("+.")
    return path, debug_app("+.", data_dir=tmp_path, path=path)


@sync
async def test_ctrl_s_saves_the_program_and_quit_asks_first_when_edits_are_unsaved(tmp_path):
    path, app = program_file(tmp_path)
    async with app.run_test(size=(80, 30)) as pilot:
        panel = panel_of(app)
        panel.editor.focus()
        panel.editor.move_cursor((0, 0))
        await pilot.press("plus")
        assert panel.unsaved
        await pilot.press("ctrl+q")  # asks, and stays
        await pilot.pause()
        assert app.is_running and not app._exit
        await pilot.press("ctrl+s")
        assert path.read_text() == "++." and not panel.unsaved
        assert not list((tmp_path / "outputs").glob("*"))  # the output is Ctrl+R's
        await pilot.press("ctrl+q")  # nothing unsaved: quits at once
        await pilot.pause()
    assert app.return_code == 0 and app._exit


@sync
async def test_quit_twice_leaves_without_saving(tmp_path):
    path, app = program_file(tmp_path)
    async with app.run_test(size=(80, 30)) as pilot:
        panel = panel_of(app)
        panel.editor.focus()
        await pilot.press("minus")
        await pilot.press("ctrl+q", "ctrl+q")
        await pilot.pause()
    assert app._exit and path.read_text() == "+."


async def command(pilot, text: str) -> None:
    await pilot.press("ctrl+f")
    await pilot.pause()
    await pilot.press(*[{" ": "space", "=": "equals_sign", "'": "apostrophe"}.get(c, c)
                        for c in text], "enter")
    await pilot.pause()


@sync
async def test_watchpoints_set_cell_step_n_and_reverse_continue(tmp_path):
    # cell 1 counts to 5 in a loop while cell 0 counts down from 5; each pass prints cell 1
    app = debug_app("+++++[>+.<-]", data_dir=tmp_path)
    async with app.run_test(size=(80, 30)) as pilot:
        panel = panel_of(app)
        await command(pilot, "watch 1 = 3")
        await pilot.press("f5")
        await settle(pilot, panel)
        m = panel.machine
        assert panel.reason == "watch cell 1" and m.tape[1] == 3 and m.output == b"\x01\x02"
        await command(pilot, "reverse")  # back before the last '.'
        assert m.output == b"\x01" and m.tape[1] == 2 and panel.reason == "output"
        await command(pilot, "unwatch")
        await command(pilot, "step 4")  # '.', '<', '-', ']'
        assert m.output == b"\x01\x02" and m.tape[0] == 3
        await command(pilot, "set 0 'A'")
        assert m.tape[0] == 65 and not m.can_back
        await command(pilot, "hex")
        assert "01 02" in str(app.screen.query_one("#output-text").render())
        await command(pilot, "set 99999 1")  # off the tape: said, nothing changes
        assert m.tape[0] == 65
        await command(pilot, "frobnicate")
        assert panel.reason != "frobnicate" and m.tape[0] == 65



@sync
async def test_set_and_watch_take_values_as_wide_as_the_cells(tmp_path):
    app = debug_app("+[>+<-]", data_dir=tmp_path, config=Config(cell_bits=16))
    async with app.run_test(size=(80, 30)) as pilot:
        panel = panel_of(app)
        await command(pilot, "set 0 1000")
        assert panel.machine.tape[0] == 1000
        await command(pilot, "watch 1 = 700")
        assert panel.watches == {1: 700}
        await command(pilot, "set 0 65536")  # past 16 bits: refused, nothing changes
        assert panel.machine.tape[0] == 1000
