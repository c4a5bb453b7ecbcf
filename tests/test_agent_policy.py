"""The agent's pieces: print tokens -> BF, the pointer memory, decoding modes, checkpoint loading."""

import numpy as np
import pytest

from bfcore.agent import Agent, AgentError
from bfcore.agent.compile import byte_run, compile_bytes
from bfcore.agent.memory import END_K, SEGMENTS, build_memory, derived_segments
from bfcore.interp.fast import run, run_many
from bfcore.train import TrainConfig, train


@pytest.fixture(scope="module")
def agent(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("agent") / "run"
    train(TrainConfig(run_dir=str(run_dir), steps=2, batch_size=16, hidden=32, encoder_layers=0,
                      tasks_per_family=4, families=["print", "add"], max_steps=10))
    return Agent.load(run_dir)


@pytest.mark.parametrize("data", [b"", b"hi", b"Hello world!", bytes([255, 0, 128, 129, 1]), bytes(range(0, 256, 37))])
def test_compiled_programs_print_exactly_their_bytes(data):
    prog, spans = compile_bytes(data)
    assert run(prog).output == data
    assert set(prog) <= set("+-.")
    assert [prog[a:b].endswith(".") for a, b in spans] == [True] * len(data)
    assert "".join(prog[a:b] for a, b in spans) == prog


def test_byte_runs_are_shortest():
    assert byte_run(0, 255) == "-" and byte_run(255, 0) == "+" and byte_run(10, 5) == "-----"
    for c in range(0, 256, 17):
        for b in range(0, 256, 13):
            r = byte_run(c, b)
            assert len(r) == min((b - c) % 256, (c - b) % 256)


def test_memory_derived_facts_and_transforms():
    segs = {name: text for name, text, *_ in derived_segments("what is 12 plus 30")}
    assert segs["sum"] == "42" and segs["diff"] == "-18" and segs["rdiff"] == "18" and segs["prod"] == "360"
    assert segs["max"] == "30" and segs["min"] == "12"
    m = build_memory("letter after g")
    i = "letter after g".index("g")
    assert m.table[i].tolist() == [ord("g"), ord("G"), ord("h"), ord("f")]
    assert m.valid[i].all()
    space = "letter after g".index(" ")
    assert not m.valid[space, 1:END_K].any() and m.valid[space, END_K]
    lens = [m.byte[j] for j in range(len(m)) if SEGMENTS[m.seg[j]] == "len"]
    assert bytes(lens) == b"651"  # letter, after, g
    # a number's digits carry its value, for counting repetitions
    r = build_memory("say a 7 times")
    assert r.numval["say a 7 times".index("7")] == 7


def test_numbers_written_as_words_count_and_feed_the_facts():
    segs = {name: text for name, text, *_ in derived_segments("add three and Twelve")}
    assert (segs["sum"], segs["diff"], segs["prod"]) == ("15", "-9", "36")
    # two digit numbers win over a word like "one" that is not meant as a number
    segs = {name: text for name, text, *_ in derived_segments("which one is higher: 25 or 85?")}
    assert (segs["max"], segs["min"]) == ("85", "25")
    m = build_memory("write z five times")
    assert set(m.numval[8:12]) == {5} and m.numval[0] == -1000
    assert build_memory("someone").numval.max() == -1000  # words inside words are not numbers


def test_greedy_generation_is_valid_and_consistent(agent):
    g = agent.generate("say hi")
    assert run(g.program).output == g.output and run(g.program).ok
    assert len(g.tokens) == len(g.token_probs) == len(g.spans) == len(g.output)
    assert all(0 < p <= 1 for p in g.token_probs)
    assert g.reward is None and g.success is None
    assert agent.generate("say hi").program == g.program  # greedy is deterministic


def test_best_of_uses_the_interpreter_to_pick(agent):
    greedy = agent.generate("compute the sum of 3 and 5", expect="8")
    best = agent.generate("compute the sum of 3 and 5", best_of=16, expect="8", seed=0)
    assert best.reward is not None and best.reward >= greedy.reward
    assert best.success == (best.output == b"8")


def test_beam_and_sampling_give_valid_programs(agent):
    for g in (agent.generate("print cat", beam=3), agent.generate("print cat", greedy=False, temperature=2.0, seed=1)):
        r = run(g.program)
        assert r.ok and r.output == g.output


def test_batch_generation_matches_single(agent):
    prompts = ["say hi", "add 2 and 2", "print dog"]
    batch = agent.generate_batch(prompts)
    assert [g.program for g in batch] == [agent.generate(p).program for p in prompts]
    assert all(r.ok for r in run_many([g.program for g in batch]))


def test_load_errors_name_the_file(tmp_path):
    with pytest.raises(AgentError, match="missing"):
        Agent.load(tmp_path)
    (tmp_path / "state.json").write_text("{nope")
    (tmp_path / "model.safetensors").write_bytes(b"")
    with pytest.raises(AgentError, match="state.json"):
        Agent.load(tmp_path)


@pytest.mark.parametrize("with_encoder", [False, True])
def test_scoring_a_rollouts_actions_gives_its_log_probs_values_and_entropies(with_encoder):
    """The PPO update scores the rollout's actions teacher-forced (all steps at once): it must compute
    what the step-by-step rollout computed, or the first ratio would not be 1."""
    from bfcore.agent.features import Featurizer, to_mx
    from bfcore.agent.model import ModelConfig, Policy
    from bfcore.runtime import mx

    enc = None
    if with_encoder:
        from bfcore.encoder import load_encoder

        enc = load_encoder(layers=1, cache=False)
    feat = Featurizer(enc)
    mx.random.seed(3)
    pol = Policy(ModelConfig(hidden=32, enc_dim=feat.enc_dim, max_steps=12, token_states=with_encoder))
    if with_encoder:  # open the gates, so the encoder paths count
        pol.enc_gate, pol.tok_gate = mx.array([0.8]), mx.array([0.6])
    prompts = ["say hi", "what is 12 plus 30", "reverse the word cat", "print 3 times the letter z", "shout bag"] * 4
    b = to_mx(feat.batch(prompts))
    roll = pol.unroll(b, key=mx.random.key(7), temperature=3.0)  # hot: long, varied programs
    alive = np.array(roll["alive"])
    assert alive.sum(1).max() > 3 and (alive.sum(1) < alive.shape[1]).any()  # some end, some run on
    for scored in (pol.unroll(b, actions=roll["actions"]), pol.unroll(b, actions=roll["actions"], stepwise=True)):
        assert (np.array(scored["alive"]) == alive).all()
        assert (np.array(scored["byte"]) == np.array(roll["byte"])).all()
        for k in ("logp", "value", "entropy"):
            np.testing.assert_allclose(np.array(scored[k])[alive], np.array(roll[k])[alive], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("temperature", [1.0, 2.0])
def test_sampling_follows_the_tempered_softmax_and_never_picks_a_masked_action(temperature):
    from bfcore.agent.model import NEG, _normalise, _sample
    from bfcore.runtime import mx

    probs = np.array([0.0, 0.5, 0.3, 0.0, 0.2])  # masked actions first, in the middle and nowhere at the end
    row = np.where(probs > 0, np.log(np.maximum(probs, 1e-30)), NEG)
    logits = mx.array(np.tile(row, (40000, 1)).astype(np.float32))
    a = np.array(_sample(logits, _normalise(logits), mx.random.key(5), temperature))
    freq = np.bincount(a, minlength=5) / len(a)
    want = probs ** (1 / temperature) / (probs ** (1 / temperature)).sum()
    assert freq[0] == 0 and freq[3] == 0
    np.testing.assert_allclose(freq, want, atol=0.01)


def test_generating_runs_the_programs_without_waiting_for_numba():
    """A fresh install's first generation must not compile the batch interpreter (~14 s)."""
    import subprocess
    import sys

    code = ("from bfcore.interp import fast; from bfcore.agent import Agent; "
            "g = Agent.load().generate('say hi', best_of=3, expect=b'hi'); "
            "print(g.output.decode(), bool(fast._jit))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["hi", "False"]
