"""Chapter 9, sampling with approximate Metropolis-Hastings.

The chapter's objects (densities, trained models, chains) are built here, with the
chapter's seeds and settings, and cached within the process: the notebook and
``python -m raetut verify`` run the same functions and share one run of each.
"""

import dataclasses
import functools

import numpy as np
from scipy import linalg

from .._validation import (
    as_chains,
    as_finite_array,
    as_points,
    call_checked,
    check_callable,
    positive_scalar,
)
from ..densities import GaussianMixture, check_mixture
from ..diagnostics import (
    effective_sample_size,
    energy_permutation_test,
    indicator_effective_sample_size,
    ks_distance,
    ks_tolerance,
    mixture_cdf_1d,
    mode_effective_sample_size,
    split_rhat,
)
from ..fields import (
    closed_loop_log_ratio,
    field_curl_2d,
    fixed_points_1d,
    implied_cdf_1d,
    implied_log_density_1d,
    triangle_curl_flux,
)
from ..models import Autoencoder
from ..optimal import dae_optimum
from ..sampling import exact_log_ratio, line_integral_log_ratio, mala, metropolis_hastings
from ..training import fit
from . import record, register

__all__ = [
    "SIGMA",
    "RHAT_MAX",
    "KS_BETA",
    "CHAIN_1D",
    "CHAIN_2D",
    "BIAS_SIGMAS",
    "chapter_density_1d",
    "chapter_density_2d",
    "chapter_models",
    "chains_1d",
    "chains_2d",
    "bias_chains",
    "starts_1d",
    "starts_2d",
    "ChainFit",
    "measure_chain_fit",
    "measure_mode_masses",
    "measure_line_integral_exact",
    "measure_closed_loops",
    "measure_spurious_attractors",
    "check_line_integral_exact",
    "check_exact_denoiser_chain_samples_p_sigma",
    "check_exact_mh_samples_p",
    "check_trained_chain_samples_q",
    "check_trained_mala_samples_q",
    "trained_cdf_1d",
    "smoothing_distance",
    "triangles_2d",
    "chapter_loops",
    "in_region",
    "SAMPLERS",
    "check_exact_denoiser_chain_2d_mode_masses",
    "check_exact_mh_2d_mode_masses",
    "check_smoothing_bias",
    "check_closed_loop_zero",
    "check_closed_loop_stokes",
    "check_far_chains_of_exact_denoiser_reach_data",
    "check_far_chains_of_model_a_reach_data",
    "check_model_b_spurious_attractor_traps",
    "ROTATION",
    "CURL_FIELD",
    "GRADIENT_FIELD",
    "CURL_BIAS_SLOPE",
    "CURL_ETAS",
    "CURL_FIT_ETAS",
    "CURL_CONTROL_ETAS",
    "CURL_LARGE_ETA",
    "CURL_CHAINS",
    "linear_field_reconstruction",
    "diffusion_invariant_energy",
    "EnergyRun",
    "energy_run",
    "measure_energy_run",
    "CurlBias",
    "measure_curl_bias",
    "check_curl_mh_small_step_limit",
    "ONE_POINT_GRID",
    "ONE_POINT_ETAS",
    "one_point_log_ratio",
    "grid_stationary_law",
    "OnePointBias",
    "grid_probabilities",
    "measure_one_point_bias",
    "check_one_point_rule_bias",
    "ED_BETA",
    "ED_PERMUTATIONS",
    "ED_THIN",
    "thinned_2d",
    "measure_energy_test_2d",
    "check_exact_denoiser_chain_2d_energy",
    "SWEEP_SEEDS",
    "seed_model",
    "SeedOutcome",
    "measure_seed_sweep",
    "check_seed_sweep_spurious_attractors",
]

SIGMA = 0.3

# Split-R-hat accepted: below 1.01 (Vehtari et al., 2021). For converged chains
# R^2 ≈ 1 + 2m / ESS (m chains, each split in two), so R - 1 ≈ m / ESS: the chapter's
# chains are long enough for m / ESS ≈ 0.003 (1-D) and ≈ 0.005 (2-D mode indicators),
# with sampling noise of the same order, while chains that have not forgotten their
# overdispersed starts (a frozen chain, a crawling one) give R - 1 of order 1.
RHAT_MAX = 1.01

# Level of the KS tolerance: the probability that chains which sample the target fail.
KS_BETA = 1e-3

# 1-D chains: started evenly across [-5, 5], far wider than p (its mass is within
# [-3, 3]), so that chains which do not move fail; the first `burn_in` steps are dropped.
CHAIN_1D = {"n_chains": 100, "n_steps": 5000, "burn_in": 1000, "step": 1.0, "start": 5.0}
# 2-D chains: started uniformly in the square [-4, 4]^2, which puts them in the modes in
# the wrong proportions and many far outside; fewer, longer chains, for R-hat < 1.01.
CHAIN_2D = {"n_chains": 20, "n_steps": 14000, "burn_in": 1000, "step": 1.0, "start": 4.0}
BIAS_SIGMAS = (0.1, 0.3, 0.6, 1.2)
MALA_STEP_1D, MALA_STEP_2D, MALA_ADAPT = 0.6, 0.4, 100

_SEEDS = {
    "models": 2, "model B": 1, "MH, trained r": 10, "MH, r*_sigma": 11, "MH, exact log p": 12,
    "MALA, trained r": 13, "starts 2-D": 20, "bias": 30, "pairs": 40, "triangles": 41,
    "far": 50, "trap": 51, "curl": 60,
}
SAMPLERS = ("MH, trained r", "MH, r*_sigma", "MH, exact log p", "MALA, trained r")


def chapter_density_1d():
    """The chapter's 1-D data density: weights (0.35, 0.65), means (-1.5, 1), sd (0.4, 0.6)."""
    return GaussianMixture([0.35, 0.65], [-1.5, 1.0], [0.4**2, 0.6**2])


def chapter_density_2d():
    """The chapter's 2-D data density: three correlated Gaussians, weights (0.5, 0.3, 0.2)."""
    return GaussianMixture(
        [0.5, 0.3, 0.2],
        [[-1.5, 0.0], [1.2, 1.0], [1.0, -1.2]],
        [[[0.3, 0.0], [0.0, 0.15]], [[0.15, 0.08], [0.08, 0.15]], [[0.1, -0.05], [-0.05, 0.2]]],
    )


@dataclasses.dataclass(frozen=True)
class TrainedModel:
    """A trained auto-encoder and its training sample; ``r(X)`` reconstructs."""

    model: object
    params: object
    X_train: np.ndarray
    loss_history: np.ndarray
    n_iter: int

    def r(self, X):
        return self.model.reconstruct(self.params, X)


@functools.lru_cache(maxsize=1)
def chapter_models():
    """The chapter's three trained auto-encoders (32 tanh units, DAE criterion, sigma 0.3).

    ``"model A"`` (1-D, 500 samples, 300 L-BFGS iterations, seed 2), ``"2-D"`` (untied,
    1000 samples, 250 iterations, the same generator continued) and ``"model B"`` (as model
    A with seed 1: another training sample and another initialisation).

    Returns
    -------
    dict of TrainedModel
    """
    density, density_2d = chapter_density_1d(), chapter_density_2d()
    out = {}
    train_rng = np.random.default_rng(_SEEDS["models"])
    for name, dens, n, n_iter, extra in [("model A", density, 500, 300, {"n_noise": 2}),
                                         ("2-D", density_2d, 1000, 250, {})]:
        X = dens.sample(n, train_rng)
        model = Autoencoder(dens.dim, 32, activation="tanh")
        result = fit(model, X, criterion="dae", sigma=SIGMA, rng=train_rng, n_iter=n_iter,
                     progress=False, **extra)
        out[name] = TrainedModel(model, result.params, X, np.asarray(result.loss_history),
                                 result.n_iter)
    other_rng = np.random.default_rng(_SEEDS["model B"])
    X = density.sample(500, other_rng)
    model = Autoencoder(1, 32, activation="tanh")
    result = fit(model, X, criterion="dae", sigma=SIGMA, rng=other_rng, n_iter=300, n_noise=2,
                 progress=False)
    out["model B"] = TrainedModel(model, result.params, X, np.asarray(result.loss_history),
                                  result.n_iter)
    return out


def starts_1d(n_chains=CHAIN_1D["n_chains"]):
    """Overdispersed 1-D starts: evenly spaced on [-5, 5], shape (n_chains, 1)."""
    return np.linspace(-CHAIN_1D["start"], CHAIN_1D["start"], n_chains)[:, None]


def starts_2d(n_chains=CHAIN_2D["n_chains"]):
    """Overdispersed 2-D starts: uniform on [-4, 4]^2 (seeded), shape (n_chains, 2)."""
    rng = np.random.default_rng(_SEEDS["starts 2-D"])
    return rng.uniform(-CHAIN_2D["start"], CHAIN_2D["start"], (n_chains, 2))


def _log_ratios(dim):
    density = chapter_density_1d() if dim == 1 else chapter_density_2d()
    trained = chapter_models()["model A" if dim == 1 else "2-D"]
    return {
        "MH, trained r": line_integral_log_ratio(trained.r, SIGMA),
        "MH, r*_sigma": line_integral_log_ratio(dae_optimum(density, SIGMA), SIGMA),
        "MH, exact log p": exact_log_ratio(density.log_prob),
    }, trained


