"""What a field ``r(x) - x`` is: Jacobians, symmetry, curl, fixed points, energies, tangents.

A reconstruction ``r`` defines the field ``r(x) - x``. This module measures it:

- *its Jacobian* :func:`field_jacobian`, :func:`finite_difference_jacobian`, and its
  spectrum near a curve, :func:`jacobian_eigen`, :func:`tangent_angles`,
  :func:`tangent_analysis` (with :func:`curvature` and :func:`component_turn_angle` of
  the curve);
- *whether it is a gradient*: :func:`jacobian_asymmetry`, :func:`curl_2d`,
  :func:`field_curl_2d`, :func:`circulation`, :func:`closed_loop_log_ratio`,
  :func:`triangle_curl_flux`; :func:`energy_gradient` for a candidate energy;
- *what density it implies* (1-D): :func:`energy_from_field_1d`,
  :func:`energy_density_1d`, :func:`implied_log_density_1d`, :func:`implied_cdf_1d`;
- *where it vanishes*: :func:`attractors_1d`, :func:`fixed_points_1d`, and
  :func:`pointing_fraction` (how often it points along given directions).
"""

from dataclasses import dataclass

import autograd.numpy as anp
import numpy as np
from autograd import grad
from scipy.integrate import cumulative_simpson

from ._grid import cumulative_trapezoid, trapezoid, zero_crossings
from ._validation import (
    as_finite_array,
    as_jacobians,
    as_matching_points,
    as_points,
    call_checked,
    check_callable,
    increasing_grid,
    positive_int,
    positive_scalar,
    scale_parameter,
    values_on_grid,
)

__all__ = [
    "field_jacobian",
    "energy_gradient",
    "energy_from_field_1d",
    "energy_density_1d",
    "jacobian_asymmetry",
    "curl_2d",
    "circulation",
    "attractors_1d",
    "pointing_fraction",
    "finite_difference_jacobian",
    "jacobian_eigen",
    "tangent_angles",
    "TangentAnalysis",
    "tangent_analysis",
    "curvature",
    "component_turn_angle",
    "implied_log_density_1d",
    "implied_cdf_1d",
    "fixed_points_1d",
    "closed_loop_log_ratio",
    "field_curl_2d",
    "triangle_curl_flux",
]


def field_jacobian(field, X):
    """Jacobian of a field ``f: (n, d) -> (n, d)`` acting row by row, by autograd.

    One reverse pass per output component (``d`` in all): row ``i`` of the result is
    the gradient of ``sum_n f(X)[n, i]``, which equals ``grad f_i`` at each point
    because the rows do not interact.

    Parameters
    ----------
    field : callable
        ``X (n, d) -> (n, d)``, written with ``autograd.numpy`` (for example a
        trained model's reconstruction or :func:`raetut.optimal.dae_optimum`).
    X : array_like, shape (n, d)

    Returns
    -------
    ndarray, shape (n, d, d)
        ``out[n, i, j] = d f_i / d x_j`` at ``X[n]``.
    """
    check_callable(field, "field")
    X = as_points(X)
    n, d = X.shape
    out = np.empty((n, d, d))
    for i in range(d):
        out[:, i, :] = grad(lambda Z, i=i: anp.sum(field(Z)[:, i]))(X)
    return out


def energy_gradient(energy, X):
    """Gradient of an energy ``F: (n, d) -> (n,)`` at each point, by autograd.

    Parameters
    ----------
    energy : callable
        ``X (n, d) -> (n,)``, written with ``autograd.numpy``.
    X : array_like, shape (n, d)

    Returns
    -------
    ndarray, shape (n, d)
    """
    check_callable(energy, "energy")
    X = as_points(X)
    call_checked(energy, X, "energy", shape=X.shape[:1])
    return grad(lambda Z: anp.sum(energy(Z)))(X)


