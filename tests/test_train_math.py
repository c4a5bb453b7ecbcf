import numpy as np
import pytest

from bfcore.rewards import levenshtein, prefix_distances, score, shaped_rewards
from bfcore.runtime import mx
from bfcore.tasks import make_task
from bfcore.train.ppo import discounted_returns, explained_variance, gae, group_advantages, ppo_terms


def test_discounted_returns_by_hand():
    r = np.array([[1.0, 0.0, 2.0, 5.0]])
    alive = np.array([[True, True, True, False]])
    # gamma 0.5: G2 = 2, G1 = 0 + .5*2 = 1, G0 = 1 + .5*1 = 1.5; the dead step is 0
    assert discounted_returns(r, alive, 0.5).tolist() == [[1.5, 1.0, 2.0, 0.0]]


def test_gae_by_hand():
    r = np.array([[1.0, 2.0]])
    v = np.array([[0.5, 1.0]])
    alive = np.array([[True, True]])
    g, lam = 0.9, 0.8
    d1 = 2.0 - 1.0                    # last step: no bootstrap
    d0 = 1.0 + g * 1.0 - 0.5
    a1, a0 = d1, d0 + g * lam * d1
    adv, ret = gae(r, v, alive, g, lam)
    assert adv[0] == pytest.approx([a0, a1])
    assert ret[0] == pytest.approx([a0 + 0.5, a1 + 1.0])


def test_gae_lambda_one_equals_returns_minus_values():
    rng = np.random.default_rng(0)
    r, v = rng.normal(size=(3, 5)), rng.normal(size=(3, 5))
    alive = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]], bool)
    adv, _ = gae(r, v, alive, 0.97, 1.0)
    assert adv == pytest.approx((discounted_returns(r, alive, 0.97) - v) * alive)


def test_group_advantages():
    adv = group_advantages(np.array([1.0, 3.0, 5.0, 5.0]), 2)
    assert adv == pytest.approx([-1, 1, 0, 0], abs=1e-5)


def test_ppo_terms_ratio_one_and_signs():
    logp = mx.array([[-1.0, -2.0]])
    adv = mx.array([[1.0, -1.0]])
    alive = mx.array([[True, True]])
    ent = mx.array([[0.5, 0.5]])
    v, ret = mx.array([[0.0, 1.0]]), mx.array([[1.0, 1.0]])
    pl, vl, e, kl, cf = ppo_terms(mx, logp, logp, adv, v, ret, ent, alive, 0.2)
    assert float(pl) == pytest.approx(0.0)          # -(1*1 + -1*1)/2 at ratio 1
    assert float(kl) == pytest.approx(0.0) and float(cf) == 0.0
    assert float(vl) == pytest.approx(0.5 * 0.5)    # 0.5 * mean((0-1)^2, 0)
    # raising the probability of a positive-advantage action lowers the loss
    up = mx.array([[-0.9, -2.0]])
    pl2, *_ = ppo_terms(mx, up, logp, adv, v, ret, ent, alive, 0.2)
    assert float(pl2) < float(pl)
    # beyond the clip the objective stops rewarding the move
    far = mx.array([[-0.0, -2.0]])
    pl3, _, _, _, cf3 = ppo_terms(mx, far, logp, adv, v, ret, ent, alive, 0.2)
    assert float(pl3) == pytest.approx(-(1.2 - 1.0) / 2) and float(cf3) == 0.5


def test_explained_variance():
    t = np.array([1.0, 2.0, 3.0])
    assert explained_variance(t, t) == 1.0
    assert explained_variance(np.zeros(3) + 2, t) == pytest.approx(0.0)


def test_levenshtein_prefixes():
    assert prefix_distances(b"kitten", b"sitting").tolist() == [7, 7, 6, 5, 4, 4, 3]
    assert levenshtein(b"", b"abc") == 3 and levenshtein(b"abc", b"abc") == 0


def test_score_uses_outputs_and_shaping_telescopes():
    tasks = [make_task("p", "hi"), make_task("p", "hi")]
    sc = score([[b"hi"], [b"hx"]], [["ok"], ["ok"]], tasks, ["", ""], {"exact": 1.0, "edit": 0.5})
    assert sc.success.tolist() == [True, False]
    assert sc.total == pytest.approx([1.0, -0.25])
    r = shaped_rewards([b"hi", b"hx"], [b"hi", b"hi"], sc.total, np.array([3, 3]), 5)
    assert r.sum(1) == pytest.approx(sc.total)
    assert r[0, 0] > 0 and r[1, 0] == r[0, 0]   # the right first byte is rewarded at once


def test_invalid_status_is_penalised():
    tasks = [make_task("p", "a")]
    sc = score([[b"a"]], [["step_limit"]], tasks, ["+"], {"exact": 1.0, "invalid": 1.0})
    assert sc.total[0] == -1.0 and not sc.success[0]
