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


# --- cached_on_settings: one result per setting, however the call spells it ---------------

def _counting(calls):
    from raetut.checks._common import cached_on_settings

    @cached_on_settings(ignore=("progress",))
    def train(width, seed=1, progress=False):
        calls.append((width, seed))
        return object()

    return train


def test_cached_on_settings_shares_one_result_across_spellings():
    calls = []
    train = _counting(calls)
    first = train(8)
    assert train(8, 1) is first
    assert train(width=8, seed=1) is first
    assert train(8, progress=True) is first
    assert calls == [(8, 1)]


def test_cached_on_settings_runs_again_for_other_settings():
    calls = []
    train = _counting(calls)
    assert train(8) is not train(8, seed=2)
    assert train(4) is not train(8)
    assert calls == [(8, 1), (8, 2), (4, 1)]
    train.cache_clear()
    train(8)
    assert len(calls) == 4


def test_cached_on_settings_bad_use():
    from raetut.checks._common import cached_on_settings

    with pytest.raises(ValueError, match="ignore names no parameter"):
        cached_on_settings(lambda seed: seed, ignore=("progress",))
    cached = cached_on_settings(lambda values: len(values))
    with pytest.raises(TypeError, match="hashable"):
        cached([1, 2])
    with pytest.raises(TypeError):
        cached(1, 2)


def test_chapter_networks_are_trained_once_per_setting():
    from raetut.checks import ch07

    assert ch07.train_spiral_dae() is ch07.train_spiral_dae(seed=ch07.NET_SEED)
    assert ch07.train_spiral_dae() is ch07.train_spiral_dae(sigma=ch07.SIGMA)
