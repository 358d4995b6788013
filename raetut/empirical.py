"""The empirical distribution of a training set and its exact optimal denoiser.

A training set ``x_1, ..., x_n`` in ``R^d`` defines the empirical distribution
``p_hat = (1/n) sum_i delta_{x_i}``. Theorem 1 applies to it as it stands: the
minimiser of the empirical DAE criterion ``(1/n) sum_i E_eps |r(x_i + eps) - x_i|^2``
over all functions is the posterior mean

``r*_sigma(x~) = sum_i pi_i(x~) x_i``,  ``pi_i(x~) = softmax_i(-|x~ - x_i|^2 / (2 sigma^2))``,

and the corrupted data have the smooth density
``p_hat_sigma = (1/n) sum_i N(x_i, sigma^2 I)``, an isotropic Gaussian mixture with one
component per training point (the Gaussian kernel density estimate of bandwidth
``sigma``). Everything here is computed from the weights ``pi_i`` directly, without the
mixture machinery of :mod:`raetut.densities`, so the two can be compared:

- :func:`empirical_posterior_weights`, :func:`empirical_denoiser`: Theorem 1;
- :func:`empirical_log_density`: ``log p_hat_sigma`` by log-sum-exp;
- :func:`empirical_posterior_covariance`: ``Cov[x | x~] = sum_i pi_i (x_i - m)(x_i - m)^T``
  (the posterior is discrete: it has no within-component term);
- :func:`gaussian_fit_denoiser`: the baseline, the optimal DAE of the Gaussian with the
  data's mean and (possibly singular) covariance;
- :func:`nearest_neighbours`, :func:`denoising_error`: memorisation and held-out error;
- :func:`digits_split`: scikit-learn's handwritten digits, scaled and split.
"""

import dataclasses

import numpy as np

from ._validation import (
    as_points,
    call_checked,
    check_callable,
    check_rng,
    positive_int,
    scale_parameter,
)

__all__ = [
    "DigitsSplit",
    "digits_split",
    "empirical_posterior_weights",
    "empirical_denoiser",
    "empirical_log_density",
    "empirical_posterior_covariance",
    "gaussian_fit_denoiser",
    "nearest_neighbours",
    "denoising_error",
]

# Rows of Z handled at once: the (rows, n) distance matrix stays below ~20 MB.
_CHUNK = 1024


def _squared_distances(Z, X, X_sq):
    """``|z_j - x_i|^2`` for every pair, shape (m, n), clipped at 0 against rounding."""
    d2 = np.sum(Z**2, axis=1)[:, None] - 2.0 * Z @ X.T + X_sq[None, :]
    return np.maximum(d2, 0.0)


def _log_weights(Z, X, X_sq, sigma):
    """Unnormalised log posterior weights ``-|z - x_i|^2 / (2 sigma^2)``, shape (m, n)."""
    return -_squared_distances(Z, X, X_sq) / (2.0 * sigma**2)


def _softmax_rows(a):
    a = a - np.max(a, axis=1, keepdims=True)
    w = np.exp(a)
    return w / np.sum(w, axis=1, keepdims=True)


def _training_set(X, sigma):
    X = as_points(X, "X")
    sigma = scale_parameter(sigma, "sigma")
    return X, np.sum(X**2, axis=1), sigma


def _chunked(f, Z):
    return np.concatenate([f(Z[k:k + _CHUNK]) for k in range(0, len(Z), _CHUNK)], axis=0)


def empirical_posterior_weights(X, sigma):
    """The posterior over training points given a corrupted point, ``pi_i(x~)``.

    ``pi_i(x~) = exp(-|x~ - x_i|^2 / 2 sigma^2) / sum_j exp(-|x~ - x_j|^2 / 2 sigma^2)``:
    the probability that ``x~`` was made from ``x_i`` when a training point is drawn
    uniformly and corrupted by ``N(0, sigma^2 I)``.

    Parameters
    ----------
    X : array_like, shape (n, d)
        The training set.
    sigma : float
        Corruption standard deviation, > 0.

    Returns
    -------
    callable
        ``W(Z) -> (m, n)`` for ``Z`` of shape (m, d); rows sum to 1.
    """
    X, X_sq, sigma = _training_set(X, sigma)

    def weights(Z):
        Z = as_points(Z, "Z", dim=X.shape[1])
        return _chunked(lambda B: _softmax_rows(_log_weights(B, X, X_sq, sigma)), Z)

    return weights


