"""Chapter 6, what a finite auto-encoder learns.

The chapter's objects are built here, once per process: its density, its quadrature
grid, the networks it trains (:func:`train_autoencoder`, :func:`train_three_points`,
cached on their settings so that several checks share one training) and the
measurements its table, figures and checks read (:func:`measure_dae`,
:func:`measure_learning_curve`, ...). The notebook calls the same functions.
"""

import dataclasses
import functools

import numpy as np

from .._validation import as_finite_array, call_checked, check_callable, positive_scalar
from ..criteria import dae_loss_quadrature, quadrature_weights
from ..densities import GaussianMixture, check_mixture
from ..diagnostics import (
    dae_estimation_error_scale,
    far_field_error,
    relative_errors,
    score_error_1d,
)
from ..fields import attractors_1d
from ..models import Autoencoder
from ..optimal import dae_optimum, empirical_dae_optimum, rcae_optimum_1d
from ..training import fit
from . import record, register
from ._common import cached_on_settings

__all__ = [
    "chapter_density",
    "chapter_grid",
    "TrainedAutoencoder",
    "train_autoencoder",
    "train_three_points",
    "DAEMeasurement",
    "measure_dae",
    "RCAEMeasurement",
    "measure_rcae",
    "TABLE_CONFIGS",
    "LearningCurve",
    "measure_learning_curve",
    "ScoreOnData",
    "measure_score_on_data",
    "far_field_limit",
    "ThreePoints",
    "measure_three_points",
    "check_score_on_data",
    "check_excess_loss_rate",
    "check_excess_loss_identity",
    "check_attractors_at_points",
    "KernelEstimate",
    "measure_kernel_estimate",
]

# The chapter's grids: quadrature (holds the mass of p and p_sigma), plotting range, and
# "far": farther than MARGIN from every training point.
GRID = (-8.0, 8.0, 1601)
WIDE = (-10.0, 10.0, 801)
MARGIN = 1.5
N_HERMITE = 60
N_ITER = 300

# The capacity / samples / noise table: (n_samples, n_hidden, sigma), seed 0.
TABLE_CONFIGS = (
    (60, 16, 0.25), (250, 16, 0.25), (1000, 4, 0.25), (1000, 16, 0.125), (1000, 16, 0.18),
    (1000, 16, 0.25), (1000, 16, 0.35), (1000, 16, 0.5), (1000, 64, 0.25), (4000, 16, 0.25),
)
MAIN_CONFIG = (4000, 16, 0.25)

# The learning curve: sample sizes and training seeds.
CURVE_SIZES = (250, 1000, 4000)
CURVE_SEEDS = (0, 1, 2, 3, 4)
RATE_TOLERANCE = 0.3

# The three-point experiment of the paper.
TOY_POINTS = (-0.5, 0.0, 0.5)
TOY_SIGMA = 0.1
TOY_HIDDEN = 20
TOY_NOISE = 100
TOY_ITER = 500
TOY_SEED = 1
TOY_BOUNDS = (-1.5, 1.5)
TOY_TOLERANCE = TOY_SIGMA / 2


def _read_only(a):
    a = np.array(a, dtype=float)
    a.setflags(write=False)
    return a


@functools.lru_cache(maxsize=None)
def chapter_density():
    """The chapter's density: the three-component mixture of chapters 1 and 2.

    Returns
    -------
    GaussianMixture
        Weights (0.3, 0.45, 0.25), means (-2, 0.4, 2.5), variances (0.3, 0.5, 0.25).
    """
    return GaussianMixture([0.3, 0.45, 0.25], [-2.0, 0.4, 2.5], [0.3, 0.5, 0.25])


@functools.lru_cache(maxsize=None)
def chapter_grid():
    """The chapter's quadrature grid, 1601 points on [-8, 8] (read-only)."""
    return _read_only(np.linspace(*GRID))


@functools.lru_cache(maxsize=None)
def _wide():
    return _read_only(np.linspace(*WIDE))


