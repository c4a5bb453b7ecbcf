"""The library of solved programs: what enters it, how the policy ranks it, and what search gains."""

from __future__ import annotations

import numpy as np
import pytest

from bfcore.interp.fast import run
from bfcore.synth.actions import INDEX, Params, to_program, tokenize
from bfcore.synth.library import SOLVED_REWARD, library_of, load_library


def _acts(program: str, params=Params()) -> list[int]:
    return tokenize(program, params)  # END last


def test_only_solved_entries_enter_once_each_most_shared_first():
    echo, last, junk = _acts(",[.,]"), _acts(",[>,]<."), _acts(",.,.")
    q = {'["echo"]': [[echo, 2 * SOLVED_REWARD, 2], [junk, 0.9, 1]],
         '["last"]': [[last, 3.0, 2]],
         '["twice_all"]': [[echo, 1.0, 2]],           # the same program, not solved here
         '["first"]': [[echo + [0, 0], 1.6, 1]]}      # trailing actions after END are dropped
    assert library_of(q) == [echo, last]
    assert load_library({"queue": q}) == [echo, last]
    assert load_library({}) == [] and load_library({"queue": {"k": [["bad"]]}}) == []


@pytest.fixture(scope="module")
def shipped():
    from bfcore.synth.agent import SynthAgent

    return SynthAgent.load()


def test_the_shipped_library_holds_general_programs(shipped):
    lib = shipped.library
    assert 10 <= len(lib) <= 1000
    progs = {to_program(a, Params())[0] for a in lib if not set(a) & {INDEX["+c"], INDEX["-c"]}}
    # its reverser, found in training, reverses inputs it never saw
    rev = [p for p in progs if all(run(p, x).output == x[::-1] for x in (b"abc", b"hello w"))]
    assert rev and run(rev[0], b"never seen").output == b"nees reven"


def test_ranking_is_the_policy_log_probability(shipped):
    prompt, probe = "print the input backwards", b"hello"
    ranked = shipped.ranked(prompt, probe)
    lps = [lp for lp, _ in ranked]
    assert lps == sorted(lps, reverse=True) and all(lp < 0 for lp in lps)
    from bfcore.runtime import mx
    from bfcore.synth.actions import prompt_params
    from bfcore.synth.policy import batch_arrays, replay

    for lp, acts in ranked[:3]:  # the policy's own (MLX) teacher-forced scoring: the same sums
        ep = replay(acts, prompt_params(prompt), probe, shipped.policy.cfg)
        want, _ = shipped.policy.score(mx.array(shipped.embed([prompt])), *batch_arrays([ep]))
        assert abs(float(want.item()) - lp) < 1e-3
        one = shipped._scored_episode(prompt, acts, probe)  # per step, summing to the same
        assert len(one.logp) == len(acts) and abs(float(np.sum(one.logp)) - lp) < 1e-3
    # "+c" programs need a letter in the request: none here, so none are ranked
    assert not any(INDEX["+c"] in a or INDEX["-c"] in a for _, a in ranked)


def test_the_chosen_program_is_the_most_likely_of_greedy_and_library(shipped):
    for prompt in ("print the input backwards", "give me the input in capitals",
                   "output what I type, twice"):
        g = shipped.write([prompt], [b"hello"], greedy=True)[0]
        best = shipped.ranked(prompt, b"hello")[0][0]
        ep = shipped.choose([prompt], [b"hello"])[0]
        assert float(np.sum(ep.logp)) >= max(float(np.sum(g.logp)), best) - 1e-3


def test_search_tries_the_library_before_sampling(shipped):
    examples = ((b"abc", b"cba"), (b"hello", b"olleh"))
    # the issue's own request; the decoder alone of the shipped agent needs ~50 programs for it
    prompt = "print the input backwards"
    with_lib = shipped.search(prompt, examples, budget=300, seed=0)
    assert with_lib.solved and with_lib.npe <= 1 + 3 * 8  # within the first three rounds
    assert run(with_lib.best.program, b"fresh").output == b"hserf"
    # the decoder alone writes that one greedily now; a phrasing it confuses (test split) shows
    # the library's worth: 8 programs against 255 when measured
    prompt = "I want the characters I type to come out in the opposite order"
    with_lib = shipped.search(prompt, examples, budget=300, seed=0)
    shipped.use_library = False
    try:
        assert shipped.library == []
        alone = shipped.search(prompt, examples, budget=300, seed=0)
    finally:
        shipped.use_library = True
    assert with_lib.solved and alone.npe > 4 * with_lib.npe


def test_search_climbs_from_the_library_to_a_program_one_edit_away(shipped):
    # PQT's reverse wants a 0 after the reversed input: the library's reverser and one "."
    prompt = "print the input backwards, then a 0"
    examples = ((b"abc", b"cba\0"), (b"hello", b"olleh\0"), (b"xy", b"yx\0"))
    res = shipped.search(prompt, examples, budget=600, seed=0)
    assert res.solved and res.npe <= 600
    assert run(res.best.program, b"fresh one").output == b"eno hserf\0"


