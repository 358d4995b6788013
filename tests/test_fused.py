"""The fused DAE/rCAE/CAE objectives (raetut._fused) against autograd through the composition."""

import itertools

import numpy as np
import pytest
from autograd import value_and_grad
from autograd.test_util import check_grads

import raetut as rt
from raetut._fused import fused_objective

CASES = list(itertools.product(
    ["dae", "rcae", "cae"], ["tanh", "sigmoid"], [False, True], [(1, 5), (2, 3), (3, 16)]))


def _setup(criterion, activation, tied, d, H, weight_decay=0.0):
    rng = np.random.default_rng(abs(hash((criterion, activation, tied, d, H))) % 2**32)
    model = rt.Autoencoder(d, H, activation=activation, tied=tied)
    X = rng.standard_normal((40, d))
    params = model.init_params(rng, X) + 0.3 * rng.standard_normal(model.n_params)
    kwargs = {"sigma": 0.4} if criterion == "dae" else {"lam": 0.7}
    noise = rng.standard_normal((2, 40, d)) if criterion == "dae" else None
    reference = rt.make_objective(model, criterion, weight_decay=weight_decay, **kwargs)
    fused = fused_objective(model, criterion, weight_decay=weight_decay, **kwargs)
    return params, X, noise, reference, fused


@pytest.mark.parametrize("criterion, activation, tied, shape", CASES)
def test_fused_value_and_gradient_equal_the_composition(criterion, activation, tied, shape):
    """Value and gradient agree with autograd through make_objective to round-off."""
    params, X, noise, reference, fused = _setup(criterion, activation, tied, *shape,
                                                weight_decay=0.01)
    v_ref, g_ref = value_and_grad(reference)(params, X, noise)
    v, g = value_and_grad(fused)(params, X, noise)
    assert v == pytest.approx(v_ref, rel=1e-12)
    np.testing.assert_allclose(g, g_ref, rtol=1e-9, atol=1e-12 * np.max(np.abs(g_ref)))
    assert fused(params, X, noise) == pytest.approx(v_ref, rel=1e-12)


@pytest.mark.parametrize("criterion, activation, tied, shape", CASES[::3])
def test_fused_gradient_by_finite_differences(criterion, activation, tied, shape):
    """check_grads: the hand-derived reverse mode against numerical differences."""
    params, X, noise, _, fused = _setup(criterion, activation, tied, *shape)
    check_grads(lambda p: fused(p, X, noise), modes=["rev"], order=1)(params)


def test_fused_covers_dae_rcae_cae_only_and_validates():
    model = rt.Autoencoder(2, 4)
    assert fused_objective(model, "sm", lam=0.1) is None
    objective = fused_objective(model, "dae", sigma=0.1)
    params = model.init_params(np.random.default_rng(0))
    with pytest.raises(ValueError, match="noise must have shape"):
        objective(params, np.zeros((3, 2)), np.zeros((3, 1)))
    with pytest.raises(ValueError, match="X must have 2 column"):
        objective(params, np.zeros((3, 1)), np.zeros((3, 1)))
    with pytest.raises(ValueError, match="params"):
        objective(params[:-1], np.zeros((3, 2)), np.zeros((3, 2)))


@pytest.mark.parametrize("criterion", ["dae", "rcae", "cae", "sm"])
def test_fit_uses_the_fused_objective_and_matches_the_composition(criterion, monkeypatch):
    """fit() with the fused objective (default) ends where the composition's path ends."""
    from raetut import training

    rng = np.random.default_rng(3)
    X = rng.standard_normal((200, 2))
    model = rt.Autoencoder(2, 8, activation="tanh")
    kwargs = {"sigma": 0.3} if criterion == "dae" else {"lam": 0.2}
    calls = []
    original = training.fused_objective
    monkeypatch.setattr(training, "fused_objective",
                        lambda *a, **k: calls.append(a[1]) or original(*a, **k))
    fused = rt.fit(model, X, criterion, rng=np.random.default_rng(0), n_iter=20,
                   progress=False, **kwargs)
    assert calls == [criterion]
    monkeypatch.setattr(training, "_USE_FUSED", False)
    old = rt.fit(model, X, criterion, rng=np.random.default_rng(0), n_iter=20,
                 progress=False, **kwargs)
    np.testing.assert_allclose(fused.loss_history, old.loss_history, rtol=1e-6)
    np.testing.assert_allclose(fused.params, old.params, rtol=1e-5, atol=1e-7)


def test_direct_loss_and_grad_equals_the_primitive_through_autograd():
    params, X, noise, _, fused = _setup("rcae", "tanh", False, 2, 8)
    v, g = value_and_grad(fused)(params, X, noise)
    v_direct, g_direct = fused.loss_and_grad(params, X, noise)
    assert v_direct == v
    np.testing.assert_array_equal(g_direct, g)


def test_blocked_sum_equals_one_block(monkeypatch):
    """The objective summed over row blocks equals the one-block value to round-off."""
    from raetut import _fused

    params, X, noise, _, fused = _setup("rcae", "tanh", False, 2, 8)
    whole = fused.loss_and_grad(params, X, noise)
    monkeypatch.setattr(_fused, "_BLOCK_DOUBLES", 8 * 7)  # blocks of 7 rows
    blocked = fused.loss_and_grad(params, X, noise)
    assert blocked[0] == pytest.approx(whole[0], rel=1e-13)
    np.testing.assert_allclose(blocked[1], whole[1], rtol=1e-11, atol=1e-14)
