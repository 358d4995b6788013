"""What a trained auto-encoder learns: score errors in 1-D, tangents near a manifold.

The measurements of the book's two experiment chapters, *What a finite
auto-encoder learns* (1-D) and *Data near a manifold* (the 2-D spiral).

Score estimates from a finite auto-encoder (1-D)
    A DAE trained with noise ``sigma`` gives the estimate ``(r(x) - x) / sigma^2`` of
    the score ``s``. Its error splits into the bias of the criterion and the
    estimation error of the fit,

    ``(r - x) / sigma^2 - s = (s_sigma - s) + (r - r*_sigma) / sigma^2``,

    with ``s_sigma = grad log p_sigma`` and ``r*_sigma`` the exact optimum. Because
    ``r*_sigma(x~) = E[x | x~]``, the excess of the expected DAE loss over its
    minimum is exactly a weighted squared error (Pythagoras in ``L^2``):

    ``L_DAE(r) - L_DAE(r*_sigma) = integral p_sigma(x) (r(x) - r*_sigma(x))^2 dx``.

    :func:`score_error_1d`, :func:`excess_dae_loss_1d`, :func:`smoothed_squared_error_1d`,
    :func:`dae_estimation_error_scale` and :func:`empirical_dae_optimum` (the optimum
    of the *empirical* criterion: the score of a Gaussian kernel density estimate)
    measure these pieces; :func:`far_from_data` and :func:`relative_errors` measure
    what happens where there is no data.

Tangents of a manifold (any dimension, curves)
    Near data concentrated on a curve, the eigenvector of ``J_r = dr/dx`` with the
    largest eigenvalue follows the curve, and the eigenvalues are near 1 along it and
    small across it. :func:`dae_optimum_jacobian` gives the exact ``J`` of the optimal
    DAE, :func:`finite_difference_jacobian` a numerical one for any ``r``;
    :func:`jacobian_eigen`, :func:`tangent_angles` and :func:`tangent_analysis`
    compare them with the true tangents.

Checks
    ``check_*`` functions return :class:`raetut.checks.CheckResult` records for the
    two chapters' claims; their tolerances are explained in each docstring.
"""

from dataclasses import dataclass

import numpy as np

from . import criteria
from ._validation import (
    as_finite_array,
    as_points,
    check_callable,
    increasing_grid,
    nonnegative_scalar,
    positive_int,
    positive_scalar,
)
from .checks import CheckResult
from .densities import GaussianMixture, _eval_points
from .optimal import dae_optimum

__all__ = [
    "score_error_1d",
    "excess_dae_loss_1d",
    "smoothed_squared_error_1d",
    "dae_estimation_error_scale",
    "empirical_dae_optimum",
    "far_from_data",
    "relative_errors",
    "far_field_error",
    "attractors_1d",
    "pointing_fraction",
    "dae_optimum_jacobian",
    "finite_difference_jacobian",
    "jacobian_eigen",
    "tangent_angles",
    "TangentAnalysis",
    "tangent_analysis",
    "curvature",
    "component_turn_angle",
    "check_score_on_data",
    "check_far_field_limit",
    "check_excess_loss_identity",
    "check_attractors_at_points",
    "check_tangent_angles",
    "check_eigenvalues",
]

# Points count as "where there is data" when p >= DATA_LEVEL * max p (as in raetut.checks).
DATA_LEVEL = 1e-2


# --------------------------------------------------------------------------- helpers


def _mixture_1d(density):
    if not isinstance(density, GaussianMixture) or density.dim != 1:
        raise TypeError(
            f"density must be a 1-D raetut.GaussianMixture; got {type(density).__name__}"
            + (f" of dimension {density.dim}" if isinstance(density, GaussianMixture) else "")
        )
    return density


def _on_grid(values, m, name):
    """Values on a 1-D grid as shape (m,), accepting (m,) or (m, 1)."""
    values = as_finite_array(values, name)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.shape != (m,):
        raise ValueError(f"{name} must have shape ({m},) or ({m}, 1) to match grid; "
                         f"got shape {values.shape}")
    return values


