"""Tests of raetut.optimal: exact optima against independent numerical solutions."""

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad, hessian, jacobian
from scipy import integrate, stats

import raetut as rt


def _log_p_1d(density):
    """``(m,) -> (m,)`` log-density of a 1-D density object."""
    return lambda x: density.log_prob(np.reshape(x, (-1, 1)))


def _slope(x, y):
    return np.polyfit(np.log(x), np.log(y), 1)[0]


# -- Theorem 1: the optimal DAE -------------------------------------------------------------


def test_dae_optimum_is_posterior_mean_in_1d(mixture_1d):
    sigma = 0.4
    r = rt.dae_optimum(mixture_1d, sigma)
    for x_tilde in (-3.0, -1.0, 0.2, 1.7, 4.0):

        def weight(x, x_tilde=x_tilde):
            return mixture_1d.prob(np.array([[x]]))[0] * stats.norm.pdf(x_tilde - x, scale=sigma)

        peaks = [-2.0, 0.5, 2.5, x_tilde]
        num = integrate.quad(lambda x, w=weight: x * w(x), -12, 12, points=peaks, epsabs=0)[0]
        den = integrate.quad(weight, -12, 12, points=peaks, epsabs=0)[0]
        np.testing.assert_allclose(r(np.array([[x_tilde]]))[0, 0], num / den, rtol=1e-9)


def test_dae_optimum_is_posterior_mean_in_2d(mixture_2d):
    # E[x | x~] = int p(x~ + sqrt2 sigma z) (x~ + sqrt2 sigma z) e^{-|z|^2} dz / (same without x),
    # by tensor-product Gauss-Hermite with 80 x 80 nodes (converged to ~1e-15 at these sigmas).
    z, w = np.polynomial.hermite.hermgauss(80)
    Z = np.stack(np.meshgrid(z, z, indexing="ij"), axis=-1).reshape(-1, 2)
    W = np.outer(w, w).ravel()
    X_tilde = np.array([[0.0, 0.0], [1.0, 1.0], [-2.0, 1.0], [3.0, -2.0]])
    for sigma in (0.2, 0.5, 1.0):
        expected = []
        for x_tilde in X_tilde:
            P = x_tilde + np.sqrt(2) * sigma * Z
            q = W * mixture_2d.prob(P)
            expected.append(q @ P / q.sum())
        actual = rt.dae_optimum(mixture_2d, sigma)(X_tilde)
        np.testing.assert_allclose(actual, np.array(expected), atol=1e-12)


def test_dae_optimum_1d_matches_closed_form(mixture_1d):
    grid = np.linspace(-10, 10, 2001)
    interior = np.abs(grid) < 5
    for sigma in (0.05, 0.3, 1.0):
        exact = rt.dae_optimum(mixture_1d, sigma)(grid[:, None])[:, 0]
        quad = rt.dae_optimum_1d(_log_p_1d(mixture_1d), grid, sigma)
        # The trapezoid rule is spectrally accurate for these smooth, fast-decaying integrands.
        np.testing.assert_allclose(quad[interior], exact[interior], atol=1e-10)


def test_dae_optimum_1d_is_stable_for_tiny_densities():
    gm = rt.GaussianMixture([1.0], [0.0], [1e-2])
    grid = np.linspace(-30, 30, 3001)  # log p reaches -45000 at the ends
    r = rt.dae_optimum_1d(_log_p_1d(gm), grid, 0.5)
    assert np.all(np.isfinite(r))
    exact = rt.gaussian_dae_optimum(0.0, 1e-2, 0.5)(grid[:, None])[:, 0]
    inside = np.abs(grid) < 3
    np.testing.assert_allclose(r[inside], exact[inside], atol=1e-8)


def test_dae_optimum_is_differentiable(mixture_2d):
    r = rt.dae_optimum(mixture_2d, 0.3)
    x = np.array([0.4, -0.3])
    J = jacobian(lambda v: r(anp.reshape(v, (1, 2)))[0])(x)
    smooth = mixture_2d.smoothed(0.3)
    np.testing.assert_allclose(J, np.eye(2) + 0.09 * smooth.hessian_log_prob(x[None])[0])


