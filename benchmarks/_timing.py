"""Timing in shuffled rounds, shared by the benchmark scripts.

On these virtual machines freshly allocated memory is expensive and its cost depends
on what ran just before, so whichever implementation runs first in a round can look
up to twice as slow. Every round therefore runs the implementations in a new random
order; we report the median over rounds and the per-round ratios to a baseline.
Differences within about +-30% should be read as ties.
"""

import time

import numpy as np


def time_call(f, repeat):
    """Median wall time of ``repeat`` calls of ``f()``, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def shuffled_rounds(implementations, n_rounds, repeat, rng):
    """Time each implementation in ``n_rounds`` rounds, in a fresh random order each round.

    Parameters
    ----------
    implementations : dict
        name -> callable taking no argument.
    n_rounds, repeat : int
        Rounds, and calls per implementation per round (their median is the round's time).
    rng : numpy.random.Generator
        Draws the order of each round.

    Returns
    -------
    dict
        name -> ndarray, shape (n_rounds,), seconds per call in each round.
    """
    names = list(implementations)
    times = {name: np.empty(n_rounds) for name in names}
    for k in range(n_rounds):
        for i in rng.permutation(len(names)):
            name = names[i]
            times[name][k] = time_call(implementations[name], repeat)
    return times


def ratio_summary(times, name, baseline):
    """Median of the per-round ratios ``times[name] / times[baseline]`` and their range."""
    ratios = times[name] / times[baseline]
    return float(np.median(ratios)), float(ratios.min()), float(ratios.max())


def print_table(header, rows):
    """Print rows (sequences of strings) as an aligned plain-text table."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    print(line.format(*header))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line.format(*row))
