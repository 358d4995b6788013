"""Wall time of ``raetut.fit`` on 10^4 points, and the cost of one loss + gradient.

For 1-D and 2-D data (a Gaussian mixture, 10 000 points) and a tanh auto-encoder of
several widths: the median time of one objective + gradient evaluation (DAE with
fixed noise, rCAE), the share of it spent in the criteria's input validation, and
the wall time of a full fit (200 L-BFGS iterations; 500 full-batch Adam steps).

Run: ``.venv/bin/python benchmarks/bench_training.py``
"""

import time

import numpy as np
from _timing import print_table, time_call
from autograd import value_and_grad

import raetut as rt
from raetut._validation import as_points

N_POINTS = 10_000


def data(dim, rng):
    if dim == 1:
        density = rt.GaussianMixture([0.4, 0.6], [-1.0, 1.5], [0.25, 0.36])
    else:
        density = rt.GaussianMixture(
            [0.5, 0.5], [[-1.0, 0.0], [1.0, 0.5]], [np.eye(2) * 0.3, np.eye(2) * 0.2]
        )
    return density.sample(N_POINTS, rng)


def measure(dim, n_hidden, rng):
    """One row of the table: per-call costs and full-fit wall times."""
    X = data(dim, rng)
    model = rt.Autoencoder(dim, n_hidden, activation="tanh")
    params = model.init_params(rng, X)
    noise = rng.standard_normal((1,) + X.shape)
    dae = value_and_grad(rt.make_objective(model, "dae", sigma=0.1))
    rcae = value_and_grad(rt.make_objective(model, "rcae", lam=0.01))
    t_dae = time_call(lambda: dae(params, X, noise), 7)
    t_rcae = time_call(lambda: rcae(params, X), 7)

    def input_checks():
        # Repeated at every evaluation: the criteria validate X (and the DAE its noise),
        # the model validates the points and the parameters.
        as_points(X)
        np.all(np.isfinite(noise))
        model.check_points(X)
        model.check_params(params)

    t_check = time_call(input_checks, 50)
    start = time.perf_counter()
    fitted = rt.fit(model, X, sigma=0.1, rng=rng, n_iter=200, progress=False)
    t_lbfgs = time.perf_counter() - start
    start = time.perf_counter()
    rt.fit(model, X, sigma=0.1, rng=rng, optimizer="adam", n_iter=500, progress=False)
    t_adam = time.perf_counter() - start
    return [
        f"{dim}",
        f"{n_hidden}",
        f"{1e3 * t_dae:.1f}",
        f"{1e3 * t_rcae:.1f}",
        f"{100 * t_check / t_dae:.2f}%",
        f"{t_lbfgs:.1f} ({fitted.n_iter} it.)",
        f"{t_adam:.1f}",
    ]


def main():
    rng = np.random.default_rng(0)
    rows = [measure(dim, n_hidden, rng) for dim, n_hidden in ((1, 32), (2, 64), (2, 256))]
    print(f"Training on N={N_POINTS} points, tanh, untied")
    print_table(
        [
            "d",
            "n_hidden",
            "DAE loss+grad ms",
            "rCAE loss+grad ms",
            "input checks / DAE call",
            "L-BFGS 200 it. s",
            "Adam 500 steps s",
        ],
        rows,
    )


if __name__ == "__main__":
    main()
