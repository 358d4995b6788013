"""Chapter 10, from denoising to annealed Langevin."""

import numpy as np

from .._validation import as_chains, as_points, positive_int, positive_scalar
from ..densities import check_mixture
from ..diagnostics import (
    log_concavity_threshold,
    max_log_hessian_eigenvalue,
    mode_effective_sample_size,
    mode_fractions,
)
from . import record

__all__ = [
    "check_log_concave_above_threshold",
    "check_multimodal_below_threshold",
    "check_sample_mean",
    "check_mode_weights",
    "check_chain_mode_weights",
    "check_chains_stay_in_mode",
]


def _grid_around(density, n_per_axis, margin):
    mu = density.means
    lo, hi = mu.min(axis=0) - margin, mu.max(axis=0) + margin
    axes = [np.linspace(a, b, n_per_axis) for a, b in zip(lo, hi, strict=True)]
    return np.stack([g.ravel() for g in np.meshgrid(*axes, indexing="ij")], axis=1)


def check_log_concave_above_threshold(density, sigma=None, n_per_axis=81, margin=3.0):
    """Above :func:`log_concavity_threshold`, the smoothed mixture is log-concave.

    Measured: the largest eigenvalue of ``grad^2 log p_sigma`` on a grid covering the
    means with a margin (default ``sigma`` = the threshold itself, the hardest case).
    Expected <= 0; tolerance ``1e-12 / v`` (rounding, ``v = tau^2 + sigma^2`` the scale
    of the Hessian's terms).

    Parameters
    ----------
    density : GaussianMixture
        Isotropic components with one common covariance.
    sigma : float, optional
        >= the threshold.
    n_per_axis : int
    margin : float

    Returns
    -------
    CheckResult
    """
    threshold = log_concavity_threshold(density)
    sigma = threshold if sigma is None else positive_scalar(sigma, "sigma")
    if sigma < threshold:
        raise ValueError(f"sigma must be >= the threshold {threshold:.6g}; got {sigma}")
    smooth = density.smoothed(sigma) if sigma > 0 else density
    X = _grid_around(density, positive_int(n_per_axis, "n_per_axis", minimum=2), margin)
    top = max_log_hessian_eigenvalue(smooth, X)
    tau2 = float(density.covariances[0, 0, 0])
    tolerance = 1e-12 / (tau2 + sigma**2)
    return record(
        f"p_sigma log-concave at sigma={sigma:.3g} (>= threshold)",
        top,
        0.0,
        tolerance,
        f"max eigenvalue of the Hessian of log p_sigma on {X.shape[0]} grid points",
        passed=bool(top <= tolerance),
    )


def check_multimodal_below_threshold(density, sigma, n_per_axis=81, margin=3.0):
    """At a small noise level the smoothed mixture is not log-concave (it has several modes).

    Measured: the largest eigenvalue of ``grad^2 log p_sigma`` on the grid of
    :func:`check_log_concave_above_threshold`; the claim is that it is > 0 (reported
    with expected 0 and tolerance 0, passing when the measurement exceeds it).

    Parameters
    ----------
    density : GaussianMixture
    sigma : float
    n_per_axis : int
    margin : float

    Returns
    -------
    CheckResult
    """
    density = check_mixture(density)
    sigma = positive_scalar(sigma, "sigma")
    X = _grid_around(density, positive_int(n_per_axis, "n_per_axis", minimum=2), margin)
    top = max_log_hessian_eigenvalue(density.smoothed(sigma), X)
    return record(
        f"p_sigma not log-concave at sigma={sigma:.3g}",
        top,
        0.0,
        0.0,
        "passes when the largest Hessian eigenvalue is > 0",
        passed=bool(top > 0),
    )


