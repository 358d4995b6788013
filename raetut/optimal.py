"""The exact optima of the denoising and reconstruction-contractive criteria.

- DAE (Theorem 1): ``r*(x) = E[x | x + eps = x~]``. For a Gaussian mixture this is
  available in closed form through Tweedie's formula ``r*(x) = x + sigma^2 grad log p_sigma(x)``
  with ``p_sigma = p * N(0, sigma^2 I)`` (:func:`dae_optimum`); for any 1-D density, by
  quadrature (:func:`dae_optimum_1d`).
- rCAE (Theorem 2): each output component solves the Euler-Lagrange equation
  ``p (r_k - x_k) = lam div(p grad r_k)`` with zero flux at the boundary. We minimise
  the discretised loss directly: a tridiagonal system in 1-D (:func:`rcae_optimum_1d`),
  a sparse one on a tensor grid in 2-D (:func:`rcae_optimum_2d`).
- Gaussian data: both optima are the same linear shrinkage towards the mean.
- The Langevin representation: ``r*_lam = (I - lam L)^{-1} x = E_x[X_tau]`` with
  ``L = Delta + s . grad`` the generator of ``dX = s dt + sqrt(2) dW`` and ``tau``
  exponential of mean ``lam``; estimated by simulation in :func:`rcae_optimum_langevin`.
- The second-order terms of the small-noise expansions,

  ``r*_sigma(x) = x + sigma^2 s + sigma^4 (Delta s / 2 + (grad s) s) + O(sigma^6)`` (DAE),
  ``r*_lam(x) = x + lam s + lam^2 (Delta s + (grad s) s) + O(lam^3)`` (rCAE),

  where ``s`` is the score. The DAE term follows from Tweedie's formula and the heat
  equation ``d p_t / dt = Delta p_t / 2`` with ``t = sigma^2``; the rCAE term from
  inserting ``r = x + lam a + lam^2 b`` into the Euler-Lagrange equation. The rCAE
  expansion holds in the interior, where ``p`` is not tiny: near the ends of a
  bounded domain the zero-flux condition adds a boundary layer.
"""

import dataclasses

import autograd.numpy as anp
import numpy as np
from autograd import elementwise_grad, grad, hessian
from scipy import linalg, sparse
from scipy.sparse import linalg as sparse_linalg

from ._grid import trapezoid_weights
from ._validation import (
    as_finite_array,
    as_points,
    call_checked,
    check_callable,
    check_rng,
    increasing_grid,
    positive_int,
    scale_parameter,
)
from .densities import GaussianMixture, check_mixture, eval_points

__all__ = [
    "dae_optimum",
    "dae_optimum_1d",
    "rcae_optimum_1d",
    "rcae_optimum_1d_forward",
    "rcae_optimum_2d",
    "gaussian_dae_optimum",
    "gaussian_rcae_optimum",
    "dae_score_correction",
    "rcae_score_correction",
    "empirical_dae_optimum",
    "dae_optimum_jacobian",
    "LangevinResolventEstimate",
    "rcae_optimum_langevin",
    "dae_posterior_covariance",
    "dae_posterior_variance_1d",
    "dae_jacobian_correction",
    "rcae_jacobian_correction",
]

# Largest change of log p allowed across half a grid cell (exp(600) is still finite).
_MAX_LOG_STEP = 600.0


def dae_optimum(density, sigma):
    """The optimal denoising reconstruction for a Gaussian mixture, exactly.

    ``r*(x) = E[x | x + eps = x] = x + sigma^2 grad log p_sigma(x)`` (Tweedie's
    formula), where ``p_sigma`` is the mixture smoothed by ``N(0, sigma^2 I)``.

    Parameters
    ----------
    density : GaussianMixture
        The data density ``p``.
    sigma : float
        Standard deviation of the Gaussian corruption, > 0.

    Returns
    -------
    callable
        ``r(X) -> (n, d)`` for ``X`` of shape (n, d); differentiable with autograd.
    """
    check_mixture(density, hint=" (for other 1-D densities use dae_optimum_1d)")
    sigma = scale_parameter(sigma, "sigma")
    smooth = density.smoothed(sigma)

    def reconstruct(X):
        X = eval_points(X, density.dim)
        return X + sigma**2 * smooth.score(X)

    reconstruct.__doc__ = f"Optimal DAE reconstruction for sigma={sigma:g}: (n, d) -> (n, d)."
    return reconstruct