def _data_weights(density, grid, level):
    """Trapezoid weights times ``p`` on the grid, zero where ``p < level * max p``."""
    p = np.asarray(density.prob(grid[:, None]), dtype=float)
    weights = criteria.quadrature_weights(grid) * p
    return np.where(p >= level * np.max(p), weights, 0.0)


def _level(level):
    level = nonnegative_scalar(level, "level")
    if level >= 1:
        raise ValueError(f"level must be in [0, 1); got {level}")
    return level


def _reconstruction(reconstruct, X, name="reconstruct"):
    out = np.asarray(reconstruct(X), dtype=float)
    if out.shape != X.shape:
        raise ValueError(f"{name}(X) must return shape {X.shape}; got {out.shape}")
    return out


def _angle_quantile(angles, quantile):
    return float(np.percentile(angles, quantile))


# -------------------------------------------------------------- 1-D score estimates


def score_error_1d(estimate, density, grid, reference=None, level=DATA_LEVEL):
    """Relative ``p``-weighted RMS error of a score estimate where there is data.

    ``sqrt(integral_D p (estimate - reference)^2) / sqrt(integral_D p s^2)`` with
    ``D = {x : p(x) >= level * max p}`` (the maximum taken on the grid), trapezoid
    rule on ``grid``. The denominator is always the true score ``s``, so errors
    against different references (``s``, ``s_sigma``, an optimum) are on one scale
    and obey the triangle inequality.

    Parameters
    ----------
    estimate : array_like, shape (m,) or (m, 1)
        The estimate on the grid, e.g. ``(r(x) - x) / sigma^2``.
    density : object
        A 1-D density with ``prob`` and ``score`` (e.g. a 1-D GaussianMixture).
    grid : array_like, shape (m,)
        Strictly increasing grid covering the data.
    reference : array_like, shape (m,) or (m, 1), optional
        What the estimate is compared with; default the score ``s`` on the grid.
    level : float
        Data region threshold relative to ``max p``, in [0, 1).

    Returns
    -------
    float
    """
    grid = increasing_grid(grid, "grid")
    if getattr(density, "dim", None) != 1:
        raise TypeError("density must be a 1-D density (dim == 1) with prob and score")
    m = grid.size
    estimate = _on_grid(estimate, m, "estimate")
    score = _on_grid(density.score(grid[:, None]), m, "density.score")
    reference = score if reference is None else _on_grid(reference, m, "reference")
    weights = _data_weights(density, grid, _level(level))
    norm = float(np.sum(weights * score**2))
    if norm <= 0:
        raise ValueError("the score vanishes on the data region: a relative error is undefined")
    return float(np.sqrt(np.sum(weights * (estimate - reference) ** 2) / norm))


def excess_dae_loss_1d(reconstruct, density, sigma, grid, n_hermite=60):
    """Expected DAE loss of ``r`` minus that of the exact optimum, by quadrature.

    ``L_DAE(r) - L_DAE(r*_sigma)``, both from
    :func:`raetut.criteria.dae_loss_quadrature` (no sampling), for a 1-D Gaussian
    mixture. Non-negative up to quadrature error, since ``r*_sigma`` minimises the loss.

    Parameters
    ----------
    reconstruct : callable
        ``r(X) -> (n, 1)``.
    density : GaussianMixture
        1-D.
    sigma : float
        Corruption level, > 0.
    grid : array_like, shape (m,)
        Quadrature nodes covering the mass of ``p``.
    n_hermite : int
        Gauss-Hermite nodes for the corruption.

    Returns
    -------
    float
    """
    density = _mixture_1d(density)
    check_callable(reconstruct, "reconstruct")
    sigma = positive_scalar(sigma, "sigma")
    grid = increasing_grid(grid, "grid")
    n_hermite = positive_int(n_hermite, "n_hermite")
    optimum = dae_optimum(density, sigma)
    loss = criteria.dae_loss_quadrature(reconstruct, density, sigma, grid, n_hermite=n_hermite)
    best = criteria.dae_loss_quadrature(optimum, density, sigma, grid, n_hermite=n_hermite)
    return float(loss - best)


