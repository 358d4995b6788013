"""Chapter 12's checks: each passes on the chapter's objects and fails on wrong answers."""

import numpy as np
import pytest

import raetut as rt
from raetut.checks import ch12


def _score_half_log(X):
    """The log term's 1/2 forgotten: (x, y) / (rho^2 + 1) counted twice."""
    X = np.asarray(X, dtype=float)
    return ch12.score(X) - X / (1.0 + np.sum(X**2, axis=1, keepdims=True))


def _score_no_rho(X):
    """d rho / dx = x / rho dropped: the radial term 2 (rho - 2) (x, y)."""
    X = np.asarray(X, dtype=float)
    rho = np.linalg.norm(X, axis=1, keepdims=True)
    return ch12.score(X) + 2 * (rho - 2) * X / rho - 2 * (rho - 2) * X


def _identity(score_fn):
    return ch12.check_score_closed_form(ch12.measure_score_identity(score_fn))


def _frozen(n_steps=200):
    """Chains that never move: every state is the chain's start."""
    return np.broadcast_to(ch12.starts(), (n_steps,) + ch12.starts().shape).copy()


def _sample_test(sample):
    return ch12.measure_sample_test(sample=sample)


def _exact_sample():
    return ch12.thinned(ch12.run_sampler("MH, exact E").samples)


def _one_point_sample():
    return ch12.thinned(ch12.run_sampler("MH, one-point rule, exact score").samples)


def _learned_sample():
    return ch12.thinned(ch12.run_sampler("MH, line integral of r").samples)


def _reference_training_half():
    # 400 draws of the reference's other half, every 4th of the training sample (every
    # 200th step), so as nearly independent as the test sample
    return ch12.reference_training()[::4][:400]


def _bias(xs, ys):
    return ch12.check_control_bias_directions(ch12.measure_control_bias(xs=xs, ys=ys))


def _exact_chains():
    return ch12.run_sampler("MH, exact E").samples[ch12.CHAINS["burn_in"]:]


NEGATIVE_CONTROLS = {
    "check_score_closed_form": [
        lambda: _identity(lambda X: -ch12.score(X)),
        lambda: _identity(_score_half_log),
        lambda: _identity(_score_no_rho),
    ],
    "check_reference_chains_converged": [
        lambda: ch12.check_reference_chains_converged(
            ch12.measure_reference_rhat(_frozen())),
        # the first 300 steps, burn-in included: the starts are not forgotten
        lambda: ch12.check_reference_chains_converged(
            ch12.measure_reference_rhat(ch12.reference_chains()[0].samples[:300])),
    ],
    "check_exact_mh_matches_reference": [
        lambda: ch12.check_exact_mh_matches_reference(_sample_test(_one_point_sample())),
        lambda: ch12.check_exact_mh_matches_reference(_sample_test(_learned_sample())),
        lambda: ch12.check_exact_mh_matches_reference(_sample_test(ch12.starts(400, seed=9))),
    ],
    "check_one_point_rule_is_biased": [
        lambda: ch12.check_one_point_rule_is_biased(_sample_test(_exact_sample())),
        lambda: ch12.check_one_point_rule_is_biased(_sample_test(_reference_training_half())),
    ],
    "check_learned_mh_is_detectably_biased": [
        lambda: ch12.check_learned_mh_is_detectably_biased(_sample_test(_exact_sample())),
    ],
    "check_control_chain_is_ula_pushed_forward": [
        lambda: ch12.check_control_chain_is_ula_pushed_forward(
            ch12.measure_control_is_ula(step=np.sqrt(ch12.LAM))),
        # the states x (not the corrupted points y) held against ULA
        lambda: ch12.check_control_chain_is_ula_pushed_forward(_states_against_ula()),
    ],
    "check_control_bias_directions": [
        lambda: _bias(ch12.reference_chains()[0].samples[1000:], _exact_chains()),
        lambda: _bias(_exact_chains(), _exact_chains()),
        lambda: _bias(*reversed(ch12.control_run(ch12.LAM))),
    ],
    "check_curve_exact_mh_occupancy": [
        lambda: ch12.check_curve_exact_mh_occupancy(_curve_test(_curve_frozen()).occupancy),
        lambda: ch12.check_curve_exact_mh_occupancy(_curve_test(_curve_one_component()).occupancy),
        lambda: ch12.check_curve_exact_mh_occupancy(
            _curve_test(_curve_draws("MH, one-point rule, exact score")).occupancy),
        lambda: ch12.check_curve_exact_mh_occupancy(
            _curve_test(_curve_draws("MH, line integral of r")).occupancy),
    ],
    "check_curve_exact_mh_matches_reference": [
        lambda: ch12.check_curve_exact_mh_matches_reference(
            _curve_test(_curve_draws("MH, one-point rule, exact score")).energy),
        lambda: ch12.check_curve_exact_mh_matches_reference(_curve_test(_curve_frozen()).energy),
        lambda: ch12.check_curve_exact_mh_matches_reference(
            _curve_test(_curve_one_component()).energy),
        # p_sigma at sigma = s_c = 0.8: the wrong target, smoothed
        lambda: ch12.check_curve_exact_mh_matches_reference(_curve_test(ch12.curve_sample(
            400, np.random.default_rng(9), width=np.hypot(0.8, 0.8))).energy),
    ],
    "check_curve_one_point_rule_is_biased": [
        lambda: ch12.check_curve_one_point_rule_is_biased(
            _curve_test(_curve_draws("MH, exact E")).energy),
        lambda: ch12.check_curve_one_point_rule_is_biased(
            _curve_test(ch12.curve_training()[:400]).energy),
    ],
    "check_curve_learned_mh_occupancy_is_biased": [
        lambda: ch12.check_curve_learned_mh_occupancy_is_biased(
            _curve_test(_curve_draws("MH, exact E")).occupancy),
        lambda: ch12.check_curve_learned_mh_occupancy_is_biased(
            _curve_test(ch12.curve_training()[:400]).occupancy),
    ],
}