def test_numpy_ranking_equals_mlx_scoring_on_the_whole_library(shipped):
    """The numpy scorer skips finished programs' steps: every program of every length must
    still get MLX's teacher-forced sum, and each of its steps MLX's log-probability."""
    from bfcore.runtime import mx
    from bfcore.synth.actions import prompt_params
    from bfcore.synth.library import forced_logp, numpy_weights, replays
    from bfcore.synth.policy import _log_probs, batch_arrays

    for prompt, probe in (("remove every e from what I type", b"eel"), ("add 3 to each byte", b"ab")):
        eps = [e for e, _ in replays(shipped.library, prompt_params(prompt), probe,
                                     shipped.policy.cfg)]
        assert len({len(e.actions) for e in eps}) >= 5  # many lengths, in no order
        pooled = shipped.embed([prompt])
        arrays = batch_arrays(eps)
        want, _ = shipped.policy.score(mx.array(pooled), *arrays)
        steps, _ = _log_probs(shipped.policy.forced_logits(mx.array(pooled), *arrays[:3]),
                              arrays[3])
        got = forced_logp(numpy_weights(shipped.policy), pooled[0],
                          *(np.array(a) for a in arrays))
        per = forced_logp(numpy_weights(shipped.policy), pooled[0],
                          *(np.array(a) for a in arrays), per_step=True)
        assert np.allclose(got, np.array(want), atol=1e-3)
        assert np.allclose(per, np.array(steps * arrays[4]), atol=1e-4)


def test_without_an_input_the_request_picks_its_probe(shipped):
    """No example, no input: the agent writes on a sample input and on none, and keeps the
    likelier program. Traced on "hello" alone, a copies request read input and printed NULs."""
    from bfcore.synth.agent import PROBE_INPUT

    g = shipped.generate("write the letter q 77 times")
    assert "," not in g.program and run(g.program, b"").output == b"q" * 77
    assert len(g.program) * 2 <= 77 + ord("q")  # a loop that pays
    # the likelier of the two probes' decodes, or a library program ranked above it (on "hello"
    # alone the agent of two sessions ago wrote a program that read input for this request)
    from bfcore.synth.actions import prompt_params, to_program

    prompt = "i need exactly 120 z's"
    two = shipped.write([prompt] * 2, [PROBE_INPUT, b""], greedy=True)
    g = shipped.generate(prompt)
    assert run(g.program, b"").output == b"z" * 120
    likelier = max(two, key=lambda e: float(np.sum(e.logp))).program
    library = {to_program(a, prompt_params(prompt))[0] for a in shipped.library}
    assert g.program == likelier or g.program in library
    assert run(shipped.generate("print the input backwards").program, b"abc").output == b"cba"


def test_a_taught_agent_leaves_its_starts_families_to_the_start(shipped, tmp_path):
    import json
    import shutil

    from bfcore.synth.agent import SynthAgent, SynthAgentError, default_synth_dir
    from bfcore.synth.teach import TAUGHT_FILE, keep_start, taught_chain

    # a stand-in for a taught run: the shipped weights with one decoder bias pushed far off, so
    # that its own choices differ, and a program of a person's task in its queue
    run = tmp_path / "taught"
    shutil.copytree(default_synth_dir(), run)
    from bfcore.runtime import mx
    from bfcore.synth.actions import N_ACTIONS

    w = mx.load(str(run / "model.safetensors"))
    key = next(k for k in w if k.endswith("bias") and w[k].shape == (N_ACTIONS,))
    w[key] = w[key] + mx.array(30.0 * (np.arange(N_ACTIONS) == INDEX["."]), w[key].dtype)
    mx.save_safetensors(str(run / "model.safetensors"), w)
    state = json.loads((run / "state.json").read_text())
    state["queue"]['["custom"]'] = [[tokenize(",[-.,]"), 4.0, 2]]
    (run / "state.json").write_text(json.dumps(state))
    mine = ["subtract one from every byte of the input", "print each character shifted down by one",
            "lower each character code by one"]
    keep_start(default_synth_dir(), run, mine, shipped.embed.encoder)
    assert json.loads((run / TAUGHT_FILE).read_text())["start"] == ""  # the shipped one
    assert taught_chain(run) == [(f"taught:{run.name}", mine)]
    taught = SynthAgent.load(run, encoder=shipped.embed.encoder)
    assert taught.start is not None
    old = ["print the input backwards", "give me the input in capitals"]
    assert taught._to_start(old) == [True, True] and taught._to_start(mine[:1]) == [False]
    want = [e.program for e in shipped.choose(old, [b"hello"] * 2)]
    assert [e.program for e in taught.choose(old, [b"hello"] * 2)] == want
    assert taught.generate(old[0], probe=b"hello").program == want[0]
    default = taught.start_sure
    taught.start_sure = 1.01  # never the start: its own weights, which choose otherwise
    assert [e.program for e in taught.choose(old, [b"hello"] * 2)] != want
    taught.start_sure = default
    # a request the classifier gives an old family, however unsure, goes to the start: with the
    # start only for sure ones (0.5) teaching thrice cost old families 2.3 points on val, none so
    post = np.full((1, len(taught.intent.families)), 0.5 / (len(taught.intent.families) - 1))
    post[0, taught.intent.families.index("reverse")] = 0.3
    post[0, taught.intent.families.index(taught.taught_label)] = 0.2
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(taught, "_posterior", lambda prompts: post)
        assert taught._to_start(["reverse it, maybe"]) == [True]
    # the person's request gets the taught weights, which write dots
    assert taught.choose(mine[:1], [b"hello"])[0].program.count(".") > want[0].count(".")
    # a start that is gone: one line naming it
    (run / TAUGHT_FILE).write_text(json.dumps({"start": str(tmp_path / "gone"), "label": "x",
                                               "prompts": []}))
    with pytest.raises(SynthAgentError, match="the agent it was taught from: .*gone"):
        SynthAgent.load(run, encoder=shipped.embed.encoder)
