"""Chapter 10's checks: they pass on the chapter's objects and fail on plausible wrong answers."""

import dataclasses

import numpy as np
import pytest

import raetut as rt
from raetut import checks
from raetut.checks import ch10


def _run():
    return ch10.measure_annealing()


def _frozen_run():
    """Chains that never left their start: every level ends where the chains began."""
    run = _run()
    return dataclasses.replace(run, level_samples=np.broadcast_to(run.x0, run.level_samples.shape),
                               samples=run.x0)


def _crawling_run():
    """Annealed chains with a step 10^4 times too small: they crawl from the start."""
    return ch10.measure_annealing(n_chains=300, n_plain=10, n_steps=30, eta=3e-7)


def _moved_mixture_draws(shift=0.03, seed=5, into=0):
    """Exact draws of the chapter's mixture (as many as the test's chains) with ``shift``
    moved from the heaviest mode into mode ``into``."""
    density = ch10.annealing_density()
    delta = np.zeros(3)
    delta[into], delta[2] = shift, -shift
    moved = rt.GaussianMixture(density.weights + delta, density.means, density.covariances)
    return moved.sample(ch10.MASS_SETTINGS["n_chains"], np.random.default_rng(seed))


def _p_sigma_draws(sigma, seed=6):
    """Exact draws of p_sigma (the wrong target when p is meant)."""
    density = ch10.annealing_density().smoothed(sigma)
    return density.sample(ch10.ANNEALING_SETTINGS["n_chains"], np.random.default_rng(seed))


def _level_one(X):
    """The chapter's run with ``X`` (n, 2) in place of the states at the end of level 1."""
    run = _run()
    levels = np.array(run.level_samples)
    levels[0] = X
    return dataclasses.replace(run, level_samples=levels)


def _half_width_level_one():
    """Level-1 states squeezed to half their spread about the right mean."""
    X = _run().level_samples[0]
    return _level_one(X.mean(axis=0) + 0.5 * (X - X.mean(axis=0)))


def _frozen_plain():
    """Plain Langevin chains that never left the start (the mode's mean)."""
    run = _run()
    return np.broadcast_to(run.x0[0], run.plain.shape)


NEGATIVE_CONTROLS = {
    "check_log_concave_above_threshold": [
        # a level below the threshold: p_sigma is not log-concave there
        lambda: checks.check_log_concave_above_threshold(ch10.measure_log_concavity(
            sigma=0.9 * rt.log_concavity_threshold(ch10.annealing_density()))),
        # the unsmoothed mixture
        lambda: checks.check_log_concave_above_threshold(ch10.measure_log_concavity(sigma=1e-3)),
    ],
    "check_modes_at_smallest_level": [
        # at sigma_1 the smoothed mixture has a single mode
        lambda: checks.check_modes_at_smallest_level(ch10.measure_modes(sigma=8.0)),
        # at the threshold level: one mode
        lambda: checks.check_modes_at_smallest_level(ch10.measure_modes(sigma=3.0)),
    ],
    "check_level_one_forgets_start": [
        lambda: checks.check_level_one_forgets_start(_frozen_run()),
        lambda: checks.check_level_one_forgets_start(_crawling_run()),
        # the right mean, the wrong spread: draws of p (not smoothed) at level 1
        lambda: checks.check_level_one_forgets_start(_level_one(_p_sigma_draws(1e-3))),
        # draws of p_sigma_M
        lambda: checks.check_level_one_forgets_start(
            _level_one(_p_sigma_draws(float(_run().sigmas[-1])))),
        # every chain at the mean of p_sigma_1
        lambda: checks.check_level_one_forgets_start(_level_one(np.broadcast_to(
            ch10.annealing_density().overall_mean, _run().level_samples[0].shape))),
        lambda: checks.check_level_one_forgets_start(_half_width_level_one()),
    ],
    "check_annealed_mode_masses": [
        # plain Langevin started in one mode
        lambda: checks.check_annealed_mode_masses(
            ch10.measure_mode_masses(final=_run().plain)),
        # exact draws of a mixture whose weights are moved by 3 points
        lambda: checks.check_annealed_mode_masses(
            ch10.measure_mode_masses(final=_moved_mixture_draws())),
        # 2 points moved between the two heaviest modes (power 1.00); 1 point: see below
        lambda: checks.check_annealed_mode_masses(
            ch10.measure_mode_masses(final=_moved_mixture_draws(0.02, into=1))),
        # the basin masses of a level two above sigma* (chains that stopped mixing early)
        lambda: checks.check_annealed_mode_masses(
            ch10.measure_mode_masses(target_sigma=float(ch10.annealing_noise_levels()[4]))),
        # the annealed chains with a tenth of the steps per level (they lag behind)
        lambda: checks.check_annealed_mode_masses(
            ch10.measure_mode_masses(ch10.measure_mass_run(n_steps=30))),
        # chains that never moved: no mixing at all, sigma* is the first level
        lambda: checks.check_annealed_mode_masses(ch10.measure_mode_masses(_frozen_run())),
    ],
    "check_plain_langevin_stays_in_mode": [
        lambda: checks.check_plain_langevin_stays_in_mode(_run(), final=_run().samples),
        lambda: checks.check_plain_langevin_stays_in_mode(_run(), final=_p_sigma_draws(0.1)),
        # chains that never moved from the mode's mean: in the mode, but not sampling it
        lambda: checks.check_plain_langevin_stays_in_mode(_run(), final=_frozen_plain()),
    ],
}