@dataclasses.dataclass(frozen=True)
class TrainedAutoencoder:
    """A network of the chapter, trained: its settings, data, model and parameters."""

    criterion: str
    n_samples: int
    n_hidden: int
    level: float
    seed: int
    X: np.ndarray
    model: Autoencoder
    params: np.ndarray
    loss_history: np.ndarray

    def reconstruct(self, X):
        """``r(X) -> (n, 1)``."""
        return self.model.reconstruct(self.params, X)

    @property
    def n_params(self):
        return self.model.n_params


@cached_on_settings
def train_autoencoder(criterion, n_samples, n_hidden, level, seed=0, n_iter=N_ITER):
    """Train one of the chapter's networks (cached on the settings within the process).

    ``n_samples`` draws of :func:`chapter_density`, an untied tanh auto-encoder with
    ``n_hidden`` units, L-BFGS for ``n_iter`` iterations, all from one generator seeded
    with ``seed`` (sample, initialisation, the one fixed corruption per point).

    Parameters
    ----------
    criterion : {"dae", "rcae"}
    n_samples, n_hidden : int
    level : float
        ``sigma`` (DAE) or ``lam`` (rCAE).
    seed : int
    n_iter : int

    Returns
    -------
    TrainedAutoencoder
    """
    if criterion not in ("dae", "rcae"):
        raise ValueError(f"criterion must be 'dae' or 'rcae'; got {criterion!r}")
    run = np.random.default_rng(seed)
    X = chapter_density().sample(n_samples, run)
    model = Autoencoder(1, n_hidden, activation="tanh")
    keyword = {"sigma": level} if criterion == "dae" else {"lam": level}
    result = fit(model, X, criterion, rng=run, n_iter=n_iter, progress=False, **keyword)
    return TrainedAutoencoder(criterion, n_samples, n_hidden, float(level), seed, _read_only(X),
                              model, _read_only(result.params), _read_only(result.loss_history))


@cached_on_settings
def train_three_points(seed=TOY_SEED):
    """The paper's toy: 20 tanh units, DAE with sigma = 0.1 on the points -0.5, 0, 0.5.

    100 fixed corruptions per point, 500 L-BFGS iterations, initialisation and
    corruptions from a generator seeded with ``seed`` (cached within the process).

    Returns
    -------
    TrainedAutoencoder
    """
    points = np.array(TOY_POINTS)[:, None]
    model = Autoencoder(1, TOY_HIDDEN, activation="tanh")
    result = fit(model, points, "dae", sigma=TOY_SIGMA, rng=np.random.default_rng(seed),
                 n_noise=TOY_NOISE, n_iter=TOY_ITER, progress=False)
    return TrainedAutoencoder("dae", points.shape[0], TOY_HIDDEN, TOY_SIGMA, seed,
                              _read_only(points), model, _read_only(result.params),
                              _read_only(result.loss_history))


@dataclasses.dataclass(frozen=True)
class DAEMeasurement:
    """What the chapter measures on a trained DAE (errors relative to the score's size).

    ``error``: score error on the data; ``bias``: the same error of the exact optimum;
    ``to_optimum``: distance of the estimate to ``s_sigma``; ``scale``: the finite-data
    scale ``sqrt(k L*/M) / sigma^2`` (relative); ``far``: relative error far from the
    data on the plotting range; the training, expected and minimum losses; ``excess``
    ``= expected_loss - optimum_loss``; ``estimate_wide``: the estimate on the plotting
    range.
    """

    sigma: float
    n_params: int
    n_pairs: int
    error: float
    bias: float
    to_optimum: float
    scale: float
    far: float
    train_loss: float
    expected_loss: float
    optimum_loss: float
    excess: float
    estimate_wide: np.ndarray


@cached_on_settings
def _optimum_loss(sigma):
    density = chapter_density()
    return float(dae_loss_quadrature(dae_optimum(density, sigma), density, sigma, chapter_grid(),
                                     n_hermite=N_HERMITE))


