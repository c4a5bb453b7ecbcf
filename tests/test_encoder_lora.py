"""LoRA adapters on the last kept layers: trainable, change outputs, save/load, never cached."""

import numpy as np
import pytest
from mlx import nn, optimizers
from mlx.utils import tree_flatten

from bfcore.encoder import EncoderError, load_encoder


@pytest.fixture(scope="module")
def base():
    return load_encoder(layers=3, cache=False)


def _train_step(enc):
    def loss(_model, prompts):
        _states, _mask, pooled = enc.forward(prompts)
        return (pooled**2).mean()

    step = nn.value_and_grad(enc.model, loss)
    value, grads = step(enc.model, ["say hi", "print A"])
    optimizers.Adam(learning_rate=1e-2).update(enc.model, grads)
    return float(value)


def test_only_adapters_are_trainable_and_start_as_a_no_op(base):
    enc = load_encoder(layers=3, lora_layers=2)
    names = [k for k, _ in tree_flatten(enc.trainable_parameters())]
    assert len(names) == 8 and all(".lora_" in k for k in names)
    assert {k.split(".")[1] for k in names} == {"1", "2"}  # the last 2 of 3 kept layers
    assert enc.cache is None  # caching is off while adapters can change
    assert np.allclose(np.array(enc.encode("say hi").pooled), np.array(base.encode("say hi").pooled),
                       atol=1e-4)


def test_update_changes_outputs_and_round_trips(base, tmp_path):
    enc = load_encoder(layers=3, lora_layers=2)
    before = np.array(enc.encode("say hi").pooled)
    identity = enc.identity
    _train_step(enc)
    after = np.array(enc.encode("say hi").pooled)
    assert np.abs(after - before).max() > 1e-2
    assert enc.identity != identity
    frozen = np.array(base.encode("say hi").pooled)
    assert np.allclose(frozen, before, atol=1e-4)  # the base weights did not move

    path = enc.save_lora(tmp_path / "adapters.safetensors")
    again = load_encoder(layers=3, lora_layers=2)
    again.load_lora(path)
    assert np.allclose(np.array(again.encode("say hi").pooled), after, atol=1e-5)
    assert again.identity == enc.identity


def test_lora_errors(base, tmp_path):
    with pytest.raises(EncoderError, match="lora_layers=4 is out of range"):
        load_encoder(layers=3, lora_layers=4)
    with pytest.raises(EncoderError, match="no LoRA adapters"):
        base.save_lora(tmp_path / "x.safetensors")
    one = load_encoder(layers=3, lora_layers=1)
    path = one.save_lora(tmp_path / "one.safetensors")
    two = load_encoder(layers=3, lora_layers=2)
    with pytest.raises(EncoderError, match="does not fit"):
        two.load_lora(path)
    with pytest.raises(EncoderError, match="cannot read LoRA file"):
        two.load_lora(tmp_path / "missing.safetensors")
