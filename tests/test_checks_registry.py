"""The registry of checks: every registered check has negative controls that make it fail."""

import importlib.util
from pathlib import Path

import pytest

from raetut import checks

CHECK_NAMES = [entry.name for entry in checks.registry()]


# Every registered check has a negative control
# Each chapter's test module tests/test_checks_chNN.py defines NEGATIVE_CONTROLS:
# {check name: [zero-argument callables, each feeding the check a plausible wrong answer]}.


def _negative_controls():
    controls = {}
    for path in sorted(Path(__file__).parent.glob("test_checks_ch*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for name, calls in getattr(module, "NEGATIVE_CONTROLS", {}).items():
            controls.setdefault(name, []).extend(calls)
    return controls


def test_every_registered_check_has_a_negative_control():
    controls = _negative_controls()
    missing = [name for name in CHECK_NAMES if not controls.get(name)]
    assert not missing, f"registered checks without a negative control: {missing}"
    unknown = sorted(set(controls) - set(CHECK_NAMES))
    assert not unknown, f"negative controls for checks that are not registered: {unknown}"


def test_registry_kinds_and_chapters():
    for entry in checks.registry():
        assert entry.kind in checks.KINDS
        assert entry.chapter in checks.CHAPTERS
        assert entry.summary, f"{entry.name} has no docstring"


def _all_controls():
    return [(name, i, call) for name, calls in sorted(_negative_controls().items())
            for i, call in enumerate(calls)]


@pytest.mark.parametrize("name, index, call", _all_controls(),
                         ids=[f"{n}-{i}" for n, i, _ in _all_controls()])
def test_negative_control_fails(name, index, call):
    result = call()
    assert isinstance(result, checks.CheckResult)
    assert result.name == name, f"control {index} of {name} ran {result.name}"
    assert not result.passed, (f"{name} passed a wrong answer (control {index}): measured "
                               f"{result.measured}, expected {result.expected} "
                               f"± {result.tolerance}")
