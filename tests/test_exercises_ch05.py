"""Chapter 5's exercise references, computed otherwise (quadrature of the closed-form
optimum, the grid solver, linear interpolation itself)."""

import numpy as np
import pytest

import raetut as rt


def test_ch05_1_is_the_mean_error_of_the_closed_form_optimum_by_quadrature():
    mu, lam = np.array([0.5, -1.0]), 0.7
    Sigma = np.array([[1.2, 0.5], [0.5, 0.6]])
    z, w = np.polynomial.hermite_e.hermegauss(12)
    w = w / w.sum()
    Z = np.stack(np.meshgrid(z, z, indexing="ij"), axis=-1).reshape(-1, 2)
    X = mu + Z @ np.linalg.cholesky(Sigma).T
    r = rt.gaussian_rcae_optimum(mu, Sigma, lam)
    expected = float(np.sum(np.outer(w, w).ravel() * np.sum((r(X) - X) ** 2, axis=1)))
    assert rt.exercises.get("ch05-1").reference(mu, Sigma, lam) == pytest.approx(expected,
                                                                                 rel=1e-10)


@pytest.mark.parametrize("v, lam", [(0.8, 0.3), (2.0, 1.5)])
def test_ch05_1_is_the_mean_error_of_the_grid_optimum(v, lam):
    # the Euler-Lagrange solver on a wide grid, its squared error integrated against p
    mu = -0.3
    grid = np.linspace(mu - 12 * np.sqrt(v), mu + 12 * np.sqrt(v), 20001)
    log_p = lambda t: -((t - mu) ** 2) / (2 * v)  # noqa: E731
    r = rt.rcae_optimum_1d(log_p, grid, lam)
    p = np.exp(log_p(grid))
    expected = np.trapezoid(p * (r - grid) ** 2, grid) / np.trapezoid(p, grid)
    got = rt.exercises.get("ch05-1").reference(np.array([mu]), np.array([[v]]), lam)
    assert got == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("b, a, h, theta", [(0.3, -1.7, 0.2, 0.3), (-2.0, 0.4, 1.3, 0.85)])
def test_ch05_2_is_what_linear_interpolation_of_the_square_gives(b, a, h, theta):
    x_c = 0.37
    nodes = np.array([x_c - theta * h, x_c + (1 - theta) * h])
    g_squared = (b + a * (nodes - x_c)) ** 2
    interpolated = np.interp(x_c, nodes, g_squared)
    got = rt.exercises.get("ch05-2").reference(b, a, h, theta)
    assert got == pytest.approx(interpolated - b**2, rel=1e-10)
