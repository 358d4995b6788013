"""Sampling with what denoisers learn: one noise level, several noise levels.

Two chapters use this module: sampling by approximate Metropolis–Hastings from one
reconstruction function (the paper's Result 7), and annealed Langevin sampling from
a family of denoisers at decreasing noise levels (the bridge to score-based
diffusion models).

By Tweedie's formula the optimal denoiser at noise level ``sigma`` gives the score
of the smoothed density exactly, ``(r*_sigma(x) - x) / sigma^2 = grad log p_sigma(x)``
with ``p_sigma = p * N(0, sigma^2 I)``. Hence:

- *several noise levels*: :func:`geometric_noise_levels`, :func:`optimal_denoisers`,
  :func:`denoiser_scores` and :func:`annealed_langevin` (Song and Ermon's algorithm);
- *what a chain targets*: :func:`implied_log_density_1d` (the density whose score a
  1-D field is), :func:`fixed_points_1d` (zeros of ``r(x) - x``: attractors and
  repellers), :func:`closed_loop_log_ratio` and :func:`triangle_curl_flux` (whether a
  2-D field is a gradient at all), :func:`field_curl_2d`;
- *measuring samples*: :func:`mode_fractions`, :func:`mixture_cdf_1d`,
  :func:`indicator_effective_sample_size`, :func:`ks_tolerance`,
  :func:`max_log_hessian_eigenvalue`, :func:`log_concavity_threshold`;
- *checks* of the two chapters' claims, each returning a
  :class:`raetut.checks.CheckResult` (``check_*``).
"""

from dataclasses import dataclass

import numpy as np
from scipy import integrate

from ._validation import (
    as_finite_array,
    as_points,
    check_callable,
    check_rng,
    increasing_grid,
    positive_int,
    positive_scalar,
)
from .checks import CheckResult
from .densities import GaussianMixture
from .diagnostics import effective_sample_size, ks_distance
from .energies import curl_2d
from .manifold import attractors_1d
from .optimal import dae_optimum
from .sampling import unadjusted_langevin

__all__ = [
    "geometric_noise_levels",
    "optimal_denoisers",
    "denoiser_scores",
    "AnnealedLangevinResult",
    "annealed_langevin",
    "mode_fractions",
    "mode_effective_sample_size",
    "mixture_cdf_1d",
    "indicator_effective_sample_size",
    "ks_tolerance",
    "implied_log_density_1d",
    "implied_cdf_1d",
    "fixed_points_1d",
    "closed_loop_log_ratio",
    "field_curl_2d",
    "triangle_curl_flux",
    "max_log_hessian_eigenvalue",
    "log_concavity_threshold",
    "check_line_integral_exact",
    "check_chain_matches_cdf",
    "check_smoothing_bias",
    "check_closed_loop_zero",
    "check_closed_loop_stokes",
    "check_spurious_attractor_traps",
    "check_chains_end_in_interval",
    "check_log_concave_above_threshold",
    "check_multimodal_below_threshold",
    "check_sample_mean",
    "check_mode_weights",
    "check_chain_mode_weights",
    "check_chains_stay_in_mode",
]


# --------------------------------------------------------------- noise levels


def _noise_levels(sigmas, name="sigmas"):
    """Validate a strictly decreasing sequence of noise levels > 0 (at least one)."""
    sigmas = np.atleast_1d(as_finite_array(sigmas, name))
    if sigmas.ndim != 1:
        raise ValueError(f"{name} must be a 1-D sequence of noise levels; got shape {sigmas.shape}")
    if np.any(sigmas <= 0):
        raise ValueError(f"{name} must contain only values > 0; got {sigmas}")
    if np.any(np.diff(sigmas) >= 0):
        raise ValueError(f"{name} must be strictly decreasing (largest noise first); got {sigmas}")
    return sigmas