def smoothed_squared_error_1d(reconstruct, density, sigma, grid):
    """``integral p_sigma(x) (r(x) - r*_sigma(x))^2 dx`` by the trapezoid rule.

    The ``p_sigma``-weighted squared distance from the exact optimum; equal to
    :func:`excess_dae_loss_1d` (see the module docstring). Divided by ``sigma^4`` it is
    the ``p_sigma``-weighted squared error of the score estimate against ``s_sigma``.

    Parameters
    ----------
    reconstruct : callable
        ``r(X) -> (n, 1)``.
    density : GaussianMixture
        1-D.
    sigma : float
        > 0.
    grid : array_like, shape (m,)
        Nodes covering the mass of ``p_sigma``.

    Returns
    -------
    float
    """
    density = _mixture_1d(density)
    check_callable(reconstruct, "reconstruct")
    sigma = positive_scalar(sigma, "sigma")
    grid = increasing_grid(grid, "grid")
    X = grid[:, None]
    diff = _reconstruction(reconstruct, X)[:, 0] - dae_optimum(density, sigma)(X)[:, 0]
    p_sigma = density.smoothed(sigma).prob(X)
    return float(np.sum(criteria.quadrature_weights(grid) * p_sigma * diff**2))


def dae_estimation_error_scale(density, sigma, n_params, n_pairs, grid, level=DATA_LEVEL,
                               n_hermite=60):
    """The expected size of a fitted DAE's score error due to finite data.

    A least-squares fit with ``k`` parameters to ``M`` input-target pairs whose
    targets scatter with variance ``v`` around the regression function misses it
    by about ``k v / M`` in mean square. For the DAE the regression function is
    ``r*_sigma(x~) = E[x | x~]`` and the average scatter ``v`` is the minimum loss
    ``L_DAE(r*_sigma)`` (about ``d sigma^2``). Dividing by ``sigma^2`` turns this into
    a score error; this function returns it relative to the score's size,

    ``sqrt(k L_DAE(r*_sigma) / M) / sigma^2 / sqrt(integral_D p s^2)``,

    on the same scale as :func:`score_error_1d`. It grows like ``1 / sigma`` as the
    noise shrinks and falls like ``1 / sqrt(M)``. Network parameters are not all
    free (the effective number is usually below ``k``), so the scale tends to
    overestimate the error of a well-conditioned fit; a network too small to
    represent ``r*_sigma`` adds an approximation error it does not include.

    Parameters
    ----------
    density : GaussianMixture
        1-D.
    sigma : float
        Corruption level, > 0.
    n_params : int
        Number of fitted parameters ``k``.
    n_pairs : int
        Number of (clean, corrupted) training pairs ``M``.
    grid : array_like, shape (m,)
        Quadrature nodes covering the mass of ``p``.
    level : float
        Data region threshold, as in :func:`score_error_1d`.
    n_hermite : int
        Gauss-Hermite nodes for the minimum loss.

    Returns
    -------
    float
    """
    density = _mixture_1d(density)
    sigma = positive_scalar(sigma, "sigma")
    n_params = positive_int(n_params, "n_params")
    n_pairs = positive_int(n_pairs, "n_pairs")
    grid = increasing_grid(grid, "grid")
    best = criteria.dae_loss_quadrature(dae_optimum(density, sigma), density, sigma, grid,
                                        n_hermite=positive_int(n_hermite, "n_hermite"))
    weights = _data_weights(density, grid, _level(level))
    score_norm = np.sqrt(np.sum(weights * density.score(grid[:, None])[:, 0] ** 2))
    return float(np.sqrt(n_params * best / n_pairs) / sigma**2 / score_norm)


