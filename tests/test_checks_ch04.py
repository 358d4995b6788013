"""Chapter 4's checks: they pass on the chapter's objects and fail on plausible wrong answers."""

import functools

import numpy as np
import pytest

import raetut as rt
from raetut.checks import ch04

# ----------------------------------------------------------------- wrong answers


def _field_solver(factor):
    """r = x + factor * lam * s on the grid (factor 0: r = x; -1: the wrong sign)."""

    def solver(log_p, grid, lam):
        return grid + factor * lam * rt.paper_density_1d().score(grid[:, None])[:, 0]

    return solver


def _dae_solver(log_p, grid, lam):
    """The optimal DAE with sigma^2 = lam, fed where the rCAE solver is expected."""
    return rt.dae_optimum_1d(log_p, grid, np.sqrt(lam))


def _order_check(factor):
    return ch04.check_rcae_score_error_order(ch04.measure_rcae_errors(solver=_field_solver(factor)))


def _jacobian_check(solver):
    return ch04.check_rcae_jacobian_hessian(ch04.measure_rcae_errors(solver=solver))


def _perturbed_density_solver(log_p, grid, lam):
    """The rCAE optimum of p(x) exp(-x^2/2): its Jacobian follows 1 + lam ((log p)'' - 1)."""
    return rt.rcae_optimum_1d(lambda x: log_p(x) - 0.5 * x**2, grid, lam)


def _field_solver_2d(factor):
    """r = x + factor * lam * s on the 2-D grid."""

    def solver(log_p, gx, gy, lam):
        G = np.stack(np.meshgrid(gx, gy, indexing="ij"), axis=-1)
        s = ch04.chapter_mixture_2d().score(G.reshape(-1, 2)).reshape(G.shape)
        return G + factor * lam * s

    return solver


def _dae_solver_2d(log_p, gx, gy, lam):
    G = np.stack(np.meshgrid(gx, gy, indexing="ij"), axis=-1)
    r = rt.dae_optimum(ch04.chapter_mixture_2d(), np.sqrt(lam))
    return r(G.reshape(-1, 2)).reshape(G.shape)


@functools.lru_cache(maxsize=1)
def _default_2d():
    return ch04.measure_rcae_2d()


def _dae_jacobian_correction(density, X):
    """The DAE's coefficient, the Jacobian of c_DAE = Delta s / 2 + (grad s) s (central
    differences: rt.dae_jacobian_correction computes the same one point at a time, slowly)."""
    return rt.finite_difference_jacobian(lambda Z: rt.dae_score_correction(density, Z), X)


def _zero_jacobian_correction(density, X):
    """The first-order Jacobian claim alone: no lam^2 term."""
    return np.zeros((len(X), 2, 2))


def _flipped_jacobian_correction(density, X):
    return -rt.rcae_jacobian_correction(density, X)


def _first_order_closed_form(mean, variance, lam):
    return lambda X: X - lam * (X - mean) / variance


def _tau_twice_as_long(score, X, lam, rng, **kwargs):
    """Particles stopped at an exponential time of mean 2 lam instead of lam."""
    return rt.rcae_optimum_langevin(score, X, 2 * lam, rng, **kwargs)


def _langevin_check(**kwargs):
    return ch04.check_langevin_resolvent(ch04.measure_langevin_resolvent(**kwargs))


