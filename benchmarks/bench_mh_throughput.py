"""Throughput of approximate Metropolis–Hastings driven by an auto-encoder.

Setting: d = 2, a tanh auto-encoder with n_hidden = 256, 1000 chains, log-density
ratios by the line integral with n_nodes = 8 Gauss–Legendre nodes (so each step
evaluates the network on 8000 points). We time ``raetut.metropolis_hastings`` with
``raetut.line_integral_log_ratio`` against a bare NumPy loop doing the same
arithmetic with no validation and no function boundaries, and check first that both
produce bit-identical chains from the same seed. Target: ratio <= 1.5.

Run: ``.venv/bin/python benchmarks/bench_mh_throughput.py``
"""

import numpy as np
from _timing import print_table, ratio_summary, shuffled_rounds

import raetut as rt

D, N_HIDDEN, N_CHAINS, N_NODES = 2, 256, 1000, 8
SIGMA, STEP_SIZE, N_STEPS = 0.3, 0.5, 30


def bare_loop(W, b, V, c, x0, n_steps, step_size, sigma, n_nodes, rng):
    """Random-walk MH with the line-integral log-ratio, written out in plain NumPy."""
    nodes, weights = np.polynomial.legendre.leggauss(n_nodes)
    t, w = 0.5 * (nodes + 1.0), 0.5 * weights / sigma**2
    n, d = x0.shape
    x = x0.copy()
    samples = np.empty((n_steps, n, d))
    for k in range(n_steps):
        proposal = x + step_size * rng.standard_normal(x.shape)
        delta = proposal - x
        Z = (x[None] + t[:, None, None] * delta[None]).reshape(n_nodes * n, d)
        R = np.dot(np.tanh(np.dot(Z, W.T) + b), V) + c
        log_alpha = w @ np.einsum("knd,nd->kn", (R - Z).reshape(n_nodes, n, d), delta)
        accepted = np.log1p(-rng.random(n)) < log_alpha
        x = np.where(accepted[:, None], proposal, x)
        samples[k] = x
    return samples


def main():
    rng = np.random.default_rng(0)
    model = rt.Autoencoder(D, N_HIDDEN, activation="tanh")
    params = model.init_params(rng)
    parts = model.unpack(params)
    x0 = rng.standard_normal((N_CHAINS, D))
    log_ratio = rt.line_integral_log_ratio(
        lambda X: model.reconstruct(params, X), SIGMA, n_nodes=N_NODES
    )

    def library(seed=1):
        return rt.metropolis_hastings(
            log_ratio, x0, N_STEPS, STEP_SIZE, np.random.default_rng(seed)
        ).samples

    def bare(seed=1):
        return bare_loop(
            parts["W"], parts["b"], parts["V"], parts["c"], x0, N_STEPS, STEP_SIZE, SIGMA,
            N_NODES, np.random.default_rng(seed),
        )

    same = np.array_equal(library(), bare())
    print(f"library and bare loop give bit-identical chains from the same seed: {same}")
    assert same

    times = shuffled_rounds(
        {"raetut.metropolis_hastings": library, "bare NumPy loop": bare},
        n_rounds=7,
        repeat=1,
        rng=rng,
    )
    proposals = N_STEPS * N_CHAINS
    rows = []
    for name, t in times.items():
        median, low, high = ratio_summary(times, name, "bare NumPy loop")
        rows.append(
            [name, f"{np.median(t):.3f}", f"{proposals / np.median(t):,.0f}",
             f"{median:.3f}", f"{low:.3f}-{high:.3f}"]
        )
    print(
        f"Approximate MH: d={D}, n_hidden={N_HIDDEN}, {N_CHAINS} chains, n_nodes={N_NODES}, "
        f"{N_STEPS} steps per run ({proposals} proposals), 7 shuffled rounds"
    )
    print_table(
        ["implementation", "median s / run", "proposals / s", "ratio to bare", "per-round range"],
        rows,
    )
    print("target: ratio to the bare loop <= 1.5")


if __name__ == "__main__":
    main()
