"""Chapter 4, the optimal rCAE: Theorem 2, its next term, its Jacobian, the Gaussian case, 2-D,
the Langevin representation (by simulation) and the curl of the 2-D optimum.

The chapter's objects are the defaults: the paper's density
(:func:`raetut.densities.paper_density_1d`) on 16001 grid points over its interval, the
penalties ``LAMS`` (fitted over the asymptotic range ``lam <=`` ``ASYMPTOTIC_MAX``)
and ``COEFFICIENT_LAMS``, the Gaussian ``GAUSSIAN`` at ``lam =``
``GAUSSIAN_LAM``, and the 2-D mixture :func:`chapter_mixture_2d` on the grids
``GRID_2D`` with the penalties ``LAMS_2D``.

For each claim a ``measure_*`` function returns what the chapter's figure and the check
need, and a ``check_*`` function turns that measurement into the record. An order check
alone cannot tell the rCAE optimum from the DAE optimum with ``sigma^2 = lam`` (both
have ``(r - x) / lam - s = O(lam)``): the coefficient checks do.
"""

import dataclasses
import math

import numpy as np
from scipy import stats

from .. import diagnostics, fields, optimal
from .._grid import data_mask
from .._validation import (
    as_points,
    call_checked,
    check_callable,
    check_rng,
    positive_int,
    positive_scalar,
)
from ..densities import GaussianMixture, paper_density_1d
from . import record, register
from ._common import (
    SLOPE_TOLERANCE,
    chapter_mixture_2d,
    data_mask_1d,
    density_1d,
    log_density,
    noise_levels_arg,
    power_law_slope,
    support,
)

__all__ = [
    "LAMS",
    "ASYMPTOTIC_MAX",
    "N_GRID",
    "COEFFICIENT_LAMS",
    "GAUSSIAN",
    "GAUSSIAN_LAM",
    "GRID_2D",
    "LAMS_2D",
    "chapter_mixture_2d",
    "RcaeErrors",
    "measure_rcae_errors",
    "check_rcae_score_error_order",
    "check_rcae_jacobian_hessian",
    "SecondOrderCoefficient",
    "measure_rcae_second_order",
    "check_rcae_second_order_coefficient",
    "GaussianSolverRun",
    "measure_gaussian_rcae_solver",
    "check_gaussian_rcae_solver",
    "Rcae2D",
    "measure_rcae_2d",
    "check_rcae_2d_coefficient",
    "JACOBIAN_2D_TOLERANCE",
    "check_rcae_jacobian_2d",
    "SEED",
    "LANGEVIN_LAM_1D",
    "LANGEVIN_POINTS_1D",
    "LANGEVIN_LAM_2D",
    "LANGEVIN_POINTS_2D",
    "LANGEVIN_PATHS",
    "LANGEVIN_STEPS",
    "LANGEVIN_BETA",
    "ResolventMonteCarlo",
    "measure_langevin_resolvent",
    "check_langevin_resolvent",
    "CURL_LAMS",
    "CURL_GRIDS",
    "CURL_GAUSSIAN",
    "CURL_FACTOR",
    "CURL_GRID_CHANGE",
    "RcaeCurl",
    "measure_rcae_curl",
    "check_rcae_curl_2d",
    "FORWARD_LAM",
    "FORWARD_GRIDS",
    "FORWARD_WINDOW",
    "ForwardScheme",
    "measure_forward_scheme",
    "check_forward_scheme_converges",
]

LAMS = np.geomspace(1e-6, 1e-2, 9)        # the chapter's sweep of the penalty
ASYMPTOTIC_MAX = 1e-4                     # the paper's density is in its asymptotic range below
N_GRID = 16001                            # the chapter's fine grid on [-1.5, 1.5]
COEFFICIENT_LAMS = np.geomspace(1e-5, 1e-4, 4)
GAUSSIAN = (0.5, 0.8)                     # mean and variance of the chapter's Gaussian
GAUSSIAN_LAM = 2.0                        # "even at lam = 2", far outside the asymptotic range
GRID_2D = (-4.5, 4.5, 161, 241)           # interval, coarse and fine points per axis
LAMS_2D = 5e-3 / 2.0 ** np.arange(5)      # 5e-3 ... 3.125e-4
SEED = 0                                  # the chapter's numpy.random.default_rng(SEED)
LANGEVIN_LAM_1D = 1e-2                    # the Langevin check on the paper's density
LANGEVIN_POINTS_1D = (-0.9, -0.45, 0.3, 0.75, 1.2)
LANGEVIN_LAM_2D = 0.05                    # ... and on the 2-D mixture (nodes of both grids)
LANGEVIN_POINTS_2D = ((-2.25, 0.0), (-1.125, -0.5625), (0.5625, -0.5625), (0.0, 1.6875),
                      (1.125, 1.125))
LANGEVIN_PATHS = 20000                    # paths per point
LANGEVIN_STEPS = 32                       # Euler-Maruyama steps per mean time lam
LANGEVIN_BETA = 0.01                      # family-wise error rate of the Langevin check
CURL_LAMS = (0.05, 0.1, 0.2)              # the curl of the 2-D optimum ...
CURL_GRIDS = (121, 161)                   # ... on two grids over [-4.5, 4.5]
CURL_GAUSSIAN = ([-1.2, -0.5], [[0.5, 0.15], [0.15, 0.35]])   # its floor: the largest component
CURL_FACTOR = 5.0                         # the curl must exceed the Gaussian floor this much
CURL_GRID_CHANGE = 0.25                   # ... and change by at most this between the grids
JACOBIAN_2D_TOLERANCE = 3e-2              # the 2-D Jacobian's lam^2 coefficient (relative)


def _solver(solver):
    return check_callable(optimal.rcae_optimum_1d if solver is None else solver, "solver")


def _solve(solver, log_p, grid, lam):
    return call_checked(lambda g: solver(log_p, g, lam), grid, "solver",
                        call="solver(log_p, grid, lam)")


def _grid(density, bounds, n_grid):
    return np.linspace(*support(density, bounds), positive_int(n_grid, "n_grid", minimum=3))


# ------------------------------------------------------------------ Theorem 2, orders


@dataclasses.dataclass(frozen=True)
class RcaeErrors:
    """Largest errors of the rCAE score and Jacobian estimates where there is data.

    ``score_error[i] = max |(r - x) / lam_i - s|`` and
    ``jacobian_error[i] = max |r' - 1 - lam_i (log p)''|`` over the grid points with
    ``p >= 0.01 max p``; the checks fit the ``lams <= fit_max``.
    """

    lams: np.ndarray
    score_error: np.ndarray
    jacobian_error: np.ndarray
    fit_max: float
    n_grid: int

    @property
    def fitted(self):
        """Which ``lams`` the order checks fit."""
        return self.lams <= self.fit_max

    @property
    def score_fit(self):
        """Power law of ``score_error`` over the fitted ``lams`` (slope 1 predicted)."""
        return power_law_slope(self.lams[self.fitted], self.score_error[self.fitted])

    @property
    def jacobian_fit(self):
        """Power law of ``jacobian_error`` over the fitted ``lams`` (slope 2 predicted)."""
        return power_law_slope(self.lams[self.fitted], self.jacobian_error[self.fitted])

    @property
    def hessian_fit(self):
        """The same law for the Hessian estimate's error ``jacobian_error / lam`` (slope 1)."""
        fit = self.jacobian_fit
        return dataclasses.replace(fit, slope=fit.slope - 1.0)


