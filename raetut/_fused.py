"""The DAE, rCAE and CAE training objectives as single autograd primitives.

:func:`raetut.make_objective` composes the criteria of :mod:`raetut.criteria` with the
model's methods, so that autograd differentiates them operation by operation (about 6 µs
of tracing per operation, a floor of about 0.4 ms per call). Here each objective is one
primitive whose forward pass computes the loss and its gradient with respect to the flat
parameter vector in plain NumPy, by the hand-derived formulas below; :func:`raetut.fit`
uses it for the cases it covers. The value and gradient agree with the composition's to
round-off (tests/test_fused.py).

Notation: ``A = Z W^T + b``, ``Hh = h(A)``, ``S = h'(A)``, ``R = Hh V + c`` and
``E = R - T`` (``T`` the clean targets), ``N`` the number of rows.

- reconstruction term ``sum ||E||^2 / N``: ``G = 2 E / N``; ``dc = sum G``,
  ``dV = Hh^T G``, ``dHh = G V^T``;
- rCAE penalty ``lam / N sum ||V^T diag(S) W||_F^2``, per-sample form
  ``F = S M`` with ``M[k, (i, j)] = V_ki W_kj``: ``dF = 2 lam F / N``, ``dS = dF M^T``,
  ``dM = S^T dF``; Gram form ``s^T (VV^T o WW^T) s``: ``dS = 2 lam S Gm / N``,
  ``Q = lam S^T S / N``, ``dV = 2 (Q o WW^T) V``, ``dW = 2 (Q o VV^T) W``;
- CAE penalty ``lam / N sum_k S_k^2 ||w_k||^2``: ``dS = 2 lam S ||w||^2 / N``,
  ``dW = 2 (lam / N sum S^2) W``;
- through the activation: ``dA = dHh S + dS S'`` with ``S' = -2 Hh S`` (tanh) or
  ``S (1 - 2 Hh)`` (sigmoid); ``dW += dA^T Z``, ``db = sum dA``; tied: ``dW += dV``.
"""

import numpy as np
from autograd.extend import defvjp, primitive

__all__ = ["fused_objective"]

_FUSED_CRITERIA = ("dae", "rcae", "cae")


#: Rows per block: the objective is a sum over rows, evaluated block by block so that the
#: (rows, n_hidden) temporaries (a few of them, 2**16 doubles each) stay in a 2 MB cache.
_BLOCK_DOUBLES = 2**16


