"""Tests of raetut.annealing: noise levels, annealed Langevin, field diagnostics, checks."""

import numpy as np
import pytest

import raetut as rt


@pytest.fixture
def separated_1d():
    """Two well-separated 1-D components."""
    return rt.GaussianMixture([0.3, 0.7], [-3.0, 3.0], [0.25, 0.25])


@pytest.fixture
def separated_2d():
    """Three well-separated isotropic 2-D components with one common covariance."""
    means = [[-4.0, -2.5], [4.0, -2.5], [0.0, 4.0]]
    return rt.GaussianMixture([0.2, 0.3, 0.5], means, np.array([0.25 * np.eye(2)] * 3))


def rotation_field(kappa, sigma):
    """``r(x) = x + sigma^2 kappa (-x_2, x_1)``: curl ``2 kappa sigma^2`` everywhere."""

    def r(X):
        X = np.asarray(X, dtype=float)
        return X + sigma**2 * kappa * np.column_stack([-X[:, 1], X[:, 0]])

    return r


# ----------------------------------------------------------------- noise levels, scores


def test_geometric_noise_levels():
    sigmas = rt.geometric_noise_levels(8.0, 0.1, 5)
    assert sigmas[0] == pytest.approx(8.0) and sigmas[-1] == pytest.approx(0.1)
    assert np.all(np.diff(sigmas) < 0)
    np.testing.assert_allclose(sigmas[1:] / sigmas[:-1], (0.1 / 8.0) ** 0.25)


@pytest.mark.parametrize(
    "args, error, message",
    [
        ((0.1, 8.0, 5), ValueError, "sigma_max must be > sigma_min"),
        ((8.0, 0.0, 5), ValueError, "sigma_min must be a finite number > 0"),
        ((8.0, 0.1, 1), ValueError, "n_levels must be an integer >= 2"),
        ((8.0, 0.1, 2.5), TypeError, "n_levels must be an integer"),
    ],
)
def test_geometric_noise_levels_rejects_bad_input(args, error, message):
    with pytest.raises(error, match=message):
        rt.geometric_noise_levels(*args)


def test_denoiser_scores_of_optimal_denoisers_are_smoothed_scores(mixture_2d, rng):
    sigmas = [1.0, 0.5, 0.1]
    scores = rt.denoiser_scores(rt.optimal_denoisers(mixture_2d, sigmas), sigmas)
    X = rng.standard_normal((50, 2))
    for sigma, score in zip(sigmas, scores, strict=True):
        np.testing.assert_allclose(score(X), mixture_2d.smoothed(sigma).score(X), rtol=1e-10,
                                   atol=1e-12)


def test_denoiser_scores_is_the_tweedie_quotient():
    scores = rt.denoiser_scores([lambda X: 0.5 * X], [2.0])
    X = np.array([[1.0, -2.0]])
    np.testing.assert_allclose(scores[0](X), (0.5 * X - X) / 4.0)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda d: rt.denoiser_scores([lambda X: X], [1.0, 0.5]), ValueError, "same length"),
        (lambda d: rt.denoiser_scores([lambda X: X] * 2, [0.5, 1.0]), ValueError,
         "strictly decreasing"),
        (lambda d: rt.denoiser_scores([3], [1.0]), TypeError, r"denoisers\[0\] must be callable"),
        (lambda d: rt.optimal_denoisers("p", [1.0]), TypeError,
         "density must be a GaussianMixture"),
        (lambda d: rt.optimal_denoisers(d, [1.0, -1.0]), ValueError, "sigmas must contain only"),
    ],
)
def test_scores_reject_bad_input(mixture_1d, call, error, message):
    with pytest.raises(error, match=message):
        call(mixture_1d)


def test_denoiser_score_checks_the_output_shape():
    score = rt.denoiser_scores([lambda X: X[:, :1]], [1.0])[0]
    with pytest.raises(ValueError, match=r"denoisers\[0\]\(X\) must return shape"):
        score(np.zeros((3, 2)))


