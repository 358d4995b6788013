"""Chapter 2, the optimal DAE: Theorem 1, its small-noise expansion, the Gaussian case."""

import dataclasses

import numpy as np
from scipy.special import logsumexp

from .. import criteria, diagnostics, optimal
from .._grid import trapezoid_weights
from .._validation import (
    as_points,
    call_checked,
    check_callable,
    increasing_grid,
    positive_int,
    positive_scalar,
)
from ..densities import GaussianMixture
from . import record, register
from ._common import (
    SLOPE_TOLERANCE,
    data_mask_1d,
    density_1d,
    noise_levels_arg,
    power_law_slope,
    support,
)

__all__ = [
    "chapter_density",
    "DaeScoreErrors",
    "measure_dae_score_errors",
    "check_dae_optimum_exact",
    "check_dae_score_error_order",
    "check_dae_second_order_coefficient",
    "GaussianOptima",
    "measure_gaussian_optima",
    "check_gaussian_closed_form",
]


def chapter_density():
    """The chapter's density (the mixture of chapter 1): weights (0.3, 0.45, 0.25), means
    (-2, 0.4, 2.5), variances (0.3, 0.5, 0.25)."""
    return GaussianMixture([0.3, 0.45, 0.25], [-2.0, 0.4, 2.5], [0.3, 0.5, 0.25])


@register(chapter=2, kind="identity")
def check_dae_optimum_exact(density=None, optimum=None, sigmas=(0.05, 0.3, 1.0), n_points=201,
                            n_grid=8001, bounds=None):
    """Tweedie's closed form is Theorem 1's posterior mean ``E[x | x + eps = x~]``.

    The posterior mean is computed by direct quadrature,
    ``sum_j p(x_j) phi_sigma(x~ - x_j) x_j / sum_j p(x_j) phi_sigma(x~ - x_j)`` with
    trapezoid weights on ``n_grid`` points (in log space), independently of Tweedie's
    formula, and compared with ``optimum(density, sigma)`` at ``n_points`` points
    where there is data.

    Tolerance 1e-8: the trapezoid rule on a Gaussian-tailed integrand whose width is
    at least 20 grid spacings errs by far less than 1e-12, so only rounding
    (about 1e-15 here) separates two correct answers.

    Parameters
    ----------
    density : object, optional
        A 1-D density; default :func:`chapter_density`.
    optimum : callable, optional
        ``optimum(density, sigma) -> r``; default :func:`raetut.optimal.dae_optimum`.
    sigmas : sequence of float
        Noise levels, > 0, each at least 20 grid spacings (the chapter's figures use
        0.3 to 1; 0.05 adds a small one).
    n_points, n_grid : int
        Evaluation points and quadrature nodes.
    bounds : tuple of float, optional
        Interval holding the mass of ``p`` (default: from the density).

    Returns
    -------
    CheckResult
    """
    density = density_1d(density, default=chapter_density)
    optimum = check_callable(optimal.dae_optimum if optimum is None else optimum, "optimum")
    sigmas = [positive_scalar(s, "sigmas") for s in np.atleast_1d(sigmas)]
    lower, upper = support(density, bounds)
    x = np.linspace(lower, upper, positive_int(n_grid, "n_grid", minimum=3))
    if x[1] - x[0] > min(sigmas) / 20:
        raise ValueError(f"n_grid={n_grid} is too small: the spacing must be <= min(sigmas) / 20")
    log_mass = density.log_prob(x[:, None]) + np.log(criteria.quadrature_weights(x))
    points = np.linspace(lower, upper, positive_int(n_points, "n_points", minimum=2))
    X = points[data_mask_1d(density, points)][:, None]
    worst = 0.0
    for sigma in sigmas:
        log_w = log_mass[None, :] - (X - x[None, :]) ** 2 / (2.0 * sigma**2)
        posterior_mean = np.exp(log_w - logsumexp(log_w, axis=1, keepdims=True)) @ x
        r = call_checked(optimum(density, sigma), X, "the optimum")
        worst = max(worst, float(np.max(np.abs(r[:, 0] - posterior_mean))))
    return record(
        "Tweedie closed form = posterior mean E[x | x~] (quadrature)", worst, 0.0, 1e-8,
        f"max |r - E[x|x~]| over {len(X)} points, sigma in {sigmas}",
    )


# ---------------------------------------------------------------- order and coefficient

# The chapter's figure of the score error: noise levels and plotting grid.
SIGMAS = (0.01, 0.16, 9)
PLOT_RANGE = (-3.5, 4.0, 751)


