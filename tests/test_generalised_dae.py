"""The generalised-DAE chain, the exact mixture posterior and walk-back training."""

import numpy as np
import pytest

import raetut as rt

MIX = rt.GaussianMixture([0.35, 0.65], [-1.5, 1.0], [0.4**2, 0.6**2])
MIX_2D = rt.GaussianMixture([0.5, 0.5], [[-1.0, 0.0], [1.0, 0.5]],
                            [[[0.3, 0.1], [0.1, 0.2]], [[0.2, 0.0], [0.0, 0.4]]])


@pytest.mark.parametrize("density", [MIX, MIX_2D])
def test_posterior_mean_is_the_optimal_denoiser(density):
    # Theorem 1: E[x | x~] = r*_sigma(x~); 20,000 posterior draws at each of 3 points
    sigma = 0.5
    post = rt.mixture_posterior_sampler(density, sigma)
    r = rt.dae_optimum(density, sigma)
    rng = np.random.default_rng(0)
    pts = density.sample(3, rng) + 0.3
    for x in pts:
        draws = post(np.repeat(x[None], 20_000, axis=0), rng)
        se = draws.std(axis=0) / np.sqrt(draws.shape[0])
        assert np.all(np.abs(draws.mean(axis=0) - r(x[None])[0]) < 5 * se)


def test_posterior_joint_law_has_marginal_p():
    # x ~ p, x~ = x + sigma z, x' ~ P(x | x~): x' ~ p (compare CDFs by KS)
    sigma, n = 0.7, 20_000
    rng = np.random.default_rng(1)
    x_tilde = MIX.sample(n, rng) + sigma * rng.standard_normal((n, 1))
    draws = rt.mixture_posterior_sampler(MIX, sigma)(x_tilde, rng)
    ks = rt.ks_distance(draws, rt.mixture_cdf_1d(MIX))
    assert ks < rt.ks_tolerance(n, 1e-3)


def test_deterministic_chain_is_the_ar1_recursion():
    sigma = 0.5
    r = rt.dae_optimum(rt.GaussianMixture([1.0], [0.0], [1.0]), sigma)
    x0 = np.linspace(-2, 2, 5)[:, None]
    run = rt.corrupt_reconstruct_chain(r, x0, 3, sigma, np.random.default_rng(2))
    rng = np.random.default_rng(2)
    x, a = x0, 1 / (1 + sigma**2)
    for t in range(3):
        x = a * (x + sigma * rng.standard_normal(x.shape))
        np.testing.assert_allclose(run.samples[t], x, rtol=1e-12)
    assert run.samples.shape == (3, 5, 1) and run.acceptance_rate == 1.0


def test_chain_bad_input():
    r = rt.dae_optimum(MIX, 0.3)
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="sigma"):
        rt.corrupt_reconstruct_chain(r, np.zeros((2, 1)), 3, -1.0, rng)
    with pytest.raises(TypeError, match="reconstruct"):
        rt.corrupt_reconstruct_chain(None, np.zeros((2, 1)), 3, 0.3, rng)
    with pytest.raises(TypeError, match="posterior"):
        rt.corrupt_reconstruct_chain(r, np.zeros((2, 1)), 3, 0.3, rng, posterior=3)
    with pytest.raises(ValueError, match="posterior"):
        rt.corrupt_reconstruct_chain(None, np.zeros((2, 1)), 3, 0.3, rng,
                                     posterior=lambda X, rng: np.full_like(X, np.nan))
    with pytest.raises(TypeError, match="density"):
        rt.mixture_posterior_sampler("p", 0.3)
    with pytest.raises(ValueError, match="sigma"):
        rt.mixture_posterior_sampler(MIX, 0.0)
    with pytest.raises(ValueError, match="X_tilde"):
        rt.mixture_posterior_sampler(MIX, 0.3)(np.zeros((2, 2)), rng)


def _fitted():
    rng = np.random.default_rng(3)
    X = MIX.sample(100, rng)
    model = rt.Autoencoder(1, 8, activation="tanh")
    res = rt.fit(model, X, criterion="dae", sigma=0.3, rng=rng, n_iter=30, progress=False)
    return model, res.params, X


def test_walkback_corruptions_follow_the_chain():
    model, params, X = _fitted()
    W = rt.walkback_corruptions(model, params, X, 0.3, 3, np.random.default_rng(4))
    assert W.shape == (3, 100, 1)
    rng = np.random.default_rng(4)
    x = X
    for j in range(3):
        xt = x + 0.3 * rng.standard_normal(x.shape)
        np.testing.assert_allclose(W[j], xt, rtol=1e-12)
        x = model.reconstruct(params, xt)


def test_fit_walkback_lowers_its_loss_and_is_seeded():
    model, params, X = _fitted()
    a = rt.fit_walkback(model, X, 0.3, np.random.default_rng(5), params, n_rounds=2,
                        n_iter=20, progress=False)
    b = rt.fit_walkback(model, X, 0.3, np.random.default_rng(5), params, n_rounds=2,
                        n_iter=20, progress=False)
    np.testing.assert_array_equal(a.params, b.params)
    assert a.loss_history[20] <= a.loss_history[0]
    c = rt.fit_walkback(model, X, 0.3, np.random.default_rng(5), params, n_rounds=1,
                        n_iter=5, walkback=False, progress=False)
    assert c.params.shape == params.shape


def test_walkback_bad_input():
    model, params, X = _fitted()
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="n_walk"):
        rt.walkback_corruptions(model, params, X, 0.3, 0, rng)
    with pytest.raises(ValueError, match="params"):
        rt.walkback_corruptions(model, params[:-1], X, 0.3, 2, rng)
    with pytest.raises(TypeError, match="model"):
        rt.walkback_corruptions("m", params, X, 0.3, 2, rng)
    with pytest.raises(ValueError, match="params0"):
        rt.fit_walkback(model, X, 0.3, rng, params[:-1])
    with pytest.raises(TypeError, match="walkback"):
        rt.fit_walkback(model, X, 0.3, rng, params, walkback="yes")
    with pytest.raises(ValueError, match="sigma"):
        rt.fit_walkback(model, X, -0.3, rng, params)
