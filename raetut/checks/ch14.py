"""Chapter 14, learned noise levels: one network across sigma replaces the exact denoisers.

Beyond the paper (Song & Ermon 2019; Song et al. 2021). The chapter's objects (the
target of chapter 10, the trained networks, the sampler runs) are built here once per
process, so that the chapter and ``python -m raetut verify`` share one run of each.
"""

import dataclasses
import functools

import numpy as np
from scipy import stats

from ..densities import GaussianMixture
from ..diagnostics import mode_fractions
from ..noise_conditional import fit_noise_conditional, probability_flow_ode, reverse_ve_sde
from ..sampling import annealed_langevin, geometric_noise_levels, unadjusted_langevin
from . import record, register
from ._common import cached_on_settings

__all__ = [
    "SETTINGS",
    "FAR_SETTINGS",
    "MASS_LEVEL",
    "target_density",
    "noise_levels",
    "trained_networks",
    "FieldErrors",
    "measure_field_errors",
    "check_loss_gap_is_field_error",
    "check_learned_field_close",
    "FarField",
    "measure_far_field",
    "check_far_field_not_trapped",
    "SamplerMasses",
    "measure_sampler_masses",
    "mass_test_power",
    "measure_langevin_attribution",
    "check_exact_sampler_masses",
]

# Chapter 10's target and levels; the training set, the network and its seeds.
SETTINGS = {
    "weights": (0.2, 0.3, 0.5),
    "means": ((-4.0, -2.5), (4.0, -2.5), (0.0, 4.0)),
    "omega": 0.5,
    "sigma_max": 8.0,
    "sigma_min": 0.1,
    "n_levels": 16,
    "n_train": 1000,
    "hidden": 24,
    "n_iter": 200,
    "data_seed": 0,
    "train_seed": 1,
    "n_test": 2000,
    "test_seed": 2,
    "n_chains": 2000,
    "chain_seed": 3,
    "n_steps": 50,          # annealed Langevin steps per level
    "eta": 3e-3,            # annealed Langevin step at the smallest level (ch10's eta_M)
    "n_sde": 200,           # grid points of the reverse SDE
    "n_ode": 100,           # grid points of the probability-flow ODE (Heun)
}

# The far-field experiment: 5 training seeds, smaller networks, chains on a circle.
FAR_SETTINGS = {
    "seeds": (0, 1, 2, 3, 4),
    "n_train": 500,
    "hidden": 16,
    "n_iter": 100,
    "radius": 14.0,
    "n_chains": 200,
    "n_langevin": 800,       # single-level Langevin steps (= annealed: 16 levels x 50)
    "region": 1e-4,          # a chain is trapped if it ends where p < region * max p
}

# Level of each chi-square test of the mode masses (three samplers: 0.01 in all, Bonferroni).
MASS_LEVEL = 0.01 / 3


@functools.lru_cache(maxsize=1)
def target_density():
    """Chapter 10's mixture: three isotropic Gaussians, weights 0.2/0.3/0.5, omega = 0.5."""
    s = SETTINGS
    return GaussianMixture(np.array(s["weights"]), np.array(s["means"]),
                           np.array([s["omega"] ** 2 * np.eye(2)] * 3))


def noise_levels():
    """Chapter 10's 16 geometric levels from 8 down to 0.1 (a fresh array)."""
    s = SETTINGS
    return geometric_noise_levels(s["sigma_max"], s["sigma_min"], s["n_levels"])


def exact_score(X, sigma):
    """The exact score ``s_sigma`` of ``p_sigma = p * N(0, sigma^2 I)``, shape (n, 2)."""
    return target_density().smoothed(float(sigma)).score(X)


