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


def test_call_checked_checks_shape_and_finiteness_naming_the_callable_and_input():
    X = np.array([[0.0], [1.0], [2.0]])
    np.testing.assert_array_equal(v.call_checked(lambda Z: 2 * Z, X, "r"), 2 * X)
    with pytest.raises(ValueError, match=r"r\(X\) must return shape \(3, 1\); got shape \(3,\)"):
        v.call_checked(lambda Z: Z[:, 0], X, "r")
    with pytest.raises(ValueError, match=r"r returned a non-finite value \(nan\) at input \[1\.\]"):
        v.call_checked(lambda Z: np.where(Z == 1.0, np.nan, Z), X, "r")
    with pytest.raises(TypeError, match="r must be callable"):
        v.call_checked(3, X, "r")
    def log_p(x):
        return np.log(np.maximum(x, 0.0), where=x > 0, out=np.full_like(x, -np.inf))

    x = np.array([0.0, 1.0])
    assert v.call_checked(log_p, x, "log_p", finite="log")[0] == -np.inf
    with pytest.raises(ValueError, match="non-finite value"):
        v.call_checked(log_p, x, "log_p")
    with pytest.raises(ValueError, match=r"\(nan\)"):
        v.call_checked(lambda x: x * np.nan, x, "log_p", finite="log")
    ratio = v.call_checked(lambda x: np.array([-np.inf, np.inf]), x, "log_ratio", finite="inf")
    np.testing.assert_array_equal(ratio, [-np.inf, np.inf])
    with pytest.raises(ValueError, match=r"log_ratio returned a non-finite value \(nan\)"):
        v.call_checked(lambda x: x * np.nan, x, "log_ratio", finite="inf")
    with pytest.raises(ValueError, match="finite must be True, 'log' or 'inf'; got False"):
        v.call_checked(lambda x: x, x, "score", finite=False)
    with pytest.raises(ValueError, match=r"r\(X\) failed on an input of shape \(3, 1\): bad width"):
        v.call_checked(lambda Z: (_ for _ in ()).throw(ValueError("bad width")), X, "r")
    pair = v.call_checked(lambda a, b: b[:, 0] - a[:, 0], (X, X + 1), "log_ratio", shape=(3,),
                          call="log_ratio(x, x_new)")
    np.testing.assert_array_equal(pair, np.ones(3))
    with pytest.raises(ValueError, match=r"log_ratio\(x, x_new\) must return shape \(3,\)"):
        v.call_checked(lambda a, b: b, (X, X), "log_ratio", shape=(3,), call="log_ratio(x, x_new)")


def test_call_checked_keeps_autograd_traces():
    import autograd

    X = np.array([[0.5], [1.5]])

    def loss(a):
        return np.sum(v.call_checked(lambda Z: a * Z, X, "r") ** 2)

    assert autograd.grad(loss)(2.0) == pytest.approx(2 * 2.0 * np.sum(X**2))


def test_zero_crossings_find_each_sign_change_once():
    from raetut import _grid

    grid = np.linspace(-3.0, 3.0, 61)  # holds -1, 0 and 2 exactly
    falling, rising = _grid.zero_crossings(lambda x: -(x + 1) * x * (x - 2), grid)
    np.testing.assert_allclose(falling, [-1.0, 2.0], atol=1e-15)
    np.testing.assert_allclose(rising, [0.0], atol=1e-15)
    falling, rising = _grid.zero_crossings(np.sin, np.linspace(0.1, 10.0, 200))
    np.testing.assert_allclose(falling, [np.pi, 3 * np.pi], rtol=1e-15)
    np.testing.assert_allclose(rising, [2 * np.pi], rtol=1e-15)
    # a zero that is only touched is no sign change; a run of zeros counts once
    assert _grid.sign_changes(np.array([1.0, 0.0, 1.0])).size == 0
    np.testing.assert_array_equal(_grid.sign_changes(np.array([1.0, 0.0, 0.0, -1.0])), [0])
    np.testing.assert_array_equal(_grid.sign_changes(np.array([-1e-200, 1e-200])), [0])


# ------------------------------------------------------------------ the package's layout

PACKAGE = Path(rt.__file__).parent
STACK_MODULES = ["densities", "criteria", "optimal", "empirical", "models", "training", "fields",
                 "sampling", "diagnostics", "plotting", "widgets"]


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


def test_score_and_far_field_errors_are_the_one_weighted_error():
    from raetut import _grid

    mixture = rt.GaussianMixture([0.4, 0.6], [-1.0, 1.5], [0.3, 0.5])
    grid = np.linspace(-5.0, 6.0, 1101)
    X = grid[:, None]
    estimate, reference = 0.9 * mixture.score(X), mixture.smoothed(0.2).score(X)
    p = mixture.prob(X)
    weights = np.where(_grid.data_mask(p), _grid.trapezoid_weights(grid) * p, 0.0)
    assert _grid.data_mask(p, 0.5).sum() < _grid.data_mask(p).sum() < grid.size
    assert rt.score_error_1d(estimate, mixture, grid, reference=reference) == (
        rt.weighted_score_error(estimate, reference, weights, scale=mixture.score(X)))
    assert rt.score_error_1d(estimate, mixture, grid) == pytest.approx(0.1, rel=1e-12)
    points = np.array([[-9.0], [0.0], [9.0]])
    est, ref = np.array([[1.0], [5.0], [2.0]]), np.array([[2.0], [1.0], [2.0]])
    assert rt.far_field_error(est, ref, points, np.zeros((1, 1)), 3.0) == (
        rt.weighted_score_error(est[[0, 2]], ref[[0, 2]]))
    with pytest.raises(ValueError, match="scale must have the shape of psi"):
        rt.weighted_score_error(est, ref, scale=np.ones((2, 1)))