def measure_rcae_errors(density=None, solver=None, lams=None, fit_max=ASYMPTOTIC_MAX,
                        bounds=None, n_grid=N_GRID):
    """The chapter's sweep: score and Jacobian errors of the grid optimum for each ``lam``.

    ``r*_lam`` from ``solver(log_p, grid, lam)`` (default
    :func:`raetut.optimal.rcae_optimum_1d`) on ``n_grid`` points; ``r'`` by central
    differences on that grid.

    Parameters
    ----------
    density : object, optional
        1-D density; default :func:`raetut.densities.paper_density_1d`.
    solver : callable, optional
        ``solver(log_p, grid, lam) -> r`` on the grid, shape (m,).
    lams : array_like, optional
        Default ``LAMS``.
    fit_max : float
        Largest ``lam`` the order checks fit (at least 3 must be fitted).
    bounds : tuple of float, optional
    n_grid : int

    Returns
    -------
    RcaeErrors
    """
    density = density_1d(density, default=paper_density_1d)
    solver = _solver(solver)
    lams = noise_levels_arg(LAMS if lams is None else lams, None, "lams")
    fit_max = positive_scalar(fit_max, "fit_max")
    if np.sum(lams <= fit_max) < 3:
        raise ValueError(f"at least 3 lams must be <= fit_max={fit_max:g}; got {lams}")
    grid = _grid(density, bounds, n_grid)
    mask = data_mask_1d(density, grid)
    log_p, x = log_density(density), grid[mask]
    s = density.score(x[:, None])[:, 0]
    hessian = density.hessian_log_prob(x[:, None])[:, 0, 0]
    score_error, jacobian_error = [], []
    for lam in lams:
        r = _solve(solver, log_p, grid, lam)
        score_error.append(np.max(np.abs((r[mask] - x) / lam - s)))
        jacobian_error.append(np.max(np.abs(np.gradient(r, grid)[mask] - 1.0 - lam * hessian)))
    return RcaeErrors(lams, np.array(score_error), np.array(jacobian_error), fit_max, grid.size)


def _errors(errors):
    errors = measure_rcae_errors() if errors is None else errors
    if not isinstance(errors, RcaeErrors):
        raise TypeError(f"errors must come from measure_rcae_errors; got {type(errors).__name__}")
    return errors


@register(chapter=4, kind="numerical")
def check_rcae_score_error_order(errors=None):
    """Theorem 2: ``(r*_lam(x) - x) / lam - s(x) = O(lam)`` where there is data.

    The largest error over the grid points with ``p >= 0.01 max p`` (away from the
    boundary layers at the ends) is fitted against ``lam`` over the asymptotic range
    ``lam <= fit_max`` (chapter: 1e-6 ... 1e-4 on the paper's density, 16001 points).
    Expected slope 1, tolerance ``SLOPE_TOLERANCE`` (0.1): the next term of the
    expansion bends the local slopes by at most 0.02 over that range (1.00 ... 0.98),
    and the discretisation error of ``(r - x) / lam``, ``O(h^2)`` and independent of
    ``lam``, is 0.5% of the error at the smallest ``lam`` (16001 against 32001 points
    moves the slope by 0.001). The orders 0 and 2 are 10 tolerances away.

    The order alone does not tell the rCAE optimum from the DAE optimum with
    ``sigma^2 = lam`` (its error is also ``O(lam)``): see
    :func:`check_rcae_second_order_coefficient`.

    Parameters
    ----------
    errors : RcaeErrors, optional
        Default :func:`measure_rcae_errors` with the chapter's settings.

    Returns
    -------
    CheckResult
    """
    errors = _errors(errors)
    lams, fit = errors.lams[errors.fitted], errors.score_fit
    return record(
        "rCAE score error (r-x)/lam - s = O(lam) (Thm 2)", fit.slope, 1.0, SLOPE_TOLERANCE,
        f"max error = {fit.constant:.4g} lam^{fit.slope:.3f}, lam {lams[0]:g}..{lams[-1]:g}, "
        f"{errors.n_grid} grid points",
    )


@register(chapter=4, kind="numerical")
def check_rcae_jacobian_hessian(errors=None):
    """Theorem 2: ``dr*/dx = 1 + lam (log p)'' + O(lam^2)`` where there is data.

    ``r*_lam`` is differentiated by central differences on the grid; the maximum of
    ``|r' - 1 - lam (log p)''|`` where ``p >= 0.01 max p`` is fitted against ``lam``
    over ``lam <= fit_max`` (chapter: 1e-6 ... 1e-4, 16001 points). Expected slope 2,
    tolerance ``SLOPE_TOLERANCE`` (0.1): between 16001 and 32001 points the fitted
    slope moves by 0.002 (differencing and solver error together), and the next term
    of the expansion bends the slope by about 0.01 over the range.

    Parameters
    ----------
    errors : RcaeErrors, optional
        Default :func:`measure_rcae_errors` with the chapter's settings.

    Returns
    -------
    CheckResult
    """
    errors = _errors(errors)
    lams, fit = errors.lams[errors.fitted], errors.jacobian_fit
    return record(
        "rCAE Jacobian = 1 + lam (log p)'' + O(lam^2)", fit.slope, 2.0, SLOPE_TOLERANCE,
        f"max error = {fit.constant:.4g} lam^{fit.slope:.3f}, lam {lams[0]:g}..{lams[-1]:g}",
    )


# ------------------------------------------------------------ the second-order term


@dataclasses.dataclass(frozen=True)
class SecondOrderCoefficient:
    """The measured ``lam^2`` coefficient of ``r*_lam`` where there is data.

    ``residuals[i] = r*_{lam_i}(x) - x - lam_i s(x)`` at the points ``x``;
    ``coefficient`` is ``residuals / lam^2`` extrapolated to ``lam -> 0``.
    """

    density: object
    x: np.ndarray
    lams: np.ndarray
    residuals: np.ndarray
    coefficient: np.ndarray
    n_grid: int


def measure_rcae_second_order(density=None, solver=None, lams=None, bounds=None, n_grid=N_GRID):
    """``(r*_lam - x - lam s) / lam^2`` extrapolated to ``lam -> 0``, where there is data.

    The quotient is fitted by ``c + c1 lam + c2 lam^2`` over ``lams`` (default
    ``COEFFICIENT_LAMS``, 1e-5 ... 1e-4) with
    :func:`raetut.diagnostics.fit_leading_coefficient`; ``c`` is the measured
    coefficient at the grid points with ``p >= 0.01 max p``.

    Parameters
    ----------
    density : object, optional
        1-D density; default :func:`raetut.densities.paper_density_1d`.
    solver : callable, optional
        ``solver(log_p, grid, lam) -> r``; default :func:`raetut.optimal.rcae_optimum_1d`.
        (The DAE optimum fed here, ``dae_optimum_1d(log_p, grid, sqrt(lam))``, measures
        the DAE's coefficient instead.)
    lams : array_like, optional
    bounds : tuple of float, optional
    n_grid : int

    Returns
    -------
    SecondOrderCoefficient
    """
    density = density_1d(density, default=paper_density_1d)
    solver = _solver(solver)
    lams = noise_levels_arg(COEFFICIENT_LAMS if lams is None else lams, None, "lams")
    grid = _grid(density, bounds, n_grid)
    mask = data_mask_1d(density, grid)
    log_p, x = log_density(density), grid[mask]
    s = density.score(x[:, None])[:, 0]
    residuals = np.stack([_solve(solver, log_p, grid, lam)[mask] - x - lam * s for lam in lams])
    coefficient = diagnostics.fit_leading_coefficient(lams, residuals, 2, n_corrections=2, step=1)
    return SecondOrderCoefficient(density, x, lams, residuals, coefficient, grid.size)


