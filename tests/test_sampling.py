"""Line-integral log-ratios and the samplers: exactness, correctness on known targets, safety."""

import numpy as np
import pytest
from scipy import stats

import raetut as rt


def mixture_cdf_1d(density):
    sd = np.sqrt(density.covariances[:, 0, 0])
    means = density.means[:, 0]

    def cdf(x):
        z = (np.asarray(x)[:, None] - means) / sd
        return np.sum(density.weights * stats.norm.cdf(z), axis=1)

    return cdf


# Kolmogorov distribution: P(sqrt(n) KS > 1.63) = 1% for n i.i.d. draws.
KS_99 = 1.63


# ------------------------------------------------------------------ log-ratios


@pytest.mark.parametrize("fixture", ["mixture_1d", "mixture_2d"])
def test_line_integral_of_the_optimal_dae_gives_smoothed_log_density_differences(
    request, rng, fixture
):
    """r* - x = sigma^2 grad log p_sigma exactly, so the only error is the quadrature's."""
    density = request.getfixturevalue(fixture)
    sigma = 0.3
    smoothed = density.smoothed(sigma)
    x = density.sample(500, rng)
    x_new = x + 0.5 * rng.standard_normal(x.shape)
    exact = smoothed.log_prob(x_new) - smoothed.log_prob(x)
    r = rt.dae_optimum(density, sigma)
    errors = {
        n: np.max(np.abs(rt.line_integral_log_ratio(r, sigma, n_nodes=n)(x, x_new) - exact))
        for n in (2, 4, 8, 16)
    }
    # Gauss-Legendre error falls geometrically with the number of nodes for this smooth
    # integrand; 16 nodes leave only rounding.
    assert errors[4] < errors[2] / 20 and errors[8] < errors[4] / 20
    assert errors[8] < 1e-5 * np.max(np.abs(exact))
    assert errors[16] < 1e-10


def test_line_integral_with_few_chains_calls_reconstruct_once_on_all_nodes(rng):
    calls = []

    def r(X):
        calls.append(X.shape)
        return 0.9 * X

    log_ratio = rt.line_integral_log_ratio(r, sigma=0.5, n_nodes=5)
    x, y = rng.standard_normal((7, 3)), rng.standard_normal((7, 3))
    value = log_ratio(x, y)
    assert calls == [(35, 3)]
    # r(x) - x = -0.1 x = sigma^2 grad(-0.2 ||x||^2): a Gaussian, integrated exactly.
    np.testing.assert_allclose(value, -0.2 * (np.sum(y**2, 1) - np.sum(x**2, 1)), rtol=1e-12)
    np.testing.assert_array_equal(log_ratio(x, x), np.zeros(7))
    np.testing.assert_allclose(log_ratio(y, x), -value, rtol=1e-12)


@pytest.mark.parametrize("n, block_size, expected_calls", [
    (7, 14, [(14, 3), (14, 3), (7, 3)]),   # two nodes per call, then the fifth node
    (7, 7, [(7, 3)] * 5),                   # a block of the chains' size: node by node
    (10, 4, [(4, 3), (4, 3), (2, 3)] * 5),  # fewer: each node's chains in slices of 4
])
def test_line_integral_evaluates_in_blocks_with_the_same_result(rng, n, block_size,
                                                                 expected_calls):
    calls = []
    W = rng.standard_normal((3, 3))

    def r(X):
        calls.append(X.shape)
        return np.tanh(X @ W)

    x, y = rng.standard_normal((n, 3)), rng.standard_normal((n, 3))
    whole = rt.line_integral_log_ratio(r, 0.5, n_nodes=5, block_size=10**6)(x, y)
    calls.clear()
    blocked = rt.line_integral_log_ratio(r, 0.5, n_nodes=5, block_size=block_size)(x, y)
    assert calls == expected_calls
    np.testing.assert_allclose(blocked, whole, rtol=1e-13, atol=1e-13)


