"""Token states: each row of the pointer memory may also see the LLM state of the token it comes from."""

import numpy as np
import pytest

from bfcore.agent import Agent
from bfcore.agent.features import Featurizer, to_mx
from bfcore.agent.memory import SEGMENTS, build_memory
from bfcore.encoder import load_encoder
from bfcore.runtime import mx
from bfcore.train import TrainConfig, Trainer, train


@pytest.fixture(scope="module")
def encoder():
    return load_encoder(layers=1, cache=False)


@pytest.mark.parametrize("prompt", ["say hello", 'what is the letter count of "cat"', "add 12 and 5", "café au lait"])
def test_gguf_token_spans_cover_the_prompt_in_order(encoder, prompt):
    spans = encoder.token_spans(prompt)
    assert len(spans) == len(encoder.tokenize(prompt))
    assert "".join(prompt[a:b] for a, b in spans) == prompt


def test_memory_rows_name_the_character_they_stand_for():
    prompt = "spell cat with 3 letters"
    m = build_memory(prompt)
    n = len(prompt)
    assert m.src[:n].tolist() == list(range(n))
    seg = [SEGMENTS[s] for s in m.seg]
    assert m.src[n] == -1 and seg[n] == "sep"
    # a word's length row points at the word's last letter: "cat" -> its 't'
    lens = [(chr(m.byte[j]), int(m.src[j])) for j in range(len(m)) if seg[j] == "len"]
    assert ("3", prompt.index("cat") + 2) in lens
    assert len(lens) == 4  # spell, cat, with, letters: one digit each


def test_featurizer_maps_rows_to_their_tokens(encoder):
    prompt = "spell cat now"
    f = Featurizer(encoder).batch([prompt, "say hello there friend"])
    spans = encoder.token_spans(prompt)
    cat = next(t for t, (a, b) in enumerate(spans) if "cat" in prompt[a:b])
    row = f["tok"][0]
    start = prompt.index("cat")
    assert row[start:start + 3].tolist() == [cat] * 3
    seg = [SEGMENTS[s] for s in f["seg"][0]]
    len_rows = [j for j, s in enumerate(seg) if s == "len" and f["src"][0, j] == start + 2]
    assert len_rows and all(row[j] == cat for j in len_rows)
    assert all(row[j] == -1 for j, s in enumerate(seg) if s == "sep")
    assert (row[~f["mask"][0]] == -1).all()  # padding rows see no token
    assert row.max() < f["enc_states"].shape[1]


def test_growing_token_states_starts_from_the_same_agent_and_then_learns(tmp_path):
    base = dict(steps=2, batch_size=16, hidden=32, encoder_layers=1, tasks_per_family=4, families=["upper"],
                max_steps=8, curriculum=False, report_every=1, save_every=1)
    plain = train(TrainConfig(run_dir=str(tmp_path / "plain"), **base))
    old = Agent.load(plain)
    assert not old.policy.cfg.token_states
    grown = Trainer(TrainConfig(run_dir=str(tmp_path / "grown"), init_from=str(plain), token_states=True, **base),
                    tmp_path / "grown")
    assert grown.policy.cfg.token_states and float(grown.policy.tok_gate[0]) == 0.0
    prompts = ["uppercase the word cat", "shout dog"]
    a = old.policy.unroll(to_mx(old.featurizer.batch(prompts)), greedy=True)
    b = grown.policy.unroll(to_mx(grown.feat.batch(prompts)), greedy=True)
    assert np.array_equal(np.array(a["actions"]), np.array(b["actions"]))
    assert np.allclose(np.array(a["logp"]), np.array(b["logp"]), atol=1e-6)
    grown.update()
    assert float(grown.policy.tok_gate[0]) != 0.0  # the gate gets a gradient: the new path is trained
    grown.save()
    again = Agent.load(tmp_path / "grown")
    assert again.policy.cfg.token_states
    assert mx.array_equal(again.policy.tok_gate, grown.policy.tok_gate)
    g = again.generate("uppercase the word cat")
    assert set(g.program) <= set("+-.")
    # fine-tuning a grown agent without asking for token states keeps them
    keep = Trainer(TrainConfig(run_dir=str(tmp_path / "keep"), init_from=str(tmp_path / "grown"), **base),
                   tmp_path / "keep")
    assert keep.policy.cfg.token_states


def test_token_dropout_hides_token_states_from_training_episodes(tmp_path):
    base = dict(steps=1, batch_size=8, hidden=32, encoder_layers=1, tasks_per_family=4, families=["upper"],
                max_steps=6, curriculum=False, token_states=True)
    tr = Trainer(TrainConfig(run_dir=str(tmp_path / "all"), token_dropout=1.0, **base), tmp_path / "all")
    tr.update()
    # every episode went without token states: the gated path saw only zeros and got no gradient
    assert float(tr.policy.tok_gate[0]) == 0.0


def test_token_rows_facts_leaves_the_prompt_rows_alone(encoder):
    from bfcore.agent.model import ModelConfig, Policy

    prompt = "spell cat with capital letters"
    feats = Featurizer(encoder).batch([prompt])
    pol = Policy(ModelConfig(hidden=32, enc_dim=encoder.dim, token_states=True, token_rows="facts"))
    pol.tok_gate = mx.ones((1,))
    blind = dict(feats, tok=np.full_like(feats["tok"], -1))
    with_tok, without = np.array(pol.encode_memory(to_mx(feats))[0]), np.array(pol.encode_memory(to_mx(blind))[0])
    n = len(prompt)
    assert np.array_equal(with_tok[:n], without[:n])  # the prompt's own rows: no token states
    lens = [j for j, s in enumerate(feats["seg"][0]) if SEGMENTS[s] == "len"]
    assert all(not np.allclose(with_tok[j], without[j]) for j in lens)  # each word's length row: its word's