def empirical_dae_optimum(X, sigma):
    """The minimiser of the DAE criterion on a finite sample, over all functions.

    With the expectation over ``x`` replaced by the average over the sample (and
    the one over the noise kept), the optimum is the posterior mean under the
    empirical distribution: by Tweedie's formula
    ``r(x) = x + sigma^2 grad log p_hat_sigma(x)``, where
    ``p_hat_sigma = (1/n) sum_i N(x_i, sigma^2 I)`` is the Gaussian kernel density
    estimate of bandwidth ``sigma``. An auto-encoder of unlimited capacity trained on
    the sample learns the score of this estimate, not of ``p``.

    Parameters
    ----------
    X : array_like, shape (n, d)
        The training sample.
    sigma : float
        Corruption level, > 0.

    Returns
    -------
    callable
        ``r(Z) -> (m, d)`` for ``Z`` of shape (m, d).
    """
    X = as_points(X)
    sigma = positive_scalar(sigma, "sigma")
    n, d = X.shape
    kde = GaussianMixture(np.full(n, 1.0 / n), X, np.broadcast_to(sigma**2 * np.eye(d), (n, d, d)))

    def reconstruct(Z):
        Z = _eval_points(Z, d, "Z")
        return Z + sigma**2 * kde.score(Z)

    return reconstruct


def far_from_data(points, X, margin):
    """Which points are farther than ``margin`` from every training point.

    Parameters
    ----------
    points : array_like, shape (m, d)
    X : array_like, shape (n, d)
        The training sample.
    margin : float
        Distance, > 0.

    Returns
    -------
    ndarray of bool, shape (m,)
    """
    points = as_points(points, "points")
    X = as_points(X, dim=points.shape[1])
    margin = positive_scalar(margin, "margin")
    nearest = np.empty(points.shape[0])
    for start in range(0, points.shape[0], 1024):
        block = points[start : start + 1024]
        dist2 = np.sum((block[:, None, :] - X[None, :, :]) ** 2, axis=2)
        nearest[start : start + 1024] = np.sqrt(np.min(dist2, axis=1))
    return nearest > margin


def relative_errors(estimate, reference):
    """Pointwise relative error ``||estimate - reference|| / ||reference||``.

    Parameters
    ----------
    estimate, reference : array_like, shape (n, d)
        ``reference`` must not vanish at any point.

    Returns
    -------
    ndarray, shape (n,)
    """
    estimate = as_points(estimate, "estimate")
    reference = as_points(reference, "reference", dim=estimate.shape[1])
    if reference.shape != estimate.shape:
        raise ValueError(f"reference must have the shape of estimate, {estimate.shape}; "
                         f"got {reference.shape}")
    size = np.linalg.norm(reference, axis=1)
    if np.any(size == 0):
        raise ValueError("reference vanishes at some points: the relative error is undefined")
    return np.linalg.norm(estimate - reference, axis=1) / size


def far_field_error(estimate, reference, points, X, margin):
    """Relative RMS error of a field on the points farther than ``margin`` from the data.

    ``sqrt(sum_far ||estimate - reference||^2 / sum_far ||reference||^2)`` over the rows
    of ``points`` that :func:`far_from_data` flags (equal weights: there is no data
    to weight by).

    Parameters
    ----------
    estimate, reference : array_like, shape (m, d)
        The two fields at ``points``.
    points : array_like, shape (m, d)
    X : array_like, shape (n, d)
        The training sample.
    margin : float
        > 0.

    Returns
    -------
    float
    """
    points = as_points(points, "points")
    estimate = as_points(estimate, "estimate", dim=points.shape[1])
    reference = as_points(reference, "reference", dim=points.shape[1])
    if estimate.shape != points.shape or reference.shape != points.shape:
        raise ValueError(f"estimate and reference must have the shape of points, {points.shape}")
    far = far_from_data(points, X, margin)
    if not np.any(far):
        raise ValueError(f"no point of points is farther than margin={margin} from the data")
    norm = np.sum(reference[far] ** 2)
    if norm == 0:
        raise ValueError("reference vanishes on the far points: the relative error is undefined")
    return float(np.sqrt(np.sum((estimate[far] - reference[far]) ** 2) / norm))