def measure_dae(trained):
    """Score errors (on the data, far from it) and the losses of a trained DAE.

    Parameters
    ----------
    trained : TrainedAutoencoder
        A DAE of :func:`train_autoencoder`.

    Returns
    -------
    DAEMeasurement
    """
    if not isinstance(trained, TrainedAutoencoder) or trained.criterion != "dae":
        raise TypeError("trained must be a DAE from train_autoencoder")
    density, grid, x_wide = chapter_density(), chapter_grid(), _wide()
    sigma, r = trained.level, trained.reconstruct
    X_grid, X_wide = grid[:, None], x_wide[:, None]
    estimate = (r(X_grid)[:, 0] - grid) / sigma**2
    target = density.smoothed(sigma).score(X_grid)[:, 0]              # s_sigma
    estimate_wide = (r(X_wide) - X_wide) / sigma**2
    expected_loss = float(dae_loss_quadrature(r, density, sigma, grid, n_hermite=N_HERMITE))
    return DAEMeasurement(
        sigma=sigma, n_params=trained.n_params, n_pairs=trained.n_samples,
        error=score_error_1d(estimate, density, grid),
        bias=score_error_1d(target, density, grid),
        to_optimum=score_error_1d(estimate, density, grid, reference=target),
        scale=dae_estimation_error_scale(density, sigma, trained.n_params, trained.n_samples,
                                         grid),
        far=far_field_error(estimate_wide, density.score(X_wide), X_wide, trained.X, MARGIN),
        train_loss=float(trained.loss_history[-1]),
        expected_loss=expected_loss,
        optimum_loss=_optimum_loss(sigma),
        excess=expected_loss - _optimum_loss(sigma),
        estimate_wide=_read_only(estimate_wide[:, 0]),
    )


@dataclasses.dataclass(frozen=True)
class RCAEMeasurement:
    """Score errors of a trained rCAE against its exact optimum ``r*_lam`` (relative)."""

    lam: float
    error: float
    bias: float
    to_optimum: float
    far: float
    target: np.ndarray
    estimate_wide: np.ndarray


def measure_rcae(trained):
    """Score errors (on the data, far from it) of a trained rCAE.

    Parameters
    ----------
    trained : TrainedAutoencoder
        An rCAE of :func:`train_autoencoder`.

    Returns
    -------
    RCAEMeasurement
        ``target`` is the optimum's estimate ``(r*_lam - x) / lam`` on the grid.
    """
    if not isinstance(trained, TrainedAutoencoder) or trained.criterion != "rcae":
        raise TypeError("trained must be an rCAE from train_autoencoder")
    density, grid, x_wide = chapter_density(), chapter_grid(), _wide()
    lam, r = trained.level, trained.reconstruct
    X_grid, X_wide = grid[:, None], x_wide[:, None]
    r_lam = rcae_optimum_1d(lambda t: density.log_prob(t[:, None]), grid, lam)
    estimate = (r(X_grid)[:, 0] - grid) / lam
    target = (r_lam - grid) / lam
    estimate_wide = (r(X_wide) - X_wide) / lam
    return RCAEMeasurement(
        lam=lam,
        error=score_error_1d(estimate, density, grid),
        bias=score_error_1d(target, density, grid),
        to_optimum=score_error_1d(estimate, density, grid, reference=target),
        far=far_field_error(estimate_wide, density.score(X_wide), X_wide, trained.X, MARGIN),
        target=_read_only(target),
        estimate_wide=_read_only(estimate_wide[:, 0]),
    )


def _excess(reconstruct, sigma):
    """``L_DAE(r) - L_DAE(r*_sigma)`` by Gauss-Hermite quadrature of the loss."""
    density = chapter_density()
    return float(dae_loss_quadrature(reconstruct, density, sigma, chapter_grid(),
                                     n_hermite=N_HERMITE)) - _optimum_loss(sigma)


def _chapter_dae(n_samples, n_hidden, sigma, seed):
    return train_autoencoder("dae", n_samples, n_hidden, sigma, seed).reconstruct


# ---------------------------------------------------------------- score on the data


@dataclasses.dataclass(frozen=True)
class ScoreOnData:
    """Excess expected losses of trained DAEs against the least-squares scale ``k L*/M``.

    One entry per configuration ``(n_samples, n_hidden, sigma)``: ``bound`` is
    ``k L_DAE(r*_sigma) / M``, ``null`` the excess of ``r = x`` (the zero score
    estimate), ``excess`` that of the trained network (``nan`` where not trained
    because ``null <= bound``: there the claim cannot tell a network from ``r = x``),
    ``informative`` whether ``bound < null``.
    """

    configs: tuple
    bound: np.ndarray
    null: np.ndarray
    excess: np.ndarray
    informative: np.ndarray

    @property
    def ratio(self):
        """``excess / bound`` (the effective share of the ``k`` parameters)."""
        return self.excess / self.bound


