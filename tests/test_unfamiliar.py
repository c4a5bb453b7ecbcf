"""Saying what the agent can do: unfamiliar requests are named, the help lists the families."""

from bfcore.agent import Generation
from bftui.cli import main
from bftui.hints import known_families


def _gen(program, probs):
    return Generation("p", program, b"", ["t"] * len(probs), probs, [(0, 1)] * len(probs))


def test_confidence_is_the_geometric_mean_and_empty_is_unfamiliar():
    assert _gen("+.", [0.5, 0.5]).confidence == 0.5
    assert _gen("", []).confidence == 0.0 and _gen("", []).unfamiliar
    assert not _gen("+.", [0.99, 0.97]).unfamiliar and _gen("+.", [0.4, 0.5]).unfamiliar


def test_gen_points_an_unfamiliar_request_to_teaching(capsys):
    main(["gen", "sort these numbers"])
    err = capsys.readouterr().err
    assert "looks unlike what the agent was trained on" in err and "bftui train --from default" in err
    main(["gen", "say hi"])
    assert "looks unlike" not in capsys.readouterr().err


def test_known_families_names_both_agents():
    text = known_families()
    assert "print agent" in text and "reverse" in text and "synthesis agent" in text
