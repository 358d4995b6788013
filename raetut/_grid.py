"""Grids: trapezoid weights and integrals, sign changes, where there is data."""

import numpy as np
from scipy import integrate

__all__ = []


def trapezoid_weights(x):
    """Trapezoid-rule weights on the points ``x`` (m,): ``sum(w * f) ~ integral of f``."""
    h = np.diff(x)
    w = np.zeros_like(x, dtype=float)
    w[:-1] += h / 2
    w[1:] += h / 2
    return w


def trapezoid(values, grid):
    """Trapezoid integral of ``values`` (m,) over ``grid`` (m,), as a float."""
    return float(np.trapezoid(values, grid))


def cumulative_trapezoid(values, grid):
    """Trapezoid integrals of ``values`` (m,) from ``grid[0]`` to each grid point, shape (m,)."""
    return integrate.cumulative_trapezoid(values, grid, initial=0.0)


def sign_changes(values):
    """Indices ``i`` such that ``[i, i + 1]`` brackets a sign change of ``values``.

    Signs are compared between neighbouring non-zero values: either ``values[i]`` and
    ``values[i + 1]`` have opposite signs, or ``values[i + 1]`` is the first of a run
    of zeros between opposite signs (the zero at a grid point counts once). A function
    that only touches zero has no sign change there.

    Parameters
    ----------
    values : ndarray, shape (m,)

    Returns
    -------
    ndarray of int
        Increasing; ``values[i] != 0`` at each.
    """
    nonzero = np.flatnonzero(values != 0)
    sign = np.sign(values[nonzero])  # signs, not products: a product of tiny values underflows
    return nonzero[np.flatnonzero(sign[:-1] != sign[1:])]


def zero_crossings(f, grid, values=None, n_bisect=60):
    """Zeros of a continuous function where it changes sign on a grid, refined by bisection.

    The sign changes of ``f`` on ``grid`` (:func:`sign_changes`) bracket the zeros;
    each bracket is halved ``n_bisect`` times, all brackets at once (one call of ``f``
    per halving). Sixty halvings shrink a bracket by ``2^60 ~ 1e18``, to the spacing of
    floats for any practical grid. Zeros closer together than the grid spacing may be
    missed.

    Parameters
    ----------
    f : callable
        ``f(x) -> (k,)`` for ``x`` of shape (k,), vectorised.
    grid : ndarray, shape (m,)
        Increasing.
    values : ndarray, shape (m,), optional
        ``f(grid)``, if already computed.
    n_bisect : int
        Halvings of each bracket.

    Returns
    -------
    falling : ndarray
        Zeros where ``f`` goes from + to -, increasing.
    rising : ndarray
        Zeros where ``f`` goes from - to +, increasing.
    """
    values = f(grid) if values is None else values
    brackets = sign_changes(values)
    sign = np.sign(values[brackets])  # sign * f > 0 at lo; at hi, <= 0
    lo, hi = grid[brackets], grid[brackets + 1]
    if brackets.size:
        for _ in range(n_bisect):
            mid = 0.5 * (lo + hi)
            keep_hi = sign * f(mid) > 0
            lo = np.where(keep_hi, mid, lo)
            hi = np.where(keep_hi, hi, mid)
    roots = 0.5 * (lo + hi)
    return roots[sign > 0], roots[sign < 0]


# Points count as "where there is data" when p >= DATA_LEVEL * max p.
DATA_LEVEL = 1e-2


def data_mask(p, level=DATA_LEVEL):
    """Where there is data: ``p >= level * max p``, for density values ``p`` (m,)."""
    return p >= level * np.max(p)
