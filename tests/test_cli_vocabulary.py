"""One flag names an agent everywhere (--agent), the old spellings still work, --help says so."""

import pytest

from bftui.cli import build_parser


@pytest.mark.parametrize("argv, old", [
    (["app"], "--checkpoint"), (["gen", "say hi"], "--checkpoint"),
    (["eval"], "--checkpoint"), (["repl"], "--model"),
])
def test_agent_flag_and_its_old_spelling(argv, old):
    parser = build_parser()
    assert parser.parse_args([*argv, "--agent", "runs/a"]).agent == "runs/a"
    assert parser.parse_args([*argv, old, "runs/b"]).agent == "runs/b"


def test_top_level_help_lists_what_messages_tell_people_to_type():
    text = build_parser().format_help()
    for phrase in ("bftui --agent DIR", "bftui train --resume --run DIR",
                   "bftui train --from default --tasks FILE", "--example IN OUT"):
        assert phrase in text
