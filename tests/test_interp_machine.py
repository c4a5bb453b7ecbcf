"""The stepping Machine: instructions, EOF and bounds modes, undo, breakpoints, step-over,
run-to-cursor and run-until-output."""

import random

import pytest
from hypothesis import given, settings, strategies as st

from bfcore.errors import BFSyntaxError, LimitError, TapeError
from bfcore.interp.machine import Machine
from bfcore.interp.program import Config
from bfcore.interp.randprog import random_program


def snapshot(m):
    return (bytes(m.tape), m.ptr, m.pc, m.steps, m.output, m.in_pos, m.status, m.error)


def test_each_instruction():
    m = Machine("+>++<-.,>.", input=b"A")
    assert m.status == "ready" and m.pc == 0
    m.step()
    assert m.tape[0] == 1 and m.pc == 1 and m.steps == 1 and m.status == "paused"
    m.step()
    assert m.ptr == 1
    m.step(); m.step()
    assert m.tape[1] == 2
    m.step()
    assert m.ptr == 0
    m.step()
    assert m.tape[0] == 0
    m.step()
    assert m.output == b"\x00"
    m.step()
    assert m.tape[0] == 65 and m.in_pos == 1
    m.run()
    assert m.output == b"\x00\x02" and m.status == "halted" and m.stop_reason == "end"
    assert m.steps == 10 and m.pc == len(m.source)


def test_cells_wrap_at_8_bits():
    m = Machine("-.+.")
    m.run()
    assert m.output == b"\xff\x00"


def test_loops_jump_both_ways():
    m = Machine("[+]++[->+<]>.")
    m.step()
    assert m.pc == 3  # "[" on zero jumps past its "]"
    m.run()
    assert m.output == b"\x02" and m.steps == 1 + 2 + 1 + 2 * 5 + 1 + 1


@pytest.mark.parametrize("eof, want", [("zero", 0), ("max", 255), ("keep", 7)])
def test_eof_modes(eof, want):
    m = Machine("+++++++,.", input=b"", config=Config(eof=eof))
    m.run()
    assert m.output == bytes([want])


def test_input_is_consumed_in_order():
    m = Machine(",.,.,.", input=b"ab")
    m.run()
    assert m.output == b"ab\x00"


def test_bounds_error_both_ends():
    m = Machine("+<", config=Config())
    m.run()
    assert m.status == "error" and m.stop_reason == "error"
    assert isinstance(m.error, TapeError) and m.error.step == 2 and m.error.pos == 1
    assert m.steps == 1 and m.pc == 1  # the state before the failed move
    m = Machine("\n >>>", config=Config(tape_len=3))
    m.run()
    assert str(m.error) == "step 3 (2:4): pointer moved right of the last cell (2)"


def test_bounds_wrap_both_ends():
    m = Machine("<+>>+", config=Config(tape_len=3, bounds="wrap"))
    m.run()
    assert m.status == "halted" and m.ptr == 1 and list(m.tape) == [0, 1, 1]


def test_step_limit_stops_infinite_loop_with_partial_output():
    m = Machine("+.[]", config=Config(max_steps=1000))
    m.run()
    assert m.status == "error" and m.stop_reason == "step_limit"
    assert isinstance(m.error, LimitError) and m.error.kind == "step_limit"
    assert m.steps == 1000 and m.output == b"\x01"


def test_output_limit_stops_output_flood():
    m = Machine("+[.]", config=Config(max_output=5))
    m.run()
    assert m.stop_reason == "output_limit" and m.output == b"\x01" * 5
    assert m.result().status == "output_limit"


def test_syntax_error_on_construction():
    with pytest.raises(BFSyntaxError, match="1:3: unmatched"):
        Machine("++[")


def test_run_pauses_after_max_steps_and_resumes():
    m = Machine("+" * 10)
    m.run(max_steps=4)
    assert m.steps == 4 and m.status == "paused" and m.stop_reason is None
    m.run()
    assert m.status == "halted" and m.tape[0] == 10


def test_back_restores_every_step_exactly():
    src = random_program(3, items=10)
    m = Machine(src, input=b"xy")
    states = [snapshot(m)]
    while not m.done:
        m.step()
        states.append(snapshot(m))
    if m.status == "error":
        states.pop()  # the failed instruction did not run; back() undoes the one before it
    while m.back():
        states.pop()
        assert snapshot(m)[:6] == states[-1][:6]
    assert m.steps == 0 and m.status == "ready" and len(states) == 1


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), forward=st.integers(0, 300), undo=st.integers(0, 300))
def test_back_then_forward_replays_the_same_states(seed, forward, undo):
    m = Machine(random_program(seed, items=6), input=b"q", config=Config(max_steps=5000))
    m.run(max_steps=forward)
    target = snapshot(m)
    done = 0
    while done < undo and m.back():
        done += 1
    m.run(max_steps=done)
    assert snapshot(m)[:6] == target[:6]


def test_history_is_bounded():
    m = Machine("+" * 50, history=10)
    m.run()
    assert sum(1 for _ in iter(m.back, False)) == 10
    assert m.steps == 40 and m.tape[0] == 40