def empirical_denoiser(X, sigma):
    """Theorem 1 for the empirical distribution: ``r*_sigma(x~) = sum_i pi_i(x~) x_i``.

    The exact minimiser, over all functions, of the DAE criterion on the training set
    (the average over the ``n`` training points, the expectation over the noise kept).
    Computed as the softmax-weighted average of the training points; by Tweedie's
    formula it equals ``x~ + sigma^2 grad log p_hat_sigma(x~)``, which
    :func:`raetut.optimal.empirical_dae_optimum` evaluates from the mixture's score.

    Parameters
    ----------
    X : array_like, shape (n, d)
        The training set.
    sigma : float
        Corruption standard deviation, > 0.

    Returns
    -------
    callable
        ``r(Z) -> (m, d)`` for ``Z`` of shape (m, d). Every output is a convex
        combination of training points.
    """
    X, X_sq, sigma = _training_set(X, sigma)

    def reconstruct(Z):
        Z = as_points(Z, "Z", dim=X.shape[1])
        return _chunked(lambda B: _softmax_rows(_log_weights(B, X, X_sq, sigma)) @ X, Z)

    return reconstruct


def empirical_log_density(X, sigma):
    """``log p_hat_sigma(x~)``, the log-density of a corrupted training point.

    ``p_hat_sigma = (1/n) sum_i N(x_i, sigma^2 I)``, evaluated by log-sum-exp.

    Parameters
    ----------
    X : array_like, shape (n, d)
        The training set.
    sigma : float
        Corruption standard deviation, > 0.

    Returns
    -------
    callable
        ``log_p(Z) -> (m,)`` for ``Z`` of shape (m, d).
    """
    X, X_sq, sigma = _training_set(X, sigma)
    n, d = X.shape
    constant = -np.log(n) - 0.5 * d * np.log(2.0 * np.pi * sigma**2)

    def log_p(Z):
        Z = as_points(Z, "Z", dim=d)

        def block(B):
            a = _log_weights(B, X, X_sq, sigma)
            top = np.max(a, axis=1)
            return top + np.log(np.sum(np.exp(a - top[:, None]), axis=1))

        return constant + _chunked(block, Z)

    return log_p


def empirical_posterior_covariance(X, sigma):
    """``Cov[x | x + eps = x~]`` under the empirical distribution, from the posterior.

    Given ``x~`` the clean point is ``x_i`` with probability ``pi_i(x~)``, so
    ``Cov[x | x~] = sum_i pi_i (x_i - m)(x_i - m)^T`` with ``m = sum_i pi_i x_i``. By
    second-order Tweedie it is ``sigma^2`` times the Jacobian of the optimal denoiser.

    Parameters
    ----------
    X : array_like, shape (n, d)
        The training set.
    sigma : float
        Corruption standard deviation, > 0.

    Returns
    -------
    callable
        ``C(Z) -> (m, d, d)`` for ``Z`` of shape (m, d): symmetric positive semi-definite.
    """
    X, X_sq, sigma = _training_set(X, sigma)

    def covariance(Z):
        Z = as_points(Z, "Z", dim=X.shape[1])
        W = empirical_posterior_weights(X, sigma)(Z)
        out = np.empty((len(Z), X.shape[1], X.shape[1]))
        for k, w in enumerate(W):
            centred = X - w @ X
            out[k] = (w[:, None] * centred).T @ centred
        return out

    return covariance


