"""Chapter 12's exercise references, computed otherwise (autograd, simulation, a recursion)."""

import numpy as np
import pytest

import raetut as rt
from raetut.checks import ch12


def test_ch12_1_is_the_automatic_derivative_of_the_energy():
    reference = rt.exercises.get("ch12-1").reference
    X = np.random.default_rng(2).uniform(-3, 3, (20, 2))
    got = np.array([reference(x, y) for x, y in X])
    np.testing.assert_allclose(got, ch12.score_autograd(X), rtol=1e-12, atol=1e-12)


def test_ch12_2_by_monte_carlo_on_the_exact_quadratic_energy():
    reference = rt.exercises.get("ch12-2").reference
    d, eta, v = 3, 0.7, 1.6
    rng = np.random.default_rng(0)
    x, h = rng.normal(0, 1.0, (200000, d)), eta * rng.standard_normal((200000, d))

    def energy(z):
        return np.sum(z**2, axis=1) / (2 * v)

    errors = energy(x + h) - energy(x) - np.sum((x / v) * h, axis=1)
    se = errors.std() / np.sqrt(len(errors))
    assert reference(d, eta, v) == pytest.approx(errors.mean(), abs=5 * se)


def test_ch12_3_by_iterating_the_variance_recursion_and_by_simulation():
    reference = rt.exercises.get("ch12-3").reference
    v, lam = 1.3, 0.2
    a = 1 - lam / v
    V = 0.0
    for _ in range(2000):  # Var x' = a^2 (Var x + 2 lam)
        V = a**2 * (V + 2 * lam)
    assert reference(v, lam) == pytest.approx(V, rel=1e-12)
    rng = np.random.default_rng(1)
    xs, _ = ch12.reconstruction_chain(lambda Y: Y - lam * Y / v, lam, np.zeros((4000, 1)),
                                      60, rng)
    sample = xs[-1, :, 0]
    se = sample.var() * np.sqrt(2 / len(sample))
    assert reference(v, lam) == pytest.approx(sample.var(), abs=5 * se)