NEGATIVE_CONTROLS = {
    "check_rcae_score_error_order": [
        lambda: _order_check(-1),
        lambda: _order_check(0),
        lambda: _order_check(2),
    ],
    "check_rcae_jacobian_hessian": [
        lambda: _jacobian_check(_perturbed_density_solver),
        lambda: _jacobian_check(_field_solver(0)),
        lambda: _jacobian_check(_field_solver(-1)),
    ],
    "check_rcae_second_order_coefficient": [
        lambda: ch04.check_rcae_second_order_coefficient(
            ch04.measure_rcae_second_order(solver=_dae_solver, n_grid=4001)),
        lambda: ch04.check_rcae_second_order_coefficient(correction=rt.dae_score_correction),
        lambda: ch04.check_rcae_second_order_coefficient(
            ch04.measure_rcae_second_order(solver=_field_solver(1))),
    ],
    "check_gaussian_rcae_solver": [
        lambda: ch04.check_gaussian_rcae_solver(closed_form=lambda m, v, lam:
                                                rt.gaussian_rcae_optimum(m, 1.05 * v, lam)),
        lambda: ch04.check_gaussian_rcae_solver(closed_form=lambda m, v, lam:
                                                rt.gaussian_dae_optimum(m, v, lam)),
        lambda: ch04.check_gaussian_rcae_solver(closed_form=_first_order_closed_form),
        lambda: ch04.check_gaussian_rcae_solver(ch04.measure_gaussian_rcae_solver(
            solver=lambda log_p, grid, lam: rt.rcae_optimum_1d(log_p, grid, lam / 2))),
    ],
    "check_rcae_2d_coefficient": [
        lambda: ch04.check_rcae_2d_coefficient(ch04.measure_rcae_2d(solver=_dae_solver_2d)),
        lambda: ch04.check_rcae_2d_coefficient(_default_2d(), correction=rt.dae_score_correction),
        lambda: ch04.check_rcae_2d_coefficient(ch04.measure_rcae_2d(solver=_field_solver_2d(1))),
        lambda: ch04.check_rcae_2d_coefficient(ch04.measure_rcae_2d(solver=_field_solver_2d(0))),
    ],
    "check_rcae_jacobian_2d": [
        lambda: ch04.check_rcae_jacobian_2d(_default_2d(), correction=_dae_jacobian_correction),
        lambda: ch04.check_rcae_jacobian_2d(_default_2d(), correction=_zero_jacobian_correction),
        lambda: ch04.check_rcae_jacobian_2d(_default_2d(), correction=_flipped_jacobian_correction),
        lambda: ch04.check_rcae_jacobian_2d(ch04.measure_rcae_2d(solver=_dae_solver_2d)),
    ],
    "check_langevin_resolvent": [
        lambda: _langevin_check(solver=_dae_solver, n_grid=4001),
        lambda: _langevin_check(density=ch04.chapter_mixture_2d(), solver=_dae_solver_2d),
        lambda: _langevin_check(solver=_field_solver(1)),
        lambda: _langevin_check(estimator=_tau_twice_as_long),
    ],
    "check_rcae_curl_2d": [
        lambda: ch04.check_rcae_curl_2d(ch04.measure_rcae_curl(solver=_dae_solver_2d)),
        lambda: ch04.check_rcae_curl_2d(ch04.measure_rcae_curl(solver=_field_solver_2d(1))),
    ],
    "check_forward_scheme_converges": [
        # the forward loss with the spacing weights swapped
        lambda: ch04.check_forward_scheme_converges(ch04.measure_forward_scheme(_swapped_forward)),
        # the DAE optimum at sigma^2 = lam
        lambda: ch04.check_forward_scheme_converges(ch04.measure_forward_scheme(
            lambda log_p, grid, lam: rt.dae_optimum_1d(log_p, grid, np.sqrt(lam)))),
        # the book's solver at a penalty 1 % too large
        lambda: ch04.check_forward_scheme_converges(ch04.measure_forward_scheme(
            lambda log_p, grid, lam: rt.rcae_optimum_1d(log_p, grid, 1.01 * lam))),
    ],
}


def _forward_loss_matrix(log_p, x, lam, swapped=False):
    """The forward-spacing loss as a dense quadratic form ``r A r - 2 b r + c``."""
    h = np.diff(x)
    spacing = np.append(h, h[-1])
    p = np.exp(log_p(x) - np.max(log_p(x)))
    data = p / spacing if swapped else p * spacing
    flux = lam * (p[:-1] * h if swapped else p[:-1] / h)
    A = np.diag(data)
    i = np.arange(x.size - 1)
    A[i, i] += flux
    A[i + 1, i + 1] += flux
    A[i, i + 1] -= flux
    A[i + 1, i] -= flux
    return A, data * x


def _swapped_forward(log_p, x, lam):
    A, b = _forward_loss_matrix(log_p, x, lam, swapped=True)
    return np.linalg.solve(A, b)


def test_forward_solver_minimises_the_authors_loss():
    # a dense solve of the loss's normal equations, on a random non-uniform grid
    log_p = ch04.log_density(rt.paper_density_1d())
    x = np.sort(np.random.default_rng(0).uniform(-1.0, 1.0, 40))
    A, b = _forward_loss_matrix(log_p, x, 0.05)
    np.testing.assert_allclose(rt.rcae_optimum_1d_forward(log_p, x, 0.05),
                               np.linalg.solve(A, b), rtol=0, atol=1e-10)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: rt.rcae_optimum_1d_forward(lambda x: -x**2, np.linspace(0, 1, 5), -1.0),
         ValueError, "lam"),
        (lambda: rt.rcae_optimum_1d_forward(lambda x: -x**2, [0.0, 0.5], 0.1),
         ValueError, "grid"),
        (lambda: rt.rcae_optimum_1d_forward(3, np.linspace(0, 1, 5), 0.1), TypeError, "log_p"),
        (lambda: ch04.measure_forward_scheme(grids=(100, 200)), ValueError, "grids"),
        (lambda: ch04.measure_forward_scheme(solver=3), TypeError, "solver"),
    ],
)
def test_forward_scheme_rejects_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ------------------------------------------------------- the controls fail for the right reason