def test_line_integral_of_a_tied_autoencoder_is_its_energy_difference(rng):
    """A tied auto-encoder has an energy F with r - x = grad F: the line integral is exact."""
    model = rt.Autoencoder(2, 6, activation="sigmoid", tied=True)
    params = model.init_params(rng)
    sigma = 0.4
    x, y = rng.standard_normal((50, 2)), rng.standard_normal((50, 2))
    log_ratio = rt.line_integral_log_ratio(lambda X: model.reconstruct(params, X), sigma, 16)
    energy_difference = (model.energy(params, y) - model.energy(params, x)) / sigma**2
    np.testing.assert_allclose(log_ratio(x, y), energy_difference, rtol=1e-8, atol=1e-10)


def test_line_integral_of_an_untied_field_depends_on_the_path(rng):
    model = rt.Autoencoder(2, 6, activation="tanh", tied=False)
    params = model.init_params(rng)
    log_ratio = rt.line_integral_log_ratio(lambda X: model.reconstruct(params, X), 1.0, 16)
    a, b, c = (rng.standard_normal((20, 2)) for _ in range(3))
    loop = log_ratio(a, b) + log_ratio(b, c) + log_ratio(c, a)  # zero for a gradient field
    assert np.median(np.abs(loop)) > 1e-3


def test_exact_log_ratio(mixture_2d, rng):
    x, y = mixture_2d.sample(10, rng), mixture_2d.sample(10, rng)
    expected = mixture_2d.log_prob(y) - mixture_2d.log_prob(x)
    np.testing.assert_allclose(rt.exact_log_ratio(mixture_2d.log_prob)(x, y), expected)


# ------------------------------------------------------------------- samplers


def test_metropolis_hastings_reproduces_a_1d_mixture(mixture_1d, rng):
    """KS distance of the pooled chains to the target CDF, tolerance from the ESS.

    For n i.i.d. draws sqrt(n) KS exceeds 1.63 with probability 1%; the chains are worth
    ESS draws, so KS < 1.63 / sqrt(ESS). A sampler of a slightly different target fails.
    """
    cdf = mixture_cdf_1d(mixture_1d)
    x0 = rng.uniform(-3, 3, (100, 1))
    result = rt.metropolis_hastings(
        rt.exact_log_ratio(mixture_1d.log_prob), x0, 400, 1.0, rng, adapt_steps=200
    )
    assert result.samples.shape == (400, 100, 1)
    chains = result.samples[100:]
    ess = rt.effective_sample_size(chains)[0]
    assert ess > 1000
    assert rt.ks_distance(chains.reshape(-1, 1), cdf) < KS_99 / np.sqrt(ess)

    shifted = rt.GaussianMixture(mixture_1d.weights, mixture_1d.means[:, 0] + 0.3, [0.4, 0.6, 0.3])
    wrong = rt.metropolis_hastings(
        rt.exact_log_ratio(shifted.log_prob), x0, 400, 1.0, rng, adapt_steps=200
    )
    wrong_chains = wrong.samples[100:]
    wrong_ess = rt.effective_sample_size(wrong_chains)[0]
    assert rt.ks_distance(wrong_chains.reshape(-1, 1), cdf) > 3 * KS_99 / np.sqrt(wrong_ess)


def test_metropolis_hastings_reproduces_a_2d_mixture(mixture_2d, rng):
    """Energy distance to fresh i.i.d. samples, tolerance from the ESS.

    For independent samples of sizes n and m of the same law, the V-statistic energy
    distance has mean E|X - X'| (1/n + 1/m); the chains count as n = ESS. Over 8 seeds the
    ratio to that mean was 0.57-1.54; the test allows 4. Chains targeting mixture weights
    (0.5, 0.5) instead of (0.6, 0.4) give ratios of 35-47.
    """

    def energy_ratio(target):
        x0 = rng.uniform(-3, 3, (100, 2))
        result = rt.metropolis_hastings(
            rt.exact_log_ratio(target.log_prob), x0, 1000, 1.0, rng, adapt_steps=200
        )
        chains = result.samples[100::15]  # thinned: 60 steps x 100 chains
        ess = np.min(rt.effective_sample_size(chains))
        reference = mixture_2d.sample(6000, rng)
        mean_distance = np.mean(np.linalg.norm(reference[:3000] - reference[3000:], axis=1))
        expected = mean_distance * (1 / ess + 1 / reference.shape[0])
        return rt.energy_distance(chains.reshape(-1, 2), reference) / expected

    assert energy_ratio(mixture_2d) < 4
    wrong = rt.GaussianMixture([0.5, 0.5], mixture_2d.means, mixture_2d.covariances)
    assert energy_ratio(wrong) > 10