@register(chapter=4, kind="numerical")
def check_rcae_second_order_coefficient(measurement=None, correction=None):
    """Result 3, next term: ``(r*_lam - x - lam s) / lam^2 -> Delta s + (grad s) s``.

    The extrapolated coefficient of :func:`measure_rcae_second_order` (chapter: the
    paper's density, ``lam`` 1e-5 ... 1e-4, 16001 points) against ``correction``
    (default :func:`raetut.optimal.rcae_score_correction`) where there is data.
    Measured: the maximum error relative to ``max |c|``; expected 0, tolerance 1e-2.
    The quotient's ``lam`` term is ``3.3e-2`` of ``max |c|`` at ``lam = 1e-4`` (halving
    with ``lam``); the two fitted corrections leave of the series about 1.5e-4 (the
    error measured on 32001 points), and the discretisation error ``O(h^2 / lam_min)``
    of the quotient adds about 4e-4 on 16001 points (measured: 5.8e-4 in all).
    The DAE optimum (coefficient ``Delta s / 2 + (grad s) s``) misses by 6e-2 on the
    paper's density, six tolerances.

    Parameters
    ----------
    measurement : SecondOrderCoefficient, optional
        Default :func:`measure_rcae_second_order` with the chapter's settings.
    correction : callable, optional
        ``correction(density, X) -> (n, 1)``, the predicted coefficient.

    Returns
    -------
    CheckResult
    """
    m = measure_rcae_second_order() if measurement is None else measurement
    if not isinstance(m, SecondOrderCoefficient):
        raise TypeError("measurement must come from measure_rcae_second_order; got "
                        f"{type(m).__name__}")
    correction = check_callable(
        optimal.rcae_score_correction if correction is None else correction, "correction"
    )
    c = call_checked(lambda Z: correction(m.density, Z), m.x[:, None], "correction")[:, 0]
    error = np.max(np.abs(m.coefficient - c)) / np.max(np.abs(c))
    return record(
        "rCAE lam^2 term -> Delta s + (grad s)s", error, 0.0, 1e-2,
        f"relative to max|c| = {np.max(np.abs(c)):.4g}; lam {m.lams[0]:g}..{m.lams[-1]:g}, "
        f"{m.n_grid} grid points",
    )


# ------------------------------------------------------------------- Gaussian data


@dataclasses.dataclass(frozen=True)
class GaussianSolverRun:
    """The grid solver on a 1-D Gaussian: ``r`` on ``grid`` (``mean ± 8 sd``)."""

    mean: float
    variance: float
    lam: float
    grid: np.ndarray
    r: np.ndarray

    @property
    def gaussian(self):
        """The density ``N(mean, variance)``."""
        return GaussianMixture([1.0], [self.mean], [self.variance])

    @property
    def mask(self):
        """Where ``p >= 0.01 max p``: within 3.03 standard deviations of the mean."""
        return data_mask_1d(self.gaussian, self.grid)


def measure_gaussian_rcae_solver(mean=GAUSSIAN[0], variance=GAUSSIAN[1], lam=GAUSSIAN_LAM,
                                 solver=None, n_grid=2001):
    """The grid solver for ``N(mean, variance)`` on ``n_grid`` points over ``mean ± 8 sd``.

    Parameters
    ----------
    mean, variance : float
        Default ``GAUSSIAN``, the chapter's.
    lam : float
        Default ``GAUSSIAN_LAM``.
    solver : callable, optional
        Default :func:`raetut.optimal.rcae_optimum_1d`.
    n_grid : int

    Returns
    -------
    GaussianSolverRun
    """
    solver = _solver(solver)
    variance = positive_scalar(variance, "variance")
    lam = positive_scalar(lam, "lam")
    mean = float(mean)
    sd = math.sqrt(variance)
    grid = np.linspace(mean - 8 * sd, mean + 8 * sd, positive_int(n_grid, "n_grid", minimum=3))
    gaussian = GaussianMixture([1.0], [mean], [variance])
    return GaussianSolverRun(mean, variance, lam, grid,
                             _solve(solver, log_density(gaussian), grid, lam))


@register(chapter=4, kind="numerical")
def check_gaussian_rcae_solver(run=None, closed_form=None):
    """Result 3 for 1-D Gaussian data: the Euler–Lagrange solver matches the closed form.

    The solver's ``r`` (:func:`measure_gaussian_rcae_solver`; chapter: ``N(0.5, 0.8)``,
    ``lam = 2``, 2001 points over ``mean ± 8 sd``) against ``closed_form(mean, variance,
    lam)`` (default :func:`raetut.optimal.gaussian_rcae_optimum`, ``r = mu + a (x - mu)``,
    ``a = v / (v + lam)``) where ``p >= 0.01 max p``. Expected 0; the tolerance comes
    from the grid: the flux discretisation of ``(p r')'`` has local truncation error
    ``lam a h^2 |p'''/p| / 24`` for a linear ``r``, and by the maximum principle of
    ``r - lam (r'' + s r')`` the error of the solution is bounded by the truncation
    error; we take its maximum over the wider region ``p >= 1e-4 max p`` (the ends,
    where ``p`` is tiny, influence the interior only through a thin boundary layer).
    The wrong answers this rejects: a wrong variance or ``lam``, the DAE closed form
    read with ``sigma = lam`` instead of ``sigma^2 = lam``, the first-order map
    ``x + lam s``. (The DAE optimum with ``sigma^2 = lam`` passes: for Gaussian data the
    two optima are the same map.)

    Parameters
    ----------
    run : GaussianSolverRun, optional
        Default :func:`measure_gaussian_rcae_solver` with the chapter's settings.
    closed_form : callable, optional
        ``closed_form(mean, variance, lam) -> r``, ``r(X) -> (n, 1)``.

    Returns
    -------
    CheckResult
    """
    run = measure_gaussian_rcae_solver() if run is None else run
    if not isinstance(run, GaussianSolverRun):
        raise TypeError("run must come from measure_gaussian_rcae_solver; got "
                        f"{type(run).__name__}")
    closed_form = check_callable(closed_form or optimal.gaussian_rcae_optimum, "closed_form")
    mean, variance, lam, grid = run.mean, run.variance, run.lam, run.grid
    h = grid[1] - grid[0]
    exact = call_checked(closed_form(mean, variance, lam), grid[:, None], "closed_form")[:, 0]
    error = np.max(np.abs(run.r - exact)[run.mask])
    p = run.gaussian.prob(grid[:, None])
    wider = grid[p >= 1e-4 * np.max(p)]
    s = -(wider - mean) / variance
    p3_over_p = s**3 - 3 * s / variance  # p'''/p for a Gaussian (s' = -1/v, s'' = 0)
    a = variance / (variance + lam)
    tolerance = lam * a * h**2 * np.max(np.abs(p3_over_p)) / 24
    return record(
        "rCAE solver = Gaussian closed form (1-D)", error, 0.0, tolerance,
        f"N({mean:g}, {variance:g}), lam = {lam:g}, h = {h:.3g}, error / h^2 = {error / h**2:.3g}",
    )


# --------------------------------------------------------------------- two dimensions