def attractors_1d(reconstruct, lower, upper, n_grid=20001, return_repellers=False):
    """Attracting fixed points of a 1-D reconstruction: where ``r(x) - x`` goes from + to -.

    Sign changes of ``r(x) - x`` on a uniform grid, each refined by 60 bisection
    steps. Where the field goes from - to + it points away from the zero: a repeller,
    returned on request. Fixed points closer together than the grid spacing may be
    missed.

    Parameters
    ----------
    reconstruct : callable
        ``r(X) -> (n, 1)``.
    lower, upper : float
        Search interval, ``lower < upper``.
    n_grid : int
        Grid points, >= 3.
    return_repellers : bool
        Also return the repellers.

    Returns
    -------
    attractors : ndarray, shape (k,)
        Increasing.
    repellers : ndarray, shape (j,)
        Increasing; only with ``return_repellers=True``.
    """
    check_callable(reconstruct, "reconstruct")
    lower = float(as_finite_array(lower, "lower", ndim=0))
    upper = float(as_finite_array(upper, "upper", ndim=0))
    if not upper > lower:
        raise ValueError(f"upper must be > lower={lower}; got {upper}")
    x = np.linspace(lower, upper, positive_int(n_grid, "n_grid", minimum=3))

    def field(z):
        z = np.atleast_1d(z)
        return _reconstruction(reconstruct, z[:, None])[:, 0] - z

    f = field(x)

    def refine(idx, sign):
        # Bracket [lo, hi] with sign * f(lo) > 0 >= sign * f(hi), halved 60 times.
        lo, hi = x[idx], x[idx + 1]
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            keep_hi = sign * field(mid) > 0
            lo = np.where(keep_hi, mid, lo)
            hi = np.where(keep_hi, hi, mid)
        return 0.5 * (lo + hi)

    attractors = refine(np.flatnonzero((f[:-1] > 0) & (f[1:] <= 0)), 1.0)
    if not return_repellers:
        return attractors
    return attractors, refine(np.flatnonzero((f[:-1] < 0) & (f[1:] >= 0)), -1.0)


# ---------------------------------------------------------------- Jacobians, tangents


def pointing_fraction(field, directions):
    """Fraction of points where a field points along given directions (positive dot product).

    E.g. with ``directions = nearest curve point - x``: how often ``r(x) - x`` points
    toward the curve; with tangents oriented toward higher density: how often the field
    moves points along the curve toward higher density.

    Parameters
    ----------
    field, directions : array_like, shape (n, d)

    Returns
    -------
    float
        In [0, 1].
    """
    field = as_points(field, "field")
    directions = as_points(directions, "directions", dim=field.shape[1])
    if directions.shape != field.shape:
        raise ValueError(f"directions must have the shape of field, {field.shape}; "
                         f"got {directions.shape}")
    return float(np.mean(np.sum(field * directions, axis=1) > 0))


def dae_optimum_jacobian(density, sigma):
    """Exact Jacobian of the optimal DAE, ``J = I + sigma^2 grad^2 log p_sigma``.

    Follows from Tweedie's form ``r*_sigma(x) = x + sigma^2 grad log p_sigma(x)``; the
    matrix is symmetric (the field is a gradient).

    Parameters
    ----------
    density : GaussianMixture
    sigma : float
        > 0.

    Returns
    -------
    callable
        ``J(X) -> (n, d, d)`` for ``X`` of shape (n, d).
    """
    if not isinstance(density, GaussianMixture):
        raise TypeError(f"density must be a raetut.GaussianMixture; got {type(density).__name__}")
    sigma = positive_scalar(sigma, "sigma")
    smooth = density.smoothed(sigma)
    eye = np.eye(density.dim)

    def jacobian(X):
        X = as_points(X, dim=density.dim)
        return eye + sigma**2 * smooth.hessian_log_prob(X)

    return jacobian


