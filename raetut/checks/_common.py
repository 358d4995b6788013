"""What the chapters' checks share: the default density, its support, noise levels, slopes."""

import functools
import inspect

import numpy as np

from .. import diagnostics
from .._grid import data_mask
from .._validation import as_pair
from ..densities import GaussianMixture

# A fitted order of convergence is accepted within this distance of the predicted one.
# Neighbouring integer orders are 10 tolerances away; the next term of each expansion
# shifts the fitted slope by only a few hundredths over the default ranges.
SLOPE_TOLERANCE = 0.1


def cached_on_settings(function=None, *, ignore=()):
    """Keep a function's results for the life of the process, keyed on its settings.

    Unlike ``functools.lru_cache``, the key is the arguments bound to the signature with
    the defaults filled in, so ``f()``, ``f(1)`` and ``f(seed=1)`` share one result when
    the default seed is 1 (lru_cache would run the function three times). Arguments named
    in ``ignore`` (such as ``progress``) are left out of the key: a result computed with
    a progress bar is returned to a call without one, and the other way round.

    Use as ``@cached_on_settings`` or ``@cached_on_settings(ignore=("progress",))``;
    the cached function has ``cache_clear()``.
    """
    if function is None:
        return functools.partial(cached_on_settings, ignore=ignore)
    signature = inspect.signature(function)
    unknown = sorted(set(ignore) - set(signature.parameters))
    if unknown:
        raise ValueError(f"ignore names no parameter of {function.__name__}: {unknown}")
    results = {}

    @functools.wraps(function)
    def cached(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        key = tuple((name, value) for name, value in bound.arguments.items()
                    if name not in ignore)
        try:
            return results[key]
        except KeyError:
            pass
        except TypeError:
            raise TypeError(f"{function.__name__} caches on its arguments, which must be "
                            f"hashable; got {bound.arguments}") from None
        results[key] = function(*args, **kwargs)
        return results[key]

    cached.cache_clear = results.clear
    return cached


def default_mixture_1d():
    """The checks' default 1-D density: three modes of unequal weights and widths.

    Returns
    -------
    GaussianMixture
        Weights (0.3, 0.5, 0.2), means (-2, 0.5, 2.5), variances (0.4, 0.6, 0.3).
    """
    return GaussianMixture([0.3, 0.5, 0.2], [-2.0, 0.5, 2.5], [0.4, 0.6, 0.3])


def density_1d(density, default=default_mixture_1d):
    if density is None:
        return default()
    needed = ("log_prob", "prob", "score", "hessian_log_prob")
    if getattr(density, "dim", None) != 1 or not all(callable(getattr(density, m, None))
                                                      for m in needed):
        raise TypeError(
            "density must be a 1-D density (dim == 1) with log_prob, prob, score and "
            f"hessian_log_prob, e.g. a 1-D GaussianMixture; got {type(density).__name__}"
        )
    return density


def chapter_mixture_2d():
    """The book's 2-D mixture of chapters 2 and 4: three correlated Gaussians of different
    shapes and weights."""
    return GaussianMixture(
        [0.45, 0.35, 0.2],
        [[-1.2, -0.5], [1.2, -0.4], [0.0, 1.3]],
        [[[0.5, 0.15], [0.15, 0.35]], [[0.4, -0.08], [-0.08, 0.45]],
         [[0.45, 0.0], [0.0, 0.25]]],
    )


def support(density, bounds):
    """An interval holding essentially all of the mass of a 1-D density."""
    if bounds is not None:
        return as_pair(bounds, "bounds")
    if isinstance(density, GaussianMixture):
        # 10 standard deviations: the mass left outside is below 1e-22.
        means = density.means[:, 0]
        spreads = 10.0 * np.sqrt(density.covariances[:, 0, 0])
        return float(np.min(means - spreads)), float(np.max(means + spreads))
    if hasattr(density, "lower") and hasattr(density, "upper"):
        return float(density.lower), float(density.upper)
    raise ValueError(f"bounds must be given for a density of type {type(density).__name__}")


def data_mask_1d(density, x):
    """Where there is data (``p >= 0.01 max p``, as in ``raetut._grid``) among ``x`` (m,)."""
    return data_mask(density.prob(x[:, None]))


def log_density(density):
    def log_p(x):
        return density.log_prob(np.asarray(x, dtype=float)[:, None])

    return log_p


def noise_levels_arg(values, default, name):
    values = np.geomspace(*default) if values is None else np.asarray(values, dtype=float)
    if values.ndim != 1 or values.size < 3 or np.any(~np.isfinite(values)) or np.any(values <= 0):
        raise ValueError(f"{name} must be at least 3 distinct values > 0; got {values}")
    if np.unique(values).size != values.size:
        raise ValueError(f"{name} must not contain repeated values")
    return values


def power_law_slope(h, err):
    """Fitted order of ``err(h)``; errors that vanish exactly count as order 0."""
    err = np.maximum(np.abs(np.asarray(err, dtype=float)), np.finfo(float).tiny)
    return diagnostics.fit_power_law(h, err)