@dataclasses.dataclass(frozen=True)
class Rcae2D:
    """The 2-D grid optimum at the nodes two grids share, where there is data.

    ``residuals[i] = r - x - lam_i s`` (shape (k, n, 2)) after the grid correction
    ``(rho^2 r_fine - r_coarse) / (rho^2 - 1)``, ``rho`` the ratio of the spacings;
    ``residuals_coarse`` the same on the coarse grid alone. ``coefficient`` is
    ``residuals / lam^2`` extrapolated to ``lam -> 0``; ``first_order_error`` and
    ``second_order_error`` are ``max |(r - x)/lam - s|`` and
    ``max |(r - x)/lam - s - lam (Delta s + (grad s)s)|``, relative to ``max |s|``
    (grid-corrected; ``_coarse`` on the coarse grid).

    The same for the Jacobian: ``jacobian_residuals[i] = J_r - I - lam_i grad^2 log p``
    (shape (k, n, 2, 2)), ``J_r`` by central differences on each grid and then
    grid-corrected in the same way (the differencing error is ``O(h^2)`` too);
    ``jacobian_coefficient`` is ``jacobian_residuals / lam^2`` extrapolated to
    ``lam -> 0``, shape (n, 2, 2).
    """

    density: object
    points: np.ndarray
    lams: np.ndarray
    residuals: np.ndarray
    residuals_coarse: np.ndarray
    coefficient: np.ndarray
    score_scale: float
    grids: tuple
    jacobian_residuals: np.ndarray = None
    jacobian_coefficient: np.ndarray = None

    def _relative(self, residuals, subtract):
        b = optimal.rcae_score_correction(self.density, self.points) if subtract else 0.0
        return np.array([
            np.max(np.linalg.norm(res / lam - subtract * lam * b, axis=1)) / self.score_scale
            for lam, res in zip(self.lams, residuals, strict=True)
        ])

    @property
    def first_order_error(self):
        return self._relative(self.residuals, False)

    @property
    def first_order_error_coarse(self):
        return self._relative(self.residuals_coarse, False)

    @property
    def second_order_error(self):
        return self._relative(self.residuals, True)

    @property
    def second_order_error_coarse(self):
        return self._relative(self.residuals_coarse, True)


def _solve_2d(solver, density, grid, lam):
    n = grid.size
    out = call_checked(lambda g: solver(density.log_prob, g, g, lam), grid, "solver",
                       shape=(n, n, 2), call="solver(log_p, grid_x, grid_y, lam)")
    return np.asarray(out, dtype=float)


def _jacobian_on_grid(field, grid):
    """Jacobian of a field on a square tensor grid by central differences, (n, n, 2, 2)."""
    J = np.empty(field.shape[:2] + (2, 2))
    for k in range(2):
        for j in range(2):
            J[..., k, j] = np.gradient(field[..., k], grid, axis=j)
    return J


def measure_rcae_2d(density=None, solver=None, lams=None, grid=GRID_2D):
    """The 2-D optimum on two grids, corrected for the grid's ``h^2`` error, for each ``lam``.

    ``solver(log_p, grid_x, grid_y, lam) -> (nx, ny, 2)`` (default
    :func:`raetut.optimal.rcae_optimum_2d`) on a coarse and a fine square grid over the
    same interval (chapter: 161 and 241 points per axis on ``[-4.5, 4.5]``, spacings
    0.056 and 0.0375). The discretisation error is ``h^2 e(x) + O(h^4)``; combining the
    two solutions at their shared nodes (every 2nd and every 3rd) cancels the ``h^2``
    term. Kept: the shared nodes with ``p >= 0.01 max p``. The Jacobian of each solution
    is taken by central differences on its own grid and combined in the same way.

    Parameters
    ----------
    density : GaussianMixture, optional
        2-D; default :func:`chapter_mixture_2d`.
    solver : callable, optional
    lams : array_like, optional
        Default ``LAMS_2D`` (5e-3 ... 3.125e-4).
    grid : tuple
        ``(lower, upper, n_coarse, n_fine)``.

    Returns
    -------
    Rcae2D
    """
    density = chapter_mixture_2d() if density is None else density
    if getattr(density, "dim", None) != 2 or not callable(getattr(density, "log_prob", None)):
        raise TypeError(f"density must be a 2-D density with log_prob and score; got "
                        f"{type(density).__name__}")
    solver = check_callable(optimal.rcae_optimum_2d if solver is None else solver, "solver")
    lams = noise_levels_arg(LAMS_2D if lams is None else lams, None, "lams")
    if np.ndim(grid) != 1 or len(grid) != 4:
        raise ValueError(f"grid must be (lower, upper, n_coarse, n_fine); got {grid!r}")
    lower, upper, n_coarse, n_fine = grid
    n_coarse = positive_int(n_coarse, "n_coarse", minimum=3)
    n_fine = positive_int(n_fine, "n_fine", minimum=n_coarse + 1)
    shared = math.gcd(n_coarse - 1, n_fine - 1)
    if shared < 20:
        raise ValueError(f"the grids of {n_coarse} and {n_fine} points share only "
                         f"{shared + 1} nodes per axis; need at least 21")
    step_c, step_f = (n_coarse - 1) // shared, (n_fine - 1) // shared
    rho2 = (step_f / step_c) ** 2
    g_c, g_f = np.linspace(lower, upper, n_coarse), np.linspace(lower, upper, n_fine)
    g = g_c[::step_c]
    P = np.stack(np.meshgrid(g, g, indexing="ij"), axis=-1).reshape(-1, 2)
    p = density.prob(P)
    keep = p >= 0.01 * np.max(p)
    points = P[keep]
    s = density.score(points)
    hessian = density.hessian_log_prob(points)
    residuals, residuals_coarse, jacobian_residuals = [], [], []
    for lam in lams:
        r_c, r_f = _solve_2d(solver, density, g_c, lam), _solve_2d(solver, density, g_f, lam)
        coarse = r_c[::step_c, ::step_c].reshape(-1, 2)[keep]
        fine = r_f[::step_f, ::step_f].reshape(-1, 2)[keep]
        corrected = (rho2 * fine - coarse) / (rho2 - 1.0)
        residuals.append(corrected - points - lam * s)
        residuals_coarse.append(coarse - points - lam * s)
        J_c = _jacobian_on_grid(r_c, g_c)[::step_c, ::step_c].reshape(-1, 2, 2)[keep]
        J_f = _jacobian_on_grid(r_f, g_f)[::step_f, ::step_f].reshape(-1, 2, 2)[keep]
        jacobian_residuals.append((rho2 * J_f - J_c) / (rho2 - 1.0) - np.eye(2) - lam * hessian)
    residuals = np.stack(residuals)
    coefficient = diagnostics.fit_leading_coefficient(
        lams, residuals.reshape(len(lams), -1), 2, n_corrections=2, step=1).reshape(-1, 2)
    jacobian_residuals = np.stack(jacobian_residuals)
    jacobian_coefficient = diagnostics.fit_leading_coefficient(
        lams, jacobian_residuals.reshape(len(lams), -1), 2, n_corrections=2,
        step=1).reshape(-1, 2, 2)
    score_scale = float(np.max(np.linalg.norm(s, axis=1)))
    return Rcae2D(density, points, lams, residuals, np.stack(residuals_coarse), coefficient,
                  score_scale, (n_coarse, n_fine), jacobian_residuals, jacobian_coefficient)


