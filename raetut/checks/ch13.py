"""Chapter 13, generalised denoising auto-encoders: the corrupt-reconstruct chain.

The chapter's objects (densities, chains, trained models) are built here with the
chapter's seeds and settings, and cached within the process: the notebook and
``python -m raetut verify`` run the same functions and share one run of each.
"""

import dataclasses
import time

import numpy as np

from .._validation import as_chains, as_finite_array, check_callable, positive_int
from ..densities import GaussianMixture
from ..diagnostics import (
    effective_sample_size,
    indicator_effective_sample_size,
    ks_distance,
    ks_tolerance,
    mixture_cdf_1d,
    split_rhat,
)
from ..fields import fixed_points_1d
from ..models import Autoencoder
from ..optimal import dae_optimum
from ..sampling import corrupt_reconstruct_chain, mixture_posterior_sampler, unadjusted_langevin
from ..training import fit, fit_walkback, walkback_corruptions
from . import record, register
from ._common import cached_on_settings

__all__ = [
    "GAUSS",
    "MIXTURE",
    "RHAT_MAX",
    "N_SE",
    "KS_BETA",
    "WALKBACK",
    "gaussian_density",
    "mixture_density",
    "deterministic_variance",
    "ula_variance",
    "gaussian_starts",
    "VarianceRun",
    "measure_variance",
    "gaussian_chain",
    "mixture_chain",
    "MixtureFit",
    "measure_mixture_fit",
    "check_gdae_deterministic_chain_variance",
    "check_gdae_gibbs_chain_variance",
    "check_gdae_gibbs_chain_samples_mixture",
    "check_gdae_ula_factor_two_variance",
    "WalkbackStudy",
    "spurious_attractors",
    "far_chain_trapped_fraction",
    "measure_walkback",
    "check_walkback_reach",
    "check_trap_criterion_matches_far_chains",
]

# Gaussian data N(0, v) and the corruption level of the variance checks. At sigma = 1 the
# three candidate answers are far apart: v^2 / (2v + sigma^2) = 1/3, ULA's 8/3, v = 1.
GAUSS = {"v": 1.0, "sigma": 1.0, "n_chains": 200, "n_steps": 600, "burn_in": 100,
         "start": 10.0}
# The chapter's 1-D mixture (chapter 9's density) and a noise level at which the Gibbs
# chain crosses between the modes often; 100 chains started on [-6, 6].
MIXTURE = {"sigma": 0.7, "n_chains": 100, "n_steps": 1500, "burn_in": 300, "start": 6.0}
_SEEDS = {"deterministic": 1, "gibbs": 2, "ula": 3, "mixture gibbs": 4, "mixture det": 5,
          "walkback": 100, "far": 7}

# Split-R-hat accepted: R - 1 ≈ m / ESS for converged chains (m = 200 chains, ESS in the
# tens of thousands here, so R - 1 ~ 0.005); chains that keep their start give R - 1 of
# order 1.
RHAT_MAX = 1.01
# Standard errors allowed in a variance check: |z| > 4 has probability 6e-5 under the
# normal approximation, so a right answer fails about once in 15,000 runs.
N_SE = 4.0
KS_BETA = 1e-3


def gaussian_density(v=GAUSS["v"]):
    """The chapter's Gaussian data, N(0, v) on the line."""
    return GaussianMixture([1.0], [0.0], [float(v)])


def mixture_density():
    """The chapter's 1-D mixture (chapter 9's): weights (0.35, 0.65), means (-1.5, 1),
    standard deviations (0.4, 0.6)."""
    return GaussianMixture([0.35, 0.65], [-1.5, 1.0], [0.4**2, 0.6**2])


def deterministic_variance(v, sigma):
    """Stationary variance ``v^2 / (2 v + sigma^2)`` of ``x <- r*_sigma(x + sigma z)``.

    Data N(0, v).
    """
    return v**2 / (2.0 * v + sigma**2)