def _run(name, dim, settings, x0):
    if name not in SAMPLERS:
        raise ValueError(f"sampler must be one of {SAMPLERS}; got {name!r}")
    log_ratios, trained = _log_ratios(dim)
    rng = np.random.default_rng(_SEEDS[name] + 100 * (dim - 1))
    n_steps = settings["n_steps"]
    if name == "MALA, trained r":
        def score(X):
            return (trained.r(X) - X) / SIGMA**2

        step = MALA_STEP_1D if dim == 1 else MALA_STEP_2D
        return mala(score, x0, n_steps, step, rng, log_ratio=log_ratios["MH, trained r"],
                    adapt_steps=MALA_ADAPT)
    return metropolis_hastings(log_ratios[name], x0, n_steps, settings["step"], rng)


@functools.lru_cache(maxsize=None)
def chains_1d(name):
    """The chapter's 1-D run of one sampler (``SAMPLERS``), from :func:`starts_1d`.

    ``CHAIN_1D`` settings: 100 chains, 5000 steps of random-walk step 1 (MALA: step 0.6
    tuned during 100 unrecorded steps). The ``MCMCResult`` holds every step; drop the
    first ``CHAIN_1D["burn_in"]``.
    """
    return _run(name, 1, CHAIN_1D, starts_1d())


@functools.lru_cache(maxsize=None)
def chains_2d(name):
    """The chapter's 2-D run of one sampler (``SAMPLERS``), from :func:`starts_2d`."""
    return _run(name, 2, CHAIN_2D, starts_2d())


@functools.lru_cache(maxsize=None)
def bias_chains(sigma):
    """Chains of ``r*_sigma`` on the 1-D density at noise level ``sigma`` (after burn-in).

    ``CHAIN_1D`` settings, with the proposal step widened to ``sqrt(1 + sigma^2)``.
    """
    sigma = float(sigma)
    density = chapter_density_1d()
    rng = np.random.default_rng(_SEEDS["bias"] + int(round(100 * sigma)))
    res = metropolis_hastings(line_integral_log_ratio(dae_optimum(density, sigma), sigma),
                              starts_1d(), CHAIN_1D["n_steps"],
                              CHAIN_1D["step"] * np.sqrt(1 + sigma**2), rng)
    return res.samples[CHAIN_1D["burn_in"]:]


# ----------------------------------------------------------------------------------------
# Sample quality of chains


def _indicator_chains(chains, levels=(0.1, 0.25, 0.5, 0.75, 0.9)):
    thresholds = np.quantile(chains.reshape(-1), levels)
    return (chains[:, :, 0, None] <= thresholds).astype(float)


@dataclasses.dataclass(frozen=True)
class ChainFit:
    """How well 1-D chains match a target CDF.

    ``ks``: KS distance of the pooled chains to the target; ``ess``: smallest indicator
    ESS; ``tolerance``: :func:`raetut.diagnostics.ks_tolerance` at ``ess`` and ``KS_BETA``;
    ``rhat``:
    largest split-R-hat of the chains and of their indicators; ``n_draws``.
    """

    ks: float
    ess: float
    tolerance: float
    rhat: float
    n_draws: int

    @property
    def passed(self):
        return bool(self.ks <= self.tolerance and self.rhat < RHAT_MAX)


def measure_chain_fit(chains, cdf):
    """KS distance, ESS-based tolerance and split-R-hat of 1-D chains against a CDF.

    Parameters
    ----------
    chains : array_like, shape (n_steps, n_chains, 1)
        After burn-in.
    cdf : callable
        Target CDF, ``(m,) -> (m,)``.

    Returns
    -------
    ChainFit
    """
    chains = as_chains(chains, dim=1)
    check_callable(cdf, "cdf")
    ess = float(np.min(indicator_effective_sample_size(chains)))
    rhat = float(max(np.max(split_rhat(chains)), np.max(split_rhat(_indicator_chains(chains)))))
    return ChainFit(ks_distance(chains.reshape(-1, 1), cdf), ess, ks_tolerance(ess, KS_BETA),
                    rhat, int(chains.shape[0] * chains.shape[1]))


def _fit_record(claim, fit_):
    return record(
        claim, fit_.ks, 0.0, fit_.tolerance,
        f"split-R-hat {fit_.rhat:.4f} (< {RHAT_MAX:g} required), indicator ESS {fit_.ess:.0f} "
        f"of {fit_.n_draws} draws, beta={KS_BETA:g}",
        passed=fit_.passed,
    )


def _recorded(run, burn_in):
    return run.samples[burn_in:]


@register(chapter=9, kind="statistical")
def check_exact_denoiser_chain_samples_p_sigma(measurement=None):
    """MH driven by ``r*_sigma`` samples ``p_sigma`` (KS, split-R-hat; sigma = 0.3).

    Measured: the KS distance of the pooled chains (100 chains started evenly on
    ``[-5, 5]``, 4000 steps after 1000 of burn-in) to ``p_sigma``. Tolerance: the
    ``beta = 1e-3`` critical value of the Kolmogorov distribution at the smallest
    indicator ESS (:func:`raetut.diagnostics.ks_tolerance`); the chains must also have
    split-R-hat below
    ``RHAT_MAX``. Null: chains that sample ``p_sigma``; the KS tolerance rejects
    them with probability about ``beta`` (20 replicate runs with other seeds: KS
    0.0015-0.0067 against tolerances 0.011, none failed; split-R-hat at most 1.0042).
    Power against the nearest wrong target, ``p`` (``KS(p, p_sigma) = 0.019``, nearly
    twice the tolerance at ESS ≈ 30000): exact MH chains of ``p``, run in the same way
    with 20 seeds, failed 20 of 20 times (KS to ``p_sigma`` 0.019-0.023). Frozen and
    crawling (step 0.01) chains keep the distribution of their starts; their indicator ESS
    is so small that the KS tolerance alone would pass them (KS 0.26 and 0.23 against
    tolerances 0.28 and 0.27), and split-R-hat (inf and 11) is what fails them.

    Limits: at the chapter's effective sample size the KS tolerance (about 0.011)
    separates ``p_sigma`` from ``p`` but not from ``p_sigma'`` with ``sigma'`` between
    about 0.2 and 0.35; the check resolves ``sigma`` only to about a third.
    """
    if measurement is None:
        measurement = measure_chain_fit(
            _recorded(chains_1d("MH, r*_sigma"), CHAIN_1D["burn_in"]),
            mixture_cdf_1d(chapter_density_1d().smoothed(SIGMA)))
    return _fit_record("MH with r*_sigma samples p_sigma (KS)", measurement)


@register(chapter=9, kind="statistical")
def check_exact_mh_samples_p(measurement=None):
    """Exact Metropolis–Hastings on ``log p`` samples ``p`` (KS, split-R-hat): the baseline.

    Same chains, tolerance and R-hat requirement as
    :func:`check_exact_denoiser_chain_samples_p_sigma`. Null: chains of ``p``, rejected with
    probability about ``beta = 1e-3`` (20 replicate runs: KS 0.0016-0.0063 against
    tolerances 0.012, none failed; split-R-hat at most 1.0052). Power against the nearest
    wrong target ``p_sigma`` (sigma = 0.3, ``KS(p, p_sigma) = 0.019``): chains of
    ``r*_sigma`` with 20 seeds failed 20 of 20 times (KS to ``p`` 0.019-0.024).
    """
    if measurement is None:
        measurement = measure_chain_fit(
            _recorded(chains_1d("MH, exact log p"), CHAIN_1D["burn_in"]),
            mixture_cdf_1d(chapter_density_1d()))
    return _fit_record("MH with exact log p samples p (KS)", measurement)


def trained_cdf_1d(r=None):
    """CDF of the density ``q_r`` implied by model A's field on the basin holding its data.

    The basin runs between the repellers of ``r - x`` that enclose the training data
    (the whole of [-15, 15] for model A).

    Returns
    -------
    cdf : callable
    basin : tuple of float
    """
    trained = chapter_models()["model A"]
    r = trained.r if r is None else r
    _, repellers = fixed_points_1d(r, -15.0, 15.0)
    data_lo, data_hi = np.quantile(trained.X_train, [0.0, 1.0])
    lower = float(repellers[repellers < data_lo].max(initial=-15.0))
    upper = float(repellers[repellers > data_hi].min(initial=15.0))
    return implied_cdf_1d(r, SIGMA, lower, upper), (lower, upper)


@register(chapter=9, kind="statistical")
def check_trained_chain_samples_q(measurement=None):
    """MH with the line-integral log-ratio of model A samples the density ``q_r`` of its field.

    In 1-D every field is a gradient, so the chain targets ``q_r`` (point 2 of the
    proposition). Same chains, tolerance and R-hat requirement as
    :func:`check_exact_denoiser_chain_samples_p_sigma`. The nearest wrong targets,
    ``p_sigma`` and ``p``, are 0.18 away in KS distance: far beyond the tolerance.
    """
    if measurement is None:
        measurement = measure_chain_fit(
            _recorded(chains_1d("MH, trained r"), CHAIN_1D["burn_in"]), trained_cdf_1d()[0])
    return _fit_record("MH with trained r samples q_r (KS)", measurement)