def _log_density_on(log_p, points):
    """``log_p(points)``, one value per point; ``-inf`` (p = 0) is accepted, NaN and +inf not."""
    values = call_checked(log_p, points, "log_p", shape=points.shape[:1], finite="log",
                          call="log_p(x)" if points.ndim == 1 else "log_p(P)")
    if np.all(values == -np.inf):
        raise ValueError("log_p is -inf at every grid point: the density has no mass on the grid")
    return values


def _density_ratio(log_numerator, log_denominator, name):
    """``p_a / p_b`` from log-densities; the grid must resolve ``log p``."""
    if not (np.all(np.isfinite(log_numerator)) and np.all(np.isfinite(log_denominator))):
        raise ValueError(f"{name} must be finite on the grid (p > 0 everywhere on it)")
    step = log_numerator - log_denominator
    if np.max(np.abs(step)) > _MAX_LOG_STEP:
        raise ValueError(
            f"{name} changes by more than {_MAX_LOG_STEP:g} across half a grid cell; "
            "refine the grid"
        )
    return np.exp(step)


def dae_optimum_1d(log_p, grid, sigma, chunk=1024):
    """Optimal denoising reconstruction of any 1-D density, by quadrature on a grid.

    ``r(x_i) = sum_j w_ij p_j x_j / sum_j w_ij p_j`` with Gaussian weights
    ``exp(-(x_i - x_j)^2 / (2 sigma^2))`` times trapezoid weights, evaluated in log
    space (log-sum-exp), so tiny densities and wide grids are safe.

    Accurate when ``sigma`` is much larger than the grid spacing and the grid covers
    the mass of ``p`` and of the Gaussian around each ``x_i``; near the ends of the
    grid the posterior is truncated to the grid, which biases ``r`` inwards.

    Parameters
    ----------
    log_p : callable
        ``log_p(x) -> (m,)`` for ``x`` of shape (m,); may be unnormalised.
    grid : array_like, shape (m,)
        Strictly increasing grid, at least 3 points.
    sigma : float
        Corruption standard deviation, > 0.
    chunk : int
        Rows evaluated at a time (bounds memory at ``chunk * m`` floats).

    Returns
    -------
    ndarray, shape (m,)
        ``r`` at the grid points.
    """
    check_callable(log_p, "log_p")
    x = increasing_grid(grid, "grid")
    sigma = scale_parameter(sigma, "sigma")
    chunk = positive_int(chunk, "chunk")
    log_mass = _log_density_on(log_p, x) + np.log(trapezoid_weights(x))
    out = np.empty_like(x)
    for start in range(0, x.size, chunk):
        log_w = np.subtract.outer(x[start : start + chunk], x)
        np.square(log_w, out=log_w)
        log_w *= -0.5 / sigma**2
        log_w += log_mass
        log_w -= np.max(log_w, axis=1, keepdims=True)
        w = np.exp(log_w, out=log_w)
        out[start : start + chunk] = (w @ x) / np.sum(w, axis=1)
    return out


def rcae_optimum_1d(log_p, grid, lam):
    """Optimal reconstruction-contractive reconstruction of a 1-D density.

    Minimises the discretised rCAE loss

    ``sum_i p_i D_i (r_i - x_i)^2 + lam sum_i p_{i+1/2} (r_{i+1} - r_i)^2 / h_i``,

    (``D_i`` trapezoid weights, ``h_i`` the spacings, ``p_{i+1/2}`` the density at the
    midpoints) by solving its tridiagonal normal equations. The solution approximates
    the Euler-Lagrange equation ``p (r - x) = lam (p r')'`` with zero flux ``p r' = 0``
    at both ends, to second order in the spacing on smooth grids.

    What happens where ``p`` is tiny. Each normal equation is divided by ``p_i``, so
    only ratios of neighbouring densities enter and nothing underflows
    (``log p = -1e4`` is fine). This mirrors the continuous equation, which divided by
    ``p`` reads ``r - x = lam (r'' + s r')``: the size of ``p`` drops out, only the score
    remains. So where ``p`` is tiny the optimum is *not* set by the penalty alone,
    although errors there barely change the loss (a fitted model is therefore
    unconstrained there). What breaks the expansion ``r = x + lam s + ...`` is the
    boundary layer, of width about ``sqrt(lam)`` (or ``1 / |s|`` in steep tails), that
    the zero-flux condition adds at the ends of the grid. Accuracy needs ``h |s|``
    small, i.e. a grid that resolves ``log p``; in steep far tails ``r`` is inaccurate.

    Parameters
    ----------
    log_p : callable
        ``log_p(x) -> (m,)`` for ``x`` of shape (m,); may be unnormalised, must be
        finite. Called on the grid and on the midpoints.
    grid : array_like, shape (m,)
        Strictly increasing grid (possibly non-uniform), at least 3 points.
    lam : float
        Weight of the contraction penalty, > 0.

    Returns
    -------
    ndarray, shape (m,)
        ``r`` at the grid points.
    """
    check_callable(log_p, "log_p")
    x = increasing_grid(grid, "grid")
    lam = scale_parameter(lam, "lam")
    h = np.diff(x)
    log_node = _log_density_on(log_p, x)
    log_mid = _log_density_on(log_p, x[:-1] + h / 2)
    # Row i of the normal equations divided by p_i: only p_{i +- 1/2} / p_i appear.
    right = lam * _density_ratio(log_mid, log_node[:-1], "log_p") / h  # couples i to i + 1
    left = lam * _density_ratio(log_mid, log_node[1:], "log_p") / h  # couples i + 1 to i
    trap = trapezoid_weights(x)
    banded = np.zeros((3, x.size))
    banded[0, 1:] = -right
    banded[1] = trap
    banded[1, :-1] += right
    banded[1, 1:] += left
    banded[2, :-1] = -left
    return linalg.solve_banded((1, 1), banded, trap * x)


