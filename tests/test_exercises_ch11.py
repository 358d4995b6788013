"""Chapter 11's exercise references, computed otherwise (finite differences of the package's
softmax denoiser, Gaussian conditioning by a linear solve and by regression on samples, the
small-sigma limit of the package's optimum)."""

import numpy as np
import pytest

import raetut as rt


def _reference(key):
    return rt.exercises.get(key).reference


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ch11_1_is_the_jacobian_of_the_softmax_denoiser(seed):
    rng = np.random.default_rng(seed)
    points = rng.normal(size=(7, 3))
    x_tilde, sigma, h = points[1] + 0.4 * rng.normal(size=3), 0.8, 1e-5
    r = rt.empirical_denoiser(points, sigma)
    # central differences, column j = d r / d x~_j
    steps = h * np.eye(3)
    fd = np.stack([(r((x_tilde + e)[None])[0] - r((x_tilde - e)[None])[0]) / (2 * h)
                   for e in steps], axis=1)
    np.testing.assert_allclose(_reference("ch11-1")(x_tilde, points, sigma), fd,
                               rtol=1e-6, atol=1e-9)


def test_ch11_1_is_symmetric_positive_semidefinite():
    rng = np.random.default_rng(3)
    points = rng.normal(size=(9, 4))
    J = _reference("ch11-1")(rng.normal(size=4), points, 0.6)
    np.testing.assert_allclose(J, J.T, atol=1e-14)
    assert np.min(np.linalg.eigvalsh(J)) > -1e-12


@pytest.mark.parametrize("d, rank", [(3, 2), (5, 3)])
def test_ch11_2_is_gaussian_conditioning(d, rank):
    rng = np.random.default_rng(d)
    A = rng.normal(size=(d, rank))
    mean, cov, x_tilde, sigma = rng.normal(size=d), A @ A.T, rng.normal(size=d), 0.7
    # E[x | x~] = m + Cov(x, x~) Cov(x~)^(-1) (x~ - m), with Cov(x~) = C + sigma^2 I invertible
    expected = mean + cov @ np.linalg.solve(cov + sigma**2 * np.eye(d), x_tilde - mean)
    np.testing.assert_allclose(_reference("ch11-2")(x_tilde, mean, cov, sigma), expected,
                               rtol=1e-10, atol=1e-12)


def test_ch11_2_is_the_regression_of_x_on_x_tilde():
    # least squares of x on (1, x~) over samples estimates the affine posterior mean;
    # with 400k samples its prediction at x~ is within a few 1e-3 (standard error ~1e-3)
    rng = np.random.default_rng(11)
    d, sigma = 3, 0.8
    A = rng.normal(size=(d, 2))
    mean = rng.normal(size=d)
    x = mean + rng.normal(size=(400_000, 2)) @ A.T
    x_tilde = x + sigma * rng.standard_normal(x.shape)
    design = np.hstack([np.ones((len(x), 1)), x_tilde])
    coef, *_ = np.linalg.lstsq(design, x, rcond=None)
    point = rng.normal(size=d)
    predicted = np.concatenate([[1.0], point]) @ coef
    np.testing.assert_allclose(_reference("ch11-2")(point, mean, A @ A.T, sigma), predicted,
                               atol=1e-2)


def test_ch11_2_agrees_with_the_package_baseline_on_data():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(50, 4)) @ rng.normal(size=(4, 6))      # rank 4 in d = 6
    mean, cov = X.mean(axis=0), np.cov(X.T, bias=True)
    z = rng.normal(size=6)
    np.testing.assert_allclose(_reference("ch11-2")(z, mean, cov, 0.5),
                               rt.gaussian_fit_denoiser(X, 0.5)(z[None])[0], rtol=1e-9,
                               atol=1e-12)


def test_ch11_3_is_the_small_sigma_limit_of_the_optimum():
    rng = np.random.default_rng(7)
    train, heldout, sigma = rng.normal(size=(12, 5)), rng.normal(size=(6, 5)), 1e-4
    noisy = heldout + sigma * rng.standard_normal(heldout.shape)
    error = np.mean((rt.empirical_denoiser(train, sigma)(noisy) - heldout) ** 2)
    assert _reference("ch11-3")(heldout, train) == pytest.approx(error, rel=1e-3)


def test_ch11_3_agrees_with_nearest_neighbours():
    rng = np.random.default_rng(8)
    train, heldout = rng.normal(size=(20, 3)), rng.normal(size=(9, 3))
    distances, _ = rt.nearest_neighbours(heldout, train)
    assert _reference("ch11-3")(heldout, train) == pytest.approx(np.mean(distances**2) / 3,
                                                                 rel=1e-12)
