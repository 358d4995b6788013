"""The exercises' checkers: every reference solution passes, every listed mistake fails
with its hint, and the references agree with independent computations."""

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

import raetut as rt

ALL = rt.exercises.exercises()


def test_every_chapter_with_exercises_is_numbered_from_one():
    keys = [e.key for e in ALL]
    assert keys, "no exercises registered"
    for chapter in {int(k[2:4]) for k in keys}:
        numbers = [int(e.key.split("-")[1]) for e in rt.exercises.exercises(chapter)]
        assert numbers == list(range(1, len(numbers) + 1))


@pytest.mark.parametrize("exercise", ALL, ids=lambda e: e.key)
def test_the_reference_solution_passes(exercise):
    feedback = rt.exercises.check(exercise.key, exercise.reference)
    assert feedback.passed and "agrees with the solution" in feedback.message


@pytest.mark.parametrize(
    "exercise, mistake",
    [(e, m) for e in ALL for m in e.mistakes],
    ids=lambda x: x.key if isinstance(x, rt.exercises.Exercise) else "mistake",
)
def test_a_known_mistake_fails_with_its_hint(exercise, mistake):
    wrong, hint = mistake
    feedback = rt.exercises.check(exercise.key, wrong)
    assert not feedback.passed and feedback.message == hint


def test_an_unrecognised_wrong_answer_is_located():
    feedback = rt.exercises.check("ch03-2", lambda v, lam: v / (v + lam) + 1e-3)
    assert not feedback.passed and feedback.message.startswith("at v=")


def test_an_answer_that_raises_or_returns_nan_gets_feedback_not_a_traceback():
    raised = rt.exercises.check("ch03-2", lambda v, lam: 1 / 0)
    assert not raised.passed and "ZeroDivisionError" in raised.message
    nan = rt.exercises.check("ch03-2", lambda v, lam: float("nan"))
    assert not nan.passed and "not finite" in nan.message


def test_bad_calls_name_the_problem():
    with pytest.raises(KeyError, match="no exercise 'ch99-1'; known: ch03-1"):
        rt.exercises.check("ch99-1", lambda: 0)
    with pytest.raises(TypeError, match=r"answer must accept 3 positional argument\(s\), "
                                        r"called as gap_cubic\(a, v, sigma\)"):
        rt.exercises.check("ch03-3", lambda a, v: 0.0)


# ---------------------------------------------------- the references, computed otherwise

Z, W = np.polynomial.hermite_e.hermegauss(40)
W = W / W.sum()  # E[f(z)], z ~ N(0, 1), exact for polynomials of degree < 80


def _dae_and_rcae(r, dr, v, sigma):
    x, eps = np.sqrt(v) * Z[:, None], sigma * Z[None, :]
    dae = np.sum(W[:, None] * W[None, :] * (r(x + eps) - x) ** 2)
    x = np.sqrt(v) * Z
    rcae = np.sum(W * (r(x) - x) ** 2) + sigma**2 * np.sum(W * dr(x) ** 2)
    return dae, rcae


@pytest.mark.parametrize("theta, v, sigma", [(0.7, 1.3, 0.4), (-0.2, 0.5, 1.1)])
def test_ch03_1_is_the_dae_loss_by_quadrature(theta, v, sigma):
    dae, _ = _dae_and_rcae(lambda y: theta * y, lambda y: theta + 0 * y, v, sigma)
    assert rt.exercises.get("ch03-1").reference(theta, v, sigma) == pytest.approx(dae, rel=1e-12)


@pytest.mark.parametrize("v, lam", [(1.3, 0.4), (0.5, 1.7)])
def test_ch03_2_is_the_minimiser_of_the_rcae_loss(v, lam):
    best = minimize_scalar(lambda t: (t - 1) ** 2 * v + lam * t**2, bounds=(-5, 5),
                           method="bounded", options={"xatol": 1e-12}).x
    assert rt.exercises.get("ch03-2").reference(v, lam) == pytest.approx(best, abs=1e-8)


@pytest.mark.parametrize("a, v, sigma", [(0.3, 0.8, 0.5), (-0.4, 1.7, 0.2)])
def test_ch03_3_is_the_exact_gap_by_quadrature(a, v, sigma):
    dae, rcae = _dae_and_rcae(lambda y: y + a * y**3, lambda y: 1 + 3 * a * y**2, v, sigma)
    assert rt.exercises.get("ch03-3").reference(a, v, sigma) == pytest.approx(dae - rcae,
                                                                             rel=1e-10)
