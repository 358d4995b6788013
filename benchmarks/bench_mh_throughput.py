"""Throughput of approximate Metropolis–Hastings driven by an auto-encoder.

Random-walk MH with log-density ratios by the line integral of a tanh auto-encoder's
field (``n_nodes`` Gauss–Legendre nodes), in three settings: small (d = 1, H = 32),
the book's (d = 2, H = 256) and large (d = 10, H = 1024), 1000 chains, 8 nodes.
``raetut.metropolis_hastings`` with ``raetut.line_integral_log_ratio`` is timed against
plain NumPy loops that do the same arithmetic with no validation and no function
boundaries, written three ways:

- *batched*: the network on all ``n_nodes * n`` points at once (one large product);
- *node at a time*: one call per node, on the ``n`` chains;
- *blocks of 256*: one call per node and slice of 256 chains.

Which is fastest depends on whether the hidden activations (points × H doubles) stay in
cache. Target: raetut within 1.2× of the fastest plain loop in every setting. The script
first checks that raetut's chains equal the batched loop's (the log-ratios differ only by
round-off, so an acceptance could in principle flip; it reports how many states differ).

Run: ``OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_mh_throughput.py``
"""

import numpy as np
from _timing import print_table, ratio_summary, shuffled_rounds

import raetut as rt

SETTINGS = [(1, 32), (2, 256), (10, 1024)]  # (d, H)
N_CHAINS, N_NODES = 1000, 8
SIGMA, STEP_SIZE, N_STEPS = 0.3, 0.5, 20


def plain_loop(W, b, V, c, x0, n_steps, step_size, sigma, n_nodes, rng, block):
    """Random-walk MH with the line-integral log-ratio in plain NumPy.

    ``block`` is the number of chains per network call (``None``: all nodes in one call).
    """
    nodes, weights = np.polynomial.legendre.leggauss(n_nodes)
    t, w = 0.5 * (nodes + 1.0), 0.5 * weights / sigma**2
    n, d = x0.shape
    x = x0.copy()
    samples = np.empty((n_steps, n, d))
    for k in range(n_steps):
        proposal = x + step_size * rng.standard_normal(x.shape)
        delta = proposal - x
        if block is None:
            Z = (x[None] + t[:, None, None] * delta[None]).reshape(n_nodes * n, d)
            R = np.dot(np.tanh(np.dot(Z, W.T) + b), V) + c
            log_alpha = w @ np.einsum("knd,nd->kn", (R - Z).reshape(n_nodes, n, d), delta)
        else:
            log_alpha = np.zeros(n)
            for j in range(n_nodes):
                for i in range(0, n, block):
                    Z = x[i : i + block] + t[j] * delta[i : i + block]
                    R = np.dot(np.tanh(np.dot(Z, W.T) + b), V) + c
                    log_alpha[i : i + block] += w[j] * np.einsum(
                        "nd,nd->n", R - Z, delta[i : i + block])
        accepted = np.log1p(-rng.random(n)) < log_alpha
        x = np.where(accepted[:, None], proposal, x)
        samples[k] = x
    return samples


def compare(d, n_hidden, rng):
    model = rt.Autoencoder(d, n_hidden, activation="tanh")
    params = model.init_params(rng)
    parts = model.unpack(params)
    x0 = rng.standard_normal((N_CHAINS, d))
    log_ratio = rt.line_integral_log_ratio(lambda X: model.reconstruct(params, X), SIGMA,
                                           n_nodes=N_NODES)

    def library(seed=1):
        return rt.metropolis_hastings(log_ratio, x0, N_STEPS, STEP_SIZE,
                                      np.random.default_rng(seed)).samples

    def plain(block):
        return lambda seed=1: plain_loop(parts["W"], parts["b"], parts["V"], parts["c"], x0,
                                         N_STEPS, STEP_SIZE, SIGMA, N_NODES,
                                         np.random.default_rng(seed), block)

    different = int(np.sum(np.any(library() != plain(None)(), axis=-1)))
    print(f"d={d}, H={n_hidden}: states that differ between raetut and the batched loop: "
          f"{different} of {N_STEPS * N_CHAINS}")
    implementations = {"raetut": library, "plain, batched": plain(None),
                       "plain, node at a time": plain(N_CHAINS),
                       "plain, blocks of 256": plain(256)}
    times = shuffled_rounds(implementations, n_rounds=7, repeat=1, rng=rng)
    fastest = min((name for name in times if name != "raetut"),
                  key=lambda name: np.median(times[name]))
    rows = []
    for name, t in times.items():
        median, low, high = ratio_summary(times, name, fastest)
        rows.append([f"d={d}, H={n_hidden}", name, f"{np.median(t):.3f}",
                     f"{N_STEPS * N_CHAINS / np.median(t):,.0f}", f"{median:.2f}",
                     f"{low:.2f}-{high:.2f}"])
    return rows, ratio_summary(times, "raetut", fastest)[0]


def main():
    rng = np.random.default_rng(0)
    rows, ratios = [], []
    for d, n_hidden in SETTINGS:
        setting_rows, ratio = compare(d, n_hidden, rng)
        rows += setting_rows
        ratios.append(ratio)
    print(f"Approximate MH: {N_CHAINS} chains, n_nodes={N_NODES}, {N_STEPS} steps per run, "
          "7 shuffled rounds")
    print_table(["setting", "implementation", "median s / run", "proposals / s",
                 "ratio to fastest plain", "per-round range"], rows)
    print("raetut / fastest plain loop: " + ", ".join(
        f"{r:.2f} (d={d}, H={h})" for r, (d, h) in zip(ratios, SETTINGS, strict=True)))
    print("target: <= 1.2 in every setting")


if __name__ == "__main__":
    main()
