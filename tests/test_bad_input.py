"""Bad and extreme input across the public API: an error naming the argument, or a finite,
correct result; never a silent NaN.

Property-based (hypothesis) over each family of public functions, plus the regressions
that a probe of 493 bad inputs found.
"""

import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import raetut as rt

MIXTURE = rt.GaussianMixture([0.3, 0.7], [-1.0, 1.0], [0.2, 0.4])
MIXTURE_2D = rt.GaussianMixture([0.5, 0.5], [[-1.0, 0.0], [1.0, 0.5]],
                                [np.eye(2) * 0.3, np.eye(2) * 0.5])
GRID = np.linspace(-3.0, 3.0, 61)
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

# Any float a user might pass: ordinary, tiny, huge, subnormal, zero, negative, inf, NaN.
any_float = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -1.0, 1e-320, 1e-300, 1e-200, 1e-160, 1e-150, 1e150, 1e160, 1e200,
                     1e300, np.inf, np.nan]),
)


def _refused_naming(exc, name):
    return isinstance(exc, (ValueError, TypeError)) and re.search(rf"\b{re.escape(name)}\b",
                                                                  str(exc))


def _finite_or_refused(call, name, allow_neg_inf=False):
    """Run ``call``; it must return finite values or raise an error that names ``name``."""
    try:
        out = call()
    except (ValueError, TypeError) as exc:
        assert _refused_naming(exc, name), f"error does not name {name!r}: {exc}"
        return None
    values = np.asarray(out.covariances if isinstance(out, rt.GaussianMixture) else out,
                        dtype=float)
    bad = np.isnan(values) | (values == np.inf)
    if not allow_neg_inf:
        bad |= values == -np.inf
    assert not bad.any(), f"returned non-finite values without an error: {values}"
    return out


# ----------------------------------------------------------- pattern 2: scale parameters

SIGMA_CALLS = {
    "smoothed": lambda s: MIXTURE.smoothed(s),
    "dae_optimum": lambda s: rt.dae_optimum(MIXTURE, s)(GRID[:, None]),
    "gaussian_dae_optimum": lambda s: rt.gaussian_dae_optimum(0.0, 1.0, s)(GRID[:, None]),
    "dae_optimum_1d": lambda s: rt.dae_optimum_1d(lambda x: -0.5 * x**2, GRID, s),
    "energy_density_1d": lambda s: rt.energy_density_1d(lambda x: -0.5 * x**2, GRID, s),
    "line_integral_log_ratio": lambda s: rt.line_integral_log_ratio(lambda X: 0.5 * X, s)(
        GRID[:10, None], GRID[1:11, None]),
    "dae_loss": lambda s: rt.dae_loss(lambda X: 0.5 * X, GRID[:, None], s,
                                      rng=np.random.default_rng(0)),
}


@pytest.mark.parametrize("name", SIGMA_CALLS)
@SETTINGS
@given(sigma=any_float)
def test_a_noise_level_is_refused_by_name_or_gives_finite_values(name, sigma):
    _finite_or_refused(lambda: SIGMA_CALLS[name](sigma), "sigma")


@SETTINGS
@given(lam=any_float)
def test_a_penalty_is_refused_by_name_or_gives_finite_values(lam):
    _finite_or_refused(lambda: rt.rcae_optimum_1d(lambda x: -0.5 * x**2, GRID, lam), "lam")
    _finite_or_refused(lambda: rt.gaussian_rcae_optimum(0.0, 1.0, lam)(GRID[:, None]), "lam")


@SETTINGS
@given(variance=any_float)
def test_a_variance_is_refused_by_name_or_gives_finite_log_densities(variance):
    def call():
        return rt.GaussianMixture([1.0], [0.0], [variance]).log_prob(GRID[:, None])

    _finite_or_refused(call, "covariances", allow_neg_inf=True)  # p underflows to 0: exact


@pytest.mark.parametrize("sigma", [1e200, 1e-300, 1e-160])
def test_the_probe_s_scales_are_refused_by_name(sigma):
    for name, call in SIGMA_CALLS.items():
        with pytest.raises(ValueError, match=r"sigma must lie in"):
            call(sigma)
        assert name


def test_a_subnormal_variance_is_refused():
    with pytest.raises(ValueError, match=r"covariances\[0\] is numerically singular"):
        rt.GaussianMixture([1.0], [0.0], [1e-320])


