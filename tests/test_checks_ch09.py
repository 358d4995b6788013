"""Chapter 9's registered checks: they pass on the chapter's objects and fail on wrong ones."""

import dataclasses
import functools

import numpy as np
import pytest
from scipy import integrate

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


def _curl_bias_of(field):
    """The curl check's measurement with another field in place of the curl field."""
    m = ch09.measure_curl_bias()
    etas = ch09.CURL_FIT_ETAS + (ch09.CURL_LARGE_ETA,)
    return dataclasses.replace(m, runs=tuple(ch09.energy_run(field, eta) for eta in etas))


def _frozen_curl_bias():
    """Energy chains whose proposals are all refused: each keeps its start's energy."""
    m = ch09.measure_curl_bias()
    rng = np.random.default_rng(12)
    start = 0.5 * rng.uniform(*ch09.CURL_CHAINS["start"], ch09.CURL_CHAINS["n_chains"]) ** 2

    def frozen(eta):
        return ch09.measure_energy_run(np.repeat(start[None], 2000, axis=0), eta,
                                       start_energy=start.mean())

    return dataclasses.replace(m, runs=tuple(frozen(r.eta) for r in m.runs))


@functools.lru_cache(maxsize=None)
def _one_point(which):
    density = ch09.chapter_density_1d()
    rules = {
        # the one-point rule given as the exact difference
        "one-point as exact": {"exact": ch09.one_point_log_ratio(density.score)},
        # the exact difference given as the one-point rule: no bias to find
        "exact as one-point": {"one_point": rt.exact_log_ratio(density.log_prob)},
        # the exact difference of the wrong density, log p_sigma
        "p_sigma": {"exact": rt.exact_log_ratio(density.smoothed(SIGMA).log_prob)},
    }
    return ch09.measure_one_point_bias(**rules[which])


NEGATIVE_CONTROLS = {
    "check_one_point_rule_bias": [
        lambda: checks.check_one_point_rule_bias(_one_point("one-point as exact")),
        lambda: checks.check_one_point_rule_bias(_one_point("exact as one-point")),
        lambda: checks.check_one_point_rule_bias(_one_point("p_sigma")),
    ],
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
    "check_curl_mh_small_step_limit": [
        # the wrong target: N(0, I/2), the invariant law of dX = s dt + dW
        lambda: checks.check_curl_mh_small_step_limit(dataclasses.replace(
            ch09.measure_curl_bias(),
            expected=ch09.diffusion_invariant_energy(ch09.CURL_FIELD, drift_factor=1.0))),
        # chains that ignore the curl (s = -x): no bias at a large step
        lambda: checks.check_curl_mh_small_step_limit(_curl_bias_of(ch09.GRADIENT_FIELD)),
        # a log-ratio twice too large (sigma in place of sigma^2): targets about N(0, I/2)
        lambda: checks.check_curl_mh_small_step_limit(_curl_bias_of(2 * ch09.CURL_FIELD)),
        lambda: checks.check_curl_mh_small_step_limit(_frozen_curl_bias()),
        # a "gradient control" that has the curl: biased at eta = 1.5
        lambda: checks.check_curl_mh_small_step_limit(dataclasses.replace(
            ch09.measure_curl_bias(), control_runs=ch09.measure_curl_bias().runs)),
    ],
    "check_exact_denoiser_chain_2d_energy": [
        # the frozen chain (its uniform starts), the crawling chain (step 0.01) and the
        # trained model's chain, thinned as the chapter's, against p_sigma
        lambda: checks.check_exact_denoiser_chain_2d_energy(ch09.measure_energy_test_2d(
            np.repeat(ch09.starts_2d(), 100, axis=0))),
        lambda: checks.check_exact_denoiser_chain_2d_energy(ch09.measure_energy_test_2d(
            ch09.thinned_2d(_crawling_2d(), burn_in=0, thin=10))),
        lambda: checks.check_exact_denoiser_chain_2d_energy(ch09.measure_energy_test_2d(
            ch09.thinned_2d(ch09.chains_2d("MH, trained r").samples))),
    ],
    "check_seed_sweep_spurious_attractors": [
        # the exact denoiser for every seed: no spurious attractor anywhere (fraction 0)
        lambda: checks.check_seed_sweep_spurious_attractors(ch09.measure_seed_sweep(
            (1, 2), reconstructions=[rt.dae_optimum(ch09.chapter_density_1d(), SIGMA)] * 2)),
        # model B for every seed (fraction 1)
        lambda: checks.check_seed_sweep_spurious_attractors(ch09.measure_seed_sweep(
            (1, 2), reconstructions=[ch09.seed_model(1).r] * 2)),
        # model B's far chains reported as all returned: the criteria disagree
        lambda: checks.check_seed_sweep_spurious_attractors(
            [dataclasses.replace(o, trapped=0.0) if o.seed == 1 else o
             for o in ch09.measure_seed_sweep()]),
    ],
}