def ula_variance(v, sigma):
    """Stationary variance of ``x <- r*_sigma(x) + sqrt(2) sigma z`` for data N(0, v).

    ULA ``x <- x + eta s(x) + sqrt(2 eta) z`` with step ``eta = sigma^2`` on
    ``p_sigma = N(0, V)``, ``V = v + sigma^2``: ``V / (1 - eta / (2 V))``.
    """
    V = v + sigma**2
    eta = sigma**2
    return V / (1.0 - eta / (2.0 * V))


def gaussian_starts(n_chains=GAUSS["n_chains"], start=GAUSS["start"]):
    """Overdispersed starts, evenly on [-start, start]: shape (n_chains, 1)."""
    return np.linspace(-start, start, n_chains)[:, None]


@dataclasses.dataclass(frozen=True)
class VarianceRun:
    """Stationary variance of 1-D chains with its standard error, split-R-hat and ESS.

    ``variance``: pooled variance after burn-in; ``se``: its standard error from the ESS
    of the squared deviations; ``rhat``: the larger split-R-hat of ``x`` and ``x^2``;
    ``ess``: the ESS of the squared deviations; ``start_sd``: spread of the starts.
    """

    variance: float
    se: float
    rhat: float
    ess: float
    start_sd: float
    n_draws: int


def measure_variance(chains, x0):
    """Variance, standard error, split-R-hat and ESS of chains (n_steps, n_chains, 1)."""
    chains = as_chains(chains, dim=1)
    x0 = as_finite_array(x0, "x0")
    centred = chains - np.mean(chains)
    sq = centred**2
    ess = float(effective_sample_size(sq)[0])
    variance = float(np.mean(sq))
    se = float(np.std(sq) / np.sqrt(ess))
    rhat = float(max(split_rhat(chains)[0], split_rhat(sq)[0]))
    return VarianceRun(variance, se, rhat, ess, float(np.std(x0)), int(sq.size))


@cached_on_settings
def gaussian_chain(kind, v=GAUSS["v"], sigma=GAUSS["sigma"]):
    """Chains on N(0, v) data after burn-in, (n_steps - burn_in, n_chains, 1).

    ``kind``: ``"deterministic"`` (``x <- r*_sigma(x + sigma z)``), ``"gibbs"`` (``x`` drawn
    from ``P(x | x + sigma z)``) or ``"ula"`` (``x <- r*_sigma(x) + sqrt(2) sigma z``, as
    :func:`raetut.sampling.unadjusted_langevin` with ``step_size = sqrt(2 eta) = sqrt(2)
    sigma``, step ``eta = sigma^2``).
    """
    density = gaussian_density(v)
    r = dae_optimum(density, sigma)
    x0 = gaussian_starts()
    rng = np.random.default_rng(_SEEDS[kind])
    n = GAUSS["n_steps"]
    if kind == "deterministic":
        run = corrupt_reconstruct_chain(r, x0, n, sigma, rng)
    elif kind == "gibbs":
        run = corrupt_reconstruct_chain(None, x0, n, sigma, rng,
                                        posterior=mixture_posterior_sampler(density, sigma))
    elif kind == "ula":
        run = unadjusted_langevin(lambda X: (r(X) - X) / sigma**2, x0, n, np.sqrt(2.0) * sigma,
                                  rng)
    else:
        raise ValueError(f"kind must be 'deterministic', 'gibbs' or 'ula'; got {kind!r}")
    return run.samples[GAUSS["burn_in"]:]


def _variance_record(claim, m, predicted, extra=""):
    tol = N_SE * m.se
    return record(
        claim, m.variance, predicted, tol,
        f"{N_SE:g} standard errors (se {m.se:.3g}, ESS {m.ess:.0f} of {m.n_draws}); split-R-hat "
        f"{m.rhat:.4f} (< {RHAT_MAX:g}); starts' sd {m.start_sd:.3g} (> 3 sqrt(predicted) "
        f"required){extra}",
        require=m.rhat < RHAT_MAX and m.start_sd > 3.0 * np.sqrt(predicted),
    )


