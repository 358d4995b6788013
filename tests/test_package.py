"""The package's public namespace and its shared input validation."""

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import raetut as rt
from raetut import _validation as v

# Names that readers, tests and checks rely on (DESIGN.md).
PUBLIC = [
    "GaussianMixture",
    "dae_optimum",
    "rcae_optimum_1d",
    "Autoencoder",
    "line_integral_log_ratio",
    "metropolis_hastings",
    "dae_loss",
    "rcae_loss",
    "cae_loss",
    "score_matching_loss",
]


@pytest.mark.parametrize("name", PUBLIC)
def test_public_names_are_available_at_top_level(name):
    assert callable(getattr(rt, name))
    assert name in dir(rt)


def test_unknown_name_raises_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
        rt.not_a_name  # noqa: B018


def test_import_does_not_pull_in_plotting_libraries():
    code = (
        "import sys, raetut; raetut.GaussianMixture; raetut.dae_loss; "
        "print('matplotlib' in sys.modules, 'ipywidgets' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: v.as_points(np.zeros(3)), ValueError, r"X must be a 2-D array .*X\[:, None\]"),
        (lambda: v.as_points(np.zeros((3, 2)), dim=1), ValueError, "X must have 1 column"),
        (lambda: v.as_points(np.zeros((0, 2))), ValueError, "at least one point"),
        (lambda: v.as_points([[np.nan, 1.0]], name="data"), ValueError, "data contains NaN"),
        (lambda: v.as_points("abc"), TypeError, "X must be a numeric array"),
        (lambda: v.positive_scalar(0.0, "sigma"), ValueError, "sigma must be a finite number > 0"),
        (lambda: v.positive_scalar(np.inf, "lam"), ValueError, "lam must be a finite number > 0"),
        (lambda: v.positive_scalar("1", "sigma"), TypeError, "sigma must be a positive real"),
        (lambda: v.positive_scalar(True, "sigma"), TypeError, "sigma must be a positive real"),
        (
            lambda: v.nonnegative_scalar(-1e-3, "lam"),
            ValueError,
            "lam must be a finite number >= 0",
        ),
        (lambda: v.positive_int(0, "n"), ValueError, "n must be an integer >= 1"),
        (lambda: v.positive_int(2.5, "n_steps"), TypeError, "n_steps must be an integer"),
        (lambda: v.check_rng(0), TypeError, "rng must be a numpy.random.Generator"),
        (lambda: v.check_callable(3, "log_p"), TypeError, "log_p must be callable"),
        (
            lambda: v.increasing_grid([0.0, 2.0, 1.0]),
            ValueError,
            "grid must be strictly increasing",
        ),
        (lambda: v.increasing_grid([0.0, 1.0]), ValueError, "grid must have at least 3 points"),
        (
            lambda: v.as_finite_array(np.ones((2, 2)), "w", ndim=1),
            ValueError,
            "w must be a 1-D array",
        ),
        (
            lambda: v.one_of("relu", "activation", {"tanh", "sigmoid"}),
            ValueError,
            "activation must be one of",
        ),
    ],
)
def test_validation_rejects_bad_input_naming_the_argument(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_validation_accepts_good_input_unchanged():
    X = v.as_points([[1, 2], [3, 4]], dim=2)
    assert X.dtype == float and X.shape == (2, 2)
    assert v.positive_scalar(np.float32(0.5), "sigma") == 0.5
    assert v.positive_int(np.int64(3), "n") == 3
    np.testing.assert_array_equal(v.increasing_grid([0, 1, 3]), [0.0, 1.0, 3.0])


# ------------------------------------------------------------------ the package's layout

PACKAGE = Path(rt.__file__).parent
STACK_MODULES = ["densities", "criteria", "optimal", "models", "training", "fields", "sampling",
                 "diagnostics", "plotting", "widgets"]


def test_export_map_is_exactly_the_modules_public_names():
    seen = {}
    for name in STACK_MODULES:
        module = importlib.import_module(f"raetut.{name}")
        for public in module.__all__:
            assert public not in seen, f"{public} is exported by {seen[public]} and {name}"
            seen[public] = name
    assert rt._EXPORTS == seen


def test_every_public_name_resolves_to_its_module():
    for name, module in rt._EXPORTS.items():
        assert getattr(rt, name) is getattr(importlib.import_module(f"raetut.{module}"), name)


def test_the_stack_is_one_way():
    linter = Path(sys.executable).with_name("lint-imports")
    completed = subprocess.run([str(linter)], capture_output=True, text=True,
                               cwd=PACKAGE.parent)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "0 broken" in completed.stdout


def _private_reach_ins(path):
    """``from .x import _name`` and ``x._name`` for another raetut module ``x``."""
    tree = ast.parse(path.read_text())
    own = {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    modules = set()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            for alias in node.names:
                if node.module is None:
                    modules.add(alias.asname or alias.name)
                elif alias.name.startswith("_") and not node.module.startswith("_"):
                    found.append(f"from {node.module} import {alias.name}")
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in modules and node.attr.startswith("_")
                and not node.attr.startswith("__") and node.attr not in own):
            found.append(f"{node.value.id}.{node.attr}")
    return found


def test_no_module_reads_another_modules_private_names():
    roots = [PACKAGE, PACKAGE.parent / "benchmarks", PACKAGE.parent / "tools"]
    offenders = {}
    for root in roots:
        for path in root.rglob("*.py"):
            found = _private_reach_ins(path)
            if path.parent.parent == PACKAGE.parent and path.parent != PACKAGE:
                source = path.read_text()
                found += [f"raetut private {m}" for m in ("._points(", "._params(")
                          if m in source]
            if found:
                offenders[str(path.relative_to(PACKAGE.parent))] = found
    assert not offenders


def test_nothing_in_the_package_imports_tests_notebooks_or_tools():
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [
                    node.module or ""]
                assert not any(n.split(".")[0] in ("tests", "tools", "notebooks") for n in names)