@register(chapter=9, kind="statistical")
def check_trained_mala_samples_q(measurement=None):
    """MALA driven by model A's score, corrected by its line-integral log-ratio, samples
    ``q_r`` (as :func:`check_trained_chain_samples_q`; step tuned during 100 unrecorded
    steps)."""
    if measurement is None:
        measurement = measure_chain_fit(
            _recorded(chains_1d("MALA, trained r"), CHAIN_1D["burn_in"]), trained_cdf_1d()[0])
    return _fit_record("MALA with trained r samples q_r (KS)", measurement)


def _sup_cdf_distance(cdf_a, cdf_b, lower, upper, n_grid=20001):
    x = np.linspace(lower, upper, n_grid)
    return float(np.max(np.abs(cdf_a(x) - cdf_b(x))))


def smoothing_distance(density, sigma):
    """``sup |F_{p_sigma} - F_p|`` for a 1-D mixture, on a grid 12 sd beyond the means."""
    cdf_p = mixture_cdf_1d(density)
    cdf_smooth = mixture_cdf_1d(density.smoothed(sigma))
    sd = np.sqrt(np.max(density.covariances[:, 0, 0]) + sigma**2)
    lower = float(np.min(density.means)) - 12.0 * sd
    upper = float(np.max(density.means)) + 12.0 * sd
    return _sup_cdf_distance(cdf_p, cdf_smooth, lower, upper)


@register(chapter=9, kind="statistical")
def check_smoothing_bias(chains=None, sigma=BIAS_SIGMAS[-1]):
    """A chain of ``r*_sigma`` misses ``p`` by ``KS(p_sigma, p)`` (sigma = 1.2).

    Measured: the KS distance of the pooled chains (:func:`bias_chains`) to ``p``.
    Expected: ``sup |F_{p_sigma} - F_p|``. By the triangle inequality the two differ by at
    most the chains' KS distance to ``p_sigma``, within :func:`raetut.diagnostics.ks_tolerance`
    of 0 at the
    chains' indicator ESS (level ``beta = 1e-3``) when they sample ``p_sigma``: that is
    the tolerance; split-R-hat below ``RHAT_MAX`` is required too. The distance, 0.12,
    is about ten tolerances: chains of ``p`` (KS to ``p`` near 0) fail.
    """
    density = chapter_density_1d()
    sigma = positive_scalar(sigma, "sigma")
    chains = bias_chains(sigma) if chains is None else as_chains(chains, dim=1)
    fit_p = measure_chain_fit(chains, mixture_cdf_1d(density))
    expected = smoothing_distance(density, sigma)
    return record(
        f"KS(chain, p) = KS(p_sigma, p) at sigma={sigma:g}",
        fit_p.ks, expected, fit_p.tolerance,
        f"split-R-hat {fit_p.rhat:.4f} "
        f"(< {RHAT_MAX:g} required), indicator ESS {fit_p.ess:.0f}",
        passed=bool(abs(fit_p.ks - expected) <= fit_p.tolerance and fit_p.rhat < RHAT_MAX),
    )


# 2-D mode masses


@dataclasses.dataclass(frozen=True)
class ModeMasses:
    """Mode fractions of 2-D chains, their mode-indicator ESS and split-R-hat."""

    fractions: np.ndarray
    weights: np.ndarray
    ess: np.ndarray
    rhat: float

    @property
    def z(self):
        w = self.weights
        return float(np.max(np.abs(self.fractions - w) / np.sqrt(w * (1 - w) / self.ess)))


MODE_N_SE = 4.0


def measure_mode_masses(chains, density):
    """Fractions of the pooled states in each component of ``density`` (largest
    responsibility), the ESS of the mode indicators and their largest split-R-hat.

    Parameters
    ----------
    chains : array_like, shape (n_steps, n_chains, d)
        After burn-in.
    density : GaussianMixture

    Returns
    -------
    ModeMasses
    """
    density = check_mixture(density)
    chains = as_chains(chains, dim=density.dim)
    n, m, d = chains.shape
    labels = np.argmax(density.component_responsibilities(chains.reshape(-1, d)), axis=1)
    indicators = np.eye(density.n_components)[labels].reshape(n, m, density.n_components)
    fractions = indicators.reshape(-1, density.n_components).mean(axis=0)
    present = indicators.reshape(-1, density.n_components).std(axis=0) > 0
    ess = np.full(density.n_components, 1.0)
    if np.any(present):
        ess[present] = mode_effective_sample_size(chains, density)[present]
    return ModeMasses(fractions, density.weights.copy(), ess,
                      float(np.max(split_rhat(indicators))))


def _mode_record(claim, masses):
    w = masses.weights
    tolerance = MODE_N_SE * float(np.max(np.sqrt(w * (1 - w) / masses.ess)))
    deviation = float(np.max(np.abs(masses.fractions - w)))
    return record(
        claim, deviation, 0.0, tolerance,
        f"fractions {np.round(masses.fractions, 3).tolist()} vs weights "
        f"{np.round(w, 3).tolist()}, mode ESS {np.round(masses.ess).astype(int).tolist()}, "
        f"split-R-hat {masses.rhat:.4f} (< {RHAT_MAX:g} required)",
        passed=bool(deviation <= tolerance and masses.rhat < RHAT_MAX),
    )


@register(chapter=9, kind="statistical")
def check_exact_denoiser_chain_2d_mode_masses(measurement=None):
    """2-D: MH driven by ``r*_sigma`` puts ``p_sigma``'s weights in its modes.

    20 chains started uniformly on ``[-4, 4]^2``, 13000 steps after 1000 of burn-in.
    Measured: ``max_k |f_k - w_k|``; tolerance: 4 standard errors
    ``sqrt(w_k (1 - w_k) / ESS_k)`` of the largest one, ``ESS_k`` the ESS of the mode
    indicators; split-R-hat of the indicators below ``RHAT_MAX``. Null: a normal
    approximation, so chains that sample the target fail with probability about
    ``6e-5`` per mode. The check tests that the chains move between modes in the right
    proportions; it cannot tell ``p`` from ``p_sigma`` (their mode masses agree within
    0.002): the 1-D KS checks carry that power. Frozen chains (R-hat inf), crawling chains
    (step 0.01) and the trained model's chain (mode masses 29 standard errors off) fail.
    """
    if measurement is None:
        measurement = measure_mode_masses(
            _recorded(chains_2d("MH, r*_sigma"), CHAIN_2D["burn_in"]),
            chapter_density_2d().smoothed(SIGMA))
    return _mode_record("2-D: MH with r*_sigma, mode masses of p_sigma", measurement)


@register(chapter=9, kind="statistical")
def check_exact_mh_2d_mode_masses(measurement=None):
    """2-D: exact MH puts ``p``'s weights in its modes (as
    :func:`check_exact_denoiser_chain_2d_mode_masses`)."""
    if measurement is None:
        measurement = measure_mode_masses(
            _recorded(chains_2d("MH, exact log p"), CHAIN_2D["burn_in"]), chapter_density_2d())
    return _mode_record("2-D: exact MH, mode masses of p", measurement)


# ----------------------------------------------------------------------------------------
# Line integrals and loops

LINE_INTEGRAL_TOLERANCE = 1e-6
LINE_INTEGRAL_NODES = 64


@dataclasses.dataclass(frozen=True)
class LineIntegralError:
    """Largest error of line-integral log-ratios against ``log p_sigma`` differences."""

    error: float
    typical: float
    n_pairs: int
    n_nodes: int


def measure_line_integral_exact(r=None, sigma=SIGMA, n_nodes=LINE_INTEGRAL_NODES, n_pairs=400):
    """Line-integral log-ratios of ``r`` (default ``r*_sigma``) against ``log p_sigma``.

    Pairs ``x ~ p_sigma``, ``x_new = x + N(0, 1)`` (seeded) on the chapter's 1-D density.

    Parameters
    ----------
    r : callable, optional
        Reconstruction; default the optimal denoiser at ``sigma``.
    sigma : float
    n_nodes : int
    n_pairs : int

    Returns
    -------
    LineIntegralError
    """
    density = chapter_density_1d()
    sigma = positive_scalar(sigma, "sigma")
    smooth = density.smoothed(sigma)
    r = dae_optimum(density, sigma) if r is None else r
    rng = np.random.default_rng(_SEEDS["pairs"])
    x = smooth.sample(n_pairs, rng)
    x_new = x + rng.standard_normal(x.shape)
    exact = smooth.log_prob(x_new) - smooth.log_prob(x)
    log_ratio = line_integral_log_ratio(r, sigma, n_nodes=n_nodes)
    return LineIntegralError(float(np.max(np.abs(log_ratio(x, x_new) - exact))),
                             float(np.median(np.abs(exact))), n_pairs, n_nodes)


@register(chapter=9, kind="numerical")
def check_line_integral_exact(measurement=None):
    """Line-integral log-ratios of the optimal DAE are exact log-ratios of ``p_sigma``.

    With ``r = r*_sigma``, ``(r(x) - x) / sigma^2 = grad log p_sigma`` (Tweedie), so the line
    integral is ``log p_sigma(x_new) - log p_sigma(x)`` by the fundamental theorem of
    calculus; Gauss–Legendre quadrature converges to it geometrically in the number of
    nodes. Measured: the largest error over 400 pairs, 64 nodes. Tolerance 1e-6: an error
    in a log-ratio changes an acceptance probability by the factor ``exp(error)``, so
    1e-6 is far below what any chain of this book could detect; with 64 nodes the
    quadrature error on segments of a few ``sigma`` is far smaller, while the optimum of
    a wrong noise level (sigma 0.6 in place of 0.3) is off by order 1.
    """
    m = measure_line_integral_exact() if measurement is None else measurement
    return record(
        "line integral of r*_sigma = log p_sigma ratio", m.error, 0.0, LINE_INTEGRAL_TOLERANCE,
        f"max error over {m.n_pairs} pairs (median |log-ratio| {m.typical:.2f}), "
        f"{m.n_nodes} Gauss-Legendre nodes, sigma={SIGMA:g}",
    )