def finite_difference_jacobian(reconstruct, X, step=1e-5):
    """Jacobian ``dr/dx`` by central differences.

    Error ``O(step^2)`` from the third derivatives of ``r`` plus rounding
    ``O(eps |r| / step)``.

    Parameters
    ----------
    reconstruct : callable
        ``r(X) -> (n, d)``.
    X : array_like, shape (n, d)
    step : float
        Difference step, > 0.

    Returns
    -------
    ndarray, shape (n, d, d)
        ``out[n, i, j] = d r_i / d x_j``.
    """
    check_callable(reconstruct, "reconstruct")
    X = as_points(X)
    step = positive_scalar(step, "step")
    n, d = X.shape
    columns = []
    for j in range(d):
        shift = np.zeros(d)
        shift[j] = step
        plus = _reconstruction(reconstruct, X + shift)
        minus = _reconstruction(reconstruct, X - shift)
        columns.append((plus - minus) / (2.0 * step))
    return np.stack(columns, axis=2)


def _jacobians(J):
    J = as_finite_array(J, "J")
    if J.ndim != 3 or J.shape[1] != J.shape[2]:
        raise ValueError(f"J must have shape (n, d, d); got shape {J.shape}")
    return J


def jacobian_eigen(J):
    """Eigenvalues and eigenvectors of Jacobians, largest (real part) first.

    The Jacobian of an untied auto-encoder need not be symmetric, so its
    eigenvalues may be complex; then the real parts are returned and the point is
    flagged (its "eigenvectors" are the normalised real parts and carry no meaning).

    Parameters
    ----------
    J : array_like, shape (n, d, d)

    Returns
    -------
    values : ndarray, shape (n, d)
        Real parts of the eigenvalues, decreasing.
    vectors : ndarray, shape (n, d, d)
        ``vectors[n, :, k]`` is the unit eigenvector of ``values[n, k]``.
    is_complex : ndarray of bool, shape (n,)
        Whether the point has a complex eigenvalue.
    """
    J = _jacobians(J)
    values, vectors = np.linalg.eig(J)
    scale = np.maximum(np.max(np.abs(values), axis=1), np.finfo(float).tiny)
    is_complex = np.max(np.abs(values.imag), axis=1) > 1e-12 * scale
    order = np.argsort(-values.real, axis=1, kind="stable")
    values = np.take_along_axis(values.real, order, axis=1)
    vectors = np.take_along_axis(vectors.real, order[:, None, :], axis=2)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors = vectors / np.where(norms > 0, norms, 1.0)
    return values, vectors, is_complex


def tangent_angles(vectors, tangents):
    """Angle in degrees between each direction and a tangent, ignoring orientation.

    Parameters
    ----------
    vectors, tangents : array_like, shape (n, d)
        Non-zero vectors.

    Returns
    -------
    ndarray, shape (n,)
        In ``[0, 90]``.
    """
    vectors = as_points(vectors, "vectors")
    tangents = as_points(tangents, "tangents", dim=vectors.shape[1])
    if tangents.shape != vectors.shape:
        raise ValueError(f"tangents must have the shape of vectors, {vectors.shape}; "
                         f"got {tangents.shape}")
    nv = np.linalg.norm(vectors, axis=1)
    nt = np.linalg.norm(tangents, axis=1)
    if np.any(nv == 0) or np.any(nt == 0):
        raise ValueError("vectors and tangents must be non-zero")
    cos = np.abs(np.sum(vectors * tangents, axis=1)) / (nv * nt)
    return np.degrees(np.arccos(np.clip(cos, 0.0, 1.0)))


