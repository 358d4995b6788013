"""Chapter 2's checks: each passes on the chapter's objects and fails on plausible wrong answers."""

import numpy as np
import pytest

import raetut as rt
from raetut.checks import ch02

DENSITY = ch02.chapter_density()


def _first_order(density, sigma):
    """x + sigma^2 s: right to first order only, not the exact optimum."""
    return lambda X: X + sigma**2 * density.score(X)


def _double_step(density, sigma):
    """x + 2 sigma^2 s: the score estimate is off by a factor 2."""
    return lambda X: X + 2 * sigma**2 * density.score(X)


def _smoothed_twice(density, sigma):
    """x + sigma^2 grad log p_{sqrt 2 sigma}: the right order, twice the coefficient."""
    smooth = density.smoothed(np.sqrt(2) * sigma)
    return lambda X: X + sigma**2 * smooth.score(X)


def _perturbed_density(density, sigma):
    """The optimum of a nearby mixture (middle mean shifted by 0.02)."""
    other = rt.GaussianMixture([0.3, 0.45, 0.25], [-2.0, 0.42, 2.5], [0.3, 0.5, 0.25])
    return rt.dae_optimum(other, sigma)


def _gaussian(closed_form):
    return ch02.check_gaussian_closed_form(ch02.measure_gaussian_optima(closed_form=closed_form))


NEGATIVE_CONTROLS = {
    "check_dae_optimum_exact": [
        lambda: ch02.check_dae_optimum_exact(optimum=_first_order),
        lambda: ch02.check_dae_optimum_exact(optimum=_perturbed_density),
        lambda: ch02.check_dae_optimum_exact(optimum=_smoothed_twice),
    ],
    "check_dae_score_error_order": [
        lambda: ch02.check_dae_score_error_order(
            ch02.measure_dae_score_errors(optimum=_double_step)),
        # exactly x + sigma^2 s: no error at all, order 0
        lambda: ch02.check_dae_score_error_order(
            ch02.measure_dae_score_errors(optimum=_first_order)),
    ],
    "check_dae_second_order_coefficient": [
        # the rCAE's coefficient Delta s + (grad s) s
        lambda: ch02.check_dae_second_order_coefficient(
            ch02.measure_dae_score_errors(correction=rt.rcae_score_correction)),
        # the right order, twice the coefficient
        lambda: ch02.check_dae_second_order_coefficient(
            ch02.measure_dae_score_errors(optimum=_smoothed_twice)),
    ],
    "check_gaussian_closed_form": [
        # sigma where sigma^2 belongs
        lambda: _gaussian(lambda m, c, s: rt.gaussian_dae_optimum(m, c, np.sqrt(s))),
        # the rCAE closed form with lam = sigma instead of sigma^2
        lambda: _gaussian(lambda m, c, s: rt.gaussian_rcae_optimum(m, c, s)),
        # the covariance of the corrupted data in place of the data's
        lambda: _gaussian(lambda m, c, s: rt.gaussian_dae_optimum(m, c + s**2 * np.eye(2), s)),
        # the first-order field x + sigma^2 s(x), s(x) = -Sigma^{-1} (x - mu)
        lambda: _gaussian(lambda m, c, s: (lambda X: X - s**2 * (X - m) @ np.linalg.inv(c).T)),
    ],
}


def test_every_chapter_check_passes_with_its_defaults():
    names = [entry.name for entry in rt.checks.registry(2)]
    assert sorted(names) == sorted(NEGATIVE_CONTROLS)
    for entry in rt.checks.registry(2):
        result = entry.function()
        assert result.passed, (entry.name, result.measured, result.tolerance)


def test_slope_alone_passes_the_wrong_smoothing_the_coefficient_does_not():
    wrong = ch02.measure_dae_score_errors(optimum=_smoothed_twice)
    assert ch02.check_dae_score_error_order(wrong).passed
    result = ch02.check_dae_second_order_coefficient(wrong)
    assert not result.passed
    assert result.measured == pytest.approx(1.0, abs=0.05)


def test_gaussian_sides_are_independent_and_agree():
    m = ch02.measure_gaussian_optima(mean=(0.5, -0.2), cov=((0.6, 0.2), (0.2, 0.4)), sigma=0.3)
    np.testing.assert_allclose(m.posterior_mean, m.closed_form, atol=1e-10)
    np.testing.assert_allclose(m.tweedie, m.closed_form, atol=1e-12)
    assert ch02.check_gaussian_closed_form(m).passed


def test_score_errors_measure_the_chapters_figure():
    m = ch02.measure_dae_score_errors()
    assert m.sigmas.size == 9 and m.x.size == 751
    assert m.errors.shape == (9, 751) and m.max_error.shape == (9,)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: ch02.check_dae_optimum_exact(density="p"), TypeError, "density"),
        (lambda: ch02.check_dae_optimum_exact(optimum=3), TypeError, "optimum"),
        (lambda: ch02.check_dae_optimum_exact(sigmas=(0.1, -1.0)), ValueError, "sigmas"),
        (lambda: ch02.check_dae_optimum_exact(n_grid=101), ValueError, "n_grid"),
        (lambda: ch02.measure_dae_score_errors(sigmas=[0.1, 0.1, 0.2]), ValueError, "sigmas"),
        (lambda: ch02.measure_dae_score_errors(sigmas=[0.1, 0.2]), ValueError, "sigmas"),
        (lambda: ch02.measure_dae_score_errors(x=[1.0, 0.0, 2.0]), ValueError, "x"),
        (lambda: ch02.measure_dae_score_errors(optimum=lambda d, s: (lambda X: X[:, 0])),
         ValueError, "optimum"),
        (lambda: ch02.measure_gaussian_optima(sigma=0.0), ValueError, "sigma"),
        (lambda: ch02.check_gaussian_closed_form(measurement=1), TypeError, "measurement"),
        (lambda: ch02.check_dae_score_error_order(measurement=1), TypeError, "measurement"),
    ],
)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()
