"""Chapter 10's computational exercises: denoising chains, the reverse variance-exploding
SDE and the probability-flow ODE for Gaussian data, and when smoothing leaves one mode."""

import numpy as np

from . import Exercise, _add

# One-dimensional data x ~ N(0, v); levels sigma_l > sigma_next; delta = sigma_l^2 - sigma_next^2.


def _chain_cases(rng):
    return [(float(v), float(s)) for v, s in zip(
        rng.uniform(0.2, 3.0, 6), rng.uniform(0.1, 2.0, 6), strict=True)]


def _shrink(v, sigma):
    return v / (v + sigma**2)


_add(Exercise(
    key="ch10-1",
    call="corrupt_reconstruct_variance(v, sigma)",
    # x' = a (x + sigma z), a = v / (v + sigma^2): V = a^2 (V + sigma^2),
    # so V = a^2 sigma^2 / (1 - a^2) = v^2 / (2 v + sigma^2)
    reference=lambda v, sigma: v**2 / (2.0 * v + sigma**2),
    cases=_chain_cases,
    mistakes=(
        (lambda v, sigma: v,
         "The chain does not keep the data's variance: every step replaces the point by "
         "the conditional mean r*(x + sigma z), which averages the noise away. Write the "
         "step as x' = a (x + sigma z) and ask which variance V is left unchanged."),
        (lambda v, sigma: 1.0 / (2.0 + sigma**2),
         "That is the answer for v = 1. For data N(0, v) the optimal denoiser is "
         "r*(y) = a y with a = v / (v + sigma^2), not 1 / (1 + sigma^2)."),
        (lambda v, sigma: _shrink(v, sigma) ** 2 * (v + sigma**2),
         "That is the variance after ONE step from the data, Var r*(x + sigma z) with "
         "x ~ N(0, v). The chain keeps going: its stationary variance V solves "
         "V = a^2 (V + sigma^2)."),
        (lambda v, sigma: _shrink(v, sigma) ** 2 * sigma**2,
         "That is the variance one step after a fixed starting point, a^2 sigma^2. In "
         "the stationary state x itself has variance V, so V = a^2 (V + sigma^2)."),
    ),
))


def _level_cases(rng):
    v = rng.uniform(0.2, 3.0, 6)
    sigma_l = rng.uniform(0.5, 3.0, 6)
    sigma_next = sigma_l * rng.uniform(0.1, 0.9, 6)
    return [(float(a), float(b), float(c)) for a, b, c in zip(v, sigma_l, sigma_next,
                                                               strict=True)]


def _delta(sigma_l, sigma_next):
    return sigma_l**2 - sigma_next**2


def _sde_step(v, sigma_l, sigma_next, drift=1.0, score_variance=None, noise=True):
    # x ~ N(0, v + sigma_l^2); x' = x + drift * delta * s(x) + sqrt(delta) z with
    # s(x) = -x / score_variance; returns [mean factor, variance of x']
    V = v + sigma_l**2
    score_variance = V if score_variance is None else score_variance
    delta = _delta(sigma_l, sigma_next)
    factor = 1.0 - drift * delta / score_variance
    return np.array([factor, factor**2 * V + (delta if noise else 0.0)])