@cached_on_settings(ignore=("progress",))
def trained_networks(progress=False):
    """The multi-level network (sigma in [0.1, 8]) and the single-level one (sigma = 0.1),
    both trained on the same draws with the same seed: ``{"multi": fit, "single": fit}``."""
    s = SETTINGS
    X = target_density().sample(s["n_train"], np.random.default_rng(s["data_seed"]))
    out = {}
    for name, hi in (("multi", s["sigma_max"]), ("single", s["sigma_min"])):
        out[name] = fit_noise_conditional(X, s["sigma_min"], hi,
                                          np.random.default_rng(s["train_seed"]),
                                          hidden=s["hidden"], n_iter=s["n_iter"],
                                          progress=progress)
    return out


@dataclasses.dataclass(frozen=True)
class FieldErrors:
    """Per level: the held-out relative field error ``sqrt(E||sigma(s_hat - s)||^2 /
    E||sigma s||^2)``, the denoising losses of the network and of the exact denoiser,
    the field error ``E||z_hat - z*||^2`` and the standard error of the gap's
    cross term (all shape (L,))."""

    sigmas: np.ndarray
    relative_error: np.ndarray
    loss_net: np.ndarray
    loss_exact: np.ndarray
    field_error: np.ndarray
    cross_se: np.ndarray


def measure_field_errors(field=None, reference=None, n_test=None, seed=None):
    """Held-out errors of a learned score ``field(X, sigma)`` against ``reference(X, sigma)``
    (default: the multi-level network against the exact ``s_sigma``), at every level.

    At each level, ``n_test`` fresh draws of ``p`` are corrupted, ``x~ = x + sigma z``;
    ``z_hat = -sigma field(x~)``, ``z* = -sigma reference(x~)``.
    """
    s = SETTINGS
    field = trained_networks()["multi"].score if field is None else field
    reference = exact_score if reference is None else reference
    n_test = s["n_test"] if n_test is None else n_test
    rng = np.random.default_rng(s["test_seed"] if seed is None else seed)
    sigmas = noise_levels()
    rel, ln, le, fe, se = [], [], [], [], []
    for sg in sigmas:
        x = target_density().sample(n_test, rng)
        z = rng.standard_normal(x.shape)
        xt = x + sg * z
        z_hat, z_star = -sg * field(xt, sg), -sg * reference(xt, sg)
        ln_i = np.sum((z_hat - z) ** 2, 1)
        le_i = np.sum((z_star - z) ** 2, 1)
        fe_i = np.sum((z_hat - z_star) ** 2, 1)
        cross = ln_i - le_i - fe_i           # = 2 (z_hat - z*) . (z* - z)
        rel.append(np.sqrt(fe_i.mean() / np.mean(np.sum(z_star**2, 1))))
        ln.append(ln_i.mean())
        le.append(le_i.mean())
        fe.append(fe_i.mean())
        se.append(cross.std(ddof=1) / np.sqrt(n_test))
    return FieldErrors(sigmas, *(np.array(a) for a in (rel, ln, le, fe, se)))


@register(chapter=14, kind="statistical")
def check_loss_gap_is_field_error(measurement=None):
    """At every level the network's denoising loss exceeds the exact denoiser's by its field error.

    Tweedie: ``z* = -sigma s_sigma(x~)`` is the conditional mean of ``z`` given
    ``x~``, so ``E||z_hat - z||^2 = E||z* - z||^2 + E||z_hat - z*||^2`` for
    any ``z_hat(x~)``; the cross term ``2 (z_hat - z*).(z* - z)`` has mean zero.
    Measured: the largest ``|z|`` over the 16 levels of the held-out cross term's mean
    over its standard error. Under the claim each ``z`` is about N(0, 1) (n = 2000 per
    level), so ``max |z| > 4`` has probability ``1 - (1 - 6.3e-5)^16 = 1e-3``. Power: the
    exact score at the neighbouring level in place of ``s_sigma`` gives ``|z|`` in the tens.
    """
    m = measure_field_errors() if measurement is None else measurement
    z = (m.loss_net - m.loss_exact - m.field_error) / m.cross_se
    worst = int(np.argmax(np.abs(z)))
    return record("loss gap = field error at every level (Tweedie)", float(np.max(np.abs(z))),
                  0.0, 4.0, detail=f"worst level sigma = {m.sigmas[worst]:.3g}")