def _curve_test(sample):
    return ch12.measure_curve_sample(sample=sample)


def _curve_draws(name):
    return ch12.curve_thinned(ch12.run_curve_sampler(name).samples)


def _curve_frozen():
    """Frozen chains: 400 overdispersed starts that never move."""
    return ch12.curve_starts(400, seed=9)


def _curve_one_component():
    """Chains that never leave the first component: 400 draws of N(m_0, s_c^2 I)."""
    rng = np.random.default_rng(9)
    return ch12.curve_means()[0] + ch12.CURVE["width"] * rng.standard_normal((400, 10))


def _states_against_ula():
    m = ch12.measure_control_is_ula()
    xs = m.control_ys + ch12.LAM * ch12.score(m.control_ys.reshape(-1, 2)).reshape(
        m.control_ys.shape)
    return ch12.UlaIdentity(xs, m.ula, m.lam)


def test_every_chapter_check_passes_with_its_defaults():
    names = [entry.name for entry in rt.checks.registry(12)]
    assert sorted(names) == sorted(NEGATIVE_CONTROLS)
    for entry in rt.checks.registry(12):
        result = entry.function()
        assert result.passed, (entry.name, result.measured, result.tolerance, result.detail)


def test_score_against_central_differences():
    X = np.random.default_rng(4).uniform(-3, 3, (50, 2))
    h = 1e-5
    fd = np.stack([(ch12.log_prob(X + h * e) - ch12.log_prob(X - h * e)) / (2 * h)
                   for e in np.eye(2)], axis=1)
    np.testing.assert_allclose(ch12.score(X), fd, rtol=1e-6, atol=1e-6)


def test_score_is_finite_at_the_origin_and_energy_has_the_four_modes():
    assert np.all(np.isfinite(ch12.score(np.zeros((1, 2)))))
    modes = np.sqrt(2.0) * np.array([[1, 1], [1, -1], [-1, 1], [-1, -1]]) * 0.93
    assert np.all(ch12.energy(modes) < ch12.energy(np.zeros((1, 2)))[0] - 2.0)


def test_permutation_test_statistic_and_null():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(60, 2)), rng.normal(size=(50, 2))
    t = ch12.permutation_test(X, Y, 100, np.random.default_rng(1))
    assert t.statistic == pytest.approx(rt.energy_distance(X, Y, unbiased=True), abs=1e-12)
    # the identity permutation of the quadratic-form null reproduces the statistic
    P = np.concatenate([X, Y])
    perm = np.random.default_rng(1).permutation(110)
    explicit = rt.energy_distance(P[perm[:60]], P[perm[60:]], unbiased=True)
    assert t.null[0] == pytest.approx(explicit, abs=1e-12)
    assert 0 < t.p_value <= 1
    shifted = ch12.permutation_test(X + 1.0, Y, 100, np.random.default_rng(1))
    assert shifted.p_value == pytest.approx(1 / 101)