def test_registered_checks_pass_on_the_chapter_objects():
    results = checks.run_all(chapter=10)
    assert len(results) == 5
    failed = [r.claim for r in results if not r.passed]
    assert not failed


def test_mode_mass_check_accepts_exact_draws_of_the_target():
    # independent draws with the target masses pass (9 seeds in 10 must: error rate 0.01)
    density = ch10.annealing_density()
    n = ch10.MASS_SETTINGS["n_chains"]
    passed = [checks.check_annealed_mode_masses(ch10.measure_mode_masses(
        final=density.sample(n, np.random.default_rng(seed)))).passed
        for seed in range(10)]
    assert sum(passed) >= 9


def test_mode_mass_check_rejects_a_one_point_bias_with_its_power():
    # 1 point moved between the two heaviest modes: power 0.87, so of 20 seeds the test
    # rejects at least 12 (P(Binomial(20, 0.87) < 12) = 2e-4)
    rejected = [not checks.check_annealed_mode_masses(ch10.measure_mode_masses(
        final=_moved_mixture_draws(0.01, seed=100 + seed, into=1))).passed
        for seed in range(20)]
    assert sum(rejected) >= 12


def test_mode_mass_power_matches_simulation():
    assert ch10.mode_mass_power(0.0) == pytest.approx(ch10.MODE_MASS_ERROR_RATE)
    powers = [ch10.mode_mass_power(s) for s in (0.01, 0.02, 0.03)]
    assert powers == sorted(powers)
    assert powers[0] >= 0.8
    # the noncentral chi-square against multinomial draws (2000 replicates: SE 0.008)
    rng = np.random.default_rng(3)
    target = ch10.annealing_density().weights
    moved = target + np.array([0.0, 0.01, -0.01])
    n = ch10.MASS_SETTINGS["n_chains"]
    counts = rng.multinomial(n, moved, size=2000)
    chi2 = np.sum((counts - n * target) ** 2 / (n * target), axis=1)
    simulated = np.mean(chi2 > 9.2103)
    assert abs(simulated - powers[0]) < 0.04


def test_fast_sampler_is_the_package_sampler():
    # same chains, same random stream: rt.annealed_langevin with the exact denoisers
    density = ch10.annealing_density()
    sigmas = ch10.annealing_noise_levels()
    x0 = np.tile(density.means[0], (40, 1))
    fast = ch10.annealed_mixture_langevin(density, sigmas, x0, 12, 3e-3,
                                          np.random.default_rng(7))
    scores = rt.denoiser_scores(rt.optimal_denoisers(density, sigmas), sigmas)
    slow = rt.annealed_langevin(scores, sigmas, x0, 12, 3e-3, np.random.default_rng(7))
    np.testing.assert_allclose(fast, slow.level_samples, rtol=0, atol=1e-9)


def test_basins_of_the_chapter_mixture():
    density = ch10.annealing_density()
    low = ch10.basins(density, 0.1)
    assert len(low.modes) == 3
    np.testing.assert_allclose(low.component_masses, density.weights, atol=1e-6)
    np.testing.assert_allclose(np.sort(low.modes, axis=0), np.sort(density.means, axis=0),
                               atol=1e-6)
    one = ch10.basins(density, 8.0)
    assert len(one.modes) == 1 and one.component_masses.max() == pytest.approx(1.0)
    # above sigma*: the basin of the heaviest component holds more than its weight
    mid = ch10.basins(density, 2.487)
    assert mid.component_masses[2] > 0.54
    assert mid.unconverged < 1e-6


def test_basin_masses_agree_with_gradient_flow_of_samples():
    # an independent estimate: classify exact draws of p_sigma by plain gradient ascent
    density = ch10.annealing_density()
    sigma = 1.857
    smooth = density.smoothed(sigma)
    X = smooth.sample(4000, np.random.default_rng(1))
    v = 0.25 + sigma**2
    for _ in range(2000):
        X = X + 0.2 * v * smooth.score(X)
    nearest = np.argmin(np.sum((X[:, None] - density.means[None]) ** 2, axis=2), axis=1)
    fractions = np.bincount(nearest, minlength=3) / len(X)
    target = ch10.basins(density, sigma).component_masses
    se = np.sqrt(target * (1 - target) / len(X))
    assert np.all(np.abs(fractions - target) < 4 * se)


def test_basins_reject_anisotropic_mixtures():
    density = rt.GaussianMixture([0.5, 0.5], [[0.0, 0.0], [3.0, 0.0]],
                                 [np.eye(2), np.diag([1.0, 2.0])])
    with pytest.raises(ValueError, match="isotropic"):
        ch10.basins(density, 1.0)


def test_annealing_run_is_cached_and_read_only():
    run = _run()
    assert ch10.measure_annealing() is run
    with pytest.raises(ValueError):
        run.samples[0, 0] = 0.0
    assert run.level_samples.shape == (16, ch10.ANNEALING_SETTINGS["n_chains"], 2)
    assert run.plain_blocks.shape == (16, ch10.ANNEALING_SETTINGS["n_plain"], 2)
