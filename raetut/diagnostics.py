"""Measuring numbers: convergence orders, distances between samples, effective sample size.

- :func:`fit_power_law` and :func:`fit_leading_coefficient` turn a sequence of errors
  ``err(h)`` into an order of convergence and a coefficient.
- :func:`ks_distance`, :func:`energy_distance` and :func:`mmd` say how far samples are
  from a target distribution (or from reference samples).
- :func:`effective_sample_size` says how many independent draws a set of Markov
  chains is worth.
"""

from dataclasses import dataclass

import numpy as np
from scipy import stats

from . import criteria
from ._grid import DATA_LEVEL, data_mask, trapezoid, trapezoid_weights
from ._validation import (
    as_chains,
    as_finite_array,
    as_matching_points,
    as_points,
    call_checked,
    check_callable,
    check_rng,
    increasing_grid,
    nonnegative_scalar,
    positive_int,
    positive_scalar,
    scale_parameter,
    values_on_grid,
)
from .criteria import dae_loss_quadrature
from .densities import check_density_1d, check_mixture
from .optimal import dae_optimum

__all__ = [
    "PowerLawFit",
    "fit_power_law",
    "fit_leading_coefficient",
    "KSTest",
    "ks_distance",
    "ks_test",
    "energy_distance",
    "mmd",
    "effective_sample_size",
    "weighted_score_error",
    "total_variation_1d",
    "kl_divergence_1d",
    "mass_outside_1d",
    "score_error_1d",
    "dae_estimation_error_scale",
    "far_from_data",
    "relative_errors",
    "far_field_error",
    "mode_fractions",
    "mode_effective_sample_size",
    "mixture_cdf_1d",
    "indicator_effective_sample_size",
    "split_rhat",
    "ks_tolerance",
    "max_log_hessian_eigenvalue",
    "log_concavity_threshold",
    "excess_dae_loss_1d",
    "smoothed_squared_error_1d",
    "PermutationTest",
    "energy_permutation_test",
]

# Pairwise work is done in blocks of this many pairs (512 kB of float64: stays in cache).
_PAIRS_PER_BLOCK = 2**16


# --------------------------------------------------------------------------- orders


@dataclass(frozen=True)
class PowerLawFit:
    """Least-squares fit of ``err ≈ constant * h**slope`` on a log–log scale.

    Attributes
    ----------
    slope : float
        The fitted exponent (the order of convergence).
    constant : float
        The fitted prefactor.
    r_squared : float
        Coefficient of determination of the straight-line fit of ``log err`` on ``log h``.
    """

    slope: float
    constant: float
    r_squared: float

    def __call__(self, h):
        """The fitted law ``constant * h**slope``."""
        return self.constant * np.asarray(h, dtype=float) ** self.slope


def _step_sizes(h, min_len):
    h = as_finite_array(h, "h", ndim=1)
    if h.size < min_len:
        raise ValueError(f"h must have at least {min_len} values; got {h.size}")
    if np.any(h <= 0):
        raise ValueError("h must contain only values > 0")
    if np.unique(h).size != h.size:
        raise ValueError("h must not contain repeated values")
    return h


def fit_power_law(h, err):
    """Fit ``err ≈ constant * h**slope`` by least squares of ``log err`` on ``log h``.

    Parameters
    ----------
    h : array_like, shape (m,)
        Distinct step sizes (or noise levels), > 0.
    err : array_like, shape (m,)
        Errors, > 0.

    Returns
    -------
    PowerLawFit
    """
    h = _step_sizes(h, min_len=2)
    err = as_finite_array(err, "err", shape=h.shape)
    if np.any(err <= 0):
        raise ValueError("err must contain only values > 0 (a power law is fitted to log err)")
    log_h, log_err = np.log(h), np.log(err)
    slope, intercept = np.polyfit(log_h, log_err, 1)
    residual = log_err - (intercept + slope * log_h)
    total = np.sum((log_err - log_err.mean()) ** 2)
    r_squared = 1.0 - np.sum(residual**2) / total if total > 0 else 1.0
    return PowerLawFit(float(slope), float(np.exp(intercept)), float(r_squared))