def test_gaussian_dae_optimum_matches_one_component_mixture():
    mean, cov = np.array([0.5, -1.0, 0.2]), np.array([[2, 0.6, 0], [0.6, 1, 0.3], [0, 0.3, 0.5]])
    X = np.random.default_rng(2).normal(size=(7, 3))
    for sigma in (0.1, 1.0, 3.0):
        closed = rt.gaussian_dae_optimum(mean, cov, sigma)(X)
        tweedie = rt.dae_optimum(rt.GaussianMixture([1.0], mean[None], cov[None]), sigma)(X)
        np.testing.assert_allclose(closed, tweedie, rtol=1e-12, atol=1e-12)


def test_dae_expansion_second_order_term(mixture_1d, mixture_2d):
    """r - x - sigma^2 s = sigma^4 (Delta s / 2 + (grad s) s) + O(sigma^6)."""
    sigmas = np.array([0.08, 0.04, 0.02, 0.01])
    for gm, X in (
        (mixture_1d, np.linspace(-3, 3.5, 27)[:, None]),
        (mixture_2d, np.random.default_rng(5).normal(size=(20, 2))),
    ):
        s, coefficient = gm.score(X), rt.dae_score_correction(gm, X)
        score_error, residual = [], []
        for sigma in sigmas:
            r = rt.dae_optimum(gm, sigma)(X)
            score_error.append(np.max(np.abs((r - X) / sigma**2 - s)))
            residual.append(np.max(np.abs((r - X - sigma**2 * s) / sigma**4 - coefficient)))
        assert abs(_slope(sigmas, score_error) - 2) < 0.05
        assert abs(_slope(sigmas, residual) - 2) < 0.1  # the O(sigma^6) remainder
        assert residual[-1] < 1e-2 * np.max(np.abs(coefficient))


def test_corrections_for_a_gaussian():
    """For N(mu, Sigma): Delta s = 0, so both coefficients are (grad s) s = -P s."""
    mean, cov = np.array([0.2, -0.4]), np.array([[1.5, 0.3], [0.3, 0.6]])
    gm = rt.GaussianMixture([1.0], mean[None], cov[None])
    X = np.random.default_rng(0).normal(size=(5, 2))
    expected = -gm.score(X) @ np.linalg.inv(cov)
    np.testing.assert_allclose(rt.dae_score_correction(gm, X), expected, rtol=1e-12)
    np.testing.assert_allclose(rt.rcae_score_correction(gm, X), expected, rtol=1e-12)
    # ... which is the sigma^4 term of the closed form's series (I + sigma^2 P)^{-1}.
    sigma = 1e-2
    r = rt.gaussian_dae_optimum(mean, cov, sigma)(X)
    np.testing.assert_allclose((r - X - sigma**2 * gm.score(X)) / sigma**4, expected, rtol=1e-3)


# -- Theorem 2: the optimal rCAE in 1-D ---------------------------------------------------


def _ode_solution(log_p, a, b, lam, r_init):
    """(p r')' = p (r - x) / lam with p r' = 0 at both ends, by scipy's collocation BVP solver."""
    x0 = np.linspace(a, b, r_init.size)

    def rhs(x, y):
        p = np.exp(log_p(x))
        return np.vstack([y[1] / p, p * (y[0] - x) / lam])

    def boundary(ya, yb):
        return np.array([ya[1], yb[1]])

    y0 = np.vstack([r_init, np.exp(log_p(x0)) * np.gradient(r_init, x0)])
    sol = integrate.solve_bvp(rhs, boundary, x0, y0, tol=1e-10, max_nodes=100_000)
    assert sol.status == 0
    return sol


