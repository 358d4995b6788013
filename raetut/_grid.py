"""Grids: trapezoid weights and integrals, sign changes, where there is data."""

import numpy as np

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


def sign_changes(values):
    """Indices ``i`` where ``values[i]`` and ``values[i + 1]`` have opposite signs (or one is 0).

    Parameters
    ----------
    values : ndarray, shape (m,)

    Returns
    -------
    ndarray of int
        Each bracket ``[i, i + 1]`` holding a zero; a zero at a grid point counts once.
    """
    positive = values > 0
    return np.flatnonzero(positive[:-1] != positive[1:])


def data_mask(p, level):
    """Where there is data: ``p >= level * max p``, for density values ``p`` (m,)."""
    return p >= level * np.max(p)