def geometric_noise_levels(sigma_max, sigma_min, n_levels):
    """Noise levels ``sigma_1 > ... > sigma_L`` in geometric progression.

    Parameters
    ----------
    sigma_max, sigma_min : float
        Largest and smallest level, ``sigma_max > sigma_min > 0``.
    n_levels : int
        Number of levels ``L``, >= 2.

    Returns
    -------
    ndarray, shape (L,)
        Decreasing, from ``sigma_max`` to ``sigma_min``.
    """
    sigma_max = positive_scalar(sigma_max, "sigma_max")
    sigma_min = positive_scalar(sigma_min, "sigma_min")
    if not sigma_max > sigma_min:
        raise ValueError(f"sigma_max must be > sigma_min={sigma_min}; got {sigma_max}")
    n_levels = positive_int(n_levels, "n_levels", minimum=2)
    return np.geomspace(sigma_max, sigma_min, n_levels)


def optimal_denoisers(density, sigmas):
    """The exact optimal denoiser ``r*_sigma`` of a Gaussian mixture at each noise level.

    Parameters
    ----------
    density : GaussianMixture
    sigmas : array_like, shape (L,)
        Noise levels, > 0, strictly decreasing.

    Returns
    -------
    list of callable
        ``r_l(X) -> (n, d)``, see :func:`raetut.optimal.dae_optimum`.
    """
    if not isinstance(density, GaussianMixture):
        raise TypeError(f"density must be a GaussianMixture; got {type(density).__name__}")
    return [dae_optimum(density, float(s)) for s in _noise_levels(sigmas)]


def denoiser_scores(denoisers, sigmas):
    """Scores from denoisers by Tweedie's formula: ``s_l(x) = (r_l(x) - x) / sigma_l^2``.

    For the optimal denoisers this is exactly ``grad log p_{sigma_l}``; for a trained
    denoiser it is that denoiser's estimate of it.

    Parameters
    ----------
    denoisers : sequence of callable
        ``r_l(X) -> (n, d)``, one per noise level.
    sigmas : array_like, shape (L,)
        The noise level of each denoiser, > 0, strictly decreasing.

    Returns
    -------
    list of callable
        ``s_l(X) -> (n, d)``.
    """
    sigmas = _noise_levels(sigmas)
    denoisers = list(denoisers)
    if len(denoisers) != sigmas.size:
        raise ValueError(
            f"denoisers and sigmas must have the same length; got {len(denoisers)} and "
            f"{sigmas.size}"
        )
    for k, r in enumerate(denoisers):
        check_callable(r, f"denoisers[{k}]")

    def make(r, sigma):
        def score(X):
            X = as_points(X)
            R = np.asarray(r(X), dtype=float)
            if R.shape != X.shape:
                raise ValueError(f"a denoiser must return shape {X.shape}; got {R.shape}")
            return (R - X) / sigma**2

        score.__doc__ = f"Score estimate (r(x) - x) / sigma^2 at sigma={sigma:g}: (n, d) -> (n, d)."
        return score

    return [make(r, float(s)) for r, s in zip(denoisers, sigmas, strict=True)]


# ---------------------------------------------------------- annealed Langevin


@dataclass
class AnnealedLangevinResult:
    """Output of :func:`annealed_langevin`.

    Attributes
    ----------
    samples : ndarray, shape (n_chains, d)
        The chains' states at the end of the last level.
    level_samples : ndarray, shape (L, n_chains, d)
        The chains' states at the end of each level.
    sigmas : ndarray, shape (L,)
        The noise levels.
    step_sizes : ndarray, shape (L,)
        The Langevin step ``alpha_l`` used at each level.
    """

    samples: np.ndarray
    level_samples: np.ndarray
    sigmas: np.ndarray
    step_sizes: np.ndarray


