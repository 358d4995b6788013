"""Chapter 11's checks: each passes on the chapter's objects and fails on wrong answers."""


import numpy as np
import pytest

import raetut as rt
from raetut.checks import ch11


def _scaled(sigma_factor):
    """The exact optimum of the training set at the wrong noise level."""
    return lambda X, sigma: rt.empirical_denoiser(X, sigma_factor * sigma)


def _prior_mean(X, sigma):
    """r = the mean training image, whatever the input."""
    mean = np.mean(X, axis=0)
    return lambda Z: np.broadcast_to(mean, Z.shape).copy()


def _nearest_image(X, sigma):
    """r = the nearest training image: the sigma -> 0 limit, not the optimum at sigma."""
    return lambda Z: X[rt.nearest_neighbours(Z, X)[1]]


def _smoothed_twice_score(X, sigma):
    """The score of the empirical mixture smoothed with 2 sigma^2 instead of sigma^2."""
    return ch11.kde_mixture(X, np.sqrt(2.0) * sigma).score


def _smoothed_twice_hessian(X, sigma):
    return ch11.kde_mixture(X, np.sqrt(2.0) * sigma).hessian_log_prob


def _covariance_times(factor_of_sigma):
    """sigma^2 Cov as the 'Cov' (so that J = Cov: the 1/sigma^2 forgotten)."""
    def covariance(X, sigma):
        C = rt.empirical_posterior_covariance(X, sigma)
        return lambda Z: factor_of_sigma(sigma) * C(Z)
    return covariance


def _covariance_with_within_term(X, sigma):
    """Cov + sigma^2 I: a within-component term the discrete posterior does not have."""
    C = rt.empirical_posterior_covariance(X, sigma)
    return lambda Z: C(Z) + sigma**2 * np.eye(X.shape[1])


def _data_covariance(X, sigma):
    """The prior covariance of the training images in place of the posterior's."""
    cov = np.cov(X.T, bias=True)
    return lambda Z: np.broadcast_to(cov, (len(Z),) + cov.shape).copy()


def _covariance_wrong_sigma(X, sigma):
    return rt.empirical_posterior_covariance(X, 1.1 * sigma)



def _tweedie(**kwargs):
    return ch11.check_empirical_tweedie(ch11.measure_empirical_identities(**kwargs))


def _jacobian(**kwargs):
    return ch11.check_empirical_jacobian_covariance(ch11.measure_empirical_identities(**kwargs))


def _minimiser(optimum):
    return ch11.check_empirical_dae_minimiser(ch11.measure_empirical_minimiser(optimum=optimum))


NEGATIVE_CONTROLS = {
    "check_empirical_tweedie": [
        lambda: _tweedie(denoiser=_scaled(1.1)),
        lambda: _tweedie(denoiser=_prior_mean),
        lambda: _tweedie(denoiser=_nearest_image),
        lambda: _tweedie(denoiser=rt.gaussian_fit_denoiser),
        lambda: _tweedie(score=_smoothed_twice_score),
    ],
    "check_empirical_jacobian_covariance": [
        # J = Cov, without the 1/sigma^2
        lambda: _jacobian(covariance=_covariance_times(lambda s: s**2)),
        # Cov / sigma: the wrong power
        lambda: _jacobian(covariance=_covariance_times(lambda s: s)),
        lambda: _jacobian(covariance=_covariance_with_within_term),
        lambda: _jacobian(covariance=_data_covariance),
        lambda: _jacobian(covariance=_covariance_wrong_sigma),
        lambda: _jacobian(hessian=_smoothed_twice_hessian),
        lambda: _jacobian(denoiser=_scaled(1.1)),
    ],
    "check_empirical_dae_minimiser": [
        lambda: _minimiser(_nearest_image),
        lambda: _minimiser(_scaled(np.sqrt(2.0))),
        lambda: _minimiser(rt.gaussian_fit_denoiser),
        lambda: _minimiser(_prior_mean),
    ],
}


def test_every_chapter_check_passes_with_its_defaults():
    names = [entry.name for entry in rt.checks.registry(11)]
    assert sorted(names) == sorted(NEGATIVE_CONTROLS)
    for entry in rt.checks.registry(11):
        result = entry.function()
        assert result.passed, (entry.name, result.measured, result.tolerance, result.detail)


def test_the_sides_are_computed_separately_and_are_not_trivial():
    m = ch11.measure_empirical_identities()
    assert m.X.shape == (2, 6, 64) and m.fd_jacobian.shape == (2, 6, 64, 64)
    # the posterior is spread over several images: the Jacobian is far from 0 and from I
    eig = np.linalg.eigvalsh(m.covariance_form)
    assert np.max(eig) > 1.0
    assert np.max(np.abs(m.posterior_mean - m.X)) > 0.3
    # a control fails by much more than the tolerance
    wrong = ch11.check_empirical_jacobian_covariance(ch11.measure_empirical_identities(
        covariance=_covariance_with_within_term))
    assert wrong.measured > 0.5


