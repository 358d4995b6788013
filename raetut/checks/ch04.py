"""Chapter 4, the optimal rCAE: Theorem 2, its next term, its Jacobian, the Gaussian case."""

import numpy as np

from .. import diagnostics, optimal
from .._validation import check_callable, positive_int, positive_scalar
from ..densities import GaussianMixture
from . import record, register
from ._common import (
    SLOPE_TOLERANCE,
    call_checked,
    data_mask_1d,
    density_1d,
    log_density,
    noise_levels_arg,
    power_law_slope,
    solver_on_grid,
    support,
)

__all__ = [
    "check_rcae_score_error_order",
    "check_rcae_second_order_coefficient",
    "check_rcae_jacobian_hessian",
    "check_gaussian_rcae_solver",
]


def _rcae_setup(density, solver, bounds, n_grid):
    density = density_1d(density)
    solver = check_callable(optimal.rcae_optimum_1d if solver is None else solver, "solver")
    grid = np.linspace(*support(density, bounds), positive_int(n_grid, "n_grid", minimum=3))
    return density, solver, grid, data_mask_1d(density, grid)


@register(chapter=4, kind="numerical")
def check_rcae_score_error_order(density=None, solver=None, lams=None, bounds=None, n_grid=8001):
    """Theorem 2: ``(r*_lam(x) - x) / lam - s(x) = O(lam)`` where there is data.

    ``r*_lam`` from ``solver(log_p, grid, lam)`` (default :func:`raetut.optimal.rcae_optimum_1d`)
    on ``n_grid`` points; the maximum error over grid points with ``p >= 0.01 max p``
    (far from the boundary layers at the ends) for geometric ``lams`` from 2e-4 to
    5e-3. The discretisation error of ``(r - x) / lam`` is ``O(h^2)`` (about 1e-5 on
    the default grid), below 0.5% of the ``lam`` term even at the smallest ``lam``.
    Expected slope 1, tolerance ``SLOPE_TOLERANCE`` (0.1).

    Parameters
    ----------
    density : object, optional
    solver : callable, optional
        ``solver(log_p, grid, lam) -> r`` on the grid, shape (m,).
    lams : array_like, optional
    bounds : tuple of float, optional
    n_grid : int

    Returns
    -------
    CheckResult
    """
    density, solver, grid, mask = _rcae_setup(density, solver, bounds, n_grid)
    lams = noise_levels_arg(lams, (2e-4, 5e-3, 5), "lams")
    log_p, x = log_density(density), grid[mask]
    s = density.score(x[:, None])[:, 0]
    errors = [np.max(np.abs((solver_on_grid(solver, log_p, grid, lam)[mask] - x) / lam - s))
              for lam in lams]
    fit = power_law_slope(lams, errors)
    return record(
        "rCAE score error (r-x)/lam - s = O(lam) (Thm 2)", fit.slope, 1.0, SLOPE_TOLERANCE,
        f"max error = {fit.constant:.4g} lam^{fit.slope:.3f}, lam {lams[0]:g}..{lams[-1]:g}",
    )


@register(chapter=4, kind="numerical")
def check_rcae_second_order_coefficient(density=None, solver=None, correction=None, lams=None,
                                        bounds=None, n_grid=16001):
    """Result 3, next term: ``(r*_lam - x - lam s) / lam^2 -> Delta s + (grad s) s``.

    The quotient is extrapolated to ``lam -> 0`` by fitting ``c + c1 lam + c2 lam^2``
    over geometric ``lams`` from 5e-4 to 8e-3 and compared with ``correction`` where
    there is data. Measured: the maximum error relative to ``max |c|``; expected 0,
    tolerance 1e-2. The rCAE series converges more slowly than the DAE one (the
    ``lam^3`` term is about ``10 lam`` relative), so the neglected ``lam^5`` term and
    the discretisation error ``O(h^2 / lam_min)`` each leave a few 1e-4 to 1e-3.
    The DAE coefficient (``Delta s / 2`` instead of ``Delta s``) misses by O(1).

    Parameters
    ----------
    density : object, optional
    solver : callable, optional
        ``solver(log_p, grid, lam) -> r`` on the grid.
    correction : callable, optional
        ``correction(density, X) -> (n, 1)``; default :func:`raetut.optimal.rcae_score_correction`.
    lams : array_like, optional
    bounds : tuple of float, optional
    n_grid : int

    Returns
    -------
    CheckResult
    """
    density, solver, grid, mask = _rcae_setup(density, solver, bounds, n_grid)
    correction = check_callable(
        optimal.rcae_score_correction if correction is None else correction, "correction"
    )
    lams = noise_levels_arg(lams, (5e-4, 8e-3, 6), "lams")
    log_p, x = log_density(density), grid[mask]
    s = density.score(x[:, None])[:, 0]
    c = call_checked(lambda Z: correction(density, Z), x[:, None], "correction")[:, 0]
    residuals = np.stack([
        solver_on_grid(solver, log_p, grid, lam)[mask] - x - lam * s for lam in lams
    ])
    fitted = diagnostics.fit_leading_coefficient(lams, residuals, 2, n_corrections=2, step=1)
    error = np.max(np.abs(fitted - c)) / np.max(np.abs(c))
    return record(
        "rCAE lam^2 term -> Delta s + (grad s)s", error, 0.0, 1e-2,
        f"relative to max|c| = {np.max(np.abs(c)):.4g}; lam {lams[0]:g}..{lams[-1]:g}, "
        f"{n_grid} grid points",
    )