def measure_score_on_data(configs=TABLE_CONFIGS, fitter=None, min_hidden=16):
    """Excess expected loss of each trained DAE of the table against ``k L*/M``.

    Only configurations with at least ``min_hidden`` units and ``k L*/M`` below the
    excess of ``r = x`` are trained (the others are measured for ``bound`` and ``null``
    only): the claim ignores the approximation error of a network too small to
    represent ``r*_sigma``, and where ``r = x`` is within the bound it cannot fail.

    Parameters
    ----------
    configs : sequence of (n_samples, n_hidden, sigma)
    fitter : callable, optional
        ``fitter(n_samples, n_hidden, sigma) -> r``; default the chapter's DAE, seed 0.
    min_hidden : int

    Returns
    -------
    ScoreOnData
    """
    if fitter is None:
        def fitter(n, h, sigma):
            return _chapter_dae(n, h, sigma, 0)
    check_callable(fitter, "fitter")
    configs = tuple(tuple(c) for c in configs)
    bound, null, excess, informative = [], [], [], []
    for n_samples, n_hidden, sigma in configs:
        k = Autoencoder(1, n_hidden).n_params
        bound.append(k * _optimum_loss(sigma) / n_samples)
        null.append(_excess(lambda X: X, sigma))
        informative.append(bound[-1] < null[-1] and n_hidden >= min_hidden)
        excess.append(_excess(fitter(n_samples, n_hidden, sigma), sigma) if informative[-1]
                      else np.nan)
    return ScoreOnData(configs, _read_only(bound), _read_only(null), _read_only(excess),
                       np.array(informative))


@register(chapter=6, kind="statistical")
def check_score_on_data(measurement=None):
    """Item 3: a trained DAE's excess expected loss is at most ``k L*/M``, where r = x exceeds it.

    By item 2 the excess expected loss is exactly the ``p_sigma``-weighted squared
    distance of ``r`` to the optimum, ``sigma^4`` times that of the score estimate to
    ``s_sigma``: the score error the loss sees. A least-squares fit with ``k``
    parameters to ``M`` pairs whose targets scatter with variance ``L* =
    L_DAE(r*_sigma)`` has expected excess ``k_eff L* / M``, with ``k_eff <= k`` the
    effective number of free parameters (redundant directions of the network and the
    finite number of L-BFGS steps lower it). Measured: the largest ``excess / (k L*/M)``
    over the configurations of :func:`measure_score_on_data`; expected at most 1
    (recorded as 0 with tolerance 1).

    Statistical: around its mean the excess scatters like ``L* chi^2_{k_eff} / M``; at
    the ``k_eff`` of 10 to 25 measured over 8 seeds at ``N = 4000``, the chance that one
    configuration exceeds ``k L*/M`` (``k = 49``) is below 1e-3. The approximation
    error of a network too small to represent ``r*_sigma`` is not in the claim, so
    networks with fewer than 16 units are left out. Power: only configurations where
    ``r = x`` (the zero score) exceeds ``k L*/M`` count, so ``r = x`` fails by
    construction, a sign-flipped optimum (4 times the excess of ``r = x``) too; the
    check also fails if no configuration is informative.

    Limits: the bound is an order of magnitude, 1.6 to 6.6 times below the excess of ``r
    = x``; reconstructions modestly close to ``r*_sigma`` (``r*`` at 0.8 sigma or 1.2
    sigma, ``x + 0.9 sigma^2 s_sigma``) pass, while ``r*`` at 1.4 sigma fails.

    Parameters
    ----------
    measurement : ScoreOnData, optional
        Default :func:`measure_score_on_data` (the chapter's table, seed 0).

    Returns
    -------
    CheckResult
    """
    m = measure_score_on_data() if measurement is None else measurement
    if not isinstance(m, ScoreOnData):
        raise TypeError(f"measurement must be a ScoreOnData; got {type(m).__name__}")
    used = np.flatnonzero(m.informative)
    ratio = m.ratio[used]
    worst = float(np.max(ratio)) if used.size else float("inf")
    rows = [f"N={m.configs[i][0]} H={m.configs[i][1]} sigma={m.configs[i][2]:g}: "
            f"{m.ratio[i]:.2f} (r = x {m.null[i] / m.bound[i]:.2f})" for i in used]
    return record(
        "DAE excess loss / (k L*/M) <= 1 where r = x exceeds it", worst, 0.0, 1.0,
        "excess / (k L*/M): " + "; ".join(rows) + f"; {m.configs.__len__() - used.size} "
        "configurations left out (r = x within the bound, or fewer than 16 units)",
        require=used.size > 0,
    )


