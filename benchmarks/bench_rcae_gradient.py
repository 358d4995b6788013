"""rCAE loss and gradient: closed-form Jacobian penalty against the alternatives.

Part 1 (d = 2, n_hidden = 256, N = 1000 points, tanh, untied): one evaluation of the
rCAE loss and its gradient with respect to all parameters, computed

- with autograd through ``raetut.make_objective(model, "rcae", lam)``, i.e. the
  closed-form penalty ``Autoencoder.jacobian_sq_norm`` sharing the hidden layer with
  the reconstruction (the baseline);
- with autograd through a per-point ``autograd.jacobian`` (the naive way; it is slow,
  so only a few points are timed and the time is scaled to N);
- by a hand-written NumPy gradient (checked against autograd first);
- with PyTorch and JAX on the CPU, if they are installed (rows skipped otherwise).

Part 2: the two closed forms of the penalty, per-sample sums (cost N H d^2) and the
Gram form (cost N H^2), for several (d, n_hidden) (the loss built from
``raetut.rcae_loss`` with ``jacobian_sq_norm(..., method=...)``).

Run: ``.venv/bin/python benchmarks/bench_rcae_gradient.py``
"""

import importlib.util

import autograd.numpy as anp
import numpy as np
from _timing import print_table, ratio_summary, shuffled_rounds
from autograd import jacobian, value_and_grad

import raetut as rt

LAM = 0.1
N_POINTS = 1000
N_PER_POINT = 10  # points timed for the per-point autograd.jacobian version


def rcae_objective(model, X, method):
    def loss(params):
        return rt.rcae_loss(
            lambda Z: model.reconstruct(params, Z),
            lambda Z: model.jacobian_sq_norm(params, Z, method=method),
            X,
            LAM,
        )

    return value_and_grad(loss)


def per_point_jacobian_objective(model, X):
    """The rCAE loss with the penalty from one autograd.jacobian call per point."""

    def loss(params):
        def r_single(x):
            return model.reconstruct(params, anp.reshape(x, (1, -1)))[0]

        penalty = 0.0
        for x in X:
            penalty = penalty + anp.sum(jacobian(r_single)(x) ** 2)
        error = anp.sum((model.reconstruct(params, X) - X) ** 2)
        return (error + LAM * penalty) / X.shape[0]

    return value_and_grad(loss)


def numpy_rcae_loss_and_grad(model, params, X):
    """Hand-derived loss and gradient (untied, tanh), per-sample form of the penalty."""
    d, H = model.dim, model.n_hidden
    n = X.shape[0]
    W = params[: H * d].reshape(H, d)
    b = params[H * d : H * d + H]
    V = params[H * d + H : 2 * H * d + H].reshape(H, d)
    c = params[-d:]
    hidden = np.tanh(X @ W.T + b)
    slope = 1.0 - hidden**2
    error = hidden @ V + c - X
    outer = (V[:, :, None] * W[:, None, :]).reshape(H, d * d)
    J = slope @ outer  # (n, d*d): the flattened Jacobians
    loss = (np.sum(error**2) + LAM * np.sum(J**2)) / n

    d_error = (2.0 / n) * error
    d_J = (2.0 * LAM / n) * J
    d_outer = (slope.T @ d_J).reshape(H, d, d)
    d_slope = d_J @ outer.T
    dV = hidden.T @ d_error + np.einsum("kij,kj->ki", d_outer, W)
    dW = np.einsum("kij,ki->kj", d_outer, V)
    # tanh: h' = 1 - h^2 and h'' = -2 h h'.
    d_pre = (d_error @ V.T) * slope - 2.0 * d_slope * hidden * slope
    dW = dW + d_pre.T @ X
    grad = np.concatenate([dW.ravel(), d_pre.sum(axis=0), dV.ravel(), d_error.sum(axis=0)])
    return loss, grad


def torch_version(model, params, X):
    import torch

    d, H = model.dim, model.n_hidden
    p = torch.tensor(params, dtype=torch.float64, requires_grad=True)
    Xt = torch.tensor(X, dtype=torch.float64)

    def run():
        W = p[: H * d].reshape(H, d)
        b = p[H * d : H * d + H]
        V = p[H * d + H : 2 * H * d + H].reshape(H, d)
        c = p[-d:]
        hidden = torch.tanh(Xt @ W.T + b)
        J = (1 - hidden**2) @ (V[:, :, None] * W[:, None, :]).reshape(H, d * d)
        loss = (((hidden @ V + c - Xt) ** 2).sum() + LAM * (J**2).sum()) / Xt.shape[0]
        (grad,) = torch.autograd.grad(loss, p)
        return loss.item(), grad.numpy()

    return run