def fit_leading_coefficient(h, err, order, n_corrections=1, step=1.0):
    """Coefficient ``c`` of the leading term of ``err ≈ c h**order + c1 h**(order+step) + ...``.

    The quotient ``err / h**order`` is fitted by least squares with the polynomial
    ``c + c1 h**step + ... + ck h**(k step)``, ``k = n_corrections``; the constant
    term is the limit of the quotient as ``h -> 0``, that is, Richardson
    extrapolation done by least squares. ``err`` may be signed, and may be a stack
    of sequences (one fit per column).

    Parameters
    ----------
    h : array_like, shape (m,)
        Distinct step sizes, > 0, with ``m > n_corrections``.
    err : array_like, shape (m,) or (m, k)
        Errors (signed), one row per step size.
    order : float
        The known order of the leading term.
    n_corrections : int
        Number of higher-order terms fitted along with it (0 gives the plain mean
        of ``err / h**order``).
    step : float
        Spacing of the exponents of the correction terms, > 0 (2 for expansions in
        even powers).

    Returns
    -------
    float or ndarray, shape (k,)
        The extrapolated coefficient(s).
    """
    h = _step_sizes(h, min_len=1)
    err = as_finite_array(err, "err")
    if err.ndim not in (1, 2) or err.shape[0] != h.size:
        raise ValueError(f"err must have shape ({h.size},) or ({h.size}, k); got {err.shape}")
    order = float(as_finite_array(order, "order", ndim=0))
    n_corrections = positive_int(n_corrections, "n_corrections", minimum=0)
    step = positive_scalar(step, "step")
    if h.size <= n_corrections:
        raise ValueError(f"h needs more than n_corrections={n_corrections} values; got {h.size}")
    design = (h[:, None] / h.max()) ** (step * np.arange(n_corrections + 1))
    quotient = err / (h**order).reshape((-1,) + (1,) * (err.ndim - 1))
    coefficients = np.linalg.lstsq(design, quotient, rcond=None)[0]
    leading = coefficients[0]
    return float(leading) if err.ndim == 1 else leading


# --------------------------------------------------------------------- distances


@dataclass(frozen=True)
class KSTest:
    """Kolmogorov–Smirnov statistic of a sample against a continuous CDF.

    Attributes
    ----------
    statistic : float
        ``sup_x |F_n(x) - F(x)|``.
    pvalue : float
        Exact two-sided p-value under the hypothesis that the sample is i.i.d. from ``F``.
    """

    statistic: float
    pvalue: float


def ks_test(samples, cdf):
    """Kolmogorov–Smirnov statistic and p-value of 1-D samples against a CDF.

    Parameters
    ----------
    samples : array_like, shape (n,) or (n, 1)
    cdf : callable
        Vectorised CDF, ``x (n,) -> (n,)`` with values in [0, 1].

    Returns
    -------
    KSTest
    """
    statistic, n = _ks_statistic(samples, cdf)
    return KSTest(statistic, float(stats.kstwo.sf(statistic, n)))


def _ks_statistic(samples, cdf):
    """The KS statistic of ``samples`` against ``cdf`` and the sample size."""
    x = np.sort(values_on_grid(samples, None, "samples"))
    check_callable(cdf, "cdf")
    F = call_checked(cdf, x, "cdf", call="cdf(x)")
    if np.any((F < 0) | (F > 1)):
        raise ValueError("cdf must return values in [0, 1]")
    n = x.size
    i = np.arange(1, n + 1)
    return float(max(np.max(i / n - F), np.max(F - (i - 1) / n))), n


def ks_distance(samples, cdf):
    """Kolmogorov–Smirnov distance ``sup_x |F_n(x) - F(x)|`` of 1-D samples to a CDF.

    For i.i.d. samples of ``F`` it is about ``0.87 / sqrt(n)`` on average and
    exceeds ``1.36 / sqrt(n)`` with probability 5%.

    Parameters
    ----------
    samples : array_like, shape (n,) or (n, 1)
    cdf : callable
        Vectorised CDF, ``x (n,) -> (n,)``.

    Returns
    -------
    float
    """
    return _ks_statistic(samples, cdf)[0]