# ---------------------------------------------------------------- learning curve


@dataclasses.dataclass(frozen=True)
class LearningCurve:
    """Excess expected losses and score errors over sample sizes and training seeds.

    Arrays of shape ``(len(sample_sizes), len(seeds))``: ``excess`` (exact by item 2:
    the ``p_sigma``-weighted squared distance to the optimum), ``error`` (score error
    on the data), ``to_optimum`` (distance to ``s_sigma`` on the data). ``slope``: the
    least-squares slope of ``log(mean excess over seeds)`` against ``log N`` (``nan`` for
    a single size).
    """

    sample_sizes: tuple
    seeds: tuple
    n_hidden: int
    sigma: float
    optimum_loss: float
    excess: np.ndarray
    error: np.ndarray
    to_optimum: np.ndarray
    slope: float


def measure_learning_curve(sample_sizes=CURVE_SIZES, seeds=CURVE_SEEDS, n_hidden=16,
                           sigma=0.25, fitter=None):
    """Train the chapter's DAE for each sample size and seed; measure its excess loss.

    Parameters
    ----------
    sample_sizes, seeds : sequence of int
    n_hidden : int
    sigma : float
    fitter : callable, optional
        ``fitter(n_samples, seed) -> r``; default the chapter's DAE
        (:func:`train_autoencoder`).

    Returns
    -------
    LearningCurve
    """
    sigma = positive_scalar(sigma, "sigma")
    if fitter is None:
        def fitter(n, seed):
            return _chapter_dae(n, n_hidden, sigma, seed)
    check_callable(fitter, "fitter")
    density, grid = chapter_density(), chapter_grid()
    X_grid = grid[:, None]
    target = density.smoothed(sigma).score(X_grid)[:, 0]
    sizes, seeds = tuple(int(n) for n in sample_sizes), tuple(int(seed) for seed in seeds)
    if not sizes or not seeds:
        raise ValueError(f"sample_sizes and seeds must not be empty; got {sizes}, {seeds}")
    shape = (len(sizes), len(seeds))
    excess, error, to_optimum = np.empty(shape), np.empty(shape), np.empty(shape)
    for i, n in enumerate(sizes):
        for j, seed in enumerate(seeds):
            r = fitter(n, seed)
            estimate = (call_checked(r, X_grid, "fitter's r")[:, 0] - grid) / sigma**2
            excess[i, j] = _excess(r, sigma)
            error[i, j] = score_error_1d(estimate, density, grid)
            to_optimum[i, j] = score_error_1d(estimate, density, grid, reference=target)
    mean = np.mean(excess, axis=1)
    slope = (float(np.polyfit(np.log(sizes), np.log(mean), 1)[0])
             if len(sizes) > 1 and np.all(mean > 0) else float("nan"))
    return LearningCurve(sizes, seeds, n_hidden, sigma, _optimum_loss(sigma), _read_only(excess),
                         _read_only(error), _read_only(to_optimum), slope)