def energy_from_field_1d(field, grid):
    """An energy ``F`` with ``F' = f`` on a 1-D grid, ``F(grid[0]) = 0``.

    In one dimension every continuous field is a gradient: ``F`` is the cumulative
    integral of ``f``, here by the cumulative Simpson rule (error of order
    ``spacing^4`` for a smooth ``f``).

    Parameters
    ----------
    field : callable or array_like
        ``f(X) -> (m,)`` or ``(m, 1)`` for ``X`` of shape (m, 1) (for example
        ``lambda X: (r(X) - X)[:, 0]``), or its values on the grid, shape (m,).
    grid : array_like, shape (m,)
        Strictly increasing nodes.

    Returns
    -------
    ndarray, shape (m,)
    """
    grid = increasing_grid(grid, "grid")
    values = field(grid[:, None]) if callable(field) else field
    values = values_on_grid(values, grid.size, "field")
    return cumulative_simpson(values, x=grid, initial=0.0)


def energy_density_1d(energy, grid, sigma, tail_tolerance=1e-6, log=False):
    """The density ``q(x) = exp(F(x) / sigma^2) / Z`` on a 1-D grid, ``Z`` by quadrature.

    Under the reading ``log p ~ F / sigma^2 + const`` of a denoising auto-encoder's
    energy ``F``, this is the density the auto-encoder assigns to the data. ``Z`` is a
    trapezoid sum over ``grid``, which must cover the mass of ``q``; the largest value
    of ``F / sigma^2`` is subtracted before exponentiating, so no overflow occurs.

    Parameters
    ----------
    energy : callable or array_like
        ``F(X) -> (m,)`` for ``X`` of shape (m, 1) (e.g. ``lambda X: model.energy(params, X)``),
        or its values on the grid, shape (m,).
    grid : array_like, shape (m,)
        Strictly increasing nodes.
    sigma : float
        > 0.
    tail_tolerance : float
        Largest accepted value of ``q`` at either end of the grid, relative to its
        maximum. A learned energy can keep growing away from the data; a grid that
        cuts off part of the mass would give a wrong ``Z`` silently, so it is an error.
    log : bool
        Return ``log q`` instead of ``q`` (finite where ``q`` underflows to 0).

    Returns
    -------
    ndarray, shape (m,)
        ``q`` (or ``log q``) on the grid; the trapezoid integral of ``q`` is 1.

    Raises
    ------
    ValueError
        If ``q`` at an end of the grid exceeds ``tail_tolerance`` times its maximum.
    """
    grid = increasing_grid(grid, "grid")
    sigma = scale_parameter(sigma, "sigma")
    tail_tolerance = positive_scalar(tail_tolerance, "tail_tolerance")
    values = energy(grid[:, None]) if callable(energy) else energy
    log_q = values_on_grid(values, grid.size, "energy") / sigma**2
    q = np.exp(log_q - np.max(log_q))
    edge = max(q[0], q[-1])
    if edge > tail_tolerance:
        raise ValueError(
            f"grid does not cover the mass of exp(F / sigma^2): at an end of the grid q is "
            f"{edge:.3g} of its maximum (tail_tolerance={tail_tolerance:g}); extend the grid"
        )
    if log:
        return log_q - np.max(log_q) - np.log(trapezoid(q, grid))
    return q / trapezoid(q, grid)


def jacobian_asymmetry(J, per_point=False):
    """How far Jacobians are from symmetric: ``||J - J^T||_F / ||J||_F``.

    A smooth field on ``R^d`` is a gradient field exactly when its Jacobian is
    symmetric everywhere. The ratio is 0 for a symmetric matrix and 2 for an
    antisymmetric one. Over several points the aggregate is the ratio of root mean
    squares, ``sqrt(sum ||J - J^T||^2 / sum ||J||^2)``, so that points where ``J`` is
    nearly zero do not dominate.

    Parameters
    ----------
    J : array_like, shape (n, d, d)
        Jacobians of the field (for ``r(x) - x``: ``J_r - I``).
    per_point : bool
        Return one ratio per point instead of the aggregate.

    Returns
    -------
    float, or ndarray of shape (n,)
    """
    J = as_jacobians(J)
    skew = np.sum((J - np.swapaxes(J, 1, 2)) ** 2, axis=(1, 2))
    size = np.sum(J**2, axis=(1, 2))
    if per_point:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(size > 0, np.sqrt(skew / np.where(size > 0, size, 1.0)), 0.0)
    total = float(np.sum(size))
    if total == 0.0:
        raise ValueError("J is zero at every point: the asymmetry ratio is undefined")
    return float(np.sqrt(np.sum(skew) / total))


