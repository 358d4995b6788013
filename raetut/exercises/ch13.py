"""Chapter 13's computational exercises: the Gibbs chain of a generalised DAE with an
inexact posterior, the deterministic chain's covariance in d dimensions, and how far
walk-back corruptions reach."""

import numpy as np

from . import Exercise, _add

# One-dimensional data x ~ N(0, v); corruption x~ = x + sigma z; a = v / (v + sigma^2), so
# r*_sigma(x~) = a x~ and the posterior is P(x | x~) = N(a x~, a sigma^2).


def _shrink(v, sigma):
    return v / (v + sigma**2)


def _gibbs_cases(rng):
    return [(float(v), float(s), float(c)) for v, s, c in zip(
        rng.uniform(0.2, 3.0, 6), rng.uniform(0.1, 2.0, 6), rng.uniform(0.0, 2.0, 6),
        strict=True)]


def _gibbs(v, sigma, c, corruption=True):
    a = _shrink(v, sigma)
    return ((a**2 * sigma**2 if corruption else 0.0) + c * a * sigma**2) / (1.0 - a**2)


_add(Exercise(
    key="ch13-1",
    call="gibbs_variance(v, sigma, c)",
    # V = a^2 (V + sigma^2) + c a sigma^2
    reference=lambda v, sigma, c: _gibbs(v, sigma, c),
    cases=_gibbs_cases,
    mistakes=(
        (lambda v, sigma, c: v,
         "Only the exact posterior (c = 1) keeps the data's variance v. With the posterior's "
         "variance scaled by c the stationary variance V solves V = a^2 (V + sigma^2) + "
         "c a sigma^2."),
        (lambda v, sigma, c: _gibbs(v, sigma, c, corruption=False),
         "The mean a x~ carries the corruption's noise too: Var(a x~) = a^2 (V + sigma^2), "
         "not a^2 V."),
        (lambda v, sigma, c: (_shrink(v, sigma) ** 2 * sigma**2 + c * _shrink(v, sigma)
                              * sigma**2) / (1.0 - _shrink(v, sigma)),
         "The coefficient of V on the right-hand side is a^2 (the mean a x~ has variance "
         "a^2 Var x~), so V (1 - a^2) is what is left, not V (1 - a)."),
    ),
))


def _spd_cases(rng):
    cases = []
    for d, sigma in zip((2, 2, 3, 3, 4, 2), rng.uniform(0.2, 1.5, 6), strict=True):
        Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
        lam = rng.uniform(0.05, 3.0, d)
        cases.append(((Q * lam) @ Q.T, float(sigma)))  # a full (non-diagonal) covariance
    return cases


def _matrix_function(Sigma, f):
    lam, U = np.linalg.eigh(np.asarray(Sigma, dtype=float))
    return (U * f(lam)) @ U.T


def _chain_covariance(Sigma, sigma):
    # C = A C A + sigma^2 A^2, A = Sigma (Sigma + sigma^2 I)^-1, so
    # C = Sigma^2 (2 Sigma + sigma^2 I)^-1
    return _matrix_function(Sigma, lambda lam: lam**2 / (2.0 * lam + sigma**2))


_add(Exercise(
    key="ch13-2",
    call="deterministic_chain_covariance(Sigma, sigma)",
    reference=_chain_covariance,
    cases=_spd_cases,
    mistakes=(
        (lambda Sigma, sigma: np.asarray(Sigma) ** 2 / (2.0 * np.asarray(Sigma) + sigma**2),
         "The one-dimensional formula v^2 / (2v + sigma^2) holds along each eigenvector of "
         "Sigma, not entry by entry: C = Sigma^2 (2 Sigma + sigma^2 I)^-1 is a matrix "
         "function (diagonalise Sigma, apply the formula to its eigenvalues, rotate back)."),
        (lambda Sigma, sigma: np.asarray(Sigma) / 2.0,
         "Sigma / 2 is the covariance of p^2, the small-sigma limit of the chain's law. At a "
         "finite sigma solve C = A C A + sigma^2 A^2 exactly."),
        (lambda Sigma, sigma: _matrix_function(Sigma, lambda lam: (lam + sigma**2) ** 2
                                               / (2.0 * lam + sigma**2)),
         "The corruption noise passes through the reconstruction as well: x' = A (x + sigma z) "
         "adds sigma^2 A A^T per step, not sigma^2 I."),
    ),
))


def _walk_cases(rng):
    return [(float(v), float(s), int(k)) for v, s, k in zip(
        rng.uniform(0.2, 3.0, 6), rng.uniform(0.1, 2.0, 6), rng.integers(1, 8, 6),
        strict=True)]


def _walk(v, sigma, k, start=True):
    a = _shrink(v, sigma)
    noise = sigma**2 * (1.0 - a ** (2 * k)) / (1.0 - a**2)
    return ((1.0 - a ** (k - 1)) ** 2 * v if start else 0.0) + noise


_add(Exercise(
    key="ch13-3",
    call="walkback_spread(v, sigma, k)",
    # x~_k - x = (a^(k-1) - 1) x + sigma sum_{i<k} a^i z_i
    reference=lambda v, sigma, k: _walk(v, sigma, k),
    cases=_walk_cases,
    mistakes=(
        (lambda v, sigma, k: k * sigma**2,
         "Between two corruptions the reconstruction shrinks the point by a: the noise of "
         "step j reaches step k multiplied by a^(k - j), so the variances add as a "
         "geometric series, not k times sigma^2."),
        (lambda v, sigma, k: _walk(v, sigma, k, start=False),
         "The walk also shrinks the data point itself: x_(k-1) contains a^(k-1) x, so "
         "x~_k - x has the term (a^(k-1) - 1) x, of variance (1 - a^(k-1))^2 v."),
        (lambda v, sigma, k: sigma**2,
         "That is the plain DAE's corruption (k = 1). Later steps start from the "
         "reconstruction of the previous corruption, not from x."),
    ),
))