# Heuristic threshold for the learned field's relative error (median over levels).
FIELD_TOLERANCE = 0.5


@register(chapter=14, kind="heuristic")
def check_learned_field_close(measurement=None):
    """The multi-level network's field is close to the exact score s_sigma across the levels.

    Measured: the median over the 16 levels of the held-out relative error
    ``sqrt(E||sigma(s_hat - s_sigma)||^2 / E||sigma s_sigma||^2)``. The error is limited
    by the training noise: the predictable part of ``z`` has size ``E||z*||^2 =
    sigma^2 E||s_sigma||^2``, about ``2 sigma^2 / (omega^2 + sigma^2)`` at small sigma,
    against an unpredictable part of size 2 per draw, so at the smallest levels a
    thousand training draws leave an error of the order of the signal; at mid levels
    the training error is a few tenths. Threshold 0.5, a heuristic: a median error
    below it means the field points the right way at most levels; the zero field (r = x)
    gives 1 and the single-level network (sigma = 0.1) more than 1.
    """
    m = measure_field_errors() if measurement is None else measurement
    med = float(np.median(m.relative_error))
    return record("learned field close to s_sigma (median relative error)", med, 0.0,
                  FIELD_TOLERANCE, detail=f"max {np.max(m.relative_error):.2f} at sigma = "
                  f"{m.sigmas[int(np.argmax(m.relative_error))]:.3g}")


@dataclasses.dataclass(frozen=True)
class FarField:
    """Per training seed: the fraction of far-started chains that end outside the data
    region, under the multi-level network (annealed Langevin) and under the
    single-level network (Langevin at sigma = 0.1); ``exact``: the exact score at 0.1."""

    seeds: tuple
    multi: np.ndarray
    single: np.ndarray
    exact: float
    x0: np.ndarray
    final_multi: np.ndarray
    final_single: np.ndarray


def _trapped(X):
    d = target_density()
    return float(np.mean(d.prob(X) < FAR_SETTINGS["region"] * d.prob(d.means).max()))


@cached_on_settings(ignore=("progress",))
def measure_far_field(progress=False):
    """Chains started on a circle of radius 14 (the means are within 4.5 of 0), for each
    of 5 training seeds: 16 x 50 annealed Langevin steps with the multi-level network,
    800 Langevin steps at sigma = 0.1 (step eta_M) with the single-level one."""
    s, f = SETTINGS, FAR_SETTINGS
    sigmas = noise_levels()
    ang = np.linspace(0, 2 * np.pi, f["n_chains"], endpoint=False)
    x0 = f["radius"] * np.column_stack([np.cos(ang), np.sin(ang)])
    multi, single, fm, fs = [], [], None, None
    for seed in f["seeds"]:
        X = target_density().sample(f["n_train"], np.random.default_rng(10 + seed))
        nets = {lo: fit_noise_conditional(X, s["sigma_min"], hi, np.random.default_rng(20 + seed),
                                          hidden=f["hidden"], n_iter=f["n_iter"],
                                          progress=progress)
                for lo, hi in (("multi", s["sigma_max"]), ("single", s["sigma_min"]))}
        rng = np.random.default_rng(30 + seed)
        net = nets["multi"]
        a = annealed_langevin([(lambda x, sg=sg, net=net: net.score(x, sg)) for sg in sigmas],
                              sigmas, x0, s["n_steps"], s["eta"], rng).samples
        one = nets["single"]
        b = unadjusted_langevin(lambda x, one=one: one.score(x, s["sigma_min"]), x0,
                                f["n_langevin"], np.sqrt(s["eta"]), rng).samples[-1]
        multi.append(_trapped(a))
        single.append(_trapped(b))
        if fm is None:
            fm, fs = a, b
    c = unadjusted_langevin(lambda x: exact_score(x, s["sigma_min"]), x0, f["n_langevin"],
                            np.sqrt(s["eta"]), np.random.default_rng(40)).samples[-1]
    return FarField(tuple(f["seeds"]), np.array(multi), np.array(single), _trapped(c), x0, fm, fs)


