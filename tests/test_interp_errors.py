"""Errors are values with positions, and one line each; Config rejects bad settings."""

import pickle

import pytest

from bfcore.errors import BFError, BFSyntaxError, LimitError, TapeError
from bfcore.interp.fast import run
from bfcore.interp.program import Config, find_errors, parse


def test_unmatched_open_bracket_line_and_column():
    src = "+++\n++\n  [ [ ] .\n"
    with pytest.raises(BFSyntaxError) as info:
        parse(src)
    err = info.value
    assert (err.line, err.col, err.pos, err.kind) == (3, 3, 9, "syntax")
    assert str(err) == "3:3: unmatched '['"


def test_unmatched_close_bracket():
    with pytest.raises(BFSyntaxError, match=r"^1:5: unmatched '\]'$"):
        parse("+[-]]")


def test_find_errors_lists_every_unmatched_bracket_in_source_order():
    errs = find_errors("]\n[ [ ]\n]] [")
    assert [(e.line, e.col, e.message) for e in errs] == [
        (1, 1, "unmatched ']'"), (3, 2, "unmatched ']'"), (3, 4, "unmatched '['")]
    assert find_errors("+[-[+]]# comment [not code") != []
    assert find_errors("+[-[+]]") == []


def test_parse_raises_the_first_error_in_the_source():
    assert str(pytest.raises(BFSyntaxError, parse, "[ ] ] [").value) == "1:5: unmatched ']'"


def test_syntax_errors_are_results_in_the_fast_path():
    r = run("+\n[")
    assert r.status == "error" and r.error.kind == "syntax" and (r.error.line, r.error.col) == (2, 1)


def test_tape_error_has_step_and_position():
    r = run("+\n+>\n<<<")
    assert r.status == "error" and isinstance(r.error, TapeError)
    assert (r.error.step, r.error.line, r.error.col) == (5, 3, 2)
    assert str(r.error) == "step 5 (3:2): pointer moved left of cell 0"
    assert r.steps == 4


def test_tape_error_inside_a_folded_run_names_the_exact_instruction():
    r = run(">" * 9 + "\n>>>>", config=Config(tape_len=11))
    assert (r.error.step, r.error.line, r.error.col) == (11, 2, 2)


def test_limits_are_limit_errors():
    r = run("+[]", config=Config(max_steps=100))
    assert isinstance(r.error, LimitError) and r.status == "step_limit" and r.steps == 100
    r = run("+[.]", config=Config(max_output=3))
    assert r.status == "output_limit" and r.output == b"\x01\x01\x01" and r.error.kind == "output_limit"


def test_messages_are_one_line():
    err = BFError("two\nlines", line=1, col=2)
    assert "\n" not in str(err)
    for r in (run("[["), run("<"), run("+[]", config=Config(max_steps=9))):
        assert "\n" not in str(r.error)


def test_errors_compare_and_pickle():
    a = run("<").error
    assert a == run("<").error and a != run("><<").error
    assert pickle.loads(pickle.dumps(a)) == a


@pytest.mark.parametrize("kw", [dict(tape_len=0), dict(eof="nope"), dict(bounds="clamp"),
                                dict(max_steps=-1), dict(max_output=1.5)])
def test_config_rejects_bad_values(kw):
    with pytest.raises(ValueError):
        Config(**kw)
