"""The exercises' checkers: every reference solution passes and every listed mistake fails
with its hint. Each chapter's references are computed otherwise in test_exercises_chNN.py."""

import pathlib

import numpy as np
import pytest

import raetut as rt

ALL = rt.exercises.exercises()
NOTEBOOKS = pathlib.Path(__file__).resolve().parents[1] / "notebooks"


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
    with pytest.raises(KeyError, match="no exercise 'ch99-1'; known: .*ch03-1, ch03-2"):
        rt.exercises.check("ch99-1", lambda: 0)
    with pytest.raises(TypeError, match=r"answer must accept 3 positional argument\(s\), "
                                        r"called as gap_cubic\(a, v, sigma\)"):
        rt.exercises.check("ch03-3", lambda a, v: 0.0)


def test_an_array_answer_is_located_by_its_worst_entry():
    from raetut.exercises import _where_they_differ

    expected = np.zeros((3, 2))
    got = expected.copy()
    got[2, 1] = 0.5
    assert _where_they_differ(got, expected) == "entry (2, 1) of the answer is 0, yours gives 0.5."
    assert "shape (3, 2), yours has shape (2, 3)" in _where_they_differ(got.T, expected)


@pytest.mark.parametrize("exercise", ALL, ids=lambda e: e.key)
def test_every_checker_is_used_in_its_chapter(exercise):
    chapter = int(exercise.key[2:4])
    (notebook,) = NOTEBOOKS.glob(f"{chapter:02d}_*.ipynb")
    assert f'rt.exercises.check(\\"{exercise.key}\\"' in notebook.read_text(), (
        f"{notebook.name} never calls the checker of {exercise.key}")
