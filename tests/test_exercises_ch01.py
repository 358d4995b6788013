"""Chapter 1's exercise references, computed otherwise (a direct minimiser, quadrature)."""

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.optimize import minimize

import raetut as rt

Z, W = np.polynomial.hermite_e.hermegauss(40)
W = W / W.sum()  # E[f(z)], z ~ N(0, 1), exact for polynomials of degree < 80


def _affine_dae_loss(a, b, mu, v, sigma):
    # E[(a (x + eps) + b - x)^2] by quadrature, x ~ N(mu, v), eps ~ N(0, sigma^2)
    x, eps = mu + np.sqrt(v) * Z[:, None], sigma * Z[None, :]
    return np.sum(W[:, None] * W[None, :] * (a * (x + eps) + b - x) ** 2)


@pytest.mark.parametrize("mu, v, sigma", [(0.3, 1.3, 0.4), (-1.0, 0.5, 1.1)])
def test_ch01_1_is_the_minimum_over_affine_maps(mu, v, sigma):
    best = minimize(lambda ab: _affine_dae_loss(ab[0], ab[1], mu, v, sigma), x0=[1.0, 0.0],
                    method="BFGS", options={"gtol": 1e-12})
    assert rt.exercises.get("ch01-1").reference(v, sigma) == pytest.approx(best.fun, rel=1e-9)


@pytest.mark.parametrize("x, mu, v, sigma", [(1.7, 0.3, 1.3, 0.4), (-0.8, -1.0, 0.5, 1.1)])
def test_ch01_2_is_the_field_of_the_posterior_mean(x, mu, v, sigma):
    # E[x | x~] by quadrature of p(x) phi_sigma(x~ - x), then minus x~
    def weight(t):
        return np.exp(-0.5 * (t - mu) ** 2 / v - 0.5 * (x - t) ** 2 / sigma**2)

    mean = quad(lambda t: t * weight(t), -np.inf, np.inf, epsabs=0, epsrel=1e-13)[0] / quad(
        weight, -np.inf, np.inf, epsabs=0, epsrel=1e-13)[0]
    assert rt.exercises.get("ch01-2").reference(x, mu, v, sigma) == pytest.approx(mean - x,
                                                                                 rel=1e-9)


@pytest.mark.parametrize("x, delta, mu, v", [(1.7, 0.4, 0.3, 1.3), (-0.8, 1.2, -1.0, 0.5)])
def test_ch01_3_is_the_mean_in_the_interval_by_quadrature(x, delta, mu, v):
    def density(t):
        return np.exp(-0.5 * (t - mu) ** 2 / v)

    lo, hi = x - delta, x + delta
    mean = quad(lambda t: t * density(t), lo, hi, epsabs=0, epsrel=1e-13)[0] / quad(
        density, lo, hi, epsabs=0, epsrel=1e-13)[0]
    assert rt.exercises.get("ch01-3").reference(x, delta, mu, v) == pytest.approx(mean, rel=1e-10)


def test_ch01_3_approaches_the_ball_expansion():
    # (m - x)/delta^2 -> s(x)/(d + 2) with d = 1, and the remainder is o(delta^2)
    x, mu, v = 0.9, 0.2, 0.7
    score = -(x - mu) / v
    ratios = [(rt.exercises.get("ch01-3").reference(x, dl, mu, v) - x) / dl**2 / score
              for dl in (0.1, 0.01)]
    assert abs(ratios[1] - 1 / 3) < abs(ratios[0] - 1 / 3) / 50
    assert ratios[1] == pytest.approx(1 / 3, rel=1e-3)
