"""Chapter 1's computational exercises: affine denoisers and local means of Gaussian data."""

import numpy as np
from scipy.special import ndtr

from . import Exercise, _add

# Data with mean mu and variance v in one dimension, corruption eps ~ N(0, sigma^2).


def _loss_cases(rng):
    return [(float(v), float(s)) for v, s in zip(
        rng.uniform(0.2, 3.0, 6), rng.uniform(0.05, 1.5, 6), strict=True)]


_add(Exercise(
    key="ch01-1",
    call="affine_dae_loss(v, sigma)",
    reference=lambda v, sigma: v * sigma**2 / (v + sigma**2),
    cases=_loss_cases,
    mistakes=(
        (lambda v, sigma: sigma**2,
         "That is the identity's loss sigma^2: the best affine map shrinks toward the mean and "
         "does better."),
        (lambda v, sigma: sigma**4 * v / (v + sigma**2) ** 2,
         "That is only the bias term (a - 1)^2 v; the noise term a^2 sigma^2 is missing."),
        (lambda v, sigma: v**2 * sigma**2 / (v + sigma**2) ** 2,
         "That is only the noise term a^2 sigma^2; the bias term (a - 1)^2 v, from shrinking "
         "the clean point too, is missing."),
    ),
))


def _field_cases(rng):
    return [(float(x), float(m), float(v), float(s)) for x, m, v, s in zip(
        rng.uniform(-3.0, 3.0, 6), rng.uniform(-1.0, 1.0, 6), rng.uniform(0.2, 3.0, 6),
        rng.uniform(0.05, 1.5, 6), strict=True)]


_add(Exercise(
    key="ch01-2",
    call="shrinkage_field(x, mu, v, sigma)",
    reference=lambda x, mu, v, sigma: -sigma**2 * (x - mu) / (v + sigma**2),
    cases=_field_cases,
    mistakes=(
        (lambda x, mu, v, sigma: -sigma**2 * (x - mu) / v,
         "That is the score step sigma^2 s(x) = -sigma^2 (x - mu)/v, the small-noise limit; "
         "the exact optimum's field is shorter by the factor v/(v + sigma^2)."),
        (lambda x, mu, v, sigma: mu + v / (v + sigma**2) * (x - mu),
         "That is the reconstruction r(x) itself; the field is r(x) - x."),
        (lambda x, mu, v, sigma: sigma**2 * (x - mu) / (v + sigma**2),
         "The sign: the optimum shrinks toward the mean, so the field points from x to mu."),
        (lambda x, mu, v, sigma: -sigma * (x - mu) / (v + sigma),
         "The noise variance is sigma^2, not sigma."),
    ),
))


def _local_mean(x, delta, mu, v):
    # the mean of N(mu, v) restricted to [x - delta, x + delta] (a truncated normal)
    tau = np.sqrt(v)
    a, b = (x - delta - mu) / tau, (x + delta - mu) / tau
    phi = lambda z: np.exp(-0.5 * z**2) / np.sqrt(2 * np.pi)  # noqa: E731
    return mu + tau * (phi(a) - phi(b)) / (ndtr(b) - ndtr(a))


def _ball_cases(rng):
    return [(float(x), float(dl), float(m), float(v)) for x, dl, m, v in zip(
        rng.uniform(-2.0, 2.0, 6), rng.uniform(0.1, 1.5, 6), rng.uniform(-1.0, 1.0, 6),
        rng.uniform(0.3, 2.0, 6), strict=True)]


_add(Exercise(
    key="ch01-3",
    call="local_mean_gaussian(x, delta, mu, v)",
    reference=_local_mean,
    cases=_ball_cases,
    mistakes=(
        (lambda x, delta, mu, v: x - delta**2 * (x - mu) / (3 * v),
         "That is the expansion x + delta^2 s(x)/3 of the exercise before, exact only as "
         "delta -> 0; the exercise asks for the exact mean of the truncated Gaussian."),
        (lambda x, delta, mu, v: x - delta**2 * (x - mu) / v,
         "In a ball the coefficient is 1/(d + 2) = 1/3, not 1 (and this expansion is only "
         "first order); the exercise asks for the exact mean."),
        (lambda x, delta, mu, v: _local_mean(x, delta, mu, v**2),
         "The Gaussian's standard deviation is sqrt(v), not v."),
        (lambda x, delta, mu, v: 2 * x - _local_mean(x, delta, mu, v),
         "The sign: the local mean lies on the side of x where the density is higher."),
    ),
))
