"""The training criteria of regularized auto-encoders, written once.

Every criterion takes the reconstruction as a function ``r(X) -> (n, d)`` and
averages over the rows of a sample ``X``: these are Monte-Carlo estimates of the
expectations in the paper. They are written with ``autograd.numpy``, so when
``r`` closes over parameters the losses can be differentiated with respect to them.

=====================  ====================================================
criterion              per-sample term, averaged over ``x ~ p``
=====================  ====================================================
DAE                    ``||r(x + eps) - x||^2``, ``eps ~ N(0, sigma^2 I)``
rCAE                   ``||r(x) - x||^2 + lam * ||J_r(x)||_F^2``
CAE                    ``||r(x) - x||^2 + lam * ||J_f(x)||_F^2`` (encoder f)
score matching         ``0.5 * ||psi(x)||^2 + div psi(x)``
=====================  ====================================================

For 1-D densities the DAE and rCAE criteria also have deterministic quadrature
forms (:func:`dae_loss_quadrature`, :func:`rcae_loss_quadrature`): the expectation
over ``x`` is a quadrature on a grid, the one over the corruption a Gauss–Hermite
rule. They are accurate to many digits, so differences between criteria of order
``sigma^4`` or smaller can be measured.
"""

import autograd.numpy as anp
import numpy as np

from ._validation import (
    as_points,
    check_callable,
    check_rng,
    increasing_grid,
    nonnegative_scalar,
    one_of,
    positive_int,
    positive_scalar,
)

__all__ = [
    "reconstruction_error",
    "dae_loss",
    "rcae_loss",
    "cae_loss",
    "score_matching_loss",
    "quadrature_weights",
    "dae_loss_quadrature",
    "rcae_loss_quadrature",
]


def _evaluate(f, X, name, n, d):
    """Call ``f(X)`` and check that the result has shape (n, d)."""
    out = f(X)
    if anp.shape(out) != (n, d):
        raise ValueError(f"{name}(X) must return shape {(n, d)}; got {anp.shape(out)}")
    return out


def _evaluate_rows(f, X, name, n):
    """Call ``f(X)`` and check that the result has shape (n,)."""
    out = f(X)
    if anp.shape(out) != (n,):
        raise ValueError(f"{name}(X) must return shape {(n,)}; got {anp.shape(out)}")
    return out


def reconstruction_error(reconstruct, X):
    """Squared reconstruction error ``||r(x) - x||^2`` of each point.

    Parameters
    ----------
    reconstruct : callable
        ``r(X) -> (n, d)``.
    X : array_like, shape (n, d)

    Returns
    -------
    ndarray, shape (n,)
    """
    check_callable(reconstruct, "reconstruct")
    X = as_points(X)
    R = _evaluate(reconstruct, X, "reconstruct", *X.shape)
    return anp.sum((R - X) ** 2, axis=1)


def dae_loss(reconstruct, X, sigma, noise=None, rng=None):
    """Denoising criterion ``E ||r(x + eps) - x||^2`` with ``eps ~ N(0, sigma^2 I)``.

    Parameters
    ----------
    reconstruct : callable
        ``r(X) -> (n, d)``.
    X : array_like, shape (n, d)
        Clean samples.
    sigma : float
        Standard deviation of the Gaussian corruption, > 0.
    noise : array_like, shape (n, d) or (m, n, d), optional
        Standard-normal draws; the corruption is ``sigma * noise``. Pass the same
        array to keep the corruption fixed (e.g. during L-BFGS); ``m`` corruptions
        per point are averaged.
    rng : numpy.random.Generator, optional
        Used to draw one corruption per point when ``noise`` is not given.

    Returns
    -------
    float
        The loss, averaged over points (and corruptions).
    """
    check_callable(reconstruct, "reconstruct")
    X = as_points(X)
    sigma = positive_scalar(sigma, "sigma")
    n, d = X.shape
    if noise is None:
        if rng is None:
            raise ValueError("dae_loss needs either noise (standard-normal draws) or rng")
        noise = check_rng(rng).standard_normal((n, d))
    elif rng is not None:
        raise ValueError("pass either noise or rng to dae_loss, not both")
    noise = np.asarray(noise, dtype=float)
    if noise.shape == (n, d):
        noise = noise[None]
    if noise.ndim != 3 or noise.shape[1:] != (n, d):
        raise ValueError(f"noise must have shape {(n, d)} or (m, {n}, {d}); got {noise.shape}")
    if not np.all(np.isfinite(noise)):
        raise ValueError("noise contains NaN or infinite values")
    m = noise.shape[0]
    corrupted = (X[None] + sigma * noise).reshape(m * n, d)
    R = _evaluate(reconstruct, corrupted, "reconstruct", m * n, d)
    return anp.mean(anp.sum((R - anp.tile(X, (m, 1))) ** 2, axis=1))


