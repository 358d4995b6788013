"""Chapter 3's exercise references, computed otherwise (quadrature, a direct minimiser)."""

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

import raetut as rt

Z, W = np.polynomial.hermite_e.hermegauss(40)
W = W / W.sum()  # E[f(z)], z ~ N(0, 1), exact for polynomials of degree < 80


def _dae_and_rcae(r, dr, v, sigma):
    x, eps = np.sqrt(v) * Z[:, None], sigma * Z[None, :]
    dae = np.sum(W[:, None] * W[None, :] * (r(x + eps) - x) ** 2)
    x = np.sqrt(v) * Z
    rcae = np.sum(W * (r(x) - x) ** 2) + sigma**2 * np.sum(W * dr(x) ** 2)
    return dae, rcae


@pytest.mark.parametrize("theta, v, sigma", [(0.7, 1.3, 0.4), (-0.2, 0.5, 1.1)])
def test_ch03_1_is_the_dae_loss_by_quadrature(theta, v, sigma):
    dae, _ = _dae_and_rcae(lambda y: theta * y, lambda y: theta + 0 * y, v, sigma)
    assert rt.exercises.get("ch03-1").reference(theta, v, sigma) == pytest.approx(dae, rel=1e-12)


@pytest.mark.parametrize("v, lam", [(1.3, 0.4), (0.5, 1.7)])
def test_ch03_2_is_the_minimiser_of_the_rcae_loss(v, lam):
    best = minimize_scalar(lambda t: (t - 1) ** 2 * v + lam * t**2, bounds=(-5, 5),
                           method="bounded", options={"xatol": 1e-12}).x
    assert rt.exercises.get("ch03-2").reference(v, lam) == pytest.approx(best, abs=1e-8)


@pytest.mark.parametrize("a, v, sigma", [(0.3, 0.8, 0.5), (-0.4, 1.7, 0.2)])
def test_ch03_3_is_the_exact_gap_by_quadrature(a, v, sigma):
    dae, rcae = _dae_and_rcae(lambda y: y + a * y**3, lambda y: 1 + 3 * a * y**2, v, sigma)
    assert rt.exercises.get("ch03-3").reference(a, v, sigma) == pytest.approx(dae - rcae,
                                                                             rel=1e-10)