def curl_2d(J):
    """Curl ``d f_2 / d x_1 - d f_1 / d x_2`` of a 2-D field from its Jacobians.

    Parameters
    ----------
    J : array_like, shape (n, 2, 2)
        ``J[n, i, j] = d f_i / d x_j``.

    Returns
    -------
    ndarray, shape (n,)
    """
    J = as_jacobians(J)
    if J.shape[1] != 2:
        raise ValueError(f"J must have shape (n, 2, 2) for a curl in 2-D; got shape {J.shape}")
    return J[:, 1, 0] - J[:, 0, 1]


def circulation(field, center, radius, n_nodes=256):
    """Circulation ``closed integral f . dx`` of a 2-D field around a circle, anticlockwise.

    The trapezoid rule on a periodic integrand converges faster than any power of the
    number of nodes. By Stokes' theorem the circulation equals the integral of the
    curl over the disc; it is zero for a gradient field. It is also the difference
    between the line integrals of ``f`` from ``center - (radius, 0)`` to
    ``center + (radius, 0)`` along the lower and the upper half of the circle.

    Parameters
    ----------
    field : callable
        ``X (n, 2) -> (n, 2)``.
    center : array_like, shape (2,)
    radius : float
        > 0.
    n_nodes : int
        Quadrature nodes on the circle, >= 8.

    Returns
    -------
    float
    """
    check_callable(field, "field")
    center = as_finite_array(center, "center", shape=(2,))
    radius = positive_scalar(radius, "radius")
    n_nodes = positive_int(n_nodes, "n_nodes", minimum=8)
    t = 2.0 * np.pi * np.arange(n_nodes) / n_nodes
    direction = np.stack([np.cos(t), np.sin(t)], axis=1)
    points = center + radius * direction
    values = call_checked(field, points, "field")
    tangent = radius * np.stack([-np.sin(t), np.cos(t)], axis=1)  # d(points)/dt
    return float(np.sum(values * tangent) * 2.0 * np.pi / n_nodes)