def test_rcae_1d_matches_bvp_solver_at_second_order(mixture_1d):
    log_p, lam, a, b = _log_p_1d(mixture_1d), 0.05, -4.5, 4.5
    sol = _ode_solution(log_p, a, b, lam, rt.rcae_optimum_1d(log_p, np.linspace(a, b, 200), lam))
    sizes = [201, 401, 801, 1601]
    errors = []
    for n in sizes:
        grid = np.linspace(a, b, n)
        errors.append(np.max(np.abs(rt.rcae_optimum_1d(log_p, grid, lam) - sol.sol(grid)[0])))
    # Measured: errors 8.5e-4, 2.1e-4, 5.3e-5, 1.3e-5 (ratio 4.00 each time).
    assert abs(_slope(sizes, errors) + 2) < 0.05
    assert errors[-1] < 2e-5
    # A smooth non-uniform grid (sinh map, denser in the middle) is also second order.
    nonuniform = []
    for n in (401, 801):
        grid = 4.5 * np.sinh(2 * np.linspace(-1, 1, n)) / np.sinh(2)
        nonuniform.append(np.max(np.abs(rt.rcae_optimum_1d(log_p, grid, lam) - sol.sol(grid)[0])))
    assert 3.6 < nonuniform[0] / nonuniform[1] < 4.4


def test_rcae_1d_minimises_the_discretised_loss(mixture_1d):
    """The tridiagonal solve equals a dense solve of the loss's normal equations (autograd)."""
    grid = np.sort(np.random.default_rng(4).uniform(-4, 4, size=40))
    lam, x = 0.3, grid
    h = np.diff(x)
    p = mixture_1d.prob(x[:, None])
    p_mid = mixture_1d.prob((x[:-1] + h / 2)[:, None])
    trap = np.concatenate([[h[0] / 2], (h[:-1] + h[1:]) / 2, [h[-1] / 2]])

    def loss(r):
        return anp.sum(p * trap * (r - x) ** 2) + lam * anp.sum(p_mid * anp.diff(r) ** 2 / h)

    r0 = np.zeros_like(x)
    dense = r0 - np.linalg.solve(hessian(loss)(r0), grad(loss)(r0))
    np.testing.assert_allclose(
        rt.rcae_optimum_1d(_log_p_1d(mixture_1d), grid, lam), dense, rtol=1e-10, atol=1e-10
    )


def test_rcae_1d_gaussian_interior_matches_closed_form(gaussian_1d):
    grid = np.linspace(-5, 5.6, 2121)  # about 7.5 standard deviations each side of 0.3
    lam = 0.1
    r = rt.rcae_optimum_1d(_log_p_1d(gaussian_1d), grid, lam)
    exact = rt.gaussian_rcae_optimum(0.3, 0.5, lam)(grid[:, None])[:, 0]
    interior = np.abs(grid - 0.3) < 2.5
    # Discretisation error ~ h^2 = 2.5e-5; the boundary layer has decayed in the interior.
    np.testing.assert_allclose(r[interior], exact[interior], atol=2e-5)
    # At the ends the zero-flux condition makes r flat, unlike the closed form.
    assert abs(r[-1] - r[-2]) < 0.1 * abs(exact[-1] - exact[-2])


def test_rcae_expansion_second_order_term(mixture_1d):
    """r - x - lam s = lam^2 (Delta s + (grad s) s) + O(lam^3), in the interior."""
    grid = np.linspace(-6, 6, 12001)
    index = np.searchsorted(grid, np.linspace(-3, 3.5, 27))
    X = grid[index][:, None]
    s = mixture_1d.score(X)
    coefficient = rt.rcae_score_correction(mixture_1d, X)
    dae_coefficient = rt.dae_score_correction(mixture_1d, X)
    lams = np.array([0.005, 0.0025, 0.00125, 0.000625])
    score_error, residual, residual_half = [], [], []
    for lam in lams:
        r = rt.rcae_optimum_1d(_log_p_1d(mixture_1d), grid, lam)[index][:, None]
        score_error.append(np.max(np.abs((r - X) / lam - s)))
        second = (r - X - lam * s) / lam**2
        residual.append(np.max(np.abs(second - coefficient)))
        residual_half.append(np.max(np.abs(second - dae_coefficient)))
    # Measured: score error 0.054 -> 0.0069 (slope 1.0); residual 1.05 -> 0.164 (slope 0.89,
    # halving ratios 1.67, 1.78, 1.87, 1.93 approaching 2: O(lam^3) with a large constant).
    assert abs(_slope(lams, score_error) - 1) < 0.05
    assert 0.8 < _slope(lams, residual) < 1.1
    assert 1.85 < residual[-2] / residual[-1] < 2.15
    assert residual[-1] < 0.05 * np.max(np.abs(coefficient))
    # The DAE's coefficient (factor 1/2 on Delta s) does not fit the rCAE.
    assert residual_half[-1] > 0.3 * np.max(np.abs(coefficient))
    assert residual_half[-1] / residual_half[0] > 0.9


