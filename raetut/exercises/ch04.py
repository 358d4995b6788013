"""Chapter 4's computational exercises: the rCAE for a Student-t density, and the value of
the optimal rCAE criterion for Gaussian data."""

import numpy as np

from . import Exercise, _add

# The Student-t density p(x) ∝ (1 + x^2/nu)^(-(nu+1)/2) in one dimension: its score and
# the derivatives the second-order term lam^2 (s'' + s' s) needs.


def _student_score(x, nu):
    return -(nu + 1.0) * x / (nu + x**2)


def _student_score_d1(x, nu):
    return -(nu + 1.0) * (nu - x**2) / (nu + x**2) ** 2


def _student_score_d2(x, nu):
    return 2.0 * (nu + 1.0) * x * (3.0 * nu - x**2) / (nu + x**2) ** 3


def _student_second_order(x, lam, nu, d2_factor=1.0):
    x = np.asarray(x, dtype=float)
    s = _student_score(x, nu)
    c = d2_factor * _student_score_d2(x, nu) + _student_score_d1(x, nu) * s
    return x + lam * s + lam**2 * c


def _student_cases(rng):
    return [(rng.uniform(-4.0, 4.0, 7), float(lam), float(nu)) for lam, nu in zip(
        rng.uniform(0.01, 0.5, 6), rng.uniform(2.5, 10.0, 6), strict=True)]


_add(Exercise(
    key="ch04-1",
    call="rcae_second_order_student(x, lam, nu)",
    reference=_student_second_order,
    cases=_student_cases,
    mistakes=(
        (lambda x, lam, nu: _student_second_order(x, lam, nu, d2_factor=0.5),
         "That is the denoiser's second-order term, (1/2) s'' + s' s with sigma^2 = lam. The "
         "rCAE's is L^2 x = L s = s'' + s' s: the generator L = d^2/dx^2 + s d/dx applied "
         "twice, with no factor 1/2."),
        (lambda x, lam, nu: np.asarray(x, dtype=float) + lam * _student_score(x, nu),
         "That is the first-order prediction x + lam s(x); the exercise asks for the "
         "lam^2 term c_rCAE = s'' + s' s as well."),
        (lambda x, lam, nu: _student_second_order(x, lam, nu, d2_factor=0.0),
         "Your lam^2 term is s' s alone: c_rCAE = s'' + s' s also has the second "
         "derivative of the score (the Laplacian of s in one dimension)."),
        (lambda x, lam, nu: _student_second_order(x, lam, nu, d2_factor=-1.0),
         "The sign of s'': differentiate s'(x) = -(nu + 1)(nu - x^2)/(nu + x^2)^2 once more "
         "(the quotient rule); s'' is positive for small x > 0."),
    ),
))

# Gaussian data x ~ N(mu, Sigma) in d dimensions, penalty lam.


def _spd_cases(rng):
    cases = []
    for d in (1, 2, 2, 3, 3, 3):
        A = rng.normal(size=(d, d))
        cases.append((rng.normal(size=d), A @ A.T + 0.3 * np.eye(d),
                      float(rng.uniform(0.05, 2.0))))
    return cases


def _shrunk(Sigma, lam):
    # Sigma (Sigma + lam I)^{-1}, the Jacobian of the optimum
    return np.linalg.solve(np.asarray(Sigma) + lam * np.eye(len(Sigma)), np.asarray(Sigma)).T


def _min_loss(mu, Sigma, lam):
    return lam * float(np.trace(_shrunk(Sigma, lam)))


def _reconstruction_part(mu, Sigma, lam):
    # E||r* - x||^2 = lam^2 tr(Sigma (Sigma + lam I)^{-2})
    inv = np.linalg.inv(np.asarray(Sigma) + lam * np.eye(len(Sigma)))
    return lam**2 * float(np.trace(inv @ Sigma @ inv))


_add(Exercise(
    key="ch04-2",
    call="rcae_min_loss(mu, Sigma, lam)",
    reference=_min_loss,
    cases=_spd_cases,
    mistakes=(
        (lambda mu, Sigma, lam: lam * len(Sigma),
         "That is the loss of the identity r(x) = x, which pays the full penalty lam ||I||_F^2 "
         "= lam d. The optimum r*(x) = mu + Sigma (Sigma + lam I)^{-1} (x - mu) does better: "
         "it gives up a little reconstruction for a smaller Jacobian."),
        (_reconstruction_part,
         "That is the reconstruction term E||r*(x) - x||^2 alone; add the penalty "
         "lam ||J_r*||_F^2 = lam ||Sigma (Sigma + lam I)^{-1}||_F^2."),
        (lambda mu, Sigma, lam: lam * float(np.sum(_shrunk(Sigma, lam) ** 2)),
         "That is the penalty term lam ||Sigma (Sigma + lam I)^{-1}||_F^2 alone; add the "
         "reconstruction term E||r*(x) - x||^2."),
        (lambda mu, Sigma, lam: lam * float(np.trace(np.linalg.solve(
            np.asarray(Sigma) + lam * np.eye(len(Sigma)),
            np.asarray(Sigma) + np.outer(mu, mu)))),
         "The mean drops out: r*(x) - x = -lam (Sigma + lam I)^{-1} (x - mu) involves x - mu, "
         "so E[x . (x - r*(x))] = E[(x - mu) . (x - r*(x))], which uses Sigma, not "
         "E[x x^T] = Sigma + mu mu^T."),
    ),
))