@register(chapter=4, kind="numerical")
def check_rcae_2d_coefficient(measurement=None, correction=None):
    """Theorem 2 and Result 3 in 2-D: ``((r*_lam - x)/lam - s)/lam -> Delta s + (grad s) s``.

    The score error of the 2-D grid optimum is of order ``lam`` with the coefficient
    of Result 3. From :func:`measure_rcae_2d` (chapter: the 2-D mixture, ``lam`` 5e-3
    ... 3.125e-4, grids of 161 and 241 points corrected for their ``h^2`` error),
    ``(r - x - lam s) / lam^2`` extrapolated by ``c + c1 lam + c2 lam^2`` is compared
    with ``correction`` (default :func:`raetut.optimal.rcae_score_correction`) at the
    nodes where ``p >= 0.01 max p``. Measured: ``max |c - c_rCAE|`` relative to ``max |c_rCAE|``;
    expected 0, tolerance 1e-2. What the measurement neglects: the ``lam^3`` term of
    the quotient, whose relative size falls by half with each halving of ``lam``
    (measured: 0.17 at 5e-3, 0.016 at 3.1e-4), which the two fitted corrections leave
    at about 3e-3; and the grid error after the correction, ``O(h^4)``, which divided by
    ``lam^2`` is about 2e-4 (the measured error moves from 2.8e-3 to 3.0e-3 when the fine
    grid has 321 points instead of 241). Without the grid correction the ``h^2`` error
    (0.24% of ``max |s|`` in ``(r - x)/lam``, independent of ``lam``) grows like
    ``1/lam`` in the quotient and dominates it below ``lam = 1e-3``. The DAE
    coefficient ``Delta s / 2 + (grad s) s`` misses by 0.59, the first-order field
    ``x + lam s`` by 1.

    Parameters
    ----------
    measurement : Rcae2D, optional
        Default :func:`measure_rcae_2d` with the chapter's settings.
    correction : callable, optional
        ``correction(density, X) -> (n, 2)``.

    Returns
    -------
    CheckResult
    """
    m = measure_rcae_2d() if measurement is None else measurement
    if not isinstance(m, Rcae2D):
        raise TypeError(f"measurement must come from measure_rcae_2d; got {type(m).__name__}")
    correction = check_callable(
        optimal.rcae_score_correction if correction is None else correction, "correction"
    )
    b = call_checked(lambda Z: correction(m.density, Z), m.points, "correction")
    scale = np.max(np.linalg.norm(b, axis=1))
    error = np.max(np.linalg.norm(m.coefficient - b, axis=1)) / scale
    first = m.first_order_error
    slope = power_law_slope(m.lams, first).slope
    return record(
        "2-D rCAE score error = lam (Delta s + (grad s)s) + O(lam^2)", error, 0.0, 1e-2,
        f"relative to max|c_rCAE| = {scale:.4g}; lam {m.lams[0]:g}..{m.lams[-1]:g}, grids "
        f"{m.grids[0]} and {m.grids[1]} (h^2 error removed); slope of the first-order "
        f"error {slope:.3f}",
    )


@register(chapter=4, kind="numerical")
def check_rcae_jacobian_2d(measurement=None, correction=None):
    """Theorem 2's Jacobian in 2-D, to second order: ``J = I + lam grad^2 log p + lam^2 Q``.

    ``Q = grad c_rCAE = grad^2 (Delta log p + |s|^2 / 2)``, a symmetric matrix (so its
    transpose, the other reading of "the Jacobian of ``c_rCAE``", is the same claim).
    From :func:`measure_rcae_2d` (chapter: the 2-D mixture, ``lam`` 5e-3 ... 3.125e-4,
    grids of 161 and 241 points; the Jacobian of each solution by central differences,
    the two combined to cancel their ``h^2`` error), ``(J - I - lam grad^2 log p) /
    lam^2`` extrapolated by ``c + c1 lam + c2 lam^2`` is compared, all four entries, with
    ``correction`` (default :func:`raetut.optimal.rcae_jacobian_correction`, fourth
    derivatives of ``log p`` by automatic differentiation, independent of the grid) at
    the nodes where ``p >= 0.01 max p``, far from the edges of the grid. Measured:
    ``max |c - Q|`` over the entries and the nodes, relative to ``max |c|`` (a scale that does not
    depend on the candidate ``Q``; ``max |Q|`` differs from it by 0.3%); expected 0,
    tolerance ``JACOBIAN_2D_TOLERANCE`` = 3e-2. What it neglects: (1) the grid error left by
    the combination, ``O(h^4)`` in ``J`` and proportional to ``lam`` (``J - I`` is), so
    ``O(h^4 / lam)`` in the quotient, largest at the smallest ``lam``: the coefficient moves
    by 1.1e-2 when the grids are 241 and 321 points instead (an error
    ``h_coarse^2 h_fine^2`` four times smaller), so the chapter's grids leave about 1.4e-2; (2) the
    ``lam^3`` term of ``J``, 0.25 of ``max |Q|`` in the quotient at ``lam = 5e-3`` and
    falling roughly in half with each halving of ``lam``, which the two fitted corrections
    leave at a few 1e-3 (the finer pair measures 1.7e-3 in all). The tolerance is about
    twice their sum. The wrong answers are many tolerances away: the DAE's coefficient, the
    Jacobian of ``c_DAE = Delta s / 2 + (grad s) s``
    (:func:`raetut.optimal.dae_jacobian_correction`), misses by 0.68 (by 0.14 in the
    off-diagonal entries alone); a zero correction (the first-order claim alone) by 1; the
    sign flip by 2. The DAE optimum with ``sigma^2 = lam`` in place of the solver measures
    its own coefficient and misses by 1.9. Measured on the chapter's objects: 9.1e-3
    (off-diagonal entries 1.1e-3).

    Parameters
    ----------
    measurement : Rcae2D, optional
        Default :func:`measure_rcae_2d` with the chapter's settings.
    correction : callable, optional
        ``correction(density, X) -> (n, 2, 2)``, the predicted coefficient.

    Returns
    -------
    CheckResult
    """
    m = measure_rcae_2d() if measurement is None else measurement
    if not isinstance(m, Rcae2D) or m.jacobian_coefficient is None:
        raise TypeError(f"measurement must come from measure_rcae_2d; got {type(m).__name__}")
    correction = check_callable(
        optimal.rcae_jacobian_correction if correction is None else correction, "correction"
    )
    n = m.points.shape[0]
    Q = call_checked(lambda Z: correction(m.density, Z), m.points, "correction",
                     shape=(n, 2, 2))
    c = m.jacobian_coefficient
    scale = np.max(np.abs(c))
    gap = np.abs(c - Q) / scale
    error = float(np.max(gap))
    asymmetry = np.max(np.abs(c - np.swapaxes(c, 1, 2))) / scale
    return record(
        "2-D rCAE Jacobian: lam^2 term -> grad^2(Delta log p + |s|^2/2)", error, 0.0,
        JACOBIAN_2D_TOLERANCE,
        f"relative to the largest measured entry {scale:.4g} (max|Q| = {np.max(np.abs(Q)):.4g}); "
        f"diagonal {np.max(gap[:, [0, 1], [0, 1]]):.2e}, "
        f"off-diagonal {np.max(gap[:, [0, 1], [1, 0]]):.2e}; asymmetry of the measured "
        f"coefficient {asymmetry:.1e}; lam {m.lams[0]:g}..{m.lams[-1]:g}, grids "
        f"{m.grids[0]} and {m.grids[1]} (h^2 error removed), {n} nodes",
    )


# ------------------------------------------------------- the Langevin representation