# --------------------------------------------------------------------- annealed Langevin


def test_annealed_langevin_shapes_steps_and_reproducibility(mixture_2d):
    sigmas = rt.geometric_noise_levels(2.0, 0.5, 3)
    scores = rt.denoiser_scores(rt.optimal_denoisers(mixture_2d, sigmas), sigmas)
    x0 = np.zeros((7, 2))
    a = rt.annealed_langevin(scores, sigmas, x0, 5, 0.01, np.random.default_rng(3))
    b = rt.annealed_langevin(scores, sigmas, x0, 5, 0.01, np.random.default_rng(3))
    assert a.samples.shape == (7, 2) and a.level_samples.shape == (3, 7, 2)
    np.testing.assert_array_equal(a.samples, a.level_samples[-1])
    np.testing.assert_array_equal(a.samples, b.samples)
    np.testing.assert_allclose(a.step_sizes, 0.01 * sigmas**2 / sigmas[-1] ** 2)
    np.testing.assert_array_equal(x0, np.zeros((7, 2)))  # the start is not modified


def test_unadjusted_langevin_level_has_the_known_gaussian_stationary_law(rng):
    # For N(mu, v) one step is an AR(1) map; its stationary variance is v / (1 - alpha / (4 v)).
    mu, v, alpha = 1.5, 0.5, 0.2
    score = [lambda X: -(X - mu) / v]
    result = rt.annealed_langevin(score, [1.0], np.zeros((20000, 1)), 200, alpha, rng)
    x = result.samples[:, 0]
    expected_var = v / (1 - alpha / (4 * v))
    assert abs(x.mean() - mu) < 4 * np.sqrt(expected_var / x.size)
    assert abs(x.var() / expected_var - 1) < 4 * np.sqrt(2 / x.size)


def test_annealed_langevin_recovers_mode_weights_plain_langevin_does_not(separated_1d, rng):
    sigmas = rt.geometric_noise_levels(4.0, 0.05, 10)
    scores = rt.denoiser_scores(rt.optimal_denoisers(separated_1d, sigmas), sigmas)
    x0 = np.full((2000, 1), -3.0)
    annealed = rt.annealed_langevin(scores, sigmas, x0, 60, 2e-3, rng)
    fractions = rt.mode_fractions(annealed.samples, separated_1d)
    assert np.max(np.abs(fractions - separated_1d.weights)) < 4 * np.sqrt(0.25 / 2000)
    plain = rt.annealed_langevin(scores[-1:], sigmas[-1:], x0, 600, 2e-3, rng)
    np.testing.assert_array_equal(rt.mode_fractions(plain.samples, separated_1d), [1.0, 0.0])


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"scores": []}, ValueError, "same length"),
        ({"sigmas": [0.5, 1.0]}, ValueError, "strictly decreasing"),
        ({"x0": np.zeros(3)}, ValueError, "x0 must be a 2-D array"),
        ({"n_steps": 0}, ValueError, "n_steps must be an integer >= 1"),
        ({"step_size": 0.0}, ValueError, "step_size must be a finite number > 0"),
        ({"step_size": 1e300, "sigmas": [1e10, 1e-10]}, ValueError, "outside the floating-point"),
        ({"rng": 0}, TypeError, "rng must be a numpy.random.Generator"),
    ],
)
def test_annealed_langevin_rejects_bad_input(kwargs, error, message):
    args = {"scores": [lambda X: -X] * 2, "sigmas": [1.0, 0.5], "x0": np.zeros((3, 1)),
            "n_steps": 2, "step_size": 0.1, "rng": np.random.default_rng(0)}
    args.update(kwargs)
    with pytest.raises(error, match=message):
        rt.annealed_langevin(**args)


# ------------------------------------------------------------------------ measuring