def test_rcae_1d_on_the_paper_density(paper_density):
    """Works from a raw autograd log-density; the coefficient uses autograd's third derivative."""
    grid = np.linspace(-1.5, 1.5, 6001)
    index = np.searchsorted(grid, np.linspace(-0.9, 1.1, 21))
    X = grid[index][:, None]
    s = paper_density.score(X)
    coefficient = rt.rcae_score_correction(paper_density, X)
    for lam in (1e-4, 5e-5):
        r = rt.rcae_optimum_1d(paper_density.log_p, grid, lam)[index][:, None]
        residual = np.max(np.abs((r - X - lam * s) / lam**2 - coefficient))
        assert residual < 0.05 * np.max(np.abs(coefficient))


def test_rcae_boundary_layer_has_width_sqrt_lam():
    """Zero flux at the grid ends adds an error decaying like exp(-distance / sqrt(lam))."""
    lam = 1e-3
    grid = np.linspace(-2, 2, 8001)  # spacing 5e-4 = sqrt(lam) / 63
    r = rt.rcae_optimum_1d(lambda x: -(x**2) / 8, grid, lam)  # N(0, 4), score small near the end
    error = np.abs(r - rt.gaussian_rcae_optimum(0.0, 4.0, lam)(grid[:, None])[:, 0])
    distance = 2 - grid
    window = (distance > np.sqrt(lam)) & (distance < 6 * np.sqrt(lam))
    decay_length = -1 / np.polyfit(distance[window], np.log(error[window]), 1)[0]
    # Measured: 0.0314 for sqrt(lam) = 0.0316.
    np.testing.assert_allclose(decay_length, np.sqrt(lam), rtol=0.05)
    assert error[np.abs(grid) < 1.5].max() < 1e-5  # 16 widths from both ends: only h^2 error


def test_rcae_1d_survives_vanishing_density():
    gm = rt.GaussianMixture([1.0], [0.0], [0.01])
    grid = np.linspace(-40, 40, 40001)  # p underflows far beyond exp(-690) of its maximum
    r = rt.rcae_optimum_1d(_log_p_1d(gm), grid, 1e-3)
    assert np.all(np.isfinite(r))
    exact = rt.gaussian_rcae_optimum(0.0, 0.01, 1e-3)(grid[:, None])[:, 0]
    inside = np.abs(grid) < 0.25
    # Spacing 0.002 = std / 50: discretisation error ~ 1e-6 (it is 2e-5 at spacing std / 10).
    np.testing.assert_allclose(r[inside], exact[inside], atol=2e-6)
    # The solve divides each equation by p_i, so underflow cannot make it singular and the
    # result does not depend on the density's scale even 1e300-fold.
    shifted = rt.rcae_optimum_1d(lambda x: gm.log_prob(x[:, None]) - 700.0, grid, 1e-3)
    np.testing.assert_allclose(shifted, r, rtol=1e-12, atol=1e-12)


# -- Theorem 2 in 2-D ----------------------------------------------------------------------


def test_rcae_2d_reduces_to_1d_for_a_product_density():
    first = rt.GaussianMixture([0.4, 0.6], [-1.0, 1.0], [0.3, 0.5])
    second = rt.GaussianMixture([1.0], [0.2], [0.7])

    def log_p(P):
        return first.log_prob(P[:, :1]) + second.log_prob(P[:, 1:])

    gx, gy, lam = np.linspace(-4, 4, 61), np.linspace(-3.5, 3.5, 47), 0.1
    R = rt.rcae_optimum_2d(log_p, gx, gy, lam)
    assert R.shape == (61, 47, 2)
    r_x = rt.rcae_optimum_1d(_log_p_1d(first), gx, lam)
    r_y = rt.rcae_optimum_1d(_log_p_1d(second), gy, lam)
    # The 1-D solution, constant in y, satisfies the 2-D normal equations exactly.
    np.testing.assert_allclose(R[:, :, 0], np.broadcast_to(r_x[:, None], (61, 47)), atol=1e-12)
    np.testing.assert_allclose(R[:, :, 1], np.broadcast_to(r_y[None, :], (61, 47)), atol=1e-12)


