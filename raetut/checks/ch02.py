"""Chapter 2, the optimal DAE: Theorem 1, its small-noise expansion, the Gaussian case."""

import dataclasses

import numpy as np
from scipy.special import logsumexp

from .. import criteria, diagnostics, fields, optimal
from .._grid import trapezoid_weights
from .._validation import (
    as_points,
    call_checked,
    check_callable,
    increasing_grid,
    positive_int,
    positive_scalar,
)
from ..densities import GaussianMixture, check_mixture
from . import record, register
from ._common import (
    SLOPE_TOLERANCE,
    chapter_mixture_2d,
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
    "chapter_mixture_2d",
    "tweedie2_points_2d",
    "JacobianCovariance",
    "measure_jacobian_covariance",
    "check_dae_jacobian_covariance",
    "JacobianCoefficient",
    "measure_dae_jacobian_coefficient",
    "check_dae_jacobian_coefficient",
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
        The predicted coefficient ``c_DAE = Delta s / 2 + (grad s) s``.
    extrapolated : ndarray, shape (m,)
        ``error / sigma^2`` extrapolated to ``sigma = 0`` by a least-squares fit of
        ``c_DAE + g1 sigma^2 + g2 sigma^4`` at each ``x``.
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
    of ``c_DAE + g1 sigma^2 + g2 sigma^4`` over the chapter's noise levels
    (:func:`raetut.diagnostics.fit_leading_coefficient`) and compared with the
    predicted ``c_DAE``. Measured: the largest error where there is data, relative to
    ``max |c_DAE|`` there; expected 0, tolerance 1e-3. After the fit the neglected
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


# ------------------------------------------------------------ second-order Tweedie

# Points of the chapter's 1-D mixture: the three means, two points between the modes
# (near the antimodes) and one in the right tail where there is still data.
TWEEDIE2_POINTS_1D = (-2.0, -0.8, 0.4, 1.5, 2.5, 3.2)
TWEEDIE2_SIGMAS = (0.1, 0.5)
FD_STEP = 2e-3            # finite differences with steps 2e-3 and 1e-3, Richardson-combined


def tweedie2_points_2d():
    """Points of the 2-D mixture: the three means, the midpoints between them, the mean."""
    mu = chapter_mixture_2d().means
    mid = [(mu[i] + mu[j]) / 2 for i, j in ((0, 1), (0, 2), (1, 2))]
    return np.vstack([mu, mid, chapter_mixture_2d().overall_mean])


@dataclasses.dataclass(frozen=True)
class JacobianCovariance:
    """Three (in 1-D four) computations of the optimal DAE's Jacobian at the points ``X``.

    Arrays have shape (k, n, d, d) for the ``k`` noise levels and ``n`` points.
    ``covariance`` is ``Cov[x | x~] / sigma^2`` from the posterior's components
    (:func:`raetut.optimal.dae_posterior_covariance`); ``hessian_form`` is
    ``I + sigma^2 grad^2 log p_sigma`` from the smoothed mixture's Hessian
    (:func:`raetut.optimal.dae_optimum_jacobian`); ``fd_jacobian`` is a finite-difference
    Jacobian of :func:`raetut.optimal.dae_optimum`; ``quadrature`` (1-D only, else
    ``None``; shape (k, n)) is ``Var[x | x~] / sigma^2`` by quadrature of the posterior
    (:func:`raetut.optimal.dae_posterior_variance_1d`), which uses only ``log p``.
    """

    X: np.ndarray
    sigmas: np.ndarray
    covariance: np.ndarray
    hessian_form: np.ndarray
    fd_jacobian: np.ndarray
    quadrature: np.ndarray | None


def _richardson_jacobian(r, X, step):
    # Central differences (error c h^2 + O(h^4)) at h and h/2, combined to cancel c h^2.
    coarse = fields.finite_difference_jacobian(r, X, step=step)
    fine = fields.finite_difference_jacobian(r, X, step=step / 2)
    return (4.0 * fine - coarse) / 3.0


def _quadrature_variance(density, x_tilde, sigma):
    # A uniform grid centred on x~, 50 nodes per sigma over x~ +- 12 sigma: it holds the
    # posterior (the likelihood factor is below e^-72 beyond) and resolves it.
    grid = x_tilde + sigma * np.linspace(-12.0, 12.0, 1201)
    variance = optimal.dae_posterior_variance_1d(
        lambda t: density.log_prob(t[:, None]), grid, sigma)
    return variance[600]


def measure_jacobian_covariance(density=None, sigmas=TWEEDIE2_SIGMAS, X=None, covariance=None,
                                hessian=None, optimum=None, step=FD_STEP):
    """The optimal DAE's Jacobian by the posterior covariance, the Hessian and differences.

    Parameters
    ----------
    density : GaussianMixture, optional
        Default :func:`chapter_density` (1-D); for the 2-D check
        :func:`chapter_mixture_2d`.
    sigmas : sequence of float
        Noise levels, > 0.
    X : array_like, shape (n, d), optional
        Default ``TWEEDIE2_POINTS_1D`` in 1-D, :func:`tweedie2_points_2d` in 2-D.
    covariance : callable, optional
        ``covariance(density, sigma) -> C``, ``C(X) -> (n, d, d)`` the posterior
        covariance; default :func:`raetut.optimal.dae_posterior_covariance`.
    hessian : callable, optional
        ``hessian(density, sigma) -> J``, ``J(X) -> (n, d, d)``; default
        :func:`raetut.optimal.dae_optimum_jacobian` (``I + sigma^2 grad^2 log p_sigma``).
    optimum : callable, optional
        ``optimum(density, sigma) -> r``, differentiated numerically; default
        :func:`raetut.optimal.dae_optimum`.
    step : float
        The larger finite-difference step, > 0.

    Returns
    -------
    JacobianCovariance
    """
    density = check_mixture(chapter_density() if density is None else density)
    sigmas = np.array([positive_scalar(s, "sigmas") for s in np.atleast_1d(sigmas)])
    covariance = check_callable(
        optimal.dae_posterior_covariance if covariance is None else covariance, "covariance")
    hessian = check_callable(optimal.dae_optimum_jacobian if hessian is None else hessian,
                             "hessian")
    optimum = check_callable(optimal.dae_optimum if optimum is None else optimum, "optimum")
    step = positive_scalar(step, "step")
    d = density.dim
    if X is None:
        if d not in (1, 2):
            raise ValueError(f"X must be given for a density of dimension {d}")
        X = np.array(TWEEDIE2_POINTS_1D)[:, None] if d == 1 else tweedie2_points_2d()
    X = as_points(X, dim=d)
    shape = (len(X), d, d)
    cov, hess, fd, quad = [], [], [], []
    for sigma in sigmas:
        cov.append(call_checked(covariance(density, sigma), X, "covariance", shape=shape)
                   / sigma**2)
        hess.append(call_checked(hessian(density, sigma), X, "hessian", shape=shape))
        fd.append(_richardson_jacobian(optimum(density, sigma), X, step))
        if d == 1:
            quad.append([_quadrature_variance(density, x, sigma) / sigma**2 for x in X[:, 0]])
    return JacobianCovariance(X, sigmas, np.array(cov), np.array(hess), np.array(fd),
                              np.array(quad) if d == 1 else None)


def _jacobian_covariances(measurement):
    if measurement is None:
        return (measure_jacobian_covariance(),
                measure_jacobian_covariance(chapter_mixture_2d()))
    items = (measurement,) if isinstance(measurement, JacobianCovariance) else tuple(measurement)
    for m in items:
        if not isinstance(m, JacobianCovariance):
            raise TypeError(
                f"measurement must be a JacobianCovariance or a sequence of them; got "
                f"{type(m).__name__}")
    return items


@register(chapter=2, kind="identity")
def check_dae_jacobian_covariance(measurement=None):
    """``J_{r*_sigma} = Cov[x | x~] / sigma^2 = I + sigma^2 grad^2 log p_sigma``, symmetric PSD.

    The claim of prop-dae-jacobian-covariance (second-order Tweedie, beyond the paper).

    The left side, ``Cov[x | x~] / sigma^2``, is computed from the posterior (component
    responsibilities, component posterior means and covariances, the law of total
    covariance) and compared entry by entry, off-diagonal entries included, with:
    (a) ``I + sigma^2 grad^2 log p_sigma`` from the smoothed mixture's Hessian, a
    different formula sharing only the mixture's parameters (independent);
    (b) a finite-difference Jacobian of the optimal DAE ``x + sigma^2 s_sigma``
    (independent of the covariance; it shares the smoothed mixture with (a) but
    differentiates its score numerically); (c) in 1-D, the posterior variance by
    quadrature on a grid around each point, which uses only ``log p`` (independent of
    every mixture formula). Also measured: how far the smallest eigenvalue of (a) falls
    below 0. Default: the chapter's 1-D mixture at the means, between the modes and in
    the tail, and the 2-D mixture at its means and the midpoints between them, for
    ``sigma`` = 0.1 and 0.5.

    Measured: the largest of these discrepancies (the Jacobian's entries are of order
    1); expected 0, tolerance 1e-8. (a) and (c) agree to rounding (about 1e-15; the
    trapezoid rule on 50 nodes per posterior width errs far below that); (b), with
    steps 2e-3 and 1e-3 combined to cancel the ``h^2`` term, leaves ``h^4 |r^(5)|``
    (below 1e-12 here) and rounding ``eps |r| / h`` (about 1e-12).

    Parameters
    ----------
    measurement : JacobianCovariance or sequence of them, optional
        Default: :func:`measure_jacobian_covariance` on the 1-D and on the 2-D mixture.

    Returns
    -------
    CheckResult
    """
    items = _jacobian_covariances(measurement)
    gaps = {"vs Hessian": 0.0, "vs finite differences": 0.0, "vs quadrature": 0.0,
            "eigenvalue below 0": 0.0}
    off_diagonal = 0.0
    for m in items:
        gaps["vs Hessian"] = max(gaps["vs Hessian"],
                                 float(np.max(np.abs(m.covariance - m.hessian_form))))
        gaps["vs finite differences"] = max(gaps["vs finite differences"],
                                            float(np.max(np.abs(m.covariance - m.fd_jacobian))))
        if m.quadrature is not None:
            gaps["vs quadrature"] = max(gaps["vs quadrature"], float(
                np.max(np.abs(m.covariance[..., 0, 0] - m.quadrature))))
        symmetric = 0.5 * (m.hessian_form + np.swapaxes(m.hessian_form, -1, -2))
        gaps["eigenvalue below 0"] = max(gaps["eigenvalue below 0"],
                                         float(-np.min(np.linalg.eigvalsh(symmetric))))
        if m.X.shape[1] > 1:
            off_diagonal = max(off_diagonal, float(np.max(np.abs(m.covariance[..., 0, 1]))))

    dims = sorted({m.X.shape[1] for m in items})
    return record(
        "J_r* = Cov[x|x~]/sigma^2 = I + sigma^2 Hess log p_sigma (PSD)", max(gaps.values()),
        0.0, 1e-8,
        "; ".join(f"{k} {v:.2g}" for k, v in gaps.items())
        + f"; d in {dims}, max |J_12| = {off_diagonal:.3g}",
    )


# The Jacobian's sigma^2 coefficient is measured at the noise levels of the score's.
@dataclasses.dataclass(frozen=True)
class JacobianCoefficient:
    """The Hessian error ``(J_{r*_sigma} - I) / sigma^2 - grad^2 log p`` at the points ``X``.

    Attributes
    ----------
    X : ndarray, shape (n, d)
    sigmas : ndarray, shape (k,)
    errors : ndarray, shape (k, n, d, d)
    predicted : ndarray, shape (n, d, d)
        The predicted ``sigma^2`` coefficient, the Hessian of the heat-flow term
        ``(Delta log p + |grad log p|^2) / 2``.
    extrapolated : ndarray, shape (n, d, d)
        ``errors / sigma^2`` extrapolated to ``sigma = 0`` (fit of ``K + k1 sigma^2 +
        k2 sigma^4`` per entry).
    """

    X: np.ndarray
    sigmas: np.ndarray
    errors: np.ndarray
    predicted: np.ndarray
    extrapolated: np.ndarray

    @property
    def fit(self):
        """Power law fitted to ``max |errors|`` over the points and entries."""
        return power_law_slope(self.sigmas, np.max(np.abs(self.errors), axis=(1, 2, 3)))


def measure_dae_jacobian_coefficient(density=None, X=None, sigmas=None, jacobian=None,
                                     coefficient=None):
    """The optimal DAE's Jacobian against ``I + sigma^2 grad^2 log p`` for several sigma.

    Parameters
    ----------
    density : GaussianMixture, optional
        Default :func:`chapter_mixture_2d`.
    X : array_like, shape (n, d), optional
        Default :func:`tweedie2_points_2d`.
    sigmas : array_like, optional
        At least 3 noise levels; default the chapter's, 9 from 0.01 to 0.16.
    jacobian : callable, optional
        ``jacobian(density, sigma) -> J``, ``J(X) -> (n, d, d)``; default
        :func:`raetut.optimal.dae_optimum_jacobian`.
    coefficient : callable, optional
        ``coefficient(density, X) -> (n, d, d)``, the predicted ``sigma^2`` coefficient;
        default :func:`raetut.optimal.dae_jacobian_correction`.

    Returns
    -------
    JacobianCoefficient
    """
    density = check_mixture(chapter_mixture_2d() if density is None else density)
    X = tweedie2_points_2d() if X is None and density.dim == 2 else X
    if X is None:
        raise ValueError(f"X must be given for a density of dimension {density.dim}")
    X = as_points(X, dim=density.dim)
    sigmas = noise_levels_arg(sigmas, SIGMAS, "sigmas")
    jacobian = check_callable(optimal.dae_optimum_jacobian if jacobian is None else jacobian,
                              "jacobian")
    coefficient = check_callable(
        optimal.dae_jacobian_correction if coefficient is None else coefficient, "coefficient")
    d = density.dim
    shape = (len(X), d, d)
    hess = density.hessian_log_prob(X)
    errors = np.stack([
        (call_checked(jacobian(density, sg), X, "jacobian", shape=shape) - np.eye(d)) / sg**2
        - hess for sg in sigmas
    ])
    predicted = call_checked(lambda Z: coefficient(density, Z), X, "coefficient", shape=shape)
    extrapolated = diagnostics.fit_leading_coefficient(
        sigmas, errors.reshape(len(sigmas), -1), 2, n_corrections=2, step=2).reshape(shape)
    return JacobianCoefficient(X, sigmas, errors, predicted, extrapolated)


@register(chapter=2, kind="numerical")
def check_dae_jacobian_coefficient(measurement=None):
    """``(J_{r*_sigma} - I) / sigma^2 - grad^2 log p = sigma^2 K + O(sigma^4)``, K of the heat flow.

    The Hessian claim for the optimal DAE, with its coefficient (beyond the paper):
    ``K = grad^2 [(Delta log p + |grad log p|^2) / 2] = grad c_DAE``, computed by
    automatic differentiation of ``log p`` (fourth derivatives), independently of the
    smoothed mixture that gives ``J``.

    At each point and entry (off-diagonal included) of the 2-D mixture, at its means and
    the midpoints between them, the quotient ``error / sigma^2`` is extrapolated to
    ``sigma -> 0`` by a least-squares fit of ``K + k1 sigma^2 + k2 sigma^4`` over the
    chapter's noise levels (0.01 to 0.16). Measured: the largest error of the
    extrapolated ``K``, relative to ``max |K|``; expected 0, tolerance 1e-3. The fit
    leaves the ``sigma^8`` term of the expansion, of relative size about
    ``(sigma_max / l)^6 = 1.1e-3`` with ``l = 0.5`` the smallest component width (an upper
    estimate, as for :func:`check_dae_second_order_coefficient`); rounding in
    ``(J - I) / sigma^4`` is ``1e-16 / sigma_min^4 = 1e-8``. Twice ``K`` (the Hessian of
    ``Delta log p + |grad log p|^2``) is off by 50 %; the Jacobian of ``c_rCAE`` and the
    Jacobian of a field smoothed twice as much fail as well.

    Parameters
    ----------
    measurement : JacobianCoefficient, optional
        Default :func:`measure_dae_jacobian_coefficient` (the 2-D mixture).

    Returns
    -------
    CheckResult
    """
    m = measure_dae_jacobian_coefficient() if measurement is None else measurement
    if not isinstance(m, JacobianCoefficient):
        raise TypeError(f"measurement must be a JacobianCoefficient; got {type(m).__name__}")
    scale = np.max(np.abs(m.predicted))
    error = np.max(np.abs(m.extrapolated - m.predicted)) / scale
    fit = m.fit
    return record(
        "DAE Jacobian: (J-I)/sigma^2 - Hess log p -> sigma^2 Hess(heat term)", error, 0.0, 1e-3,
        f"relative to max|K| = {scale:.4g} over {len(m.X)} points (d = {m.X.shape[1]}); "
        f"slope of the error {fit.slope:.3f}; sigma {m.sigmas[0]:g}..{m.sigmas[-1]:g}",
    )