def check_sample_mean(X, density, n_se=4.0, claim="sample mean = mean of the density"):
    """Independent samples have the density's mean, up to sampling error.

    Measured: ``max_i |xbar_i - m_i| / se_i``, the largest deviation of the sample mean
    from the mixture's mean in standard errors ``se_i = sqrt(Sigma_ii / n)`` (``Sigma``
    the mixture's covariance). Expected 0, tolerance ``n_se``. Valid for independent
    samples, e.g. the final states of independent chains.

    Parameters
    ----------
    X : array_like, shape (n, d)
    density : GaussianMixture
    n_se : float
    claim : str

    Returns
    -------
    CheckResult
    """
    density = check_mixture(density)
    X = as_points(X, dim=density.dim)
    se = np.sqrt(np.diag(density.overall_covariance) / X.shape[0])
    z = np.abs(X.mean(axis=0) - density.overall_mean) / se
    return record(
        claim,
        np.max(z),
        0.0,
        positive_scalar(n_se, "n_se"),
        f"deviation of each coordinate's mean in standard errors: {np.round(z, 2).tolist()}",
    )


def check_mode_weights(X, density, n_se=4.0, claim="sample mode fractions = weights"):
    """Samples put the mixture's weight ``w_k`` in each mode, up to sampling error.

    Measured: ``max_k |f_k - w_k|`` with ``f_k`` from :func:`mode_fractions`. Tolerance:
    ``n_se`` binomial standard errors ``sqrt(w_k (1 - w_k) / n)`` of the largest one,
    valid for independent samples (e.g. independent chains' final states) of
    well-separated components.

    Parameters
    ----------
    X : array_like, shape (n, d)
    density : GaussianMixture
    n_se : float
    claim : str

    Returns
    -------
    CheckResult
    """
    density = check_mixture(density)
    X = as_points(X, dim=density.dim)
    fractions = mode_fractions(X, density)
    w = density.weights
    tolerance = positive_scalar(n_se, "n_se") * float(np.sqrt(np.max(w * (1 - w)) / X.shape[0]))
    return record(
        claim,
        np.max(np.abs(fractions - w)),
        0.0,
        tolerance,
        f"fractions {np.round(fractions, 3).tolist()} vs weights {np.round(w, 3).tolist()}",
    )


def check_chain_mode_weights(chains, density, n_se=4.0, claim="chain mode fractions = weights"):
    """Markov chains put the mixture's weight ``w_k`` in each mode, up to sampling error.

    Measured: ``max_k |f_k - w_k|`` with ``f_k`` the fraction of the pooled states assigned
    to component ``k`` (:func:`mode_fractions`). Tolerance: ``n_se`` standard errors
    ``sqrt(w_k (1 - w_k) / ESS_k)`` of the largest one, with ``ESS_k`` the effective
    sample size of the mode indicators (:func:`mode_effective_sample_size`).

    Parameters
    ----------
    chains : array_like, shape (n_steps, n_chains, d)
        After burn-in.
    density : GaussianMixture
        The target; its weights are the expected fractions.
    n_se : float
    claim : str

    Returns
    -------
    CheckResult
    """
    density = check_mixture(density)
    chains = as_chains(chains, dim=density.dim)
    ess = mode_effective_sample_size(chains, density)
    w = density.weights
    fractions = mode_fractions(chains.reshape(-1, density.dim), density)
    tolerance = positive_scalar(n_se, "n_se") * float(np.max(np.sqrt(w * (1 - w) / ess)))
    return record(
        claim,
        np.max(np.abs(fractions - w)),
        0.0,
        tolerance,
        f"fractions {np.round(fractions, 3).tolist()} vs weights {np.round(w, 3).tolist()}, "
        f"mode ESS {np.round(ess).astype(int).tolist()}",
    )


def check_chains_stay_in_mode(X, density, component, claim=None):
    """Chains started in one mode are all still in it (they did not mix).

    Measured: the fraction of the points not assigned to ``component`` by
    :func:`mode_fractions`; expected 0, tolerance 0.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Final states of the chains.
    density : GaussianMixture
    component : int
    claim : str, optional

    Returns
    -------
    CheckResult
    """
    density = check_mixture(density)
    component = positive_int(component, "component", minimum=0)
    if component >= density.n_components:
        raise ValueError(
            f"component must be < n_components={density.n_components}; got {component}"
        )
    fractions = mode_fractions(X, density)
    return record(
        claim or f"chains stay in mode {component}",
        1.0 - fractions[component],
        0.0,
        0.0,
        f"fractions {np.round(fractions, 3).tolist()}",
    )