def annealed_langevin(scores, sigmas, x0, n_steps, epsilon, rng):
    """Annealed Langevin sampling (Song and Ermon, 2019), vectorised over chains.

    For each level ``l = 1..L`` (largest noise first) run ``n_steps`` steps of the
    unadjusted Langevin algorithm on ``p_{sigma_l}``,

    ``x <- x + (alpha_l / 2) s_l(x) + sqrt(alpha_l) z``,  ``z ~ N(0, I)``,

    with ``alpha_l = epsilon * sigma_l^2 / sigma_L^2``, starting each level where the
    previous one ended. The step shrinks with the noise so that ``alpha_l / sigma_l^2``,
    the step measured against the width of ``p_{sigma_l}``'s features, stays the same
    at every level. With one level it is plain (unadjusted) Langevin at that level
    with step ``epsilon``.

    Parameters
    ----------
    scores : sequence of callable
        ``s_l(X) -> (n, d)``, the score of ``p_{sigma_l}`` (or an estimate of it), one per level.
    sigmas : array_like, shape (L,)
        Noise levels, > 0, strictly decreasing.
    x0 : array_like, shape (n_chains, d)
        Starting points.
    n_steps : int
        Langevin steps per level.
    epsilon : float
        Step at the last level, ``alpha_L``, > 0.
    rng : numpy.random.Generator

    Returns
    -------
    AnnealedLangevinResult
    """
    sigmas = _noise_levels(sigmas)
    scores = list(scores)
    if len(scores) != sigmas.size:
        raise ValueError(
            f"scores and sigmas must have the same length; got {len(scores)} and {sigmas.size}"
        )
    for k, s in enumerate(scores):
        check_callable(s, f"scores[{k}]")
    x = as_points(x0, "x0")
    n_steps = positive_int(n_steps, "n_steps")
    epsilon = positive_scalar(epsilon, "epsilon")
    rng = check_rng(rng)
    alphas = epsilon * sigmas**2 / sigmas[-1] ** 2
    levels = np.empty((sigmas.size,) + x.shape)
    for k, (score, alpha) in enumerate(zip(scores, alphas, strict=True)):
        # unadjusted_langevin's step_size is the noise scale sqrt(alpha).
        x = unadjusted_langevin(score, x, n_steps, float(np.sqrt(alpha)), rng).samples[-1]
        levels[k] = x
    return AnnealedLangevinResult(x.copy(), levels, sigmas, alphas)


# ------------------------------------------------------------------ measuring


def _mixture(density, name="density"):
    if not isinstance(density, GaussianMixture):
        raise TypeError(f"{name} must be a GaussianMixture; got {type(density).__name__}")
    return density


def mode_fractions(X, density):
    """Fraction of the points assigned to each component of a mixture.

    A point is assigned to the component with the largest responsibility
    ``w_k N(x; mu_k, Sigma_k) / p(x)``. For well-separated components the fractions
    of exact samples estimate the weights ``w_k``.

    Parameters
    ----------
    X : array_like, shape (n, d)
    density : GaussianMixture

    Returns
    -------
    ndarray, shape (K,)
        Sums to 1.
    """
    density = _mixture(density)
    X = as_points(X, dim=density.dim)
    labels = np.argmax(density.component_responsibilities(X), axis=1)
    return np.bincount(labels, minlength=density.n_components) / X.shape[0]


def mode_effective_sample_size(chains, density):
    """Effective sample sizes of the mode indicators of Markov chains on a mixture.

    A chain that moves quickly within a mode but rarely between modes estimates the
    mass of each mode from few effective draws. This is the ESS
    (:func:`raetut.diagnostics.effective_sample_size`) of the indicator chains
    ``1{state assigned to component k}`` (assignment as in :func:`mode_fractions`).

    Parameters
    ----------
    chains : array_like, shape (n_steps, n_chains, d)
    density : GaussianMixture

    Returns
    -------
    ndarray, shape (K,)
    """
    density = _mixture(density)
    chains = _chains(chains, dim=density.dim)
    n, m, d = chains.shape
    labels = np.argmax(density.component_responsibilities(chains.reshape(-1, d)), axis=1)
    indicators = np.eye(density.n_components)[labels].reshape(n, m, density.n_components)
    return effective_sample_size(indicators)


def mixture_cdf_1d(density):
    """The cumulative distribution function of a 1-D Gaussian mixture.

    Parameters
    ----------
    density : GaussianMixture
        With ``dim == 1``.

    Returns
    -------
    callable
        ``cdf(x) -> (m,)`` for ``x`` of shape (m,) (or (m, 1)).
    """
    from scipy.special import ndtr

    density = _mixture(density)
    if density.dim != 1:
        raise ValueError(f"density must be 1-D; got dim={density.dim}")
    w = density.weights
    mu = density.means[:, 0]
    sd = np.sqrt(density.covariances[:, 0, 0])

    def cdf(x):
        x = np.asarray(x, dtype=float)
        if x.ndim == 2 and x.shape[1] == 1:
            x = x[:, 0]
        if x.ndim != 1:
            raise ValueError(f"x must have shape (m,) or (m, 1); got {x.shape}")
        return ndtr((x[:, None] - mu) / sd) @ w

    return cdf


