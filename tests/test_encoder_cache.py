"""The prompt cache: memory LRU + safetensors on disk, keyed by the encoder's identity."""

import os
import shutil

import numpy as np
import pytest

from bfcore.encoder import load_encoder
from bfcore.encoder.cache import EncodingCache
from bfcore.runtime import mx


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("encodings")


@pytest.fixture(scope="module")
def enc(cache_dir):
    return load_encoder(layers=2, cache_dir=cache_dir)


def test_second_encode_does_not_run_the_model(enc):
    first = enc.encode("print the letter Z")
    calls = enc.model_calls
    second = enc.encode("print the letter Z")
    assert enc.model_calls == calls
    assert np.array_equal(np.array(first.states), np.array(second.states))
    assert second.tokens == first.tokens


def test_batch_runs_only_the_missing_prompts(enc):
    enc.encode("cached one")
    calls = enc.model_calls
    hits_before = enc.cache.hits
    states, mask, pooled = enc.encode_batch(["cached one", "fresh two", "fresh three"])
    assert enc.model_calls == calls + 1  # one forward pass for the two misses
    assert enc.cache.hits == hits_before + 1
    again = enc.encode_batch(["fresh three", "cached one", "fresh two"])
    assert enc.model_calls == calls + 1
    assert np.array_equal(np.array(again[2][0]), np.array(pooled[2]))


def test_disk_cache_survives_a_new_encoder(enc, cache_dir):
    enc.encode("remember me on disk")
    other = load_encoder(layers=2, cache_dir=cache_dir)
    out = other.encode("remember me on disk")
    assert other.model_calls == 0 and other.cache.disk_hits == 1
    assert np.allclose(np.array(out.pooled), np.array(enc.encode("remember me on disk").pooled))


def test_identity_separates_k(cache_dir, enc):
    enc.encode("same words")
    k3 = load_encoder(layers=3, cache_dir=cache_dir)
    assert k3.identity != enc.identity
    k3.encode("same words")
    assert k3.model_calls == 1


def test_default_location_is_the_user_cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    enc = load_encoder(layers=1)
    enc.encode("where do I go")
    assert list((tmp_path / "bftui" / "encodings").rglob("*.safetensors"))


def test_cache_can_be_off(cache_dir):
    enc = load_encoder(layers=1, cache=False)
    enc.encode("no cache")
    enc.encode("no cache")
    assert enc.cache is None and enc.model_calls == 2


def test_lru_eviction_and_corrupt_files(tmp_path):
    cache = EncodingCache("id", tmp_path, capacity=2)
    for i in range(3):
        cache.put(f"p{i}", mx.full((2, 3), i, mx.float32), mx.full((3,), i, mx.float32))
    assert len(cache) == 2 and "p0" not in cache._memory
    states, _pooled = cache.get("p0")  # evicted from memory, read back from disk
    assert cache.disk_hits == 1 and float(states[0, 0]) == 0
    for path in tmp_path.rglob("*.safetensors"):
        path.write_bytes(b"garbage")
    fresh = EncodingCache("id", tmp_path)
    assert fresh.get("p1") is None and fresh.misses == 1
    other_identity = EncodingCache("other", tmp_path)
    assert other_identity.get("p2") is None


def test_a_full_disk_store_drops_its_least_recently_used(tmp_path):
    cache = EncodingCache("capped", tmp_path, capacity=10, max_disk=3)
    for i in range(3):
        cache.put(f"q{i}", mx.zeros((1, 2)), mx.zeros((2,)))
        os.utime(cache._path(f"q{i}"), (1000 + i, 1000 + i))  # q0 oldest
    assert EncodingCache("capped", tmp_path, max_disk=3).get("q0") is not None  # q0 used again: q1 oldest
    for i in range(3, 5):
        cache.put(f"q{i}", mx.zeros((1, 2)), mx.zeros((2,)))
    assert len(list(tmp_path.rglob("*.safetensors"))) == 3
    assert len(cache) == 5  # memory still holds them all
    # the newest prompts reach the disk (a full store used to refuse every prompt after the first 3)
    reopened = EncodingCache("capped", tmp_path, max_disk=3)
    assert all(reopened.get(p) is not None for p in ("q0", "q3", "q4"))
    assert reopened.get("q1") is None and reopened.disk_hits == 3


def test_a_reinstalled_model_file_keeps_its_encodings(tmp_path):
    from bfcore.encoder import gguf

    model = tmp_path / "model.gguf"
    shutil.copyfile(gguf.default_path(), model)
    first = load_encoder(str(model), layers=1, cache_dir=tmp_path / "enc")
    first.encode("print the letter Q")
    later = model.stat().st_mtime + 3600
    os.utime(model, (later, later))  # pip stamps a reinstall (or a new venv) with the install time
    again = load_encoder(str(model), layers=1, cache_dir=tmp_path / "enc")
    assert again.identity == first.identity
    again.encode("print the letter Q")
    assert again.model_calls == 0 and again.cache.disk_hits == 1
    key = gguf.file_key(model)
    with open(model, "r+b") as f:  # other bytes (a replaced file): another identity
        f.seek((1 << 20) - 16)
        f.write(bytes(16))
    assert gguf.file_key(model) != key


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts open files in /proc")
def test_disk_hits_leave_no_file_open(tmp_path):
    # mx.load maps lazily and holds the file until the array is read: an LRU of 2,048 unread
    # entries held 2,048 files, and a test session ran out of descriptors (teaching embeds the
    # families' 1,320 train phrasings)
    first = EncodingCache("id", tmp_path)
    for i in range(60):
        first.put(f"p{i}", mx.ones((3, 4)), mx.ones((4,)) * i)
    again = EncodingCache("id", tmp_path)
    before = len(os.listdir("/proc/self/fd"))
    got = [again.get(f"p{i}") for i in range(60)]
    assert all(g is not None for g in got) and float(got[7][1][0]) == 7.0
    assert len(os.listdir("/proc/self/fd")) - before < 5
