"""Tests of raetut.diagnostics: order fits, sample distances, effective sample size."""

import numpy as np
import pytest
from scipy import stats
from scipy.spatial.distance import cdist

import raetut as rt

# ------------------------------------------------------------------ power laws


def test_power_law_exact_on_synthetic_data():
    h = np.geomspace(1e-3, 1e-1, 7)
    fit = rt.fit_power_law(h, 2.5 * h**1.7)
    assert fit.slope == pytest.approx(1.7, abs=1e-12)
    assert fit.constant == pytest.approx(2.5, rel=1e-12)
    assert fit.r_squared == pytest.approx(1.0, abs=1e-12)
    assert fit(0.5) == pytest.approx(2.5 * 0.5**1.7, rel=1e-12)


def test_power_law_with_multiplicative_noise(rng):
    # log err = log 3 + 2 log h + N(0, 0.05^2): with 40 points spread over 3 decades the
    # standard error of the slope is 0.05 / (std(log h) sqrt(40)) ~ 0.004; allow 5 of them.
    h = np.geomspace(1e-4, 1e-1, 40)
    err = 3.0 * h**2 * np.exp(0.05 * rng.standard_normal(h.size))
    fit = rt.fit_power_law(h, err)
    slope_se = 0.05 / (np.std(np.log(h)) * np.sqrt(h.size))
    assert abs(fit.slope - 2.0) < 5 * slope_se
    assert fit.constant == pytest.approx(3.0, rel=0.2)
    assert 0.99 < fit.r_squared < 1.0


def test_leading_coefficient_removes_higher_order_terms():
    h = np.geomspace(0.01, 0.2, 6)
    err = -1.5 * h**4 + 7.0 * h**6 - 3.0 * h**8
    assert rt.fit_leading_coefficient(h, err, 4, n_corrections=2, step=2) == pytest.approx(
        -1.5, rel=1e-9
    )
    # Without corrections the estimate is biased by the h^6 term: the fit must notice it.
    biased = rt.fit_leading_coefficient(h, err, 4, n_corrections=0)
    assert abs(biased + 1.5) > 1e-2
    stacked = rt.fit_leading_coefficient(h, np.stack([err, 2 * err], axis=1), 4, 2, 2)
    np.testing.assert_allclose(stacked, [-1.5, -3.0], rtol=1e-9)


@pytest.mark.parametrize(
    ("h", "err", "match"),
    [
        ([0.1, 0.2], [1.0, -1.0], "err"),
        ([0.1, -0.2], [1.0, 1.0], "h"),
        ([0.1], [1.0], "h"),
        ([0.1, 0.1], [1.0, 2.0], "h"),
        ([0.1, 0.2], [1.0, np.nan], "err"),
        ([0.1, 0.2], [1.0, 2.0, 3.0], "err"),
    ],
)
def test_power_law_rejects_bad_input(h, err, match):
    with pytest.raises(ValueError, match=match):
        rt.fit_power_law(h, err)


def test_leading_coefficient_rejects_bad_input():
    with pytest.raises(ValueError, match="n_corrections"):
        rt.fit_leading_coefficient([0.1, 0.2], [1.0, 2.0], 2, n_corrections=2)
    with pytest.raises(ValueError, match="err"):
        rt.fit_leading_coefficient([0.1, 0.2], [1.0, 2.0, 3.0], 2)


# ------------------------------------------------------------------------- KS


def test_ks_distance_matches_scipy_and_separates_shifted_samples(rng):
    n = 2000
    x = rng.standard_normal(n)
    result = rt.ks_test(x, stats.norm.cdf)
    reference = stats.kstest(x, "norm")
    assert result.statistic == pytest.approx(reference.statistic, rel=1e-12)
    assert result.pvalue == pytest.approx(reference.pvalue, rel=1e-8)
    # Under the null, P(D > 1.95 / sqrt(n)) = 0.001 (Kolmogorov distribution).
    assert rt.ks_distance(x[:, None], stats.norm.cdf) < 1.95 / np.sqrt(n)
    # A shift by 0.3 moves the CDF by up to Phi(0.15) - Phi(-0.15) = 0.119 >> 1.95/sqrt(n).
    shifted = rt.ks_distance(x + 0.3, stats.norm.cdf)
    assert shifted > 0.119 - 1.95 / np.sqrt(n)


def test_ks_rejects_bad_input():
    with pytest.raises(ValueError, match="samples"):
        rt.ks_distance(np.zeros((5, 2)), stats.norm.cdf)
    with pytest.raises(TypeError, match="cdf"):
        rt.ks_distance(np.zeros(5), "norm")
    with pytest.raises(ValueError, match="cdf"):
        rt.ks_distance(np.ones(5), lambda x: 2.0 * stats.norm.cdf(x))


# ----------------------------------------------------------- energy distance, MMD


def _brute_energy(X, Y):
    return 2 * cdist(X, Y).mean() - cdist(X, X).mean() - cdist(Y, Y).mean()


def test_energy_distance_brute_force_symmetry_and_unbiased_form(rng):
    X = rng.standard_normal((60, 3))
    Y = rng.standard_normal((45, 3)) + 0.5
    value = rt.energy_distance(X, Y)
    assert value == pytest.approx(_brute_energy(X, Y), rel=1e-10)
    assert rt.energy_distance(Y, X) == pytest.approx(value, rel=1e-12)
    n, m = len(X), len(Y)
    unbiased = (
        2 * cdist(X, Y).mean()
        - cdist(X, X).sum() / (n * (n - 1))
        - cdist(Y, Y).sum() / (m * (m - 1))
    )
    assert rt.energy_distance(X, Y, unbiased=True) == pytest.approx(unbiased, rel=1e-10)