def _chains(chains, dim=None):
    chains = as_finite_array(chains, "chains", ndim=3)
    if dim is not None and chains.shape[2] != dim:
        raise ValueError(f"chains must have shape (n_steps, n_chains, {dim}); got {chains.shape}")
    return chains


def indicator_effective_sample_size(chains, levels=(0.1, 0.25, 0.5, 0.75, 0.9)):
    """Effective sample sizes of the indicators ``1{x <= q}`` of 1-D chains.

    The Kolmogorov–Smirnov distance is a supremum over thresholds ``q`` of the error of
    the empirical frequency of ``x <= q``; its sampling error is governed by the
    autocorrelation of those indicators, not of ``x`` itself. This returns the ESS
    (:func:`raetut.diagnostics.effective_sample_size`) of the indicator chains at the
    pooled sample's quantiles ``levels``.

    Parameters
    ----------
    chains : array_like, shape (n_steps, n_chains, 1)
    levels : sequence of float
        Quantile levels in (0, 1).

    Returns
    -------
    ndarray, shape (len(levels),)
    """
    chains = _chains(chains, dim=1)
    levels = np.atleast_1d(as_finite_array(levels, "levels"))
    if np.any((levels <= 0) | (levels >= 1)):
        raise ValueError(f"levels must lie in (0, 1); got {levels}")
    thresholds = np.quantile(chains.ravel(), levels)
    indicators = (chains <= thresholds[None, None, :]).astype(float)  # (n, m, k)
    return effective_sample_size(indicators)


def ks_tolerance(n_effective, alpha=1e-3):
    """Asymptotic critical value of the Kolmogorov–Smirnov distance for ``n`` draws.

    ``sqrt(-log(alpha / 2) / 2) / sqrt(n)``: an i.i.d. sample of size ``n`` from ``F``
    has ``sup |F_n - F|`` above it with probability about ``alpha``. For Markov chains
    pass an effective sample size (see :func:`indicator_effective_sample_size`); the
    result is then an approximation.

    Parameters
    ----------
    n_effective : float
        Sample size, > 0.
    alpha : float
        Level in (0, 1).

    Returns
    -------
    float
    """
    n_effective = positive_scalar(n_effective, "n_effective")
    alpha = positive_scalar(alpha, "alpha")
    if alpha >= 1:
        raise ValueError(f"alpha must lie in (0, 1); got {alpha}")
    return float(np.sqrt(-np.log(alpha / 2.0) / 2.0) / np.sqrt(n_effective))


def _field_on(reconstruct, x):
    R = np.asarray(reconstruct(x[:, None]), dtype=float)
    if R.shape != (x.size, 1):
        raise ValueError(f"reconstruct must return shape {(x.size, 1)}; got {R.shape}")
    return R[:, 0] - x


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
    sigma = positive_scalar(sigma, "sigma")
    x = increasing_grid(grid)
    log_q = integrate.cumulative_trapezoid(_field_on(reconstruct, x) / sigma**2, x, initial=0.0)
    log_q -= np.max(log_q)
    return log_q - np.log(integrate.trapezoid(np.exp(log_q), x))


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
    table = integrate.cumulative_trapezoid(q, grid, initial=0.0)
    table /= table[-1]

    def cdf(x):
        x = np.asarray(x, dtype=float)
        if x.ndim == 2 and x.shape[1] == 1:
            x = x[:, 0]
        if x.ndim != 1:
            raise ValueError(f"x must have shape (m,) or (m, 1); got {x.shape}")
        return np.interp(x, grid, table, left=0.0, right=1.0)

    return cdf