@register(chapter=13, kind="statistical")
def check_gdae_deterministic_chain_variance(measurement=None, predicted=None):
    """The chain x <- r*_sigma(x + sigma z) on N(0, v) data has stationary variance
    v^2 / (2v + sigma^2).

    v = 1, sigma = 1: prediction 1/3. 200 chains started evenly on [-10, 10] (an sd of 5.8,
    ten times the target's), 600 steps, the first 100 dropped (the AR(1) coefficient
    a = 1/2 forgets the start in about 10 steps). Tolerance: 4 standard errors of the
    pooled variance, from the ESS of the squared deviations (false-failure rate about
    6e-5). Power: the data's variance v = 1 and p_sigma's v + sigma^2 = 2 are more than
    a hundred standard errors away; chains that keep their starts fail the split-R-hat.
    ``predicted`` overrides the formula (for the negative controls).
    """
    m = measure_variance(gaussian_chain("deterministic"), gaussian_starts()) \
        if measurement is None else measurement
    v, sigma = GAUSS["v"], GAUSS["sigma"]
    predicted = deterministic_variance(v, sigma) if predicted is None else float(predicted)
    return _variance_record("x <- r*(x + sigma z): variance v^2/(2v + sigma^2)", m, predicted)


@register(chapter=13, kind="statistical")
def check_gdae_gibbs_chain_variance(measurement=None, predicted=None):
    """Sampling P(x | x~) instead of taking its mean gives stationary variance v (the
    data's law), for N(0, v) data.

    The same settings and tolerance as :func:`check_gdae_deterministic_chain_variance`;
    the posterior is N(a x~, a sigma^2), a = v / (v + sigma^2), drawn exactly. Power: the
    deterministic chain's 1/3 is far outside the tolerance.
    """
    m = measure_variance(gaussian_chain("gibbs"), gaussian_starts()) \
        if measurement is None else measurement
    predicted = GAUSS["v"] if predicted is None else float(predicted)
    return _variance_record("x ~ P(x | x + sigma z): variance v", m, predicted)


@register(chapter=13, kind="statistical")
def check_gdae_ula_factor_two_variance(measurement=None, predicted=None):
    """x <- r*_sigma(x) + sqrt(2) sigma z is ULA with step sigma^2 on p_sigma: stationary
    variance V / (1 - eta / (2V)), V = v + sigma^2, eta = sigma^2.

    The book's convention x <- x + eta s(x) + sqrt(2 eta) z (step h = 2 sigma^2 in the
    convention x + (h/2) s + sqrt(h) z). v = 1, sigma = 1: prediction 8/3, against
    p_sigma's own variance 2 (what an exact sampler of p_sigma would give) and the data's
    1. Same chains' settings and tolerance as
    :func:`check_gdae_deterministic_chain_variance` (the AR(1) coefficient is again 1/2).
    """
    m = measure_variance(gaussian_chain("ula"), gaussian_starts()) \
        if measurement is None else measurement
    v, sigma = GAUSS["v"], GAUSS["sigma"]
    predicted = ula_variance(v, sigma) if predicted is None else float(predicted)
    return _variance_record("x <- r*(x) + sqrt(2) sigma z: ULA's variance", m, predicted)


@cached_on_settings
def mixture_chain(kind, sigma=MIXTURE["sigma"]):
    """Chains of the 1-D mixture after burn-in: ``"gibbs"`` or ``"deterministic"``.

    100 chains started evenly on [-6, 6], 1500 steps, the first 300 dropped.
    """
    density = mixture_density()
    x0 = gaussian_starts(MIXTURE["n_chains"], MIXTURE["start"])
    if kind == "gibbs":
        run = corrupt_reconstruct_chain(None, x0, MIXTURE["n_steps"], sigma,
                                        np.random.default_rng(_SEEDS["mixture gibbs"]),
                                        posterior=mixture_posterior_sampler(density, sigma))
    elif kind == "deterministic":
        run = corrupt_reconstruct_chain(dae_optimum(density, sigma), x0, MIXTURE["n_steps"],
                                        sigma, np.random.default_rng(_SEEDS["mixture det"]))
    else:
        raise ValueError(f"kind must be 'gibbs' or 'deterministic'; got {kind!r}")
    return run.samples[MIXTURE["burn_in"]:]