def test_energy_distance_small_for_same_distribution_large_for_shifted(rng):
    # Same distribution: the V-statistic is O(1/n) (E ~ (E|X-X'|) / n ~ 1.8e-3 here).
    # Shifted by 0.5 in one coordinate of a 2-D standard normal the population value is
    # about 0.13, far above that.
    n = 1000
    X, Y = rng.standard_normal((n, 2)), rng.standard_normal((n, 2))
    same = rt.energy_distance(X, Y)
    shifted = rt.energy_distance(X, Y + [0.5, 0.0])
    assert 0 <= same < 5e-3
    assert shifted > 0.08
    # Exactly 0 in exact arithmetic; distances from the Gram form carry rounding of
    # about sqrt(machine eps) ~ 1e-8 for coincident points, which are n of the n^2 pairs.
    assert rt.energy_distance(X, X) == pytest.approx(0.0, abs=1e-8 / n)


def test_mmd_matches_brute_force(rng):
    X = rng.standard_normal((50, 2))
    Y = rng.standard_normal((40, 2)) + 0.3
    h = 0.7

    def gram(A, B):
        return np.exp(-cdist(A, B, "sqeuclidean") / (2 * h**2))

    n, m = len(X), len(Y)
    expected = (
        (gram(X, X).sum() - n) / (n * (n - 1))
        + (gram(Y, Y).sum() - m) / (m * (m - 1))
        - 2 * gram(X, Y).mean()
    )
    assert rt.mmd(X, Y, h) == pytest.approx(expected, rel=1e-10)
    with pytest.raises(ValueError, match="bandwidth"):
        rt.mmd(X, Y, 0.0)


def test_distances_reject_bad_input(rng):
    X = rng.standard_normal((10, 2))
    with pytest.raises(ValueError, match="Y"):
        rt.energy_distance(X, rng.standard_normal((10, 3)))
    with pytest.raises(ValueError, match="X"):
        rt.energy_distance(np.full((3, 2), np.nan), X)
    with pytest.raises(ValueError, match="X"):
        rt.mmd(X[0], X, 1.0)


def test_energy_distance_large_samples_blocked(rng):
    # 4000 x 4000 pairs go through many blocks; the result must equal a direct sum.
    X = rng.standard_normal((4000, 2))
    Y = rng.standard_normal((300, 2))
    assert rt.energy_distance(X[:300], Y) == pytest.approx(_brute_energy(X[:300], Y), rel=1e-10)
    direct = 2 * cdist(X, Y).mean() - cdist(X, X).mean() - cdist(Y, Y).mean()
    assert rt.energy_distance(X, Y) == pytest.approx(direct, rel=1e-9)


# ------------------------------------------------------------------------- ESS


def _ar1_chains(rho, n_steps, n_chains, rng):
    noise = rng.standard_normal((n_steps, n_chains, 1))
    chains = np.empty_like(noise)
    chains[0] = noise[0] / np.sqrt(1 - rho**2)  # start in the stationary distribution
    for t in range(1, n_steps):
        chains[t] = rho * chains[t - 1] + noise[t]
    return chains


def test_ess_of_independent_draws_is_close_to_n(rng):
    # For white noise the estimated tau = 1 + 2 sum rho_t has a standard deviation of
    # about sqrt(2 * 2M / N) for M summed lags (a handful): ~2% at N = 20000; allow 10%.
    n_steps, n_chains = 5000, 4
    ess = rt.effective_sample_size(rng.standard_normal((n_steps, n_chains, 3)))
    assert ess.shape == (3,)
    np.testing.assert_allclose(ess, n_steps * n_chains, rtol=0.10)


@pytest.mark.parametrize("rho", [0.5, -0.3])
def test_ess_of_ar1_chain_matches_theory(rho, rng):
    # AR(1): rho_t = rho^t, so ESS = N (1 - rho) / (1 + rho). The relative standard
    # deviation of the estimate is about sqrt(2 (2M + 1) / N) with M ~ 10 summed lags,
    # i.e. ~5% for N = 20000; a 20% tolerance is four standard deviations.
    n_steps, n_chains = 5000, 4
    ess = rt.effective_sample_size(_ar1_chains(rho, n_steps, n_chains, rng))
    expected = n_steps * n_chains * (1 - rho) / (1 + rho)
    assert ess[0] == pytest.approx(expected, rel=0.20)


def test_ess_detects_chains_stuck_in_different_places(rng):
    # Four i.i.d. chains offset from each other: the between-chain variance must cut the
    # ESS far below N.
    chains = rng.standard_normal((2000, 4, 1)) + np.array([0.0, 3.0, 6.0, 9.0])[None, :, None]
    assert rt.effective_sample_size(chains)[0] < 0.1 * chains.shape[0] * chains.shape[1]


def test_ess_rejects_bad_input():
    with pytest.raises(ValueError, match="chains"):
        rt.effective_sample_size(np.zeros((10, 2)))
    with pytest.raises(ValueError, match="chains"):
        rt.effective_sample_size(np.zeros((3, 2, 1)))
    with pytest.raises(ValueError, match="constant"):
        rt.effective_sample_size(np.ones((10, 2, 1)))