_add(Exercise(
    key="ch10-2",
    call="reverse_sde_step(v, sigma_l, sigma_next)",
    reference=lambda v, sigma_l, sigma_next: _sde_step(v, sigma_l, sigma_next),
    cases=_level_cases,
    mistakes=(
        (lambda v, sigma_l, sigma_next: _sde_step(v, sigma_l, sigma_next, score_variance=v),
         "The step uses the score of p_sigma_l, the smoothed density N(0, v + sigma_l^2): "
         "s_sigma_l(x) = -x / (v + sigma_l^2), not the data's score -x / v."),
        (lambda v, sigma_l, sigma_next: _sde_step(v, sigma_l, sigma_next, drift=0.5),
         "The reverse SDE's drift is delta * s(x), with coefficient 1. The factor 1/2 "
         "belongs to the probability-flow ODE, which has no noise; the SDE's noise needs "
         "the full drift to undo the forward diffusion."),
        (lambda v, sigma_l, sigma_next: _sde_step(v, sigma_l, sigma_next, noise=False),
         "The step adds the noise sqrt(delta) z, independent of x: the variance is "
         "factor^2 Var(x) + delta."),
        (lambda v, sigma_l, sigma_next: np.array([(v + sigma_next**2) / (v + sigma_l**2),
                                                  v + sigma_next**2]),
         "The mean factor is right, but one Euler-Maruyama step does not land exactly on "
         "p_sigma_next: compute factor^2 (v + sigma_l^2) + delta rather than assuming the "
         "target's variance v + sigma_next^2."),
    ),
))


def _flow_step(v, sigma_l, sigma_next, drift=0.5, score_variance=None):
    # x ~ N(0, v + sigma_l^2); x' = x + drift * delta * s(x), s(x) = -x / score_variance
    return _sde_step(v, sigma_l, sigma_next, drift, score_variance, noise=False)[1]


_add(Exercise(
    key="ch10-3",
    call="flow_step_variance(v, sigma_l, sigma_next)",
    reference=lambda v, sigma_l, sigma_next: _flow_step(v, sigma_l, sigma_next),
    cases=_level_cases,
    mistakes=(
        (lambda v, sigma_l, sigma_next: _flow_step(v, sigma_l, sigma_next, drift=1.0),
         "The probability-flow ODE has drift (1/2) delta s(x): half the reverse SDE's, "
         "because it has no noise to spread the points."),
        (lambda v, sigma_l, sigma_next: _flow_step(v, sigma_l, sigma_next, drift=-0.5),
         "A sign: going down in noise level moves the points UP the score, toward the "
         "mode, so x' = x + (1/2) delta s(x) shrinks a Gaussian."),
        (lambda v, sigma_l, sigma_next: _flow_step(v, sigma_l, sigma_next, score_variance=v),
         "The step uses the score of p_sigma_l, -x / (v + sigma_l^2), not the data's "
         "score -x / v."),
        (lambda v, sigma_l, sigma_next: v + sigma_next**2,
         "That is the exact flow's variance (the ODE itself maps N(0, v + sigma_l^2) onto "
         "N(0, v + sigma_next^2)); one Euler step of it does not: compute "
         "(1 - delta / (2 (v + sigma_l^2)))^2 (v + sigma_l^2)."),
    ),
))


def _mode_cases(rng):
    D = rng.uniform(0.5, 6.0, 7)
    omega = rng.uniform(0.1, 1.2, 7)
    omega[0] = 0.8 * D[0]  # a case that is unimodal already (answer 0)
    return [(float(d), float(w)) for d, w in zip(D, omega, strict=True)]


_add(Exercise(
    key="ch10-4",
    call="critical_sigma(D, omega)",
    reference=lambda D, omega: float(np.sqrt(max(D**2 / 4.0 - omega**2, 0.0))),
    cases=_mode_cases,
    mistakes=(
        (lambda D, omega: D / 2.0,
         "Smoothing adds sigma^2 to the components' variance omega^2: the condition is "
         "on omega^2 + sigma^2, so the data's own width counts too."),
        (lambda D, omega: float(np.sqrt(max(D**2 - omega**2, 0.0))),
         "The means are at -D/2 and +D/2: the condition compares the variance with "
         "(D/2)^2 = D^2 / 4, not with D^2."),
        (lambda D, omega: max(D / 2.0 - omega, 0.0),
         "Standard deviations do not add under convolution, variances do: "
         "omega^2 + sigma^2 >= D^2 / 4."),
        (lambda D, omega: max(D**2 / 4.0 - omega**2, 0.0),
         "That is the critical variance sigma^2; the exercise asks for the noise level "
         "sigma."),
    ),
))
