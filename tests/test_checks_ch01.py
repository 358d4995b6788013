"""Chapter 1's checks: each passes on the chapter's objects and fails on plausible wrong answers."""

import numpy as np
import pytest

import raetut as rt
from raetut.checks import ch01

DENSITY = ch01.chapter_density()
SIGMA = ch01.SIGMA


def _smoothed_twice():
    """The optimum of noise variance 2 sigma^2: the right shape, the wrong smoothing."""
    return rt.dae_optimum(DENSITY, np.sqrt(2) * SIGMA)


def _score_step(X):
    """x + sigma^2 s: right to first order, zero at the critical points of p, not of p_sigma."""
    return X + SIGMA**2 * DENSITY.score(X)


def _shrinkage():
    r, _ = ch01.candidate_reconstructions()["shrinkage"]
    return r


def _with_candidate(name, reconstruct, jacobian_sq_norm=None):
    candidates = dict(ch01.candidate_reconstructions())
    candidates[name] = (reconstruct, candidates[ch01.OPTIMUM][1]
                        if jacobian_sq_norm is None else jacobian_sq_norm)
    return ch01.measure_candidate_losses(candidates=candidates)


def _first_order_as_rcae_optimum():
    """The rCAE optimum replaced by its first-order approximation x + lam s (the score step)."""
    return _with_candidate(ch01.RCAE_OPTIMUM, *ch01.candidate_reconstructions()["score step"])


def _dae_optimum_as_rcae_optimum():
    """The DAE optimum entered as the rCAE optimum: the two criteria's optima confused."""
    return _with_candidate(ch01.RCAE_OPTIMUM, *ch01.candidate_reconstructions()[ch01.OPTIMUM])


def _rcae_optimum_of_twice_lam():
    """The rCAE optimum solved with penalty 2 lam instead of lam = sigma^2."""
    wrong = ch01.candidate_reconstructions(sigma=np.sqrt(2) * SIGMA)[ch01.RCAE_OPTIMUM]
    return _with_candidate(ch01.RCAE_OPTIMUM, *wrong)


def _optimum_plus_bump(height):
    r_star = rt.dae_optimum(DENSITY, SIGMA)
    return lambda X: r_star(X) + height * np.exp(-0.5 * (X - 1.0) ** 2)


NEGATIVE_CONTROLS = {
    "check_candidates_lose_to_optimum": [
        # r* up to a bump of height 1e-3: its excess (about 5e-7) is far inside the SE
        lambda: ch01.check_candidates_lose_to_optimum(
            _with_candidate("r* + 1e-3 bump", _optimum_plus_bump(1e-3))),
        # the optimum itself entered twice: excess exactly 0
        lambda: ch01.check_candidates_lose_to_optimum(
            _with_candidate("r* again", rt.dae_optimum(DENSITY, SIGMA))),
        # x + lam s for the rCAE optimum: the DAE optimum beats it under the rCAE criterion
        lambda: ch01.check_candidates_lose_to_optimum(_first_order_as_rcae_optimum()),
    ],
    "check_each_criterion_prefers_its_own_optimum": [
        lambda: ch01.check_each_criterion_prefers_its_own_optimum(_first_order_as_rcae_optimum()),
        lambda: ch01.check_each_criterion_prefers_its_own_optimum(_dae_optimum_as_rcae_optimum()),
        lambda: ch01.check_each_criterion_prefers_its_own_optimum(_rcae_optimum_of_twice_lam()),
    ],
    "check_dae_monte_carlo_matches_quadrature": [
        # an "exact" loss that forgets the noise (one Gauss-Hermite node at 0)
        lambda: ch01.check_dae_monte_carlo_matches_quadrature(
            ch01.measure_candidate_losses(n_hermite=1)),
        # Monte Carlo at the wrong noise level against the exact loss at sigma
        lambda: ch01.check_dae_monte_carlo_matches_quadrature(
            _losses_with_mc_noise_scaled(1.1)),
    ],
    "check_dae_excess_loss_identity": [
        lambda: ch01.check_dae_excess_loss_identity(
            ch01.measure_excess_loss(optimum=_smoothed_twice())),
        lambda: ch01.check_dae_excess_loss_identity(
            ch01.measure_excess_loss(optimum=_optimum_plus_bump(0.01))),
    ],
    "check_field_vanishes_at_smoothed_critical_points": [
        lambda: ch01.check_field_vanishes_at_smoothed_critical_points(
            ch01.measure_field_at_critical_points(reconstruct=_score_step)),
        lambda: ch01.check_field_vanishes_at_smoothed_critical_points(
            ch01.measure_field_at_critical_points(reconstruct=_smoothed_twice())),
        lambda: ch01.check_field_vanishes_at_smoothed_critical_points(
            ch01.measure_field_at_critical_points(reconstruct=lambda X: X)),
    ],
    "check_field_small_at_critical_points": [
        lambda: ch01.check_field_small_at_critical_points(
            ch01.measure_field_at_critical_points(reconstruct=_smoothed_twice())),
        lambda: ch01.check_field_small_at_critical_points(
            ch01.measure_field_at_critical_points(reconstruct=_shrinkage())),
    ],
}


