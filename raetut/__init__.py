"""raetut: the numerics behind the book *What regularized auto-encoders learn*.

Every public name of the submodules is available at the top level, e.g.
``raetut.GaussianMixture`` or ``raetut.dae_optimum``; submodules are imported
on first use, so ``import raetut`` is fast and pulls in no plotting library.

Modules (data flows one way, top to bottom):

- ``densities``: densities with exact log-density, score, Hessian, samples, smoothing
- ``criteria``: the DAE, CAE, rCAE and score-matching losses
- ``optimal``: the exact optima (Theorem 1, Euler-Lagrange solvers, Gaussian forms)
- ``models``: the one-hidden-layer auto-encoder with analytic Jacobians
- ``training``: fitting a model to a criterion
- ``sampling``: line-integral log-ratios, Metropolis-Hastings, MALA, Langevin
- ``diagnostics``: convergence orders, sample distances, effective sample size
- ``checks``: one function per claim of the paper
- ``energies``: score matching, energies of tied auto-encoders, curl of untied ones
- ``manifold``: tangent directions and Jacobian spectra near data on a curve
- ``annealing``: several noise levels and annealed Langevin sampling
- ``plotting``, ``widgets``: the book's figure style and interactive figures
"""

import importlib

__version__ = "0.1.0"

_MODULES = (
    "densities",
    "criteria",
    "optimal",
    "models",
    "training",
    "sampling",
    "diagnostics",
    "checks",
    "energies",
    "manifold",
    "annealing",
    "plotting",
    "widgets",
)


def _module(name):
    """Import ``raetut.<name>``, or return None if that module does not exist."""
    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"{__name__}.{name}":
            return None
        raise


def __getattr__(name):
    if name in _MODULES:
        module = _module(name)
        if module is not None:
            return module
    for module_name in _MODULES:
        module = _module(module_name)
        if module is not None and name in getattr(module, "__all__", ()):
            value = getattr(module, name)
            globals()[name] = value
            return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    names = set(globals()) | set(_MODULES)
    for module_name in _MODULES:
        module = _module(module_name)
        if module is not None:
            names.update(getattr(module, "__all__", ()))
    return sorted(names)