@dataclasses.dataclass(frozen=True)
class DaeScoreErrors:
    """The score error ``(r(x) - x) / sigma^2 - s(x)`` of an optimum on a grid, for several sigma.

    Attributes
    ----------
    sigmas : ndarray, shape (k,)
    x : ndarray, shape (m,)
    data : ndarray of bool, shape (m,)
        Where ``p >= 0.01 max p``.
    errors : ndarray, shape (k, m)
        Signed score errors.
    max_error : ndarray, shape (k,)
        ``max |error|`` where there is data.
    correction : ndarray, shape (m,)
        The predicted coefficient ``c = Delta s / 2 + (grad s) s``.
    extrapolated : ndarray, shape (m,)
        ``error / sigma^2`` extrapolated to ``sigma = 0`` by a least-squares fit of
        ``c + c1 sigma^2 + c2 sigma^4`` at each ``x``.
    """

    sigmas: np.ndarray
    x: np.ndarray
    data: np.ndarray
    errors: np.ndarray
    max_error: np.ndarray
    correction: np.ndarray
    extrapolated: np.ndarray

    @property
    def fit(self):
        """The power law fitted to ``max_error`` (:func:`raetut.diagnostics.fit_power_law`)."""
        return power_law_slope(self.sigmas, self.max_error)


def measure_dae_score_errors(density=None, optimum=None, correction=None, sigmas=None, x=None):
    """The score error of ``optimum(density, sigma)`` for several noise levels.

    Parameters
    ----------
    density : object, optional
        A 1-D density; default :func:`chapter_density`.
    optimum : callable, optional
        ``optimum(density, sigma) -> r``; default :func:`raetut.optimal.dae_optimum`.
    correction : callable, optional
        ``correction(density, X) -> (n, 1)``, the predicted ``sigma^2`` coefficient;
        default :func:`raetut.optimal.dae_score_correction`.
    sigmas : array_like, optional
        At least 3 noise levels; default the chapter's, 9 from 0.01 to 0.16.
    x : array_like, optional
        Evaluation grid; default the chapter's, 751 points on [-3.5, 4].

    Returns
    -------
    DaeScoreErrors
    """
    density = density_1d(density, default=chapter_density)
    optimum = check_callable(optimal.dae_optimum if optimum is None else optimum, "optimum")
    correction = check_callable(
        optimal.dae_score_correction if correction is None else correction, "correction"
    )
    sigmas = noise_levels_arg(sigmas, SIGMAS, "sigmas")
    x = np.linspace(*PLOT_RANGE) if x is None else increasing_grid(x, "x")
    X = x[:, None]
    s = density.score(X)[:, 0]
    errors = np.stack([
        (call_checked(optimum(density, sg), X, "the optimum")[:, 0] - x) / sg**2 - s
        for sg in sigmas
    ])
    data = data_mask_1d(density, x)
    c = call_checked(lambda Z: correction(density, Z), X, "correction")[:, 0]
    extrapolated = diagnostics.fit_leading_coefficient(sigmas, errors, 2, n_corrections=2, step=2)
    return DaeScoreErrors(sigmas, x, data, errors, np.max(np.abs(errors[:, data]), axis=1), c,
                          extrapolated)


def _score_errors(measurement):
    m = measure_dae_score_errors() if measurement is None else measurement
    if not isinstance(m, DaeScoreErrors):
        raise TypeError(f"measurement must be a DaeScoreErrors; got {type(m).__name__}")
    return m


@register(chapter=2, kind="numerical")
def check_dae_score_error_order(measurement=None):
    """The score error ``(r*_sigma(x) - x) / sigma^2 - s(x)`` is ``O(sigma^2)`` where there is data.

    The claim of prop-dae-second-order.

    The maximum of the score error over points with ``p >= 0.01 max p`` is measured for
    the chapter's noise levels (0.01 to 0.16; the rounding error ``1e-16 |x| / sigma^2``
    stays below 1e-11) and its log-log slope fitted; expected 2, tolerance
    ``SLOPE_TOLERANCE`` (0.1): the next term, ``sigma^4``, is ``(sigma / l)^2 < 0.1``
    of the leading one (``l = 0.5`` the smallest component width) and bends the fitted
    slope by a few hundredths. A field with the wrong coefficient (``x + 2 sigma^2 s``)
    or exactly ``x + sigma^2 s`` has order 0; the right order with the wrong
    coefficient is caught by :func:`check_dae_second_order_coefficient`.

    Parameters
    ----------
    measurement : DaeScoreErrors, optional
        Default :func:`measure_dae_score_errors` with the chapter's settings.

    Returns
    -------
    CheckResult
    """
    m = _score_errors(measurement)
    fit = m.fit
    return record(
        "DAE score error (r-x)/sigma^2 - s = O(sigma^2)", fit.slope, 2.0, SLOPE_TOLERANCE,
        f"max error = {fit.constant:.4g} sigma^{fit.slope:.3f}, "
        f"sigma {m.sigmas[0]:g}..{m.sigmas[-1]:g}",
    )