def test_the_minimiser_starts_away_from_the_answer():
    m = ch11.measure_empirical_minimiser()
    assert np.min(np.max(np.abs(m.X - m.formula), axis=2)) > 0.3


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: ch11.measure_empirical_identities(sigmas=(0.3, 0.0)), ValueError, "sigmas"),
        (lambda: ch11.measure_empirical_identities(train=np.zeros((3, 2)),
                                                   points=lambda s: np.zeros((2, 3))),
         ValueError, "points"),
        (lambda: ch11.measure_empirical_identities(denoiser=3), TypeError, "denoiser"),
        (lambda: ch11.measure_empirical_identities(
            denoiser=lambda X, s: (lambda Z: Z[:, :3])), ValueError, "denoiser"),
        (lambda: ch11.check_empirical_tweedie(measurement=1), TypeError, "measurement"),
        (lambda: ch11.check_empirical_jacobian_covariance(measurement=1), TypeError,
         "measurement"),
        (lambda: ch11.check_empirical_dae_minimiser(measurement=1), TypeError, "measurement"),
        (lambda: ch11.measure_empirical_minimiser(n_points=0), ValueError, "n_points"),
        (lambda: ch11.chapter_points(-1.0), ValueError, "sigma"),
    ],
)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


def _memorisation(denoiser):
    return ch11.check_memorisation_limit(ch11.measure_memorisation(denoiser=denoiser))


NEGATIVE_CONTROLS["check_memorisation_limit"] = [
    lambda: _memorisation(rt.gaussian_fit_denoiser),
    lambda: _memorisation(lambda X, sigma: (lambda Z: Z)),      # r = x~, no denoising
    lambda: _memorisation(_prior_mean),
    # the optimum of a training set that holds the held-out images too: no gap left
    lambda: _memorisation(lambda X, sigma: rt.empirical_denoiser(
        np.vstack([X, ch11.chapter_data().test]), sigma)),
]


def _networks(make):
    """One 'network' per level of the chapter's auto-encoders, built by make(train, sigma)."""
    train = ch11.chapter_data().train
    return ch11.measure_heldout_errors([make(train, s) for s in ch11.AE_SIGMAS])


NEGATIVE_CONTROLS["check_autoencoder_beats_optimum"] = [
    # the optimum itself: no difference at all
    lambda: ch11.check_autoencoder_beats_optimum(_networks(rt.empirical_denoiser)),
    # the nearest training image: memorises as much as the optimum
    lambda: ch11.check_autoencoder_beats_optimum(_networks(_nearest_image)),
    # no denoising, r = x~
    lambda: ch11.check_autoencoder_beats_optimum(_networks(lambda X, s: (lambda Z: Z))),
]


def test_heldout_errors_bad_input():
    with pytest.raises(ValueError, match="networks"):
        ch11.measure_heldout_errors([lambda Z: Z], sigmas=(0.1, 0.2))
    with pytest.raises(TypeError, match="networks"):
        ch11.measure_heldout_errors([3], sigmas=(0.1,))
    with pytest.raises(TypeError, match="measurement"):
        ch11.check_autoencoder_beats_optimum(measurement=1)


def _samples(make, sigmas=ch11.SAMPLE_SIGMAS):
    """The chapter's annealed Langevin with denoisers make(train, sigma) at sigmas."""
    train = ch11.chapter_data().train
    return ch11.measure_digit_samples(ch11.sample_digits([make(train, s) for s in sigmas],
                                                         sigmas))


NEGATIVE_CONTROLS["check_empirical_samples_are_copies"] = [
    # the Gaussian baseline: new images, no copies
    lambda: ch11.check_empirical_samples_are_copies(_samples(rt.gaussian_fit_denoiser)),
    # the exact optimum, but annealing stopped at sigma = 0.4: averages of several images
    lambda: ch11.check_empirical_samples_are_copies(
        _samples(rt.empirical_denoiser, sigmas=(0.7, 0.4))),
    # no denoising at all: the score is 0 and the chains diffuse
    lambda: ch11.check_empirical_samples_are_copies(_samples(lambda X, s: (lambda Z: Z))),
]


def test_digit_samples_bad_input():
    with pytest.raises(ValueError, match="samples"):
        ch11.measure_digit_samples(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="samples"):
        ch11.measure_digit_samples(np.full((3, 64), np.nan))
    with pytest.raises(TypeError, match="measurement"):
        ch11.check_empirical_samples_are_copies(measurement=1)
    with pytest.raises(ValueError, match="step_ratio"):
        ch11.sample_digits([lambda Z: Z], sigmas=(0.1,), step_ratio=0.0)


NEGATIVE_CONTROLS["check_empirical_orthogonality"] = [
    # the nearest training image
    lambda: ch11.check_empirical_orthogonality(ch11.measure_orthogonality(optimum=_nearest_image)),
    # the softmax at the wrong noise level, 0.9 sigma and sqrt(2) sigma
    lambda: ch11.check_empirical_orthogonality(ch11.measure_orthogonality(optimum=_scaled(0.9))),
    lambda: ch11.check_empirical_orthogonality(ch11.measure_orthogonality(
        optimum=_scaled(np.sqrt(2.0)))),
    # the Gaussian baseline: orthogonal to every affine g, not to the nearest image
    lambda: ch11.check_empirical_orthogonality(ch11.measure_orthogonality(
        optimum=rt.gaussian_fit_denoiser)),
]


def test_orthogonality_bad_input():
    with pytest.raises(TypeError, match="measurement"):
        ch11.check_empirical_orthogonality(measurement=1)
    with pytest.raises(ValueError, match="n_draws"):
        ch11.measure_orthogonality(n_draws=0)