def _row_scaled_coupling(n, first, second, to_second, to_first):
    """Sparse (n, n) matrix of the penalty's normal equations, each row divided by its ``p``.

    Edge ``e`` joins unknowns ``first[e]`` and ``second[e]``; ``to_second[e]`` is its
    coefficient in the row of ``first[e]``, ``to_first[e]`` in the row of ``second[e]``.
    """
    rows = np.concatenate([first, first, second, second])
    cols = np.concatenate([first, second, second, first])
    data = np.concatenate([to_second, -to_second, to_first, -to_first])
    return sparse.coo_array((data, (rows, cols)), shape=(n, n)).tocsc()


def rcae_optimum_2d(log_p, grid_x, grid_y, lam):
    """Optimal reconstruction-contractive reconstruction of a 2-D density on a tensor grid.

    Each output component ``r_k`` minimises the discretised loss
    ``sum p A (r_k - x_k)^2 + lam sum_edges p_edge (difference of r_k)^2 w / h``
    (trapezoid cell areas ``A``, density at edge midpoints, ``w`` the trapezoid weight
    across the edge), which approximates ``p (r_k - x_k) = lam div(p grad r_k)`` with
    zero flux at the boundary. As in :func:`rcae_optimum_1d` each equation is divided
    by the density at its node, so only ratios of neighbouring densities enter and
    tiny densities cause no underflow. The sparse matrix is the same for both
    components and is factorised once.

    Parameters
    ----------
    log_p : callable
        ``log_p(P) -> (m,)`` for points ``P`` of shape (m, 2); may be unnormalised,
        must be finite.
    grid_x, grid_y : array_like, shape (nx,) and (ny,)
        Strictly increasing grids, at least 3 points each.
    lam : float
        Weight of the contraction penalty, > 0.

    Returns
    -------
    ndarray, shape (nx, ny, 2)
        ``r`` at the grid points ``(grid_x[i], grid_y[j])`` (``indexing='ij'``).
    """
    check_callable(log_p, "log_p")
    gx = increasing_grid(grid_x, "grid_x")
    gy = increasing_grid(grid_y, "grid_y")
    lam = scale_parameter(lam, "lam")
    nx, ny = gx.size, gy.size
    hx, hy = np.diff(gx), np.diff(gy)

    def on(ax, ay):
        A, B = np.meshgrid(ax, ay, indexing="ij")
        pts = np.stack([A.ravel(), B.ravel()], axis=1)
        return _log_density_on(log_p, pts).reshape(ax.size, ay.size)

    log_node = on(gx, gy)
    log_xmid = on(gx[:-1] + hx / 2, gy)  # midpoints of edges (i, j)-(i+1, j)
    log_ymid = on(gx, gy[:-1] + hy / 2)  # midpoints of edges (i, j)-(i, j+1)
    wx, wy = trapezoid_weights(gx), trapezoid_weights(gy)
    x_factor = lam * wy[None, :] / hx[:, None]
    y_factor = lam * wx[:, None] / hy[None, :]
    index = np.arange(nx * ny).reshape(nx, ny)
    coupling = _row_scaled_coupling(
        nx * ny,
        np.concatenate([index[:-1, :].ravel(), index[:, :-1].ravel()]),
        np.concatenate([index[1:, :].ravel(), index[:, 1:].ravel()]),
        np.concatenate(
            [
                (x_factor * _density_ratio(log_xmid, log_node[:-1, :], "log_p")).ravel(),
                (y_factor * _density_ratio(log_ymid, log_node[:, :-1], "log_p")).ravel(),
            ]
        ),
        np.concatenate(
            [
                (x_factor * _density_ratio(log_xmid, log_node[1:, :], "log_p")).ravel(),
                (y_factor * _density_ratio(log_ymid, log_node[:, 1:], "log_p")).ravel(),
            ]
        ),
    )
    area = np.outer(wx, wy).ravel()
    matrix = sparse.csc_matrix(sparse.diags_array(area, format="csc") + coupling)
    X, Y = np.meshgrid(gx, gy, indexing="ij")
    rhs = np.stack([area * X.ravel(), area * Y.ravel()], axis=1)
    solution = sparse_linalg.splu(matrix).solve(rhs)
    return solution.reshape(nx, ny, 2)