def fixed_points_1d(reconstruct, lower, upper, n_grid=20001):
    """Zeros of ``r(x) - x`` in 1-D: attractors and repellers of the field.

    Where ``r - x`` goes from + to - the field points towards the zero from both sides
    (an attractor: a local maximum of the implied density
    :func:`implied_log_density_1d`); from - to + it points away (a repeller: a local
    minimum). Found by :func:`raetut.manifold.attractors_1d` (sign changes on a uniform
    grid, refined by bisection).

    Parameters
    ----------
    reconstruct : callable
        ``r(X) -> (n, 1)``.
    lower, upper : float
        Search interval, ``lower < upper``.
    n_grid : int
        Grid points of the search, >= 3.

    Returns
    -------
    attractors : ndarray, shape (a,)
    repellers : ndarray, shape (b,)
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
        total = total + np.asarray(log_ratio(a, b), dtype=float)
    return total


def field_curl_2d(jacobian):
    """The curl ``d r_2 / d x_1 - d r_1 / d x_2`` of a 2-D map, as a function of the points.

    The curl of ``r(x) - x`` is the same, since ``x`` is a gradient. Evaluates
    :func:`raetut.energies.curl_2d` on ``jacobian(X)``.

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
        J = np.asarray(jacobian(X), dtype=float)
        if J.shape != (X.shape[0], 2, 2):
            raise ValueError(f"jacobian must return shape {(X.shape[0], 2, 2)}; got {J.shape}")
        return curl_2d(J)

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
    values = np.asarray(curl(points.reshape(-1, 2)), dtype=float)
    if values.shape != (points.shape[0] * points.shape[1],):
        raise ValueError(f"curl must return shape ({points.shape[0] * points.shape[1]},)")
    twice_area = AB[:, 0] * AC[:, 1] - AB[:, 1] * AC[:, 0]
    return twice_area * (weights @ values.reshape(points.shape[:2]))


def max_log_hessian_eigenvalue(density, X):
    """Largest eigenvalue of ``grad^2 log p`` over a set of points.

    ``log p`` is concave on a convex region exactly when this is <= 0 at every point of
    it; a positive value somewhere means the density is not log-concave there.

    Parameters
    ----------
    density : object
        Has ``hessian_log_prob(X) -> (n, d, d)``.
    X : array_like, shape (n, d)

    Returns
    -------
    float
    """
    if not callable(getattr(density, "hessian_log_prob", None)):
        raise TypeError("density must have a hessian_log_prob method")
    X = as_points(X, dim=getattr(density, "dim", None))
    return float(np.max(np.linalg.eigvalsh(density.hessian_log_prob(X))))


def log_concavity_threshold(density):
    """Noise level above which an isotropic mixture, smoothed, is log-concave.

    For ``p = sum_k w_k N(mu_k, tau^2 I)`` (one common isotropic covariance),
    ``grad^2 log p_sigma(x) = Cov_gamma(mu) / v^2 - I / v`` with ``v = tau^2 + sigma^2``
    and ``Cov_gamma(mu)`` the covariance of the means under the responsibilities at
    ``x``. A distribution on a set of diameter ``D`` has variance at most ``D^2 / 4`` in
    every direction (Popoviciu's inequality), so ``p_sigma`` is log-concave as soon as
    ``tau^2 + sigma^2 >= D^2 / 4`` with ``D`` the largest distance between two means.

    Parameters
    ----------
    density : GaussianMixture
        All covariances equal to one multiple of the identity.

    Returns
    -------
    float
        ``sqrt(max(D^2 / 4 - tau^2, 0))``.
    """
    density = _mixture(density)
    cov = density.covariances
    tau2 = float(cov[0, 0, 0])
    if not np.allclose(cov, tau2 * np.eye(density.dim)[None], rtol=1e-12, atol=0.0):
        raise ValueError("density must have one common isotropic covariance tau^2 I")
    mu = density.means[density.weights > 0]
    diameter2 = float(np.max(np.sum((mu[:, None, :] - mu[None, :, :]) ** 2, axis=2)))
    return float(np.sqrt(max(diameter2 / 4.0 - tau2, 0.0)))


# --------------------------------------------------------------------- checks


def _check(claim, measured, expected, tolerance, detail="", passed=None):
    measured, expected, tolerance = float(measured), float(expected), float(tolerance)
    if passed is None:
        passed = np.isfinite(measured) and abs(measured - expected) <= tolerance
    return CheckResult(claim, measured, expected, tolerance, bool(passed), detail)