@register(chapter=6, kind="statistical")
def check_excess_loss_rate(measurement=None):
    """Item 3: the distance to the optimum shrinks with the sample: excess loss ~ 1/N.

    The excess expected loss (exactly the ``p_sigma``-weighted squared distance to
    ``r*_sigma``, item 2) of a least-squares fit falls like ``k_eff L* / N``. Measured:
    the slope of ``log`` (mean over 5 training seeds of the excess) against ``log N``
    for ``N`` = 250, 1000, 4000 (16 units, ``sigma = 0.25``); expected -1.

    Statistical: each excess scatters like ``L* chi^2_{k_eff} / N``; with ``k_eff``
    about 10 to 25 the mean of 5 seeds has a relative spread of about 0.2, so the
    slope over a factor 16 in ``N`` has a standard error of about 0.1. The tolerance
    ``RATE_TOLERANCE`` = 0.3 is 3 standard errors (false rejection about 0.3 %
    under a normal approximation); an approximation-error floor of the 16-unit network
    would flatten the slope and is part of what the check can detect. Power: a network
    that learns nothing from the extra samples (``r = x``, a sign-flipped optimum, a
    fit that always sees the same 250 points) has slope 0, 10 standard errors away.

    Parameters
    ----------
    measurement : LearningCurve, optional
        Default :func:`measure_learning_curve`.

    Returns
    -------
    CheckResult
    """
    m = measure_learning_curve() if measurement is None else measurement
    if not isinstance(m, LearningCurve):
        raise TypeError(f"measurement must be a LearningCurve; got {type(m).__name__}")
    k_eff = np.mean(m.excess, axis=1) * np.array(m.sample_sizes) / m.optimum_loss
    return record(
        "DAE excess loss falls like 1/N (slope, 5 seeds)", m.slope, -1.0, RATE_TOLERANCE,
        f"N = {list(m.sample_sizes)}, seeds {list(m.seeds)}: mean excess x N / L* "
        f"{np.round(k_eff, 1).tolist()}",
    )


# ---------------------------------------------------------------- far field (algebra)


def far_field_limit(reconstruct, scale, points=(-1000.0, 1000.0), density=None):
    """Relative error of ``(r(x) - x) / scale`` far out, and its limit for a bounded ``r``.

    For a bounded ``r`` (a network with sigmoid or tanh units) the estimate grows like
    ``-x / scale`` while the score of a Gaussian mixture far in a tail is that of the
    dominant component, ``-(x - mu) / v``; the relative error tends to
    ``|v / scale - 1|``, with a correction ``(v / scale) (|r| + |mu|) / |x|``. This
    holds for every bounded ``r`` (it is a property of the architecture, not of the
    training); it is algebra, tested in the unit tests, not a registered check.

    Parameters
    ----------
    reconstruct : callable
        ``r(X) -> (n, 1)``.
    scale : float
        ``sigma^2`` (DAE) or ``lam`` (rCAE).
    points : sequence of float
    density : GaussianMixture, optional
        Default :func:`chapter_density`.

    Returns
    -------
    tuple of ndarray
        The measured relative errors at ``points`` and their limits ``|v / scale - 1|``.
    """
    density = chapter_density() if density is None else check_mixture(density, dim=1)
    check_callable(reconstruct, "reconstruct")
    scale = positive_scalar(scale, "scale")
    P = as_finite_array(points, "points", ndim=1)[:, None]
    estimate = (call_checked(reconstruct, P, "reconstruct") - P) / scale
    measured = relative_errors(estimate, density.score(P))
    dominant = np.argmax(density.component_responsibilities(P), axis=1)
    limit = np.abs(density.covariances[dominant, 0, 0] / scale - 1.0)
    return measured, limit


# ---------------------------------------------------------------- excess-loss identity


