"""Chapter 5's computational exercises: the mean reconstruction error of the Gaussian
optimum, and why the chapter interpolates r rather than the squared error."""

import numpy as np

from . import Exercise, _add

# Gaussian data x ~ N(mu, Sigma) in d dimensions, penalty lam (= sigma^2 for the DAE).


def _spd_cases(rng):
    cases = []
    for d in (1, 1, 2, 2, 3, 3):
        A = rng.normal(size=(d, d))
        cases.append((rng.normal(size=d), A @ A.T + 0.3 * np.eye(d),
                      float(rng.uniform(0.05, 2.0))))
    return cases


def _resolvent(Sigma, lam):
    return np.linalg.inv(np.asarray(Sigma) + lam * np.eye(len(Sigma)))


def _expected_error(mu, Sigma, lam):
    # r*(x) - x = -lam (Sigma + lam I)^{-1} (x - mu)
    inv = _resolvent(Sigma, lam)
    return lam**2 * float(np.trace(inv @ np.asarray(Sigma) @ inv))


_add(Exercise(
    key="ch05-1",
    call="expected_recon_error(mu, Sigma, lam)",
    reference=_expected_error,
    cases=_spd_cases,
    mistakes=(
        (lambda mu, Sigma, lam: lam**2 * float(np.trace(np.linalg.inv(Sigma))),
         "That is lam^2 E||s(x)||^2 = lam^2 tr(Sigma^{-1}), the mean of the leading term of "
         "the proposition; the exact optimum moves x by lam (Sigma + lam I)^{-1} (x - mu), "
         "not by lam Sigma^{-1} (x - mu)."),
        (lambda mu, Sigma, lam: lam**2 * float(np.trace(np.linalg.inv(Sigma)))
         - 2 * lam**3 * float(np.trace(np.linalg.matrix_power(np.linalg.inv(Sigma), 2))),
         "That is the expansion of the answer to order lam^3; the exercise asks for the exact "
         "mean error, which has every power of lam."),
        (lambda mu, Sigma, lam: lam * float(np.trace(np.asarray(Sigma) @ _resolvent(Sigma, lam))),
         "That is the whole rCAE criterion at the optimum, penalty included; the "
         "reconstruction error is its first term E||r*(x) - x||^2 alone."),
        (lambda mu, Sigma, lam: lam**2 * float(np.trace(
            _resolvent(Sigma, lam) @ (np.asarray(Sigma) + np.outer(mu, mu))
            @ _resolvent(Sigma, lam))),
         "The mean drops out: the optimum leaves mu in place, "
         "r*(x) - x = -lam (Sigma + lam I)^{-1} (x - mu), so the "
         "error involves Cov(x) = Sigma, not E[x x^T] = Sigma + mu mu^T."),
    ),
))

# Near a critical point x_c the displacement g(x) = r(x) - x is about b + a (x - x_c); the
# grid nodes around x_c are x_c - theta h and x_c + (1 - theta) h.


def _interpolation_cases(rng):
    return [(float(b), float(a), float(h), float(t)) for b, a, h, t in zip(
        rng.uniform(-1.0, 1.0, 6), rng.choice([-1.0, 1.0], 6) * rng.uniform(0.5, 3.0, 6),
        rng.uniform(0.1, 1.0, 6), rng.uniform(0.05, 0.95, 6), strict=True)]


_add(Exercise(
    key="ch05-2",
    call="interpolation_error(b, a, h, theta)",
    reference=lambda b, a, h, theta: a**2 * h**2 * theta * (1.0 - theta),
    cases=_interpolation_cases,
    mistakes=(
        (lambda b, a, h, theta: 0.0,
         "Linear interpolation reproduces the linear g exactly, but not g^2, which is "
         "quadratic: the chord between the nodes lies above the parabola."),
        (lambda b, a, h, theta: b**2 + a**2 * h**2 * theta * (1.0 - theta),
         "That is the interpolated value itself; the error is that minus the true value "
         "g(x_c)^2 = b^2."),
        (lambda b, a, h, theta: a**2 * h**2 / 4.0,
         "That is the worst case, theta = 1/2 (x_c midway between the nodes); the error "
         "depends on where x_c falls between them."),
    ),
))
