"""The family classifier and its prior over the library (bfcore/synth/intent.py)."""

from __future__ import annotations

import numpy as np
import pytest

from bfcore.interp.fast import run
from bfcore.synth.intent import FLOOR, Intent, fit


def test_fit_names_the_family_of_points_it_never_saw():
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 3, (3, 16))
    labels = ["echo", "reverse", "upper"]
    x = np.concatenate([c + rng.normal(0, 1, (40, 16)) for c in centres])
    clf = Intent(fit(x, [f for f in labels for _ in range(40)]))
    fresh = np.concatenate([c + rng.normal(0, 1, (10, 16)) for c in centres])
    post = clf.posterior(fresh)
    assert np.allclose(post.sum(1), 1)
    assert [clf.families[i] for i in post.argmax(1)] == [f for f in labels for _ in range(10)]


def test_the_prior_of_a_program_follows_the_families_it_solved():
    clf = Intent({"families": ["echo", "reverse"], "w": [[0.0, 0.0]], "b": [np.log(0.9), np.log(0.1)],
                  "mean": [0.0], "scale": [1.0]})
    post = clf.posterior(np.zeros((1, 1)))[0]
    assert clf.prior(post, {"reverse"}) == pytest.approx(np.log(0.1))
    assert clf.prior(post, {"reverse", "echo"}) == pytest.approx(np.log(0.9))  # its likeliest
    # a person's own task: as likely as the request's top family, never held against it
    assert clf.prior(post, {"custom"}) == pytest.approx(np.log(0.9))
    assert clf.prior(post, None) == pytest.approx(np.log(FLOOR))  # no library program


@pytest.fixture(scope="module")
def shipped():
    from bfcore.synth.agent import SynthAgent

    return SynthAgent.load()


def test_choose_follows_the_classifier_over_the_policy(shipped, monkeypatch):
    """With a classifier sure the request is echo, "print the input backwards" gets the library's
    echo program; without one, the policy's reverser. So the prior is what decides."""
    prompt, probe = "print the input backwards", b"hello"
    shipped.use_intent = False
    alone = shipped.choose([prompt], [probe])[0].program
    assert run(alone, b"abc").output == b"cba"
    families = sorted({f for fs in shipped.library_families.values() for f in fs})
    b = [0.0 if f == "echo" else -50.0 for f in families]
    d = shipped.embed([prompt]).shape[1]  # weights of 0: the bias alone decides
    sure = Intent({"families": families, "w": np.zeros((d, len(families))), "b": b,
                   "mean": np.zeros(d), "scale": np.ones(d)})
    monkeypatch.setattr(type(shipped), "intent", property(lambda self: sure))
    shipped.use_intent = True
    chosen = shipped.choose([prompt], [probe])[0].program
    assert all(run(chosen, x).output == x for x in (b"abc", b"hello w"))
    # a classifier unsure of every family (a flat posterior) leaves the choice to the policy
    flat = Intent({"families": families, "w": np.zeros((d, len(families))),
                   "b": [0.0] * len(families), "mean": np.zeros(d), "scale": np.ones(d)})
    monkeypatch.setattr(type(shipped), "intent", property(lambda self: flat))
    assert shipped.choose([prompt], [probe])[0].program == alone