@register(chapter=6, kind="identity")
def check_excess_loss_identity(reconstruct=None, optimum=None, sigma=MAIN_CONFIG[2]):
    """Item 2: excess expected DAE loss = ``p_sigma``-weighted squared distance to the optimum.

    ``L_DAE(r) - L_DAE(r*) = integral p_sigma (r - r*)^2`` for every ``r`` exactly when
    ``r* = r*_sigma = E[x | x~]`` (the cross term vanishes). The two sides are computed
    independently: the left by Gauss-Hermite quadrature of the loss over the
    corruption of ``p`` (60 nodes) and the trapezoid rule in ``x``, the right by the
    trapezoid rule against the closed-form smoothed density ``p_sigma``. Both are
    accurate to about 1e-10 relative for smooth ``r`` on the chapter's grid (spacing
    0.01 against ``sigma = 0.25``), so the tolerance, 1e-6 of the right-hand side,
    leaves room for quadrature only, not for a missing term.

    Power: with any other ``r*`` in place of ``r*_sigma`` the cross term
    ``2 integral p_sigma (r - r*)(r* - r*_sigma)`` no longer vanishes; replacing the
    optimum by ``r*`` at 1.2 sigma, or by the unsmoothed ``x + sigma^2 s(x)``, moves the
    two sides apart by a fraction of the excess.

    Parameters
    ----------
    reconstruct : callable, optional
        ``r(X) -> (n, 1)``; default the chapter's main DAE (4000 samples, 16 units,
        ``sigma = 0.25``, seed 0).
    optimum : callable, optional
        The ``r*`` of both sides; default the exact ``r*_sigma``.
    sigma : float

    Returns
    -------
    CheckResult
    """
    sigma = positive_scalar(sigma, "sigma")
    density, grid = chapter_density(), chapter_grid()
    if reconstruct is None:
        reconstruct = _chapter_dae(*MAIN_CONFIG[:2], sigma, 0)
    optimum = dae_optimum(density, sigma) if optimum is None else optimum
    check_callable(reconstruct, "reconstruct")
    check_callable(optimum, "optimum")
    excess = (float(dae_loss_quadrature(reconstruct, density, sigma, grid, n_hermite=N_HERMITE))
              - float(dae_loss_quadrature(optimum, density, sigma, grid, n_hermite=N_HERMITE)))
    X = grid[:, None]
    diff = (call_checked(reconstruct, X, "reconstruct")[:, 0]
            - call_checked(optimum, X, "optimum")[:, 0])
    distance = float(np.sum(quadrature_weights(grid) * density.smoothed(sigma).prob(X)
                            * diff**2))
    tol = 1e-6 * abs(distance)
    return record(
        "excess DAE loss = int p_sigma (r - r*)^2", excess, distance, tol,
        f"sigma={sigma:g}; relative difference "
        f"{abs(excess - distance) / max(distance, 1e-300):.2g}",
    )


# ---------------------------------------------------------------- three points


@dataclasses.dataclass(frozen=True)
class ThreePoints:
    """Fixed points of a reconstruction trained on the three points."""

    points: np.ndarray
    attractors: np.ndarray
    repellers: np.ndarray
    fit_error: float

    @property
    def shift(self):
        """Largest distance from a training point to its nearest attractor (inf if none)."""
        if self.attractors.size == 0:
            return float("inf")
        return float(np.max(np.min(np.abs(self.points[:, None] - self.attractors[None, :]),
                                   axis=1)))

    @property
    def one_each(self):
        """Exactly one attractor per point, each nearer to its own point than to others."""
        if self.attractors.size != self.points.size:
            return False
        nearest = np.argmin(np.abs(self.points[:, None] - self.attractors[None, :]), axis=0)
        return bool(np.unique(nearest).size == self.points.size)

    @property
    def outer_repellers(self):
        """Repellers beyond the outermost training points."""
        return self.repellers[np.abs(self.repellers) > np.max(np.abs(self.points))]


def measure_three_points(reconstruct=None, seed=TOY_SEED):
    """Attractors and repellers on [-1.5, 1.5] of a DAE trained on the three points.

    Parameters
    ----------
    reconstruct : callable, optional
        ``r(X) -> (n, 1)``; default :func:`train_three_points` with ``seed``.
    seed : int

    Returns
    -------
    ThreePoints
        ``fit_error``: largest ``|r - r_empirical|`` at the points.
    """
    if reconstruct is None:
        reconstruct = train_three_points(seed).reconstruct
    check_callable(reconstruct, "reconstruct")
    points = np.array(TOY_POINTS)[:, None]
    attractors, repellers = attractors_1d(reconstruct, *TOY_BOUNDS, return_repellers=True)
    optimum = empirical_dae_optimum(points, TOY_SIGMA)
    fit_error = float(np.max(np.abs(call_checked(reconstruct, points, "reconstruct")
                                    - optimum(points))))
    return ThreePoints(_read_only(points[:, 0]), _read_only(attractors), _read_only(repellers),
                       fit_error)


