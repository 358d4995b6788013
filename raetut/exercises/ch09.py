"""Chapter 9's computational exercises: line-integral log-ratios and Langevin steps."""

import numpy as np

from . import Exercise, _add

# ch09-1: the rotational field s(x) = -x + omega J x in the plane, J = [[0, -1], [1, 0]].


def _rotational_cases(rng):
    return [(rng.normal(0.0, 1.5, 2), rng.normal(0.0, 1.5, 2), float(omega))
            for omega in rng.uniform(-2.0, 2.0, 6)]


def _rotational_log_ratio(x, y, omega):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    return float(-(y @ y - x @ x) / 2 + omega * (x[0] * y[1] - x[1] * y[0]))


_add(Exercise(
    key="ch09-1",
    call="log_ratio_rotational(x, y, omega)",
    reference=_rotational_log_ratio,
    cases=_rotational_cases,
    mistakes=(
        (lambda x, y, omega: float(-(y @ y - x @ x) / 2 - omega * (x[0] * y[1] - x[1] * y[0])),
         "The sign of the rotation term: J x = (-x_2, x_1), so along the segment "
         "(J z_t) . (y - x) integrates to x_1 y_2 - x_2 y_1, the counter-clockwise turn "
         "from x to y."),
        (lambda x, y, omega: float(-(y @ y - x @ x) / 2),
         "That is the log-ratio of N(0, I), the gradient part alone: the rotation term "
         "omega J x has a non-zero integral along a segment that does not pass through 0."),
        (lambda x, y, omega: float(-x @ (y - x) + omega * (x[0] * y[1] - x[1] * y[0])),
         "You evaluated the field at x only (the one-point rule s(x) . (y - x)): the "
         "integrand changes along the segment, and for a linear field its mean is the "
         "value at the midpoint (x + y) / 2."),
        (lambda x, y, omega: float(-(y @ y - x @ x) + omega * (x[0] * y[1] - x[1] * y[0])),
         "The gradient part: the integral of -z_t . (y - x) over t in [0, 1] is "
         "-(|y|^2 - |x|^2) / 2, with the factor 1/2."),
    ),
))

# ch09-2: the one-point energy-difference rule for E(x) = x^4 / 4.


def _one_point_cases(rng):
    return [(float(x), float(x + h)) for x, h in zip(rng.uniform(-2.0, 2.0, 6),
                                                      rng.normal(0.0, 0.7, 6), strict=True)]


def _one_point_error(x, y):
    return (y - x) ** 2 * (y**2 + 2 * x * y + 3 * x**2) / 4


_add(Exercise(
    key="ch09-2",
    call="one_point_error(x, y)",
    reference=_one_point_error,
    cases=_one_point_cases,
    mistakes=(
        (lambda x, y: -_one_point_error(x, y),
         "The sign: the error is the exact difference minus the rule, "
         "E(y) - E(x) - E'(x) (y - x); E is convex, so it lies above its tangent and the "
         "error is non-negative."),
        (lambda x, y: 1.5 * x**2 * (y - x) ** 2,
         "That is the leading term E''(x) (y - x)^2 / 2 of the Taylor expansion; E is a "
         "quartic, and the exact error has the terms of order (y - x)^3 and (y - x)^4 too."),
        (lambda x, y: (y - x) ** 2 * (y**2 + 2 * x * y + 3 * x**2),
         "Divide by 4: E(y) - E(x) = (y^4 - x^4) / 4."),
        (lambda x, y: (y - x) ** 2 * (3 * y**2 + 2 * x * y + x**2) / 4,
         "You took the derivative at y (the error of E(y) - E(x) - E'(y) (y - x) is "
         "minus this); the rule uses the score at the current point x."),
    ),
))

# ch09-3: the stationary variance of the unadjusted Langevin algorithm for N(0, w).


def _ula_cases(rng):
    w = rng.uniform(0.2, 3.0, 6)
    return [(float(wi), float(f * wi)) for wi, f in zip(w, rng.uniform(0.02, 1.5, 6),
                                                        strict=True)]


_add(Exercise(
    key="ch09-3",
    call="ula_variance(w, eta)",
    reference=lambda w, eta: w / (1.0 - eta / (2.0 * w)),
    cases=_ula_cases,
    mistakes=(
        (lambda w, eta: w + 0.0 * eta,
         "w is the target's variance; the unadjusted chain has no accept/reject step, and "
         "its stationary variance is larger. Solve V = (1 - eta / w)^2 V + 2 eta exactly, "
         "without dropping the eta^2 term."),
        (lambda w, eta: w + eta / 2.0,
         "That is the first-order expansion in eta; the exercise asks for the exact "
         "stationary variance, which blows up as eta approaches 2 w."),
        (lambda w, eta: w / (2.0 - eta / w),
         "The noise term sqrt(2 eta) z has variance 2 eta, not eta."),
        (lambda w, eta: w / (1.0 + eta / (2.0 * w)),
         "The sign: the step overshoots, and the chain is wider than the target, not "
         "narrower."),
    ),
))