def test_rcae_2d_matches_gaussian_closed_form_in_the_interior():
    mean, cov, lam = np.array([0.3, -0.2]), np.array([[1.0, 0.6], [0.6, 0.8]]), 0.1
    gm = rt.GaussianMixture([1.0], mean[None], cov[None])
    errors = []
    for n in (61, 121):
        grid = np.linspace(-5, 5, n)
        R = rt.rcae_optimum_2d(gm.log_prob, grid, grid, lam)
        A, B = np.meshgrid(grid, grid, indexing="ij")
        P = np.stack([A.ravel(), B.ravel()], axis=1)
        exact = rt.gaussian_rcae_optimum(mean, cov, lam)(P).reshape(n, n, 2)
        inside = (np.abs(A) < 2.5) & (np.abs(B) < 2.5)
        errors.append(np.max(np.abs(R - exact)[inside]))
    # Measured: 0.032 and 0.0089 (second order, ratio 3.6; 0.0023 at n = 241).
    assert errors[1] < 0.01
    assert errors[0] / errors[1] > 3.2


# -- bad inputs ----------------------------------------------------------------------------


def _gauss(x):
    return -0.5 * x**2


def test_optimal_rejects_bad_inputs(mixture_1d, paper_density):
    grid = np.linspace(-2, 2, 11)
    with pytest.raises(TypeError, match="density must be a GaussianMixture"):
        rt.dae_optimum(paper_density, 0.1)
    with pytest.raises(ValueError, match="sigma must be a finite number > 0"):
        rt.dae_optimum(mixture_1d, 0.0)
    with pytest.raises(ValueError, match="sigma must be a finite number > 0"):
        rt.dae_optimum_1d(_gauss, grid, -1.0)
    with pytest.raises(ValueError, match="lam must be a finite number > 0"):
        rt.rcae_optimum_1d(_gauss, grid, 0.0)
    with pytest.raises(ValueError, match="lam must be a finite number > 0"):
        rt.gaussian_rcae_optimum(0.0, 1.0, -0.1)
    with pytest.raises(ValueError, match="grid must be strictly increasing"):
        rt.rcae_optimum_1d(_gauss, grid[::-1], 0.1)
    with pytest.raises(ValueError, match="grid must have at least 3 points"):
        rt.dae_optimum_1d(_gauss, [0.0, 1.0], 0.1)
    with pytest.raises(TypeError, match="log_p must be callable"):
        rt.rcae_optimum_1d(np.zeros(11), grid, 0.1)
    with pytest.raises(ValueError, match=r"log_p\(x\) must return shape"):
        rt.rcae_optimum_1d(lambda x: x[:-1], grid, 0.1)
    with pytest.raises(ValueError, match="log_p must be finite on the grid"):
        rt.rcae_optimum_1d(lambda x: np.where(x > 1, -np.inf, 0.0), grid, 0.1)
    with pytest.raises(ValueError, match="log_p changes by more than 600"):
        rt.rcae_optimum_1d(lambda x: -1e4 * x**2, grid, 0.1)
    with pytest.raises(ValueError, match=r"log_p returned a non-finite value \(nan\)"):
        rt.dae_optimum_1d(lambda x: x * np.nan, grid, 0.1)
    with pytest.raises(ValueError, match="X must have 1 column"):
        rt.dae_optimum(mixture_1d, 0.1)(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="grid_y must be strictly increasing"):
        rt.rcae_optimum_2d(lambda P: P[:, 0], grid, np.array([0.0, 2.0, 1.0]), 0.1)
    with pytest.raises(ValueError, match=r"log_p\(P\) must return shape"):
        rt.rcae_optimum_2d(lambda P: P, grid, grid, 0.1)
    with pytest.raises(ValueError, match="cov must be positive definite"):
        rt.gaussian_dae_optimum([0.0, 0.0], [[1.0, 2.0], [2.0, 1.0]], 0.1)
    with pytest.raises(ValueError, match="cov must be symmetric"):
        rt.gaussian_dae_optimum([0.0, 0.0], [[1.0, 0.5], [0.0, 1.0]], 0.1)
    with pytest.raises(ValueError, match=r"cov must have shape \(2, 2\)"):
        rt.gaussian_rcae_optimum([0.0, 0.0], np.eye(3), 0.1)
    with pytest.raises(TypeError, match="density must provide"):
        rt.rcae_score_correction(object(), np.zeros((2, 1)))
    with pytest.raises(ValueError, match="X must have 1 column"):
        rt.dae_score_correction(mixture_1d, np.zeros((2, 2)))


