"""Chapter 6, what a finite auto-encoder learns."""

import numpy as np

from .._validation import as_finite_array, check_callable, increasing_grid, positive_scalar
from ..densities import check_mixture
from ..diagnostics import (
    dae_estimation_error_scale,
    excess_dae_loss_1d,
    relative_errors,
    score_error_1d,
    smoothed_squared_error_1d,
)
from ..fields import attractors_1d
from ..optimal import dae_optimum
from . import CheckResult
from ._common import DATA_LEVEL, call_checked

__all__ = [
    "check_score_on_data",
    "check_far_field_limit",
    "check_excess_loss_identity",
    "check_attractors_at_points",
]


def check_score_on_data(reconstruct, density, sigma, grid, n_params, n_pairs, level=DATA_LEVEL,
                        label="DAE"):
    """A trained DAE's score estimate is good where there is data.

    Measured: :func:`score_error_1d` of ``(r(x) - x) / sigma^2`` against ``s``.
    Expected 0, within ``bias + scale``: ``bias`` is the same error of the exact
    optimum ``r*_sigma`` (the part that no amount of data removes, ``O(sigma^2)``),
    ``scale`` is :func:`dae_estimation_error_scale` for ``n_params`` parameters and
    ``n_pairs`` training pairs (the part due to finite data). By the triangle
    inequality the error is at most ``bias`` plus the distance to the optimum, which a
    least-squares fit keeps near or below ``scale``.

    Parameters
    ----------
    reconstruct : callable
        The trained ``r(X) -> (n, 1)``.
    density : GaussianMixture
        1-D, the density the training data came from.
    sigma : float
        Training noise level.
    grid : array_like, shape (m,)
        Grid covering the data.
    n_params, n_pairs : int
        Fitted parameters and training pairs.
    level : float
        Data region threshold.
    label : str
        Name of the model in the claim.

    Returns
    -------
    CheckResult
    """
    density = check_mixture(density, dim=1)
    check_callable(reconstruct, "reconstruct")
    sigma = positive_scalar(sigma, "sigma")
    grid = increasing_grid(grid, "grid")
    X = grid[:, None]
    estimate = (call_checked(reconstruct, X, "reconstruct") - X) / sigma**2
    optimum = (dae_optimum(density, sigma)(X) - X) / sigma**2
    error = score_error_1d(estimate, density, grid, level=level)
    bias = score_error_1d(optimum, density, grid, level=level)
    to_optimum = score_error_1d(estimate, density, grid, reference=optimum, level=level)
    scale = dae_estimation_error_scale(density, sigma, n_params, n_pairs, grid, level=level)
    return CheckResult(
        f"{label}: score error on data <= bias + finite-data scale",
        error, 0.0, bias + scale, bool(np.isfinite(error) and error <= bias + scale),
        f"bias (optimum) {bias:.3g}, distance to optimum {to_optimum:.3g}, "
        f"finite-data scale {scale:.3g}, sigma={sigma:g}, k={n_params}, M={n_pairs}",
    )


def check_far_field_limit(reconstruct, density, scale, points=(-1000.0, 1000.0), rtol=0.05,
                          label="DAE"):
    """Far from the data a bounded network's score estimate is off by ``|v / scale - 1|``.

    A one-hidden-layer network with sigmoid or tanh units has a bounded ``r``, which
    levels off to a constant far from the data. The estimate ``(r(x) - x) / scale``
    (``scale = sigma^2`` for a DAE, ``lam`` for an rCAE) then grows like ``-x / scale``,
    whereas far in the tails of a Gaussian mixture the score is exactly (up to
    exponentially small terms) that of the component that dominates there,
    ``-(x - mu) / v``. Hence

    ``|est - s| / |s| = |(v / scale) (x - r(x)) / (x - mu) - 1| -> |v / scale - 1|``,

    a fixed, generally large error that more data or more units do not remove.
    Measured at each of ``points``; the check compares the measurement farthest from
    its prediction. The correction is ``(v / scale) (|r| + |mu|) / |x|`` in relative
    size: at ``|x| = 1000``, with ``r`` and ``mu`` of the size of the data (a few
    units), it is below 1% of ``v / scale``; the default ``rtol = 0.05`` leaves room
    for ``r`` levelling off up to about five times farther out than the data.

    Parameters
    ----------
    reconstruct : callable
        ``r(X) -> (n, 1)``.
    density : GaussianMixture
        1-D, the density of the training data.
    scale : float
        ``sigma^2`` (DAE) or ``lam`` (rCAE), > 0.
    points : sequence of float
        Points far from the data, ``|x|`` large against the data's spread.
    rtol : float
        Tolerance relative to the prediction, > 0.
    label : str
        Name of the model in the claim.

    Returns
    -------
    CheckResult
    """
    density = check_mixture(density, dim=1)
    check_callable(reconstruct, "reconstruct")
    scale = positive_scalar(scale, "scale")
    rtol = positive_scalar(rtol, "rtol")
    P = as_finite_array(points, "points", ndim=1)[:, None]
    estimate = (call_checked(reconstruct, P, "reconstruct") - P) / scale
    measured = relative_errors(estimate, density.score(P))
    dominant = np.argmax(density.component_responsibilities(P), axis=1)
    variance = density.covariances[dominant, 0, 0]
    expected = np.abs(variance / scale - 1.0)
    worst = int(np.argmax(np.abs(measured / expected - 1.0)))
    tol = rtol * expected[worst]
    return CheckResult(
        f"{label}: far-field rel. error -> |v/scale - 1| (bounded r)",
        measured[worst], expected[worst], tol,
        bool(np.isfinite(measured[worst]) and abs(measured[worst] - expected[worst]) <= tol),
        f"x = {np.round(P[:, 0], 1).tolist()}: rel. errors {np.round(measured, 3).tolist()}, "
        f"predicted {np.round(expected, 3).tolist()} (v = tail variance, scale = {scale:g})",
    )


