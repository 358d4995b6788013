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
"""

import autograd.numpy as anp
import numpy as np

from ._validation import as_points, check_callable, check_rng, nonnegative_scalar, positive_scalar

__all__ = [
    "reconstruction_error",
    "dae_loss",
    "rcae_loss",
    "cae_loss",
    "score_matching_loss",
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