def _gaussian_shrinkage(mean, cov, variance):
    mean = np.atleast_1d(as_finite_array(mean, "mean"))
    if mean.ndim != 1:
        raise ValueError(f"mean must have shape (d,); got shape {mean.shape}")
    d = mean.size
    cov = np.atleast_2d(as_finite_array(cov, "cov"))
    if cov.shape != (d, d):
        raise ValueError(f"cov must have shape {(d, d)} to match mean; got shape {cov.shape}")
    if not np.allclose(cov, cov.T, rtol=1e-10, atol=0):
        raise ValueError("cov must be symmetric")
    try:
        np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        raise ValueError("cov must be positive definite (Cholesky failed)") from None
    # Sigma (Sigma + v I)^{-1} = (Sigma + v I)^{-1} Sigma: the two matrices commute.
    shrink = np.linalg.solve(cov + variance * np.eye(d), cov)

    def reconstruct(X):
        X = as_points(X, dim=d)
        return mean + (X - mean) @ shrink.T

    return reconstruct


def gaussian_dae_optimum(mean, cov, sigma):
    """Optimal DAE reconstruction for Gaussian data ``N(mean, cov)``.

    ``r(x) = mu + Sigma (Sigma + sigma^2 I)^{-1} (x - mu)``.

    Parameters
    ----------
    mean : array_like, shape (d,)
        A scalar is read as ``d = 1``.
    cov : array_like, shape (d, d)
        Symmetric positive definite; a scalar is a variance.
    sigma : float
        Corruption standard deviation, > 0.

    Returns
    -------
    callable
        ``r(X) -> (n, d)``.
    """
    sigma = scale_parameter(sigma, "sigma")
    return _gaussian_shrinkage(mean, cov, sigma**2)


def gaussian_rcae_optimum(mean, cov, lam):
    """Optimal rCAE reconstruction for Gaussian data ``N(mean, cov)``.

    ``r(x) = mu + Sigma (Sigma + lam I)^{-1} (x - mu)``: the DAE optimum with
    ``lam = sigma^2``. It solves the Euler-Lagrange equation on the whole space (no
    boundary).

    Parameters
    ----------
    mean : array_like, shape (d,)
        A scalar is read as ``d = 1``.
    cov : array_like, shape (d, d)
        Symmetric positive definite; a scalar is a variance.
    lam : float
        Weight of the contraction penalty, > 0.

    Returns
    -------
    callable
        ``r(X) -> (n, d)``.
    """
    lam = scale_parameter(lam, "lam")
    return _gaussian_shrinkage(mean, cov, lam)


def _derivatives(density, X):
    needed = ("dim", "score", "hessian_log_prob", "laplacian_score")
    missing = [m for m in needed if not hasattr(density, m)]
    if missing:
        raise TypeError(
            f"density must provide {', '.join(needed)} (e.g. GaussianMixture or Density1D); "
            f"{type(density).__name__} lacks {', '.join(missing)}"
        )
    X = as_points(X, dim=density.dim)
    s = density.score(X)
    Hs = np.einsum("nij,nj->ni", density.hessian_log_prob(X), s)
    return density.laplacian_score(X), Hs


def dae_score_correction(density, X):
    """The ``sigma^4`` coefficient of the optimal DAE: ``Delta s / 2 + (grad s) s``.

    ``r*_sigma(x) - x - sigma^2 s(x) = sigma^4 (Delta s / 2 + (grad s) s)(x) + O(sigma^6)``.

    Parameters
    ----------
    density : GaussianMixture or Density1D
        Anything with ``score``, ``hessian_log_prob`` and ``laplacian_score``.
    X : ndarray, shape (n, d)

    Returns
    -------
    ndarray, shape (n, d)
    """
    laplacian, Hs = _derivatives(density, X)
    return 0.5 * laplacian + Hs


