"""Chapter 6's computational exercises: the smoothing bias of a Gaussian, and the noise
level that balances it against the estimation error."""

import numpy as np

from . import Exercise, _add

# Exercise 1: data N(mu, v) in one dimension, noise sigma. Exercise 2: the error model
# e^2(sigma) = a^2 sigma^4 + b^2 / (M sigma^2): a bias a sigma^2 and an estimation error
# b / (sigma sqrt M).


def _bias_cases(rng):
    return [(float(v), float(s)) for v, s in zip(
        rng.uniform(0.2, 3.0, 6), rng.uniform(0.05, 1.5, 6), strict=True)]


_add(Exercise(
    key="ch06-1",
    call="relative_bias_gaussian(v, sigma)",
    reference=lambda v, sigma: sigma**2 / (v + sigma**2),
    cases=_bias_cases,
    mistakes=(
        (lambda v, sigma: sigma**2 / v,
         "That is the first-order term of the answer in sigma^2; the exercise asks for the "
         "exact ratio, with s_sigma(x) = -(x - mu)/(v + sigma^2)."),
        (lambda v, sigma: sigma**2 / (np.sqrt(v) * (v + sigma**2)),
         "That is the absolute root-mean-square error (E_p (s_sigma - s)^2)^(1/2); the "
         "chapter's bias is relative to the size of the score, (E_p s^2)^(1/2) = 1/sqrt(v)."),
        (lambda v, sigma: sigma**2 / np.sqrt(v * (v + sigma**2)),
         "The error is weighted by p and relative to the size of the true score s under p; "
         "you used p_sigma (or the size of s_sigma) in one of the two places."),
    ),
))


def _optimal_sigma(a, b, M):
    # d/dsigma [a^2 sigma^4 + b^2 / (M sigma^2)] = 4 a^2 sigma^3 - 2 b^2 / (M sigma^3) = 0.
    return (b**2 / (2 * a**2 * M)) ** (1 / 6)


def _sigma_cases(rng):
    return [(float(a), float(b), float(M)) for a, b, M in zip(
        rng.uniform(0.5, 5.0, 6), rng.uniform(0.5, 5.0, 6), [100, 300, 1000, 4000, 10**4, 10**5],
        strict=True)]


_add(Exercise(
    key="ch06-2",
    call="optimal_sigma(a, b, M)",
    reference=_optimal_sigma,
    cases=_sigma_cases,
    mistakes=(
        (lambda a, b, M: (b**2 / (a**2 * M)) ** (1 / 6),
         "Setting the two terms equal gives the right rate M^(-1/6) but not the minimiser: "
         "set the derivative to zero, 4 a^2 sigma^3 = 2 b^2 / (M sigma^3)."),
        (lambda a, b, M: (b / (2 * a * np.sqrt(M))) ** (1 / 3),
         "You minimised the sum of the two errors, a sigma^2 + b / (sigma sqrt M); the model "
         "adds their squares (bias^2 + variance)."),
        (lambda a, b, M: (b**2 / (a * M)) ** (1 / 4),
         "The bias a sigma^2 enters squared: a^2 sigma^4, so the balance is sigma^6 against "
         "1/M, not sigma^4."),
    ),
))