@register(chapter=4, kind="numerical")
def check_rcae_jacobian_hessian(density=None, solver=None, lams=None, bounds=None, n_grid=8001):
    """Theorem 2: ``dr*/dx = 1 + lam (log p)'' + O(lam^2)``.

    ``r*_lam`` is differentiated by second-order finite differences on the grid;
    together with the solver's own discretisation this changes the measured error by
    about 2% between 8001 and 16001 grid points (the fitted slope by 0.003), small
    against the ``lam^2`` term (about 60 lam^2). The maximum of
    ``|r' - 1 - lam (log p)''|`` where there is data is fitted against geometric
    ``lams`` from 1e-4 to 1e-3. Expected slope 2, tolerance ``SLOPE_TOLERANCE`` (0.1).

    Parameters
    ----------
    density : object, optional
    solver : callable, optional
        ``solver(log_p, grid, lam) -> r`` on the grid.
    lams : array_like, optional
    bounds : tuple of float, optional
    n_grid : int

    Returns
    -------
    CheckResult
    """
    density, solver, grid, mask = _rcae_setup(density, solver, bounds, n_grid)
    lams = noise_levels_arg(lams, (1e-4, 1e-3, 5), "lams")
    log_p = log_density(density)
    hessian = density.hessian_log_prob(grid[mask][:, None])[:, 0, 0]
    errors = []
    for lam in lams:
        slope = np.gradient(solver_on_grid(solver, log_p, grid, lam), grid)[mask]
        errors.append(np.max(np.abs(slope - 1.0 - lam * hessian)))
    fit = power_law_slope(lams, errors)
    return record(
        "rCAE Jacobian = 1 + lam (log p)'' + O(lam^2)", fit.slope, 2.0, SLOPE_TOLERANCE,
        f"max error = {fit.constant:.4g} lam^{fit.slope:.3f}, lam {lams[0]:g}..{lams[-1]:g}",
    )


@register(chapter=4, kind="numerical")
def check_gaussian_rcae_solver(mean=0.3, variance=0.5, lam=0.05, solver=None, closed_form=None,
                               n_grid=2001):
    """Result 3 for 1-D Gaussian data: the Euler–Lagrange solver matches the closed form.

    ``solver(log_p, grid, lam)`` on ``n_grid`` points over ``mean ± 8 sd`` against
    ``closed_form(mean, variance, lam)`` (default :func:`raetut.optimal.gaussian_rcae_optimum`,
    ``r = mu + a (x - mu)``, ``a = v / (v + lam)``) where ``p >= 0.01 max p``.
    Expected 0; the tolerance comes from the grid: the flux discretisation of
    ``(p r')'`` has local truncation error ``lam a h^2 |p'''/p| / 24`` for a linear
    ``r``, and by the maximum principle of ``r - lam (r'' + s r')`` the error of the
    solution is bounded by the truncation error; we take its maximum over the wider
    region ``p >= 1e-4 max p`` (the ends, where ``p`` is tiny, influence the interior
    only through a boundary layer of width ``O(sqrt(lam))``).

    Parameters
    ----------
    mean, variance : float
    lam : float
    solver : callable, optional
        ``solver(log_p, grid, lam) -> r`` on the grid; default
        :func:`raetut.optimal.rcae_optimum_1d`.
    closed_form : callable, optional
        ``closed_form(mean, cov, lam) -> r``.
    n_grid : int

    Returns
    -------
    CheckResult
    """
    solver = check_callable(solver or optimal.rcae_optimum_1d, "solver")
    closed_form = check_callable(closed_form or optimal.gaussian_rcae_optimum, "closed_form")
    variance = positive_scalar(variance, "variance")
    lam = positive_scalar(lam, "lam")
    mean = float(mean)
    gaussian = GaussianMixture([1.0], [mean], [variance])
    sd = np.sqrt(variance)
    grid = np.linspace(mean - 8 * sd, mean + 8 * sd, positive_int(n_grid, "n_grid", minimum=3))
    h = grid[1] - grid[0]
    r = solver_on_grid(solver, log_density(gaussian), grid, lam)
    exact = call_checked(closed_form(mean, variance, lam), grid[:, None], "closed_form")[:, 0]
    error = np.max(np.abs(r - exact)[data_mask_1d(gaussian, grid)])
    p = gaussian.prob(grid[:, None])
    wider = grid[p >= 1e-4 * np.max(p)]
    s = -(wider - mean) / variance
    p3_over_p = s**3 - 3 * s / variance  # p'''/p for a Gaussian (s' = -1/v, s'' = 0)
    a = variance / (variance + lam)
    tolerance = lam * a * h**2 * np.max(np.abs(p3_over_p)) / 24
    return record(
        "rCAE solver = Gaussian closed form (1-D)", error, 0.0, tolerance,
        f"h = {h:.3g}, lam = {lam:g}, error / h^2 = {error / h**2:.3g}",
    )