def test_mode_fractions_of_exact_samples(separated_2d, rng):
    X = separated_2d.sample(4000, rng)
    fractions = rt.mode_fractions(X, separated_2d)
    assert fractions.sum() == pytest.approx(1.0)
    assert np.max(np.abs(fractions - separated_2d.weights)) < 4 * np.sqrt(0.25 / 4000)


def test_mode_effective_sample_size_of_independent_draws(separated_2d, rng):
    chains = separated_2d.sample(4000, rng).reshape(1000, 4, 2)
    ess = rt.mode_effective_sample_size(chains, separated_2d)
    assert ess.shape == (3,)
    assert np.all((ess > 3000) & (ess < 5500))


def test_mixture_cdf_1d_matches_quadrature_of_the_density(mixture_1d):
    cdf = rt.mixture_cdf_1d(mixture_1d)
    x = np.linspace(-8, 8, 20001)
    p = mixture_1d.prob(x[:, None])
    numerical = np.concatenate([[0.0], np.cumsum(0.5 * (p[1:] + p[:-1]) * np.diff(x))])
    np.testing.assert_allclose(cdf(x), numerical, atol=1e-7)
    np.testing.assert_allclose(cdf(x[:, None]), cdf(x))
    with pytest.raises(ValueError, match="density must be 1-D"):
        rt.mixture_cdf_1d(rt.GaussianMixture([1.0], [[0.0, 0.0]], [np.eye(2)]))


def test_indicator_ess_and_ks_tolerance(rng):
    iid = rng.standard_normal((2000, 5, 1))
    ess = rt.indicator_effective_sample_size(iid)
    assert ess.shape == (5,)
    assert np.all((ess > 7000) & (ess < 13000))
    # the Kolmogorov distribution's 5 % critical value is 1.358 / sqrt(n)
    assert rt.ks_tolerance(100, beta=0.05) == pytest.approx(0.1358, abs=2e-4)
    with pytest.raises(ValueError, match="beta must lie in"):
        rt.ks_tolerance(100, beta=1.5)
    with pytest.raises(ValueError, match="levels must lie in"):
        rt.indicator_effective_sample_size(iid, levels=[0.0, 0.5])


def test_implied_density_of_the_optimal_denoiser_is_p_sigma(mixture_1d):
    sigma = 0.4
    grid = np.linspace(-9, 9, 8001)
    r = rt.dae_optimum(mixture_1d, sigma)
    log_q = rt.implied_log_density_1d(r, sigma, grid)
    np.testing.assert_allclose(log_q, mixture_1d.smoothed(sigma).log_prob(grid[:, None]),
                               atol=1e-4)
    cdf_q = rt.implied_cdf_1d(r, sigma, -9, 9)
    x = np.linspace(-4, 5, 50)
    np.testing.assert_allclose(cdf_q(x), rt.mixture_cdf_1d(mixture_1d.smoothed(sigma))(x),
                               atol=1e-5)
    assert cdf_q(np.array([-20.0]))[0] == 0.0 and cdf_q(np.array([20.0]))[0] == 1.0


def test_fixed_points_are_the_critical_points_of_p_sigma(mixture_1d):
    sigma = 0.3
    attractors, repellers = rt.fixed_points_1d(rt.dae_optimum(mixture_1d, sigma), -6, 6)
    modes, antimodes = rt.critical_points_1d(mixture_1d.smoothed(sigma), -6, 6)
    np.testing.assert_allclose(attractors, modes, atol=1e-9)
    np.testing.assert_allclose(repellers, antimodes, atol=1e-9)
    with pytest.raises(ValueError, match="upper must be > lower"):
        rt.fixed_points_1d(lambda X: X, 1.0, 0.0)
    with pytest.raises(ValueError, match=r"reconstruct\(X\) must return shape"):
        rt.fixed_points_1d(lambda X: X[:, 0], -1.0, 1.0)