def test_order_checks_cannot_tell_the_dae_optimum_but_the_coefficient_check_can():
    # The DAE optimum with sigma^2 = lam has the same first order: its score error is
    # O(lam) too, so the order check passes it; its lam^2 coefficient is Delta s / 2 +
    # (grad s) s, which the coefficient check rejects.
    errors = ch04.measure_rcae_errors(solver=_dae_solver, lams=ch04.LAMS[:5], n_grid=4001)
    assert ch04.check_rcae_score_error_order(errors).passed
    coefficient = ch04.check_rcae_second_order_coefficient(
        ch04.measure_rcae_second_order(solver=_dae_solver, n_grid=4001))
    assert not coefficient.passed
    assert coefficient.measured == pytest.approx(0.063, abs=0.005)


def test_wrong_fields_have_order_zero():
    for factor in (-1, 0, 2):
        result = _order_check(factor)
        assert result.measured == pytest.approx(0.0, abs=0.05)


def test_jacobian_check_fails_for_a_perturbed_density():
    # The error is lam (from the wrong Hessian) plus the true O(lam^2) term, about
    # 1e5 lam^2 on the paper's density: the fitted slope lies between 1 and 2, far from 2.
    result = _jacobian_check(_perturbed_density_solver)
    assert 1.0 < result.measured < 1.6


def test_second_order_check_rejects_the_dae_coefficient_by_six_tolerances():
    result = ch04.check_rcae_second_order_coefficient(correction=rt.dae_score_correction)
    assert result.measured > 5 * result.tolerance


def test_gaussian_solver_check_fails_for_wrong_closed_form():
    result = ch04.check_gaussian_rcae_solver(
        closed_form=lambda mean, cov, lam: rt.gaussian_rcae_optimum(mean, cov, 1.01 * lam))
    assert not result.passed
    assert result.measured > 10 * result.tolerance


def test_gaussian_solver_check_passes_the_dae_optimum_which_is_the_same_map():
    result = ch04.check_gaussian_rcae_solver(
        ch04.measure_gaussian_rcae_solver(solver=_dae_solver, n_grid=2001))
    assert result.passed


def test_gaussian_solver_tolerance_shrinks_with_the_grid():
    coarse = ch04.check_gaussian_rcae_solver(ch04.measure_gaussian_rcae_solver(n_grid=1001))
    fine = ch04.check_gaussian_rcae_solver(ch04.measure_gaussian_rcae_solver(n_grid=4001))
    assert coarse.passed and fine.passed
    assert fine.tolerance == pytest.approx(coarse.tolerance / 16, rel=1e-2)
    assert fine.measured == pytest.approx(coarse.measured / 16, rel=0.05)  # second order


def test_2d_check_rejects_the_dae_coefficient_and_the_first_order_field():
    dae = ch04.check_rcae_2d_coefficient(ch04.measure_rcae_2d(solver=_dae_solver_2d))
    assert dae.measured == pytest.approx(0.59, abs=0.03)
    first = ch04.check_rcae_2d_coefficient(ch04.measure_rcae_2d(solver=_field_solver_2d(1)))
    assert first.measured == pytest.approx(1.0, abs=1e-9)


def test_2d_grid_correction_removes_the_floor():
    m = _default_2d()
    # On the coarse grid alone the second-order error stops decreasing (the h^2 floor);
    # corrected, it keeps falling like lam.
    coarse, corrected = m.second_order_error_coarse, m.second_order_error
    assert coarse[-1] > 0.7 * coarse[-2]
    assert corrected[-1] < 0.6 * corrected[-2]
    assert np.all(np.diff(np.log(m.first_order_error)) < 0)


def test_2d_jacobian_check_rejects_the_dae_coefficient_in_every_entry():
    # Q_DAE = grad^2 (Delta log p + |s|^2) / 2 differs from Q = grad^2 (Delta log p +
    # |s|^2 / 2) by half the Hessian of Delta log p: far beyond the tolerance, and in the
    # off-diagonal entries alone too.
    m = _default_2d()
    result = ch04.check_rcae_jacobian_2d(m, correction=_dae_jacobian_correction)
    assert result.measured == pytest.approx(0.68, abs=0.03)
    Q_dae = _dae_jacobian_correction(m.density, m.points)
    off = np.abs(m.jacobian_coefficient - Q_dae)[:, [0, 1], [1, 0]]
    assert np.max(off) / np.max(np.abs(m.jacobian_coefficient)) > 3 * result.tolerance