def check_line_integral_exact(density, sigma, x, x_new, n_nodes=64, tolerance=1e-6):
    """Line-integral log-ratios of the optimal DAE are exact log-ratios of ``p_sigma``.

    With ``r = r*_sigma``, ``(r(x) - x) / sigma^2 = grad log p_sigma`` (Tweedie), so the line
    integral is ``log p_sigma(x_new) - log p_sigma(x)`` by the fundamental theorem of
    calculus; Gauss–Legendre quadrature converges to it geometrically in ``n_nodes``.
    Measured: the largest error over the pairs. Tolerance 1e-6: an error in a
    log-ratio changes an acceptance probability by the factor ``exp(error)``, so
    1e-6 is far below what any chain of this book could detect; with the default
    64 nodes the quadrature error on segments of a few ``sigma`` is far smaller.

    Parameters
    ----------
    density : GaussianMixture
    sigma : float
    x, x_new : array_like, shape (n, d)
    n_nodes : int
    tolerance : float

    Returns
    -------
    CheckResult
    """
    from .sampling import line_integral_log_ratio

    density = _mixture(density)
    smooth = density.smoothed(positive_scalar(sigma, "sigma"))
    x = as_points(x, "x", dim=density.dim)
    x_new = as_points(x_new, "x_new", dim=density.dim)
    log_ratio = line_integral_log_ratio(dae_optimum(density, sigma), sigma, n_nodes=n_nodes)
    error = np.max(np.abs(log_ratio(x, x_new) - (smooth.log_prob(x_new) - smooth.log_prob(x))))
    return _check(
        "line integral of r*_sigma = log p_sigma ratio",
        error,
        0.0,
        positive_scalar(tolerance, "tolerance"),
        f"max error over {x.shape[0]} pairs, {n_nodes} Gauss-Legendre nodes, sigma={sigma:g}",
    )


def check_chain_matches_cdf(chains, cdf, claim="chains sample the target (KS)", alpha=1e-3):
    """1-D chains sample a target: KS distance within the ESS-based tolerance.

    Measured: ``sup |F_n - F|`` of the pooled chains against the target CDF. Tolerance:
    :func:`ks_tolerance` at level ``alpha`` for the smallest
    :func:`indicator_effective_sample_size` of the chains.

    Parameters
    ----------
    chains : array_like, shape (n_steps, n_chains, 1)
        After burn-in.
    cdf : callable
        Target CDF, ``(m,) -> (m,)``.
    claim : str
    alpha : float

    Returns
    -------
    CheckResult
    """
    chains = _chains(chains, dim=1)
    check_callable(cdf, "cdf")
    ess = float(np.min(indicator_effective_sample_size(chains)))
    tolerance = ks_tolerance(ess, alpha)
    distance = ks_distance(chains.reshape(-1, 1), cdf)
    return _check(claim, distance, 0.0, tolerance, f"indicator ESS {ess:.0f}, alpha={alpha:g}")


def _sup_cdf_distance(cdf_a, cdf_b, lower, upper, n_grid=20001):
    x = np.linspace(lower, upper, n_grid)
    return float(np.max(np.abs(cdf_a(x) - cdf_b(x))))


