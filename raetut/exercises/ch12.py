"""Chapter 12's computational exercises: the score of the authors' energy, the one-point
rule's error, and the stationary variance of the control chain."""

import numpy as np

from . import Exercise, _add

# ch12-1: the score -grad E of E(x, y) = (rho - 2)^2 + (x^2 - y^2)^2 + log(rho^2 + 1) / 2.


def _score_cases(rng):
    return [(float(x), float(y)) for x, y in rng.uniform(-3.0, 3.0, (6, 2))]


def _grad_energy(x, y, log_factor=1.0, rho_factor=True):
    rho = np.hypot(x, y)
    radial = 2.0 * (rho - 2.0) / (rho if rho_factor else 1.0)
    u = x * x - y * y
    log_term = log_factor / (1.0 + rho**2)
    return np.array([radial * x + 4.0 * u * x + log_term * x,
                     radial * y - 4.0 * u * y + log_term * y])


def _score_energy(x, y):
    return -_grad_energy(x, y)


_add(Exercise(
    key="ch12-1",
    call="score_energy(x, y)",
    reference=_score_energy,
    cases=_score_cases,
    mistakes=(
        (lambda x, y: _grad_energy(x, y),
         "That is grad E; the score is grad log p = -grad E (it points downhill in energy, "
         "towards the modes)."),
        (lambda x, y: -_grad_energy(x, y, log_factor=2.0),
         "The log term: d/dx of (1/2) log(x^2 + y^2 + 1) is x / (x^2 + y^2 + 1); the "
         "factor 2 of the inner derivative cancels the 1/2."),
        (lambda x, y: -_grad_energy(x, y, rho_factor=False),
         "The radial term: d rho / dx = x / rho, so d/dx (rho - 2)^2 = 2 (rho - 2) x / rho; "
         "the 1/rho is missing."),
    ),
))

# ch12-2: the mean error of the one-point rule for E(x) = |x|^2 / (2 v), h ~ N(0, eta^2 I_d).


def _one_point_cases(rng):
    return [(int(d), float(eta), float(v)) for d, eta, v in
            zip(rng.integers(1, 11, 6), rng.uniform(0.1, 1.5, 6), rng.uniform(0.2, 3.0, 6),
                strict=True)]


def _mean_one_point_error(d, eta, v):
    return d * eta**2 / (2.0 * v)


_add(Exercise(
    key="ch12-2",
    call="mean_one_point_error(d, eta, v)",
    reference=_mean_one_point_error,
    cases=_one_point_cases,
    mistakes=(
        (lambda d, eta, v: d * eta**2 / v,
         "The error of the one-point rule is the second-order term of Taylor's formula, "
         "h^T (grad^2 E) h / 2: the 1/2 is missing."),
        (lambda d, eta, v: eta**2 / (2.0 * v),
         "E |h|^2 = d eta^2 for h ~ N(0, eta^2 I_d): every coordinate contributes."),
        (lambda d, eta, v: d * eta / (2.0 * v),
         "The error is quadratic in the step: E |h|^2 = d eta^2, not d eta."),
    ),
))

# ch12-3: the stationary variance of x <- r(x + sqrt(2 lam) z), r(y) = y + lam s(y), s = -y / v.


def _control_cases(rng):
    return [(float(v), float(lam)) for v, lam in
            zip(rng.uniform(0.5, 3.0, 6), rng.uniform(0.01, 0.3, 6), strict=True)]


def _control_variance(v, lam):
    return v * (1.0 - lam / v) ** 2 / (1.0 - lam / (2.0 * v))


_add(Exercise(
    key="ch12-3",
    call="control_variance(v, lam)",
    reference=_control_variance,
    cases=_control_cases,
    mistakes=(
        (lambda v, lam: v,
         "The control does not target p exactly: with a = 1 - lam / v the chain is "
         "x' = a (x + sqrt(2 lam) z), an AR(1) whose variance solves V = a^2 (V + 2 lam)."),
        (lambda v, lam: v / (1.0 - lam / (2.0 * v)),
         "That is the variance of ULA, i.e. of the corrupted points y = x + sqrt(2 lam) z; "
         "the state x = y + lam s(y) = a y is that times a^2 = (1 - lam / v)^2."),
        (lambda v, lam: v * (1.0 - lam / v) ** 2,
         "The image a y of the ULA point has variance a^2 Var(y), and Var(y) is not v: "
         "ULA over-disperses, Var(y) = v / (1 - lam / (2 v))."),
    ),
))
