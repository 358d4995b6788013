"""Chapter 7's computational exercises: the optimal DAE of data on a ring of radius R."""

import numpy as np
from scipy.special import i0e, i1e

from . import Exercise, _add

# Data uniform on the circle |y| = R (exercise 1), or that ring blurred by N(0, w^2 I)
# (exercise 2); corruption eps ~ N(0, sigma^2 I) in the plane; kappa = 1/R.


def _bessel_ratio(z):
    """I_1(z) / I_0(z), the mean of cos(theta) under weights exp(z cos(theta))."""
    return i1e(z) / i0e(z)


def _ring_denoiser(x, R, sigma):
    # Posterior over the angle: weights exp(|x| R cos(theta - phi) / sigma^2), a von Mises law.
    x = np.asarray(x, dtype=float)
    radius = np.linalg.norm(x)
    return R * _bessel_ratio(radius * R / sigma**2) * x / radius


def _denoiser_cases(rng):
    cases = []
    for _ in range(6):
        R = float(rng.uniform(0.5, 2.0))
        sigma = float(rng.uniform(0.2, 0.6)) * R
        phi = rng.uniform(0.0, 2 * np.pi)
        radius = R + float(rng.uniform(-1.0, 1.5)) * sigma
        cases.append((radius * np.array([np.cos(phi), np.sin(phi)]), R, sigma))
    return cases


def _unit(x):
    x = np.asarray(x, dtype=float)
    return x / np.linalg.norm(x)


_add(Exercise(
    key="ch07-1",
    call="ring_denoiser(x, R, sigma)",
    reference=_ring_denoiser,
    cases=_denoiser_cases,
    mistakes=(
        (lambda x, R, sigma: R * _unit(x),
         "That is the projection onto the ring, the limit sigma -> 0. For sigma > 0 the "
         "posterior over the angle has a spread, and the mean of points on a circle lies "
         "inside it: the mean of cos(theta) under weights exp(z cos theta) is I_1(z)/I_0(z) < 1."),
        (lambda x, R, sigma: (R - sigma**2 / (2 * np.linalg.norm(x))) * _unit(x),
         "That is the large-z expansion I_1(z)/I_0(z) ~ 1 - 1/(2z), the curvature term of the "
         "chapter; the exercise asks for the exact posterior mean."),
        (lambda x, R, sigma: R * _bessel_ratio(np.linalg.norm(x) * R / sigma) * _unit(x),
         "The posterior weight of the point y = R(cos theta, sin theta) is "
         "exp(-|x - y|^2 / (2 sigma^2)), proportional to exp(|x| R cos(theta - phi) / sigma^2): "
         "the argument of the Bessel functions is |x| R / sigma^2, not / sigma."),
        (lambda x, R, sigma: _bessel_ratio(np.linalg.norm(x) * R / sigma**2) * _unit(x),
         "The clean points are y = R(cos theta, sin theta): the posterior mean carries the "
         "factor R."),
    ),
))


def _ring_stretches(R, w, sigma):
    # log p_sigma ~ -delta^2 / (2 (w^2 + sigma^2)) - kappa delta / 2 near the ring; the Hessian of
    # -log(r) / 2 is +1/(2 r^2) across and -1/(2 r^2) along.
    curvature = sigma**2 / (2 * R**2)
    return np.array([1.0 - curvature, w**2 / (w**2 + sigma**2) + curvature])


def _stretch_cases(rng):
    cases = []
    for _ in range(6):
        R = float(rng.uniform(0.5, 2.0))
        w = float(rng.uniform(0.005, 0.05)) * R
        sigma = float(rng.uniform(0.5, 5.0)) * w
        cases.append((R, w, sigma))
    return cases


_add(Exercise(
    key="ch07-2",
    call="ring_stretches(R, w, sigma)",
    reference=_ring_stretches,
    cases=_stretch_cases,
    mistakes=(
        (lambda R, w, sigma: np.array([1.0, w**2 / (w**2 + sigma**2)]),
         "That is the flat prediction of the proposition; the ring's curvature adds "
         "-kappa delta / 2 = -log(r / R) / 2 to log p_sigma near the ring, and its Hessian "
         "changes both stretches by sigma^2 kappa^2 / 2."),
        (lambda R, w, sigma: np.array([1.0 + sigma**2 / (2 * R**2),
                                       w**2 / (w**2 + sigma**2) - sigma**2 / (2 * R**2)]),
         "The signs: -log(r)/2 has second radial derivative +1/(2 r^2) and tangential part "
         "(1/r) d/dr = -1/(2 r^2), so the curvature raises the stretch across and lowers the "
         "stretch along."),
        (lambda R, w, sigma: np.array([1.0 - sigma**2 / (2 * R),
                                       w**2 / (w**2 + sigma**2) + sigma**2 / (2 * R)]),
         "The curvature kappa = 1/R enters squared: the Hessian of -log(r)/2 is of order "
         "1/r^2 (check the units: sigma^2 kappa^2 is a pure number)."),
        (lambda R, w, sigma: np.array([1.0 - sigma**2 / (2 * R**2),
                                       sigma**2 / (w**2 + sigma**2) + sigma**2 / (2 * R**2)]),
         "The stretch across is 1 + sigma^2 d^2 log p_sigma / d delta^2 = "
         "1 - sigma^2 / (w^2 + sigma^2) = w^2 / (w^2 + sigma^2): sigma^2/(w^2 + sigma^2) is the "
         "fraction of the distance that is removed, not the stretch."),
    ),
))