def check_smoothing_bias(chains, density, sigma, alpha=1e-3):
    """A chain driven by ``r*_sigma`` samples ``p_sigma``, so it misses ``p`` by ``KS(p_sigma, p)``.

    Measured: the KS distance of the pooled chains to ``p``. Expected:
    ``sup |F_{p_sigma} - F_p|``, the distance between the two densities. By the triangle
    inequality the two differ by at most the chains' KS distance to ``p_sigma``, which is
    within :func:`ks_tolerance` of 0 at the chains' indicator ESS (level ``alpha``) when
    the chains sample ``p_sigma``: that is the tolerance.

    Parameters
    ----------
    chains : array_like, shape (n_steps, n_chains, 1)
    density : GaussianMixture
        The 1-D data density ``p``.
    sigma : float
    alpha : float

    Returns
    -------
    CheckResult
    """
    chains = _chains(chains, dim=1)
    density = _mixture(density)
    cdf_p = mixture_cdf_1d(density)
    cdf_smooth = mixture_cdf_1d(density.smoothed(positive_scalar(sigma, "sigma")))
    sd = np.sqrt(np.max(density.covariances[:, 0, 0]) + sigma**2)
    lower = float(np.min(density.means)) - 12.0 * sd
    upper = float(np.max(density.means)) + 12.0 * sd
    expected = _sup_cdf_distance(cdf_p, cdf_smooth, lower, upper)
    ess = float(np.min(indicator_effective_sample_size(chains)))
    tolerance = ks_tolerance(ess, alpha)
    measured = ks_distance(chains.reshape(-1, 1), cdf_p)
    return _check(
        f"KS(chain, p) = KS(p_sigma, p) at sigma={sigma:g}",
        measured,
        expected,
        tolerance,
        f"KS(chain, p_sigma) = {ks_distance(chains.reshape(-1, 1), cdf_smooth):.3g}, "
        f"indicator ESS {ess:.0f}",
    )


def check_closed_loop_zero(log_ratio, vertices, tolerance=1e-6, claim="loop log-ratio = 0"):
    """Log-ratios of a gradient field add up to 0 around closed polygons.

    Measured: the largest ``|sum|`` over the polygons (:func:`closed_loop_log_ratio`).
    Tolerance 1e-6, the same quadrature accuracy as :func:`check_line_integral_exact`
    (use enough nodes in the log-ratio).

    Parameters
    ----------
    log_ratio : callable
    vertices : sequence of array_like, each shape (n, d)
    tolerance : float
    claim : str

    Returns
    -------
    CheckResult
    """
    loops = closed_loop_log_ratio(log_ratio, vertices)
    return _check(
        claim,
        np.max(np.abs(loops)),
        0.0,
        positive_scalar(tolerance, "tolerance"),
        f"max over {loops.size} polygons",
    )


def check_closed_loop_stokes(log_ratio, curl, sigma, A, B, C, min_median=0.05, n_nodes=48,
                             rtol=1e-6):
    """Around a triangle, line-integral log-ratios add up to the curl flux over ``sigma^2``.

    For ``log_ratio = line_integral_log_ratio(r, sigma)`` the loop sum is
    ``(1 / sigma^2) ∮ (r - x) · dx``, which by Stokes' theorem is the integral of
    ``curl r`` over the triangle divided by ``sigma^2`` (:func:`triangle_curl_flux`).
    Measured: ``max |loop - flux / sigma^2| / max(1, |loop|)``, expected 0, tolerance
    ``rtol`` (quadrature accuracy of both sides). The check also requires the median
    ``|loop|`` to be at least ``min_median`` nats: the log-ratio then depends on the path
    by amounts that change acceptance probabilities by several per cent (no single
    ``log q`` exists).

    Parameters
    ----------
    log_ratio : callable
        Built with enough nodes for ``rtol``.
    curl : callable
        ``curl(X) -> (n,)`` of ``r`` (:func:`field_curl_2d`).
    sigma : float
    A, B, C : array_like, shape (n, 2)
    min_median : float
    n_nodes : int
        Nodes per direction of the area quadrature.
    rtol : float

    Returns
    -------
    CheckResult
    """
    sigma = positive_scalar(sigma, "sigma")
    min_median = positive_scalar(min_median, "min_median")
    loops = closed_loop_log_ratio(log_ratio, [A, B, C])
    flux = triangle_curl_flux(curl, A, B, C, n_nodes=n_nodes) / sigma**2
    mismatch = np.max(np.abs(loops - flux) / np.maximum(1.0, np.abs(loops)))
    median = float(np.median(np.abs(loops)))
    return _check(
        "loop log-ratio = curl flux / sigma^2 (Stokes)",
        mismatch,
        0.0,
        positive_scalar(rtol, "rtol"),
        f"median |loop| = {median:.3g} nats (>= {min_median:g} required), {loops.size} triangles",
        passed=bool(mismatch <= rtol and median >= min_median),
    )


