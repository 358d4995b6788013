"""Chapter 7's exercise references, computed otherwise (quadrature over the ring, finite
differences of the smoothed density)."""

import numpy as np
import pytest

import raetut as rt

THETA = np.linspace(0.0, 2 * np.pi, 20000, endpoint=False)  # periodic: spectrally accurate


def _ring(R):
    return R * np.column_stack([np.cos(THETA), np.sin(THETA)])


@pytest.mark.parametrize("x, R, sigma", [((0.9, 0.7), 1.3, 0.4), ((-0.3, 0.55), 0.6, 0.25),
                                         ((2.2, -0.1), 2.0, 0.2)])
def test_ch07_1_is_the_posterior_mean_by_quadrature(x, R, sigma):
    x, ring = np.asarray(x), _ring(R)
    log_weight = -np.sum((x - ring) ** 2, axis=1) / (2 * sigma**2)
    weight = np.exp(log_weight - log_weight.max())
    mean = weight @ ring / weight.sum()
    np.testing.assert_allclose(rt.exercises.get("ch07-1").reference(x, R, sigma), mean,
                               rtol=1e-10)


def _log_p_sigma(x, R, s):
    """log of (uniform on the circle of radius R) * N(0, s^2 I), up to a constant."""
    log_kernel = -np.sum((x - _ring(R)) ** 2, axis=1) / (2 * s**2)
    top = log_kernel.max()
    return top + np.log(np.mean(np.exp(log_kernel - top)))


@pytest.mark.parametrize("R, w, sigma", [(1.0, 0.02, 0.1), (0.7, 0.01, 0.05), (1.5, 0.05, 0.2)])
def test_ch07_2_matches_the_exact_jacobian_on_the_ring(R, w, sigma):
    # The blurred ring smoothed by the corruption is the circle * N(0, s^2 I), s^2 = w^2 + sigma^2.
    # J = I + sigma^2 Hess log p_sigma at (R, 0), by central differences: along is e_2, across e_1.
    s = np.hypot(w, sigma)
    h, x0 = 1e-3 * s, np.array([R, 0.0])
    hessian = np.empty((2, 2))
    for i, j in np.ndindex(2, 2):
        a, b = h * np.eye(2)[i], h * np.eye(2)[j]
        hessian[i, j] = (_log_p_sigma(x0 + a + b, R, s) - _log_p_sigma(x0 + a - b, R, s)
                         - _log_p_sigma(x0 - a + b, R, s) + _log_p_sigma(x0 - a - b, R, s)
                         ) / (4 * h**2)
    jacobian = np.eye(2) + sigma**2 * hessian
    exact = np.array([jacobian[1, 1], jacobian[0, 0]])
    # The expansion drops the next order of I_1/I_0, sigma^2 s^2 kappa^4 times 1/8 (along) and
    # 1/4 (across); the finite differences add O(h^2) relative error.
    np.testing.assert_allclose(rt.exercises.get("ch07-2").reference(R, w, sigma), exact,
                               rtol=0, atol=0.5 * sigma**2 * s**2 / R**4)
    assert abs(jacobian[0, 1]) < 1e-6   # the axes are the eigenvectors