@register(chapter=6, kind="numerical")
def check_attractors_at_points(measurement=None):
    """Item 3, extreme case: a DAE trained on three points has one attractor at each of them.

    Measured: the largest distance between a training point and its nearest attractor
    of ``r`` on [-1.5, 1.5]; expected 0 within ``TOY_TOLERANCE`` = ``sigma / 2`` =
    0.05, and exactly one attractor per point is required. The empirical optimum has
    its attractors at the points to within 1e-5; a reconstruction error ``dr`` at a
    point moves its attractor by about ``dr / (1 - r')`` with ``r' ~ 0`` there. The
    criterion cannot resolve structure finer than ``sigma``, and each basin reaches
    halfway (0.25) to the next point, so within ``sigma / 2`` an attractor is
    unambiguously "at" its point. Fails for ``r = x`` (no isolated fixed point), for
    the empirical optimum at ``sigma = 1`` (one attractor), for a field shifted by
    2 sigma.

    Parameters
    ----------
    measurement : ThreePoints, optional
        Default :func:`measure_three_points` (the chapter's network, seed 1).

    Returns
    -------
    CheckResult
    """
    m = measure_three_points() if measurement is None else measurement
    if not isinstance(m, ThreePoints):
        raise TypeError(f"measurement must be a ThreePoints; got {type(m).__name__}")
    return record(
        "one attractor at each training point", m.shift, 0.0, TOY_TOLERANCE,
        f"{m.attractors.size} attractors at {np.round(m.attractors, 3).tolist()} for "
        f"{m.points.size} points",
        require=m.one_each,
    )



@dataclasses.dataclass(frozen=True)
class KernelEstimate:
    """The empirical DAE optimum of a training sample as a kernel density estimate.

    On the chapter's grid: ``density`` is ``p_hat_sigma = (1/N) sum_i N(x_i, sigma^2)``
    (the Gaussian kernel density estimate of bandwidth ``sigma``), ``smoothed`` is
    ``p_sigma``, ``score`` is ``grad log p_hat_sigma = (r_hat*(x) - x) / sigma^2`` with
    ``r_hat*`` the empirical optimum. Relative ``p``-weighted score errors, as in the
    chapter's table: ``error`` against ``s``, ``bias`` (of ``s_sigma`` against ``s``) and
    ``to_optimum`` (against ``s_sigma``), the part due to the finite sample alone.
    """

    sigma: float
    n_samples: int
    density: np.ndarray
    smoothed: np.ndarray
    score: np.ndarray
    error: float
    bias: float
    to_optimum: float


def measure_kernel_estimate(sigma, n_samples=1000, seed=0):
    """What a DAE of unlimited capacity learns from the chapter's sample (item 3).

    The sample is the one :func:`train_autoencoder` draws for ``(n_samples, seed)``; no
    network is trained.

    Parameters
    ----------
    sigma : float
        The noise level, which is the kernel's bandwidth.
    n_samples : int
    seed : int

    Returns
    -------
    KernelEstimate
    """
    sigma = positive_scalar(sigma, "sigma")
    density, grid = chapter_density(), chapter_grid()
    X = chapter_density().sample(n_samples, np.random.default_rng(seed))
    X_grid = grid[:, None]
    d2 = (grid[:, None] - X[None, :, 0]) ** 2
    kde = np.mean(np.exp(-d2 / (2 * sigma**2)), axis=1) / np.sqrt(2 * np.pi * sigma**2)
    score = (empirical_dae_optimum(X, sigma)(X_grid)[:, 0] - grid) / sigma**2
    target = density.smoothed(sigma).score(X_grid)[:, 0]
    return KernelEstimate(
        sigma=sigma, n_samples=int(n_samples), density=_read_only(kde),
        smoothed=_read_only(density.smoothed(sigma).prob(X_grid)), score=_read_only(score),
        error=score_error_1d(score, density, grid), bias=score_error_1d(target, density, grid),
        to_optimum=score_error_1d(score, density, grid, reference=target),
    )
