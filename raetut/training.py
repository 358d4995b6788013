"""Fitting an auto-encoder to a training criterion.

The losses come from :mod:`raetut.criteria`; their gradients with respect to the
flat parameter vector come from ``autograd``. :func:`fit` trains the DAE, rCAE and CAE
through fused primitives (``raetut._fused``: the same loss, its gradient derived by hand
and computed in NumPy in one pass, equal to autograd's through :func:`make_objective` up
to round-off) and score matching through :func:`make_objective`. Two optimisers:

- ``"lbfgs"``: ``scipy.optimize.minimize(method="L-BFGS-B")`` on the full data set.
  It needs a deterministic objective, so the DAE corruptions are drawn once.
- ``"adam"``: Adam written in NumPy, full-batch or on minibatches; the DAE
  corruptions can be kept fixed or redrawn at every step.

Every random choice (initial parameters, corruptions, minibatches) is drawn from
the ``numpy.random.Generator`` passed in, so the same seed gives bit-identical
parameters.
"""

from dataclasses import dataclass

import autograd.numpy as anp
import numpy as np
from autograd import value_and_grad
from scipy.optimize import minimize

from . import criteria
from ._fused import fused_objective
from ._validation import (
    as_finite_array,
    as_points,
    check_rng,
    nonnegative_scalar,
    one_of,
    positive_int,
    positive_scalar,
    scale_parameter,
)
from .models import Autoencoder, jacobian_trace

__all__ = ["FitResult", "fit", "make_objective", "walkback_corruptions", "fit_walkback"]

_CRITERIA = ("dae", "rcae", "cae", "sm")
_OPTIMIZERS = ("lbfgs", "adam")
_NOISE_MODES = ("fixed", "resample")
_DEFAULT_N_ITER = {"lbfgs": 500, "adam": 2000}


@dataclass
class FitResult:
    """Outcome of :func:`fit`.

    Attributes
    ----------
    params : ndarray, shape (n_params,)
        The fitted parameters.
    loss_history : ndarray
        L-BFGS: shape (n_iter + 1,), the objective at the start and after each
        iteration. Adam: shape (n_iter,), the (minibatch) objective at each step,
        evaluated before that step's update.
    n_iter : int
        Iterations performed.
    optimizer : str
        ``"lbfgs"`` or ``"adam"``.
    message : str
        Why the optimiser stopped.
    """

    params: np.ndarray
    loss_history: np.ndarray
    n_iter: int
    optimizer: str
    message: str


#: Whether :func:`fit` uses the fused objectives where they exist (False: autograd through
#: :func:`make_objective` for every criterion; kept for comparisons such as the benchmarks').
_USE_FUSED = True


def make_objective(model, criterion, sigma=None, lam=None, weight_decay=0.0):
    """The training objective as a function of the parameters.

    Parameters
    ----------
    model : Autoencoder
    criterion : str
        ``"dae"``, ``"rcae"``, ``"cae"`` or ``"sm"`` (score matching of
        ``psi(x) = (r(x) - x) / lam``: Hyvarinen's ``E[||psi||^2 / 2 + div psi]``, with
        the divergence ``(tr J_r - d) / lam`` from the analytic Jacobian trace).
    sigma : float, optional
        Corruption level (DAE only).
    lam : float, optional
        Penalty weight (rCAE and CAE), or the scale of ``psi`` (score matching).
    weight_decay : float
        Weight of the L2 penalty ``weight_decay * ||W||^2 (+ ||V||^2)`` on the weights
        (biases are not penalised).

    Returns
    -------
    callable
        ``objective(params, X, noise=None) -> float``; ``noise`` (standard-normal draws,
        shape (n, d) or (m, n, d)) is required for the DAE and ignored otherwise.
        Differentiable with ``autograd`` with respect to ``params``.
    """
    if not isinstance(model, Autoencoder):
        raise TypeError(f"model must be a raetut.Autoencoder; got {type(model).__name__}")
    _choice(criterion, "criterion", _CRITERIA)
    if criterion == "dae":
        if sigma is None:
            raise ValueError("criterion 'dae' needs the corruption level sigma (sigma=...)")
        if lam is not None:
            raise ValueError("lam is not used by criterion 'dae' (its noise level is sigma)")
        sigma = scale_parameter(sigma, "sigma")
    else:
        if lam is None:
            raise ValueError(f"criterion {criterion!r} needs the penalty weight lam (lam=...)")
        if sigma is not None:
            raise ValueError(f"sigma is not used by criterion {criterion!r} (its weight is lam)")
        # score matching divides by lam: it must be > 0
        lam = scale_parameter(lam, "lam") if criterion == "sm" else nonnegative_scalar(lam, "lam")
    weight_decay = nonnegative_scalar(weight_decay, "weight_decay")
    mask = model.weight_mask()

    def data_term(params, X, noise):
        def reconstruct(Z):
            return model.reconstruct(params, Z)

        if criterion == "dae":
            return criteria.dae_loss(reconstruct, X, sigma, noise=noise)
        if criterion == "sm":
            return criteria.score_matching_loss(
                lambda Z: (reconstruct(Z) - Z) / lam,
                lambda Z: (jacobian_trace(model, params, Z) - model.dim) / lam,
                X,
            )
        # The criteria evaluate the reconstruction and the penalty at the same points X:
        # the hidden layer is computed once for both (any other points take the full path).
        p, hidden = model._hidden_layer(params, X)

        def shared_reconstruct(Z):
            return model._decode(p, hidden) if Z is X else reconstruct(Z)

        if criterion == "rcae":

            def penalty(Z):
                if Z is X:
                    return model._jacobian_sq_norm(p, hidden, "auto")
                return model.jacobian_sq_norm(params, Z)

            return criteria.rcae_loss(shared_reconstruct, penalty, X, lam)

        def encoder_penalty(Z):
            if Z is X:
                return model._encoder_jacobian_sq_norm(p, hidden)
            return model.encoder_jacobian_sq_norm(params, Z)

        return criteria.cae_loss(shared_reconstruct, encoder_penalty, X, lam)

    def objective(params, X, noise=None):
        # A float64 array: the criteria then pass this very object on to the callables.
        X = as_points(X, dim=model.dim)
        loss = data_term(params, X, noise)
        if weight_decay > 0:
            loss = loss + weight_decay * anp.sum((params * mask) ** 2)
        return loss

    return objective


