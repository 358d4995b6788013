"""Chapter 4's exercise references, computed otherwise (finite differences, the grid solver
of the Euler-Lagrange equation, a direct minimiser of the discretised criterion)."""

import numpy as np
import pytest

import raetut as rt


def _student_log_p(nu):
    return lambda x: -(nu + 1) / 2 * np.log1p(x**2 / nu)


@pytest.mark.parametrize("nu", [3.0, 7.5])
def test_ch04_1_coefficient_is_s2_plus_s1_s_by_finite_differences(nu):
    # s, s', s'' by central differences of log p itself (not of the typed score)
    x, lam, h = np.linspace(-3.7, 4.1, 9), 0.3, 1e-3
    f = _student_log_p(nu)
    d1 = (f(x + h) - f(x - h)) / (2 * h)
    d2 = (f(x + h) - 2 * f(x) + f(x - h)) / h**2
    d3 = (f(x + 2 * h) - 2 * f(x + h) + 2 * f(x - h) - f(x - 2 * h)) / (2 * h**3)
    expected = x + lam * d1 + lam**2 * (d3 + d2 * d1)
    got = rt.exercises.get("ch04-1").reference(x, lam, nu)
    # the differences err by O(h^2) ~ 1e-6 times derivatives of order 1
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5)


@pytest.mark.parametrize("nu", [3.0, 6.0])
def test_ch04_1_is_the_grid_optimum_to_order_lam_cubed(nu):
    # the rCAE optimum from the Euler-Lagrange solver on a wide interval; the second-order
    # prediction misses it by O(lam^3), the first-order one by O(lam^2)
    grid = np.linspace(-20.0, 20.0, 16001)
    inner = np.abs(grid) <= 3.0
    reference = rt.exercises.get("ch04-1").reference
    for lam in (0.05, 0.025):
        r = rt.rcae_optimum_1d(_student_log_p(nu), grid, lam)
        second = np.max(np.abs(r - reference(grid, lam, nu))[inner])
        f = _student_log_p(nu)
        s = (f(grid + 1e-5) - f(grid - 1e-5)) / 2e-5
        first = np.max(np.abs(r - grid - lam * s)[inner])
        assert second < 10 * lam**3 < first


@pytest.mark.parametrize("v, lam", [(0.8, 0.3), (2.0, 1.5)])
def test_ch04_2_is_the_minimum_of_the_discretised_criterion(v, lam):
    # 1-D, N(0.4, v): minimise the discretised criterion over all grid functions (the solver)
    # and evaluate it; the mean must drop out
    mu = 0.4
    grid = np.linspace(mu - 12 * np.sqrt(v), mu + 12 * np.sqrt(v), 20001)
    log_p = lambda t: -((t - mu) ** 2) / (2 * v)  # noqa: E731
    r = rt.rcae_optimum_1d(log_p, grid, lam)
    p = np.exp(log_p(grid))
    p /= np.trapezoid(p, grid)
    mid = np.exp(log_p((grid[1:] + grid[:-1]) / 2)) / np.trapezoid(np.exp(log_p(grid)), grid)
    value = (np.trapezoid(p * (r - grid) ** 2, grid)
             + lam * np.sum(mid * np.diff(r) ** 2 / np.diff(grid)))
    got = rt.exercises.get("ch04-2").reference(np.array([mu]), np.array([[v]]), lam)
    assert got == pytest.approx(value, rel=1e-6)


def test_ch04_2_in_two_dimensions_is_the_criterion_of_the_closed_form_optimum():
    # E||A(x - mu) + mu - x||^2 + lam ||A||_F^2 at A from rt.gaussian_rcae_optimum, by
    # Gauss-Hermite quadrature, and no affine map does better (random perturbations)
    rng = np.random.default_rng(3)
    mu, lam = np.array([0.5, -1.0]), 0.7
    Sigma = np.array([[1.2, 0.5], [0.5, 0.6]])
    z, w = np.polynomial.hermite_e.hermegauss(12)
    w = w / w.sum()
    Z = np.stack(np.meshgrid(z, z, indexing="ij"), axis=-1).reshape(-1, 2)
    W = np.outer(w, w).ravel()
    X = mu + Z @ np.linalg.cholesky(Sigma).T
    r = rt.gaussian_rcae_optimum(mu, Sigma, lam)
    A = (r(mu + np.eye(2)) - r(mu[None, :])).T               # the Jacobian of the affine map

    def criterion(A, b):
        R = X @ A.T + b
        return float(np.sum(W * np.sum((R - X) ** 2, axis=1)) + lam * np.sum(A**2))

    best = criterion(A, r(np.zeros((1, 2)))[0])
    assert rt.exercises.get("ch04-2").reference(mu, Sigma, lam) == pytest.approx(best,
                                                                                 rel=1e-10)
    for _ in range(5):
        assert criterion(A + 1e-2 * rng.normal(size=(2, 2)),
                         r(np.zeros((1, 2)))[0] + 1e-2 * rng.normal(size=2)) > best