def rcae_loss(reconstruct, jacobian_sq_norm, X, lam):
    """Reconstruction-contractive criterion ``E[||r(x) - x||^2 + lam ||J_r(x)||_F^2]``.

    Parameters
    ----------
    reconstruct : callable
        ``r(X) -> (n, d)``.
    jacobian_sq_norm : callable
        ``X -> (n,)``, the squared Frobenius norm of ``dr/dx`` at each point.
    X : array_like, shape (n, d)
    lam : float
        Weight of the contraction penalty, >= 0.

    Returns
    -------
    float
    """
    check_callable(jacobian_sq_norm, "jacobian_sq_norm")
    lam = nonnegative_scalar(lam, "lam")
    err = reconstruction_error(reconstruct, X)
    X = np.asarray(X, dtype=float)
    penalty = _evaluate_rows(jacobian_sq_norm, X, "jacobian_sq_norm", X.shape[0])
    return anp.mean(err + lam * penalty)


def cae_loss(reconstruct, encoder_jacobian_sq_norm, X, lam):
    """Contractive criterion ``E[||r(x) - x||^2 + lam ||df/dx||_F^2]`` (encoder ``f`` only).

    Parameters
    ----------
    reconstruct : callable
        ``r(X) -> (n, d)``.
    encoder_jacobian_sq_norm : callable
        ``X -> (n,)``, the squared Frobenius norm of the encoder's Jacobian.
    X : array_like, shape (n, d)
    lam : float
        Weight of the contraction penalty, >= 0.

    Returns
    -------
    float
    """
    check_callable(encoder_jacobian_sq_norm, "encoder_jacobian_sq_norm")
    lam = nonnegative_scalar(lam, "lam")
    err = reconstruction_error(reconstruct, X)
    X = np.asarray(X, dtype=float)
    penalty = _evaluate_rows(encoder_jacobian_sq_norm, X, "encoder_jacobian_sq_norm", X.shape[0])
    return anp.mean(err + lam * penalty)


def score_matching_loss(psi, divergence, X):
    """Hyvärinen's score-matching objective ``E[0.5 ||psi(x)||^2 + div psi(x)]``.

    Up to a constant independent of ``psi`` this equals ``0.5 E||psi - grad log p||^2``.

    Parameters
    ----------
    psi : callable
        The candidate score ``X -> (n, d)``.
    divergence : callable
        ``X -> (n,)``, the divergence (trace of the Jacobian) of ``psi``.
    X : array_like, shape (n, d)

    Returns
    -------
    float
    """
    check_callable(psi, "psi")
    check_callable(divergence, "divergence")
    X = as_points(X)
    n, d = X.shape
    P = _evaluate(psi, X, "psi", n, d)
    div = _evaluate_rows(divergence, X, "divergence", n)
    return anp.mean(0.5 * anp.sum(P**2, axis=1) + div)


# ------------------------------------------------------------- quadrature forms (1-D)


def quadrature_weights(grid, rule="trapezoid"):
    """Weights ``w`` such that ``sum_i w_i f(grid_i)`` approximates the integral of ``f``.

    The trapezoid rule works on any increasing grid; for a smooth integrand that
    is negligible (with its derivatives) at both ends of the grid it converges
    faster than any power of the spacing. Simpson's rule needs a uniform grid with
    an odd number of points.

    Parameters
    ----------
    grid : array_like, shape (m,)
        Strictly increasing nodes.
    rule : str
        ``"trapezoid"`` or ``"simpson"``.

    Returns
    -------
    ndarray, shape (m,)
    """
    grid = increasing_grid(grid, "grid")
    one_of(rule, "rule", ("trapezoid", "simpson"))
    spacing = np.diff(grid)
    if rule == "trapezoid":
        return 0.5 * (np.concatenate([spacing, [0.0]]) + np.concatenate([[0.0], spacing]))
    if grid.size % 2 == 0 or not np.allclose(spacing, spacing[0], rtol=1e-9, atol=0.0):
        raise ValueError(
            "rule='simpson' needs a uniform grid with an odd number of points; "
            f"got {grid.size} points"
        )
    weights = np.where(np.arange(grid.size) % 2 == 1, 4.0, 2.0)
    weights[[0, -1]] = 1.0
    return weights * spacing[0] / 3.0