@dataclasses.dataclass(frozen=True)
class MixtureFit:
    """KS distance of chains to the mixture's CDF, its ESS-based tolerance, split-R-hat."""

    ks: float
    ess: float
    tolerance: float
    rhat: float
    n_draws: int


def measure_mixture_fit(chains, cdf=None):
    """KS distance, tolerance (level ``KS_BETA``, from the indicators' ESS) and split-R-hat
    of 1-D chains (n_steps, n_chains, 1) against ``cdf`` (default: the mixture's)."""
    chains = as_chains(chains, dim=1)
    cdf = mixture_cdf_1d(mixture_density()) if cdf is None else cdf
    check_callable(cdf, "cdf")
    ess = float(np.min(indicator_effective_sample_size(chains)))
    quantiles = np.quantile(chains, (0.1, 0.25, 0.5, 0.75, 0.9))
    indicators = (chains <= quantiles[None, None, :]).astype(float)
    rhat = float(max(np.max(split_rhat(chains)), np.max(split_rhat(indicators))))
    return MixtureFit(ks_distance(chains.reshape(-1, 1), cdf), ess, ks_tolerance(ess, KS_BETA),
                      rhat, int(chains.size))


@register(chapter=13, kind="statistical")
def check_gdae_gibbs_chain_samples_mixture(measurement=None):
    """The Gibbs chain of the generalised DAE (exact posterior draws) samples the mixture p
    itself, at sigma = 0.7.

    KS distance of the pooled chains to p's CDF within the critical value at level
    beta = 1e-3 for the smallest ESS of the indicators 1{x <= q} at five quantiles; split
    R-hat of x and of those indicators below 1.01; 100 chains from evenly spaced starts
    on [-6, 6] (most outside the data). Power: the deterministic chain's law (measured in
    the chapter, KS distance several times the tolerance) and p_sigma fail, and so do a
    posterior drawn at the wrong noise level (0.5 or 0.9) and one whose spread about its
    mean is scaled so that its variance is halved. A posterior variance off by 20 % is
    not detected (KS distance 0.016 against a tolerance of 0.016): the Gaussian variance
    check, where it moves the variance by 13 %, is the sharper test of that.
    """
    m = measure_mixture_fit(mixture_chain("gibbs")) if measurement is None else measurement
    return record(
        "Gibbs chain over (x, x~) samples the mixture p", m.ks, 0.0, m.tolerance,
        f"split-R-hat {m.rhat:.4f} (< {RHAT_MAX:g}), indicator ESS {m.ess:.0f} of "
        f"{m.n_draws} draws, beta={KS_BETA:g}",
        passed=m.ks <= m.tolerance and m.rhat < RHAT_MAX,
    )


# ----------------------------------------------------------------------------------------
# Walk-back training and chapter 9's spurious attractors

# Chapter 9's setting: its mixture, sigma = 0.3, 500 training points, 32 tanh units, 300
# L-BFGS iterations with 2 corruptions per point. Then 2 further rounds of 100
# iterations, either walk-back (4-step walks) or plain (4 fresh corruptions per point).
WALKBACK = {"sigma": 0.3, "n_train": 500, "n_hidden": 32, "n_iter": 300, "n_noise": 2,
            "n_rounds": 2, "n_walk": 4, "n_iter_round": 100, "n_seeds": 8, "far": 15.0,
            "far_starts": 57, "far_steps": 300}


def spurious_attractors(r, density=None, lower=-WALKBACK["far"], upper=WALKBACK["far"]):
    """Attractors of ``r(x) - x`` on [lower, upper] outside the data region (where
    ``p < 1e-4 max p``), shape (m,).

    Broader than chapter 9's ``p < 1e-12 max p``: an attractor just outside the data traps
    chains as surely as a far one.
    """
    density = mixture_density() if density is None else density
    lo, hi = _data_region(density)
    att, _ = fixed_points_1d(r, lower, upper)
    return att[(att <= lo) | (att >= hi)]


