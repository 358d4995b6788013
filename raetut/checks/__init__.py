"""Every numerical check of the book: the record, the registry, one module per chapter.

A check compares a measurement with what a claim predicts. Each chapter's module
(``raetut.checks.ch02`` ... ``ch11``) holds, for each claim, a ``check_*`` function that
takes the objects it tests as arguments (a density, an optimum, a field, chains), so that
feeding it a wrong answer makes it fail, and whose defaults are the chapter's own
objects. The chapter calls it once on its objects; ``python -m raetut verify`` calls every
registered check with its defaults. Each tolerance is argued in the check's docstring
from what the claim neglects (the next order of an expansion, a discretisation error,
rounding, a sampling error), never chosen by the caller.

Every record says which kind of evidence it is (:data:`raetut.checks.KINDS`):

``identity``
    two independent computations of one quantity agree to round-off;
``algebra``
    an identity that holds point by point for every input (a consequence of the
    architecture or of a formula), computed two independent ways: it can catch a wrong
    implementation, never a property of the data, the density or the training;
``numerical``
    an order of convergence, a coefficient or a discretisation error, within a
    tolerance argued from the neglected terms;
``statistical``
    a sample statistic against its null distribution, with the error rate (and the
    power against the nearest wrong answer) stated in the docstring;
``heuristic``
    a threshold with a wide margin argued from the mechanism (a barrier, a contraction),
    on simulated chains, but with no error rate.
"""

import dataclasses
import functools
import importlib
import json

import numpy as np

__all__ = [
    "KINDS",
    "CheckResult",
    "RegisteredCheck",
    "record",
    "register",
    "registry",
    "run_all",
    "format_table",
    "to_json",
    "default_mixture_1d",
    "SLOPE_TOLERANCE",
]

#: The kinds of evidence a check can be (see the module docstring).
KINDS = ("identity", "algebra", "numerical", "statistical", "heuristic")

#: The book's chapters, numbered as on the website.
CHAPTERS = tuple(range(1, 15))


@dataclasses.dataclass(frozen=True)
class CheckResult:
    """The outcome of one numerical check of a claim.

    Attributes
    ----------
    claim : str
        What is checked, in a few words.
    measured : float
        The measured number.
    expected : float
        What the claim predicts.
    tolerance : float
        Accepted ``|measured - expected|``.
    passed : bool
        Whether the measurement agrees with the prediction.
    detail : str
        Context: settings, secondary measurements.
    kind : str or None
        ``"identity"``, ``"numerical"`` or ``"statistical"`` (set by :func:`register`).
    chapter : int or None
        The chapter whose claim this is (set by :func:`register`).
    name : str
        The name of the check function that made the record.
    """

    claim: str
    measured: float
    expected: float
    tolerance: float
    passed: bool
    detail: str = ""
    kind: str | None = None
    chapter: int | None = None
    name: str = ""


def record(claim, measured, expected, tolerance, detail="", passed=None, require=True):
    """Build a :class:`CheckResult`; a NaN or infinite measurement never passes.

    Parameters
    ----------
    claim : str
    measured, expected, tolerance : float
    detail : str
    passed : bool, optional
        The verdict, for checks whose criterion is not ``|measured - expected| <=
        tolerance``; default: that criterion.
    require : bool
        A further condition the verdict needs (e.g. a sign, a count).

    Returns
    -------
    CheckResult
    """
    measured, expected, tolerance = float(measured), float(expected), float(tolerance)
    if passed is None:
        passed = abs(measured - expected) <= tolerance
    passed = bool(passed) and bool(require) and bool(np.isfinite(measured))
    return CheckResult(claim, measured, expected, tolerance, passed, detail)


@dataclasses.dataclass(frozen=True)
class RegisteredCheck:
    """A check in the registry: its name, chapter, kind and function.

    ``function()`` (every argument at its default, the chapter's own objects) returns
    the chapter's :class:`CheckResult`.
    """

    name: str
    chapter: int
    kind: str
    function: object

    @property
    def summary(self):
        """The first line of the check's docstring."""
        return (self.function.__doc__ or "").strip().splitlines()[0]


_REGISTRY = {}