def _losses_with_mc_noise_scaled(factor):
    """Monte-Carlo losses whose noise draws have standard deviation factor * sigma."""
    losses = ch01.measure_candidate_losses()
    wrong = ch01.measure_candidate_losses(sigma=factor * SIGMA,
                                          candidates=ch01.candidate_reconstructions())
    rows = {name: {**wrong.rows[name], "dae_exact": losses.rows[name]["dae_exact"]}
            for name in losses.rows}
    return ch01.CandidateLosses(rows, losses.reference, SIGMA, losses.n_samples, losses.n_batches)


def test_every_chapter_check_passes_with_its_defaults():
    names = [entry.name for entry in rt.checks.registry(1)]
    assert sorted(names) == sorted(NEGATIVE_CONTROLS)
    for entry in rt.checks.registry(1):
        result = entry.function()
        assert result.passed, (entry.name, result.measured, result.tolerance)
        assert result.chapter == 1 and result.name == entry.name


def test_measurements_are_the_chapters():
    losses = ch01.measure_candidate_losses(rng=np.random.default_rng(ch01.SEED))
    assert losses.rows == ch01.measure_candidate_losses().rows  # the chapter's seed by default
    assert list(losses.rows) == ["identity", "shrinkage", "score step", "optimal DAE",
                                 "optimal rCAE"]
    # the identity's exact DAE loss is sigma^2 d
    assert losses.rows["identity"]["dae_exact"] == pytest.approx(SIGMA**2, rel=1e-10)
    fields = ch01.measure_field_at_critical_points()
    assert fields.critical_p.size == 5 and fields.critical_smoothed.size == 5


def test_smoothed_critical_points_agree_with_the_closed_form():
    fields = ch01.measure_field_at_critical_points()
    modes, antimodes = rt.critical_points_1d(DENSITY.smoothed(SIGMA), *ch01.PLOT_RANGE)
    np.testing.assert_allclose(np.sort(fields.critical_smoothed),
                               np.sort(np.concatenate([modes, antimodes])), atol=1e-10)


def test_field_bound_is_the_mean_value_bound():
    # r*(c) - c = sigma^2 int_0^{sigma^2} c_t(c) dt: the bound can only be approached, not beaten
    fields = ch01.measure_field_at_critical_points(n_times=11)
    assert np.all(np.abs(fields.field_p) <= fields.bound_p)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: ch01.measure_candidate_losses(density="p"), TypeError, "density"),
        (lambda: ch01.measure_candidate_losses(rng=0), TypeError, "rng"),
        (lambda: ch01.measure_candidate_losses(n_samples=1001), ValueError, "multiple"),
        (lambda: ch01.measure_candidate_losses(candidates={}), TypeError, "optimal DAE"),
        (lambda: ch01.measure_excess_loss(sigma=0.0), ValueError, "sigma"),
        (lambda: ch01.measure_field_at_critical_points(reconstruct=3), TypeError, "reconstruct"),
        (lambda: ch01.check_dae_excess_loss_identity(measurement=1.0), TypeError, "measurement"),
        (lambda: ch01.check_candidates_lose_to_optimum(measurement="x"), TypeError, "measurement"),
    ],
)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_rcae_optimum_candidate_solves_the_euler_lagrange_equation():
    # r - x = lam (r'' + s r') (the Euler-Lagrange equation divided by p), on the bulk of p
    r, jac_sq = ch01.candidate_reconstructions()[ch01.RCAE_OPTIMUM]
    x = np.linspace(-3.0, 3.5, 1301)
    h = x[1] - x[0]
    values = r(x[:, None])[:, 0]
    slope = np.gradient(values, h)
    curvature = np.gradient(slope, h)
    residual = values - x - SIGMA**2 * (curvature + DENSITY.score(x[:, None])[:, 0] * slope)
    assert np.max(np.abs(residual[2:-2])) < 1e-3
    np.testing.assert_allclose(jac_sq(x[:, None]), slope**2, rtol=1e-3, atol=1e-6)


def test_rcae_optimum_candidate_is_stable_under_grid_refinement():
    # the tolerance of check_each_criterion_prefers_its_own_optimum: the losses move < 3e-9
    grid = np.linspace(-6.0, 7.0, 2601)
    lam = SIGMA**2
    losses = []
    for spacing in (0.01, 0.005, 0.0025):
        old, ch01.RCAE_SPACING = ch01.RCAE_SPACING, spacing
        try:
            r, jac_sq = ch01.candidate_reconstructions()[ch01.RCAE_OPTIMUM]
        finally:
            ch01.RCAE_SPACING = old
        losses.append((rt.dae_loss_quadrature(r, DENSITY, SIGMA, grid),
                       rt.rcae_loss_quadrature(r, jac_sq, DENSITY, lam, grid)))
    assert np.max(np.abs(np.diff(np.array(losses), axis=0))) < 3e-9
