"""Chapter 6's exercise references, computed otherwise (quadrature, a direct minimiser)."""

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

import raetut as rt

Z, W = np.polynomial.hermite_e.hermegauss(40)
W = W / W.sum()  # E[f(z)], z ~ N(0, 1), exact for polynomials of degree < 80


@pytest.mark.parametrize("v, sigma", [(1.3, 0.4), (0.5, 1.1), (2.0, 0.05)])
def test_ch06_1_is_the_relative_weighted_bias_by_quadrature(v, sigma):
    # The scores of p = N(0.3, v) and of p_sigma, the latter from rt's Gaussian mixture.
    density = rt.GaussianMixture([1.0], [[0.3]], [[[v]]])
    x = (0.3 + np.sqrt(v) * Z)[:, None]
    s, s_sigma = density.score(x)[:, 0], density.smoothed(sigma).score(x)[:, 0]
    expected = np.sqrt(np.sum(W * (s_sigma - s) ** 2) / np.sum(W * s**2))
    assert rt.exercises.get("ch06-1").reference(v, sigma) == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("a, b, M", [(3.4, 2.8, 1000.0), (0.7, 4.0, 50.0), (2.0, 1.0, 1e5)])
def test_ch06_2_is_the_minimiser_of_the_error_model(a, b, M):
    best = minimize_scalar(lambda s: a**2 * s**4 + b**2 / (M * s**2), bounds=(1e-4, 10.0),
                           method="bounded", options={"xatol": 1e-12}).x
    assert rt.exercises.get("ch06-2").reference(a, b, M) == pytest.approx(best, rel=1e-7)