def check_spurious_attractor_traps(samples, attractor, repellers, claim=None):
    """Chains started at a spurious attractor of ``r`` stay in its basin.

    The basin is the interval between the repellers that enclose the attractor
    (:func:`fixed_points_1d`). Measured: the fraction of chains that ever left it;
    expected 0. Tolerance 0: the implied density (:func:`implied_log_density_1d`)
    has a barrier of many nats at the basin's ends, so the expected number of
    crossings in the run is far below one (the chapter measures the barrier).

    Parameters
    ----------
    samples : array_like, shape (n_steps, n_chains, 1)
    attractor : float
    repellers : array_like, shape (b,)
        All repellers found; those next to ``attractor`` bound the basin.
    claim : str, optional

    Returns
    -------
    CheckResult
    """
    samples = _chains(samples, dim=1)[:, :, 0]
    attractor = float(as_finite_array(attractor, "attractor", ndim=0))
    repellers = np.atleast_1d(np.asarray(repellers, dtype=float))
    below = repellers[repellers < attractor]
    above = repellers[repellers > attractor]
    lower = below.max() if below.size else -np.inf
    upper = above.min() if above.size else np.inf
    left = np.any((samples <= lower) | (samples >= upper), axis=0)
    return _check(
        claim or f"chains stay at the spurious attractor x={attractor:.3g}",
        np.mean(left),
        0.0,
        0.0,
        f"basin ({lower:.3g}, {upper:.3g}), {samples.shape[1]} chains x {samples.shape[0]} steps",
    )


def check_chains_end_in_interval(samples, lower, upper, claim=None):
    """Every chain ends inside an interval (for instance, the region that holds the data).

    Measured: the fraction of chains whose last state lies in ``(lower, upper)``;
    expected 1, tolerance 0.

    Parameters
    ----------
    samples : array_like, shape (n_steps, n_chains, 1)
    lower, upper : float
        ``lower < upper``.
    claim : str, optional

    Returns
    -------
    CheckResult
    """
    samples = _chains(samples, dim=1)
    lower = float(as_finite_array(lower, "lower", ndim=0))
    upper = float(as_finite_array(upper, "upper", ndim=0))
    if not upper > lower:
        raise ValueError(f"upper must be > lower={lower}; got {upper}")
    last = samples[-1, :, 0]
    inside = float(np.mean((last > lower) & (last < upper)))
    return _check(
        claim or f"chains end in ({lower:.3g}, {upper:.3g})",
        inside,
        1.0,
        0.0,
        f"{samples.shape[1]} chains after {samples.shape[0]} steps",
    )


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
    return _check(
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
    density = _mixture(density)
    sigma = positive_scalar(sigma, "sigma")
    X = _grid_around(density, positive_int(n_per_axis, "n_per_axis", minimum=2), margin)
    top = max_log_hessian_eigenvalue(density.smoothed(sigma), X)
    return _check(
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
    density = _mixture(density)
    X = as_points(X, dim=density.dim)
    se = np.sqrt(np.diag(density.overall_covariance) / X.shape[0])
    z = np.abs(X.mean(axis=0) - density.overall_mean) / se
    return _check(
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
    density = _mixture(density)
    X = as_points(X, dim=density.dim)
    fractions = mode_fractions(X, density)
    w = density.weights
    tolerance = positive_scalar(n_se, "n_se") * float(np.sqrt(np.max(w * (1 - w)) / X.shape[0]))
    return _check(
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
    density = _mixture(density)
    chains = _chains(chains, dim=density.dim)
    ess = mode_effective_sample_size(chains, density)
    w = density.weights
    fractions = mode_fractions(chains.reshape(-1, density.dim), density)
    tolerance = positive_scalar(n_se, "n_se") * float(np.max(np.sqrt(w * (1 - w) / ess)))
    return _check(
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
    density = _mixture(density)
    component = positive_int(component, "component", minimum=0)
    if component >= density.n_components:
        raise ValueError(
            f"component must be < n_components={density.n_components}; got {component}"
        )
    fractions = mode_fractions(X, density)
    return _check(
        claim or f"chains stay in mode {component}",
        1.0 - fractions[component],
        0.0,
        0.0,
        f"fractions {np.round(fractions, 3).tolist()}",
    )