# Heuristic threshold: the largest trapped fraction over seeds for the multi-level network.
TRAPPED_TOLERANCE = 0.05


@register(chapter=14, kind="heuristic")
def check_far_field_not_trapped(measurement=None, which="multi"):
    """Training across sigma up to 8 removes the far-field traps of a sigma = 0.1 network.

    Measured: the largest, over 5 training seeds, fraction of 200 chains started at
    radius 14 that end where ``p < 1e-4 max p`` (annealed Langevin with the multi-level
    network). A network trained at sigma = 0.1 only never saw a point farther than a
    few tenths from the data, so its field there is whatever its units extrapolate to;
    trained up to sigma = 8 it has seen corrupted points out to radius ~ 25, and its
    field there is the score of ``p_sigma``, pointing in. Threshold 0.05, a heuristic
    (not a prediction): ten chains of 200 on the worst seed. It is not derived from a
    model of the traps; it sits between a few stragglers (a trapped fraction of 0.05
    has binomial standard error 0.015 with 200 chains) and the single-level networks'
    traps, which reach 0.08 to 0.5 on four of the five seeds (one seed's single-level
    network traps almost nothing, so the check takes the maximum over seeds, not one
    seed). The multi-level networks' worst seed is not far below it (a few per cent):
    a sixth seed could cross it. ``which="single"`` measures the single-level network
    (the control).
    """
    m = measure_far_field() if measurement is None else measurement
    values = m.multi if which == "multi" else m.single
    return record("far-started chains reach the data (max trapped fraction over seeds)",
                  float(np.max(values)), 0.0, TRAPPED_TOLERANCE,
                  detail=f"{which}; per seed {np.round(values, 3).tolist()}")


@dataclasses.dataclass(frozen=True)
class SamplerMasses:
    """Mode fractions (3,) and score evaluations per chain of each sampler run
    (keys ``(driver, sampler)``), the target weights and the chains' start."""

    fractions: dict
    n_evals: dict
    chi2: dict
    n_chains: int
    weights: np.ndarray
    samples: dict


def _samplers(score, x0, rng):
    s = SETTINGS
    sigmas = noise_levels()
    al = annealed_langevin([(lambda x, sg=sg: score(x, sg)) for sg in sigmas], sigmas, x0,
                           s["n_steps"], s["eta"], rng).samples
    sde = reverse_ve_sde(score, np.geomspace(s["sigma_max"], s["sigma_min"], s["n_sde"]), x0, rng)
    ode = probability_flow_ode(score, np.geomspace(s["sigma_max"], s["sigma_min"], s["n_ode"]), x0)
    return {"annealed Langevin": (al, len(sigmas) * s["n_steps"]),
            "reverse SDE": (sde.samples, sde.n_evals),
            "probability-flow ODE": (ode.samples, ode.n_evals)}


@functools.lru_cache(maxsize=1)
def measure_sampler_masses():
    """The three samplers driven by the multi-level network and by the exact scores, from
    the same start: 2000 exact draws of ``p_{sigma_1}`` (sigma_1 = 8)."""
    s = SETTINGS
    d = target_density()
    x0 = d.smoothed(s["sigma_max"]).sample(s["n_chains"], np.random.default_rng(s["chain_seed"]))
    net = trained_networks()["multi"]
    out = {}
    for driver, score in (("learned", net.score), ("exact", exact_score)):
        rng = np.random.default_rng(s["chain_seed"] + 1)
        for name, (X, ev) in _samplers(score, x0, rng).items():
            out[(driver, name)] = (X, ev)
    return _masses({k: v[0] for k, v in out.items()}, {k: v[1] for k, v in out.items()})