@dataclass(frozen=True)
class TangentAnalysis:
    """How Jacobians ``J_r`` line up with the tangents of a curve.

    Attributes
    ----------
    angles : ndarray, shape (n,)
        Degrees between the leading eigenvector (largest eigenvalue) and the tangent.
    eigenvalues : ndarray, shape (n, d)
        Real parts, decreasing.
    along : ndarray, shape (n,)
        Stretch along the curve, ``t^T J t`` for the unit tangent ``t``.
    across : ndarray, shape (n,)
        Mean stretch across it, ``(tr J - t^T J t) / (d - 1)`` (in 2-D, ``n^T J n`` for
        the unit normal ``n``).
    is_complex : ndarray of bool, shape (n,)
        Points where ``J`` has complex eigenvalues.
    """

    angles: np.ndarray
    eigenvalues: np.ndarray
    along: np.ndarray
    across: np.ndarray
    is_complex: np.ndarray

    def summary(self):
        """Median and 90th percentile of the angles, medians of the stretches; dict."""
        return {
            "angle_median": _angle_quantile(self.angles, 50),
            "angle_p90": _angle_quantile(self.angles, 90),
            "along_median": float(np.median(self.along)),
            "across_median": float(np.median(self.across)),
            "complex_fraction": float(np.mean(self.is_complex)),
        }


def tangent_analysis(J, tangents):
    """Compare Jacobians with the unit tangents of a curve at the same points.

    Parameters
    ----------
    J : array_like, shape (n, d, d)
        Jacobians ``dr/dx``, ``d >= 2``.
    tangents : array_like, shape (n, d)
        Tangent directions (normalised here).

    Returns
    -------
    TangentAnalysis
    """
    J = _jacobians(J)
    n, d, _ = J.shape
    if d < 2:
        raise ValueError("J must be at least 2 x 2 for a tangent analysis")
    tangents = as_points(tangents, "tangents", dim=d)
    if tangents.shape[0] != n:
        raise ValueError(f"tangents must have one row per Jacobian ({n}); got {tangents.shape[0]}")
    length = np.linalg.norm(tangents, axis=1, keepdims=True)
    if np.any(length == 0):
        raise ValueError("tangents must be non-zero")
    t = tangents / length
    values, vectors, is_complex = jacobian_eigen(J)
    along = np.einsum("ni,nij,nj->n", t, J, t)
    across = (np.trace(J, axis1=1, axis2=2) - along) / (d - 1)
    angles = tangent_angles(vectors[:, :, 0], t)
    return TangentAnalysis(angles, values, along, across, is_complex)


def curvature(curve, t, step=1e-4):
    """Curvature ``kappa = |dT/ds|`` of a parametrised curve, by central differences.

    Parameters
    ----------
    curve : object
        With ``curve(t) -> (n, d)`` and ``tangent(t) -> (n, d)`` (unit tangents), e.g. a
        SpiralMixture.
    t : array_like, shape (n,)
        Curve parameters.
    step : float
        Difference step in ``t``, > 0.

    Returns
    -------
    ndarray, shape (n,)
    """
    if not (callable(getattr(curve, "curve", None)) and callable(getattr(curve, "tangent", None))):
        raise TypeError("curve must have curve(t) and tangent(t) methods (e.g. a SpiralMixture)")
    t = np.atleast_1d(as_finite_array(t, "t")).ravel()
    h = positive_scalar(step, "step")
    speed = np.linalg.norm(curve.curve(t + h) - curve.curve(t - h), axis=1) / (2 * h)
    turn = np.linalg.norm(curve.tangent(t + h) - curve.tangent(t - h), axis=1) / (2 * h)
    return turn / speed


def component_turn_angle(spiral):
    """Half the largest turn of the tangent between neighbouring components, in degrees.

    A mixture laid along a curve has components whose long axes are the tangents at
    their centres. Between two centres the curve's tangent lies between those two
    axes, and the mixture's local axis is a weighted compromise of them, so the
    leading eigenvector of the exact optimum's Jacobian should stay within about half
    the turn between neighbours of the true tangent. Used as the tolerance of the
    optimum's angle errors.

    Parameters
    ----------
    spiral : SpiralMixture
        Needs ``t_components`` and ``tangent(t)``.

    Returns
    -------
    float
    """
    t = getattr(spiral, "t_components", None)
    if t is None or not callable(getattr(spiral, "tangent", None)):
        raise TypeError("spiral must be a raetut.SpiralMixture (t_components and tangent)")
    tangents = spiral.tangent(np.asarray(t))
    return float(np.max(tangent_angles(tangents[:-1], tangents[1:])) / 2.0)


