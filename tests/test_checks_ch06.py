"""Chapter 6's checks: the chapter's objects, the checks and their negative controls."""

import numpy as np
import pytest

import raetut as rt
from raetut.checks import ch06

SIGMA = ch06.MAIN_CONFIG[2]


def _optimum(sigma):
    return rt.dae_optimum(ch06.chapter_density(), sigma)


def _flipped(sigma):
    # The optimum's field of the right size, pointing the wrong way: r = x - sigma^2 s_sigma.
    optimum = _optimum(sigma)
    return lambda X: 2.0 * X - optimum(X)


def _identity(X):
    return X


def _untrained(n_hidden):
    model = rt.Autoencoder(1, n_hidden, activation="tanh")
    params = model.init_params(np.random.default_rng(5))
    return lambda X: model.reconstruct(params, X)


def _score_on_data(make):
    return ch06.check_score_on_data(ch06.measure_score_on_data(fitter=make))


def _rate(make):
    return ch06.check_excess_loss_rate(ch06.measure_learning_curve(fitter=make))


def _same_250_points(n, seed):
    # A fit that does not see the extra samples: always the first design's 250 points.
    return ch06.train_autoencoder("dae", 250, 16, SIGMA, seed).reconstruct


def _shifted_three_points():
    r = ch06.train_three_points().reconstruct
    return ch06.check_attractors_at_points(ch06.measure_three_points(lambda X: r(X) + 0.1))


NEGATIVE_CONTROLS = {
    "check_score_on_data": [
        lambda: _score_on_data(lambda n, h, s: _identity),
        lambda: _score_on_data(lambda n, h, s: _flipped(s)),
        lambda: _score_on_data(lambda n, h, s: _untrained(h)),
    ],
    "check_excess_loss_rate": [
        lambda: _rate(lambda n, seed: _identity),
        lambda: _rate(lambda n, seed: _flipped(SIGMA)),
        lambda: _rate(_same_250_points),
    ],
    "check_excess_loss_identity": [
        lambda: ch06.check_excess_loss_identity(optimum=_optimum(1.2 * SIGMA)),
        lambda: ch06.check_excess_loss_identity(
            optimum=lambda X: X + SIGMA**2 * ch06.chapter_density().score(X)),
    ],
    "check_attractors_at_points": [
        lambda: ch06.check_attractors_at_points(ch06.measure_three_points(_identity)),
        lambda: ch06.check_attractors_at_points(ch06.measure_three_points(
            rt.empirical_dae_optimum(np.array(ch06.TOY_POINTS)[:, None], 1.0))),
        _shifted_three_points,
    ],
}


def test_registered_checks_pass_on_the_chapter_objects():
    for entry in rt.checks.registry(6):
        result = entry.function()
        assert result.passed, (entry.name, result)


def test_score_on_data_controls_fail_for_the_right_reason():
    identity = _score_on_data(lambda n, h, s: _identity)
    # r = x exceeds k L*/M in every configuration used, by construction of the set.
    assert identity.measured > 1.0
    flipped = _score_on_data(lambda n, h, s: _flipped(s))
    assert flipped.measured == pytest.approx(4.0 * identity.measured, rel=1e-6)
    m = ch06.measure_score_on_data()
    # Which configurations can fail: the 4-unit network and those where r = x is within
    # k L*/M are left out.
    used = [c for c, ok in zip(m.configs, m.informative, strict=True) if ok]
    assert used == [(1000, 16, 0.25), (1000, 16, 0.35), (1000, 16, 0.5), (4000, 16, 0.25)]
    assert np.all(m.null[m.informative] > m.bound[m.informative])
    none = ch06.measure_score_on_data(configs=[(60, 16, 0.25)])
    assert not ch06.check_score_on_data(none).passed


def test_learning_curve_controls_have_slope_zero():
    assert _rate(lambda n, seed: _identity).measured == pytest.approx(0.0, abs=1e-9)
    assert abs(_rate(_same_250_points).measured) < 0.01
    curve = ch06.measure_learning_curve()
    assert curve.excess.shape == (3, 5) and np.all(curve.excess > 0)


