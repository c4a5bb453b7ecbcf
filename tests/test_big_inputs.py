"""Big task files: prompts are encoded as batches draw them (with progress), and what is kept of
their encodings is bounded in bytes."""

import json

import numpy as np
import pytest

from bfcore.agent.features import Featurizer
from bfcore.encoder import load_encoder
from bfcore.encoder.cache import EncodingCache
from bfcore.runtime import mx
from bfcore.train import TrainConfig
from bfcore.train.loop import Trainer


@pytest.fixture
def cold_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))  # every prompt is new to the encoder


@pytest.fixture(scope="module")
def encoder(tmp_path_factory):
    return load_encoder(layers=1, cache_dir=tmp_path_factory.mktemp("enc"))


def _task_file(path, n):
    words = ["cat", "dog", "owl", "emu", "yak", "elk", "bee", "ant"]
    with open(path, "w") as f:
        for i in range(n):
            word = words[i % 8] + words[i // 8 % 8]
            pad = " right now" * (i % 4)  # lengths vary: padding is what the batch changes
            f.write(json.dumps({"problem": f"print {word} {i}{pad}", "family": "print",
                                "solution": f"{word} {i}"}) + "\n")
    return path


def _config(tmp_path, tasks):
    return TrainConfig(run_dir=str(tmp_path / "run"), tasks=str(tasks), steps=1, batch_size=8, minibatches=2,
                       hidden=16, encoder_layers=1, max_steps=6, curriculum=False)


def test_training_encodes_nothing_before_step_1(tmp_path, cold_cache):
    tr = Trainer(_config(tmp_path, _task_file(tmp_path / "big.jsonl", 200)), tmp_path / "run")
    assert tr.feat.encoder.model_calls == 0  # the old trainer encoded all 200 here, silently
    tr.update()
    assert 0 < tr.feat.encoder.model_calls and tr.feat.encoded <= 8  # only what the batch drew


def test_each_update_reports_the_progress_of_its_encoding(tmp_path, cold_cache):
    seen = []
    tr = Trainer(_config(tmp_path, _task_file(tmp_path / "big.jsonl", 200)), tmp_path / "run",
                 on_progress=lambda *a: seen.append(a))
    out = tr.update()
    assert out["prompts_encoded"] == tr.feat.encoded and out["time/encode"] > 0
    # one progress run for the update's new prompts (at most 8: one forward pass): (step, done, total)
    assert seen == [(1, 0, tr.feat.encoded), (1, tr.feat.encoded, tr.feat.encoded)]


def test_progress_counts_the_prompts_the_llm_runs_on(encoder, monkeypatch):
    from bfcore.encoder import model

    monkeypatch.setattr(model, "BATCH_CHUNK", 2)
    encoder.encode("say number 1")  # in the encoder's cache: no work for the LLM
    seen = []
    feat = Featurizer(encoder, on_progress=lambda done, total: seen.append((done, total)))
    prompts = [f"say number {i}" for i in range(6)]
    feat.warm(prompts)
    assert seen == [(0, 5), (2, 5), (4, 5), (5, 5)] and feat.encoded == 5
    feat.warm(prompts)
    assert len(seen) == 4  # all held: nothing more to encode or report


def test_featurizer_keeps_encodings_within_its_byte_budget(encoder):
    prompts = [f"repeat the word number {i} twice" for i in range(40)]
    roomy = Featurizer(encoder).batch(prompts)
    one_prompt = 10 * encoder.dim * 4  # ~10 tokens of float32 states
    small = Featurizer(encoder, max_bytes=5 * one_prompt)
    out = small.batch(prompts)
    assert small._enc.nbytes <= 5 * one_prompt and len(small._enc) < len(prompts)
    # the batch is still whole: what the budget evicted came back from the encoder's cache
    for k in ("enc_states", "enc_mask", "enc_pooled", "tok"):
        assert np.array_equal(out[k], roomy[k]), k
    # held arrays own their memory: a view would keep the whole padded chunk alive
    assert all(s.base is None and p.base is None for s, p in small._enc._items.values())


def _slices(n=16):
    batch, pooled = mx.ones((n, 70, 64)), mx.ones((n, 64))
    mx.eval(batch, pooled)
    return [(batch[i], pooled[i]) for i in range(n)]


ENTRY = (70 + 1) * 64 * 4  # states [70, 64] + pooled [64], float32


def test_cached_entries_do_not_keep_their_batch_alive():
    before = mx.get_active_memory()
    cache = EncodingCache("own", None, capacity=3)
    for i, (states, pooled) in enumerate(_slices()):
        cache.put(f"p{i}", states, pooled)
    mx.synchronize()
    # 3 entries held; a slice shares its batch's buffer, which is 16 entries
    assert mx.get_active_memory() - before <= 2 * 3 * ENTRY


def test_encoding_cache_memory_is_bounded_in_bytes():
    cache = EncodingCache("bytes", None, max_bytes=3 * ENTRY)
    for i, (states, pooled) in enumerate(_slices()):
        cache.put(f"p{i}", states, pooled)
    assert len(cache) == 3 and cache.nbytes == 3 * ENTRY
    assert cache.get("p15") is not None and cache.get("p0") is None


def test_a_fine_tuned_run_evaluates_from_the_shipped_agents_encodings(tmp_path, cold_cache):
    from bfcore.agent import Agent, default_agent_dir
    from bfcore.agent.evaluate import evaluate
    from bfcore.tasks import default_task_file, load_tasks
    from bfcore.train import train

    run = train(TrainConfig(run_dir=str(tmp_path / "ft"), tasks=str(_task_file(tmp_path / "t.jsonl", 16)),
                            init_from=str(default_agent_dir()), steps=1, batch_size=8, curriculum=False))
    tasks = load_tasks(default_task_file("test"))[:24]
    shipped = Agent.load()
    evaluate(shipped, tasks)
    tuned = Agent.load(run)  # a new encoder, as in a second `bftui eval --checkpoint RUN`
    assert tuned.featurizer.encoder.identity == shipped.featurizer.encoder.identity
    evaluate(tuned, tasks)
    assert tuned.featurizer.encoder.model_calls == 0 and tuned.featurizer.encoder.cache.disk_hits == 24


def test_a_kill_mid_encoding_resumes_to_the_same_bits(tmp_path, monkeypatch):
    """Prompts are encoded inside updates now, and a prompt's states depend in the last bits on the
    batch it ran in: a resumed run must re-encode what a kill lost in the same batches."""
    from bfcore.encoder import model

    monkeypatch.setattr(model, "BATCH_CHUNK", 2)  # several forward passes per update
    tasks = _task_file(tmp_path / "t.jsonl", 24)

    def trainer(name, cache, resume=False):
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / cache))
        cfg = TrainConfig(run_dir=str(tmp_path / name), tasks=str(tasks), steps=2, batch_size=16, hidden=16,
                          encoder_layers=1, max_steps=6, curriculum=False, seed=5, resume=resume)
        return Trainer(cfg, tmp_path / name)

    whole = trainer("whole", "xdg-whole")
    whole.update(), whole.update()
    killed = trainer("killed", "xdg-killed")
    killed.update()
    killed.save()
    real_put, calls = EncodingCache.put_many, []

    def dies_on_the_second_chunk(self, items):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # kill -9 after the first chunk of update 2 reached the disk
        real_put(self, items)

    monkeypatch.setattr(EncodingCache, "put_many", dies_on_the_second_chunk)
    with pytest.raises(KeyboardInterrupt):
        killed.update()
    monkeypatch.setattr(EncodingCache, "put_many", real_put)
    resumed = trainer("killed", "xdg-killed", resume=True)
    resumed.restore()
    resumed.update()
    assert len(calls) == 2 and resumed.feat.encoded < whole.feat.encoded  # it did reuse the disk
    from mlx.utils import tree_flatten

    after = dict(tree_flatten(resumed.policy.parameters()))
    for k, a in tree_flatten(whole.policy.parameters()):
        assert mx.array_equal(a, after[k]), k