def _loss_and_grad(model, criterion, scale, weight_decay, params, X, noise):
    """Loss and gradient (flat, like ``params``) of one objective, in NumPy, by row blocks."""
    n = X.shape[0]
    m = 1 if noise is None else noise.shape[0]
    rows = max(1, _BLOCK_DOUBLES // (model.n_hidden * m))
    if n <= rows:  # one block: no accumulation
        loss, grad = _block_loss_and_grad(model, criterion, scale, params, X, noise, m * n)
    else:
        loss, grad = 0.0, np.zeros(model.n_params)
        for i in range(0, n, rows):
            block_noise = None if noise is None else noise[:, i : i + rows]
            value, g = _block_loss_and_grad(model, criterion, scale, params, X[i : i + rows],
                                            block_noise, m * n)
            loss += value
            grad += g
    if weight_decay > 0:
        masked = params * model.weight_mask()
        loss += weight_decay * np.sum(masked**2)
        grad += 2.0 * weight_decay * masked
    return float(loss), grad


def _block_loss_and_grad(model, criterion, scale, params, X, noise, N):
    """One block's share of the loss and gradient; ``N`` the rows of the whole objective."""
    d, H = model.dim, model.n_hidden
    nw = H * d
    W = params[:nw].reshape(H, d)
    b = params[nw : nw + H]
    V = W if model.tied else params[nw + H : 2 * nw + H].reshape(H, d)
    c = params[model.n_params - d :]
    if criterion == "dae":
        Z = (X[None] + scale * noise).reshape(-1, d)
        T = np.broadcast_to(X[None], noise.shape).reshape(-1, d)
    else:
        Z, T = X, X
    Hh = np.dot(Z, W.T)
    Hh += b
    if model.activation == "sigmoid":
        Hh *= 0.5
        np.tanh(Hh, out=Hh)
        Hh += 1.0
        Hh *= 0.5
        S = Hh * (1.0 - Hh)
    else:
        np.tanh(Hh, out=Hh)
        S = 1.0 - Hh**2
    E = np.dot(Hh, V)
    E += c
    E -= T
    loss = np.sum(E**2) / N
    G = E
    G *= 2.0 / N
    dc = G.sum(axis=0)
    dV = np.dot(Hh.T, G)
    dA = np.dot(G, V.T)
    dA *= S
    dW = np.zeros((H, d))
    if criterion != "dae" and scale > 0:
        lam = scale
        if criterion == "cae":
            wn = np.sum(W**2, axis=1)
            S2 = S**2
            loss += lam * np.dot(S2.sum(axis=0), wn) / N
            dW += (2.0 * lam / N) * S2.sum(axis=0)[:, None] * W
            dS = S * wn
            dS *= 2.0 * lam / N
        elif d * d <= H:  # per-sample form, as Autoencoder.jacobian_sq_norm's "auto"
            M = (V[:, :, None] * W[:, None, :]).reshape(H, d * d)
            F = np.dot(S, M)
            loss += lam * np.sum(F**2) / N
            F *= 2.0 * lam / N
            dS = np.dot(F, M.T)
            dM = np.dot(S.T, F).reshape(H, d, d)
            dV += np.einsum("kij,kj->ki", dM, W)
            dW += np.einsum("kij,ki->kj", dM, V)
        else:  # Gram form
            A1, A2 = np.dot(V, V.T), np.dot(W, W.T)
            SG = np.dot(S, A1 * A2)
            loss += lam * np.sum(SG * S) / N
            Q = np.dot(S.T, S) * (lam / N)
            dV += 2.0 * np.dot(Q * A2, V)
            dW += 2.0 * np.dot(Q * A1, W)
            dS = SG
            dS *= 2.0 * lam / N
        if model.activation == "sigmoid":
            dA += dS * S * (1.0 - 2.0 * Hh)
        else:
            dA -= 2.0 * dS * Hh * S
    dW += np.dot(dA.T, Z)
    db = dA.sum(axis=0)
    if model.tied:
        dW += dV
        grad = np.concatenate([dW.ravel(), db, dc])
    else:
        grad = np.concatenate([dW.ravel(), db, dV.ravel(), dc])
    return loss, grad


def fused_objective(model, criterion, sigma=None, lam=None, weight_decay=0.0):
    """``objective(params, X, noise=None)`` as one primitive, or None if not covered.

    ``objective.loss_and_grad(params, X, noise=None) -> (value, gradient)`` is the same
    computation called directly (no autograd tracing), as :func:`raetut.fit` uses it.

    Arguments as :func:`raetut.training.make_objective`'s (already validated there);
    covers ``"dae"``, ``"rcae"`` and ``"cae"``. ``X`` and ``noise`` are validated at every
    call, once; gradients flow with respect to ``params`` only.
    """
    if criterion not in _FUSED_CRITERIA:
        return None
    scale = sigma if criterion == "dae" else lam
    cache = {}

    def loss_and_grad(params, X, noise=None):
        params = model.check_params(params)
        X = model.check_points(X)
        if criterion == "dae":
            if noise is None:
                raise ValueError("the DAE objective needs noise (standard-normal draws)")
            noise = np.asarray(noise, dtype=float)
            if noise.shape == X.shape:
                noise = noise[None]
            if noise.ndim != 3 or noise.shape[1:] != X.shape:
                raise ValueError(f"noise must have shape {X.shape} or (m, {X.shape[0]}, "
                                 f"{X.shape[1]}); got {noise.shape}")
            if not np.all(np.isfinite(noise)):
                raise ValueError("noise contains NaN or infinite values")
        value, grad = _loss_and_grad(model, criterion, scale, weight_decay,
                                     np.asarray(params, dtype=float), X, noise)
        return np.float64(value), grad

    @primitive
    def objective_value(params, X, noise):
        value, grad = loss_and_grad(params, X, noise)
        cache["ans"], cache["grad"] = value, grad
        return value

    def vjp_params(ans, params, X, noise):
        if cache.get("ans") is ans:
            grad = cache["grad"]
        else:  # not the last forward call: recompute
            grad = _loss_and_grad(model, criterion, scale, weight_decay,
                                  np.asarray(params, dtype=float), model.check_points(X),
                                  noise if noise is None or np.ndim(noise) == 3
                                  else np.asarray(noise, dtype=float)[None])[1]
        return lambda g: g * grad

    defvjp(objective_value, vjp_params)

    def objective(params, X, noise=None):
        return objective_value(params, X, noise)

    # What fit() calls: the value and the gradient at once, without autograd's tracing.
    objective.loss_and_grad = loss_and_grad
    return objective