LOOP_NODES = 128
LOOP_TOLERANCE = 1e-6
STOKES_RTOL = 1e-6
STOKES_MIN_MEDIAN = 0.05


@dataclasses.dataclass(frozen=True)
class ClosedLoops:
    """Loop sums of line-integral log-ratios around triangles, and the curl fluxes / sigma^2."""

    loops: np.ndarray
    flux: np.ndarray

    @property
    def stokes_gap(self):
        return float(np.max(np.abs(self.loops - self.flux) / np.maximum(1.0, np.abs(self.loops))))

    @property
    def median(self):
        return float(np.median(np.abs(self.loops)))


def triangles_2d(n=100):
    """The chapter's triangles: vertices A, B, C drawn from the 2-D density (seeded)."""
    rng = np.random.default_rng(_SEEDS["triangles"])
    density_2d = chapter_density_2d()
    return tuple(density_2d.sample(n, rng) for _ in range(3))


def measure_closed_loops(r, jacobian, sigma=SIGMA, n_nodes=LOOP_NODES, flux_nodes=64):
    """Loop sums of ``line_integral_log_ratio(r, sigma)`` around the chapter's triangles,
    and the flux of the curl of ``r`` (from its Jacobian) through each, over ``sigma^2``.

    Parameters
    ----------
    r : callable
        ``(n, 2) -> (n, 2)``.
    jacobian : callable
        ``(n, 2) -> (n, 2, 2)``, the Jacobian of ``r``.
    sigma : float
    n_nodes, flux_nodes : int

    Returns
    -------
    ClosedLoops
    """
    sigma = positive_scalar(sigma, "sigma")
    A, B, C = triangles_2d()
    loops = closed_loop_log_ratio(line_integral_log_ratio(r, sigma, n_nodes=n_nodes), [A, B, C])
    flux = triangle_curl_flux(field_curl_2d(jacobian), A, B, C, n_nodes=flux_nodes) / sigma**2
    return ClosedLoops(np.asarray(loops), np.asarray(flux))


def _optimum_jacobian_2d(density, sigma):
    # the Jacobian of r*_sigma = x + sigma^2 grad log p_sigma: I + sigma^2 Hessian
    smooth = density.smoothed(sigma)

    def jacobian(X):
        return np.eye(2) + sigma**2 * smooth.hessian_log_prob(X)

    return jacobian


@functools.lru_cache(maxsize=None)
def chapter_loops(which):
    """:func:`measure_closed_loops` of ``"r*_sigma"`` or of the ``"trained"`` 2-D model."""
    if which == "r*_sigma":
        density_2d = chapter_density_2d()
        return measure_closed_loops(dae_optimum(density_2d, SIGMA),
                                    _optimum_jacobian_2d(density_2d, SIGMA))
    trained = chapter_models()["2-D"]
    return measure_closed_loops(trained.r, lambda X: trained.model.jacobian(trained.params, X))


@register(chapter=9, kind="numerical")
def check_closed_loop_zero(measurement=None):
    """Log-ratios of ``r*_sigma`` add up to 0 around closed triangles (a gradient field).

    Measured: the largest ``|loop sum|`` over the chapter's 100 triangles, 128 quadrature
    nodes per side. Tolerance 1e-6, the quadrature accuracy of
    :func:`check_line_integral_exact`. A rotational field (or the untied trained model,
    median loop 0.2 nats) fails.
    """
    m = chapter_loops("r*_sigma") if measurement is None else measurement
    return record("loop log-ratio of r*_sigma = 0", float(np.max(np.abs(m.loops))), 0.0,
                  LOOP_TOLERANCE, f"max over {m.loops.size} triangles, {LOOP_NODES} nodes")


@register(chapter=9, kind="numerical")
def check_closed_loop_stokes(measurement=None):
    """Around a triangle, the trained model's log-ratios add up to its curl flux over ``sigma^2``.

    For ``log_ratio = line_integral_log_ratio(r, sigma)`` the loop sum is
    ``(1 / sigma^2) ∮ (r - x) · dx``, which by Stokes' theorem is the integral of
    ``curl r`` over the triangle divided by ``sigma^2``, computed independently from the
    model's analytic Jacobian (:func:`raetut.fields.triangle_curl_flux`). Measured:
    ``max |loop - flux / sigma^2| / max(1, |loop|)``, expected 0, tolerance 1e-6
    (quadrature accuracy of both sides). The check also requires the median ``|loop|``
    to be at least 0.05 nats: the log-ratio then depends on the path by amounts that
    change acceptance probabilities by several per cent (no single ``log q`` exists). A
    gradient field (``r*_sigma``) fails that requirement; a wrong sigma in the flux fails
    the equality.
    """
    m = chapter_loops("trained") if measurement is None else measurement
    gap, median = m.stokes_gap, m.median
    return record(
        "loop log-ratio = curl flux / sigma^2 (Stokes)", gap, 0.0, STOKES_RTOL,
        f"median |loop| = {median:.3g} nats (>= {STOKES_MIN_MEDIAN:g} required), "
        f"{m.loops.size} triangles",
        passed=bool(gap <= STOKES_RTOL and median >= STOKES_MIN_MEDIAN),
    )


# ----------------------------------------------------------------------------------------
# Spurious attractors

FAR_STARTS = np.linspace(-14, 14, 57)[:, None]
FAR_STEPS, FAR_STEP, TRAP_CHAINS = 400, 0.5, 50
# A trapped chain must still move: its states spread over the attractor's basin. A chain
# whose proposals are all refused has spread 0; a random walk of step 1e-3 over the run
# spreads about 1e-3 sqrt(400) = 0.02. The floor is a tenth of the proposal step.
TRAP_MIN_SPREAD = FAR_STEP / 10


@dataclasses.dataclass(frozen=True)
class SpuriousAttractors:
    """Fixed points of models A and B on [-15, 15], model B's spurious attractors,
    far-started runs and the run started at model B's highest spurious attractor."""

    far: np.ndarray
    data_region: tuple
    log_q: dict
    fixed: dict
    spurious: np.ndarray
    height: np.ndarray
    exit_barrier: float
    far_runs: dict
    trap_start: float
    trap_run: object


def in_region(samples, region):
    """Boolean mask of the 1-D states (..., 1) inside the open interval ``region``."""
    return (samples[..., 0] > region[0]) & (samples[..., 0] < region[1])


@functools.lru_cache(maxsize=1)
def measure_spurious_attractors():
    """Fixed points, implied log-densities and far-started chains of models A and B.

    Far starts: 57 points evenly on [-14, 14]; 400 steps of 0.5. The data region is
    where ``p >= 1e-4 max p``; an attractor is spurious where ``p < 1e-12 max p``. The
    trap run: 50 chains of model B started at its spurious attractor of largest
    ``log q_B``, 400 steps of 0.5.

    Returns
    -------
    SpuriousAttractors
    """
    density = chapter_density_1d()
    models = chapter_models()
    r_a, r_b = models["model A"].r, models["model B"].r
    far = np.linspace(-15, 15, 3001)
    p_far = density.prob(far[:, None])
    data_region = tuple(float(v) for v in far[p_far >= 1e-4 * p_far.max()][[0, -1]])
    fields = {"model A": r_a, "model B": r_b}
    log_q = {name: implied_log_density_1d(r, SIGMA, far) for name, r in fields.items()}
    fixed = {name: fixed_points_1d(r, -15.0, 15.0) for name, r in fields.items()}
    att_b, rep_b = fixed["model B"]
    is_spurious = density.prob(att_b[:, None]) < 1e-12 * p_far.max()
    spurious, data_modes = att_b[is_spurious], att_b[~is_spurious]
    height = (np.interp(spurious, far, log_q["model B"])
              - np.max(np.interp(data_modes, far, log_q["model B"])))
    outer = [rep_b[rep_b < data_modes.min()].max(), rep_b[rep_b > data_modes.max()].min()]
    exit_barrier = float(np.max(np.interp(data_modes, far, log_q["model B"]))
                         - np.max(np.interp(outer, far, log_q["model B"])))
    rng = np.random.default_rng(_SEEDS["far"])
    log_ratios = {"r*_sigma": line_integral_log_ratio(dae_optimum(density, SIGMA), SIGMA),
                  "model A": line_integral_log_ratio(r_a, SIGMA),
                  "model B": line_integral_log_ratio(r_b, SIGMA)}
    far_runs = {name: metropolis_hastings(lr, FAR_STARTS, FAR_STEPS, FAR_STEP, rng)
                for name, lr in log_ratios.items()}
    trap_start = float(spurious[np.argmax(height)]) if spurious.size else np.nan
    trap_run = None
    if spurious.size:
        trap_run = metropolis_hastings(log_ratios["model B"], np.full((TRAP_CHAINS, 1), trap_start),
                                       FAR_STEPS, FAR_STEP, np.random.default_rng(_SEEDS["trap"]))
    return SpuriousAttractors(far, data_region, log_q, fixed, spurious, height, exit_barrier,
                              far_runs, trap_start, trap_run)