def attractors_1d(reconstruct, lower, upper, n_grid=20001, return_repellers=False):
    """Attracting fixed points of a 1-D reconstruction: where ``r(x) - x`` goes from + to -.

    Sign changes of ``r(x) - x`` on a uniform grid, each refined by 60 bisection
    steps (``raetut._grid.zero_crossings``, shared with
    :func:`raetut.densities.critical_points_1d`). Where the field goes from - to + it
    points away from the zero: a repeller, returned on request. A zero that the field
    only touches is neither. Fixed points closer together than the grid spacing may be
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

    attractors, repellers = zero_crossings(lambda z: _field_on(reconstruct, z), x)
    if not return_repellers:
        return attractors
    return attractors, repellers


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
    field, directions = as_matching_points(field, directions, "field", "directions")
    return float(np.mean(np.sum(field * directions, axis=1) > 0))


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
        plus = call_checked(reconstruct, X + shift, "reconstruct")
        minus = call_checked(reconstruct, X - shift, "reconstruct")
        columns.append((plus - minus) / (2.0 * step))
    return np.stack(columns, axis=2)


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
    J = as_jacobians(J)
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
    vectors, tangents = as_matching_points(vectors, tangents, "vectors", "tangents")
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
            "angle_median": float(np.percentile(self.angles, 50)),
            "angle_p90": float(np.percentile(self.angles, 90)),
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
    J = as_jacobians(J)
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


def _field_on(reconstruct, x):
    """``r(x) - x`` on 1-D points ``x`` (m,), checked."""
    return call_checked(reconstruct, x[:, None], "reconstruct")[:, 0] - x


def implied_log_density_1d(reconstruct, sigma, grid):
    """The normalised log-density whose score is ``(r(x) - x) / sigma^2``, on a 1-D grid.

    In 1-D every field is a gradient: ``log q(x) = (1/sigma^2) ∫ (r(t) - t) dt + const``.
    It is the density that Metropolis–Hastings with line-integral log-ratios samples
    (up to quadrature), whatever ``r`` is. The integral is a cumulative trapezoid rule;
    the constant makes ``q`` integrate to 1 over the grid (trapezoid rule).

    Parameters
    ----------
    reconstruct : callable
        ``r(X) -> (n, 1)``.
    sigma : float
        > 0.
    grid : array_like, shape (m,)
        Strictly increasing, m >= 3.

    Returns
    -------
    ndarray, shape (m,)
    """
    check_callable(reconstruct, "reconstruct")
    sigma = scale_parameter(sigma, "sigma")
    x = increasing_grid(grid)
    log_q = cumulative_trapezoid(_field_on(reconstruct, x) / sigma**2, x)
    log_q -= np.max(log_q)
    return log_q - np.log(trapezoid(np.exp(log_q), x))


def implied_cdf_1d(reconstruct, sigma, lower, upper, n_grid=4001):
    """The CDF of the density implied by a 1-D field, restricted to an interval.

    ``q(x) ∝ exp((1/sigma^2) ∫ (r(t) - t) dt)`` on ``[lower, upper]`` and 0 outside
    (see :func:`implied_log_density_1d`). Restricting to an interval lets one describe
    what a chain samples when it cannot leave a basin of the field, for instance the
    one around the data bounded by two repellers (:func:`fixed_points_1d`).

    Parameters
    ----------
    reconstruct : callable
        ``r(X) -> (n, 1)``.
    sigma : float
    lower, upper : float
        ``lower < upper``.
    n_grid : int
        Grid points of the trapezoid rule and of the interpolation table, >= 3.

    Returns
    -------
    callable
        ``cdf(x) -> (m,)`` for ``x`` of shape (m,) or (m, 1), piecewise linear on the grid.
    """
    lower = float(as_finite_array(lower, "lower", ndim=0))
    upper = float(as_finite_array(upper, "upper", ndim=0))
    if not upper > lower:
        raise ValueError(f"upper must be > lower={lower}; got {upper}")
    grid = np.linspace(lower, upper, positive_int(n_grid, "n_grid", minimum=3))
    q = np.exp(implied_log_density_1d(reconstruct, sigma, grid))
    table = cumulative_trapezoid(q, grid)
    table /= table[-1]

    def cdf(x):
        return np.interp(values_on_grid(x, None, "x"), grid, table, left=0.0, right=1.0)

    return cdf


def fixed_points_1d(reconstruct, lower, upper, n_grid=20001):
    """Attractors and repellers of ``r(x) - x`` in 1-D: :func:`attractors_1d`, both kinds.

    The same as ``attractors_1d(reconstruct, lower, upper, n_grid, return_repellers=True)``.

    An attractor (+ to -) is a local maximum of the implied density
    :func:`implied_log_density_1d`, a repeller (- to +) a local minimum.

    Returns
    -------
    attractors, repellers : ndarray
        Both increasing.
    """
    return attractors_1d(reconstruct, lower, upper, n_grid=n_grid, return_repellers=True)


def closed_loop_log_ratio(log_ratio, vertices):
    """Sum of log-ratios around closed polygons ``v_0 -> v_1 -> ... -> v_0``.

    For a log-ratio that is a difference ``log q(x_new) - log q(x)`` of one function
    the sum is 0; for the line integral of a field with curl it is the circulation of
    the field around the polygon (divided by ``sigma^2``).

    Parameters
    ----------
    log_ratio : callable
        ``log_ratio(x, x_new) -> (n,)``.
    vertices : sequence of array_like, each shape (n, d)
        At least 3 vertices; row ``i`` of each array belongs to polygon ``i``.

    Returns
    -------
    ndarray, shape (n,)
    """
    check_callable(log_ratio, "log_ratio")
    vertices = list(vertices)
    if len(vertices) < 3:
        raise ValueError(f"vertices must hold at least 3 arrays (a polygon); got {len(vertices)}")
    first = as_points(vertices[0], "vertices[0]")
    points = [first] + [
        as_points(v, f"vertices[{k}]", dim=first.shape[1]) for k, v in enumerate(vertices[1:], 1)
    ]
    for k, v in enumerate(points):
        if v.shape != first.shape:
            raise ValueError(
                f"vertices[{k}] must have shape {first.shape} like vertices[0]; got {v.shape}"
            )
    total = np.zeros(first.shape[0])
    for a, b in zip(points, points[1:] + points[:1], strict=True):
        total = total + call_checked(log_ratio, (a, b), "log_ratio", shape=first.shape[:1],
                                     call="log_ratio(x, x_new)")
    return total


def field_curl_2d(jacobian):
    """The curl ``d r_2 / d x_1 - d r_1 / d x_2`` of a 2-D map, as a function of the points.

    The curl of ``r(x) - x`` is the same, since ``x`` is a gradient. Evaluates
    :func:`raetut.fields.curl_2d` on ``jacobian(X)``.

    Parameters
    ----------
    jacobian : callable
        ``J(X) -> (n, 2, 2)`` with ``J[n, i, j] = d r_i / d x_j``.

    Returns
    -------
    callable
        ``curl(X) -> (n,)``.
    """
    check_callable(jacobian, "jacobian")

    def curl(X):
        X = as_points(X, dim=2)
        return curl_2d(call_checked(jacobian, X, "jacobian", shape=(X.shape[0], 2, 2)))

    return curl


def triangle_curl_flux(curl, A, B, C, n_nodes=48):
    """Signed integral of a scalar curl over triangles ``A B C``.

    By Stokes' theorem it equals the circulation ``∮ F · dx`` of a 2-D field ``F`` with
    that curl around ``A -> B -> C -> A`` (positive for counter-clockwise triangles).
    Quadrature: the triangle is the image of the unit square under
    ``(u, v) -> A + u (1 - v) (B - A) + u v (C - A)`` (Jacobian ``u`` times twice the
    signed area), with ``n_nodes`` Gauss–Legendre nodes in each direction.

    Parameters
    ----------
    curl : callable
        ``curl(X) -> (n,)``.
    A, B, C : array_like, shape (n, 2)
        Vertices of ``n`` triangles.
    n_nodes : int
        Nodes per direction.

    Returns
    -------
    ndarray, shape (n,)
    """
    check_callable(curl, "curl")
    A = as_points(A, "A", dim=2)
    B = as_points(B, "B", dim=2)
    C = as_points(C, "C", dim=2)
    if not A.shape == B.shape == C.shape:
        raise ValueError(
            f"A, B and C must have the same shape; got {A.shape}, {B.shape}, {C.shape}"
        )
    n_nodes = positive_int(n_nodes, "n_nodes")
    t, w = np.polynomial.legendre.leggauss(n_nodes)
    t, w = 0.5 * (t + 1.0), 0.5 * w
    u, v = (a.ravel() for a in np.meshgrid(t, t, indexing="ij"))
    weights = (w[:, None] * w[None, :]).ravel() * u  # (q,)
    AB, AC = B - A, C - A
    points = (
        A[None]
        + (u * (1.0 - v))[:, None, None] * AB[None]
        + (u * v)[:, None, None] * AC[None]
    )  # (q, n, 2)
    flat = points.reshape(-1, 2)
    values = call_checked(curl, flat, "curl", shape=flat.shape[:1])
    twice_area = AB[:, 0] * AC[:, 1] - AB[:, 1] * AC[:, 0]
    return twice_area * (weights @ values.reshape(points.shape[:2]))