def _masses(samples, n_evals):
    d = target_density()
    fr = {k: mode_fractions(X, d) for k, X in samples.items()}
    n = len(next(iter(samples.values())))
    chi2 = {k: float(np.sum((f - d.weights) ** 2 / d.weights) * n) for k, f in fr.items()}
    return SamplerMasses(fr, n_evals, chi2, n, d.weights.copy(), samples)


@cached_on_settings
def measure_langevin_attribution(window=(1.0, 3.0), step_counts=(10,)):
    """Where annealed Langevin's mass bias under the network comes from (chi-square values).

    Same start and noise as :func:`measure_sampler_masses`. ``"window"``: the network's
    score at the levels in ``window`` (``lo <= sigma < hi``), the exact score at the
    others; ``"outside"``: the reverse. ``("steps", n)``: the network at every level with
    ``n`` steps per level (step ``eta`` as in the chapter), and ``("exact steps", n)`` the
    exact score with as many. Returns ``{key: chi-square}``.
    """
    s = SETTINGS
    d = target_density()
    sigmas = noise_levels()
    x0 = d.smoothed(s["sigma_max"]).sample(s["n_chains"], np.random.default_rng(s["chain_seed"]))
    net = trained_networks()["multi"]
    lo, hi = window

    def run(learned_at, n_steps):
        fields = [(lambda x, sg=sg: net.score(x, sg)) if learned_at(sg)
                  else (lambda x, sg=sg: exact_score(x, sg)) for sg in sigmas]
        X = annealed_langevin(fields, sigmas, x0, n_steps, s["eta"],
                              np.random.default_rng(s["chain_seed"] + 1)).samples
        return _masses({0: X}, {0: 0}).chi2[0]

    out = {"window": run(lambda sg: lo <= sg < hi, s["n_steps"]),
           "outside": run(lambda sg: not lo <= sg < hi, s["n_steps"])}
    for n in step_counts:
        out[("steps", n)] = run(lambda sg: True, n)
        out[("exact steps", n)] = run(lambda sg: False, n)
    return out


def mass_test_power(shift=0.05, n=None, level=MASS_LEVEL):
    """Power of the chi-square test (2 degrees of freedom) against ``shift`` of mass moved
    from the heaviest mode to the second, with ``n`` chains (noncentral chi-square)."""
    n = SETTINGS["n_chains"] if n is None else n
    w = np.array(SETTINGS["weights"])
    delta = np.array([0.0, shift, -shift])
    nc = n * float(np.sum(delta**2 / w))
    return float(stats.ncx2.sf(stats.chi2.isf(level, 2), 2, nc))


@register(chapter=14, kind="statistical")
def check_exact_sampler_masses(measurement=None, driver="exact"):
    """Driven by the exact scores, all three samplers give p's mode masses.

    The samplers: annealed Langevin, the reverse VE-SDE and the probability-flow ODE.

    Pearson's chi-square (2 degrees of freedom) of the 2000 chains' mode counts against
    the weights, for each sampler, at level 0.01/3 (0.01 over the three, Bonferroni);
    the discretisation bias of the samplers is neglected (the masses are fixed at the
    large levels, where the steps are small against the width of ``p_sigma``). Power
    0.97 against 0.05 of mass moved between the two heaviest modes
    (:func:`mass_test_power`). Measured: the largest statistic; tolerance: the critical
    value. ``driver="learned"`` tests the runs driven by the network.
    """
    m = measure_sampler_masses() if measurement is None else measurement
    stat = {k: v for k, v in m.chi2.items() if k[0] == driver}
    worst = max(stat, key=stat.get)
    crit = float(stats.chi2.isf(MASS_LEVEL, 2))
    return record("mode masses of the three samplers match p (chi-square)", stat[worst], 0.0,
                  crit, detail=f"{driver}; worst: {worst[1]}")