def _density_on_grid(density, grid):
    """``p`` at the grid points, checking that ``density`` is a 1-D density object."""
    if not callable(getattr(density, "prob", None)):
        raise TypeError(
            "density must have a prob(X) method (e.g. a GaussianMixture); "
            f"got {type(density).__name__}"
        )
    dim = getattr(density, "dim", 1)
    if dim != 1:
        raise ValueError(f"density must be 1-D for the quadrature forms; got dimension {dim}")
    p = np.asarray(density.prob(grid[:, None]), dtype=float)
    if p.shape != grid.shape:
        raise ValueError(f"density.prob must return shape {grid.shape}; got {p.shape}")
    return p


def dae_loss_quadrature(reconstruct, density, sigma, grid, n_hermite=40, rule="trapezoid"):
    """Denoising criterion of a 1-D density by quadrature (no sampling).

    ``integral p(x) E_eps (r(x + eps) - x)^2 dx`` with ``eps ~ N(0, sigma^2)``:
    Gauss–Hermite with ``n_hermite`` nodes for ``eps`` (exact for polynomials
    ``r`` of degree < ``n_hermite``) and ``rule`` on ``grid`` for ``x``. The grid
    must cover the mass of ``p``; ``r`` is evaluated off the grid too, at
    ``x + eps``. Written with ``autograd.numpy``: differentiable with respect to
    parameters that ``r`` closes over.

    Parameters
    ----------
    reconstruct : callable
        ``r(X) -> (n, 1)`` for ``X`` of shape (n, 1).
    density : object
        A 1-D density with ``prob(X) -> (n,)``.
    sigma : float
        Standard deviation of the corruption, > 0.
    grid : array_like, shape (m,)
        Strictly increasing quadrature nodes in ``x``.
    n_hermite : int
        Number of Gauss–Hermite nodes.
    rule : str
        ``"trapezoid"`` or ``"simpson"`` (see :func:`quadrature_weights`).

    Returns
    -------
    float
    """
    check_callable(reconstruct, "reconstruct")
    sigma = positive_scalar(sigma, "sigma")
    n_hermite = positive_int(n_hermite, "n_hermite")
    weights_x = quadrature_weights(grid, rule)
    grid = np.asarray(grid, dtype=float)
    p = _density_on_grid(density, grid)
    nodes, weights_eps = np.polynomial.hermite_e.hermegauss(n_hermite)
    weights_eps = weights_eps / np.sqrt(2.0 * np.pi)  # E f(Z) = sum_k w_k f(z_k), Z ~ N(0, 1)
    m = grid.size
    corrupted = (grid[:, None] + sigma * nodes[None, :]).reshape(m * n_hermite, 1)
    R = _evaluate(reconstruct, corrupted, "reconstruct", m * n_hermite, 1)
    sq_err = (anp.reshape(R, (m, n_hermite)) - grid[:, None]) ** 2
    return anp.sum(weights_x * p * anp.dot(sq_err, weights_eps))


def rcae_loss_quadrature(reconstruct, jacobian_sq_norm, density, lam, grid, rule="trapezoid"):
    """Reconstruction-contractive criterion of a 1-D density by quadrature.

    ``integral p(x) [(r(x) - x)^2 + lam r'(x)^2] dx`` with ``rule`` on ``grid``
    (which must cover the mass of ``p``). Differentiable with autograd like
    :func:`dae_loss_quadrature`.

    Parameters
    ----------
    reconstruct : callable
        ``r(X) -> (n, 1)``.
    jacobian_sq_norm : callable
        ``X -> (n,)``, the squared derivative ``r'(x)^2``.
    density : object
        A 1-D density with ``prob(X) -> (n,)``.
    lam : float
        Weight of the contraction penalty, >= 0.
    grid : array_like, shape (m,)
        Strictly increasing quadrature nodes.
    rule : str
        ``"trapezoid"`` or ``"simpson"``.

    Returns
    -------
    float
    """
    check_callable(reconstruct, "reconstruct")
    check_callable(jacobian_sq_norm, "jacobian_sq_norm")
    lam = nonnegative_scalar(lam, "lam")
    weights_x = quadrature_weights(grid, rule)
    grid = np.asarray(grid, dtype=float)
    p = _density_on_grid(density, grid)
    X = grid[:, None]
    R = _evaluate(reconstruct, X, "reconstruct", grid.size, 1)
    penalty = _evaluate_rows(jacobian_sq_norm, X, "jacobian_sq_norm", grid.size)
    return anp.sum(weights_x * p * ((R[:, 0] - grid) ** 2 + lam * penalty))
