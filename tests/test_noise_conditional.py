"""The noise-conditional network and the reverse-SDE / probability-flow samplers."""

import numpy as np
import pytest

import raetut as rt
from raetut import noise_conditional as nc


def _gaussian_score(X, sigma, v=1.0):
    return -np.asarray(X) / (v + sigma**2)


def test_denoiser_score_noise_are_one_object():
    net = nc.NoiseConditionalNet(d=2, hidden=5, scale=1.0)
    p = net.init(np.random.default_rng(0))
    X = np.random.default_rng(1).normal(size=(7, 2))
    for sg in (0.1, 2.0):
        r, s, e = net.denoise(p, X, sg), net.score(p, X, sg), net.z_hat(p, X, sg)
        np.testing.assert_allclose(r, X + sg**2 * s, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(r, X - sg * e, rtol=1e-12, atol=1e-12)


def test_fit_learns_gaussian_score():
    X = np.random.default_rng(0).normal(size=(800, 2))
    fit = nc.fit_noise_conditional(X, 0.3, 3.0, np.random.default_rng(1), hidden=8, n_iter=150)
    Y = np.random.default_rng(2).normal(size=(500, 2)) * np.sqrt(2.0)
    err = np.sqrt(np.mean((fit.score(Y, 1.0) - _gaussian_score(Y, 1.0)) ** 2)
                  / np.mean(_gaussian_score(Y, 1.0) ** 2))
    assert err < 0.3


def test_samplers_on_gaussian():
    """Exact Gaussian score: SDE and ODE map N(0, (1 + s1^2) I) to about N(0, (1 + sK^2) I)."""
    rng = np.random.default_rng(0)
    sig = np.geomspace(5.0, 0.05, 200)
    x0 = rng.normal(size=(4000, 2)) * np.sqrt(1 + 25.0)
    sde = nc.reverse_ve_sde(_gaussian_score, sig, x0, rng)
    ode = nc.probability_flow_ode(_gaussian_score, sig, x0)
    assert sde.n_evals == 199 and ode.n_evals == 398
    assert abs(sde.samples.var() - 1.0025) < 0.1
    assert abs(ode.samples.var() - 1.0025) < 0.1


def test_bad_input():
    net = nc.NoiseConditionalNet(d=2, hidden=3)
    p = net.init(np.random.default_rng(0))
    with pytest.raises(ValueError, match="sigma"):
        net.score(p, np.zeros((2, 2)), -1.0)
    with pytest.raises(ValueError, match="X"):
        net.score(p, np.zeros((2, 3)), 1.0)
    with pytest.raises(TypeError, match="rng"):
        net.init(0)
    with pytest.raises(ValueError, match="sigma_max"):
        nc.fit_noise_conditional(np.zeros((5, 2)), 2.0, 1.0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="sigmas"):
        nc.probability_flow_ode(_gaussian_score, [0.1, 1.0], np.zeros((2, 2)))
    with pytest.raises(TypeError, match="rng"):
        nc.reverse_ve_sde(_gaussian_score, [1.0, 0.1], np.zeros((2, 2)), None)
    assert rt is not None