def test_closed_loops_vanish_for_gradients_and_measure_curl(rng):
    A, B, C = (rng.standard_normal((20, 2)) for _ in range(3))
    density = rt.GaussianMixture([0.5, 0.5], [[-1.0, 0.0], [1.0, 0.5]], [np.eye(2)] * 2)
    exact = rt.closed_loop_log_ratio(rt.exact_log_ratio(density.log_prob), [A, B, C])
    np.testing.assert_allclose(exact, 0.0, atol=1e-12)
    sigma, kappa = 0.5, 0.7
    loops = rt.closed_loop_log_ratio(
        rt.line_integral_log_ratio(rotation_field(kappa, sigma), sigma, n_nodes=4), [A, B, C])
    AB, AC = B - A, C - A
    signed_area = 0.5 * (AB[:, 0] * AC[:, 1] - AB[:, 1] * AC[:, 0])
    np.testing.assert_allclose(loops, 2 * kappa * signed_area, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="at least 3 arrays"):
        rt.closed_loop_log_ratio(rt.exact_log_ratio(density.log_prob), [A, B])
    with pytest.raises(ValueError, match=r"vertices\[1\] must have shape"):
        rt.closed_loop_log_ratio(rt.exact_log_ratio(density.log_prob), [A, B[:3], C])


def test_curl_and_triangle_flux(rng):
    M = np.array([[0.3, -1.2], [0.5, 0.1]])
    curl = rt.field_curl_2d(lambda X: np.broadcast_to(M, (len(X), 2, 2)))
    np.testing.assert_allclose(curl(np.zeros((3, 2))), M[1, 0] - M[0, 1])
    A, B, C = (rng.standard_normal((10, 2)) for _ in range(3))
    AB, AC = B - A, C - A
    signed_area = 0.5 * (AB[:, 0] * AC[:, 1] - AB[:, 1] * AC[:, 0])
    np.testing.assert_allclose(rt.triangle_curl_flux(curl, A, B, C), 1.7 * signed_area)
    # a polynomial curl: x^2 y integrated over the unit right triangle is 1/60
    unit = [np.array([[0.0, 0.0]]), np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])]
    flux = rt.triangle_curl_flux(lambda X: X[:, 0] ** 2 * X[:, 1], *unit, n_nodes=4)
    assert flux[0] == pytest.approx(1 / 60, rel=1e-12)
    flipped = rt.triangle_curl_flux(lambda X: X[:, 0] ** 2 * X[:, 1], unit[0], unit[2], unit[1],
                                    n_nodes=4)
    assert flipped[0] == pytest.approx(-1 / 60, rel=1e-12)


def test_log_concavity_threshold_is_exact_for_two_equal_components():
    # 1/2 N(-a, tau^2) + 1/2 N(a, tau^2) is unimodal exactly when tau^2 >= a^2
    a, tau = 2.0, 0.5
    density = rt.GaussianMixture([0.5, 0.5], [-a, a], [tau**2, tau**2])
    threshold = rt.log_concavity_threshold(density)
    assert threshold == pytest.approx(np.sqrt(a**2 - tau**2))
    X = np.linspace(-6, 6, 2001)[:, None]
    assert rt.max_log_hessian_eigenvalue(density.smoothed(threshold), X) <= 1e-12
    assert rt.max_log_hessian_eigenvalue(density.smoothed(0.97 * threshold), X) > 0
    gaussian = rt.GaussianMixture([1.0], [[0.0, 0.0]], [[[2.0, 0.0], [0.0, 4.0]]])
    assert rt.max_log_hessian_eigenvalue(gaussian, np.zeros((1, 2))) == pytest.approx(-0.25)
    with pytest.raises(ValueError, match="common isotropic covariance"):
        rt.log_concavity_threshold(rt.GaussianMixture([0.5, 0.5], [-1.0, 1.0], [1.0, 2.0]))


# ------------------------------------------------------------------------- checks


# The checks of chapter 10 are tested in tests/test_checks_ch10.py.