def test_chapter_checks_pass_with_the_chapter_objects():
    results = checks.run_all(9)
    assert len(results) == 17
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


def test_midpoint_log_ratio_of_the_curl_field_is_exact():
    # for s(x) = (-I + J) x: log-ratio = -(|x*|^2 - |x|^2) / 2 + x1 x*2 - x2 x*1 (closed form)
    rng = np.random.default_rng(3)
    x, x_new = rng.standard_normal((50, 2)), 3 * rng.standard_normal((50, 2))
    r = ch09.linear_field_reconstruction(ch09.CURL_FIELD)
    closed = (-(np.sum(x_new**2, 1) - np.sum(x**2, 1)) / 2
              + x[:, 0] * x_new[:, 1] - x[:, 1] * x_new[:, 0])
    for n_nodes in (1, 8):
        got = rt.line_integral_log_ratio(r, SIGMA, n_nodes=n_nodes)(x, x_new)
        np.testing.assert_allclose(got, closed, rtol=1e-12, atol=1e-12)


def test_diffusion_invariant_energy_against_an_euler_simulation():
    # dX = c A X dt + dW simulated by Euler-Maruyama (small step) from the stationary law
    assert ch09.diffusion_invariant_energy(ch09.CURL_FIELD) == pytest.approx(1.0, rel=1e-12)
    assert ch09.diffusion_invariant_energy(ch09.GRADIENT_FIELD) == pytest.approx(1.0, rel=1e-12)
    rng = np.random.default_rng(4)
    A, dt = np.array([[-1.0, -2.0], [0.5, -0.7]]), 0.01
    X = rng.standard_normal((4000, 2))
    energies = []
    for k in range(3000):
        X = X + 0.5 * dt * X @ A.T + np.sqrt(dt) * rng.standard_normal(X.shape)
        if k >= 1000 and k % 20 == 0:
            energies.append(0.5 * np.mean(np.sum(X**2, 1)))
    # 100 snapshots 0.2 time units apart, 4000 chains each: se about 0.01
    assert np.mean(energies) == pytest.approx(ch09.diffusion_invariant_energy(A), abs=0.05)
    assert ch09.diffusion_invariant_energy(ch09.CURL_FIELD, 1.0) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="negative real parts"):
        ch09.diffusion_invariant_energy(np.eye(2))
    with pytest.raises(ValueError, match="A"):
        ch09.diffusion_invariant_energy(np.eye(3))


def _one_step_energy_change(x, eta, field):
    """E[(f(x*) - f(x)) a(x, x*)] for f = |x|^2 / 2, by quadrature over z (0.01 spacing)."""
    g = np.linspace(-8, 8, 1601)
    Z1, Z2 = np.meshgrid(g, g, indexing="ij")
    Z = np.column_stack([Z1.ravel(), Z2.ravel()])
    w = np.exp(-0.5 * np.sum(Z**2, 1)) / (2 * np.pi) * (g[1] - g[0]) ** 2
    x_new = x + eta * Z
    ell = np.sum((0.5 * (x + x_new) @ field.T) * (x_new - x), 1)
    accept = np.exp(np.minimum(ell, 0.0))
    return float(np.sum(w * 0.5 * (np.sum(x_new**2, 1) - x @ x) * accept))


def test_generator_expansion_gives_the_first_order_bias():
    # (P f - f)(x) = eta^2 (1 - |x|^2/2) + eta^3 (|x|^3 - 9|x|/4) / sqrt(pi) + O(eta^4) for the
    # curl field (prop-mh-small-step), and its average under N(0, I) is c1 = 3 / (4 sqrt 2)
    for x in (np.array([0.5, 0.0]), np.array([1.3, 0.4])):
        norm = np.linalg.norm(x)
        third = (norm**3 - 2.25 * norm) / np.sqrt(np.pi)
        terms = [(_one_step_energy_change(x, eta, ch09.CURL_FIELD) - eta**2 * (1 - norm**2 / 2))
                 / eta**3 for eta in (0.05, 0.025)]
        # the remainder is O(eta): Richardson-extrapolate the two steps
        assert 2 * terms[1] - terms[0] == pytest.approx(third, abs=2e-3)
    # under N(0, I) the radius is Rayleigh: the average of the eta^3 term by quadrature
    mean_third = integrate.quad(
        lambda r: (r**3 - 2.25 * r) / np.sqrt(np.pi) * r * np.exp(-r**2 / 2), 0, np.inf)[0]
    assert mean_third == pytest.approx(ch09.CURL_BIAS_SLOPE, rel=1e-10)


