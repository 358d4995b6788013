"""Chapter 9's registered checks: they pass on the chapter's objects and fail on wrong ones."""

import functools

import numpy as np
import pytest

import raetut as rt
from raetut import checks
from raetut.checks import ch09

SIGMA = ch09.SIGMA
S1, S2 = ch09.CHAIN_1D, ch09.CHAIN_2D


def _cdf_p():
    return rt.mixture_cdf_1d(ch09.chapter_density_1d())


def _cdf_p_sigma():
    return rt.mixture_cdf_1d(ch09.chapter_density_1d().smoothed(SIGMA))


def _frozen(starts, n_steps):
    # every proposal rejected: each chain stays at its start
    return np.repeat(np.asarray(starts, dtype=float)[None], n_steps, axis=0)


def _frozen_1d():
    return _frozen(ch09.starts_1d(), S1["n_steps"] - S1["burn_in"])


def _recorded_1d(name):
    return ch09.chains_1d(name).samples[S1["burn_in"]:]


@functools.lru_cache(maxsize=None)
def _crawling_1d(name):
    # the chapter's sampler with step 0.01: almost every proposal accepted, no progress
    density = ch09.chapter_density_1d()
    log_ratio = (rt.exact_log_ratio(density.log_prob) if name == "exact" else
                 rt.line_integral_log_ratio(rt.dae_optimum(density, SIGMA), SIGMA))
    res = rt.metropolis_hastings(log_ratio, ch09.starts_1d(), S1["n_steps"], 0.01,
                                 np.random.default_rng(7))
    return res.samples[S1["burn_in"]:]