def check_excess_loss_identity(reconstruct, density, sigma, grid, n_hermite=60, rtol=1e-6):
    """Excess expected DAE loss = ``p_sigma``-weighted squared distance to the optimum.

    ``L_DAE(r) - L_DAE(r*_sigma) = integral p_sigma (r - r*_sigma)^2`` holds exactly
    for every ``r`` (the cross term vanishes because ``r*_sigma(x~) = E[x | x~]``).
    Both sides by quadrature: Gauss-Hermite with ``n_hermite`` nodes and the
    trapezoid rule on a grid resolving ``sigma`` are accurate to about 1e-10 relative
    for smooth ``r``, so the default tolerance ``rtol = 1e-6`` of the right-hand side
    leaves room only for quadrature, not for a missing term.

    Parameters
    ----------
    reconstruct : callable
        ``r(X) -> (n, 1)``.
    density : GaussianMixture
        1-D.
    sigma : float
        > 0.
    grid : array_like, shape (m,)
        Nodes covering the mass of ``p_sigma``, spacing well below ``sigma``.
    n_hermite : int
    rtol : float
        Relative tolerance, > 0.

    Returns
    -------
    CheckResult
    """
    rtol = positive_scalar(rtol, "rtol")
    excess = excess_dae_loss_1d(reconstruct, density, sigma, grid, n_hermite=n_hermite)
    distance = smoothed_squared_error_1d(reconstruct, density, sigma, grid)
    tol = rtol * abs(distance)
    return CheckResult(
        "excess DAE loss = int p_sigma (r - r*)^2", excess, distance, tol,
        bool(np.isfinite(excess) and abs(excess - distance) <= tol),
        f"sigma={sigma:g}; relative difference "
        f"{abs(excess - distance) / max(distance, 1e-300):.2g}",
    )


def check_attractors_at_points(reconstruct, points, lower, upper, tolerance):
    """A DAE trained on a few points has one attractor at each of them.

    The attracting fixed points of ``r`` (:func:`attractors_1d` on ``[lower, upper]``)
    are matched with the training points; measured is the largest distance between
    a training point and its nearest attractor. The claim also needs exactly one
    attractor per point. Choose ``tolerance`` from the fit's accuracy: a shift ``dr``
    of ``r`` near a point where ``r' ~ 0`` moves the fixed point by about ``dr``.

    Parameters
    ----------
    reconstruct : callable
        ``r(X) -> (n, 1)``.
    points : array_like, shape (k,) or (k, 1)
        The training points.
    lower, upper : float
        Search interval.
    tolerance : float
        > 0.

    Returns
    -------
    CheckResult
    """
    points = as_finite_array(points, "points").ravel()
    tolerance = positive_scalar(tolerance, "tolerance")
    found = attractors_1d(reconstruct, lower, upper)
    if found.size == 0:
        worst = float("inf")
    else:
        worst = float(np.max(np.min(np.abs(points[:, None] - found[None, :]), axis=1)))
    one_each = found.size == points.size
    return CheckResult(
        "one attractor at each training point", worst, 0.0, tolerance,
        bool(np.isfinite(worst) and worst <= tolerance and one_each),
        f"{found.size} attractors at {np.round(found, 3).tolist()} for {points.size} points",
    )
