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

from ._validation import as_finite_array, as_points, check_callable, positive_int, positive_scalar

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


def _one_dimensional_sample(samples, name="samples"):
    arr = as_finite_array(samples, name)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"{name} must have shape (n,) or (n, 1); got {arr.shape}")
    return arr


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
    x = np.sort(_one_dimensional_sample(samples))
    check_callable(cdf, "cdf")
    F = np.asarray(cdf(x), dtype=float)
    if F.shape != x.shape:
        raise ValueError(f"cdf(x) must return shape {x.shape}; got {F.shape}")
    if not np.all(np.isfinite(F)) or np.any((F < 0) | (F > 1)):
        raise ValueError("cdf must return finite values in [0, 1]")
    n = x.size
    i = np.arange(1, n + 1)
    statistic = max(np.max(i / n - F), np.max(F - (i - 1) / n))
    return KSTest(float(statistic), float(stats.kstwo.sf(statistic, n)))


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
    return ks_test(samples, cdf).statistic


def _pairwise_sum(A, B, kernel):
    """``sum_ij kernel(|a_i - b_j|^2)``, computed in cache-sized blocks of rows.

    With ``B is A`` only the blocks on and above the diagonal are computed.
    """
    symmetric = B is A
    rows = max(1, _PAIRS_PER_BLOCK // max(B.shape[0], 1))
    a_sq = np.sum(A**2, axis=1)
    b_sq = a_sq if symmetric else np.sum(B**2, axis=1)
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


def _two_samples(X, Y):
    X = as_points(X, "X")
    Y = as_points(Y, "Y", dim=X.shape[1])
    # Centring both on a common point keeps |a|^2 + |b|^2 - 2 a.b free of cancellation.
    centre = np.concatenate([X, Y]).mean(axis=0)
    return X - centre, Y - centre


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
    X, Y = _two_samples(X, Y)
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
    return 2.0 * between - within_x - within_y


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
    X, Y = _two_samples(X, Y)
    bandwidth = positive_scalar(bandwidth, "bandwidth")
    n, m = X.shape[0], Y.shape[0]
    if min(n, m) < 2:
        raise ValueError("mmd needs at least 2 points in X and in Y")

    def kernel(sq):
        return np.exp(-sq / (2.0 * bandwidth**2))

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
    chains = as_finite_array(chains, "chains", ndim=3)
    n, m, d = chains.shape
    if n < 4:
        raise ValueError(f"chains must have at least 4 steps (axis 0); got {n}")
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