def test_mh_with_the_optimal_dae_samples_the_smoothed_density(mixture_1d, rng):
    """Approximate MH with r* targets p_sigma, not p: a finite sigma biases the samples.

    At sigma = 1 the two CDFs differ by up to 0.046, twice the 1% KS threshold here.
    """
    sigma = 1.0
    log_ratio = rt.line_integral_log_ratio(rt.dae_optimum(mixture_1d, sigma), sigma)
    result = rt.metropolis_hastings(
        log_ratio, rng.uniform(-3, 3, (100, 1)), 400, 1.0, rng, adapt_steps=200
    )
    chains = result.samples[100:]
    ess = rt.effective_sample_size(chains)[0]
    samples = chains.reshape(-1, 1)
    threshold = KS_99 / np.sqrt(ess)
    assert rt.ks_distance(samples, mixture_cdf_1d(mixture_1d.smoothed(sigma))) < threshold
    assert rt.ks_distance(samples, mixture_cdf_1d(mixture_1d)) > threshold


def test_mala_reproduces_a_1d_mixture(mixture_1d, rng):
    cdf = mixture_cdf_1d(mixture_1d)
    result = rt.mala(
        mixture_1d.score,
        rng.uniform(-3, 3, (100, 1)),
        400,
        0.5,
        rng,
        log_ratio=rt.exact_log_ratio(mixture_1d.log_prob),
        adapt_steps=200,
    )
    chains = result.samples[100:]
    ess = rt.effective_sample_size(chains)[0]
    assert ess > 500
    assert rt.ks_distance(chains.reshape(-1, 1), cdf) < KS_99 / np.sqrt(ess)
    assert abs(result.acceptance_rate - 0.574) < 0.1


def test_unadjusted_langevin_has_its_known_bias_on_a_gaussian(rng):
    """For N(0, 1), x' = (1 - eps^2/2) x + eps z has stationary variance 1 / (1 - eps^2/4)."""
    eps = 1.0
    x0 = rng.standard_normal((200, 1))
    result = rt.unadjusted_langevin(lambda X: -X, x0, 600, eps, rng)
    chains = result.samples[100:]
    ess = rt.effective_sample_size(chains)[0]
    variance = chains.var()
    expected = 1.0 / (1.0 - eps**2 / 4)  # 4/3
    # The variance of a sample variance of a Gaussian is 2 var^2 / n; allow 4 standard errors.
    assert abs(variance - expected) < 4 * expected * np.sqrt(2 / ess)
    assert abs(variance - 1.0) > 0.25  # visibly not the target: no accept/reject step
    assert result.acceptance_rate == 1.0


def test_adaptation_reaches_the_target_acceptance_and_is_not_recorded(rng):
    def log_ratio(x, y):
        return 0.5 * (np.sum(x**2, 1) - np.sum(y**2, 1))

    result = rt.metropolis_hastings(
        log_ratio, np.zeros((200, 2)), 300, 10.0, rng, adapt_steps=300, target_acceptance=0.3
    )
    assert result.samples.shape == (300, 200, 2)
    assert result.adapt_steps == 300
    assert result.step_size < 10.0
    assert abs(result.acceptance_rate - 0.3) < 0.03
    assert result.acceptance_per_chain.shape == (200,)
    np.testing.assert_allclose(result.acceptance_per_chain.mean(), result.acceptance_rate)
    fixed = rt.metropolis_hastings(log_ratio, np.zeros((200, 2)), 300, 10.0, rng)
    assert fixed.step_size == 10.0 and fixed.acceptance_rate < 0.1


def test_samplers_are_reproducible(mixture_2d):
    def run(seed):
        rng = np.random.default_rng(seed)
        return rt.mala(
            mixture_2d.score, np.zeros((5, 2)), 50, 0.5, rng,
            log_ratio=rt.exact_log_ratio(mixture_2d.log_prob), adapt_steps=10,
        )

    np.testing.assert_array_equal(run(3).samples, run(3).samples)
    assert not np.array_equal(run(3).samples, run(4).samples)


