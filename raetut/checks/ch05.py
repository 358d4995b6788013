"""Chapter 5, reconstruction error is not an energy."""

import numpy as np
from scipy.interpolate import CubicSpline

from .. import optimal
from .._validation import check_callable, positive_int
from ..densities import critical_points_1d, paper_density_1d
from . import record, register
from ._common import call_checked, density_1d, log_density, support

__all__ = [
    "check_antimode_reconstruction",
]


@register(chapter=5, kind="numerical")
def check_antimode_reconstruction(density=None, reconstruct=None, lam=1e-4, bounds=None,
                                  n_grid=6001):
    """Result 4: reconstruction error is ~0 at modes *and* antimodes, where ``-log p`` is high.

    Critical points from :func:`raetut.densities.critical_points_1d`; by default ``r`` is the
    rCAE optimum (:func:`raetut.optimal.rcae_optimum_1d`, cubic-spline interpolated). At a
    critical point ``r - x = lam^2 c_rCAE + O(lam^3)`` while elsewhere it is
    ``lam s``, so the ratio of ``(r - x)^2`` at the critical points to its maximum
    between the outermost ones is ``O(lam^2)`` (about 2e-4 for the default
    ``lam = 1e-4`` on the paper's density). Measured: that ratio; expected 0,
    tolerance 1e-3 ("about 0" meaning three orders of magnitude below typical).
    The check also requires ``-log p`` at every antimode to exceed ``-log p`` at
    every mode: low reconstruction error at points of low probability.

    Parameters
    ----------
    density : object, optional
        A 1-D density with at least one antimode; default :func:`raetut.densities.paper_density_1d`.
    reconstruct : callable, optional
        ``r(X) -> (n, 1)``.
    lam : float
        Penalty of the default rCAE optimum.
    bounds : tuple of float, optional
    n_grid : int

    Returns
    -------
    CheckResult
    """
    density = density_1d(density, default=paper_density_1d)
    lower, upper = support(density, bounds)
    modes, antimodes = critical_points_1d(density, lower, upper)
    if antimodes.size == 0:
        raise ValueError("density must have at least one antimode (local minimum)")
    grid = np.linspace(lower, upper, positive_int(n_grid, "n_grid", minimum=3))
    if reconstruct is None:
        spline = CubicSpline(grid, optimal.rcae_optimum_1d(log_density(density), grid, lam))

        def reconstruct(X):
            return spline(X[:, 0])[:, None]

    check_callable(reconstruct, "reconstruct")
    critical = np.sort(np.concatenate([modes, antimodes]))[:, None]
    between = grid[(grid >= critical[0, 0]) & (grid <= critical[-1, 0])][:, None]
    at_critical = np.sum((call_checked(reconstruct, critical, "reconstruct") - critical) ** 2,
                         axis=1)
    typical = np.max(np.sum((call_checked(reconstruct, between, "reconstruct") - between) ** 2,
                            axis=1))
    energy_modes = -density.log_prob(modes[:, None])
    energy_antimodes = -density.log_prob(antimodes[:, None])
    gap = float(np.min(energy_antimodes) - np.max(energy_modes))
    return record(
        "recon. error ~0 at antimodes (high -log p) too", np.max(at_critical) / typical, 0.0, 1e-3,
        f"-log p: modes {np.round(energy_modes, 3).tolist()}, antimodes "
        f"{np.round(energy_antimodes, 3).tolist()} (gap {gap:.3g} > 0 required)",
        require=gap > 0,
    )