def _data_region(density=None):
    density = mixture_density() if density is None else density
    grid = np.linspace(-WALKBACK["far"], WALKBACK["far"], 3001)
    p = density.prob(grid[:, None])
    return tuple(float(v) for v in grid[p >= 1e-4 * p.max()][[0, -1]])


def far_chain_trapped_fraction(r, rng, sigma=WALKBACK["sigma"]):
    """Fraction of corrupt-reconstruct chains ``x <- r(x + sigma z)`` started evenly on
    [-14, 14] whose last state (after ``far_steps``) is outside the data region."""
    x0 = np.linspace(-14.0, 14.0, WALKBACK["far_starts"])[:, None]
    run = corrupt_reconstruct_chain(r, x0, WALKBACK["far_steps"], sigma, rng)
    lo, hi = _data_region()
    last = run.samples[-1, :, 0]
    return float(np.mean((last <= lo) | (last >= hi)))


@dataclasses.dataclass(frozen=True)
class WalkbackStudy:
    """Per seed, for the plain fit, the plain rounds and the walk-back rounds: spurious
    attractors and far-chain trapped fractions; and how far walk-back inputs reach.

    ``spurious[name]``: list (one per seed) of arrays; ``trapped[name]``: (n_seeds,)
    fractions of far chains outside the data region; ``reach``: (n_seeds,) the largest
    distance of a walk-back input (last round) outside the data region; ``data_region``;
    ``walk_sd``: mean sd of the last walk step's displacement ``x~_k - x``; ``fields[name]``:
    (n_seeds, len(grid)) values of ``r(x) - x`` on ``grid`` (601 points on [-15, 15]).
    """

    seeds: tuple
    spurious: dict
    trapped: dict
    reach: np.ndarray
    data_region: tuple
    walk_sd: float
    grid: np.ndarray
    fields: dict
    seconds: float = float("nan")

    def trapped_seeds(self, name):
        """Number of seeds whose model has at least one spurious attractor."""
        return int(sum(s.size > 0 for s in self.spurious[name]))


_STUDY = {}


def measure_walkback(n_seeds=WALKBACK["n_seeds"], progress=False):
    """Train chapter 9's model for ``n_seeds`` seeds, then refit by walk-back and, as the
    control, by as many plain rounds; count spurious attractors and trapped far chains.

    Run once per process and ``n_seeds`` (``progress`` only shows the first run's
    progress bars, with the seconds it took in ``seconds``).

    Returns
    -------
    WalkbackStudy
    """
    if n_seeds not in _STUDY:
        t0 = time.perf_counter()
        study = _walkback_study(n_seeds, progress)
        _STUDY[n_seeds] = dataclasses.replace(study, seconds=time.perf_counter() - t0)
    return _STUDY[n_seeds]