def rcae_score_correction(density, X):
    """The ``lam^2`` coefficient of the optimal rCAE: ``Delta s + (grad s) s``.

    ``r*_lam(x) - x - lam s(x) = lam^2 (Delta s + (grad s) s)(x) + O(lam^3)`` where
    ``p`` is not tiny (away from boundary layers).

    Parameters
    ----------
    density : GaussianMixture or Density1D
        Anything with ``score``, ``hessian_log_prob`` and ``laplacian_score``.
    X : ndarray, shape (n, d)

    Returns
    -------
    ndarray, shape (n, d)
    """
    laplacian, Hs = _derivatives(density, X)
    return laplacian + Hs


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
    sigma = scale_parameter(sigma, "sigma")
    n, d = X.shape
    kde = GaussianMixture(np.full(n, 1.0 / n), X, np.broadcast_to(sigma**2 * np.eye(d), (n, d, d)))

    def reconstruct(Z):
        Z = eval_points(Z, d, "Z")
        return Z + sigma**2 * kde.score(Z)

    return reconstruct


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
    check_mixture(density)
    sigma = scale_parameter(sigma, "sigma")
    smooth = density.smoothed(sigma)
    eye = np.eye(density.dim)

    def jacobian(X):
        X = as_points(X, dim=density.dim)
        return eye + sigma**2 * smooth.hessian_log_prob(X)

    return jacobian


@dataclasses.dataclass(frozen=True)
class LangevinResolventEstimate:
    """Monte-Carlo estimates of the optimal rCAE from the Langevin diffusion.

    For each starting point ``x`` (row of ``points``) two unbiased-in-the-limit
    estimators of ``r*_lam(x)``: ``position``, the mean of ``X_tau``, and
    ``score_form``, ``x + lam`` times the mean of ``s(X_tau)``. Each comes with its
    standard error over the paths (``*_se``) and with ``*_step``, the mean over the
    paths of (fine path minus coarse path), the coarse path taking steps of ``2 h``
    with the same Brownian increments; for a scheme of weak order one it estimates
    the time-step bias of the fine estimate (``*_step_se`` its standard error).
    All arrays have shape (n, d).
    """

    points: np.ndarray
    lam: float
    n_paths: int
    n_steps: int
    position: np.ndarray
    position_se: np.ndarray
    position_step: np.ndarray
    position_step_se: np.ndarray
    score_form: np.ndarray
    score_form_se: np.ndarray
    score_form_step: np.ndarray
    score_form_step_se: np.ndarray


def _path_mean(values, n, n_paths):
    values = values.reshape(n, n_paths, -1)
    return values.mean(axis=1), values.std(axis=1, ddof=1) / np.sqrt(n_paths)