def test_2d_jacobian_coefficient_is_symmetric_and_its_grid_error_is_removed():
    m = _default_2d()
    c = m.jacobian_coefficient
    scale = np.max(np.abs(c))
    assert np.max(np.abs(c - np.swapaxes(c, 1, 2))) < 0.01 * scale  # Q is symmetric
    Q = rt.rcae_jacobian_correction(m.density, m.points)
    # After the grid correction the quotient at the smallest lam, where the grid's error
    # divided by lam^2 is largest, is already within 5% of Q.
    lam, raw = m.lams[-1], m.jacobian_residuals[-1]
    assert np.max(np.abs(raw / lam**2 - Q)) < 0.05 * scale


def test_langevin_check_rejects_the_dae_optimum_by_many_standard_errors():
    # The DAE optimum with sigma^2 = lam differs from the rCAE's by about lam^2 Delta s / 2;
    # at the chapter's lam and paths that is tens of standard errors, far beyond z = 3.6.
    result = _langevin_check(solver=_dae_solver, n_grid=4001)
    assert result.measured > 5 * result.tolerance


def test_langevin_check_passes_on_the_chapter_objects_with_another_seed():
    result = ch04.check_langevin_resolvent(
        ch04.measure_langevin_resolvent(rng=np.random.default_rng(7)))
    assert result.passed
    assert result.tolerance == pytest.approx(3.29, abs=0.01)  # 10 comparisons in 1-D


def test_curl_check_rejects_the_dae_optimum_on_both_counts():
    # Tweedie's optimum is a gradient: its computed curl is an h^2 differencing error,
    # near the floor and changing by ~78% between the grids.
    m = ch04.measure_rcae_curl(solver=_dae_solver_2d)
    assert np.all(m.factor < ch04.CURL_FACTOR)
    assert np.all(m.grid_change > 0.6)


def test_curl_check_measures_a_grid_independent_curl():
    m = ch04.measure_rcae_curl()
    assert np.all(m.factor > 3 * ch04.CURL_FACTOR)
    assert np.all(m.grid_change < 0.1)
    assert np.all(np.diff(m.curl[:, 1]) > 0)  # it grows with lam


# ----------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: ch04.measure_rcae_errors(lams=[-1e-3, 1e-3, 1e-2]), ValueError, "lams"),
        (lambda: ch04.measure_rcae_errors(lams=[1e-3, 2e-3, 3e-3]), ValueError, "fit_max"),
        (lambda: ch04.measure_rcae_errors(solver=lambda log_p, grid, lam: grid[:-1]),
         ValueError, "solver"),
        (lambda: ch04.measure_rcae_errors(
            density=rt.GaussianMixture([1.0], [[0.0, 0.0]], [np.eye(2)])), TypeError, "density"),
        (lambda: ch04.check_rcae_score_error_order(errors=3), TypeError, "errors"),
        (lambda: ch04.check_rcae_second_order_coefficient(measurement=3), TypeError, "measurement"),
        (lambda: ch04.measure_gaussian_rcae_solver(variance=-1.0), ValueError, "variance"),
        (lambda: ch04.measure_rcae_2d(density=rt.paper_density_1d()), TypeError, "density"),
        (lambda: ch04.measure_rcae_2d(grid=(-4.5, 4.5, 161, 162)), ValueError, "share"),
        (lambda: ch04.check_rcae_jacobian_2d(3), TypeError, "measurement"),
        (lambda: ch04.check_rcae_jacobian_2d(_default_2d(), correction=lambda d, X: X),
         ValueError, "correction"),
        (lambda: ch04.measure_langevin_resolvent(points=[[0.3001]]), ValueError, "points"),
        (lambda: ch04.measure_langevin_resolvent(n_grid=4000), ValueError, "n_grid"),
        (lambda: ch04.measure_langevin_resolvent(rng=0), TypeError, "rng"),
        (lambda: ch04.measure_langevin_resolvent(estimator=lambda *a, **k: 0.0), TypeError,
         "estimator"),
        (lambda: ch04.check_langevin_resolvent(3), TypeError, "measurements"),
        (lambda: ch04.measure_rcae_curl(density=rt.paper_density_1d()), TypeError, "density"),
        (lambda: ch04.measure_rcae_curl(grids=(121, 122)), ValueError, "share"),
        (lambda: ch04.check_rcae_curl_2d(3), TypeError, "measurement"),
    ],
)
def test_checks_reject_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()
