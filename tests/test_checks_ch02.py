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


# -- second-order Tweedie ---------------------------------------------------------------

MIXTURE_2D = ch02.chapter_mixture_2d()


def _unsmoothed_hessian(density, sigma):
    """I + sigma^2 grad^2 log p: the Hessian of p, not of p_sigma."""
    return lambda X: np.eye(density.dim) + sigma**2 * density.hessian_log_prob(X)


def _covariance_over_sigma(density, sigma):
    """Cov / sigma in place of Cov / sigma^2 (the wrong power)."""
    return lambda X: sigma * rt.dae_posterior_covariance(density, sigma)(X)


def _antisymmetrised(density, sigma):
    """The covariance with the sign of its lower off-diagonal entry flipped."""
    def covariance(X):
        C = rt.dae_posterior_covariance(density, sigma)(X).copy()
        C[:, 1, 0] *= -1.0
        return C
    return covariance


def _transposed_gain(density, sigma):
    """The spread term written (m_k - m)(x~ - mu_k)^T instead of (m_k - m)(m_k - m)^T."""
    def covariance(X):
        pi = density.smoothed(sigma).component_responsibilities(X)
        eye = np.eye(density.dim)
        out = np.zeros((len(X), density.dim, density.dim))
        means = []
        for k in range(density.n_components):
            S = density.covariances[k]
            gain = S @ np.linalg.inv(S + sigma**2 * eye)
            means.append(density.means[k] + (X - density.means[k]) @ gain.T)
            out += pi[:, k, None, None] * sigma**2 * gain
        means = np.stack(means, axis=1)
        m = np.einsum("nk,nki->ni", pi, means)
        for k in range(density.n_components):
            out += pi[:, k, None, None] * np.einsum(
                "ni,nj->nij", means[:, k] - m, X - density.means[k])
        return out
    return covariance


def _wrong_sigma(density, sigma):
    """The optimal DAE of a noise level 10 % too large, differentiated numerically."""
    return rt.dae_optimum(density, 1.1 * sigma)


def _rcae_jacobian_coefficient(density, X):
    """The Jacobian of c_rCAE = Delta s + (grad s) s: grad^2 (Delta log p + |grad log p|^2 / 2)."""
    return rt.finite_difference_jacobian(lambda Z: rt.rcae_score_correction(density, Z), X,
                                         step=1e-5)


def _smoothed_twice_jacobian(density, sigma):
    """I + sigma^2 grad^2 log p_{sqrt 2 sigma}: the right order, twice the coefficient."""
    smooth = density.smoothed(np.sqrt(2) * sigma)
    return lambda X: np.eye(density.dim) + sigma**2 * smooth.hessian_log_prob(X)


def _covariance(**kwargs):
    return ch02.check_dae_jacobian_covariance(ch02.measure_jacobian_covariance(**kwargs))


def _coefficient(**kwargs):
    return ch02.check_dae_jacobian_coefficient(ch02.measure_dae_jacobian_coefficient(**kwargs))


NEGATIVE_CONTROLS.update({
    "check_dae_jacobian_covariance": [
        lambda: _covariance(hessian=_unsmoothed_hessian),
        lambda: _covariance(density=MIXTURE_2D, hessian=_unsmoothed_hessian),
        lambda: _covariance(covariance=_covariance_over_sigma),
        lambda: _covariance(density=MIXTURE_2D, covariance=_antisymmetrised),
        lambda: _covariance(density=MIXTURE_2D, covariance=_transposed_gain),
        lambda: _covariance(optimum=_wrong_sigma),
        lambda: _covariance(density=MIXTURE_2D, optimum=_wrong_sigma),
    ],
    "check_dae_jacobian_coefficient": [
        # the Hessian of Delta log p + |grad log p|^2, without the factor 1/2
        lambda: _coefficient(coefficient=lambda d, X: 2.0 * rt.dae_jacobian_correction(d, X)),
        lambda: _coefficient(coefficient=_rcae_jacobian_coefficient),
        # the Jacobian of x + sigma^2 s_{sqrt 2 sigma}, smoothed twice as much: twice K
        lambda: _coefficient(jacobian=_smoothed_twice_jacobian),
    ],
})


def test_second_order_tweedie_sides_are_computed_separately():
    m = ch02.measure_jacobian_covariance(MIXTURE_2D, sigmas=(0.3,))
    assert m.quadrature is None and m.covariance.shape == (1, 7, 2, 2)
    assert np.max(np.abs(m.covariance[..., 0, 1])) > 0.05     # off-diagonal entries matter
    m1 = ch02.measure_jacobian_covariance()
    assert m1.quadrature.shape == (2, 6)
    # between the modes the slope of r* exceeds 1: the posterior is wider than the noise
    assert np.max(m1.covariance) > 1.2


def test_jacobian_controls_fail_by_the_expected_amount():
    assert ch02.check_dae_jacobian_coefficient(ch02.measure_dae_jacobian_coefficient(
        coefficient=lambda d, X: 2.0 * rt.dae_jacobian_correction(d, X))).measured == \
        pytest.approx(0.5, abs=0.01)
    wrong = ch02.check_dae_jacobian_covariance(
        ch02.measure_jacobian_covariance(MIXTURE_2D, covariance=_antisymmetrised))
    assert wrong.measured == pytest.approx(0.48, abs=0.05)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: ch02.measure_jacobian_covariance(density="p"), TypeError, "density"),
        (lambda: ch02.measure_jacobian_covariance(sigmas=(0.1, 0.0)), ValueError, "sigmas"),
        (lambda: ch02.measure_jacobian_covariance(X=np.zeros((2, 2))), ValueError, "X"),
        (lambda: ch02.measure_jacobian_covariance(covariance=1), TypeError, "covariance"),
        (lambda: ch02.measure_jacobian_covariance(
            covariance=lambda d, s: (lambda X: X)), ValueError, "covariance"),
        (lambda: ch02.check_dae_jacobian_covariance(measurement=[1]), TypeError, "measurement"),
        (lambda: ch02.measure_dae_jacobian_coefficient(DENSITY), ValueError, "X"),
        (lambda: ch02.measure_dae_jacobian_coefficient(sigmas=[0.1, 0.2]), ValueError, "sigmas"),
        (lambda: ch02.measure_dae_jacobian_coefficient(coefficient="K"), TypeError,
         "coefficient"),
        (lambda: ch02.check_dae_jacobian_coefficient(measurement=1), TypeError, "measurement"),
    ],
)
def test_second_order_tweedie_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()