def test_pooled_samples(rng):
    result = rt.metropolis_hastings(lambda x, y: np.zeros(len(x)), np.zeros((4, 2)), 10, 1.0, rng)
    pooled = result.pooled(burn_in=3)
    assert pooled.shape == (28, 2)
    np.testing.assert_array_equal(pooled[:4], result.samples[3])
    with pytest.raises(ValueError, match="burn_in must be smaller"):
        result.pooled(burn_in=10)


# ---------------------------------------------------------- non-finite values


def test_infinite_log_ratios_are_refused_or_accepted(rng):
    def log_ratio(x, y):
        out = np.zeros(len(x))
        out[np.abs(y[:, 0]) > 1.0] = -np.inf  # zero density outside [-1, 1]
        return out

    result = rt.metropolis_hastings(log_ratio, np.zeros((50, 1)), 200, 0.5, rng)
    assert np.all(np.abs(result.samples) <= 1.0)
    assert result.acceptance_rate > 0.5  # moves inside [-1, 1] are still accepted


def test_a_user_function_that_returns_nan_is_an_error(rng):
    """NaN from a log-ratio, score or reconstruction is an error naming it, never a frozen chain."""

    def log_ratio(x, y):
        out = np.zeros(len(x))
        out[y[:, 0] > 1.0] = np.nan
        return out

    def score(X):
        out = -X.copy()
        out[X[:, 0] > 1.0] = np.nan  # a learned score that breaks down away from the data
        return out

    def gaussian_log_ratio(x, y):
        return 0.5 * (np.sum(x**2, 1) - np.sum(y**2, 1))

    x0 = np.zeros((50, 1))
    with pytest.raises(ValueError, match=r"log_ratio returned a non-finite value \(nan\)"):
        rt.metropolis_hastings(log_ratio, x0, 200, 0.5, rng)
    with pytest.raises(ValueError, match=r"score returned a non-finite value \(nan\) at input"):
        rt.mala(score, x0, 200, 0.5, rng, log_ratio=gaussian_log_ratio)
    with pytest.raises(ValueError, match="score returned a non-finite value"):
        rt.unadjusted_langevin(score, x0 + 2.0, 5, 0.5, rng)
    with pytest.raises(ValueError, match="reconstruct returned a non-finite value"):
        rt.line_integral_log_ratio(lambda X: np.where(X > 1.0, np.nan, X), 0.5)(x0, x0 + 2.0)
    with pytest.raises(ValueError, match=r"scores\[1\] returned a non-finite value"):
        rt.annealed_langevin([lambda X: -X, lambda X: X * np.nan], [2.0, 1.0], x0, 3, 0.1, rng)


def test_exact_log_ratio_between_points_of_zero_density_is_refused():
    def log_prob(X):
        return np.where(np.abs(X[:, 0]) > 1.0, -np.inf, 0.0)

    log_ratio = rt.exact_log_ratio(log_prob)
    x, y = np.array([[2.0], [2.0], [0.0]]), np.array([[3.0], [0.5], [3.0]])
    np.testing.assert_array_equal(log_ratio(x, y), [-np.inf, np.inf, -np.inf])


def test_overflowing_proposals_are_rejected(rng):
    def log_ratio(x, y):
        return 0.5 * (np.sum(x**2, 1) - np.sum(y**2, 1))

    x0 = np.zeros((50, 1))

    def huge(X):
        return np.full_like(X, 1e308)  # overflowing proposals: inf

    for sampler in (
        lambda: rt.mala(huge, x0, 20, 2.0, rng, log_ratio=log_ratio),
        lambda: rt.unadjusted_langevin(huge, x0, 20, 2.0, rng),
    ):
        stuck = sampler()
        np.testing.assert_array_equal(stuck.samples, np.zeros((20, 50, 1)))
        assert stuck.acceptance_rate == 0.0

    overflow = rt.metropolis_hastings(
        lambda x, y: np.zeros(len(x)), np.full((50, 1), 1e308), 20, 1e308, rng
    )
    assert np.all(np.isfinite(overflow.samples))
    assert overflow.acceptance_rate < 1.0  # the proposals beyond the float range were refused


# --------------------------------------------------------------------- errors