# ------------------------------------------------------ pattern 3: far from the data

far = st.floats(min_value=-1e308, max_value=1e308, allow_nan=False)


@SETTINGS
@given(x=far, y=far)
def test_far_points_have_a_log_density_and_a_score_or_a_clear_refusal(x, y):
    X = np.array([[x, y]])
    log_p = MIXTURE_2D.log_prob(X)
    assert not np.isnan(log_p).any() and not (log_p == np.inf).any()
    if abs(x) < 1e3 and abs(y) < 1e3:
        assert np.isfinite(log_p).all()
    score = _finite_or_refused(lambda: MIXTURE_2D.score(X), "X")
    hessian = _finite_or_refused(lambda: MIXTURE_2D.hessian_log_prob(X), "X")
    if np.isfinite(log_p).all():
        assert score is not None and hessian is not None


def test_far_points_beyond_the_float_range_of_a_square():
    X = np.array([[1e300], [1e3]])
    log_p = MIXTURE.log_prob(X)
    assert log_p[0] == -np.inf and np.isfinite(log_p[1])
    for method in (MIXTURE.score, MIXTURE.hessian_log_prob, MIXTURE.component_responsibilities):
        with pytest.raises(ValueError, match=r"X\[0\] = \[1\.e\+300\] is too far"):
            method(X)
    with pytest.raises(ValueError, match="too far from the mixture"):
        rt.mode_fractions(X, MIXTURE)


scale = st.floats(min_value=1e-300, max_value=1e300)


@SETTINGS
@given(c=scale)
def test_chain_diagnostics_do_not_depend_on_the_scale(c):
    chains = np.random.default_rng(1).standard_normal((60, 3, 2)).cumsum(axis=0)
    np.testing.assert_allclose(rt.effective_sample_size(c * chains),
                               rt.effective_sample_size(chains), rtol=1e-9)
    np.testing.assert_allclose(rt.split_rhat(c * chains), rt.split_rhat(chains), rtol=1e-9)


@SETTINGS
@given(c=scale, shift=st.floats(min_value=-1e3, max_value=1e3))
def test_energy_distance_is_homogeneous_and_mmd_finite(c, shift):
    rng = np.random.default_rng(2)
    X, Y = rng.standard_normal((30, 2)), rng.standard_normal((20, 2)) + 0.5
    expected = rt.energy_distance(X + shift, Y + shift)
    np.testing.assert_allclose(rt.energy_distance(c * (X + shift), c * (Y + shift)) / c,
                               expected, rtol=1e-6)
    value = rt.mmd(c * X, c * Y, bandwidth=c)
    assert np.isfinite(value)
    np.testing.assert_allclose(value, rt.mmd(X, Y, bandwidth=1.0), rtol=1e-6, atol=1e-12)


def test_two_sample_statistics_far_from_the_origin():
    X, Y = np.array([[1e300], [0.0]]), np.array([[0.0], [1.0]])
    assert rt.energy_distance(X, Y) == pytest.approx(5e299)
    # The pair at 1e300 has kernel value 0; the others are those of {0} against {0, 1}.
    expected = rt.mmd(np.array([[1e3], [0.0]]), Y, 1.0)
    assert rt.mmd(X, Y, 1.0) == pytest.approx(expected, rel=1e-12)


# ----------------------------------- pattern 1: user functions that return NaN


def _nan_at(position):
    """A reconstruction that returns NaN at one input row (the rest: shrink to 0)."""

    def r(X):
        out = 0.5 * np.asarray(X, dtype=float)
        out[position % len(out)] = np.nan
        return out

    return r


X1 = np.linspace(-1.0, 1.0, 12)[:, None]
CALLABLE_CALLS = {
    "reconstruct": [
        lambda r: rt.dae_loss(r, X1, 0.1, rng=np.random.default_rng(0)),
        lambda r: rt.line_integral_log_ratio(r, 0.3)(X1, X1 + 0.1),
        lambda r: rt.implied_log_density_1d(r, 0.3, X1[:, 0]),
        lambda r: rt.attractors_1d(r, -1.0, 1.0, n_grid=12),
        lambda r: rt.finite_difference_jacobian(r, X1),
    ],
    "score": [
        lambda r: rt.unadjusted_langevin(r, X1, 3, 0.1, np.random.default_rng(0)),
        lambda r: rt.mala(r, X1, 3, 0.1, np.random.default_rng(0),
                          log_ratio=rt.exact_log_ratio(MIXTURE.log_prob)),
    ],
    "log_ratio": [
        lambda r: rt.metropolis_hastings(lambda x, y: r(y)[:, 0], X1, 3, 0.1,
                                         np.random.default_rng(0)),
    ],
}


