"""Chapter 2's computational exercises: Tweedie's formula, Gaussian data, the empirical optimum."""

import numpy as np

from . import Exercise, _add


def _normal(x, m, v):
    return np.exp(-0.5 * (x - m) ** 2 / v) / np.sqrt(2 * np.pi * v)


# A two-component mixture w N(m1, v) + (1 - w) N(m2, v) in one dimension.


def _tweedie_two(x, w, m1, m2, v, sigma, smoothed=True, shrink=True):
    u = v + sigma**2 if smoothed else v
    p1, p2 = w * _normal(x, m1, u), (1 - w) * _normal(x, m2, u)
    a = v / (v + sigma**2) if shrink else 0.0
    return (p1 * (m1 + a * (x - m1)) + p2 * (m2 + a * (x - m2))) / (p1 + p2)


def _score_step_two(x, w, m1, m2, v, sigma):
    p1, p2 = w * _normal(x, m1, v), (1 - w) * _normal(x, m2, v)
    return x - sigma**2 * (p1 * (x - m1) + p2 * (x - m2)) / (v * (p1 + p2))


def _two_cases(rng):
    return [(float(x), float(w), float(m1), float(m2), float(v), float(s))
            for x, w, m1, m2, v, s in zip(
                rng.uniform(-3.0, 3.0, 6), rng.uniform(0.2, 0.8, 6), rng.uniform(-2.0, -0.5, 6),
                rng.uniform(0.5, 2.0, 6), rng.uniform(0.2, 1.0, 6), rng.uniform(0.2, 1.2, 6),
                strict=True)]


_add(Exercise(
    key="ch02-1",
    call="tweedie_two(x, w, m1, m2, v, sigma)",
    reference=_tweedie_two,
    cases=_two_cases,
    mistakes=(
        (_score_step_two,
         "That is the first-order formula x + sigma^2 s(x), with the score of p; Tweedie's "
         "formula is exact with the score of p_sigma, whose components have variance "
         "v + sigma^2."),
        (lambda x, w, m1, m2, v, sigma: _tweedie_two(x, w, m1, m2, v, sigma, smoothed=False),
         "The components' weights given x~ are their posterior probabilities under the law of "
         "x~: use the densities N(x~; m_k, v + sigma^2), not N(x~; m_k, v)."),
        (lambda x, w, m1, m2, v, sigma: _tweedie_two(x, w, m1, m2, v, sigma, shrink=False),
         "Knowing the component does not give the clean point: given component k and x~, its "
         "mean is m_k + v/(v + sigma^2) (x~ - m_k), not m_k."),
    ),
))


# Gaussian data N(mu, v) in one dimension: the exact error of the score estimate.


def _gauss_cases(rng):
    return [(float(x), float(m), float(v), float(s)) for x, m, v, s in zip(
        rng.uniform(-3.0, 3.0, 6), rng.uniform(-1.0, 1.0, 6), rng.uniform(0.2, 3.0, 6),
        rng.uniform(0.05, 1.5, 6), strict=True)]


_add(Exercise(
    key="ch02-2",
    call="score_error_gaussian(x, mu, v, sigma)",
    reference=lambda x, mu, v, sigma: sigma**2 * (x - mu) / (v * (v + sigma**2)),
    cases=_gauss_cases,
    mistakes=(
        (lambda x, mu, v, sigma: sigma**2 * (x - mu) / v**2,
         "That is the leading term sigma^2 c_DAE(x) = sigma^2 (x - mu)/v^2 of the expansion; "
         "the exact error has v (v + sigma^2) in the denominator."),
        (lambda x, mu, v, sigma: -sigma**2 * (x - mu) / (v * (v + sigma**2)),
         "The sign: the estimate is the true score times v/(v + sigma^2) < 1, too small in "
         "magnitude, so the error has the sign of x - mu, opposite to s(x)."),
        (lambda x, mu, v, sigma: (x - mu) / (v * (v + sigma**2)),
         "You divided by sigma^2 once more: that is the error over sigma^2, the coefficient, "
         "not the error (r* - x)/sigma^2 - s(x)."),
    ),
))


# The empirical distribution of training points x_1, ..., x_n in R^d.


def _empirical(x_tilde, points, sigma, scale=0.5, power=2):
    distances = np.sum((np.asarray(points) - np.asarray(x_tilde)) ** 2, axis=1) ** (power / 2)
    logits = -scale * distances / sigma**2
    weights = np.exp(logits - np.max(logits))
    return weights @ np.asarray(points) / np.sum(weights)


def _empirical_cases(rng):
    cases = []
    for n, d in ((5, 1), (8, 2), (6, 3), (10, 2)):
        points = rng.normal(size=(n, d))
        cases.append((rng.normal(size=d) * 1.5, points, float(rng.uniform(0.3, 1.2))))
    return cases


_add(Exercise(
    key="ch02-3",
    call="empirical_dae_optimum(x_tilde, points, sigma)",
    reference=_empirical,
    cases=_empirical_cases,
    mistakes=(
        (lambda x_tilde, points, sigma: np.mean(points, axis=0),
         "That is the plain mean of the training points: each point must be weighted by the "
         "likelihood phi_sigma(x~ - x_i) that the noise moved it to x~."),
        (lambda x_tilde, points, sigma: np.asarray(points)[
            np.argmin(np.sum((np.asarray(points) - x_tilde) ** 2, axis=1))],
         "That is the nearest training point, the limit sigma -> 0; at a finite sigma the "
         "answer averages all the points, with softmax weights."),
        (lambda x_tilde, points, sigma: _empirical(x_tilde, points, sigma, scale=1.0),
         "The Gaussian's exponent is -|x~ - x_i|^2 / (2 sigma^2): the factor 1/2 is missing, "
         "which is the optimum at noise level sigma/sqrt(2)."),
        (lambda x_tilde, points, sigma: _empirical(x_tilde, points, sigma, power=1),
         "The exponent contains the squared distance |x~ - x_i|^2, not the distance."),
    ),
))
