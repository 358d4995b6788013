"""raetut.empirical: the exact optimal DAE of a training set, computed otherwise."""

import numpy as np
import pytest

import raetut as rt


def _sample(n=40, d=3, seed=0):
    return np.random.default_rng(seed).normal(size=(n, d))


def test_denoiser_is_tweedie_of_the_kernel_density_estimate():
    X, sigma = _sample(), 0.7
    Z = _sample(7, seed=1)
    np.testing.assert_allclose(rt.empirical_denoiser(X, sigma)(Z),
                               rt.empirical_dae_optimum(X, sigma)(Z), atol=1e-12)


def test_weights_and_log_density_by_brute_force():
    X, sigma = _sample(), 0.5
    Z = _sample(5, seed=2)
    d2 = np.sum((Z[:, None, :] - X[None]) ** 2, axis=2)
    phi = np.exp(-d2 / (2 * sigma**2)) / (2 * np.pi * sigma**2) ** (X.shape[1] / 2)
    np.testing.assert_allclose(rt.empirical_posterior_weights(X, sigma)(Z),
                               phi / phi.sum(1, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(rt.empirical_log_density(X, sigma)(Z), np.log(phi.mean(1)),
                               rtol=1e-12)


def test_posterior_covariance_is_the_jacobian_over_sigma_squared():
    X, sigma = _sample(), 0.6
    Z = _sample(4, seed=3)
    J = rt.finite_difference_jacobian(rt.empirical_denoiser(X, sigma), Z, step=1e-5)
    C = rt.empirical_posterior_covariance(X, sigma)(Z)
    np.testing.assert_allclose(C / sigma**2, J, atol=1e-8)
    assert np.min(np.linalg.eigvalsh(C)) > -1e-14


def test_small_noise_returns_the_nearest_training_point_far_noise_the_mean():
    X = _sample()
    Z = X[:5] + 1e-3
    np.testing.assert_allclose(rt.empirical_denoiser(X, 0.01)(Z), X[:5], atol=1e-12)
    np.testing.assert_allclose(rt.empirical_denoiser(X, 1e3)(Z), np.tile(X.mean(0), (5, 1)),
                               atol=1e-4)
    distances, indices = rt.nearest_neighbours(Z, X)
    np.testing.assert_array_equal(indices, np.arange(5))
    np.testing.assert_allclose(distances, np.sqrt(3) * 1e-3, rtol=1e-9)


def test_gaussian_fit_denoiser_matches_the_closed_form_and_handles_a_constant_pixel():
    X, sigma = _sample(200, 3), 0.4
    m, C = X.mean(0), np.cov(X.T, bias=True)
    Z = _sample(6, seed=4)
    np.testing.assert_allclose(rt.gaussian_fit_denoiser(X, sigma)(Z),
                               rt.gaussian_dae_optimum(m, C, sigma)(Z), atol=1e-12)
    X0 = np.hstack([X, np.zeros((200, 1))])       # a pixel that is always 0
    out = rt.gaussian_fit_denoiser(X0, sigma)(np.hstack([Z, np.ones((6, 1))]))
    np.testing.assert_allclose(out[:, 3], 0.0, atol=1e-12)


def test_denoising_error_of_the_identity_is_sigma_squared():
    X = _sample(2000, 4)
    err = rt.denoising_error(lambda Z: Z, X, 0.5, np.random.default_rng(0))
    assert err == pytest.approx(0.25, rel=0.03)


def test_digits_split():
    split = rt.digits_split(1500, np.random.default_rng(0))
    assert split.train.shape == (1500, 64) and split.test.shape == (297, 64)
    assert split.train.min() == 0.0 and split.train.max() == 1.0
    assert len(set(map(bytes, np.vstack([split.train, split.test])))) > 1700


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: rt.empirical_denoiser(np.zeros(3), 0.1), ValueError, "X"),
        (lambda: rt.empirical_denoiser(np.zeros((3, 2)), 0.0), ValueError, "sigma"),
        (lambda: rt.empirical_denoiser(np.zeros((3, 2)), 0.1)(np.zeros((1, 3))), ValueError, "Z"),
        (lambda: rt.empirical_log_density(np.zeros((3, 2)), -1.0), ValueError, "sigma"),
        (lambda: rt.nearest_neighbours(np.zeros((1, 3)), np.zeros((3, 2))), ValueError, "Z"),
        (lambda: rt.denoising_error(3, np.zeros((3, 2)), 0.1, np.random.default_rng(0)),
         TypeError, "reconstruct"),
        (lambda: rt.denoising_error(lambda Z: Z, np.zeros((3, 2)), 0.1, 0), TypeError, "rng"),
        (lambda: rt.digits_split(1797, np.random.default_rng(0)), ValueError, "n_train"),
        (lambda: rt.gaussian_fit_denoiser([[np.nan, 0.0]], 0.1), ValueError, "X"),
    ],
)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()
