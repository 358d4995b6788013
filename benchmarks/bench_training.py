"""Training cost: one loss + gradient call, and the wall time of ``raetut.fit``.

**Per call.** The loss and its gradient with respect to all parameters (untied tanh
auto-encoder, N points of a Gaussian mixture; DAE with one fixed corruption per point at
sigma 0.1, rCAE at lam 0.01), three ways:

- *composition*: autograd through ``raetut.make_objective`` (the criteria and the model);
- *fused*: autograd through the fused primitive that ``raetut.fit`` uses
  (``raetut._fused``: the gradient derived by hand, validated inputs);
- *NumPy*: a hand-written NumPy loss and gradient (below, no validation, no autograd),
  the rCAE penalty in its cheaper closed form (per-sample when d^2 <= H, Gram otherwise);
- *NumPy, blocked*: the same summed over blocks of 2**16 / H rows, whose (rows, H)
  temporaries stay in a 2 MB cache (fresh large arrays are expensive here: 3-6x at
  N = 1e4); the fused primitive does the same.

Target: fused within 1.2x of the faster NumPy form for N in {1e3, 1e4}, d in {1, 2, 10}, H in
{32, 256, 1024}. The settings with N * H * max(d^2, ...) too large for a short run
(N = 1e4 with H = 1024) are skipped with a printed note.

**End to end.** 200 L-BFGS iterations of the DAE on 10^4 points (d = 1, H = 32 and
d = 2, H = 256) with ``raetut.fit`` on the fused path (the default) and on the old path
(``raetut.training._USE_FUSED = False``: autograd through the composition), from the
same seed. Target: the fused path at least 1.3x faster.

Timings in shuffled rounds (``_timing.py``): medians and per-round ratio ranges.

Run: ``OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_training.py``
"""

import numpy as np
from _timing import print_table, ratio_summary, shuffled_rounds
from autograd import value_and_grad

import raetut as rt
from raetut import training
from raetut._fused import fused_objective

SIGMA, LAM = 0.1, 0.01
BLOCK_DOUBLES = 2**16  # as raetut._fused: rows per block = BLOCK_DOUBLES // H
SIZES, DIMS, WIDTHS = (1_000, 10_000), (1, 2, 10), (32, 256, 1024)


def skipped(n, d, n_hidden):
    """Settings left out of the per-call table (too slow for a short run)."""
    return n >= 10_000 and n_hidden >= 1024


def numpy_loss_and_grad(d, H, params, Z, T, lam):
    """Hand-written loss and gradient, untied tanh; ``lam = 0`` is the DAE on ``Z = T + noise``."""
    n = Z.shape[0]
    W = params[: H * d].reshape(H, d)
    b = params[H * d : H * d + H]
    V = params[H * d + H : 2 * H * d + H].reshape(H, d)
    c = params[-d:]
    hidden = np.tanh(Z @ W.T + b)
    slope = 1.0 - hidden**2
    error = hidden @ V + c - T
    loss = np.sum(error**2) / n
    d_error = (2.0 / n) * error
    dV = hidden.T @ d_error
    d_pre = (d_error @ V.T) * slope
    dW = np.zeros((H, d))
    if lam > 0:
        if d * d <= H:
            outer = (V[:, :, None] * W[:, None, :]).reshape(H, d * d)
            J = slope @ outer
            loss += lam * np.sum(J**2) / n
            d_J = (2.0 * lam / n) * J
            d_outer = (slope.T @ d_J).reshape(H, d, d)
            d_slope = d_J @ outer.T
            dV += np.einsum("kij,kj->ki", d_outer, W)
            dW += np.einsum("kij,ki->kj", d_outer, V)
        else:
            vv, ww = V @ V.T, W @ W.T
            sg = slope @ (vv * ww)
            loss += lam * np.sum(sg * slope) / n
            q = (lam / n) * (slope.T @ slope)
            dV += 2.0 * (q * ww) @ V
            dW += 2.0 * (q * vv) @ W
            d_slope = (2.0 * lam / n) * sg
        d_pre -= 2.0 * d_slope * hidden * slope  # tanh: h'' = -2 h h'
    dW += d_pre.T @ Z
    grad = np.concatenate([dW.ravel(), d_pre.sum(axis=0), dV.ravel(), d_error.sum(axis=0)])
    return loss, grad


def numpy_blocked(d, H, params, Z, T, lam, rows):
    """The same, summed over blocks of ``rows`` rows (the temporaries stay in cache)."""
    n = Z.shape[0]
    loss, grad = 0.0, 0.0
    for i in range(0, n, rows):
        value, g = numpy_loss_and_grad(d, H, params, Z[i : i + rows], T[i : i + rows], lam)
        share = Z[i : i + rows].shape[0] / n
        loss, grad = loss + share * value, grad + share * g
    return loss, grad


def data(dim, n, rng):
    if dim == 1:
        density = rt.GaussianMixture([0.4, 0.6], [-1.0, 1.5], [0.25, 0.36])
        return density.sample(n, rng)
    means = np.zeros((2, dim))
    means[0, 0], means[1, 0] = -1.0, 1.0
    density = rt.GaussianMixture([0.5, 0.5], means, [np.eye(dim) * 0.3, np.eye(dim) * 0.2])
    return density.sample(n, rng)