@register(chapter=2, kind="numerical")
def check_dae_second_order_coefficient(measurement=None):
    """``(r*_sigma - x - sigma^2 s) / sigma^4 -> Delta s / 2 + (grad s) s``.

    The coefficient of prop-dae-second-order.

    At each point the quotient is extrapolated to ``sigma -> 0`` by a least-squares fit
    of ``c + c1 sigma^2 + c2 sigma^4`` over the chapter's noise levels
    (:func:`raetut.diagnostics.fit_leading_coefficient`) and compared with the
    predicted ``c``. Measured: the largest error where there is data, relative to
    ``max |c|`` there; expected 0, tolerance 1e-3. After the fit the neglected
    ``sigma^8`` term leaves a relative error of about ``(sigma_max / l)^6 = 1.1e-3``
    with ``l = 0.5`` the smallest component width (an upper estimate: the fit spreads
    it over the range), and rounding contributes ``1e-16 |x| / sigma_min^4 ~ 1e-8``.
    The rCAE's coefficient ``Delta s + (grad s) s`` is off by half of ``Delta s``, and a
    field smoothed twice as much, ``x + sigma^2 grad log p_{sqrt 2 sigma}``, by 100 %.

    Parameters
    ----------
    measurement : DaeScoreErrors, optional
        Default :func:`measure_dae_score_errors` with the chapter's settings.

    Returns
    -------
    CheckResult
    """
    m = _score_errors(measurement)
    c = m.correction[m.data]
    error = np.max(np.abs(m.extrapolated[m.data] - c)) / np.max(np.abs(c))
    return record(
        "DAE sigma^4 term -> Delta s/2 + (grad s)s", error, 0.0, 1e-3,
        f"relative to max|c| = {np.max(np.abs(c)):.4g}; sigma {m.sigmas[0]:g}..{m.sigmas[-1]:g}",
    )


# -------------------------------------------------------------------------- Gaussian data

# The chapter's Gaussian: wide along x1, thin along x2, and its noise level.
GAUSSIAN_MEAN = (0.0, 0.0)
GAUSSIAN_COV = ((1.0, 0.0), (0.0, 0.1))
GAUSSIAN_SIGMA = 0.4


@dataclasses.dataclass(frozen=True)
class GaussianOptima:
    """Three computations of the optimal DAE of ``N(mean, cov)`` at the points ``X``.

    ``closed_form`` is the shrinkage formula under test; ``tweedie`` is
    :func:`raetut.optimal.dae_optimum` of the one-component mixture (the smoothed
    mixture's score); ``posterior_mean`` is ``E[x | x~]`` by a 2-D trapezoid quadrature of
    Theorem 1's ratio of integrals.
    """

    X: np.ndarray
    closed_form: np.ndarray
    tweedie: np.ndarray
    posterior_mean: np.ndarray
    sigma: float


def _gaussian_posterior_mean(mean, cov, sigma, X, half_width, n_nodes):
    # Theorem 1 on a tensor trapezoid grid: weights N(x; mean, cov) phi_sigma(x~ - x).
    d = mean.size
    axes = [np.linspace(m - half_width, m + half_width, n_nodes) for m in mean]
    nodes = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, d)
    log_w1 = np.log(trapezoid_weights(axes[0]))
    log_trap = sum(np.meshgrid(*([log_w1] * d), indexing="ij")).reshape(-1)
    centred = nodes - mean
    log_prior = -0.5 * np.einsum("ni,ni->n", centred, np.linalg.solve(cov, centred.T).T)
    log_mass = log_prior + log_trap
    out = np.empty_like(X)
    for start in range(0, len(X), 16):
        chunk = X[start:start + 16]
        sq = np.sum((chunk[:, None, :] - nodes[None, :, :]) ** 2, axis=2)
        log_w = log_mass[None, :] - sq / (2.0 * sigma**2)
        w = np.exp(log_w - logsumexp(log_w, axis=1, keepdims=True))
        out[start:start + 16] = w @ nodes
    return out