@functools.lru_cache(maxsize=None)
def _crawling_2d():
    density = ch09.chapter_density_2d()
    res = rt.metropolis_hastings(rt.exact_log_ratio(density.log_prob), ch09.starts_2d(),
                                 S2["n_steps"] // 4, 0.01, np.random.default_rng(8))
    return res.samples[S2["burn_in"]:]


def _fit(chains, cdf):
    return ch09.measure_chain_fit(chains, cdf)


def _rotation(kappa):
    # r(x) = x + kappa sigma^2 J x: a pure rotation field, curl 2 kappa sigma^2
    J = np.array([[0.0, -1.0], [1.0, 0.0]])

    def r(X):
        return X + kappa * SIGMA**2 * X @ J.T

    def jacobian(X):
        return np.broadcast_to(np.eye(2) + kappa * SIGMA**2 * J, (len(X), 2, 2))

    return r, jacobian


def _optimum_loops():
    return ch09.chapter_loops("r*_sigma")


def _trained_loops():
    return ch09.chapter_loops("trained")


def _far(name):
    return ch09.measure_spurious_attractors().far_runs[name].samples


def _from_trap(log_ratio):
    m = ch09.measure_spurious_attractors()
    start = np.full((ch09.TRAP_CHAINS, 1), m.trap_start)
    return rt.metropolis_hastings(log_ratio, start, ch09.FAR_STEPS, ch09.FAR_STEP,
                                  np.random.default_rng(9)).samples


def _frozen_in_data():
    """57 chains frozen at exact draws of p: they end in the data without having found it."""
    draws = ch09.chapter_density_1d().sample(len(ch09.FAR_STARTS), np.random.default_rng(11))
    return _frozen(draws, ch09.FAR_STEPS)


def _frozen_at_trap():
    m = ch09.measure_spurious_attractors()
    return _frozen(np.full((ch09.TRAP_CHAINS, 1), m.trap_start), ch09.FAR_STEPS)


NEGATIVE_CONTROLS = {
    "check_exact_denoiser_chain_samples_p_sigma": [
        lambda: checks.check_exact_denoiser_chain_samples_p_sigma(
            _fit(_frozen_1d(), _cdf_p_sigma())),
        lambda: checks.check_exact_denoiser_chain_samples_p_sigma(
            _fit(_crawling_1d("opt"), _cdf_p_sigma())),
        # a chain of p checked against p_sigma
        lambda: checks.check_exact_denoiser_chain_samples_p_sigma(
            _fit(_recorded_1d("MH, exact log p"), _cdf_p_sigma())),
    ],
    "check_exact_mh_samples_p": [
        lambda: checks.check_exact_mh_samples_p(_fit(_frozen_1d(), _cdf_p())),
        lambda: checks.check_exact_mh_samples_p(_fit(_crawling_1d("exact"), _cdf_p())),
        # a chain of p_sigma checked against p
        lambda: checks.check_exact_mh_samples_p(_fit(_recorded_1d("MH, r*_sigma"), _cdf_p())),
    ],
    "check_trained_chain_samples_q": [
        lambda: checks.check_trained_chain_samples_q(
            _fit(_recorded_1d("MH, r*_sigma"), ch09.trained_cdf_1d()[0])),
        lambda: checks.check_trained_chain_samples_q(_fit(_frozen_1d(), ch09.trained_cdf_1d()[0])),
    ],
    "check_trained_mala_samples_q": [
        lambda: checks.check_trained_mala_samples_q(
            _fit(_recorded_1d("MH, r*_sigma"), ch09.trained_cdf_1d()[0])),
        lambda: checks.check_trained_mala_samples_q(_fit(_frozen_1d(), ch09.trained_cdf_1d()[0])),
    ],
    "check_smoothing_bias": [
        # chains of p: KS to p is near 0, not KS(p_sigma, p)
        lambda: checks.check_smoothing_bias(_recorded_1d("MH, exact log p")),
        lambda: checks.check_smoothing_bias(_frozen_1d()),
    ],
    "check_exact_denoiser_chain_2d_mode_masses": [
        lambda: checks.check_exact_denoiser_chain_2d_mode_masses(ch09.measure_mode_masses(
            _frozen(ch09.starts_2d(), 2000), ch09.chapter_density_2d().smoothed(SIGMA))),
        lambda: checks.check_exact_denoiser_chain_2d_mode_masses(ch09.measure_mode_masses(
            _crawling_2d(), ch09.chapter_density_2d().smoothed(SIGMA))),
        # the trained model's chain: every mode found, masses wrong
        lambda: checks.check_exact_denoiser_chain_2d_mode_masses(ch09.measure_mode_masses(
            ch09.chains_2d("MH, trained r").samples[S2["burn_in"]:],
            ch09.chapter_density_2d().smoothed(SIGMA))),
    ],
    "check_exact_mh_2d_mode_masses": [
        lambda: checks.check_exact_mh_2d_mode_masses(ch09.measure_mode_masses(
            _frozen(ch09.starts_2d(), 2000), ch09.chapter_density_2d())),
        lambda: checks.check_exact_mh_2d_mode_masses(ch09.measure_mode_masses(
            _crawling_2d(), ch09.chapter_density_2d())),
    ],
    "check_line_integral_exact": [
        # the optimum of a wrong noise level, integrated with the chapter's sigma
        lambda: checks.check_line_integral_exact(ch09.measure_line_integral_exact(
            rt.dae_optimum(ch09.chapter_density_1d(), 0.6))),
        # r = x: every log-ratio 0
        lambda: checks.check_line_integral_exact(ch09.measure_line_integral_exact(lambda X: X)),
    ],
    "check_closed_loop_zero": [
        lambda: checks.check_closed_loop_zero(ch09.measure_closed_loops(*_rotation(1.0))),
        lambda: checks.check_closed_loop_zero(_trained_loops()),
    ],
    "check_closed_loop_stokes": [
        # a gradient field: loop sums equal the (zero) flux, but are far below 0.05 nats
        lambda: checks.check_closed_loop_stokes(_optimum_loops()),
        # the flux divided by a wrong sigma^2
        lambda: checks.check_closed_loop_stokes(ch09.ClosedLoops(
            _trained_loops().loops, _trained_loops().flux * (SIGMA / 0.35) ** 2)),
    ],
    "check_far_chains_of_exact_denoiser_reach_data": [
        lambda: checks.check_far_chains_of_exact_denoiser_reach_data(
            _frozen(ch09.FAR_STARTS, ch09.FAR_STEPS)),
        lambda: checks.check_far_chains_of_exact_denoiser_reach_data(_far("model B")),
        # chains that began (and stayed) in the data: they show nothing about far starts
        lambda: checks.check_far_chains_of_exact_denoiser_reach_data(_frozen_in_data()),
    ],
    "check_far_chains_of_model_a_reach_data": [
        lambda: checks.check_far_chains_of_model_a_reach_data(_far("model B")),
        lambda: checks.check_far_chains_of_model_a_reach_data(
            _frozen(ch09.FAR_STARTS, ch09.FAR_STEPS)),
        lambda: checks.check_far_chains_of_model_a_reach_data(_frozen_in_data()),
    ],
    "check_model_b_spurious_attractor_traps": [
        # exact MH of p from the attractor: p pulls the chains back to the data
        lambda: checks.check_model_b_spurious_attractor_traps(
            _from_trap(rt.exact_log_ratio(ch09.chapter_density_1d().log_prob))),
        lambda: checks.check_model_b_spurious_attractor_traps(_from_trap(
            rt.line_integral_log_ratio(ch09.chapter_models()["model A"].r, SIGMA))),
        # chains whose proposals are all refused stay at the attractor without sampling it
        lambda: checks.check_model_b_spurious_attractor_traps(_frozen_at_trap()),
        # model B's sampler with a step of 1e-3: it crawls
        lambda: checks.check_model_b_spurious_attractor_traps(rt.metropolis_hastings(
            rt.line_integral_log_ratio(ch09.chapter_models()["model B"].r, SIGMA),
            np.full((ch09.TRAP_CHAINS, 1), ch09.measure_spurious_attractors().trap_start),
            ch09.FAR_STEPS, 1e-3, np.random.default_rng(9)).samples),
    ],
}


def test_chapter_checks_pass_with_the_chapter_objects():
    results = checks.run_all(9)
    assert len(results) == 13
    failed = [(r.name, r.measured, r.tolerance, r.detail) for r in results if not r.passed]
    assert not failed


def test_chapter_runs_start_overdispersed():
    # no chain starts at a draw of the target: starts span far beyond the data
    assert ch09.starts_1d().min() <= -5 and ch09.starts_1d().max() >= 5
    x0 = ch09.chains_1d("MH, r*_sigma").samples[0]
    assert np.ptp(x0) > 8


def test_split_rhat_flags_the_frozen_and_crawling_controls():
    assert ch09.measure_chain_fit(_frozen_1d(), _cdf_p()).rhat == np.inf
    assert ch09.measure_chain_fit(_crawling_1d("exact"), _cdf_p()).rhat > 1.1
    assert ch09.measure_chain_fit(_recorded_1d("MH, exact log p"), _cdf_p()).rhat < 1.01


def test_p_and_p_sigma_are_several_ks_tolerances_apart():
    # the power of the 1-D KS checks: KS(p, p_sigma) against the chapter's tolerance
    distance = ch09.smoothing_distance(ch09.chapter_density_1d(), SIGMA)
    tol = ch09.measure_chain_fit(_recorded_1d("MH, r*_sigma"), _cdf_p_sigma()).tolerance
    assert distance > 1.5 * tol


def test_measurements_are_cached_once_per_process():
    assert ch09.chains_1d("MH, r*_sigma") is ch09.chains_1d("MH, r*_sigma")
    assert ch09.measure_spurious_attractors() is ch09.measure_spurious_attractors()


def test_unknown_sampler_is_rejected():
    with pytest.raises(ValueError, match="sampler must be one of"):
        ch09._run("Gibbs", 1, S1, ch09.starts_1d())