@dataclasses.dataclass(frozen=True)
class ResolventMonteCarlo:
    """Monte Carlo of the Langevin resolvent against the Euler–Lagrange optimum at ``points``.

    ``reference`` is the grid optimum (two grids combined to cancel their ``h^2``
    error), ``reference_error`` the finer grid's distance to it (a generous bound on
    what the combination leaves); ``estimate`` the
    :class:`raetut.optimal.LangevinResolventEstimate`. Arrays have shape (n, d).
    """

    density: object
    points: np.ndarray
    lam: float
    reference: np.ndarray
    reference_error: np.ndarray
    estimate: object

    def _pairs(self):
        e = self.estimate
        return [(e.position, e.position_se, e.position_step, e.position_step_se),
                (e.score_form, e.score_form_se, e.score_form_step, e.score_form_step_se)]

    @property
    def bias_bound(self):
        """Per comparison, (2, n, d): ``2 |step| + 3 SE(step) + reference_error``."""
        return np.stack([2 * np.abs(step) + 3 * step_se + self.reference_error
                         for _, _, step, step_se in self._pairs()])

    @property
    def gap_in_se(self):
        """``|estimate - reference| / SE`` for both estimators, shape (2, n, d)."""
        return np.stack([np.abs(est - self.reference) / se for est, se, _, _ in self._pairs()])

    @property
    def excess_in_se(self):
        """``max(|estimate - reference| - bias_bound, 0) / SE``, shape (2, n, d)."""
        gaps = np.stack([np.abs(est - self.reference) for est, _, _, _ in self._pairs()])
        se = np.stack([se for _, se, _, _ in self._pairs()])
        return np.maximum(gaps - self.bias_bound, 0.0) / se


def _nodes(grid, values, name):
    """Indices of ``values`` among the nodes of ``grid``; a ValueError if one is not a node."""
    index = np.rint((values - grid[0]) / (grid[1] - grid[0])).astype(int)
    if np.any(index < 0) or np.any(index >= grid.size) or not np.allclose(
            grid[np.clip(index, 0, grid.size - 1)], values, rtol=0, atol=1e-9):
        raise ValueError(f"{name} must be nodes of the grids ({grid.size} points on "
                         f"[{grid[0]:g}, {grid[-1]:g}]); got {values}")
    return index


def measure_langevin_resolvent(density=None, points=None, lam=None, rng=None,
                               n_paths=LANGEVIN_PATHS, n_steps=LANGEVIN_STEPS, solver=None,
                               estimator=None, n_grid=None):
    """Langevin Monte Carlo of ``r*_lam`` at a few points, and the grid optimum there.

    1-D (default: the paper's density, ``lam =`` ``LANGEVIN_LAM_1D``, points
    ``LANGEVIN_POINTS_1D``): ``solver(log_p, grid, lam)`` (default
    :func:`raetut.optimal.rcae_optimum_1d`) on ``n_grid`` (default ``N_GRID``) and
    ``(n_grid + 1) / 2`` points over the density's interval. 2-D (a 2-D density, e.g.
    :func:`chapter_mixture_2d`; ``LANGEVIN_LAM_2D``, ``LANGEVIN_POINTS_2D``):
    ``solver(log_p, grid_x, grid_y, lam)`` (default :func:`raetut.optimal.rcae_optimum_2d`)
    on the grids of ``GRID_2D``. The two solutions are combined at the points, which
    must be nodes of both grids, to cancel the ``h^2`` error. The Monte Carlo is
    ``estimator(score, points, lam, rng, n_paths=..., n_steps=...)`` (default
    :func:`raetut.optimal.rcae_optimum_langevin`).

    Returns
    -------
    ResolventMonteCarlo
    """
    density = paper_density_1d() if density is None else density
    dim = getattr(density, "dim", None)
    if dim not in (1, 2) or not callable(getattr(density, "score", None)):
        raise TypeError(f"density must be a 1-D or 2-D density with log_prob and score; got "
                        f"{type(density).__name__}")
    rng = np.random.default_rng(SEED) if rng is None else check_rng(rng)
    estimator = check_callable(optimal.rcae_optimum_langevin if estimator is None
                               else estimator, "estimator")
    if dim == 1:
        density = density_1d(density)
        lam = positive_scalar(LANGEVIN_LAM_1D if lam is None else lam, "lam")
        points = as_points(np.reshape(LANGEVIN_POINTS_1D, (-1, 1)) if points is None
                           else points, "points", dim=1)
        n_fine = positive_int(N_GRID if n_grid is None else n_grid, "n_grid", minimum=5)
        if n_fine % 2 == 0:
            raise ValueError(f"n_grid must be odd (the coarse grid takes every 2nd node); "
                             f"got {n_fine}")
        solver = _solver(solver)
        fine_grid = _grid(density, None, n_fine)
        coarse_grid = fine_grid[::2]
        index = _nodes(coarse_grid, points[:, 0], "points")
        log_p = log_density(density)
        fine = _solve(solver, log_p, fine_grid, lam)[2 * index, None]
        coarse = _solve(solver, log_p, coarse_grid, lam)[index, None]
        rho2 = 4.0
    else:
        lam = positive_scalar(LANGEVIN_LAM_2D if lam is None else lam, "lam")
        points = as_points(LANGEVIN_POINTS_2D if points is None else points, "points", dim=2)
        solver = check_callable(optimal.rcae_optimum_2d if solver is None else solver, "solver")
        lower, upper, n_coarse, n_fine = GRID_2D
        shared = math.gcd(n_coarse - 1, n_fine - 1)
        step_c, step_f = (n_coarse - 1) // shared, (n_fine - 1) // shared
        g_c, g_f = np.linspace(lower, upper, n_coarse), np.linspace(lower, upper, n_fine)
        index = _nodes(g_c[::step_c], points.ravel(), "points").reshape(points.shape)
        i_c, i_f = index * step_c, index * step_f
        coarse = _solve_2d(solver, density, g_c, lam)[i_c[:, 0], i_c[:, 1]]
        fine = _solve_2d(solver, density, g_f, lam)[i_f[:, 0], i_f[:, 1]]
        rho2 = (step_f / step_c) ** 2
    reference = (rho2 * fine - coarse) / (rho2 - 1.0)
    estimate = estimator(density.score, points, lam, rng, n_paths=n_paths, n_steps=n_steps)
    if not isinstance(estimate, optimal.LangevinResolventEstimate):
        raise TypeError("estimator must return a LangevinResolventEstimate; got "
                        f"{type(estimate).__name__}")
    if estimate.position.shape != points.shape:
        raise ValueError(f"estimator must estimate r at the {points.shape[0]} points; got "
                         f"shape {estimate.position.shape}")
    return ResolventMonteCarlo(density, points, lam, reference, np.abs(fine - reference),
                               estimate)


