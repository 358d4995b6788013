"""Chapter 9's exercise references, computed otherwise (quadrature, a recursion, simulation)."""

import numpy as np
import pytest
from scipy import integrate

import raetut as rt

J = np.array([[0.0, -1.0], [1.0, 0.0]])


def _rotational_reconstruction(omega, sigma):
    # r(x) = x + sigma^2 s(x), s(x) = (-I + omega J) x
    A = -np.eye(2) + omega * J
    return lambda X: X + sigma**2 * X @ A.T


@pytest.mark.parametrize("omega", [0.7, -1.3])
def test_ch09_1_is_the_line_integral_by_the_books_quadrature(omega):
    rng = np.random.default_rng(3)
    x, y = rng.normal(0, 1.5, (5, 2)), rng.normal(0, 1.5, (5, 2))
    log_ratio = rt.line_integral_log_ratio(_rotational_reconstruction(omega, 0.3), 0.3,
                                           n_nodes=8)(x, y)
    reference = rt.exercises.get("ch09-1").reference
    expected = [reference(a, b, omega) for a, b in zip(x, y, strict=True)]
    np.testing.assert_allclose(expected, log_ratio, rtol=1e-12, atol=1e-12)


def test_ch09_1_by_adaptive_quadrature_and_its_loop_sum_is_twice_omega_times_the_area():
    omega = 0.9
    A = -np.eye(2) + omega * J
    x, y, z = np.array([0.3, -1.2]), np.array([1.5, 0.4]), np.array([-0.8, 1.1])

    def along(a, b):
        return integrate.quad(lambda t: (A @ (a + t * (b - a))) @ (b - a), 0, 1,
                              epsabs=1e-13)[0]

    reference = rt.exercises.get("ch09-1").reference
    assert reference(x, y, omega) == pytest.approx(along(x, y), abs=1e-12)
    loop = reference(x, y, omega) + reference(y, z, omega) + reference(z, x, omega)
    u, v = y - x, z - x
    signed_area = 0.5 * (u[0] * v[1] - u[1] * v[0])
    # Stokes: the circulation is the curl (2 omega) times the signed area
    assert loop == pytest.approx(2 * omega * signed_area, rel=1e-12)
    assert loop == pytest.approx(along(x, y) + along(y, z) + along(z, x), abs=1e-12)


@pytest.mark.parametrize("x, y", [(0.7, 1.1), (-1.3, 0.2), (1.5, 1.5)])
def test_ch09_2_is_the_exact_difference_minus_the_one_point_rule(x, y):
    # E(y) - E(x) as the integral of E'(t) = t^3, minus the rule E'(x) (y - x)
    exact = integrate.quad(lambda t: t**3, x, y, epsabs=1e-14)[0]
    assert rt.exercises.get("ch09-2").reference(x, y) == pytest.approx(
        exact - x**3 * (y - x), abs=1e-12)


def test_ch09_2_is_of_second_order_in_the_step():
    x = 0.8
    steps = np.array([1e-2, 1e-3])
    errors = np.array([rt.exercises.get("ch09-2").reference(x, x + h) for h in steps])
    # error / h^2 -> E''(x) / 2 = 3 x^2 / 2
    np.testing.assert_allclose(errors / steps**2, 1.5 * x**2, rtol=3e-2)


@pytest.mark.parametrize("w, eta", [(1.0, 0.3), (0.5, 0.9), (2.4, 0.05)])
def test_ch09_3_is_the_fixed_point_of_the_variance_recursion(w, eta):
    # V_{k+1} = (1 - eta / w)^2 V_k + 2 eta, iterated from V_0 = 0
    variance = 0.0
    for _ in range(20000):
        variance = (1 - eta / w) ** 2 * variance + 2 * eta
    assert rt.exercises.get("ch09-3").reference(w, eta) == pytest.approx(variance, rel=1e-10)


def test_ch09_3_by_simulation_with_the_score_of_p_sigma():
    # data N(0, v), score of p_sigma = N(0, v + sigma^2); rt.unadjusted_langevin steps
    # x + (eps^2 / 2) s + eps z, which is the exercise's chain with eps = sqrt(2 eta)
    v, sigma, eta = 0.6, 0.5, 0.4
    p_sigma = rt.GaussianMixture([1.0], [0.0], [v]).smoothed(sigma)
    res = rt.unadjusted_langevin(p_sigma.score, np.zeros((4000, 1)), 300, np.sqrt(2 * eta),
                                 np.random.default_rng(9))
    final = res.samples[-1, :, 0]
    expected = rt.exercises.get("ch09-3").reference(v + sigma**2, eta)
    # 300 steps contract the start by (1 - eta / w)^600 < 1e-40; the sample variance of
    # 4000 Gaussian draws has relative sd sqrt(2 / 4000) = 0.022: 5 sd
    assert np.var(final) == pytest.approx(expected, rel=0.11)
    assert abs(np.var(final) - (v + sigma**2)) > 0.15  # the target's variance is rejected