def test_curl_bias_shrinks_with_the_step_and_the_control_is_unbiased():
    m = ch09.measure_curl_bias()
    means = [run.mean for run in m.runs]
    assert np.all(np.diff(means) > 0)
    for run in m.control_runs:
        assert abs(run.mean - 1.0) < 4 * run.se
    assert all(run.start_energy > 4 for run in m.runs)


def test_grid_stationary_law_of_the_one_point_rule_matches_a_simulated_chain():
    # the grid kernel against the sampler itself: 1000 chains of rt.metropolis_hastings
    # with the one-point rule at eta = 1, started at draws of p, 1500 steps after 500 of
    # burn-in; their CDF is compared with the grid law's (KS), and both are far from p
    density = ch09.chapter_density_1d()
    rule = ch09.one_point_log_ratio(density.score)
    grid = np.linspace(-6, 6, 600)
    law = ch09.grid_stationary_law(rule, grid, 1.0)
    rng = np.random.default_rng(12)
    res = rt.metropolis_hastings(rule, density.sample(1000, rng), 2000, 1.0, rng)
    draws = np.sort(res.samples[500:].ravel())
    # the grid law puts mass law_i on [x_i - h/2, x_i + h/2]: its CDF, linear in between
    h = grid[1] - grid[0]
    cdf_grid = np.interp(draws, np.r_[grid - h / 2, grid[-1] + h / 2], np.r_[0, np.cumsum(law)])
    empirical = np.arange(1, draws.size + 1) / draws.size
    ks_grid = np.max(np.abs(empirical - cdf_grid))
    ks_p = np.max(np.abs(empirical - rt.mixture_cdf_1d(density)(draws)))
    # ESS of the indicators is of the order of 1e5 here: a KS tolerance of ~0.01 is loose
    assert ks_grid < 0.01 < 0.05 < ks_p


def test_one_point_bias_is_of_first_order_in_the_step():
    # the stationary bias of the one-point rule vanishes with the step (prop-mh-small-step:
    # its first-order log-ratio s(x) . (y - x) is the exact one's), linearly
    m = ch09.measure_one_point_bias(etas=(0.1, 0.2), n_grid=400)
    ratio = np.array(m.tv_one_point) / np.array(m.etas)
    assert ratio[1] == pytest.approx(ratio[0], rel=0.02)
    assert max(m.tv_exact) < 1e-9


def test_one_point_helpers_reject_bad_input():
    with pytest.raises(TypeError, match="score"):
        ch09.one_point_log_ratio(3.0)
    with pytest.raises(ValueError, match="grid"):
        ch09.grid_stationary_law(lambda x, y: 0 * x[:, 0], [0.0, 0.5, 2.0], 1.0)
    with pytest.raises(ValueError, match="eta"):
        ch09.grid_stationary_law(lambda x, y: 0 * x[:, 0], [0.0, 1.0, 2.0], -1.0)
    with pytest.raises(ValueError, match="log_ratio"):
        ch09.grid_stationary_law(lambda x, y: np.zeros(2), [0.0, 1.0, 2.0], 1.0)


def test_seed_sweep_contains_models_a_and_b():
    # seeds 2 and 1 of the sweep are models A and B: the same fields, no retraining
    assert ch09.seed_model(2) is ch09.chapter_models()["model A"]
    assert ch09.seed_model(1) is ch09.chapter_models()["model B"]
    outcomes = {o.seed: o for o in ch09.measure_seed_sweep((1, 2))}
    np.testing.assert_allclose(outcomes[1].spurious,
                               ch09.measure_spurious_attractors().spurious)
    assert not outcomes[2].has_spurious and outcomes[2].trapped == 0.0


def test_energy_test_thinning_and_sizes():
    t = ch09.measure_energy_test_2d()
    n_states = S2["n_steps"] - S2["burn_in"]
    assert t.n_x == t.n_y == S2["n_chains"] * (n_states // ch09.ED_THIN)
    assert ch09.measure_energy_test_2d() is t