@register(chapter=4, kind="statistical")
def check_langevin_resolvent(measurements=None):
    """Langevin resolvent: ``E_x[X_tau]`` and ``x + lam E_x[s(X_tau)]`` equal the rCAE optimum.

    At each point of each measurement (:func:`measure_langevin_resolvent`; chapter:
    the paper's density at ``lam = 0.01`` and the 2-D mixture at ``lam = 0.05``, five
    points each, 20000 paths per point, 32 Euler–Maruyama steps per mean time ``lam``)
    both Monte-Carlo estimates of ``r*_lam`` are compared with the Euler–Lagrange grid
    optimum, component by component: ``K`` comparisons (chapter: 30).

    Statistic: ``max(|MC - grid| - B, 0) / SE``, largest over the comparisons, where
    ``SE`` is the standard error over the paths and ``B`` bounds the two biases.
    Time step: Euler–Maruyama has weak order one, so the fine run's bias is ``c h +
    O(h^2)`` and the coupled coarse run (steps ``2 h``, same Brownian increments)
    differs from it by ``-c h + O(h^2)``; ``B`` takes twice that difference plus 3 of
    its standard errors (measured: the difference halves when the steps are halved,
    0.16 to 0.09 SE at the worst 2-D point, so the ``O(h^2)`` part is small). Grid:
    the two grids combined leave ``O(h^4)``, bounded by the finer grid's own ``O(h^2)``
    distance to the combination (at most 2e-5 in 2-D, 1e-8 in 1-D). In 1-D the grid
    solver imposes zero flux at +-1.5, i.e. reflects the diffusion there; from these
    points, where ``|s| <= 15``, a particle does not reach the ends (``|s| ~ 150``)
    within the time ``tau`` with any probability that matters.

    Null distribution: each estimate is a mean of 20000 independent path values, normal
    to within the central limit theorem, so each ``|MC - grid| / SE`` exceeds ``z`` with
    probability at most ``2 (1 - Phi(z))``; ``z = Phi^{-1}(1 - beta / (2 K))``
    (``beta = LANGEVIN_BETA`` = 1%, Bonferroni; chapter: 3.59) makes the family-wise
    error rate at most 1%. Expected 0, tolerance ``z``. Power against the nearest
    wrong answers (the chapter prints them): the DAE optimum with ``sigma^2 = lam``
    in place of the grid optimum misses by 33 SE in 1-D and 30 SE in 2-D (largest gaps), the
    first-order field ``x + lam s`` by 185 SE in 1-D, and particles stopped at a time of
    mean ``2 lam`` by 136 SE in 1-D.

    Parameters
    ----------
    measurements : ResolventMonteCarlo or sequence of them, optional
        Default: :func:`measure_langevin_resolvent` for the paper's density and for
        :func:`chapter_mixture_2d`.

    Returns
    -------
    CheckResult
    """
    if measurements is None:
        measurements = (measure_langevin_resolvent(),
                        measure_langevin_resolvent(chapter_mixture_2d()))
    if isinstance(measurements, ResolventMonteCarlo):
        measurements = (measurements,)
    try:
        measurements = tuple(measurements)
    except TypeError:
        raise TypeError("measurements must come from measure_langevin_resolvent; got "
                        f"{type(measurements).__name__}") from None
    if not measurements or not all(isinstance(m, ResolventMonteCarlo) for m in measurements):
        raise TypeError("measurements must come from measure_langevin_resolvent")
    excess = np.concatenate([m.excess_in_se.ravel() for m in measurements])
    gap = np.concatenate([m.gap_in_se.ravel() for m in measurements])
    z = float(stats.norm.ppf(1.0 - LANGEVIN_BETA / (2 * excess.size)))
    dims = "+".join(f"{m.points.shape[1]}-D lam={m.lam:g}" for m in measurements)
    return record(
        "Langevin resolvent E_x[X_tau] = rCAE optimum (MC, z)", np.max(excess), 0.0, z,
        f"{excess.size} comparisons ({dims}); largest raw gap {np.max(gap):.2f} SE; "
        f"{measurements[0].estimate.n_paths} paths, {measurements[0].estimate.n_steps} steps "
        "per lam",
    )


# ------------------------------------------------------- the curl of the 2-D optimum


@dataclasses.dataclass(frozen=True)
class RcaeCurl:
    """Largest curl of the 2-D field ``r*_lam - x`` where there is data, on two grids.

    ``curl[i, g]`` is ``max |d F_2/d x_1 - d F_1/d x_2|`` for ``lams[i]`` on grid ``g``
    (``grids``, coarse then fine), over the nodes the grids share where
    ``p >= 0.01 max p``; ``floor`` the same for the Gaussian ``CURL_GAUSSIAN`` (whose
    optimum is linear with a symmetric matrix: curl exactly 0), over its own data
    region. Derivatives by central differences on each grid.
    """

    lams: np.ndarray
    grids: tuple
    curl: np.ndarray
    floor: np.ndarray

    @property
    def factor(self):
        """Per ``lam``: the fine grid's curl over the fine grid's Gaussian floor."""
        return self.curl[:, 1] / self.floor[:, 1]

    @property
    def grid_change(self):
        """Per ``lam``: ``|curl_coarse - curl_fine| / curl_fine``."""
        return np.abs(self.curl[:, 0] - self.curl[:, 1]) / self.curl[:, 1]


def _curl_on_grid(field, grid):
    """Curl of a field given on a square tensor grid, shape (n, n, 2) -> (n, n)."""
    J = np.empty(field.shape[:2] + (2, 2))
    for k in range(2):
        J[..., k, 0] = np.gradient(field[..., k], grid, axis=0)
        J[..., k, 1] = np.gradient(field[..., k], grid, axis=1)
    return fields.curl_2d(J.reshape(-1, 2, 2)).reshape(field.shape[:2])