def gaussian_fit_denoiser(X, sigma):
    """The optimal DAE of the Gaussian fitted to ``X``: ``m + C (C + sigma^2 I)^{-1} (x~ - m)``.

    ``m`` and ``C`` are the sample mean and covariance (divisor ``n``) of ``X``. ``C``
    may be singular (pixels that never change): the shrinkage is computed from its
    eigendecomposition, factor ``v / (v + sigma^2)`` along an eigenvector of variance
    ``v``, so a direction without variance is projected onto the mean.

    Parameters
    ----------
    X : array_like, shape (n, d)
        The training set.
    sigma : float
        Corruption standard deviation, > 0.

    Returns
    -------
    callable
        ``r(Z) -> (m, d)``, affine.
    """
    X = as_points(X, "X")
    sigma = scale_parameter(sigma, "sigma")
    mean = np.mean(X, axis=0)
    cov = (X - mean).T @ (X - mean) / len(X)
    variances, vectors = np.linalg.eigh(0.5 * (cov + cov.T))
    variances = np.maximum(variances, 0.0)
    shrink = (vectors * (variances / (variances + sigma**2))) @ vectors.T

    def reconstruct(Z):
        Z = as_points(Z, "Z", dim=X.shape[1])
        return mean + (Z - mean) @ shrink.T

    return reconstruct


def nearest_neighbours(Z, X):
    """The nearest row of ``X`` to each row of ``Z``: Euclidean distance and index.

    Parameters
    ----------
    Z : array_like, shape (m, d)
        Query points.
    X : array_like, shape (n, d)
        Reference points (e.g. the training set).

    Returns
    -------
    distances : ndarray, shape (m,)
    indices : ndarray of int, shape (m,)
    """
    X = as_points(X, "X")
    Z = as_points(Z, "Z", dim=X.shape[1])
    X_sq = np.sum(X**2, axis=1)
    d2 = _chunked(lambda B: _squared_distances(B, X, X_sq), Z)
    indices = np.argmin(d2, axis=1)
    # the distance itself from the difference, not from the expanded square (no cancellation)
    return np.linalg.norm(Z - X[indices], axis=1), indices


def denoising_error(reconstruct, X, sigma, rng, n_noise=1):
    """Mean squared denoising error per coordinate, ``E |r(x + eps) - x|^2 / d``.

    Averaged over the rows of ``X`` (e.g. held-out images) and ``n_noise`` corruptions
    ``eps ~ N(0, sigma^2 I)`` of each.

    Parameters
    ----------
    reconstruct : callable
        ``r(X) -> (n, d)``.
    X : array_like, shape (n, d)
        Clean points.
    sigma : float
        Corruption standard deviation, > 0.
    rng : numpy.random.Generator
    n_noise : int
        Corruptions per point, >= 1.

    Returns
    -------
    float
    """
    check_callable(reconstruct, "reconstruct")
    X = as_points(X, "X")
    sigma = scale_parameter(sigma, "sigma")
    check_rng(rng)
    n_noise = positive_int(n_noise, "n_noise")
    clean = np.tile(X, (n_noise, 1))
    noisy = clean + sigma * rng.standard_normal(clean.shape)
    out = call_checked(reconstruct, noisy, "reconstruct")
    return float(np.mean((out - clean) ** 2))


@dataclasses.dataclass(frozen=True)
class DigitsSplit:
    """scikit-learn's 8x8 handwritten digits, pixels scaled to [0, 1], split in two.

    Attributes
    ----------
    train, test : ndarray, shape (n_train, 64) and (1797 - n_train, 64)
        Training and held-out images, one per row (row-major 8x8 pixels).
    train_labels, test_labels : ndarray of int
        The digit each image shows (not used by the denoisers).
    """

    train: np.ndarray
    test: np.ndarray
    train_labels: np.ndarray
    test_labels: np.ndarray


def digits_split(n_train, rng):
    """Load ``sklearn.datasets.load_digits``, scale to [0, 1], split at random.

    The 1797 images have integer grey levels 0 to 16; they are divided by 16. A random
    permutation from ``rng`` puts ``n_train`` images in the training set, the rest
    in the held-out set. The data ship with scikit-learn: nothing is downloaded.

    Parameters
    ----------
    n_train : int
        Training images, 1 <= n_train < 1797.
    rng : numpy.random.Generator

    Returns
    -------
    DigitsSplit
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    n = len(digits.target)
    n_train = positive_int(n_train, "n_train")
    if n_train >= n:
        raise ValueError(f"n_train must be below the {n} images, to leave held-out ones; "
                         f"got {n_train}")
    order = check_rng(rng).permutation(n)
    images = digits.data / 16.0
    tr, te = order[:n_train], order[n_train:]
    return DigitsSplit(images[tr], images[te], digits.target[tr], digits.target[te])
