"""Checkers for the book's computational exercises (one module per chapter).

A reader writes a function in Jupyter and asks whether it is right::

    import raetut as rt
    rt.exercises.check("ch03-1", dae_loss_linear)

The checker calls the function on several arguments (drawn with a fixed seed) and
compares it with the reference solution. If it disagrees, the feedback says where, and
when the answer matches a known mistake (a missing term, a wrong power) it says which,
with a hint. Each exercise lists such plausible wrong answers; the tests run every
reference solution through its checker (it must pass) and every listed wrong answer (it
must fail, with its hint).
"""

import dataclasses
import importlib
import pkgutil

import numpy as np

from .._validation import check_signature

__all__ = ["Exercise", "Feedback", "check", "exercises", "get"]


@dataclasses.dataclass(frozen=True)
class Feedback:
    """What a checker says about an answer.

    Attributes
    ----------
    key : str
        The exercise, e.g. ``"ch03-1"``.
    passed : bool
        Whether the answer agrees with the reference on every case.
    message : str
        What is right, or what is wrong and a hint.
    """

    key: str
    passed: bool
    message: str

    def __bool__(self):
        return self.passed

    def __str__(self):
        verdict = "correct" if self.passed else "not yet"
        return f"{self.key}: {verdict}. {self.message}"

    def _repr_pretty_(self, printer, cycle):
        printer.text(str(self))


@dataclasses.dataclass(frozen=True)
class Exercise:
    """A computational exercise: its reference solution and the mistakes it recognises.

    Attributes
    ----------
    key : str
        ``"chNN-k"``, the chapter and the exercise's number in it.
    call : str
        How the reader's function is called, e.g. ``"dae_loss_linear(theta, v, sigma)"``.
    reference : callable
        The solution.
    cases : callable
        ``cases(rng) -> list of tuple``: the arguments to try.
    mistakes : tuple of (callable, str)
        Plausible wrong answers and the hint to give when an answer matches one.
    rtol : float
        Relative tolerance of the comparison (the reference is exact, so round-off only).
    """

    key: str
    call: str
    reference: object
    cases: object
    mistakes: tuple = ()
    rtol: float = 1e-8

    @property
    def n_args(self):
        return self.call.count(",") + 1


_EXERCISES = {}


def _add(exercise):
    """Register ``exercise`` (used by the chapter modules)."""
    if exercise.key in _EXERCISES:
        raise ValueError(f"an exercise {exercise.key!r} exists already")
    _EXERCISES[exercise.key] = exercise
    return exercise


def get(key):
    """The :class:`Exercise` called ``key``; a ``KeyError`` lists the known keys."""
    if key not in _EXERCISES:
        raise KeyError(f"no exercise {key!r}; known: {', '.join(sorted(_EXERCISES))}")
    return _EXERCISES[key]


def exercises(chapter=None):
    """The computational exercises, in order; ``chapter`` (an int) selects one chapter's."""
    keys = sorted(_EXERCISES, key=lambda k: (int(k[2:4]), int(k.split("-")[1])))
    if chapter is not None:
        keys = [k for k in keys if int(k[2:4]) == chapter]
    return [_EXERCISES[k] for k in keys]


def _agree(got, expected, rtol):
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    return got.shape == expected.shape and bool(
        np.allclose(got, expected, rtol=rtol, atol=rtol * max(1.0, float(np.max(np.abs(expected)))))
    )


def _format_value(value):
    if isinstance(value, float | int | np.floating | np.integer):
        return f"{float(value):.4g}"
    array = np.asarray(value)
    if array.ndim and array.size <= 4:
        return np.array2string(array, precision=4, separator=", ")
    if array.ndim:
        return f"<array of shape {array.shape}>"
    return repr(value)


def _format_args(exercise, args):
    names = exercise.call[exercise.call.index("(") + 1 : -1].split(", ")
    return ", ".join(f"{n}={_format_value(a)}" for n, a in zip(names, args, strict=True))


def _where_they_differ(got, expected):
    """The first entry at which an array answer differs most, in words."""
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    if got.shape != expected.shape:
        return f"the answer has shape {expected.shape}, yours has shape {got.shape}."
    if expected.ndim == 0:
        return f"the answer is {float(expected):.6g}, yours gives {float(got):.6g}."
    index = np.unravel_index(np.argmax(np.abs(got - expected)), expected.shape)
    return (f"entry {tuple(int(i) for i in index)} of the answer is {expected[index]:.6g}, "
            f"yours gives {got[index]:.6g}.")


def check(key, answer):
    """Check the reader's function ``answer`` for exercise ``key``.

    Parameters
    ----------
    key : str
        The exercise, e.g. ``"ch03-1"`` (``rt.exercises.exercises()`` lists them).
    answer : callable
        The reader's function, called as the exercise says.

    Returns
    -------
    Feedback
        True if correct; its message says what is wrong otherwise.
    """
    exercise = get(key)
    name = exercise.call[: exercise.call.index("(")]
    check_signature(answer, "answer", exercise.n_args, exercise.call)
    cases = exercise.cases(np.random.default_rng(20140101))
    got_all, expected_all = [], []
    for args in cases:
        try:
            got = answer(*args)
        except Exception as exc:  # the reader's code: report any failure as feedback
            return Feedback(key, False, f"{name}({_format_args(exercise, args)}) raised "
                                        f"{type(exc).__name__}: {exc}")
        got = np.asarray(got, dtype=float) if np.ndim(got) else float(got)
        if not np.all(np.isfinite(got)):
            return Feedback(key, False, f"{name}({_format_args(exercise, args)}) returned "
                                        f"{got}, which is not finite.")
        got_all.append(got)
        expected_all.append(exercise.reference(*args))
    if all(_agree(g, e, exercise.rtol) for g, e in zip(got_all, expected_all, strict=True)):
        return Feedback(key, True, f"{name} agrees with the solution on all {len(cases)} cases.")
    for mistake, hint in exercise.mistakes:
        if all(_agree(g, mistake(*args), exercise.rtol) for g, args in zip(got_all, cases,
                                                                            strict=True)):
            return Feedback(key, False, hint)
    first = next(i for i, (g, e) in enumerate(zip(got_all, expected_all, strict=True))
                 if not _agree(g, e, exercise.rtol))
    return Feedback(key, False, f"at {_format_args(exercise, cases[first])} "
                                f"{_where_they_differ(got_all[first], expected_all[first])}")


# The chapters' modules (ch01.py, ch02.py, ...) register their exercises on import, after
# the machinery above exists; each new module is found here without being listed.
def _import_chapters():
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module.name.startswith("ch"):
            importlib.import_module(f"{__name__}.{module.name}")


_import_chapters()