def measure_rcae_curl(density=None, solver=None, lams=CURL_LAMS, grids=CURL_GRIDS,
                      bounds=(-4.5, 4.5)):
    """The curl of ``r*_lam - x`` in 2-D on two grids, and the Gaussian floor.

    ``solver(log_p, grid_x, grid_y, lam) -> (n, n, 2)`` (default
    :func:`raetut.optimal.rcae_optimum_2d`) for ``density`` (default
    :func:`chapter_mixture_2d`); the floor always comes from
    :func:`raetut.optimal.rcae_optimum_2d` on the Gaussian ``CURL_GAUSSIAN``.

    Returns
    -------
    RcaeCurl
    """
    density = chapter_mixture_2d() if density is None else density
    if getattr(density, "dim", None) != 2 or not callable(getattr(density, "log_prob", None)):
        raise TypeError(f"density must be a 2-D density with log_prob; got "
                        f"{type(density).__name__}")
    solver = check_callable(optimal.rcae_optimum_2d if solver is None else solver, "solver")
    lams = noise_levels_arg(lams, None, "lams")
    n_coarse = positive_int(grids[0], "grids[0]", minimum=3)
    n_fine = positive_int(grids[1], "grids[1]", minimum=n_coarse + 1)
    shared = math.gcd(n_coarse - 1, n_fine - 1)
    if shared < 20:
        raise ValueError(f"the grids of {n_coarse} and {n_fine} points share only "
                         f"{shared + 1} nodes per axis; need at least 21")
    steps = ((n_coarse - 1) // shared, (n_fine - 1) // shared)
    lower, upper = (float(b) for b in bounds)
    gaussian = GaussianMixture([1.0], [CURL_GAUSSIAN[0]], [CURL_GAUSSIAN[1]])
    shared_grid = np.linspace(lower, upper, shared + 1)
    P = np.stack(np.meshgrid(shared_grid, shared_grid, indexing="ij"), axis=-1).reshape(-1, 2)
    masks = [data_mask(d.prob(P)).reshape(shared + 1, shared + 1) for d in (density, gaussian)]

    def largest(d, solve, mask, lam):
        out = []
        for n, step in zip((n_coarse, n_fine), steps, strict=True):
            grid = np.linspace(lower, upper, n)
            G = np.stack(np.meshgrid(grid, grid, indexing="ij"), axis=-1)
            curl = _curl_on_grid(_solve_2d(solve, d, grid, lam) - G, grid)[::step, ::step]
            out.append(np.max(np.abs(curl[mask])))
        return out

    curl = np.array([largest(density, solver, masks[0], lam) for lam in lams])
    floor = np.array([largest(gaussian, optimal.rcae_optimum_2d, masks[1], lam) for lam in lams])
    return RcaeCurl(lams, (n_coarse, n_fine), curl, floor)


@register(chapter=4, kind="numerical")
def check_rcae_curl_2d(measurement=None):
    """Beyond the paper: in 2-D the optimal rCAE field ``r*_lam - x`` is not a gradient.

    From :func:`measure_rcae_curl` (chapter: the 2-D mixture, ``lam`` 0.05, 0.1, 0.2,
    grids of 121 and 161 points on ``[-4.5, 4.5]``), two conditions. (1) Above the
    floor: at every ``lam`` the largest curl where there is data exceeds, by at least
    ``CURL_FACTOR`` = 5, that of the grid optimum for a Gaussian, whose exact optimum
    is linear with a symmetric matrix, so whose computed curl is pure discretisation
    error (solver and differencing). Measured: the smallest factor; expected at least 5.
    (2) Grid-independent: discretisation errors are ``O(h^2)`` and change by a factor
    ``(160/120)^2 = 1.78`` between the grids, i.e. by 78% of the finer value; the
    curl may change by at most ``CURL_GRID_CHANGE`` = 25%, which allows at most about a
    third of the fine value to be grid error. Measured on the chapter's objects: factors
    16, 38, 88 and changes 0.08, 0.001, 0.016. The DAE optimum with ``sigma^2 = lam``,
    exactly a gradient (Tweedie), fails both: factor 2.8 (its differencing error on the
    mixture's field) and change 0.76 (an ``h^2`` error).

    Parameters
    ----------
    measurement : RcaeCurl, optional
        Default :func:`measure_rcae_curl` with the chapter's settings.

    Returns
    -------
    CheckResult
    """
    m = measure_rcae_curl() if measurement is None else measurement
    if not isinstance(m, RcaeCurl):
        raise TypeError(f"measurement must come from measure_rcae_curl; got {type(m).__name__}")
    factor, change = float(np.min(m.factor)), float(np.max(m.grid_change))
    return record(
        "2-D rCAE field has curl (factor over Gaussian floor)", factor, CURL_FACTOR, 0.0,
        f"max curl {np.array2string(m.curl[:, 1], precision=3)} at lam "
        f"{np.array2string(m.lams, precision=3)}; largest change between {m.grids[0]} and "
        f"{m.grids[1]} points {change:.3f} (at most {CURL_GRID_CHANGE:g})",
        passed=factor >= CURL_FACTOR, require=change <= CURL_GRID_CHANGE,
    )


# The authors' forward-spacing discretisation of the rCAE loss against the book's solver.
FORWARD_LAM = 1e-2                        # lam = sigma^2 at sigma = 0.1, in the authors' sweep
FORWARD_GRIDS = (500, 1000, 2000, 4000)   # points on [-1.5, 1.5] (the authors used 1000)
FORWARD_WINDOW = 0.9                      # compared on |x| <= 0.9, the authors' plotted range


@dataclasses.dataclass(frozen=True)
class ForwardScheme:
    """Distance between two discretisations of the rCAE optimum as the grid is refined.

    Attributes
    ----------
    spacings : ndarray (G,)
        Grid spacing of each grid.
    errors : ndarray (G,)
        ``max |r_a - r_b|`` on ``|x| <= window``: ``r_a`` the scheme under test
        (default :func:`raetut.optimal.rcae_optimum_1d_forward`), ``r_b`` the book's
        :func:`raetut.optimal.rcae_optimum_1d` on the same grid.
    order : float
        Fitted order of ``errors`` in the spacing.
    lam, window : float
    """

    spacings: np.ndarray
    errors: np.ndarray
    order: float
    lam: float
    window: float


def measure_forward_scheme(solver=None, lam=FORWARD_LAM, grids=FORWARD_GRIDS,
                           window=FORWARD_WINDOW):
    """The forward-spacing rCAE solver against the book's, on the paper's density.

    Parameters
    ----------
    solver : callable, optional
        ``solver(log_p, grid, lam) -> (m,)``; default
        :func:`raetut.optimal.rcae_optimum_1d_forward`.
    lam : float
    grids : sequence of int
        Numbers of points on ``[-1.5, 1.5]``, at least 3 grids.
    window : float
        Compare on ``|x| <= window`` (away from the zero-flux boundary layers).

    Returns
    -------
    ForwardScheme
    """
    solver = optimal.rcae_optimum_1d_forward if solver is None else solver
    check_callable(solver, "solver")
    lam = positive_scalar(lam, "lam")
    window = positive_scalar(window, "window")
    grids = [positive_int(m, "grids", minimum=10) for m in grids]
    if len(grids) < 3:
        raise ValueError("grids must hold at least 3 grid sizes")
    log_p = log_density(paper_density_1d())
    spacings, errors = [], []
    for m in grids:
        x = np.linspace(-1.5, 1.5, m)
        a = call_checked(lambda g: solver(log_p, g, lam), x, "solver", shape=x.shape,
                         call="solver(log_p, grid, lam)")
        b = optimal.rcae_optimum_1d(log_p, x, lam)
        inside = np.abs(x) <= window
        spacings.append(x[1] - x[0])
        errors.append(float(np.max(np.abs(a - b)[inside])))
    spacings, errors = np.array(spacings), np.array(errors)
    order = float(power_law_slope(spacings, errors).slope)
    return ForwardScheme(spacings, errors, order, lam, window)


@register(chapter=4, kind="numerical")
def check_forward_scheme_converges(measurement=None):
    """The authors' forward-spacing rCAE optimum converges to the book's, at first order.

    Both schemes discretise ``p (r - x) = lam (p r')'``. The book's
    (:func:`raetut.optimal.rcae_optimum_1d`) puts the density of each flux at the cell's
    midpoint and weighs the data term by trapezoid weights: second order in the spacing
    ``h``. The forward scheme (:func:`raetut.optimal.rcae_optimum_1d_forward`) takes the
    density at the cell's left end, ``p_i = p_{i+1/2} - (h/2) p'`` : its flux is off by a
    term of order ``h`` everywhere, so the two optima differ by ``C h + O(h^2)``.
    Measured: the fitted order of ``max |r_forward - r_book|`` on ``|x| <= 0.9`` over
    grids of 500 to 4000 points; expected 1, tolerance ``SLOPE_TOLERANCE`` (0.1; the
    ``O(h^2)`` remainder shifts the slope by less than 0.01 over these grids). A
    scheme that does not converge to the rCAE optimum fails: the DAE optimum at
    ``sigma^2 = lam`` (its distance to the rCAE optimum does not shrink with ``h``:
    order 0), and the forward loss with the spacing weights swapped (``p_i / D_i`` on
    the data term, ``p_i D_i`` on the penalty), which converges to another limit
    (order 0), and the book's solver at a penalty 1 % too large (order 0).

    Parameters
    ----------
    measurement : ForwardScheme, optional
        Default :func:`measure_forward_scheme`.

    Returns
    -------
    CheckResult
    """
    m = measure_forward_scheme() if measurement is None else measurement
    return record(
        f"forward-spacing rCAE optimum -> book's solver at order 1 (lam = {m.lam:g})",
        m.order, 1.0, SLOPE_TOLERANCE,
        f"max |difference| on |x| <= {m.window:g}: "
        f"{', '.join(f'{e:.3g}' for e in m.errors)} for h = "
        f"{', '.join(f'{h:.3g}' for h in m.spacings)}",
    )