def per_call(n, d, H, rng):
    X = data(d, n, rng)
    model = rt.Autoencoder(d, H, activation="tanh")
    params = model.init_params(rng, X)
    noise = rng.standard_normal((1,) + X.shape)
    Z = X + SIGMA * noise[0]
    rows = []
    for criterion, kwargs, Zc, lam in (("dae", {"sigma": SIGMA}, Z, 0.0),
                                       ("rcae", {"lam": LAM}, X, LAM)):
        composition = value_and_grad(rt.make_objective(model, criterion, **kwargs))
        fused = fused_objective(model, criterion, **kwargs).loss_and_grad  # as fit calls it
        v_ref, g_ref = composition(params, X, noise)
        v_np, g_np = numpy_loss_and_grad(d, H, params, Zc, X, lam)
        assert np.isclose(v_np, v_ref, rtol=1e-10) and np.allclose(g_np, g_ref, rtol=1e-7,
                                                                    atol=1e-10 * abs(g_ref).max())
        v_bl, g_bl = numpy_blocked(d, H, params, Zc, X, lam, BLOCK_DOUBLES // H)
        assert np.isclose(v_bl, v_ref, rtol=1e-10) and np.allclose(g_bl, g_ref, rtol=1e-7,
                                                                    atol=1e-10 * abs(g_ref).max())
        implementations = {
            "composition": lambda c=composition: c(params, X, noise),
            "fused": lambda f=fused: f(params, X, noise),
            "NumPy": lambda Zc=Zc, lam=lam: numpy_loss_and_grad(d, H, params, Zc, X, lam),
            "NumPy, blocked": lambda Zc=Zc, lam=lam: numpy_blocked(d, H, params, Zc, X, lam,
                                                                   BLOCK_DOUBLES // H),
        }
        times = shuffled_rounds(implementations, n_rounds=5, repeat=3, rng=rng)
        best = min(("NumPy", "NumPy, blocked"), key=lambda name: np.median(times[name]))
        fused_ratio = ratio_summary(times, "fused", best)
        comp_ratio = ratio_summary(times, "composition", best)
        rows.append([criterion, f"{n:.0e}", f"{d}", f"{H}",
                     f"{1e3 * np.median(times['NumPy']):.2f}",
                     f"{1e3 * np.median(times['NumPy, blocked']):.2f}",
                     f"{1e3 * np.median(times['fused']):.2f}",
                     f"{1e3 * np.median(times['composition']):.2f}",
                     f"{fused_ratio[0]:.2f} ({fused_ratio[1]:.2f}-{fused_ratio[2]:.2f})",
                     f"{comp_ratio[0]:.2f} ({comp_ratio[1]:.2f}-{comp_ratio[2]:.2f})"])
    return rows


def end_to_end(d, H, rng):
    X = data(d, 10_000, rng)
    model = rt.Autoencoder(d, H, activation="tanh")
    results = {}

    def run(fused):
        def go():
            training._USE_FUSED = fused
            try:
                results[fused] = rt.fit(model, X, sigma=SIGMA, rng=np.random.default_rng(1),
                                        n_iter=200, progress=False)
            finally:
                training._USE_FUSED = True
        return go

    times = shuffled_rounds({"old path": run(False), "fused": run(True)}, n_rounds=3,
                            repeat=1, rng=rng)
    speedup = ratio_summary(times, "old path", "fused")
    old, new = results[False], results[True]
    return [f"{d}", f"{H}", f"{np.median(times['old path']):.2f}",
            f"{np.median(times['fused']):.2f}",
            f"{speedup[0]:.2f} ({speedup[1]:.2f}-{speedup[2]:.2f})",
            f"{old.n_iter} / {new.n_iter}",
            f"{abs(new.loss_history[-1] - old.loss_history[-1]) / old.loss_history[-1]:.1e}"]


def main():
    rng = np.random.default_rng(0)
    rows = []
    for n in SIZES:
        for d in DIMS:
            for H in WIDTHS:
                if skipped(n, d, H):
                    print(f"skipped: N={n}, d={d}, H={H} (too slow for a short run)")
                    continue
                rows += per_call(n, d, H, rng)
    print("Loss + gradient per call, untied tanh, 5 shuffled rounds of 3 calls; "
          "ratios to the faster NumPy form: median (per-round range)")
    print_table(["criterion", "N", "d", "H", "NumPy ms", "NumPy blocked ms", "fused ms",
                 "composition ms", "fused / best NumPy", "composition / best NumPy"], rows)
    print("target: fused / best NumPy <= 1.2 (best: the faster of the two NumPy forms)")
    print()
    rows = [end_to_end(d, H, rng) for d, H in ((1, 32), (2, 256))]
    print("fit(): DAE, 10^4 points, 200 L-BFGS iterations, 3 shuffled rounds")
    print_table(["d", "H", "old path s", "fused s", "speed-up: median (range)",
                 "iterations old / new", "final loss rel. diff"], rows)
    print("target: speed-up >= 1.3")


if __name__ == "__main__":
    main()
