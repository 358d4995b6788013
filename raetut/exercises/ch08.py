"""Chapter 8's computational exercises: score matching of Gaussian models, the rCAE's
penalised score matching, and the energy of a tied auto-encoder."""

import numpy as np

from . import Exercise, _add

# Data x ~ N(m, w) in one dimension; the model's score psi(x) = -(x - mu) / v is the score
# of N(mu, v).


def _jsm_gaussian(mu, v, m, w):
    # E[psi^2 / 2 + psi'] with E[(x - mu)^2] = w + (m - mu)^2 and psi' = -1/v.
    return (w + (m - mu) ** 2) / (2 * v**2) - 1.0 / v


def _gaussian_cases(rng):
    return [(float(mu), float(v), float(m), float(w)) for mu, v, m, w in zip(
        rng.uniform(-1.5, 1.5, 6), rng.uniform(0.2, 3.0, 6), rng.uniform(-1.5, 1.5, 6),
        rng.uniform(0.2, 3.0, 6), strict=True)]


_add(Exercise(
    key="ch08-1",
    call="jsm_gaussian(mu, v, m, w)",
    reference=_jsm_gaussian,
    cases=_gaussian_cases,
    mistakes=(
        (lambda mu, v, m, w: (w + (m - mu) ** 2) / (2 * v**2),
         "That is only E[psi^2] / 2; J_SM also has the divergence term E[psi'] = -1/v, "
         "the part that replaces the unknown score after the integration by parts."),
        (lambda mu, v, m, w: (w + (m - mu) ** 2) / (2 * v**2) + 1.0 / v,
         "The sign of the divergence: psi(x) = -(x - mu)/v has psi' = -1/v."),
        (lambda mu, v, m, w: w / (2 * v**2) - 1.0 / v,
         "E[(x - mu)^2] under N(m, w) is w + (m - mu)^2: the data's mean need not be the "
         "model's."),
        (lambda mu, v, m, w: (w + (m - mu) ** 2) / (2 * v) - 1.0 / v,
         "psi = -(x - mu)/v, so psi^2 = (x - mu)^2 / v^2: the variance enters squared."),
    ),
))


def _variance_cases(rng):
    return [(float(w), float(lam)) for w, lam in zip(
        rng.uniform(0.2, 3.0, 6), rng.uniform(0.01, 2.0, 6), strict=True)]


_add(Exercise(
    key="ch08-2",
    call="rcae_model_variance(w, lam)",
    reference=lambda w, lam: w + lam,
    cases=_variance_cases,
    mistakes=(
        (lambda w, lam: w,
         "That is the minimiser of J_SM alone, the data's variance. The rCAE minimises "
         "J_SM + (lam/2) E[psi'^2], and the penalty (lam/2) / v^2 prefers a flatter model."),
        (lambda w, lam: w - lam,
         "The penalty (lam/2) / v^2 decreases as v grows: it widens the model, it does not "
         "narrow it."),
        (lambda w, lam: w + 2 * lam,
         "L_rCAE = lam d + 2 lam^2 [J_SM + (lam/2) E|grad psi|^2]: the penalty's weight "
         "relative to J_SM is lam/2, not lam."),
    ),
))


def _tied_energy(x, W, b, c):
    x = np.asarray(x, dtype=float)
    pre = W @ x + b
    # log cosh(a) = |a| + log1p(exp(-2|a|)) - log 2, without overflow.
    log_cosh = np.abs(pre) + np.log1p(np.exp(-2 * np.abs(pre))) - np.log(2.0)
    return float(np.sum(log_cosh) + c @ x - 0.5 * x @ x)


def _tied_cases(rng):
    cases = []
    for d, h in [(1, 3), (2, 4), (2, 8), (3, 5), (3, 2), (4, 6)]:
        cases.append((rng.normal(size=d), rng.normal(size=(h, d)), rng.normal(size=h),
                      rng.normal(size=d)))
    return cases


def _tied_softplus(x, W, b, c):
    pre = W @ x + b
    return float(np.sum(np.logaddexp(0.0, pre)) + c @ x - 0.5 * x @ x)


_add(Exercise(
    key="ch08-3",
    call="tied_energy_tanh(x, W, b, c)",
    reference=_tied_energy,
    cases=_tied_cases,
    mistakes=(
        (lambda x, W, b, c: _tied_energy(x, W, b, c) + 0.5 * x @ x,
         "Your F is the potential of r(x), not of r(x) - x: subtract |x|^2 / 2, whose "
         "gradient is x."),
        (lambda x, W, b, c: _tied_energy(x, W, b, c) + x @ x,
         "The sign of the quadratic term: its gradient must be -x, so it is -|x|^2 / 2."),
        (lambda x, W, b, c: _tied_energy(x, W, b, c) - c @ x,
         "The decoder bias c contributes c . x to F (its gradient is c)."),
        (_tied_softplus,
         "The softplus is the antiderivative of the sigmoid; for tanh it is log cosh."),
    ),
))
