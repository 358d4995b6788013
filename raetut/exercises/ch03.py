"""Chapter 3's computational exercises: the DAE and rCAE criteria for Gaussian data."""

from . import Exercise, _add

# Gaussian data x ~ N(0, v), corruption eps ~ N(0, sigma^2), penalty lam.


def _linear_cases(rng):
    return [(float(t), float(v), float(s)) for t, v, s in zip(
        rng.uniform(-1.0, 2.0, 6), rng.uniform(0.2, 3.0, 6), rng.uniform(0.05, 1.5, 6),
        strict=True)]


_add(Exercise(
    key="ch03-1",
    call="dae_loss_linear(theta, v, sigma)",
    reference=lambda theta, v, sigma: (theta - 1.0) ** 2 * v + theta**2 * sigma**2,
    cases=_linear_cases,
    mistakes=(
        (lambda theta, v, sigma: (theta - 1.0) ** 2 * v,
         "Your loss is the reconstruction error of clean data: the corruption adds "
         "E[(theta eps)^2] to it."),
        (lambda theta, v, sigma: (theta - 1.0) ** 2 * v + theta**2 * sigma,
         "The corruption's variance is sigma^2, not sigma."),
        (lambda theta, v, sigma: (theta - 1.0) ** 2 * v + theta * sigma**2,
         "The noise term is E[(theta eps)^2]: theta enters squared."),
        (lambda theta, v, sigma: (theta - 1.0) ** 2 * (v + sigma**2),
         "Expand (theta (x + eps) - x)^2: the cross term theta eps (theta - 1) x has mean 0, "
         "and the noise term is theta^2 sigma^2, not (theta - 1)^2 sigma^2."),
    ),
))


def _penalty_cases(rng):
    return [(float(v), float(lam)) for v, lam in zip(
        rng.uniform(0.2, 3.0, 6), rng.uniform(0.01, 2.0, 6), strict=True)]


_add(Exercise(
    key="ch03-2",
    call="rcae_optimum_linear(v, lam)",
    reference=lambda v, lam: v / (v + lam),
    cases=_penalty_cases,
    mistakes=(
        (lambda v, lam: 1.0 / (1.0 + lam),
         "The optimal factor depends on the data's variance v: minimise "
         "(theta - 1)^2 v + lam theta^2 over theta."),
        (lambda v, lam: 1.0 - lam / v,
         "That is the first-order expansion of the answer in lam; the exercise asks for the "
         "exact minimiser."),
        (lambda v, lam: v / (v + lam**2),
         "The penalty is lam theta^2, linear in lam."),
    ),
))


def _cubic_cases(rng):
    return [(float(a), float(v), float(s)) for a, v, s in zip(
        rng.uniform(-0.5, 0.5, 6), rng.uniform(0.2, 2.0, 6), rng.uniform(0.05, 0.8, 6),
        strict=True)]


def _cubic_gap(a, v, sigma):
    # L_DAE = sigma^2 + 6 a sigma^2 (v + sigma^2) + 15 a^2 (v + sigma^2)^3 (Stein's lemma,
    # E[y^6] = 15 (v + sigma^2)^3); L_rCAE = 15 a^2 v^3 + lam (1 + 6 a v + 27 a^2 v^2).
    s2 = sigma**2
    return 18 * a**2 * v**2 * s2 + 6 * a * s2**2 + 45 * a**2 * v * s2**2 + 15 * a**2 * s2**3


_add(Exercise(
    key="ch03-3",
    call="gap_cubic(a, v, sigma)",
    reference=_cubic_gap,
    cases=_cubic_cases,
    mistakes=(
        (lambda a, v, sigma: 18 * a**2 * v**2 * sigma**2,
         "That is the sigma^2 term, sigma^2 E[(r - x) r''] = 18 a^2 v^2 sigma^2; the exercise "
         "asks for the exact gap, which has sigma^4 and sigma^6 terms too."),
        (lambda a, v, sigma: 18 * a**2 * v**2 * sigma**2 + 45 * a**2 * v * sigma**4
         + 15 * a**2 * sigma**6,
         "The cross term 2 E[eps a (x + eps)^3] = 6 a sigma^2 (v + sigma^2) of the DAE loss "
         "leaves 6 a sigma^4 in the gap."),
        (lambda a, v, sigma: -_cubic_gap(a, v, sigma),
         "The sign: the gap is L_DAE - L_rCAE."),
    ),
))