# -- the Langevin representation of the optimal rCAE ---------------------------------------


def test_rcae_optimum_langevin_matches_the_gaussian_closed_form():
    # For N(mu, v), E_x[X_tau] = mu + v / (v + lam) (x - mu) exactly (Ornstein-Uhlenbeck).
    mean, var, lam = 0.5, 0.8, 0.5
    gauss = rt.GaussianMixture([1.0], [mean], [var])
    X = np.array([[-1.0], [0.5], [2.0]])
    est = rt.rcae_optimum_langevin(gauss.score, X, lam, np.random.default_rng(3),
                                   n_paths=20000, n_steps=64)
    exact = rt.gaussian_rcae_optimum(mean, var, lam)(X)
    for value, se, step in [(est.position, est.position_se, est.position_step),
                            (est.score_form, est.score_form_se, est.score_form_step)]:
        assert np.all(np.abs(value - exact) <= 4 * se + 2 * np.abs(step))
    # the score form has the smaller spread here: lam |grad s| = 0.625 < 1
    assert np.all(est.score_form_se < est.position_se)
    # weak order one: the coarse run's bias is twice the fine run's, both small
    assert np.all(np.abs(est.position_step) < 0.01)


def test_rcae_optimum_langevin_time_step_difference_halves():
    gauss = rt.GaussianMixture([1.0], [0.0], [0.3])
    X = np.array([[1.5]])
    # exact for the linear drift: the Euler mean is (1 - h / v)^n x, a bias of order h
    steps = [rt.rcae_optimum_langevin(gauss.score, X, 1.0, np.random.default_rng(0),
                                      n_paths=20000, n_steps=n).position_step[0, 0]
             for n in (8, 16)]
    assert steps[1] == pytest.approx(steps[0] / 2, rel=0.25)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"score": 3}, TypeError, "score"),
        ({"X": np.zeros(3)}, ValueError, "X"),
        ({"lam": -1.0}, ValueError, "lam"),
        ({"rng": 0}, TypeError, "rng"),
        ({"n_paths": 1}, ValueError, "n_paths"),
        ({"n_steps": 1.5}, TypeError, "n_steps"),
        ({"score": lambda X: np.full_like(X, np.nan)}, ValueError, "score"),
        ({"score": lambda X: X[:, :1] * 0.0 + np.zeros((1, 1))}, ValueError, "score"),
    ],
)
def test_rcae_optimum_langevin_rejects_bad_input(kwargs, error, match):
    args = {"score": lambda X: -X, "X": np.zeros((2, 2)), "lam": 0.1,
            "rng": np.random.default_rng(0), "n_paths": 10, "n_steps": 4}
    args.update(kwargs)
    with pytest.raises(error, match=match):
        rt.rcae_optimum_langevin(**args)


# -- second-order Tweedie: the Jacobian of the optimal DAE is a posterior covariance -------