def fit(
    model,
    X,
    criterion="dae",
    sigma=None,
    lam=None,
    rng=None,
    optimizer="lbfgs",
    n_iter=None,
    noise="fixed",
    n_noise=1,
    batch_size=None,
    learning_rate=1e-2,
    params0=None,
    progress=True,
    weight_decay=0.0,
):
    """Fit ``model`` to data ``X`` by minimising a DAE, rCAE, CAE or score-matching criterion.

    Parameters
    ----------
    model : Autoencoder
    X : array_like, shape (n, d)
        Training data, ``d == model.dim``.
    criterion : str
        ``"dae"`` (needs ``sigma``), ``"rcae"``, ``"cae"`` or ``"sm"`` (need ``lam``).
    sigma : float, optional
        Standard deviation of the DAE's Gaussian corruption.
    lam : float, optional
        Weight of the rCAE/CAE contraction penalty; for ``"sm"`` the scale of
        ``psi = (r - x) / lam``.
    rng : numpy.random.Generator
        Source of all randomness (initial parameters, corruptions, minibatches).
    optimizer : str
        ``"lbfgs"`` (full batch, deterministic objective) or ``"adam"``.
    n_iter : int, optional
        Number of iterations (L-BFGS) or steps (Adam); default 500 and 2000.
    noise : str
        DAE only. ``"fixed"``: ``n_noise`` standard-normal corruptions per point are
        drawn once, so the objective is deterministic (needed by L-BFGS).
        ``"resample"``: they are redrawn at every Adam step (Adam only).
    n_noise : int
        DAE only: corruptions per point, averaged in the loss.
    batch_size : int, optional
        Adam only: minibatch size (points per step, each epoch a fresh permutation);
        default the whole data set.
    learning_rate : float
        Adam step size.
    params0 : ndarray, shape (n_params,), optional
        Starting point; default ``model.init_params(rng, X)``.
    progress : bool
        Show a progress bar with the current loss (``tqdm.auto``: a widget in Jupyter, a
        text bar in a terminal). With False nothing is printed.
    weight_decay : float
        Weight of an L2 penalty on the weights W and V (not the biases).

    Returns
    -------
    FitResult
    """
    objective = make_objective(model, criterion, sigma=sigma, lam=lam, weight_decay=weight_decay)
    if _USE_FUSED:  # the arguments are valid here: make_objective checked them
        fused = fused_objective(
            model, criterion,
            sigma=None if sigma is None else float(sigma),
            lam=None if lam is None else float(lam),
            weight_decay=float(weight_decay),
        )
        objective = objective if fused is None else fused
    X = as_points(X, dim=model.dim)
    rng = check_rng(rng)
    _choice(optimizer, "optimizer", _OPTIMIZERS)
    n_iter = _DEFAULT_N_ITER[optimizer] if n_iter is None else positive_int(n_iter, "n_iter")
    _choice(noise, "noise", _NOISE_MODES)
    n_noise = positive_int(n_noise, "n_noise")
    if optimizer == "lbfgs":
        if noise == "resample":
            raise ValueError(
                "noise='resample' changes the objective at every step; use optimizer='adam', "
                "or noise='fixed' with L-BFGS"
            )
        if batch_size is not None:
            raise ValueError("batch_size applies to optimizer='adam' only (L-BFGS is full-batch)")
    else:
        batch_size = X.shape[0] if batch_size is None else positive_int(batch_size, "batch_size")
        batch_size = min(batch_size, X.shape[0])
        learning_rate = positive_scalar(learning_rate, "learning_rate")
    if not isinstance(progress, (bool, np.bool_)):
        raise TypeError(f"progress must be True or False; got {type(progress).__name__}")

    if params0 is None:
        params0 = model.init_params(rng, X)
    else:
        params0 = as_finite_array(params0, "params0", shape=(model.n_params,)).copy()

    needs_noise = criterion == "dae"
    fixed_noise = None
    if needs_noise and noise == "fixed":
        fixed_noise = rng.standard_normal((n_noise,) + X.shape)

    loss_and_grad = getattr(objective, "loss_and_grad", None) or value_and_grad(objective)
    bar = _progress_bar(n_iter, f"{criterion} / {optimizer}", progress)
    try:
        if optimizer == "lbfgs":
            return _fit_lbfgs(loss_and_grad, params0, X, fixed_noise, n_iter, bar)
        draw = None
        if needs_noise and noise == "resample":
            def draw(m):
                return rng.standard_normal((n_noise, m, model.dim))
        return _fit_adam(
            loss_and_grad, params0, X, fixed_noise, draw, n_iter, batch_size, learning_rate,
            rng=rng, bar=bar,
        )
    finally:
        if bar is not None:
            bar.close()