def test_excess_loss_identity_holds_for_any_r_with_the_true_optimum():
    density = ch06.chapter_density()
    optimum = _optimum(SIGMA)
    for r in (_identity, lambda X: optimum(X) + 0.05 * np.sin(2.0 * X), _untrained(16)):
        assert ch06.check_excess_loss_identity(r).passed
    # ... and the two sides agree with the diagnostics' own functions.
    grid = ch06.chapter_grid()
    r = ch06.train_autoencoder("dae", 4000, 16, SIGMA).reconstruct
    result = ch06.check_excess_loss_identity()
    assert result.measured == pytest.approx(rt.excess_dae_loss_1d(r, density, SIGMA, grid,
                                                                  n_hermite=60), rel=1e-12)
    assert result.expected == pytest.approx(rt.smoothed_squared_error_1d(r, density, SIGMA, grid),
                                            rel=1e-12)


def test_far_field_limit_is_algebra_for_any_bounded_r():
    density = ch06.chapter_density()
    v = float(density.covariances.max())
    trained = ch06.train_autoencoder("dae", 4000, 16, SIGMA).reconstruct
    for r in (lambda X: 2.0 * np.tanh(X), lambda X: np.zeros_like(X), trained):
        measured, limit = ch06.far_field_limit(r, SIGMA**2)
        np.testing.assert_allclose(limit, v / SIGMA**2 - 1.0)
        np.testing.assert_allclose(measured, limit, rtol=0.01)
    # The exact optimum is not bounded: its far-field error is sigma^2 / (v + sigma^2).
    measured, _ = ch06.far_field_limit(_optimum(SIGMA), SIGMA**2)
    np.testing.assert_allclose(measured, SIGMA**2 / (v + SIGMA**2), rtol=1e-3)


def test_three_points_measurement():
    m = ch06.measure_three_points()
    assert m.one_each and m.attractors.size == 3
    assert m.fit_error < 0.05
    exact = ch06.measure_three_points(
        rt.empirical_dae_optimum(np.array(ch06.TOY_POINTS)[:, None], ch06.TOY_SIGMA))
    assert exact.shift < 1e-5 and exact.outer_repellers.size == 0


def test_training_is_cached_and_read_only():
    a = ch06.train_autoencoder("dae", 250, 16, SIGMA)
    assert ch06.train_autoencoder("dae", 250, 16, SIGMA) is a
    with pytest.raises(ValueError):
        a.params[0] = 0.0
    with pytest.raises(ValueError, match="criterion"):
        ch06.train_autoencoder("cae", 250, 16, SIGMA)
    with pytest.raises(TypeError, match="DAE"):
        ch06.measure_dae(ch06.train_autoencoder("rcae", 250, 4, SIGMA**2))


def test_kernel_estimate_is_the_empirical_optimum():
    grid = ch06.chapter_grid()
    m = ch06.measure_kernel_estimate(SIGMA, n_samples=250)
    # The kernel density estimate is a density, and the empirical optimum's score is the
    # derivative of its logarithm (softmax average against finite differences).
    np.testing.assert_allclose(np.trapezoid(m.density, grid), 1.0, atol=1e-6)
    sample = ch06.chapter_density().sample(250, np.random.default_rng(0))
    inner = slice(400, -400)
    x, h = grid[inner], 1e-5

    def log_kde(z):
        return np.log(np.mean(np.exp(-(z[:, None] - sample[None, :, 0]) ** 2
                                     / (2 * SIGMA**2)), axis=1))

    np.testing.assert_allclose(m.score[inner], (log_kde(x + h) - log_kde(x - h)) / (2 * h),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(m.density, np.exp(log_kde(grid)) / np.sqrt(2 * np.pi * SIGMA**2),
                               rtol=1e-12)
    # Same sample as the chapter's trained network of that size.
    np.testing.assert_array_equal(np.sort(sample[:, 0]),
                                  np.sort(ch06.train_autoencoder("dae", 250, 16, SIGMA).X[:, 0]))
    # Bias of the criterion as in the table; a wider kernel: less sampling error, more bias.
    assert m.bias == pytest.approx(ch06.measure_dae(
        ch06.train_autoencoder("dae", 250, 16, SIGMA)).bias)
    wide = ch06.measure_kernel_estimate(2 * SIGMA, n_samples=250)
    assert wide.to_optimum < m.to_optimum and wide.bias > m.bias
    with pytest.raises(ValueError, match="sigma"):
        ch06.measure_kernel_estimate(0.0)