def register(chapter, kind):
    """Decorator: enter a ``check_*`` function into the registry.

    The decorated function returns its record with ``kind``, ``chapter`` and ``name``
    filled in. Names are unique across the book.

    Parameters
    ----------
    chapter : int
        The chapter whose claim the function checks.
    kind : str
        One of :data:`raetut.checks.KINDS`.
    """
    if chapter not in CHAPTERS:
        raise ValueError(f"chapter must be one of {CHAPTERS}; got {chapter!r}")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}; got {kind!r}")

    def decorate(function):
        name = function.__name__
        if not name.startswith("check_"):
            raise ValueError(f"a registered check's name starts with 'check_'; got {name!r}")
        if name in _REGISTRY:
            raise ValueError(f"a check named {name!r} is registered already")

        @functools.wraps(function)
        def stamped(*args, **kwargs):
            result = function(*args, **kwargs)
            if not isinstance(result, CheckResult):
                raise TypeError(f"{name} must return a CheckResult; got {type(result).__name__}")
            return dataclasses.replace(result, kind=kind, chapter=chapter, name=name)

        _REGISTRY[name] = RegisteredCheck(name, chapter, kind, stamped)
        return stamped

    return decorate


def _load_chapters():
    for chapter in CHAPTERS:
        try:
            importlib.import_module(f"{__name__}.ch{chapter:02d}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.ch{chapter:02d}":
                raise


def registry(chapter=None):
    """The registered checks, in chapter order.

    Parameters
    ----------
    chapter : int, optional
        Only this chapter's checks.

    Returns
    -------
    list of RegisteredCheck
    """
    if chapter is not None and chapter not in CHAPTERS:
        raise ValueError(f"chapter must be one of {CHAPTERS}; got {chapter!r}")
    _load_chapters()
    entries = sorted(_REGISTRY.values(), key=lambda e: e.chapter)
    return [e for e in entries if chapter is None or e.chapter == chapter]


def run_all(chapter=None, progress=None):
    """Run every registered check (of one chapter) with its defaults.

    Parameters
    ----------
    chapter : int, optional
        Only this chapter's checks.
    progress : callable, optional
        Called as ``progress(entry, result, seconds)`` after each check.

    Returns
    -------
    list of CheckResult
    """
    import time

    results = []
    for entry in registry(chapter):
        start = time.perf_counter()
        result = entry.function()
        if progress is not None:
            progress(entry, result, time.perf_counter() - start)
        results.append(result)
    return results


def format_table(results):
    """Render check results as a fixed-width text table.

    Parameters
    ----------
    results : list of CheckResult

    Returns
    -------
    str
        One header line, a rule, one line per result: claim, kind, measured, expected,
        tolerance, PASS/FAIL.
    """
    results = list(results)
    if not all(isinstance(r, CheckResult) for r in results):
        raise TypeError("results must be a list of CheckResult")
    width = max([len("claim")] + [len(r.claim) for r in results])
    header = (f"{'claim':<{width}} | {'kind':<11} | {'measured':>10} | {'expected':>8} | "
              f"{'tol':>8} | result")
    lines = [header, "-" * len(header)]
    for r in results:
        lines.append(
            f"{r.claim:<{width}} | {r.kind or '-':<11} | {r.measured:>10.4g} | "
            f"{r.expected:>8.3g} | {r.tolerance:>8.2g} | {'PASS' if r.passed else 'FAIL'}"
        )
    return "\n".join(lines)


def to_json(results):
    """The records as a JSON list of objects (one per check, every field)."""
    rows = []
    for r in results:
        row = dataclasses.asdict(r)
        for key in ("measured", "expected", "tolerance"):
            value = row[key]
            row[key] = value if np.isfinite(value) else str(value)
        rows.append(row)
    return json.dumps(rows, indent=2)


from ._common import SLOPE_TOLERANCE, default_mixture_1d  # noqa: E402, F401  (shared by chapters)


def __getattr__(name):
    # Registered checks (unique names) are reachable as raetut.checks.check_*; everything
    # else of a chapter through its module, raetut.checks.chNN, so that two chapters' names
    # can never shadow each other.
    _load_chapters()
    if name in globals():  # a chapter module, rt.checks.chNN, on first access
        return globals()[name]
    entry = _REGISTRY.get(name)
    if entry is not None:
        return entry.function
    raise AttributeError(f"module {__name__!r} has no attribute {name!r} (a chapter's "
                         f"measurements live in raetut.checks.chNN)")
