"""Chapter 14's computational exercises: noise prediction and the probability-flow ODE
for Gaussian data x ~ N(0, omega^2) in one dimension."""

import numpy as np

from . import Exercise, _add


def _cases(rng):
    return [(float(x), float(s), float(w)) for x, s, w in zip(
        rng.uniform(-3.0, 3.0, 6), rng.uniform(0.05, 3.0, 6), rng.uniform(0.2, 2.0, 6),
        strict=True)]


_add(Exercise(
    key="ch14-1",
    call="optimal_noise_gaussian(xt, sigma, omega)",
    reference=lambda xt, sigma, omega: sigma * xt / (omega**2 + sigma**2),
    cases=_cases,
    mistakes=(
        (lambda xt, sigma, omega: sigma**2 * xt / (omega**2 + sigma**2),
         "That is x~ - r*(x~), the denoiser's displacement; the noise is that divided by sigma."),
        (lambda xt, sigma, omega: -sigma * xt / (omega**2 + sigma**2),
         "Sign: z* = -sigma s_sigma(x~), and s_sigma(x~) = -x~ / (omega^2 + sigma^2)."),
        (lambda xt, sigma, omega: xt / sigma,
         "x~ / sigma would be the noise if x were 0; the conditional mean shrinks it by "
         "sigma^2 / (omega^2 + sigma^2)."),
    ),
))


def _linear_cases(rng):
    return [(float(a), float(s), float(w)) for a, s, w in zip(
        rng.uniform(-1.0, 1.0, 6), rng.uniform(0.05, 3.0, 6), rng.uniform(0.2, 2.0, 6),
        strict=True)]


_add(Exercise(
    key="ch14-2",
    call="excess_loss_linear(a, sigma, omega)",
    reference=lambda a, sigma, omega: (a - sigma / (omega**2 + sigma**2)) ** 2
    * (omega**2 + sigma**2),
    cases=_linear_cases,
    mistakes=(
        (lambda a, sigma, omega: (a - sigma / (omega**2 + sigma**2)) ** 2,
         "The excess is E[(a - a*)^2 x~^2]: multiply by the variance of x~, omega^2 + sigma^2."),
        (lambda a, sigma, omega: (a - sigma / (omega**2 + sigma**2)) ** 2 * omega**2,
         "x~ = x + sigma z has variance omega^2 + sigma^2, not omega^2."),
        (lambda a, sigma, omega: (a - 1.0 / sigma) ** 2 * (omega**2 + sigma**2),
         "The optimum is the conditional mean of z, sigma / (omega^2 + sigma^2), not 1 / sigma."),
    ),
))


def _ode_cases(rng):
    return [(float(x), float(s1), float(f * s1), float(w)) for x, s1, f, w in zip(
        rng.uniform(-3.0, 3.0, 6), rng.uniform(1.0, 5.0, 6), rng.uniform(0.02, 0.9, 6),
        rng.uniform(0.2, 2.0, 6), strict=True)]


_add(Exercise(
    key="ch14-3",
    call="flow_endpoint_gaussian(x1, sigma1, sigma2, omega)",
    reference=lambda x1, sigma1, sigma2, omega: x1 * np.sqrt((omega**2 + sigma2**2)
                                                             / (omega**2 + sigma1**2)),
    cases=_ode_cases,
    mistakes=(
        (lambda x1, sigma1, sigma2, omega: x1 * (omega**2 + sigma2**2) / (omega**2 + sigma1**2),
         "Solve dx/dv = x / (2 (omega^2 + v)) with v = sigma^2: the 1/2 gives a square root."),
        (lambda x1, sigma1, sigma2, omega: x1 * sigma2 / sigma1,
         "The flow maps p_sigma1 = N(0, omega^2 + sigma1^2) to p_sigma2: the data's own "
         "variance omega^2 enters."),
        (lambda x1, sigma1, sigma2, omega: x1 * np.sqrt((omega**2 + sigma1**2)
                                                        / (omega**2 + sigma2**2)),
         "The flow runs from large to small noise: points move inward, the factor is below 1."),
    ),
))