def test_dae_posterior_covariance_by_gauss_hermite(mixture_2d):
    # Cov[x | x~] by tensor-product Gauss-Hermite, as for the posterior mean above.
    z, w = np.polynomial.hermite.hermgauss(80)
    Z = np.stack(np.meshgrid(z, z, indexing="ij"), axis=-1).reshape(-1, 2)
    W = np.outer(w, w).ravel()
    X_tilde = np.array([[0.0, 0.0], [1.0, 1.0], [-2.0, 1.0], [0.3, 0.5]])
    for sigma in (0.3, 0.6, 1.0):
        expected = []
        for x_tilde in X_tilde:
            P = x_tilde + np.sqrt(2) * sigma * Z
            q = W * mixture_2d.prob(P)
            q /= q.sum()
            centred = P - q @ P
            expected.append(np.einsum("n,ni,nj->ij", q, centred, centred))
        actual = rt.dae_posterior_covariance(mixture_2d, sigma)(X_tilde)
        np.testing.assert_allclose(actual, np.array(expected), atol=1e-12)


def test_second_order_tweedie_in_2d(mixture_2d):
    X = np.array([[-1.0, 0.0], [0.25, 0.5], [1.5, 1.0], [3.0, -1.0]])
    for sigma in (0.1, 0.5, 2.0):
        cov = rt.dae_posterior_covariance(mixture_2d, sigma)(X)
        np.testing.assert_allclose(cov, np.swapaxes(cov, 1, 2), atol=0)
        assert np.min(np.linalg.eigvalsh(cov)) > 0
        np.testing.assert_allclose(cov / sigma**2, rt.dae_optimum_jacobian(mixture_2d, sigma)(X),
                                   atol=1e-12)
        fd = rt.finite_difference_jacobian(rt.dae_optimum(mixture_2d, sigma), X, step=1e-5)
        np.testing.assert_allclose(cov / sigma**2, fd, atol=1e-8)


def test_posterior_variance_1d_quadrature_matches_the_mixture(mixture_1d):
    grid = np.linspace(-7.0, 7.0, 2801)
    inner = np.abs(grid) <= 4
    for sigma in (0.1, 0.4, 1.0):
        quad = rt.dae_posterior_variance_1d(_log_p_1d(mixture_1d), grid, sigma)
        exact = rt.dae_posterior_covariance(mixture_1d, sigma)(grid[inner, None])[:, 0, 0]
        np.testing.assert_allclose(quad[inner], exact, atol=1e-12)
        assert np.all(quad >= 0)


def test_posterior_variance_1d_of_a_gaussian():
    # N(0, v): posterior variance v sigma^2 / (v + sigma^2) everywhere (away from the ends).
    v, sigma = 0.5, 0.3
    grid = np.linspace(-8.0, 8.0, 3201)
    quad = rt.dae_posterior_variance_1d(lambda x: -0.5 * x**2 / v, grid, sigma)
    np.testing.assert_allclose(quad[np.abs(grid) <= 5], v * sigma**2 / (v + sigma**2), rtol=1e-12)


def test_dae_jacobian_correction_is_the_jacobian_of_c_dae(mixture_1d, mixture_2d):
    for density, X in ((mixture_1d, np.array([[-2.0], [-0.7], [0.5], [1.6]])),
                       (mixture_2d, np.array([[-1.0, 0.0], [0.25, 0.5], [1.5, 1.0]]))):
        K = rt.dae_jacobian_correction(density, X)
        fd = rt.finite_difference_jacobian(lambda Z, p=density: rt.dae_score_correction(p, Z),
                                           X, step=1e-5)
        np.testing.assert_allclose(K, fd, atol=1e-6 * np.max(np.abs(K)))


def test_dae_jacobian_correction_of_a_gaussian():
    # log p quadratic: the heat term is |P (x - mu)|^2 / 2 + const, its Hessian P^2.
    cov = np.array([[0.6, 0.2], [0.2, 0.4]])
    gaussian = rt.GaussianMixture([1.0], [[0.3, -0.1]], [cov])
    P = np.linalg.inv(cov)
    K = rt.dae_jacobian_correction(gaussian, np.array([[0.0, 0.0], [1.0, 2.0]]))
    np.testing.assert_allclose(K, np.broadcast_to(P @ P, (2, 2, 2)), rtol=1e-12)