# ----------------------------------------------------------------------------- checks


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
    density = _mixture_1d(density)
    check_callable(reconstruct, "reconstruct")
    sigma = positive_scalar(sigma, "sigma")
    grid = increasing_grid(grid, "grid")
    X = grid[:, None]
    estimate = (_reconstruction(reconstruct, X) - X) / sigma**2
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
    density = _mixture_1d(density)
    check_callable(reconstruct, "reconstruct")
    scale = positive_scalar(scale, "scale")
    rtol = positive_scalar(rtol, "rtol")
    P = as_finite_array(points, "points", ndim=1)[:, None]
    estimate = (_reconstruction(reconstruct, P) - P) / scale
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


def check_tangent_angles(analysis, quantile, tolerance, label):
    """The leading eigenvector of ``J_r`` follows the tangent of the curve.

    Measured: the ``quantile``-th percentile of :attr:`TangentAnalysis.angles` (degrees);
    expected 0 within ``tolerance``. For reference, directions drawn at random in the
    plane have median 45 and 90th percentile 81 degrees.

    Parameters
    ----------
    analysis : TangentAnalysis
    quantile : float
        In [0, 100].
    tolerance : float
        Degrees, > 0.
    label : str
        Whose Jacobian (e.g. "optimal DAE").

    Returns
    -------
    CheckResult
    """
    if not isinstance(analysis, TangentAnalysis):
        raise TypeError(f"analysis must be a TangentAnalysis; got {type(analysis).__name__}")
    quantile = nonnegative_scalar(quantile, "quantile")
    if quantile > 100:
        raise ValueError(f"quantile must be in [0, 100]; got {quantile}")
    tolerance = positive_scalar(tolerance, "tolerance")
    measured = _angle_quantile(analysis.angles, quantile)
    return CheckResult(
        f"{label}: {quantile:g}th pct angle(eigvec, tangent) [deg]", measured, 0.0, tolerance,
        bool(measured <= tolerance),
        f"{analysis.angles.size} points, complex eigenvalues at "
        f"{100 * np.mean(analysis.is_complex):.1f}%",
    )


def check_eigenvalues(analysis, which, expected, tolerance, label):
    """Median stretch of ``J_r`` along or across the curve against its predicted value.

    Parameters
    ----------
    analysis : TangentAnalysis
    which : {"along", "across", "gap"}
        The median of :attr:`TangentAnalysis.along`, of :attr:`TangentAnalysis.across`,
        or the difference of the two medians.
    expected : float
        Predicted value.
    tolerance : float
        Accepted ``|measured - expected|``, > 0.
    label : str
        Whose Jacobian.

    Returns
    -------
    CheckResult
    """
    if not isinstance(analysis, TangentAnalysis):
        raise TypeError(f"analysis must be a TangentAnalysis; got {type(analysis).__name__}")
    if which not in ("along", "across", "gap"):
        raise ValueError(f"which must be one of ['across', 'along', 'gap']; got {which!r}")
    expected = float(as_finite_array(expected, "expected", ndim=0))
    tolerance = positive_scalar(tolerance, "tolerance")
    along = float(np.median(analysis.along))
    across = float(np.median(analysis.across))
    measured = {"along": along, "across": across, "gap": along - across}[which]
    names = {"along": "median stretch along the curve", "across": "median stretch across it",
             "gap": "median stretch along - across"}
    return CheckResult(
        f"{label}: {names[which]}", measured, expected, tolerance,
        bool(abs(measured - expected) <= tolerance),
        f"along {along:.3g}, across {across:.3g} (medians over {analysis.along.size} points)",
    )
