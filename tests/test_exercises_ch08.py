"""Chapter 8's exercise references, computed otherwise (Gauss-Hermite quadrature, direct
minimisers, a line integral of the tied auto-encoder's field)."""

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.optimize import minimize

import raetut as rt

Z, WEIGHTS = np.polynomial.hermite_e.hermegauss(40)
WEIGHTS = WEIGHTS / WEIGHTS.sum()   # E[f(z)], z ~ N(0, 1), exact for polynomials of degree < 80


def _jsm_by_quadrature(psi, dpsi, m, w):
    x = m + np.sqrt(w) * Z
    return float(np.sum(WEIGHTS * (0.5 * psi(x) ** 2 + dpsi(x))))


@pytest.mark.parametrize("mu, v, m, w", [(0.3, 1.2, -0.4, 0.7), (-1.0, 0.4, 0.5, 2.0)])
def test_ch08_1_is_j_sm_by_quadrature(mu, v, m, w):
    expected = _jsm_by_quadrature(lambda x: -(x - mu) / v, lambda x: -1.0 / v + 0 * x, m, w)
    assert rt.exercises.get("ch08-1").reference(mu, v, m, w) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("m, w", [(-0.4, 0.7), (1.1, 2.5)])
def test_ch08_1_is_minimised_at_the_data_moments_with_the_fisher_floor(m, w):
    f = rt.exercises.get("ch08-1").reference
    best = minimize(lambda t: f(t[0], np.exp(t[1]), m, w), x0=[0.0, 0.0], method="Nelder-Mead",
                    options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 5000})
    np.testing.assert_allclose([best.x[0], np.exp(best.x[1])], [m, w], atol=1e-6)
    # The floor -E[s^2]/2 of the score-matching definition, for s(x) = -(x - m)/w.
    floor = -0.5 * float(np.sum(WEIGHTS * ((np.sqrt(w) * Z) / w) ** 2))
    assert best.fun == pytest.approx(floor, rel=1e-10)


@pytest.mark.parametrize("w, lam", [(0.7, 0.3), (2.0, 1.5), (1.0, 0.01)])
def test_ch08_2_is_the_minimiser_of_the_rcae_loss(w, lam):
    # L_rCAE of r = x + lam psi, psi = -(x - mu)/v, by quadrature (r' = 1 - lam/v), minimised
    # directly over (mu, log v) for data N(0.5, w).
    x = 0.5 + np.sqrt(w) * Z

    def loss(t):
        mu, v = t[0], np.exp(t[1])
        r = x - lam * (x - mu) / v
        return float(np.sum(WEIGHTS * (r - x) ** 2)) + lam * (1 - lam / v) ** 2

    best = minimize(loss, x0=[0.0, 0.0], method="Nelder-Mead",
                    options={"xatol": 1e-11, "fatol": 1e-15, "maxiter": 5000})
    assert best.x[0] == pytest.approx(0.5, abs=1e-6)
    assert rt.exercises.get("ch08-2").reference(w, lam) == pytest.approx(np.exp(best.x[1]),
                                                                          rel=1e-6)


@pytest.mark.parametrize("seed, d, h", [(0, 1, 3), (1, 2, 5), (2, 3, 4)])
def test_ch08_3_is_the_line_integral_of_the_tied_field(seed, d, h):
    rng = np.random.default_rng(seed)
    x, W, b, c = rng.normal(size=d), rng.normal(size=(h, d)), rng.normal(size=h), rng.normal(size=d)

    def field(y):   # r(y) - y for the tied tanh auto-encoder
        return W.T @ np.tanh(W @ y + b) + c - y

    # F(x) = F(0) + int_0^1 (r - id)(t x) . x dt, with F(0) = sum log cosh(b) (the energy
    # vanishes at 0 otherwise).
    path, _ = quad(lambda t: field(t * x) @ x, 0.0, 1.0, epsabs=1e-13, epsrel=1e-13)
    expected = np.sum(np.log(np.cosh(b))) + path
    assert rt.exercises.get("ch08-3").reference(x, W, b, c) == pytest.approx(expected, rel=1e-10)
