"""Chapter 14's exercise references, computed otherwise (quadrature, an ODE solver)."""

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import raetut as rt

Z, W = np.polynomial.hermite_e.hermegauss(80)
W = W / W.sum()


def _posterior_mean_noise(xt, sigma, omega):
    """E[z | x~] by quadrature over z with weight N(x~ - sigma z; 0, omega^2)."""
    z = np.linspace(-12, 12, 200001)
    w = np.exp(-0.5 * z**2 - 0.5 * (xt - sigma * z) ** 2 / omega**2)
    return float(np.sum(w * z) / np.sum(w))


@pytest.mark.parametrize("xt, sigma, omega", [(1.3, 0.4, 0.7), (-2.0, 1.5, 0.3)])
def test_ch14_1_is_the_posterior_mean(xt, sigma, omega):
    ref = rt.exercises.get("ch14-1").reference(xt, sigma, omega)
    assert ref == pytest.approx(_posterior_mean_noise(xt, sigma, omega), rel=1e-8)


@pytest.mark.parametrize("a, sigma, omega", [(0.3, 0.4, 0.7), (-0.5, 1.5, 0.3)])
def test_ch14_2_is_the_loss_gap(a, sigma, omega):
    x, z = omega * Z[:, None], Z[None, :]
    xt = x + sigma * z
    ww = W[:, None] * W[None, :]
    a_star = sigma / (omega**2 + sigma**2)
    gap = np.sum(ww * (a * xt - z) ** 2) - np.sum(ww * (a_star * xt - z) ** 2)
    assert rt.exercises.get("ch14-2").reference(a, sigma, omega) == pytest.approx(gap, rel=1e-9)


@pytest.mark.parametrize("x1, s1, s2, omega", [(1.3, 4.0, 0.1, 0.7), (-2.0, 2.0, 1.0, 0.3)])
def test_ch14_3_is_the_ode_solution(x1, s1, s2, omega):
    sol = solve_ivp(lambda v, x: -0.5 * (-x / (omega**2 + v)), (s1**2, s2**2), [x1],
                    rtol=1e-12, atol=1e-12)
    ref = rt.exercises.get("ch14-3").reference(x1, s1, s2, omega)
    assert ref == pytest.approx(sol.y[0, -1], rel=1e-8)