# A far-start run must have started mostly outside the data region: chains that began in
# the data cannot show that chains find it.
MIN_FAR_START_FRACTION = 0.5


def _reach_record(claim, samples, region):
    samples = as_chains(samples, dim=1)
    inside = float(np.mean(in_region(samples[-1], region)))
    started_outside = float(np.mean(~in_region(samples[0], region)))
    return record(claim, inside, 1.0, 0.0,
                  f"data region ({region[0]:.3g}, {region[1]:.3g}); {samples.shape[1]} chains "
                  f"started on [{samples[0].min():.3g}, {samples[0].max():.3g}], "
                  f"{started_outside:.0%} outside the data region "
                  f"(>= {MIN_FAR_START_FRACTION:.0%} required), after {samples.shape[0]} steps",
                  require=started_outside >= MIN_FAR_START_FRACTION)


@register(chapter=9, kind="heuristic")
def check_far_chains_of_exact_denoiser_reach_data(samples=None):
    """Every chain of ``r*_sigma`` started far from the data (on [-14, 14]) ends in the data
    region after 400 steps of 0.5.

    Measured: the fraction of chains whose last state is in the data region; expected 1,
    tolerance 0. The field of ``r*_sigma`` points toward the data from everywhere, and
    400 steps of 0.5 drift a chain from 14 to the data many times over; chains that do
    not move (step 1e-3) or a model with spurious attractors (model B) fail. At least half
    of the chains must have started outside the data region (``MIN_FAR_START_FRACTION``),
    so that chains which began in the data cannot pass.
    """
    m = measure_spurious_attractors()
    samples = m.far_runs["r*_sigma"].samples if samples is None else samples
    return _reach_record("far-started chains of r*_sigma reach the data", samples, m.data_region)


@register(chapter=9, kind="heuristic")
def check_far_chains_of_model_a_reach_data(samples=None):
    """Every chain of model A started far from the data ends in the data region (as
    :func:`check_far_chains_of_exact_denoiser_reach_data`); model B's fail."""
    m = measure_spurious_attractors()
    samples = m.far_runs["model A"].samples if samples is None else samples
    return _reach_record("far-started chains of model A reach the data", samples, m.data_region)


@register(chapter=9, kind="heuristic")
def check_model_b_spurious_attractor_traps(samples=None):
    """Chains of model B started at its highest spurious attractor stay in its basin.

    The basin is the interval between the repellers that enclose the attractor
    (:func:`raetut.fields.fixed_points_1d`). Measured: the fraction of the 50 chains that ever
    left it
    in 400 steps; expected 0. Tolerance 0: the implied density has a barrier of many nats
    at the basin's ends (the chapter measures it), so the expected number of crossings in
    the run is far below one. Chains of a sampler that does not feel the attractor
    (exact MH of ``p`` from the same start) leave it and fail. Chains that do not move
    would stay trivially, so the median within-chain standard deviation must reach
    ``TRAP_MIN_SPREAD`` (a tenth of the proposal step); the basin is cut to [-15, 15], the
    interval on which the fixed points are found.
    """
    m = measure_spurious_attractors()
    samples = m.trap_run.samples if samples is None else samples
    samples = as_chains(samples, dim=1)[:, :, 0]
    repellers = m.fixed["model B"][1]
    attractor = float(as_finite_array(m.trap_start, "attractor", ndim=0))
    below, above = repellers[repellers < attractor], repellers[repellers > attractor]
    lower = below.max() if below.size else -np.inf
    upper = above.min() if above.size else np.inf
    # the basin, cut to the interval on which the model's fixed points were found: a chain
    # that runs off towards infinity has not stayed at the attractor
    lower, upper = max(lower, float(m.far[0])), min(upper, float(m.far[-1]))
    left = np.any((samples <= lower) | (samples >= upper), axis=0)
    spread = float(np.median(np.std(samples, axis=0)))
    return record(
        f"model B: chains stay at the spurious attractor x={attractor:.3g} (and move there)",
        float(np.mean(left)), 0.0, 0.0,
        f"basin ({lower:.3g}, {upper:.3g}), {samples.shape[1]} chains x {samples.shape[0]} "
        f"steps; median within-chain sd {spread:.3g} (>= {TRAP_MIN_SPREAD:g} required)",
        require=spread >= TRAP_MIN_SPREAD,
    )



# ----------------------------------------------------------------------------------------
# A field that is not a gradient: what MH targets as the step shrinks

# The score field of the example: s(x) = A x with A = -I + J, J the rotation generator.
# Its curl part J x is divergence-free with respect to N(0, I), so the invariant law of
# dX = s(X) / 2 dt + dW is still N(0, I), where E |x|^2 / 2 = 1.
ROTATION = np.array([[0.0, -1.0], [1.0, 0.0]])
CURL_FIELD = -np.eye(2) + ROTATION
GRADIENT_FIELD = -np.eye(2)
# First-order bias of E |x|^2 / 2 for CURL_FIELD (prop-mh-small-step): 3 / (4 sqrt 2).
CURL_BIAS_SLOPE = 3.0 / (4.0 * np.sqrt(2.0))
CURL_ETAS = (0.2, 0.3, 0.4, 0.7, 1.0, 1.5, 3.0)
CURL_FIT_ETAS = (0.2, 0.3, 0.4)
CURL_CONTROL_ETAS = (0.7, 1.5, 3.0)
CURL_LARGE_ETA = 1.5
# 200 chains per step, started on the annulus 3 <= |x| <= 5 (E |x|^2 / 2 from 4.5 to
# 12.5, against 1 under the target); burn-in 16 / eta^2 steps (at least 200), recorded
# 400 / eta^2 steps (at least 2000). The diffusion relaxes |x|^2 at rate 1 per unit time
# eta^2 per step, so the burn-in is 16 of its relaxation times (about 10 with the
# rejections) and each chain records of the order of 100 to 300 effective draws.
CURL_CHAINS = {"n_chains": 200, "burn": 16.0, "record": 400.0, "min_burn": 200,
               "min_record": 2000, "start": (3.0, 5.0)}
# Split-R-hat required of the energy chains. For converged chains R - 1 ≈ m / ESS, and
# with m = 200 chains of 100-300 effective draws each that is 0.003-0.01; the book's
# 1.01 would demand more than 100 effective draws per chain at every step. Chains that
# keep the memory of their starts (frozen, or not burnt in) give R - 1 of order 1.
CURL_RHAT_MAX = 1.02
# z-score of the tests (two-sided 4 standard errors: 6e-5 each under normality).
CURL_Z = 4.0
# The fit of E |x|^2 / 2 - 1 - c1 eta = a + c2 eta^2 neglects the cubic term c3 eta^3;
# we assume |c3| <= 1 (order-one coefficients, like c1 = 0.53; the measured curve up to
# eta = 3 stays far below 1 + eta + eta^2 + eta^3).
CURL_C3_BOUND = 1.0
CURL_MIN_START_ENERGY = 4.0


def linear_field_reconstruction(A, sigma=SIGMA):
    """The reconstruction ``r(x) = x + sigma^2 A x`` whose score field is ``s(x) = A x``."""
    A = as_finite_array(A, "A", shape=(2, 2))
    sigma = positive_scalar(sigma, "sigma")

    def r(X):
        return X + sigma**2 * X @ A.T

    return r


def diffusion_invariant_energy(A, drift_factor=0.5):
    """``E |x|^2 / 2`` under the invariant law of ``dX = drift_factor A X dt + dW``.

    The law is Gaussian with covariance ``S`` solving the Lyapunov equation
    ``c A S + S (c A)^T + I = 0`` (``c = drift_factor``); the small-step limit of MH
    with the score field ``A x`` is ``c = 1/2`` (:prf:ref:`prop-mh-small-step`).

    Parameters
    ----------
    A : array_like, shape (2, 2)
        Its eigenvalues must have negative real parts.
    drift_factor : float

    Returns
    -------
    float
    """
    A = as_finite_array(A, "A", shape=(2, 2))
    c = positive_scalar(drift_factor, "drift_factor")
    if np.max(np.linalg.eigvals(A).real) >= 0:
        raise ValueError("A must have eigenvalues with negative real parts (a stable drift)")
    S = linalg.solve_continuous_lyapunov(c * A, -np.eye(2))
    return float(np.trace(S) / 2.0)


@dataclasses.dataclass(frozen=True)
class EnergyRun:
    """Stationary ``E |x|^2 / 2`` of MH chains with a linear score field at one step ``eta``.

    ``mean`` over chains and recorded steps; ``se`` the standard deviation of the chain
    means over ``sqrt(n_chains)`` (the chains are independent); ``ess`` and ``rhat`` of
    the energy chains; ``start_energy`` the mean energy of the starts.
    """

    eta: float
    mean: float
    se: float
    ess: float
    rhat: float
    acceptance: float
    start_energy: float
    n_chains: int
    n_steps: int


