"""Checkers for the book's computational exercises.

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

import numpy as np

from ._validation import check_signature

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


def _format_args(exercise, args):
    names = exercise.call[exercise.call.index("(") + 1 : -1].split(", ")
    return ", ".join(f"{n}={a:.4g}" if isinstance(a, float) else f"{n}={a!r}"
                     for n, a in zip(names, args, strict=True))


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
    return Feedback(key, False, f"at {_format_args(exercise, cases[first])} the answer is "
                                f"{expected_all[first]:.6g}, yours gives {got_all[first]:.6g}.")


# ---------------------------------------------------------------- chapter 3: DAE vs rCAE
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