@pytest.mark.parametrize("name", CALLABLE_CALLS)
@SETTINGS
@given(position=st.integers(min_value=0, max_value=200))
def test_a_user_function_returning_nan_is_an_error_naming_it(name, position):
    for call in CALLABLE_CALLS[name]:
        with pytest.raises(ValueError, match=rf"{name} returned a non-finite value \(nan\)"):
            call(_nan_at(position))


def test_a_density_with_no_mass_on_the_grid_is_refused():
    with pytest.raises(ValueError, match="log_p is -inf at every grid point"):
        rt.dae_optimum_1d(lambda x: np.full(len(x), -np.inf), GRID, 0.1)


def test_adam_from_a_start_whose_loss_overflows_is_an_error():
    model = rt.Autoencoder(1, 4)
    params = model.init_params(np.random.default_rng(0)) * 1e200
    with pytest.raises(ValueError, match="not finite at params0"):
        rt.fit(model, X1, "dae", sigma=0.1, params0=params, optimizer="adam", n_iter=3,
               rng=np.random.default_rng(0), progress=False)


# ----------------------------------- pattern 4: errors that name the caller's argument


def test_a_sampler_names_x0_when_it_has_the_wrong_width():
    with pytest.raises(ValueError, match=r"the first step from x0 \(shape \(6, 2\)\) failed"):
        rt.mala(MIXTURE.score, np.zeros((6, 2)), 3, 0.1, np.random.default_rng(0),
                log_ratio=rt.exact_log_ratio(MIXTURE.log_prob))
    with pytest.raises(ValueError, match=r"the first step from x0"):
        rt.metropolis_hastings(rt.exact_log_ratio(MIXTURE.log_prob), np.zeros((6, 2)), 3, 0.1,
                               np.random.default_rng(0))


def test_annealed_langevin_names_its_own_step_argument():
    with pytest.raises(ValueError, match="step_size must be a finite number > 0"):
        rt.annealed_langevin([lambda X: -X], [1.0], np.zeros((2, 1)), 2, -1.0,
                             np.random.default_rng(0))


def test_lbfgs_from_a_start_whose_loss_overflows_is_an_error():
    model = rt.Autoencoder(1, 4)
    params = model.init_params(np.random.default_rng(0)) * 1e200
    with pytest.raises(ValueError, match="not finite at params0"):
        rt.fit(model, X1, "dae", sigma=0.1, params0=params, n_iter=3,
               rng=np.random.default_rng(0), progress=False)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: rt.checks.ch05.measure_antimode_reconstruction(bounds=(1.0,)),
         r"bounds must be a finite pair \(lower, upper\)"),
        (lambda: rt.checks.ch04.measure_rcae_errors(bounds=(2.0, 1.0)), "lower < upper"),
        (lambda: rt.checks.ch05.measure_ring_reconstruction(grid=[]), "grid must"),
        (lambda: rt.gaussian_dae_optimum([0.0, 0.0], [1.0, 1.0, 1.0], 0.5), "cov must have shape"),
        (lambda: rt.gaussian_rcae_optimum([0.0], [[-1.0]], 0.5), "cov must be positive definite"),
    ],
)
def test_checks_and_closed_forms_name_the_caller_s_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_a_slider_s_draw_with_the_wrong_arity_is_refused_by_name():
    with pytest.raises(TypeError, match=r"draw must accept 2 positional argument\(s\), called as "
                                        r"draw\(fig, value\)"):
        rt.widgets.static_slider(lambda fig: None, [1.0, 2.0])
    with pytest.raises(TypeError, match="draw must accept 2"):
        rt.widgets.live_slider(lambda fig: None, [1.0, 2.0])


def test_ch04_s_2d_grid_setting_is_named():
    with pytest.raises(ValueError, match=r"grid must be \(lower, upper, n_coarse, n_fine\)"):
        rt.checks.ch04.measure_rcae_2d(grid=[])