def test_second_order_tweedie_rejects_bad_input(mixture_1d, paper_density):
    with pytest.raises(TypeError, match="density must be a GaussianMixture"):
        rt.dae_posterior_covariance(paper_density, 0.1)
    with pytest.raises(ValueError, match="sigma must be a finite number > 0"):
        rt.dae_posterior_covariance(mixture_1d, 0.0)
    with pytest.raises(ValueError, match="X must have 1 column"):
        rt.dae_posterior_covariance(mixture_1d, 0.1)(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="sigma must be a finite number > 0"):
        rt.dae_posterior_variance_1d(_gauss, np.linspace(-1, 1, 11), -0.1)
    with pytest.raises(ValueError, match="grid must be strictly increasing"):
        rt.dae_posterior_variance_1d(_gauss, np.linspace(1, -1, 11), 0.1)
    with pytest.raises(TypeError, match="log_p must be callable"):
        rt.dae_posterior_variance_1d(3, np.linspace(-1, 1, 11), 0.1)
    with pytest.raises(TypeError, match="density must be a GaussianMixture"):
        rt.dae_jacobian_correction(paper_density, np.zeros((2, 1)))
    with pytest.raises(ValueError, match="X contains NaN"):
        rt.dae_jacobian_correction(mixture_1d, np.array([[np.nan]]))


def test_rcae_jacobian_correction_is_the_jacobian_of_c_rcae(mixture_1d, mixture_2d):
    # Autograd's Hessian of phi = Delta log p + |s|^2 / 2 against finite differences of
    # the closed form c_rCAE = Delta s + (grad s) s: c_rCAE is the gradient of phi.
    for density, X in ((mixture_1d, np.array([[-2.0], [-0.7], [0.5], [1.6]])),
                       (mixture_2d, np.array([[-1.0, 0.0], [0.25, 0.5], [1.5, 1.0]]))):
        Q = rt.rcae_jacobian_correction(density, X)
        fd = rt.finite_difference_jacobian(lambda Z, p=density: rt.rcae_score_correction(p, Z),
                                           X, step=1e-5)
        np.testing.assert_allclose(Q, fd, atol=1e-6 * np.max(np.abs(Q)))
        np.testing.assert_allclose(Q, np.swapaxes(Q, 1, 2), atol=1e-12 * np.max(np.abs(Q)))


def test_rcae_jacobian_correction_differs_from_the_dae_by_half_the_hessian_of_the_laplacian(
        mixture_2d):
    # phi_rCAE - phi_DAE = Delta log p / 2, whose Hessian is the Jacobian of Delta s / 2.
    X = np.array([[-1.0, 0.0], [0.25, 0.5], [1.5, 1.0]])
    difference = rt.rcae_jacobian_correction(mixture_2d, X) - rt.dae_jacobian_correction(
        mixture_2d, X)
    fd = rt.finite_difference_jacobian(lambda Z: 0.5 * mixture_2d.laplacian_score(Z), X,
                                       step=1e-5)
    np.testing.assert_allclose(difference, fd, atol=1e-6 * np.max(np.abs(difference)))
    assert np.max(np.abs(difference)) > 0.1 * np.max(np.abs(fd))


def test_rcae_jacobian_correction_of_a_gaussian():
    # log p quadratic: phi = |P (x - mu)|^2 / 2 + const, its Hessian P^2 (as for the DAE).
    cov = np.array([[0.6, 0.2], [0.2, 0.4]])
    gaussian = rt.GaussianMixture([1.0], [[0.3, -0.1]], [cov])
    P = np.linalg.inv(cov)
    Q = rt.rcae_jacobian_correction(gaussian, np.array([[0.0, 0.0], [1.0, 2.0]]))
    np.testing.assert_allclose(Q, np.broadcast_to(P @ P, (2, 2, 2)), rtol=1e-12)


def test_rcae_jacobian_correction_rejects_bad_input(mixture_1d, paper_density):
    with pytest.raises(TypeError, match="density must be a GaussianMixture"):
        rt.rcae_jacobian_correction(paper_density, np.zeros((2, 1)))
    with pytest.raises(ValueError, match="X contains NaN"):
        rt.rcae_jacobian_correction(mixture_1d, np.array([[np.nan]]))
    with pytest.raises(ValueError, match="X must have 1 column"):
        rt.rcae_jacobian_correction(mixture_1d, np.zeros((2, 2)))
