"""Chapter 2's exercise references, computed otherwise (quadrature of the posterior mean,
the package's mixture optimum, Tweedie's formula with finite differences)."""

import numpy as np
import pytest
from scipy.integrate import quad

import raetut as rt


def _posterior_mean(log_prior, x_tilde, sigma):
    # E[x | x + eps = x~] = int x p(x) phi(x~ - x) dx / int p(x) phi(x~ - x) dx, by quadrature
    def weight(t):
        return np.exp(log_prior(t) - 0.5 * (x_tilde - t) ** 2 / sigma**2)

    lo, hi = x_tilde - 40 * sigma - 20, x_tilde + 40 * sigma + 20
    kw = dict(epsabs=0, epsrel=1e-13, limit=200, points=[x_tilde])
    return quad(lambda t: t * weight(t), lo, hi, **kw)[0] / quad(weight, lo, hi, **kw)[0]


CASES_TWO = [(1.3, 0.3, -1.5, 1.0, 0.4, 0.6), (-0.2, 0.7, -0.8, 1.7, 0.25, 1.1)]


@pytest.mark.parametrize("x, w, m1, m2, v, sigma", CASES_TWO)
def test_ch02_1_is_the_posterior_mean_by_quadrature(x, w, m1, m2, v, sigma):
    def log_prior(t):
        return np.logaddexp(np.log(w) - 0.5 * (t - m1) ** 2 / v,
                            np.log(1 - w) - 0.5 * (t - m2) ** 2 / v)

    expected = _posterior_mean(log_prior, x, sigma)
    assert rt.exercises.get("ch02-1").reference(x, w, m1, m2, v, sigma) == pytest.approx(
        expected, rel=1e-9)


@pytest.mark.parametrize("x, w, m1, m2, v, sigma", CASES_TWO)
def test_ch02_1_agrees_with_the_package_optimum(x, w, m1, m2, v, sigma):
    mixture = rt.GaussianMixture([w, 1 - w], [m1, m2], [v, v])
    expected = rt.dae_optimum(mixture, sigma)(np.array([[x]]))[0, 0]
    assert rt.exercises.get("ch02-1").reference(x, w, m1, m2, v, sigma) == pytest.approx(
        expected, rel=1e-12)


@pytest.mark.parametrize("x, mu, v, sigma", [(1.7, 0.3, 1.3, 0.4), (-0.8, -1.0, 0.5, 1.1)])
def test_ch02_2_is_the_posterior_mean_minus_the_score(x, mu, v, sigma):
    r = _posterior_mean(lambda t: -0.5 * (t - mu) ** 2 / v, x, sigma)
    expected = (r - x) / sigma**2 - (-(x - mu) / v)
    assert rt.exercises.get("ch02-2").reference(x, mu, v, sigma) == pytest.approx(expected,
                                                                                 rel=1e-8)


def test_ch02_2_leading_term_is_c_dae():
    # the error over sigma^2 tends to c_DAE = (grad s) s = (x - mu)/v^2 (the package's formula)
    x, mu, v = 1.2, 0.1, 0.8
    gaussian = rt.GaussianMixture([1.0], [mu], [v])
    c_dae = rt.dae_score_correction(gaussian, np.array([[x]]))[0, 0]
    ratio = rt.exercises.get("ch02-2").reference(x, mu, v, 1e-3) / 1e-6
    assert ratio == pytest.approx(c_dae, rel=1e-5)


def _tweedie_empirical(x_tilde, points, sigma, h=1e-5):
    # x~ + sigma^2 grad log p_sigma(x~) with p_sigma = mean_i phi_sigma(x~ - x_i),
    # the gradient by central differences
    def log_p_sigma(y):
        return np.log(np.mean(np.exp(-0.5 * np.sum((points - y) ** 2, axis=1) / sigma**2)))

    d = x_tilde.size
    grad = np.array([(log_p_sigma(x_tilde + h * e) - log_p_sigma(x_tilde - h * e)) / (2 * h)
                     for e in np.eye(d)])
    return x_tilde + sigma**2 * grad


@pytest.mark.parametrize("n, d, sigma", [(7, 1, 0.5), (12, 2, 0.8), (9, 3, 1.3)])
def test_ch02_3_is_tweedie_for_the_smoothed_empirical_density(n, d, sigma):
    rng = np.random.default_rng(n)
    points, x_tilde = rng.normal(size=(n, d)), rng.normal(size=d)
    got = rt.exercises.get("ch02-3").reference(x_tilde, points, sigma)
    np.testing.assert_allclose(got, _tweedie_empirical(x_tilde, points, sigma), rtol=0,
                               atol=1e-7)


def test_ch02_3_is_stable_for_small_noise():
    # far below the spacing of the points the optimum is the nearest point (no 0/0)
    points = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    got = rt.exercises.get("ch02-3").reference(np.array([0.9, 0.2]), points, 1e-3)
    np.testing.assert_allclose(got, points[1], atol=1e-12)