def _choice(value, name, options):
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {list(options)}; got {type(value).__name__}")
    return one_of(value, name, options)


def _progress_bar(total, description, enabled):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=description, leave=False)


def _show(bar, loss):
    if bar is not None:
        bar.update(1)
        bar.set_postfix(loss=f"{loss:.4g}", refresh=False)


def _fit_lbfgs(loss_and_grad, params0, X, noise, n_iter, bar):
    history = []

    def fun(params):
        with np.errstate(over="ignore", invalid="ignore"):  # refused just below, by name
            value, grad = loss_and_grad(params, X, noise)
        if not history:
            if not (np.isfinite(value) and np.all(np.isfinite(grad))):
                raise ValueError(f"the loss or its gradient is not finite at params0: loss {value}")
            history.append(float(value))
        return float(value), np.asarray(grad, dtype=float)

    def callback(intermediate_result):
        history.append(float(intermediate_result.fun))
        _show(bar, history[-1])

    # ftol/gtol are near machine precision: the loss scale (about sigma^2 or lam) varies
    # over orders of magnitude, so n_iter decides when to stop, not a relative tolerance.
    result = minimize(
        fun,
        params0,
        jac=True,
        method="L-BFGS-B",
        callback=callback,
        options={"maxiter": n_iter, "maxfun": 4 * n_iter, "ftol": 1e-15, "gtol": 1e-12},
    )
    message = result.message if isinstance(result.message, str) else str(result.message)
    return FitResult(
        params=np.asarray(result.x, dtype=float),
        loss_history=np.asarray(history, dtype=float),
        n_iter=int(result.nit),
        optimizer="lbfgs",
        message=message,
    )


def _fit_adam(loss_and_grad, params, X, fixed_noise, draw, n_iter, batch_size, lr, rng, bar):
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    n = X.shape[0]
    m = np.zeros_like(params)
    v = np.zeros_like(params)
    history = np.empty(n_iter)
    order, cursor = None, n
    for step in range(n_iter):
        if batch_size == n:
            idx = None
            Xb, noise_b = X, fixed_noise
        else:
            if cursor + batch_size > n:
                order, cursor = rng.permutation(n), 0
            idx = order[cursor : cursor + batch_size]
            cursor += batch_size
            Xb = X[idx]
            noise_b = None if fixed_noise is None else fixed_noise[:, idx]
        if draw is not None:
            noise_b = draw(Xb.shape[0])
        with np.errstate(over="ignore", invalid="ignore"):  # refused just below, by name
            value, grad = loss_and_grad(params, Xb, noise_b)
        history[step] = value
        if not np.isfinite(value) or not np.all(np.isfinite(grad)):
            where = ("at params0" if step == 0
                     else f"at step {step} (a smaller learning_rate may help)")
            raise ValueError(f"the loss or its gradient is not finite {where}: loss {value}")
        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * grad**2
        m_hat = m / (1 - beta1 ** (step + 1))
        v_hat = v / (1 - beta2 ** (step + 1))
        params = params - lr * m_hat / (np.sqrt(v_hat) + eps)
        _show(bar, float(value))
    return FitResult(params, history, n_iter, "adam", f"completed {n_iter} steps")