def jax_version(model, params, X):
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    d, H = model.dim, model.n_hidden

    def loss(p, X):
        W = p[: H * d].reshape(H, d)
        b = p[H * d : H * d + H]
        V = p[H * d + H : 2 * H * d + H].reshape(H, d)
        c = p[-d:]
        hidden = jnp.tanh(X @ W.T + b)
        J = (1 - hidden**2) @ (V[:, :, None] * W[:, None, :]).reshape(H, d * d)
        return (jnp.sum((hidden @ V + c - X) ** 2) + LAM * jnp.sum(J**2)) / X.shape[0]

    f = jax.jit(jax.value_and_grad(loss))
    p, Xj = jnp.asarray(params), jnp.asarray(X)
    f(p, Xj)[1].block_until_ready()  # compile outside the timing

    def run():
        value, grad = f(p, Xj)
        return float(value), np.asarray(grad.block_until_ready())

    return run


def part_one(rng):
    d, H = 2, 256
    model = rt.Autoencoder(d, H, activation="tanh")
    X = rng.standard_normal((N_POINTS, d))
    params = model.init_params(rng, X)

    objective = value_and_grad(rt.make_objective(model, "rcae", lam=LAM))

    def closed(params):
        return objective(params, X)

    value, gradient = closed(params)
    np_value, np_gradient = numpy_rcae_loss_and_grad(model, params, X)
    assert abs(np_value - value) <= 1e-12 * abs(value)
    assert np.max(np.abs(np_gradient - gradient)) <= 1e-10 * np.max(np.abs(gradient))
    few = X[:N_PER_POINT]
    few_value, few_gradient = per_point_jacobian_objective(model, few)(params)
    check_value, check_gradient = rcae_objective(model, few, "auto")(params)
    assert abs(few_value - check_value) <= 1e-12 * abs(check_value)
    assert np.allclose(few_gradient, check_gradient, rtol=1e-9, atol=1e-12)

    implementations = {
        "autograd, closed-form penalty": lambda: closed(params),
        "hand-written NumPy gradient": lambda: numpy_rcae_loss_and_grad(model, params, X),
    }
    notes = []
    others = (("PyTorch", "torch", torch_version), ("JAX jit", "jax", jax_version))
    for name, module, build in others:
        if importlib.util.find_spec(module) is None:
            notes.append(f"{name}: not installed, row skipped")
            continue
        run = build(model, params, X)
        other_value, other_gradient = run()
        assert np.isclose(other_value, value, rtol=1e-10)
        assert np.allclose(other_gradient, gradient, rtol=1e-8, atol=1e-12)
        implementations[f"{name} (CPU, float64)"] = run
    per_point = per_point_jacobian_objective(model, few)
    implementations["per-point"] = lambda: per_point(params)
    times = shuffled_rounds(implementations, n_rounds=7, repeat=5, rng=rng)
    scaled_name = f"autograd.jacobian per point (timed on {N_PER_POINT}, scaled to {N_POINTS})"
    times[scaled_name] = times.pop("per-point") * (N_POINTS / N_PER_POINT)

    baseline = "autograd, closed-form penalty"
    rows = []
    for name, t in times.items():
        median, low, high = ratio_summary(times, name, baseline)
        rows.append([name, f"{1e3 * np.median(t):.2f}", f"{median:.3g}", f"{low:.3g}-{high:.3g}"])
    print(f"Part 1: rCAE loss + gradient, d={d}, n_hidden={H}, N={N_POINTS}, tanh, untied")
    print_table(["implementation", "median ms", "ratio to baseline", "per-round range"], rows)
    for note in notes:
        print(f"  note: {note}")
    speedup = ratio_summary(times, scaled_name, baseline)
    print(
        f"  closed form is {speedup[0]:.0f}x faster than per-point autograd.jacobian "
        f"(per-round range {speedup[1]:.0f}-{speedup[2]:.0f}x; target >= 100x)"
    )
    print()


def part_two(rng):
    rows = []
    for d, H in ((2, 256), (2, 1024), (8, 256), (16, 256), (32, 256)):
        model = rt.Autoencoder(d, H, activation="tanh")
        X = rng.standard_normal((N_POINTS, d))
        params = model.init_params(rng, X)
        per_sample = rcae_objective(model, X, "per_sample")
        gram = rcae_objective(model, X, "gram")
        assert np.isclose(per_sample(params)[0], gram(params)[0], rtol=1e-12)
        implementations = {
            "per_sample": lambda f=per_sample, p=params: f(p),
            "gram": lambda f=gram, p=params: f(p),
        }
        times = shuffled_rounds(
            implementations,
            n_rounds=7,
            repeat=3,
            rng=rng,
        )
        median, low, high = ratio_summary(times, "gram", "per_sample")
        auto = "per_sample" if d * d <= H else "gram"
        faster = "per_sample" if median > 1 else "gram"
        rows.append(
            [
                f"{d}",
                f"{H}",
                f"{1e3 * np.median(times['per_sample']):.2f}",
                f"{1e3 * np.median(times['gram']):.2f}",
                f"{median:.3g} ({low:.3g}-{high:.3g})",
                faster,
                auto,
            ]
        )
    print(f"Part 2: penalty formulations, rCAE loss + gradient with autograd, N={N_POINTS}")
    print_table(
        ["d", "n_hidden", "per-sample ms", "Gram ms", "Gram / per-sample", "faster", "auto picks"],
        rows,
    )


def main():
    rng = np.random.default_rng(0)
    part_one(rng)
    part_two(rng)


if __name__ == "__main__":
    main()