def rcae_optimum_langevin(score, X, lam, rng, n_paths=2000, n_steps=64):
    """The optimal rCAE by simulation: ``r*_lam(x) = E_x[X_tau]``, ``tau ~ Exp(mean lam)``.

    The Euler-Lagrange equation of the rCAE is ``(I - lam L) r_k = x_k`` with
    ``L = Delta + s . grad`` the generator of the Langevin diffusion
    ``dX = s(X) dt + sqrt(2) dW``; its solution is the resolvent
    ``r*_lam(x) = E_x[X_tau]`` with ``tau`` exponential of mean ``lam``, independent of
    ``X``, and equivalently ``r*_lam(x) = x + lam E_x[s(X_tau)]``. Here each of
    ``n_paths`` paths per point draws its own ``tau`` and runs Euler-Maruyama with the
    step ``h = lam / n_steps`` up to ``tau`` (the last step shortened to end exactly at
    ``tau``); finished paths leave the batch, so the cost is about ``1.5 n n_paths
    n_steps`` score evaluations. A coarse path with steps ``2 h``, driven by the sums of
    the fine path's Brownian increments, gives the time-step bias estimate.

    The second estimator has the smaller variance when ``lam |grad s|`` is below one:
    its spread is about ``lam |grad s| sqrt(2 lam)`` against ``sqrt(2 lam)``.
    Stability of the explicit scheme needs ``h |grad s| < 2`` along the paths.

    Parameters
    ----------
    score : callable
        ``score(X) -> (m, d)`` for points of shape (m, d), the score ``grad log p``.
    X : array_like, shape (n, d)
        Starting points.
    lam : float
        The rCAE penalty, > 0: the mean of ``tau``.
    rng : numpy.random.Generator
    n_paths : int
        Paths per point, >= 2.
    n_steps : int
        Steps per mean time ``lam`` (``h = lam / n_steps``), >= 2.

    Returns
    -------
    LangevinResolventEstimate
    """
    check_callable(score, "score")
    X = as_points(X)
    lam = scale_parameter(lam, "lam")
    check_rng(rng)
    n_paths = positive_int(n_paths, "n_paths", minimum=2)
    n_steps = positive_int(n_steps, "n_steps", minimum=2)
    n, d = X.shape

    def drift(Y):
        return call_checked(score, Y, "score", finite=True)

    start = np.repeat(X, n_paths, axis=0)
    tau = rng.exponential(lam, size=start.shape[0])
    h = lam / n_steps
    fine, coarse = start.copy(), start.copy()
    increments = np.zeros_like(start)   # Brownian increments since the coarse node
    coarse_drift = np.empty_like(start)  # the score at the coarse path's last node
    active = np.arange(start.shape[0])
    k = 0
    while active.size:
        if k % 2 == 0:
            coarse_drift[active] = drift(coarse[active])
        remaining = tau[active] - k * h
        done = remaining <= h
        dt = np.where(done, remaining, h)[:, None]
        dW = np.sqrt(dt) * rng.standard_normal((active.size, d))
        fine[active] += dt * drift(fine[active]) + np.sqrt(2.0) * dW
        increments[active] += dW
        # the coarse path steps at even nodes, and to tau when the path ends
        step_c = done | ((k + 1) % 2 == 0)
        moving = active[step_c]
        dt_c = np.where(done, tau[active] - 2 * h * (k // 2), 2 * h)[step_c, None]
        coarse[moving] += dt_c * coarse_drift[moving] + np.sqrt(2.0) * increments[moving]
        increments[moving] = 0.0
        active = active[~done]
        k += 1
    scaled_f = start + lam * drift(fine)
    scaled_c = start + lam * drift(coarse)
    position, position_se = _path_mean(fine, n, n_paths)
    position_step, position_step_se = _path_mean(fine - coarse, n, n_paths)
    score_form, score_form_se = _path_mean(scaled_f, n, n_paths)
    score_form_step, score_form_step_se = _path_mean(scaled_f - scaled_c, n, n_paths)
    return LangevinResolventEstimate(
        X, lam, n_paths, n_steps, position, position_se, position_step, position_step_se,
        score_form, score_form_se, score_form_step, score_form_step_se,
    )


def dae_posterior_covariance(density, sigma):
    """The posterior covariance ``Cov[x | x + eps = x~]`` of a Gaussian mixture, exactly.

    Computed from the posterior itself, not from ``log p_sigma``: given ``x~`` the clean
    point is a mixture of the component posteriors, component ``k`` with probability
    ``pi_k(x~) ~ w_k N(x~; mu_k, Sigma_k + sigma^2 I)``, mean
    ``m_k = mu_k + Sigma_k (Sigma_k + sigma^2 I)^{-1} (x~ - mu_k)`` and covariance
    ``C_k = sigma^2 Sigma_k (Sigma_k + sigma^2 I)^{-1}``; by the law of total covariance
    ``Cov[x | x~] = sum_k pi_k C_k + sum_k pi_k (m_k - m)(m_k - m)^T`` with
    ``m = sum_k pi_k m_k``. By second-order Tweedie this is ``sigma^2`` times the
    Jacobian of the optimal DAE, ``sigma^2 (I + sigma^2 grad^2 log p_sigma)``.

    Parameters
    ----------
    density : GaussianMixture
        The data density ``p``.
    sigma : float
        Corruption standard deviation, > 0.

    Returns
    -------
    callable
        ``C(X) -> (n, d, d)`` for ``X`` of shape (n, d): symmetric positive semi-definite.
    """
    check_mixture(density)
    sigma = scale_parameter(sigma, "sigma")
    active = density.weights > 0
    log_w = np.log(density.weights[active])
    mu, cov = density.means[active], density.covariances[active]
    noisy = cov + sigma**2 * np.eye(density.dim)  # covariance of x~ within component k
    chol = np.linalg.cholesky(noisy)
    log_det = 2.0 * np.sum(np.log(np.diagonal(chol, axis1=1, axis2=2)), axis=1)
    gain = np.swapaxes(np.linalg.solve(noisy, cov), 1, 2)  # Sigma_k (Sigma_k + sigma^2 I)^{-1}
    within = sigma**2 * gain
    within = 0.5 * (within + np.swapaxes(within, 1, 2))  # C_k, symmetric up to rounding

    def covariance(X):
        X = as_points(X, dim=density.dim)
        diff = X[:, None, :] - mu[None, :, :]                         # (n, K, d)
        z = np.linalg.solve(chol[None], diff[..., None])[..., 0]       # L_k^{-1} (x~ - mu_k)
        log_pi = log_w - 0.5 * log_det - 0.5 * np.sum(z**2, axis=2)
        log_pi -= np.max(log_pi, axis=1, keepdims=True)
        pi = np.exp(log_pi)
        pi /= np.sum(pi, axis=1, keepdims=True)
        means = mu[None] + np.einsum("kij,nkj->nki", gain, diff)        # m_k(x~)
        spread = means - np.einsum("nk,nki->ni", pi, means)[:, None, :]
        return (np.einsum("nk,kij->nij", pi, within)
                + np.einsum("nk,nki,nkj->nij", pi, spread, spread))

    covariance.__doc__ = f"Cov[x | x~] for sigma={sigma:g}: (n, d) -> (n, d, d)."
    return covariance


def dae_posterior_variance_1d(log_p, grid, sigma, chunk=1024):
    """The posterior variance ``Var[x | x + eps = x~]`` of any 1-D density, by quadrature.

    The companion of :func:`dae_optimum_1d` (same weights, same caveats): with
    ``w_ij`` proportional to ``exp(-(x_i - x_j)^2 / (2 sigma^2)) p_j`` times trapezoid
    weights and normalised over ``j``, the variance at ``x_i`` is
    ``sum_j w_ij (x_j - x_i)^2 - (sum_j w_ij (x_j - x_i))^2``, the moments taken about
    ``x_i`` to avoid cancellation. By second-order Tweedie, divided by ``sigma^2`` it is
    the slope of the optimal DAE.

    Parameters
    ----------
    log_p : callable
        ``log_p(x) -> (m,)`` for ``x`` of shape (m,); may be unnormalised.
    grid : array_like, shape (m,)
        Strictly increasing grid, at least 3 points.
    sigma : float
        Corruption standard deviation, > 0.
    chunk : int
        Rows evaluated at a time.

    Returns
    -------
    ndarray, shape (m,)
        The posterior variance at the grid points.
    """
    check_callable(log_p, "log_p")
    x = increasing_grid(grid, "grid")
    sigma = scale_parameter(sigma, "sigma")
    chunk = positive_int(chunk, "chunk")
    log_mass = _log_density_on(log_p, x) + np.log(trapezoid_weights(x))
    out = np.empty_like(x)
    for start in range(0, x.size, chunk):
        offset = x[None, :] - x[start : start + chunk, None]          # x_j - x_i
        log_w = log_mass - 0.5 * offset**2 / sigma**2
        log_w -= np.max(log_w, axis=1, keepdims=True)
        w = np.exp(log_w)
        w /= np.sum(w, axis=1, keepdims=True)
        first = np.sum(w * offset, axis=1)
        out[start : start + chunk] = np.sum(w * offset**2, axis=1) - first**2
    return out


def dae_jacobian_correction(density, X):
    """The ``sigma^2`` coefficient of the optimal DAE's Jacobian: ``grad^2 (dlog p_t / dt)``.

    Smoothing is the heat flow, ``d log p_t / dt = (Delta log p_t + |grad log p_t|^2) / 2``
    with ``t = sigma^2``, so

    ``grad^2 log p_sigma = grad^2 log p + sigma^2 grad^2 [(Delta log p + |grad log p|^2) / 2]
    + O(sigma^4)``,

    and the coefficient is also the Jacobian of ``c_DAE = Delta s / 2 + (grad s) s``.
    Computed by automatic differentiation (fourth derivatives of ``log p``), one point
    at a time, independently of the closed forms of the mixture.

    Parameters
    ----------
    density : GaussianMixture
    X : ndarray, shape (n, d)

    Returns
    -------
    ndarray, shape (n, d, d)
        Symmetric; ``(J_{r*_sigma} - I) / sigma^2 - grad^2 log p = sigma^2 * this + O(sigma^4)``.
    """
    check_mixture(density)
    X = as_points(X, dim=density.dim)

    def log_p(x):
        return density.log_prob(anp.reshape(x, (1, -1)))[0]

    def heat_term(x):
        return 0.5 * (anp.trace(hessian(log_p)(x)) + anp.sum(grad(log_p)(x) ** 2))

    second = hessian(heat_term)
    out = np.stack([second(x) for x in X])
    return 0.5 * (out + np.swapaxes(out, 1, 2))


def rcae_jacobian_correction(density, X):
    """The ``lam^2`` coefficient of the optimal rCAE's Jacobian: ``grad^2 U``.

    ``c_rCAE = Delta s + (grad s) s`` is a gradient, ``grad U`` with
    ``U = Delta log p + |grad log p|^2 / 2`` (``grad Delta log p = Delta s``, and
    ``grad |s|^2 / 2 = (grad s) s`` because ``grad s`` is symmetric), so

    ``J_{r*_lam} = I + lam grad^2 log p + lam^2 grad^2 U + O(lam^3)``

    where ``p`` is not tiny. Computed by automatic differentiation of ``log p`` (fourth
    derivatives), vectorised over the points, independently of the closed forms of the
    mixture's score, Hessian and Laplacian. Compare :func:`dae_jacobian_correction`,
    the Hessian of ``(Delta log p + |grad log p|^2) / 2``: the two differ in the weight
    of ``Delta log p``.

    Parameters
    ----------
    density : GaussianMixture
    X : ndarray, shape (n, d)

    Returns
    -------
    ndarray, shape (n, d, d)
        Symmetric; ``(J_{r*_lam} - I) / lam - grad^2 log p = lam * this + O(lam^2)``.
    """
    check_mixture(density)
    X = as_points(X, dim=density.dim)
    d = density.dim

    # Each row of log_prob depends on its own point only, so the gradient of the sum
    # over the points is the gradient at each point (and so on for higher derivatives).
    def score(Z):
        return elementwise_grad(lambda W: anp.sum(density.log_prob(W)))(Z)

    def potential(Z):  # U = Delta log p + |s|^2 / 2
        laplacian = sum(elementwise_grad(lambda W, k=k: anp.sum(score(W)[:, k]))(Z)[:, k]
                        for k in range(d))
        return laplacian + 0.5 * anp.sum(score(Z) ** 2, axis=1)

    grad_potential = elementwise_grad(lambda Z: anp.sum(potential(Z)))
    out = np.stack([elementwise_grad(lambda Z, k=k: anp.sum(grad_potential(Z)[:, k]))(X)
                    for k in range(d)], axis=1)
    return 0.5 * (out + np.swapaxes(out, 1, 2))


def rcae_optimum_1d_forward(log_p, grid, lam):
    """The rCAE optimum of a 1-D density by the forward-spacing scheme of the authors' code.

    Minimises ``sum_i p_i D_i (r_i - x_i)^2 + lam sum_{i<m} p_i (r_{i+1} - r_i)^2 / D_i``
    with forward spacings ``D_i = x_{i+1} - x_i`` (``D_m = D_{m-1}`` at the last point)
    and ``p`` at the nodes: the discretisation in the authors' public experiment code
    (see the book's paper map; their script has no data term at the last node, which on
    the paper's density changes ``(r - x) / lam`` on ``|x| <= 0.9`` by less than 1e-10),
    where :func:`rcae_optimum_1d` uses trapezoid weights and the density at the midpoints.
    Both approximate ``p (r - x) = lam (p r')'``; this one
    puts each flux's density at the left end of its cell, an error of first order in the
    spacing (the midpoint scheme's is of second order). The normal equations are
    tridiagonal; each row is divided by ``p_i``, so only ratios of neighbouring densities
    enter.

    Parameters
    ----------
    log_p : callable
        ``log_p(x) -> (m,)`` for ``x`` of shape (m,); may be unnormalised, must be
        finite on the grid.
    grid : array_like, shape (m,)
        Strictly increasing grid, at least 3 points.
    lam : float
        Weight of the contraction penalty (the paper's ``sigma^2``), > 0.

    Returns
    -------
    ndarray, shape (m,)
        ``r`` at the grid points.
    """
    check_callable(log_p, "log_p")
    x = increasing_grid(grid, "grid")
    lam = scale_parameter(lam, "lam")
    h = np.diff(x)
    spacing = np.append(h, h[-1])
    log_node = _log_density_on(log_p, x)
    # row k / p_k: D_k (r_k - x_k) + lam [(p_{k-1}/p_k)(r_k - r_{k-1})/D_{k-1}
    #                                      - (r_{k+1} - r_k)/D_k] = 0
    right = lam / h  # couples k to k + 1 (the flux p_k / D_k, divided by p_k)
    left = lam * _density_ratio(log_node[:-1], log_node[1:], "log_p") / h  # k + 1 to k
    banded = np.zeros((3, x.size))
    banded[0, 1:] = -right
    banded[1] = spacing
    banded[1, :-1] += right
    banded[1, 1:] += left
    banded[2, :-1] = -left
    return linalg.solve_banded((1, 1), banded, spacing * x)