def walkback_corruptions(model, params, X, sigma, n_walk, rng):
    """Walk-back corruptions: the corrupt-reconstruct chain walked from each data point.

    From ``x_0 = x`` the chain corrupts, ``x~_j = x_{j-1} + sigma z_j``, and reconstructs
    with the current model, ``x_j = r(x~_j)``; every ``x~_j`` (j = 1, ..., n_walk) is a
    training input whose target is the original ``x`` (Bengio, Yao, Alain & Vincent, 2013).
    ``x~_1`` is the plain DAE corruption.

    Parameters
    ----------
    model : Autoencoder
    params : ndarray, shape (n_params,)
    X : array_like, shape (n, d)
    sigma : float
        Corruption level, > 0.
    n_walk : int
        Steps of the walk, >= 1.
    rng : numpy.random.Generator

    Returns
    -------
    ndarray, shape (n_walk, n, d)
        The corrupted inputs ``x~_j`` for each point.
    """
    if not isinstance(model, Autoencoder):
        raise TypeError(f"model must be a raetut.Autoencoder; got {type(model).__name__}")
    X = as_points(X, dim=model.dim)
    params = as_finite_array(params, "params", shape=(model.n_params,))
    sigma = scale_parameter(sigma, "sigma")
    n_walk = positive_int(n_walk, "n_walk")
    rng = check_rng(rng)
    out, x = [], X
    for _ in range(n_walk):
        x_tilde = x + sigma * rng.standard_normal(x.shape)
        out.append(x_tilde)
        x = model.reconstruct(params, x_tilde)
    return np.stack(out)


def fit_walkback(model, X, sigma, rng, params0, n_rounds=3, n_walk=4, n_iter=100,
                 walkback=True, progress=True):
    """Refit a DAE by walk-back: alternate generating walk-back corruptions and L-BFGS.

    Each round draws the corrupted inputs with :func:`walkback_corruptions` from the
    current parameters and runs ``n_iter`` L-BFGS iterations of the DAE loss
    ``mean_j mean_i ||r(x~_ij) - x_i||^2`` on them. With ``walkback=False`` the rounds
    use ``n_walk`` fresh plain corruptions ``x + sigma z`` per point instead: the same
    number of inputs and iterations, the control for walk-back.

    Parameters
    ----------
    model : Autoencoder
    X : array_like, shape (n, d)
    sigma : float
        Corruption level, > 0.
    rng : numpy.random.Generator
    params0 : ndarray, shape (n_params,)
        Starting point (e.g. a plain DAE fit).
    n_rounds, n_walk, n_iter : int
        Rounds, walk length (inputs per point per round), L-BFGS iterations per round.
    walkback : bool
        Walk-back corruptions (True) or plain ones (False).
    progress : bool
        Show a progress bar over the rounds.

    Returns
    -------
    FitResult
        ``loss_history`` concatenated over the rounds; ``n_iter`` their total.
    """
    objective = make_objective(model, "dae", sigma=sigma)
    X = as_points(X, dim=model.dim)
    sigma = scale_parameter(sigma, "sigma")
    rng = check_rng(rng)
    params = as_finite_array(params0, "params0", shape=(model.n_params,)).copy()
    n_rounds = positive_int(n_rounds, "n_rounds")
    n_walk = positive_int(n_walk, "n_walk")
    n_iter = positive_int(n_iter, "n_iter")
    if not isinstance(walkback, (bool, np.bool_)):
        raise TypeError(f"walkback must be True or False; got {type(walkback).__name__}")
    if not isinstance(progress, (bool, np.bool_)):
        raise TypeError(f"progress must be True or False; got {type(progress).__name__}")
    loss_and_grad = getattr(objective, "loss_and_grad", None) or value_and_grad(objective)
    bar = _progress_bar(n_rounds, "walk-back" if walkback else "plain DAE rounds", progress)
    history, total = [], 0
    try:
        for _ in range(n_rounds):
            if walkback:
                noise = (walkback_corruptions(model, params, X, sigma, n_walk, rng) - X) / sigma
            else:
                noise = rng.standard_normal((n_walk,) + X.shape)
            result = _fit_lbfgs(loss_and_grad, params, X, noise, n_iter, None)
            params, total = result.params, total + result.n_iter
            history.append(result.loss_history)
            _show(bar, float(result.loss_history[-1]))
    finally:
        if bar is not None:
            bar.close()
    return FitResult(params, np.concatenate(history), total, "lbfgs",
                     f"{n_rounds} rounds of {n_iter} iterations")