def measure_gaussian_optima(mean=GAUSSIAN_MEAN, cov=GAUSSIAN_COV, sigma=GAUSSIAN_SIGMA,
                            closed_form=None, X=None, half_width=6.0, n_nodes=241):
    """The Gaussian optimal DAE by its closed form, by Tweedie's formula and by quadrature.

    Parameters
    ----------
    mean : array_like, shape (d,)
    cov : array_like, shape (d, d)
    sigma : float
    closed_form : callable, optional
        ``closed_form(mean, cov, sigma) -> r``; default
        :func:`raetut.optimal.gaussian_dae_optimum`.
    X : array_like, shape (n, d), optional
        Default: a 15 x 15 grid on ``[-3, 3]^2`` (for d = 2).
    half_width : float
        The quadrature grid covers ``mean +- half_width`` in each coordinate.
    n_nodes : int
        Quadrature nodes per coordinate.

    Returns
    -------
    GaussianOptima
    """
    closed_form = check_callable(closed_form or optimal.gaussian_dae_optimum, "closed_form")
    sigma = positive_scalar(sigma, "sigma")
    mean = np.atleast_1d(np.asarray(mean, dtype=float))
    cov = np.atleast_2d(np.asarray(cov, dtype=float))
    d = mean.size
    if X is None:
        axes = [np.linspace(-3.0, 3.0, 15)] * d
        X = np.stack(np.meshgrid(*axes), axis=-1).reshape(-1, d)
    X = as_points(X, dim=d)
    mixture = GaussianMixture([1.0], mean[None, :], cov[None, :, :])
    return GaussianOptima(
        X=X,
        closed_form=call_checked(closed_form(mean, cov, sigma), X, "closed_form"),
        tweedie=call_checked(optimal.dae_optimum(mixture, sigma), X, "dae_optimum"),
        posterior_mean=_gaussian_posterior_mean(mean, cov, sigma, X, positive_scalar(
            half_width, "half_width"), positive_int(n_nodes, "n_nodes", minimum=3)),
        sigma=sigma,
    )


@register(chapter=2, kind="identity")
def check_gaussian_closed_form(measurement=None):
    """For ``N(mu, Sigma)``, ``r*_sigma = mu + Sigma (Sigma + sigma^2 I)^{-1} (x - mu)``.

    The claim of prop-gaussian-dae.

    The closed form is compared with two independent computations of the optimum:
    Tweedie's formula for the one-component mixture (:func:`raetut.optimal.dae_optimum`,
    the score of the smoothed mixture) and Theorem 1's posterior mean by a trapezoid
    quadrature on a 241 x 241 grid over ``mu +- 6``. Measured: the largest difference
    from either, relative to ``max |x|``; expected 0, tolerance 1e-10. The posterior
    has standard deviation at least ``(1 / (1 / v_min + 1 / sigma^2))^{1/2} = 0.25``,
    five grid spacings, so the trapezoid rule errs by about ``exp(-2 pi^2 5^2)``, nothing;
    the posterior means lie within ``mu +- 2.6`` with spreads below 0.4, so the mass
    cut off at ``mu +- 6`` is below ``1e-16``; rounding in the weighted sums of 5.8e4
    terms stays below 1e-12.

    Parameters
    ----------
    measurement : GaussianOptima, optional
        Default :func:`measure_gaussian_optima` with the chapter's Gaussian
        (variances 1 and 0.1, ``sigma = 0.4``).

    Returns
    -------
    CheckResult
    """
    m = measure_gaussian_optima() if measurement is None else measurement
    if not isinstance(m, GaussianOptima):
        raise TypeError(f"measurement must be a GaussianOptima; got {type(m).__name__}")
    scale = np.max(np.abs(m.X))
    tweedie = np.max(np.abs(m.closed_form - m.tweedie)) / scale
    quadrature = np.max(np.abs(m.closed_form - m.posterior_mean)) / scale
    return record(
        "Gaussian closed form = Tweedie = posterior mean (quadrature)", max(tweedie, quadrature),
        0.0, 1e-10,
        f"vs Tweedie {tweedie:.2g}, vs quadrature {quadrature:.2g}; d = {m.X.shape[1]}, "
        f"sigma = {m.sigma:g}, {len(m.X)} points",
    )