def _walkback_study(n_seeds, progress):
    w = WALKBACK
    density = mixture_density()
    lo, hi = _data_region(density)
    names = ("plain", "plain rounds", "walk-back")
    spurious = {k: [] for k in names}
    trapped = {k: [] for k in names}
    reach, seeds, walk_sd = [], [], []
    grid = np.linspace(-w["far"], w["far"], 601)
    fields = {k: [] for k in names}
    for i in range(positive_int(n_seeds, "n_seeds")):
        seed = _SEEDS["walkback"] + i
        seeds.append(seed)
        rng = np.random.default_rng(seed)
        X = density.sample(w["n_train"], rng)
        model = Autoencoder(1, w["n_hidden"], activation="tanh")
        base = fit(model, X, criterion="dae", sigma=w["sigma"], rng=rng, n_iter=w["n_iter"],
                   n_noise=w["n_noise"], progress=progress).params
        fits = {"plain": base}
        for name, walk in (("plain rounds", False), ("walk-back", True)):
            fits[name] = fit_walkback(model, X, w["sigma"], np.random.default_rng(seed + 1000),
                                      base, n_rounds=w["n_rounds"], n_walk=w["n_walk"],
                                      n_iter=w["n_iter_round"], walkback=walk,
                                      progress=progress).params
        far_rng = np.random.default_rng(_SEEDS["far"] + i)
        for name, params in fits.items():
            def r(Z, params=params, model=model):
                return model.reconstruct(params, Z)
            spurious[name].append(spurious_attractors(r, density))
            fields[name].append(r(grid[:, None])[:, 0] - grid)
            trapped[name].append(far_chain_trapped_fraction(r, far_rng))
        walks = walkback_corruptions(model, fits["walk-back"], X, w["sigma"], w["n_walk"],
                                     np.random.default_rng(seed + 2000))
        outside = np.maximum(lo - walks, walks - hi)
        reach.append(float(max(np.max(outside), 0.0)))
        walk_sd.append(float(np.std(walks[-1] - X)))
    return WalkbackStudy(tuple(seeds), spurious, {k: np.array(v) for k, v in trapped.items()},
                         np.array(reach), (lo, hi), float(np.mean(walk_sd)), grid,
                         {k: np.array(v) for k, v in fields.items()})


@register(chapter=13, kind="heuristic")
def check_walkback_reach(measurement=None):
    """Walk-back inputs (4-step walks of the deterministic chain at sigma = 0.3) never
    reach the spurious attractors: their largest distance outside the data region is
    below the distance of the nearest spurious attractor found in any fit.

    Measured: the ratio of the largest reach (over the seeds) to that distance; passes
    below 1/2 (heuristic: no error rate; the walk's corruptions are Gaussian with sd of
    a few sigma, and the attractors lie tens of sigma out, so the margin is wide). A walk
    whose corruptions do reach the far field (sigma = 3) fails. This is why walk-back
    with a deterministic reconstruction cannot remove far-field attractors here.
    """
    m = measure_walkback() if measurement is None else measurement
    lo, hi = m.data_region
    all_spurious = np.concatenate([s for v in m.spurious.values() for s in v] + [np.empty(0)])
    if all_spurious.size:
        nearest = float(np.min(np.maximum(lo - all_spurious, all_spurious - hi)))
    else:
        nearest = WALKBACK["far"] - max(abs(lo), abs(hi))
    ratio = float(np.max(m.reach)) / nearest
    return record(
        "walk-back inputs stay far from the spurious attractors", ratio, 0.0, 0.5,
        f"largest reach outside the data region {np.max(m.reach):.3g}; nearest spurious "
        f"attractor {nearest:.3g} outside it ({all_spurious.size} found over all fits); "
        f"seeds with a spurious attractor: plain {m.trapped_seeds('plain')}, plain rounds "
        f"{m.trapped_seeds('plain rounds')}, walk-back {m.trapped_seeds('walk-back')} of "
        f"{len(m.seeds)}",
        passed=ratio <= 0.5,
    )


@register(chapter=13, kind="heuristic")
def check_trap_criterion_matches_far_chains(measurement=None):
    """The trap criterion (an attractor of r on [-15, 15] outside the data region)
    agrees with the far chains: a model has one exactly when some of its far-started
    chains end outside the data region.

    Measured: the number of fits (3 per seed) where the two disagree; expected 0,
    tolerance 0 (heuristic: chapter 9 measures a barrier of many nats around such
    attractors, so chains started in a basin stay; chains elsewhere drift to the data in
    far fewer than 300 steps). Flags of the wrong seeds fail.
    """
    m = measure_walkback() if measurement is None else measurement
    disagree = 0
    n = 0
    for name, spur in m.spurious.items():
        for s, t in zip(spur, m.trapped[name], strict=True):
            disagree += int((s.size > 0) != (t > 0))
            n += 1
    n_flagged = sum(s.size > 0 for v in m.spurious.values() for s in v)
    return record(
        "spurious attractor <=> far chains trapped", float(disagree), 0.0, 0.0,
        f"{n} fits, {n_flagged} with a spurious attractor",
        require=n_flagged > 0,
    )