def _pairwise_sum(A, B, kernel):
    """``sum_ij kernel(|a_i - b_j|^2)``, computed in cache-sized blocks of rows.

    With ``B is A`` only the blocks on and above the diagonal are computed.
    """
    symmetric = B is A
    rows = max(1, _PAIRS_PER_BLOCK // max(B.shape[0], 1))
    with np.errstate(over="ignore"):
        a_sq = np.sum(A**2, axis=1)
        b_sq = a_sq if symmetric else np.sum(B**2, axis=1)
    if not (np.all(np.isfinite(a_sq)) and np.all(np.isfinite(b_sq))):
        return _pairwise_sum_direct(A, B, kernel, rows)
    total = 0.0
    for start in range(0, A.shape[0], rows):
        stop = min(start + rows, A.shape[0])
        first = start if symmetric else 0
        sq = A[start:stop] @ B[first:].T
        sq *= -2.0
        sq += a_sq[start:stop, None]
        sq += b_sq[None, first:]
        np.maximum(sq, 0.0, out=sq)
        if symmetric:  # exact zeros on the diagonal, not rounding residue
            sq[np.arange(stop - start), np.arange(stop - start)] = 0.0
        values = kernel(sq)
        if symmetric:
            square = stop - start
            total += 2.0 * float(np.sum(values)) - float(np.sum(values[:, :square]))
        else:
            total += float(np.sum(values))
    return total


def _binary_exponent(values, axis=None):
    """``e`` with ``max |values| / 2**e`` in [0.5, 1) (0 for all-zero values).

    Dividing by ``2**e`` (``np.ldexp(values, -e)``) is exact in floating point, so it makes
    a statistic that is homogeneous in the data scale-free without changing its digits.
    """
    top = np.max(np.abs(values), axis=axis)
    return np.frexp(top)[1]


#: Beyond ``2**500`` (about 3e150) squared coordinates overflow.
_HUGE_EXPONENT = 500


def _pairwise_sum_direct(A, B, kernel, rows):
    """``sum_ij kernel(|a_i - b_j|^2)`` from the differences: far pairs give ``inf``, not NaN."""
    total = 0.0
    for start in range(0, A.shape[0], max(1, rows // max(A.shape[1], 1))):
        block = A[start : start + rows]
        with np.errstate(over="ignore"):
            sq = np.sum((block[:, None, :] - B[None, :, :]) ** 2, axis=2)
        total += float(np.sum(kernel(sq)))
    return total


def _two_samples(X, Y, rescale):
    """Both samples centred on a common point, and with ``rescale`` divided by ``2**e``.

    Returns ``X', Y', e`` (``e = 0`` without ``rescale``). For a statistic homogeneous in
    the data (the energy distance) the exact division by a power of two keeps squared
    distances from overflowing far from the origin (``|x| ~ 1e300``).
    """
    X = as_points(X, "X")
    Y = as_points(Y, "Y", dim=X.shape[1])
    e = int(max(_binary_exponent(X), _binary_exponent(Y)))
    both = np.ldexp(np.concatenate([X, Y]), -e)
    # Centring both on a common point keeps |a|^2 + |b|^2 - 2 a.b free of cancellation.
    centre = both.mean(axis=0)
    if rescale:
        both -= centre
    elif e > _HUGE_EXPONENT:  # squares overflow: _pairwise_sum takes differences directly,
        both, e = np.concatenate([X, Y]), 0  # and centring would cancel small distances
    else:
        both, e = np.concatenate([X, Y]) - np.ldexp(centre, e), 0
    return both[: len(X)], both[len(X):], e


def energy_distance(X, Y, unbiased=False):
    """Squared energy distance ``2 E|X - Y| - E|X - X'| - E|Y - Y'|`` between two samples.

    By default the V-statistic: all pairs, including each point with itself, are
    averaged. It is the exact squared energy distance between the two empirical
    distributions, so it is >= 0 and symmetric; for two samples of the same
    distribution it is of order ``1/n``. With ``unbiased=True`` the within-sample
    averages skip the diagonal (U-statistics): unbiased for the population value,
    but it can be slightly negative.

    Memory use stays bounded for large samples (10^4 x 10^4 pairs are summed in blocks).

    Parameters
    ----------
    X : array_like, shape (n, d)
    Y : array_like, shape (m, d)
    unbiased : bool

    Returns
    -------
    float
    """
    X, Y, e = _two_samples(X, Y, rescale=True)
    n, m = X.shape[0], Y.shape[0]
    if unbiased and min(n, m) < 2:
        raise ValueError("the unbiased energy distance needs at least 2 points in X and in Y")
    between = _pairwise_sum(X, Y, np.sqrt) / (n * m)
    within_x = _pairwise_sum(X, X, np.sqrt)
    within_y = _pairwise_sum(Y, Y, np.sqrt)
    if unbiased:
        within_x, within_y = within_x / (n * (n - 1)), within_y / (m * (m - 1))
    else:
        within_x, within_y = within_x / n**2, within_y / m**2
    return float(np.ldexp(2.0 * between - within_x - within_y, e))


def mmd(X, Y, bandwidth):
    """Unbiased squared maximum mean discrepancy with a Gaussian kernel.

    ``k(x, y) = exp(-|x - y|^2 / (2 bandwidth^2))``; the within-sample averages skip
    the diagonal, so the estimate is unbiased for the population MMD² and can be
    slightly negative when the two distributions are equal.

    Parameters
    ----------
    X : array_like, shape (n, d)
    Y : array_like, shape (m, d)
    bandwidth : float
        Kernel length scale, > 0.

    Returns
    -------
    float
    """
    bandwidth = positive_scalar(bandwidth, "bandwidth")
    # In units of the bandwidth's power of two (exact): only distances / bandwidth matter.
    e = int(np.frexp(bandwidth)[1])
    h = float(np.ldexp(bandwidth, -e))
    X = np.ldexp(as_points(X, "X"), -e)
    Y = np.ldexp(as_points(Y, "Y", dim=X.shape[1]), -e)
    X, Y, _ = _two_samples(X, Y, rescale=False)
    n, m = X.shape[0], Y.shape[0]
    if min(n, m) < 2:
        raise ValueError("mmd needs at least 2 points in X and in Y")

    def kernel(sq):
        with np.errstate(over="ignore"):  # a pair too far apart has kernel value 0
            return np.exp(-(sq / (2.0 * h**2)))

    # The diagonal of each within-sample sum is exactly n (resp. m) ones.
    within_x = (_pairwise_sum(X, X, kernel) - n) / (n * (n - 1))
    within_y = (_pairwise_sum(Y, Y, kernel) - m) / (m * (m - 1))
    between = _pairwise_sum(X, Y, kernel) / (n * m)
    return within_x + within_y - 2.0 * between


# ------------------------------------------------------------ effective sample size


def _autocovariance(chains):
    """Autocovariance of each chain at every lag, by FFT; shape (n_steps, n_chains, d)."""
    n = chains.shape[0]
    centred = chains - chains.mean(axis=0)
    size = 1 << int(np.ceil(np.log2(2 * n)))
    spectrum = np.fft.rfft(centred, n=size, axis=0)
    return np.fft.irfft(np.abs(spectrum) ** 2, n=size, axis=0)[:n] / n


def _scale_free(chains):
    """Each coordinate of ``chains`` divided by a power of two (exact) to magnitude < 1.

    ESS and R-hat do not depend on the scale of a coordinate; this keeps their variances
    from overflowing for states near 1e300 without changing a digit elsewhere.
    """
    e = _binary_exponent(chains, axis=(0, 1))  # (d,)
    return np.ldexp(chains, -e[None, None, :])


def effective_sample_size(chains):
    """Effective sample size of each coordinate of a set of Markov chains.

    The multi-chain estimator of Stan (Gelman et al., *Bayesian Data Analysis*, 3rd
    ed., §11.5): autocorrelations ``rho_t = 1 - (W - mean_c gamma_{c,t}) / var+``
    pool the per-chain autocovariances ``gamma`` with the within-chain variance ``W``
    and the between-chain variance (through ``var+``), and the sum
    ``tau = 1 + 2 sum_t rho_t`` is truncated by Geyer's initial monotone sequence
    (pairs ``rho_{2k} + rho_{2k+1}`` are summed while positive and made
    non-increasing). Chains are neither split nor rank-normalised.
    ``ESS = N / tau`` with ``N = n_steps * n_chains``, capped at ``N log10(N)`` (as in Stan)
    for strongly antithetic chains.

    Parameters
    ----------
    chains : array_like, shape (n_steps, n_chains, d)
        ``n_steps >= 4``.

    Returns
    -------
    ndarray, shape (d,)
    """
    chains = _scale_free(as_chains(chains, min_steps=4))
    n, m, d = chains.shape
    gamma = _autocovariance(chains)  # (n, m, d)
    chain_var = gamma[0] * n / (n - 1)  # unbiased within-chain variances, (m, d)
    within = chain_var.mean(axis=0)
    between = n * chains.mean(axis=0).var(axis=0, ddof=1) if m > 1 else np.zeros(d)
    var_plus = (n - 1) / n * within + between / n
    if np.any(var_plus <= 0):
        constant = np.flatnonzero(var_plus <= 0)
        raise ValueError(f"chains are constant in coordinate(s) {constant.tolist()}: no ESS")
    rho = 1.0 - (within - gamma.mean(axis=1)) / var_plus  # (n, d)
    rho = np.concatenate([rho, np.zeros((1, d))]) if n % 2 else rho
    pairs = rho[0::2] + rho[1::2]  # (n // 2, d)
    ess = np.empty(d)
    for k in range(d):
        positive = pairs[:, k] > 0
        n_pairs = np.argmin(positive) if not positive.all() else positive.size
        monotone = np.minimum.accumulate(pairs[:n_pairs, k])
        tau = -1.0 + 2.0 * np.sum(monotone)
        total = n * m
        ess[k] = total / tau if tau > 0 else np.inf
        ess[k] = min(ess[k], total * np.log10(total))
    return ess


def weighted_score_error(psi, score, weights=None, scale=None):
    """Relative weighted error of a score estimate, ``sqrt(sum w |psi - s|^2 / sum w |s|^2)``.

    With ``X`` a grid and ``weights = p * (quadrature weights)`` this is the relative
    root-mean-square error under ``p`` (the square root of a relative Fisher
    divergence); with samples from ``p`` and no weights, its Monte-Carlo estimate.
    The package's one relative weighted error: :func:`score_error_1d` and
    :func:`far_field_error` are this function on their weights.

    Parameters
    ----------
    psi : array_like, shape (n, d)
        The estimate at the points.
    score : array_like, shape (n, d)
        The reference score at the same points.
    weights : array_like, shape (n,), optional
        Non-negative weights, not all zero; default equal weights.
    scale : array_like, shape (n, d), optional
        The field whose weighted size is the denominator, ``sum w |scale|^2``; default
        ``score``. One scale for several references keeps their errors comparable.

    Returns
    -------
    float
    """
    psi, score = as_matching_points(psi, score, "psi", "score")
    scale = score if scale is None else as_matching_points(psi, scale, "psi", "scale")[1]
    if weights is None:
        weights = np.ones(psi.shape[0])
    weights = as_finite_array(weights, "weights", shape=(psi.shape[0],))
    if np.any(weights < 0) or not np.any(weights > 0):
        raise ValueError("weights must be >= 0 and not all zero")
    denominator = float(np.sum(weights * np.sum(scale**2, axis=1)))
    if denominator == 0.0:
        name = "score" if scale is score else "scale"
        raise ValueError(f"{name} is zero wherever weights > 0: the relative error is undefined")
    return float(np.sqrt(np.sum(weights * np.sum((psi - score) ** 2, axis=1)) / denominator))


def _densities_on_grid(p, q, grid):
    grid = increasing_grid(grid, "grid")
    p = values_on_grid(p, grid.size, "p")
    q = values_on_grid(q, grid.size, "q")
    for name, values in (("p", p), ("q", q)):
        if np.any(values < 0):
            raise ValueError(f"{name} must be >= 0 (a density on the grid)")
    return p, q, grid


def total_variation_1d(p, q, grid):
    """Total-variation distance ``(1/2) integral |p - q|`` of two densities on a 1-D grid.

    Parameters
    ----------
    p, q : array_like, shape (m,)
        Density values on the grid.
    grid : array_like, shape (m,)

    Returns
    -------
    float
        Between 0 and 1 for normalised densities.
    """
    p, q, grid = _densities_on_grid(p, q, grid)
    return 0.5 * trapezoid(np.abs(p - q), grid)


def kl_divergence_1d(p, q, grid, log=False):
    """Kullback-Leibler divergence ``integral p log(p / q)`` on a 1-D grid (trapezoid).

    Parameters
    ----------
    p, q : array_like, shape (m,)
        Density values on the grid, ``q > 0`` wherever ``p > 0``; or, with ``log=True``,
        log-densities (finite), which avoids underflow in the tails.
    grid : array_like, shape (m,)
    log : bool
        Whether ``p`` and ``q`` are log-densities.

    Returns
    -------
    float
    """
    if log:
        grid = increasing_grid(grid, "grid")
        log_p = values_on_grid(p, grid.size, "p")
        log_q = values_on_grid(q, grid.size, "q")
        return trapezoid(np.exp(log_p) * (log_p - log_q), grid)
    p, q, grid = _densities_on_grid(p, q, grid)
    support = p > 0
    if np.any(q[support] == 0):
        raise ValueError("q must be > 0 wherever p > 0 (otherwise KL(p || q) is infinite)")
    integrand = np.zeros_like(p)
    integrand[support] = p[support] * (np.log(p[support]) - np.log(q[support]))
    return trapezoid(integrand, grid)


def mass_outside_1d(q, grid, lower, upper):
    """Probability that a density on a 1-D grid gives to ``x < lower`` or ``x > upper``.

    For example the mass that a model density puts beyond the range of its training
    data. Trapezoid rule on the grid with the integrand set to 0 inside the interval.

    Parameters
    ----------
    q : array_like, shape (m,)
        Density values on the grid, >= 0.
    grid : array_like, shape (m,)
    lower, upper : float
        The interval, ``lower < upper``.

    Returns
    -------
    float
    """
    q, _, grid = _densities_on_grid(q, q, grid)
    lower = float(as_finite_array(lower, "lower", ndim=0))
    upper = float(as_finite_array(upper, "upper", ndim=0))
    if not lower < upper:
        raise ValueError(f"lower must be < upper; got lower={lower}, upper={upper}")
    outside = (grid < lower) | (grid > upper)
    return trapezoid(np.where(outside, q, 0.0), grid)


def _data_weights(density, grid, level):
    """Trapezoid weights times ``p`` on the grid, zero where there is no data (``data_mask``)."""
    p = np.asarray(density.prob(grid[:, None]), dtype=float)
    return np.where(data_mask(p, level), trapezoid_weights(grid) * p, 0.0)


def _level(level):
    level = nonnegative_scalar(level, "level")
    if level >= 1:
        raise ValueError(f"level must be in [0, 1); got {level}")
    return level


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
    check_density_1d(density, ("prob", "score"))
    m = grid.size
    estimate = values_on_grid(estimate, m, "estimate")
    score = values_on_grid(density.score(grid[:, None]), m, "density.score")
    reference = score if reference is None else values_on_grid(reference, m, "reference")
    weights = _data_weights(density, grid, _level(level))
    if not np.any(weights * score**2 > 0):
        raise ValueError("the score vanishes on the data region: a relative error is undefined")
    return weighted_score_error(estimate[:, None], reference[:, None], weights,
                                scale=score[:, None])


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
    density = check_mixture(density, dim=1)
    sigma = scale_parameter(sigma, "sigma")
    n_params = positive_int(n_params, "n_params")
    n_pairs = positive_int(n_pairs, "n_pairs")
    grid = increasing_grid(grid, "grid")
    best = criteria.dae_loss_quadrature(dae_optimum(density, sigma), density, sigma, grid,
                                        n_hermite=positive_int(n_hermite, "n_hermite"))
    weights = _data_weights(density, grid, _level(level))
    score_norm = np.sqrt(np.sum(weights * density.score(grid[:, None])[:, 0] ** 2))
    return float(np.sqrt(n_params * best / n_pairs) / sigma**2 / score_norm)


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
    estimate, reference = as_matching_points(estimate, reference, "estimate", "reference")
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
    points, estimate = as_matching_points(points, estimate, "points", "estimate")
    reference = as_matching_points(points, reference, "points", "reference")[1]
    far = far_from_data(points, X, margin)
    if not np.any(far):
        raise ValueError(f"no point of points is farther than margin={margin} from the data")
    if not np.any(reference[far]):
        raise ValueError("reference vanishes on the far points: the relative error is undefined")
    return weighted_score_error(estimate[far], reference[far])


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
    density = check_mixture(density)
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
    density = check_mixture(density)
    chains = as_chains(chains, dim=density.dim)
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

    density = check_mixture(density)
    if density.dim != 1:
        raise ValueError(f"density must be 1-D; got dim={density.dim}")
    w = density.weights
    mu = density.means[:, 0]
    sd = np.sqrt(density.covariances[:, 0, 0])

    def cdf(x):
        return ndtr((values_on_grid(x, None, "x")[:, None] - mu) / sd) @ w

    return cdf


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
    chains = as_chains(chains, dim=1)
    levels = np.atleast_1d(as_finite_array(levels, "levels"))
    if np.any((levels <= 0) | (levels >= 1)):
        raise ValueError(f"levels must lie in (0, 1); got {levels}")
    thresholds = np.quantile(chains.ravel(), levels)
    indicators = (chains <= thresholds[None, None, :]).astype(float)  # (n, m, k)
    return effective_sample_size(indicators)


def ks_tolerance(n_effective, beta=1e-3):
    """Asymptotic critical value of the Kolmogorov–Smirnov distance for ``n`` draws.

    ``sqrt(-log(beta / 2) / 2) / sqrt(n)``: an i.i.d. sample of size ``n`` from ``F``
    has ``sup |F_n - F|`` above it with probability about ``beta``. For Markov chains
    pass an effective sample size (see :func:`indicator_effective_sample_size`); the
    result is then an approximation.

    Parameters
    ----------
    n_effective : float
        Sample size, > 0.
    beta : float
        Test level in (0, 1).

    Returns
    -------
    float
    """
    n_effective = positive_scalar(n_effective, "n_effective")
    beta = positive_scalar(beta, "beta")
    if beta >= 1:
        raise ValueError(f"beta must lie in (0, 1); got {beta}")
    return float(np.sqrt(-np.log(beta / 2.0) / 2.0) / np.sqrt(n_effective))


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
    density = check_mixture(density)
    cov = density.covariances
    tau2 = float(cov[0, 0, 0])
    if not np.allclose(cov, tau2 * np.eye(density.dim)[None], rtol=1e-12, atol=0.0):
        raise ValueError("density must have one common isotropic covariance tau^2 I")
    mu = density.means[density.weights > 0]
    diameter2 = float(np.max(np.sum((mu[:, None, :] - mu[None, :, :]) ** 2, axis=2)))
    return float(np.sqrt(max(diameter2 / 4.0 - tau2, 0.0)))


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
    density = check_mixture(density, dim=1)
    check_callable(reconstruct, "reconstruct")
    sigma = scale_parameter(sigma, "sigma")
    grid = increasing_grid(grid, "grid")
    n_hermite = positive_int(n_hermite, "n_hermite")
    optimum = dae_optimum(density, sigma)
    loss = dae_loss_quadrature(reconstruct, density, sigma, grid, n_hermite=n_hermite)
    best = dae_loss_quadrature(optimum, density, sigma, grid, n_hermite=n_hermite)
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
    density = check_mixture(density, dim=1)
    check_callable(reconstruct, "reconstruct")
    sigma = scale_parameter(sigma, "sigma")
    grid = increasing_grid(grid, "grid")
    X = grid[:, None]
    diff = call_checked(reconstruct, X, "reconstruct")[:, 0] - dae_optimum(density, sigma)(X)[:, 0]
    p_sigma = density.smoothed(sigma).prob(X)
    return float(np.sum(trapezoid_weights(grid) * p_sigma * diff**2))


def split_rhat(chains):
    """Split potential scale reduction factor R-hat of each coordinate of a set of chains.

    Each chain is cut into its first and second halves (an odd middle state is dropped),
    and the ``2 m`` half-chains of length ``n`` enter the Gelman–Rubin ratio
    ``R = sqrt(var+ / W)``, ``var+ = (n - 1) / n W + B / n``, with ``W`` the mean
    within-half variance and ``B / n`` the variance of the half-chain means (Gelman et
    al., *Bayesian Data Analysis*, 3rd ed., §11.4; no rank normalisation). Splitting
    makes a drift within chains show as well as a disagreement between them. For
    converged chains ``R^2 ≈ 1 + 2 m / ESS`` (Vats and Knudson, 2021), so ``R - 1`` is
    about ``m / ESS``; chains that have not forgotten overdispersed starts give values
    well above 1. A coordinate that is constant within every half-chain while the
    halves differ gives ``inf``; one that is constant everywhere gives 1.

    Parameters
    ----------
    chains : array_like, shape (n_steps, n_chains, d)
        ``n_steps >= 4``.

    Returns
    -------
    ndarray, shape (d,)
    """
    chains = _scale_free(as_chains(chains, min_steps=4))
    n_steps = chains.shape[0]
    half = n_steps // 2
    halves = np.concatenate([chains[:half], chains[n_steps - half:]], axis=1)  # (half, 2m, d)
    within = halves.var(axis=0, ddof=1).mean(axis=0)
    between_over_n = halves.mean(axis=0).var(axis=0, ddof=1)
    var_plus = (half - 1) / half * within + between_over_n
    out = np.ones(chains.shape[2])
    moving = within > 0
    out[moving] = np.sqrt(var_plus[moving] / within[moving])
    out[~moving & (var_plus > 0)] = np.inf
    return out


# ---------------------------------------------------------- energy-distance permutation test


@dataclass(frozen=True)
class PermutationTest:
    """The unbiased energy distance of two samples and its permutation p-value.

    ``p_value = (1 + #{permuted statistics >= observed}) / (1 + n_permutations)``: under
    exchangeability (the two samples i.i.d. from one law) ``P(p_value <= beta) <= beta``.
    Defined in chapter 12 (the samplers' table); chapter 9 uses it for its 2-D chains.
    """

    statistic: float
    p_value: float
    null: np.ndarray
    n_x: int
    n_y: int


def energy_permutation_test(X, Y, n_permutations, rng, block_size=256):
    """Energy-distance U-statistic of ``X`` (n, d) against ``Y`` (m, d) with a permutation null.

    Each permutation relabels the pooled sample; its statistic needs the quadratic form
    ``a^T D a`` of the label vector ``a`` with the pooled distance matrix ``D`` and
    ``1^T D a`` (the other two terms follow), so one product ``D A`` with the
    ``(n + m, n_permutations)`` label matrix gives all of them. ``D`` is built in blocks
    of ``block_size`` rows and never stored whole. The observed statistic is
    :func:`energy_distance` (``unbiased=True``), an independent computation.

    Parameters
    ----------
    X : array_like, shape (n, d)
    Y : array_like, shape (m, d)
    n_permutations : int
    rng : numpy.random.Generator
    block_size : int

    Returns
    -------
    PermutationTest
    """
    X = as_points(X, "X")
    Y = as_points(Y, "Y", dim=X.shape[1])
    n_permutations = positive_int(n_permutations, "n_permutations")
    block_size = positive_int(block_size, "block_size")
    rng = check_rng(rng)
    n, m = len(X), len(Y)
    if min(n, m) < 2:
        raise ValueError("X and Y need at least 2 points each")
    P = np.concatenate([X, Y])
    P = P - P.mean(axis=0)
    N = n + m
    A = np.zeros((N, n_permutations))
    for j in range(n_permutations):
        A[rng.permutation(N)[:n], j] = 1.0
    sq = np.sum(P**2, axis=1)
    DA = np.empty((N, n_permutations))
    row_sums = np.empty(N)
    buffer = np.empty((min(block_size, N), N))  # reused: fresh temporaries are slow
    for i in range(0, N, block_size):
        rows = slice(i, min(i + block_size, N))
        D = buffer[: rows.stop - i]
        np.dot(P[rows], P.T, out=D)
        D *= -2.0
        D += sq[rows, None]
        D += sq[None, :]
        np.maximum(D, 0.0, out=D)
        np.sqrt(D, out=D)
        D[np.arange(D.shape[0]), np.arange(rows.start, rows.stop)] = 0.0
        np.dot(D, A, out=DA[rows])
        row_sums[rows] = D.sum(axis=1)
    xx = np.sum(A * DA, axis=0)
    cross = row_sums @ A  # 1^T D a
    xy = cross - xx
    yy = row_sums.sum() - 2.0 * cross + xx
    null = 2.0 * xy / (n * m) - xx / (n * (n - 1)) - yy / (m * (m - 1))
    observed = energy_distance(X, Y, unbiased=True)
    p_value = (1.0 + np.sum(null >= observed)) / (1.0 + n_permutations)
    return PermutationTest(float(observed), float(p_value), null, n, m)
