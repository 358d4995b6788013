"""Chapter 9, sampling with approximate Metropolis-Hastings."""

import numpy as np

from .._validation import as_chains, as_finite_array, as_points, check_callable, positive_scalar
from ..densities import check_mixture
from ..diagnostics import indicator_effective_sample_size, ks_distance, ks_tolerance, mixture_cdf_1d
from ..fields import closed_loop_log_ratio, triangle_curl_flux
from ..optimal import dae_optimum
from ..sampling import line_integral_log_ratio
from . import record

__all__ = [
    "check_line_integral_exact",
    "check_chain_matches_cdf",
    "check_smoothing_bias",
    "check_closed_loop_zero",
    "check_closed_loop_stokes",
    "check_spurious_attractor_traps",
    "check_chains_end_in_interval",
]


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

    density = check_mixture(density)
    smooth = density.smoothed(positive_scalar(sigma, "sigma"))
    x = as_points(x, "x", dim=density.dim)
    x_new = as_points(x_new, "x_new", dim=density.dim)
    log_ratio = line_integral_log_ratio(dae_optimum(density, sigma), sigma, n_nodes=n_nodes)
    error = np.max(np.abs(log_ratio(x, x_new) - (smooth.log_prob(x_new) - smooth.log_prob(x))))
    return record(
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
    chains = as_chains(chains, dim=1)
    check_callable(cdf, "cdf")
    ess = float(np.min(indicator_effective_sample_size(chains)))
    tolerance = ks_tolerance(ess, alpha)
    distance = ks_distance(chains.reshape(-1, 1), cdf)
    return record(claim, distance, 0.0, tolerance, f"indicator ESS {ess:.0f}, alpha={alpha:g}")


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
    chains = as_chains(chains, dim=1)
    density = check_mixture(density)
    cdf_p = mixture_cdf_1d(density)
    cdf_smooth = mixture_cdf_1d(density.smoothed(positive_scalar(sigma, "sigma")))
    sd = np.sqrt(np.max(density.covariances[:, 0, 0]) + sigma**2)
    lower = float(np.min(density.means)) - 12.0 * sd
    upper = float(np.max(density.means)) + 12.0 * sd
    expected = _sup_cdf_distance(cdf_p, cdf_smooth, lower, upper)
    ess = float(np.min(indicator_effective_sample_size(chains)))
    tolerance = ks_tolerance(ess, alpha)
    measured = ks_distance(chains.reshape(-1, 1), cdf_p)
    return record(
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
    return record(
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
    return record(
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
    samples = as_chains(samples, dim=1)[:, :, 0]
    attractor = float(as_finite_array(attractor, "attractor", ndim=0))
    repellers = np.atleast_1d(np.asarray(repellers, dtype=float))
    below = repellers[repellers < attractor]
    above = repellers[repellers > attractor]
    lower = below.max() if below.size else -np.inf
    upper = above.min() if above.size else np.inf
    left = np.any((samples <= lower) | (samples >= upper), axis=0)
    return record(
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
    samples = as_chains(samples, dim=1)
    lower = float(as_finite_array(lower, "lower", ndim=0))
    upper = float(as_finite_array(upper, "upper", ndim=0))
    if not upper > lower:
        raise ValueError(f"upper must be > lower={lower}; got {upper}")
    last = samples[-1, :, 0]
    inside = float(np.mean((last > lower) & (last < upper)))
    return record(
        claim or f"chains end in ({lower:.3g}, {upper:.3g})",
        inside,
        1.0,
        0.0,
        f"{samples.shape[1]} chains after {samples.shape[0]} steps",
    )