def _energy_chains(field, eta, n_chains=CURL_CHAINS["n_chains"], seed=0):
    field = np.asarray(field, dtype=float)
    eta = positive_scalar(eta, "eta")
    rng = np.random.default_rng([_SEEDS["curl"], seed, int(round(1000 * eta))])
    angle = rng.uniform(0.0, 2.0 * np.pi, n_chains)
    radius = rng.uniform(*CURL_CHAINS["start"], n_chains)
    x0 = radius[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
    burn = max(int(np.ceil(CURL_CHAINS["burn"] / eta**2)), CURL_CHAINS["min_burn"])
    n_rec = max(int(np.ceil(CURL_CHAINS["record"] / eta**2)), CURL_CHAINS["min_record"])
    # one Gauss-Legendre node (the midpoint) integrates a linear field exactly
    log_ratio = line_integral_log_ratio(linear_field_reconstruction(field), SIGMA, n_nodes=1)
    res = metropolis_hastings(log_ratio, x0, burn + n_rec, eta, rng)
    energy = 0.5 * np.sum(res.samples[burn:] ** 2, axis=2)
    return energy, res.acceptance_rate, float(np.mean(0.5 * radius**2))


def measure_energy_run(energy, eta, acceptance=np.nan, start_energy=np.nan):
    """:class:`EnergyRun` of recorded energy chains ``(n_steps, n_chains)``."""
    energy = as_finite_array(energy, "energy", ndim=2)
    if energy.shape[0] < 4 or energy.shape[1] < 2:
        raise ValueError(f"energy must have >= 4 steps and >= 2 chains; got {energy.shape}")
    means = energy.mean(axis=0)
    chains = energy[:, :, None]
    spread = np.ptp(chains)
    ess = float(effective_sample_size(chains)[0]) if spread > 0 else 0.0
    se = float(means.std(ddof=1) / np.sqrt(means.size))
    return EnergyRun(float(eta), float(means.mean()), se, ess, float(split_rhat(chains)[0]),
                     float(acceptance), float(start_energy), int(energy.shape[1]),
                     int(energy.shape[0]))


@functools.lru_cache(maxsize=None)
def _cached_run(field, eta, seed):
    energy, acceptance, start = _energy_chains(np.array(field).reshape(2, 2), eta, seed=seed)
    return measure_energy_run(energy, eta, acceptance, start)


def energy_run(field, eta, seed=0):
    """:class:`EnergyRun` of MH with score field ``field @ x`` at step ``eta`` (cached).

    ``CURL_CHAINS`` settings: 200 chains started on the annulus ``3 <= |x| <= 5``, burn-in
    ``16 / eta^2`` steps (at least 200), ``400 / eta^2`` recorded (at least 2000); the
    chapter's ``line_integral_log_ratio`` of ``r(x) = x + sigma^2 A x``.
    """
    field = as_finite_array(field, "field", shape=(2, 2))
    return _cached_run(tuple(field.ravel().tolist()), float(eta), int(seed))


def _fit_limit(etas, means, ses, slope):
    """Weighted least squares of ``means - slope * eta = a + c2 eta^2``: (a, se(a), c2)."""
    etas, means, ses = (np.asarray(v, dtype=float) for v in (etas, means, ses))
    X = np.column_stack([np.ones_like(etas), etas**2]) / ses[:, None]
    y = (means - slope * etas) / ses
    cov = np.linalg.inv(X.T @ X)
    coef = cov @ X.T @ y
    return float(coef[0]), float(np.sqrt(cov[0, 0])), float(coef[1])


@dataclasses.dataclass(frozen=True)
class CurlBias:
    """Stationary ``E |x|^2 / 2`` of MH against the step, for a field and a control.

    ``runs``: :class:`EnergyRun` per step of the field; ``control_runs``: the same for the
    gradient control; ``expected`` and ``control_expected``: the invariant values of the
    small-step diffusions (:func:`diffusion_invariant_energy`); ``slope``: the predicted
    first-order bias coefficient.
    """

    runs: tuple
    control_runs: tuple
    expected: float
    control_expected: float
    slope: float = CURL_BIAS_SLOPE

    def _pick(self, runs, eta):
        for run in runs:
            if np.isclose(run.eta, eta):
                return run
        raise ValueError(f"no run at eta = {eta}")

    def run(self, eta):
        return self._pick(self.runs, eta)

    def control(self, eta):
        return self._pick(self.control_runs, eta)

    @property
    def limit(self):
        """(limit, its standard error, c2): the fit over ``CURL_FIT_ETAS``."""
        fit = [self.run(eta) for eta in CURL_FIT_ETAS]
        return _fit_limit([r.eta for r in fit], [r.mean for r in fit], [r.se for r in fit],
                          self.slope)

    @property
    def truncation(self):
        """Bound on the fitted limit's error from a cubic term ``|c3| <= CURL_C3_BOUND``."""
        etas = np.array(CURL_FIT_ETAS)
        ses = np.array([self.run(eta).se for eta in CURL_FIT_ETAS])
        return CURL_C3_BOUND * abs(_fit_limit(etas, etas**3, ses, 0.0)[0])


@functools.lru_cache(maxsize=1)
def measure_curl_bias():
    """The chapter's runs: the curl field at ``CURL_ETAS``, the gradient control at
    ``CURL_CONTROL_ETAS`` (:func:`energy_run`), and the diffusions' invariant values."""
    return CurlBias(tuple(energy_run(CURL_FIELD, eta) for eta in CURL_ETAS),
                    tuple(energy_run(GRADIENT_FIELD, eta) for eta in CURL_CONTROL_ETAS),
                    diffusion_invariant_energy(CURL_FIELD),
                    diffusion_invariant_energy(GRADIENT_FIELD))


@register(chapter=9, kind="statistical")
def check_curl_mh_small_step_limit(measurement=None):
    """As the step shrinks, MH with a curl field samples the small-step diffusion's law.

    The field ``s(x) = (-I + J) x`` is not a gradient; the invariant law of
    ``dX = s / 2 dt + dW`` is ``N(0, I)`` (``E |x|^2 / 2 = 1``, from the Lyapunov equation,
    :func:`diffusion_invariant_energy`). By :prf:ref:`prop-mh-small-step` the chains'
    stationary ``E |x|^2 / 2`` is ``1 + c1 eta + O(eta^2)`` with ``c1 = 3 / (4 sqrt 2)``.
    Measured: the limit ``a`` of a weighted fit ``E - c1 eta = a + c2 eta^2`` at
    ``eta = 0.2, 0.3, 0.4`` (the standard errors of the chain means as weights); expected
    the diffusion's value. Tolerance: ``CURL_Z = 4`` standard errors of ``a`` plus the
    largest error a neglected cubic term ``c3 eta^3`` with ``|c3| <= 1`` can make in it.
    Also required: at ``eta = 1.5`` the curl field's bias is at least 4 standard errors
    (it is about 60), while the gradient control ``s = -x``, exact at every step
    (:prf:ref:`prop-line-integral`), is within 4 standard errors of its target; every run
    has split-R-hat below ``CURL_RHAT_MAX`` and started with mean energy at least 4.

    Error rate: three two-sided 4-SE tests, about 2e-4 under normality of the means of 200
    independent chains. Power: a wrong target, ``N(0, I/2)`` (the law of
    ``dX = s dt + dW``), is 0.5 away, about ten tolerances (0.05); the stationary value
    at the smallest step (1.12), taken for the limit, is 0.12 away, more than twice the
    tolerance; chains whose log-ratio is doubled target about ``N(0, I/2)`` and fail;
    chains that ignore the curl are unbiased at ``eta = 1.5`` and fail; frozen chains keep
    their starts (split-R-hat infinite).
    """
    m = measure_curl_bias() if measurement is None else measurement
    limit, se, c2 = m.limit
    tol = CURL_Z * se + m.truncation
    large, control = m.run(CURL_LARGE_ETA), m.control(CURL_LARGE_ETA)
    z_large = (large.mean - m.expected) / large.se if large.se > 0 else np.inf
    z_control = (abs(control.mean - m.control_expected) / control.se if control.se > 0
                 else np.inf)
    runs = m.runs + m.control_runs
    rhat = max(run.rhat for run in runs)
    start = min(run.start_energy for run in runs)
    ess = min(run.ess for run in runs)
    ok = (z_large >= CURL_Z and z_control <= CURL_Z and rhat < CURL_RHAT_MAX
          and start >= CURL_MIN_START_ENERGY)
    return record(
        "MH with a curl field -> invariant law of dX = s/2 dt + dW as eta -> 0",
        limit, m.expected, tol,
        f"fit at eta {CURL_FIT_ETAS}: c2 = {c2:.3g}, se {se:.2g}; eta = {CURL_LARGE_ETA:g}: bias "
        f"{large.mean - m.expected:.3g} = {z_large:.1f} se (>= {CURL_Z:g} required), gradient "
        f"control {control.mean:.4g} vs {m.control_expected:.4g} ({z_control:.1f} se, <= "
        f"{CURL_Z:g}); max split-R-hat {rhat:.4f} (< {CURL_RHAT_MAX:g}), min ESS {ess:.0f}, "
        f"min start energy {start:.3g} (>= {CURL_MIN_START_ENERGY:g})",
        require=ok,
    )


# ----------------------------------------------------------------------------------------
# The one-point energy-difference rule, measured: the stationary law of its kernel

# The chain is discretised on an even grid of [-6, 6] (the 1-D density's mass is within
# [-3, 3.5]): a proposal x_j = x_i + eta z has probability phi((x_j - x_i) / eta) h / eta,
# moves off the grid are refused, and the stationary law solves pi K = pi. Refining the
# grid from 300 to 600 points changes the one-point rule's TV by about 3e-5.
ONE_POINT_GRID = {"lower": -6.0, "upper": 6.0, "n": 600}
ONE_POINT_ETAS = (0.3, 1.0)
# Round-off of the stationary law of the exact-difference kernel: a dense solve of the
# 600 x 600 system (I - K)^T pi = 0 in double precision, error about n eps / gap with a
# spectral gap above 1e-4 at these steps, i.e. below 1e-9; measured 5e-14.
ONE_POINT_EXACT_TOL = 1e-9
# The one-point rule's TV must be at least this at every step (1e4 times the tolerance
# above), and at least 1e3 times the grid's discretisation error (its change between grids
# of n / 2 and n points).
ONE_POINT_MIN_TV = 1e-5


def one_point_log_ratio(score):
    """The one-point rule ``log q(x_new) - log q(x) ≈ s(x) · (x_new - x)``.

    The authors' public 2013 sampler code used this rule; it is exact for a linear score
    field only when ``x_new = x`` and is off by a term of second order in the step.

    Parameters
    ----------
    score : callable
        ``s(X) -> (n, d)``.

    Returns
    -------
    callable
        ``log_ratio(x, x_new) -> (n,)``.
    """
    check_callable(score, "score")

    def log_ratio(x, x_new):
        x = as_finite_array(x, "x", ndim=2)
        x_new = as_finite_array(x_new, "x_new", shape=x.shape)
        return np.sum(call_checked(score, x, "score", shape=x.shape) * (x_new - x), axis=1)

    return log_ratio


def grid_stationary_law(log_ratio, grid, eta):
    """Stationary law of random-walk MH with ``log_ratio`` on an even 1-D ``grid``.

    The kernel: from ``x_i`` propose ``x_j`` with probability
    ``phi((x_j - x_i) / eta) h / eta`` (``h`` the spacing, moves off the grid refused),
    accept with ``min(1, exp(log_ratio(x_i, x_j)))``; the law solves ``pi K = pi``,
    ``sum(pi) = 1``.

    Parameters
    ----------
    log_ratio : callable
        ``log_ratio(x, x_new) -> (n,)`` for points of shape (n, 1).
    grid : array_like, shape (m,)
        Evenly spaced, increasing.
    eta : float
        The proposal step.

    Returns
    -------
    ndarray, shape (m,)
        The stationary probabilities of the grid points.
    """
    check_callable(log_ratio, "log_ratio")
    grid = as_finite_array(grid, "grid", ndim=1)
    eta = positive_scalar(eta, "eta")
    m = grid.size
    spacing = np.diff(grid)
    if m < 3 or np.any(spacing <= 0) or np.ptp(spacing) > 1e-9 * spacing[0]:
        raise ValueError("grid must be evenly spaced and increasing, with at least 3 points")
    x = np.repeat(grid, m)[:, None]
    x_new = np.tile(grid, m)[:, None]
    ell = call_checked(log_ratio, (x, x_new), "log_ratio", shape=(m * m,),
                       call="log_ratio(x, x_new)")
    step = (grid[None, :] - grid[:, None]) / eta
    K = np.exp(-0.5 * step**2) * spacing[0] / (np.sqrt(2 * np.pi) * eta)
    K *= np.exp(np.minimum(0.0, ell.reshape(m, m)))
    np.fill_diagonal(K, 0.0)
    K[np.diag_indices(m)] = 1.0 - K.sum(axis=1)
    A = (K - np.eye(m)).T
    A[-1] = 1.0
    b = np.zeros(m)
    b[-1] = 1.0
    return linalg.solve(A, b)


@dataclasses.dataclass(frozen=True)
class OnePointBias:
    """Stationary laws of MH on a grid with the exact difference and the one-point rule.

    ``grid``; ``target`` the target's probabilities on it; per step in ``etas``:
    ``exact`` and ``one_point`` the stationary laws, ``tv_exact`` and ``tv_one_point``
    their total-variation distances to ``target``, ``tv_one_point_coarse`` the latter on a
    grid of half as many points (its change measures the discretisation error).
    """

    etas: tuple
    grid: np.ndarray
    target: np.ndarray
    exact: tuple
    one_point: tuple
    tv_exact: tuple
    tv_one_point: tuple
    tv_one_point_coarse: tuple


def _tv(a, b):
    return float(0.5 * np.sum(np.abs(a - b)))


def grid_probabilities(density, grid):
    """A 1-D density's values on ``grid``, normalised to probabilities (sum 1)."""
    density = check_mixture(density, "density", dim=1)
    grid = as_finite_array(grid, "grid", ndim=1)
    log_p = density.log_prob(grid[:, None])
    p = np.exp(log_p - np.max(log_p))
    return p / p.sum()



@functools.lru_cache(maxsize=1)
def _chapter_one_point_bias():
    return _measure_one_point_bias(chapter_density_1d(), ONE_POINT_ETAS, None, None,
                                   ONE_POINT_GRID["n"])


def measure_one_point_bias(density=None, etas=ONE_POINT_ETAS, exact=None, one_point=None,
                           n_grid=ONE_POINT_GRID["n"]):
    """:class:`OnePointBias` of the chapter's 1-D density (defaults: the exact difference
    of ``log p`` and the one-point rule with the exact score of ``p``; that run is cached).

    ``exact`` and ``one_point`` are log-ratio callables (as for
    :func:`~raetut.sampling.metropolis_hastings`); the target is ``density``.
    """
    if (density is None and exact is None and one_point is None and n_grid ==
            ONE_POINT_GRID["n"] and tuple(etas) == ONE_POINT_ETAS):
        return _chapter_one_point_bias()
    return _measure_one_point_bias(density, etas, exact, one_point, n_grid)


def _measure_one_point_bias(density, etas, exact, one_point, n_grid):
    density = chapter_density_1d() if density is None else check_mixture(density, "density")
    if density.dim != 1:
        raise ValueError(f"density must be one-dimensional; got d = {density.dim}")
    exact = exact_log_ratio(density.log_prob) if exact is None else exact
    one_point = one_point_log_ratio(density.score) if one_point is None else one_point
    n_grid = int(n_grid)
    grid = np.linspace(ONE_POINT_GRID["lower"], ONE_POINT_GRID["upper"], n_grid)
    coarse = np.linspace(ONE_POINT_GRID["lower"], ONE_POINT_GRID["upper"], n_grid // 2)
    target, target_coarse = grid_probabilities(density, grid), grid_probabilities(density, coarse)
    laws_exact = tuple(grid_stationary_law(exact, grid, eta) for eta in etas)
    laws_one = tuple(grid_stationary_law(one_point, grid, eta) for eta in etas)
    tv_coarse = tuple(_tv(grid_stationary_law(one_point, coarse, eta), target_coarse)
                      for eta in etas)
    return OnePointBias(tuple(float(e) for e in etas), grid, target, laws_exact, laws_one,
                        tuple(_tv(law, target) for law in laws_exact),
                        tuple(_tv(law, target) for law in laws_one), tv_coarse)


@register(chapter=9, kind="numerical")
def check_one_point_rule_bias(measurement=None):
    """The one-point rule biases MH even with the exact score; the exact difference does not.

    On a grid of 600 points of [-6, 6], the kernel of random-walk MH with the exact
    difference ``log p(x_j) - log p(x_i)`` satisfies detailed balance with respect to the
    grid values of ``p``, so its stationary law (a dense linear solve) equals them up to
    round-off: measured, the largest TV over ``eta = 0.3, 1``; tolerance ``1e-9``
    (``n eps / gap``). Also required: with the one-point rule ``s(x_i)(x_j - x_i)`` and the
    exact score, the TV to ``p`` is at least ``1e-5`` at both steps, 1e3 times its change
    between a grid of 300 and of 600 points (the discretisation error; about 3e-5).

    A kernel-level computation, no sampling: no error rate. Controls: the one-point rule
    given as the exact one (TV about 0.29), the exact rule given as the one-point one (TV
    at round-off, below 1e-5), the exact difference of ``log p_sigma`` at sigma = 0.3 (TV to
    ``p`` about 0.07).
    """
    m = measure_one_point_bias() if measurement is None else measurement
    tv_exact = max(m.tv_exact)
    tv_one = min(m.tv_one_point)
    grid_error = max(abs(a - b) for a, b in zip(m.tv_one_point, m.tv_one_point_coarse,
                                               strict=True))
    ok = tv_one >= ONE_POINT_MIN_TV and tv_one >= 1e3 * grid_error
    steps = ", ".join(f"eta {e:g}: {t:.3g}" for e, t in zip(m.etas, m.tv_one_point, strict=True))
    return record(
        "MH stationary law: exact difference = p, one-point rule != p",
        tv_exact, 0.0, ONE_POINT_EXACT_TOL,
        f"one-point rule TV to p {steps} (>= {ONE_POINT_MIN_TV:g} and >= 1e3 x grid error "
        f"{grid_error:.2g} required); grid {m.grid.size} points of "
        f"[{m.grid[0]:g}, {m.grid[-1]:g}]",
        require=ok,
    )


# ----------------------------------------------------------------------------------------
# 2-D: energy-distance permutation test of the exact denoiser's chain

#: Level of the energy-distance permutation test, its number of permutations, and the
#: thinning of the 2-D chains (every 100th state after burn-in of each of the 20 chains:
#: 2600 draws, 100 steps apart, about three integrated autocorrelation times of the mode
#: indicators, whose ESS is about 7500 in 260000 states).
ED_BETA, ED_PERMUTATIONS, ED_THIN = 0.01, 100, 100
_ED_SEEDS = {"reference": 70, "permutation": 71}


def thinned_2d(samples, burn_in=CHAIN_2D["burn_in"], thin=ED_THIN):
    """Every ``thin``-th state after ``burn_in`` of every chain, pooled: shape (k * m, d)."""
    samples = as_chains(samples)
    return samples[burn_in::thin].reshape(-1, samples.shape[-1])


def measure_energy_test_2d(draws=None, target=None):
    """Energy-distance permutation test of thinned chain draws against i.i.d. target draws.

    Defaults: the thinned 2-D chain of ``r*_sigma`` (:func:`thinned_2d`) against as many
    independent draws of ``p_sigma`` (seeded), ``ED_PERMUTATIONS`` permutations.

    Returns
    -------
    raetut.diagnostics.PermutationTest
    """
    if draws is None and target is None:
        return _chapter_energy_test()
    if draws is None:
        draws = thinned_2d(chains_2d("MH, r*_sigma").samples)
    draws = as_points(draws, "draws", dim=2)
    target = chapter_density_2d().smoothed(SIGMA) if target is None else check_mixture(target)
    reference = target.sample(len(draws), np.random.default_rng(_ED_SEEDS["reference"]))
    return energy_permutation_test(draws, reference, ED_PERMUTATIONS,
                                   np.random.default_rng(_ED_SEEDS["permutation"]))


@functools.lru_cache(maxsize=1)
def _chapter_energy_test():
    return measure_energy_test_2d(thinned_2d(chains_2d("MH, r*_sigma").samples))


@register(chapter=9, kind="statistical")
def check_exact_denoiser_chain_2d_energy(measurement=None):
    """2-D: thinned draws of the ``r*_sigma`` chain are not told from ``p_sigma`` (energy distance).

    Measured: the permutation p-value of the energy-distance U-statistic of 2600 thinned
    chain draws (20 chains started uniformly on ``[-4, 4]^2``, every 100th state after
    1000 of burn-in) against 2600 independent draws of ``p_sigma``; it must be at least
    ``beta = 0.01``. Level: for i.i.d. draws of one law the permutation p-value is exact,
    ``P(p <= beta) <= beta``; the thinned draws are about three mode-indicator
    autocorrelation times apart (independent across chains), and positive correlation
    left in them would err towards rejection, not acceptance. Power: the frozen chain
    (its starts), the crawling chain (step 0.01) and the trained model's chain (mode
    masses 29 standard errors off) are rejected with p = 1/101 (tests). Against the
    nearest wrong target, ``p`` (population energy distance to ``p_sigma`` 0.0031 against a
    99th null percentile of about 0.003 at this size), the power is only about one half
    (12 i.i.d. replicates of 2600 draws of ``p``, measured once): like the mode-mass check,
    this test does not resolve ``sigma`` in 2-D; the 1-D KS checks do. Split-R-hat of the
    mode indicators below ``RHAT_MAX`` (the chains have forgotten their starts) is checked
    on the same chains in :func:`check_exact_denoiser_chain_2d_mode_masses`.
    """
    t = measure_energy_test_2d() if measurement is None else measurement
    return record(
        "2-D: MH with r*_sigma ~ p_sigma (energy distance, permutation)", t.p_value,
        ED_BETA, 0.0,
        f"U-statistic {t.statistic:.2e}, {t.n_x} thinned draws vs {t.n_y} i.i.d., "
        f"{len(t.null)} permutations, null 99th pct {np.quantile(t.null, 0.99):.2e}; "
        f"p-value >= {ED_BETA:g} required",
        passed=bool(t.p_value >= ED_BETA),
    )


# ----------------------------------------------------------------------------------------
# Spurious attractors over training seeds

#: Training seeds of the sweep: seed 2 is model A's recipe and seed 1 model B's.
SWEEP_SEEDS = tuple(range(1, 9))


@functools.lru_cache(maxsize=None)
def seed_model(seed):
    """Model A's recipe with training seed ``seed``: ``rng = default_rng(seed)``, 500 draws
    of the 1-D density, 32 tanh units, DAE at sigma 0.3, 300 L-BFGS iterations, 2 noise
    draws per point. Seeds 2 and 1 give models A and B (taken from :func:`chapter_models`).

    Returns
    -------
    TrainedModel
    """
    seed = int(seed)
    if seed in (1, 2):
        return chapter_models()["model B" if seed == 1 else "model A"]
    rng = np.random.default_rng(seed)
    X = chapter_density_1d().sample(500, rng)
    model = Autoencoder(1, 32, activation="tanh")
    result = fit(model, X, criterion="dae", sigma=SIGMA, rng=rng, n_iter=300, n_noise=2,
                 progress=False)
    return TrainedModel(model, result.params, X, np.asarray(result.loss_history),
                        result.n_iter)


@dataclasses.dataclass(frozen=True)
class SeedOutcome:
    """One seed of the sweep: its final loss, spurious attractors (``x`` where the field
    ``r(x) - x`` has an attractor and ``p < 1e-12 max p``, on [-15, 15]) and the fraction
    of the 57 far-started chains (``FAR_STARTS``, 400 steps of 0.5) outside the data
    region at the end."""

    seed: int
    loss: float
    spurious: np.ndarray
    trapped: float

    @property
    def has_spurious(self):
        return bool(self.spurious.size)


_SWEEP_CACHE = {}


def measure_seed_sweep(seeds=SWEEP_SEEDS, reconstructions=None, progress=None):
    """Spurious attractors and trapped far chains of model A's recipe over training seeds.

    Parameters
    ----------
    seeds : sequence of int
    reconstructions : sequence of callable, optional
        Fields to use in place of the trained models (negative controls), one per seed.
    progress : callable, optional
        Called with each :class:`SeedOutcome` as it is computed.

    Returns
    -------
    tuple of SeedOutcome
    """
    density = chapter_density_1d()
    far = np.linspace(-15, 15, 3001)
    p_far = density.prob(far[:, None])
    region = tuple(float(v) for v in far[p_far >= 1e-4 * p_far.max()][[0, -1]])
    out = []
    for k, seed in enumerate(seeds):
        if reconstructions is None and int(seed) in _SWEEP_CACHE:
            outcome = _SWEEP_CACHE[int(seed)]
            if progress is not None:
                progress(outcome)
            out.append(outcome)
            continue
        if reconstructions is None:
            trained = seed_model(seed)
            r, loss = trained.r, float(trained.loss_history[-1])
        else:
            r, loss = reconstructions[k], np.nan
            check_callable(r, "reconstructions[k]")
        attractors, _ = fixed_points_1d(r, -15.0, 15.0)
        spurious = attractors[density.prob(attractors[:, None]) < 1e-12 * p_far.max()]
        run = metropolis_hastings(line_integral_log_ratio(r, SIGMA), FAR_STARTS, FAR_STEPS,
                                  FAR_STEP, np.random.default_rng(_SEEDS["far"] + int(seed)))
        trapped = float(np.mean(~in_region(run.samples[-1], region)))
        outcome = SeedOutcome(int(seed), loss, spurious, trapped)
        if reconstructions is None:
            _SWEEP_CACHE[int(seed)] = outcome
        if progress is not None:
            progress(outcome)
        out.append(outcome)
    return tuple(out)


@register(chapter=9, kind="heuristic")
def check_seed_sweep_spurious_attractors(measurement=None):
    """Over training seeds, model A's recipe gives both kinds of model: the seed decides.

    Measured: the fraction of the 8 seeds (``SWEEP_SEEDS``) whose network has a spurious
    attractor (:class:`SeedOutcome`) that traps far-started chains (a fraction of them
    outside the data region after 400 steps). The claim is qualitative: the fraction is
    strictly between 0 and 1 (at least one seed of each kind), so "the seed can change the
    outcome" is measured, not assumed; the fraction itself is an estimate from 8 seeds, and
    the chapter gives its 95% Clopper-Pearson interval, not a prediction. The check also
    requires the two criteria to agree on every seed: a network with a spurious attractor
    traps some far chains, and one without returns all of them (otherwise the fixed points
    or the chains are wrong). The exact denoiser in place of every network (fraction 0),
    model B for every seed (fraction 1) and a sweep in which model B's far chains are
    reported as all returned (the criteria disagree) fail.
    """
    outcomes = measure_seed_sweep() if measurement is None else tuple(measurement)
    flagged = np.array([o.has_spurious and o.trapped > 0 for o in outcomes])
    agree = all(o.has_spurious == (o.trapped > 0) for o in outcomes)
    fraction = float(np.mean(flagged))
    return record(
        "training seeds: a fraction of networks has spurious attractors that trap far chains",
        fraction, 0.5, 0.5,
        f"{int(flagged.sum())} of {len(outcomes)} seeds "
        f"({[o.seed for o, f in zip(outcomes, flagged, strict=True) if f]}); "
        f"criteria agree on every seed: {agree}; fraction strictly in (0, 1) required",
        passed=bool(0.0 < fraction < 1.0 and agree),
    )
