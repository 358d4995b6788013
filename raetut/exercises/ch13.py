"""Chapter 13's computational exercises: the Gibbs chain of a generalised DAE with an
inexact posterior, ULA's stationary variance, and how far walk-back corruptions reach."""

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


def _ula_cases(rng):
    V = rng.uniform(0.2, 3.0, 6)
    return [(float(v), float(e)) for v, e in zip(V, V * rng.uniform(0.05, 3.5, 6), strict=True)]


_add(Exercise(
    key="ch13-2",
    call="ula_stationary_variance(V, eta)",
    # x' = (1 - eta / (2V)) x + sqrt(eta) z: variance eta / (1 - (1 - eta/(2V))^2)
    reference=lambda V, eta: V / (1.0 - eta / (4.0 * V)),
    cases=_ula_cases,
    mistakes=(
        (lambda V, eta: V,
         "That would be an exact sampler. The unadjusted step x' = (1 - eta/(2V)) x + "
         "sqrt(eta) z has its own stationary variance: solve W = (1 - eta/(2V))^2 W + eta."),
        (lambda V, eta: V / (1.0 - eta / (2.0 * V)),
         "Expand (1 - eta/(2V))^2 = 1 - eta/V + eta^2/(4V^2) fully: the eta^2 term gives "
         "1 - eta/(4V) in the denominator, not 1 - eta/(2V)."),
        (lambda V, eta: 2.0 * V,
         "The contraction factor enters squared: W = (1 - eta/(2V))^2 W + eta, not "
         "W = (1 - eta/(2V)) W + eta."),
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