def test_one_point_rule_misses_the_quadratic_term():
    x = np.array([[1.0, 1.0]])
    h = np.array([[1e-3, -2e-3]])
    exact = rt.exact_log_ratio(ch12.log_prob)(x, x + h)
    one_point = ch12.one_point_log_ratio(ch12.score)(x, x + h)
    assert abs(exact - one_point)[0] < 1e-4
    assert abs(exact - one_point)[0] > 1e-7


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: ch12.energy(np.zeros((3, 3))), ValueError, "X"),
        (lambda: ch12.run_sampler("Gibbs"), ValueError, "name"),
        (lambda: ch12.one_point_log_ratio(3), TypeError, "score_fn"),
        (lambda: ch12.reconstruction_chain(3, 0.01, np.zeros((2, 2)), 5, None),
         TypeError, "r"),
        (lambda: ch12.permutation_test(np.zeros((3, 2)), np.zeros((3, 2)), 0),
         ValueError, "n_permutations"),
    ],
)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_curve_log_prob_is_normalised_and_its_score_is_its_gradient():
    from scipy.stats import multivariate_normal

    rng = np.random.default_rng(3)
    Z = ch12.curve_sample(50, rng) + rng.normal(size=(50, 10))
    cov = ch12.CURVE["width"] ** 2 * np.eye(10)
    direct = np.log(np.mean([multivariate_normal(m, cov).pdf(Z) for m in ch12.curve_means()],
                            axis=0))
    np.testing.assert_allclose(ch12.curve_log_prob(Z), direct, rtol=1e-10)
    X = ch12.curve_sample(20, rng)
    h = 1e-5
    fd = np.stack([(ch12.curve_log_prob(X + h * e) - ch12.curve_log_prob(X - h * e)) / (2 * h)
                   for e in np.eye(10)], axis=1)
    np.testing.assert_allclose(ch12.curve_score(X), fd, rtol=1e-6, atol=1e-6)


def test_curve_sample_moments_and_segments():
    X = ch12.curve_sample(100_000, np.random.default_rng(4))
    m = ch12.curve_means()
    np.testing.assert_allclose(X.mean(axis=0), m.mean(axis=0), atol=0.02)
    # the within-component spread of the unused coordinates is omega
    assert X[:, 2:].std() == pytest.approx(ch12.CURVE["width"], rel=0.01)
    assert ch12.curve_segments(m).tolist() == list(range(len(m)))
    p = ch12.curve_segment_probabilities()
    assert p.sum() == pytest.approx(1.0) and np.all(np.abs(p - 1 / 6) < 0.02)


def test_occupancy_test_against_scipy():
    from scipy.stats import chisquare

    X = ch12.curve_sample(300, np.random.default_rng(5))
    t = ch12.occupancy_test(X)
    ref = chisquare(t.counts, t.expected)
    assert t.statistic == pytest.approx(ref.statistic) and t.p_value == pytest.approx(ref.pvalue)


def test_permutation_test_in_ten_dimensions_and_bad_dims():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(40, 10)), rng.normal(size=(30, 10))
    t = ch12.permutation_test(X, Y, 50, np.random.default_rng(1))
    assert t.statistic == pytest.approx(rt.energy_distance(X, Y, unbiased=True), abs=1e-12)
    with pytest.raises(ValueError, match="Y"):
        ch12.permutation_test(X, Y[:, :2], 50, np.random.default_rng(1))
    with pytest.raises(ValueError, match="X"):
        ch12.curve_log_prob(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="name"):
        ch12.run_curve_sampler("Gibbs")


def test_curve_segment_probabilities_against_quadrature():
    # the segment depends on the first two coordinates only (the means are 0 in the
    # others): a 2-D Riemann sum of the mixture over the nearest-mean cells; the cached
    # Monte Carlo values (200000 draws, standard error 8.4e-4) agree within 5 standard errors
    means, w = ch12.curve_means()[:, :2], ch12.CURVE["width"]
    g, h = np.linspace(-5, 2 * np.pi + 5, 1201), np.linspace(-6, 6, 901)
    X, Y = np.meshgrid(g, h, indexing="ij")
    d2 = np.stack([(X - m[0]) ** 2 + (Y - m[1]) ** 2 for m in means])
    dens = np.exp(-d2 / (2 * w * w)).sum(axis=0) / (len(means) * 2 * np.pi * w * w)
    cell = np.argmin(d2, axis=0)
    area = (g[1] - g[0]) * (h[1] - h[0])
    quad = np.array([dens[cell == k].sum() for k in range(len(means))]) * area
    assert quad.sum() == pytest.approx(1.0, abs=1e-6)
    np.testing.assert_allclose(ch12.curve_segment_probabilities(), quad, atol=5 * 8.4e-4)


def test_curve_sample_tube_spreads_and_bad_input():
    rng = np.random.default_rng(6)
    X = ch12.curve_sample_tube(100_000, rng)
    Y = ch12.curve_sample(100_000, np.random.default_rng(7))
    np.testing.assert_allclose(X.std(axis=0), Y.std(axis=0), rtol=0.02)
    Z = ch12.curve_sample_tube(100_000, rng, across=0.4, flat=0.6)
    assert Z[:, 2:].std() == pytest.approx(0.6, rel=0.01)
    # the segment masses move by about 0.01 (a noncentrality near 1 at n = 400: invisible)
    np.testing.assert_allclose(np.bincount(ch12.curve_segments(Z)) / len(Z), 1 / 6, atol=0.02)
    with pytest.raises(ValueError, match="across"):
        ch12.curve_sample_tube(10, rng, across=-1.0)
    with pytest.raises((ValueError, TypeError), match="rng"):
        ch12.curve_sample_tube(10, 3)