def _zero(x, y):
    return np.zeros(len(x))


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda r: rt.line_integral_log_ratio(lambda X: X, 0.0), ValueError, "sigma must be"),
        (lambda r: rt.line_integral_log_ratio(lambda X: X, 1.0, 0), ValueError, "n_nodes must"),
        (lambda r: rt.line_integral_log_ratio("r", 1.0), TypeError, "reconstruct must be callable"),
        (
            lambda r: rt.line_integral_log_ratio(lambda X: X, 1.0)(np.zeros((2, 1)), [[0.0]]),
            ValueError,
            "x and x_new must have the same shape",
        ),
        (
            lambda r: rt.line_integral_log_ratio(lambda X: X[:, :1], 1.0)(
                np.zeros((2, 2)), np.ones((2, 2))
            ),
            ValueError,
            r"reconstruct\(X\) must return shape \(16, 2\)",
        ),
        (lambda r: rt.exact_log_ratio(None), TypeError, "log_prob must be callable"),
        (lambda r: rt.metropolis_hastings(_zero, np.zeros(3), 5, 1.0, r), ValueError, "x0 must be"),
        (
            lambda r: rt.metropolis_hastings(_zero, [[np.nan]], 5, 1.0, r),
            ValueError,
            "x0 contains NaN",
        ),
        (lambda r: rt.metropolis_hastings(_zero, [[0.0]], 0, 1.0, r), ValueError, "n_steps must"),
        (lambda r: rt.metropolis_hastings(_zero, [[0.0]], 5, -1.0, r), ValueError, "step_size"),
        (lambda r: rt.metropolis_hastings(_zero, [[0.0]], 5, 1.0, 0), TypeError, "rng must be"),
        (lambda r: rt.metropolis_hastings(1, [[0.0]], 5, 1.0, r), TypeError, "log_ratio must be"),
        (
            lambda r: rt.metropolis_hastings(_zero, [[0.0]], 5, 1.0, r, target_acceptance=1.5),
            ValueError,
            "target_acceptance must lie in",
        ),
        (
            lambda r: rt.metropolis_hastings(_zero, [[0.0]], 5, 1.0, r, adapt_steps=-1),
            ValueError,
            "adapt_steps must be an integer >= 0",
        ),
        (
            lambda r: rt.metropolis_hastings(lambda x, y: np.zeros(3), [[0.0]], 5, 1.0, r),
            ValueError,
            r"log_ratio\(x, x_new\) must return shape \(1,\)",
        ),
        (
            lambda r: rt.mala(lambda X: X[:, 0], [[0.0]], 5, 1.0, r, log_ratio=_zero),
            ValueError,
            r"score\(X\) must return shape \(1, 1\)",
        ),
        (lambda r: rt.mala(None, [[0.0]], 5, 1.0, r, log_ratio=_zero), TypeError, "score must be"),
        (lambda r: rt.unadjusted_langevin(lambda X: X, [[0.0]], 5, 0, r), ValueError, "step_size"),
    ],
)
def test_bad_sampling_arguments(rng, call, error, message):
    with pytest.raises(error, match=message):
        call(rng)


def test_scores_are_evaluated_in_blocks_with_the_same_result():
    """Samplers call a score on at most _SCORE_BLOCK rows at once; the result is the same."""
    from raetut import sampling

    sizes = []

    def score(X):
        sizes.append(X.shape[0])
        return -X

    X = np.random.default_rng(0).standard_normal((2 * sampling._SCORE_BLOCK + 5, 2))
    np.testing.assert_array_equal(sampling._score(score, X), -X)
    assert max(sizes) <= sampling._SCORE_BLOCK and sum(sizes) == X.shape[0]


def test_line_integral_log_ratio_validates_direct_calls_but_samplers_skip_it():
    """The public log-ratio checks x and x_new; the samplers' unchecked form agrees with it."""
    log_ratio = rt.line_integral_log_ratio(lambda X: -0.5 * X, 1.0, n_nodes=4, block_size=3)
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((7, 2)), rng.standard_normal((7, 2))
    np.testing.assert_array_equal(log_ratio._raetut_unchecked(x, y), log_ratio(x, y))
    with pytest.raises(ValueError, match="x_new contains NaN"):
        log_ratio(x, np.full((7, 2), np.nan))