def test_back_from_an_error_undoes_the_last_instruction_that_ran():
    m = Machine("+<")
    m.run()
    assert m.back() and m.status == "ready" and m.error is None and m.tape[0] == 0


def test_breakpoints_on_source_positions():
    src = "+++ +++ +++"
    m = Machine(src)
    m.breakpoints.add(4)
    m.run()
    assert m.stop_reason == "breakpoint" and m.pc == 4 and m.steps == 3 and m.status == "paused"
    m.run()  # continuing from a breakpoint does not stop on it again
    assert m.status == "halted" and m.tape[0] == 9


def test_breakpoint_on_a_comment_snaps_to_the_next_instruction():
    m = Machine("++ x ++")
    m.breakpoints.add(3)
    m.run()
    assert m.stop_reason == "breakpoint" and m.pc == 5


def test_hash_breakpoints_are_opt_in():
    src = "++#+++#+"
    m = Machine(src)
    m.run()
    assert m.status == "halted"
    m = Machine(src, hash_breakpoints=True)
    m.run()
    assert (m.pc, m.steps) == (3, 2)
    m.run()
    assert (m.pc, m.steps) == (7, 5)
    m.run()
    assert m.status == "halted" and m.tape[0] == 6


def test_breakpoint_inside_a_loop_stops_every_iteration():
    m = Machine("+++[->+<]")
    m.breakpoints.add(m.source.index(">"))
    hits = 0
    while True:
        m.run()
        if m.stop_reason != "breakpoint":
            break
        hits += 1
    assert hits == 3 and m.tape[1] == 3


def test_step_over_runs_the_whole_loop():
    m = Machine("+++[->++<]>.")
    m.run(max_steps=3)
    assert m.source[m.pc] == "["
    m.step_over()
    assert m.pc == m.source.index("]") + 1 and m.tape[1] == 6 and m.stop_reason is None
    m.step_over()  # not on a '[': one step
    assert m.ptr == 1 and m.steps == 3 + 1 + 3 * 6 + 1


def test_step_over_stops_at_a_breakpoint_inside():
    m = Machine("++[->+<]")
    m.run(max_steps=2)
    m.breakpoints.add(m.source.index("+", 3))
    m.step_over()
    assert m.stop_reason == "breakpoint" and m.tape[0] == 1


def test_run_to_cursor():
    src = "+++\n>++\n>+"
    m = Machine(src)
    m.run_to(src.index(">", 5))
    assert m.stop_reason == "cursor" and m.pc == 8 and m.ptr == 1 and m.tape[1] == 2


def test_run_until_output():
    m = Machine("++.>+++.<.")
    m.run_until_output()
    assert m.output == b"\x02" and m.stop_reason == "output" and m.pc == 3
    m.run_until_output()
    assert m.output == b"\x02\x03"
    m.run_until_output()
    m.run_until_output()
    assert m.status == "halted" and m.output == b"\x02\x03\x02"


def test_reset_keeps_breakpoints():
    m = Machine("+.+.", input=b"")
    m.breakpoints.add(2)
    m.run()
    m.reset()
    assert snapshot(m) == (bytes(30000), 0, 0, 0, b"", 0, "ready", None)
    assert m.breakpoints == {2}


def test_window_around_the_pointer():
    m = Machine(">>+>++<")
    m.run()
    assert m.window(2) == (0, bytes([0, 0, 1, 2, 0]))
    assert m.window(1) == (1, bytes([0, 1, 2]))


def test_result_before_the_end_is_refused():
    m = Machine("+++")
    with pytest.raises(RuntimeError):
        m.result()


def test_a_long_random_walk_of_steps_and_backs():
    rng = random.Random(5)
    m = Machine(random_program(11, items=10), input=b"abc")
    ref = Machine(m.source, input=b"abc")
    for _ in range(2000):
        if rng.random() < 0.6:
            m.step()
        else:
            m.back()
        ref.reset()
        ref.run(max_steps=m.steps)
        assert snapshot(ref)[:6] == snapshot(m)[:6]


def test_watchpoint_on_any_change_and_reverse_continue_to_a_breakpoint():
    from bfcore.interp.machine import Machine

    src = ">+++<+>+<+"
    m = Machine(src)
    m.watches[0] = None  # stop when cell 0 changes
    m.run()
    assert m.stop_reason == "watch cell 0" and m.steps == 6 and m.tape[0] == 1
    m.run()
    assert m.stop_reason == "watch cell 0" and m.tape[0] == 2 and m.steps == 10
    m.breakpoints.add(src.index("<"))
    assert m.reverse_continue() == "breakpoint" and m.pc == src.index("<") and m.tape[0] == 0
    assert m.reverse_continue() is None and m.steps == 0  # back to the start
    m.set_cell(3, 7)
    assert m.tape[3] == 7 and not m.can_back
    for bad in ((30000, 1), (0, 256)):
        try:
            m.set_cell(*bad)
        except ValueError as exc:
            assert "cell" in str(exc)
        else:
            raise AssertionError(bad)
