"""The one-hidden-layer auto-encoder of the paper, with analytic Jacobians.

The reconstruction is ``r(x) = V^T h(W x + b) + c`` with an elementwise
activation ``h`` (sigmoid or tanh), encoder weights ``W`` (n_hidden, d), hidden
biases ``b`` (n_hidden,), decoder weights ``V`` (n_hidden, d) and output biases
``c`` (d,). With tied weights ``V = W``.

All parameters live in one flat float64 vector, so that ``autograd`` can
differentiate any loss with respect to it and ``scipy.optimize`` can take it as is.
Every method is written with ``autograd.numpy`` and is differentiable with respect
to both ``params`` and ``X``.

The Jacobian of the reconstruction is ``J_r(x) = V^T diag(h'(a)) W`` with
``a = W x + b``. Its squared Frobenius norm, the rCAE penalty, is computed
without forming one ``(d, d)`` matrix per point, in one of two ways:

- *per-sample form*: ``J_r(x)`` flattened is ``h'(a) @ M`` with
  ``M[k, (i, j)] = V[k, i] W[k, j]``, costing ``n * n_hidden * d^2``;
- *Gram form*: ``||J_r(x)||_F^2 = sum_kl h'_k h'_l (V V^T)_kl (W W^T)_kl``,
  costing ``n * n_hidden^2``.

The per-sample form is used when ``d^2 <= n_hidden`` (always the case for the
book's 1-D and 2-D data), the Gram form otherwise.
"""

from collections import namedtuple

import autograd.numpy as anp
import numpy as np
from autograd.extend import defjvp, defvjp, primitive
from autograd.tracer import getval, isbox

from ._validation import (
    as_finite_array,
    as_points,
    check_rng,
    one_of,
    positive_int,
    positive_scalar,
)

__all__ = [
    "Autoencoder",
    "jacobian_trace",
    "ScoreEstimate",
    "score_estimate",
    "step_unit_params",
]

_ACTIVATIONS = ("sigmoid", "tanh")
_PENALTY_METHODS = ("auto", "per_sample", "gram")
#: Hidden activations per block in Autoencoder.reconstruct on plain arrays (2 MB).
_CACHE_DOUBLES = 2**18


# The activations are autograd primitives whose derivatives reuse the output
# (h' = 1 - h^2 for tanh, h (1 - h) for the sigmoid): autograd's own tanh rule
# evaluates cosh again, and the sigmoid would otherwise cost four traced operations.


@primitive
def _tanh(a):
    return np.tanh(a)


@primitive
def _sigmoid(a):
    # Through tanh: no overflow for large |a|.
    out = np.tanh(0.5 * a)
    out += 1.0
    out *= 0.5
    return out


defvjp(_tanh, lambda ans, a: lambda g: g * (1.0 - ans**2))
defjvp(_tanh, lambda g, ans, a: g * (1.0 - ans**2))
defvjp(_sigmoid, lambda ans, a: lambda g: g * (ans * (1.0 - ans)))
defjvp(_sigmoid, lambda g, ans, a: g * (ans * (1.0 - ans)))


class Autoencoder:
    """One-hidden-layer auto-encoder ``r(x) = V^T h(W x + b) + c``.

    Parameters
    ----------
    dim : int
        Data dimension ``d``.
    n_hidden : int
        Number of hidden units.
    activation : str
        ``"sigmoid"`` or ``"tanh"``.
    tied : bool
        If True the decoder reuses the encoder weights (``V = W``); then
        ``r(x) - x`` is the gradient of :meth:`energy`.

    Attributes
    ----------
    n_params : int
        Length of the flat parameter vector: ``n_hidden * d`` (W), ``n_hidden`` (b),
        ``n_hidden * d`` (V, untied only), ``d`` (c), in that order.

    Examples
    --------
    >>> import numpy as np
    >>> model = Autoencoder(dim=2, n_hidden=16, activation="tanh")
    >>> params = model.init_params(np.random.default_rng(0))
    >>> model.reconstruct(params, np.zeros((3, 2))).shape
    (3, 2)
    """

    def __init__(self, dim, n_hidden, activation="sigmoid", tied=False):
        self.dim = positive_int(dim, "dim")
        self.n_hidden = positive_int(n_hidden, "n_hidden")
        if not isinstance(activation, str):
            raise TypeError(f"activation must be a string; got {type(activation).__name__}")
        self.activation = one_of(activation, "activation", _ACTIVATIONS)
        if not isinstance(tied, (bool, np.bool_)):
            raise TypeError(f"tied must be True or False; got {type(tied).__name__}")
        self.tied = bool(tied)
        n_weights = self.n_hidden * self.dim
        self.n_params = n_weights * (1 if self.tied else 2) + self.n_hidden + self.dim

    def __repr__(self):
        return (
            f"Autoencoder(dim={self.dim}, n_hidden={self.n_hidden}, "
            f"activation={self.activation!r}, tied={self.tied})"
        )

    # ------------------------------------------------------------------ parameters

    def init_params(self, rng, X=None):
        """Random initial parameters.

        Encoder weights are drawn with rows of norm about ``1 / scale`` (``scale`` the
        spread of the data, 1 without data); decoder weights are small, ``N(0, 1/n_hidden)``
        times ``scale``. Given data ``X``, each hidden unit's bias puts its transition
        (``w_k . x + b_k = 0``) at a randomly chosen data point, so that the units cover
        the region where there is data; without data the biases are ``N(0, 1)``.

        Parameters
        ----------
        rng : numpy.random.Generator
        X : array_like, shape (n, d), optional
            Training data used to place the hidden units.

        Returns
        -------
        ndarray, shape (n_params,)
        """
        rng = check_rng(rng)
        d, H = self.dim, self.n_hidden
        if X is None:
            center, scale = np.zeros(d), 1.0
        else:
            X = as_points(X, dim=d)
            center, scale = X.mean(axis=0), float(np.sqrt(np.mean(X.var(axis=0))))
            if scale == 0.0:
                scale = 1.0
        W = rng.standard_normal((H, d)) / (np.sqrt(d) * scale)
        if X is None:
            b = rng.standard_normal(H)
        else:
            anchors = X[rng.integers(0, X.shape[0], size=H)]
            b = -np.sum(W * anchors, axis=1)
        parts = [W.ravel(), b]
        if not self.tied:
            parts.append((rng.standard_normal((H, d)) * scale / np.sqrt(H)).ravel())
        parts.append(center.copy())
        return np.concatenate(parts)

    def unpack(self, params):
        """Split the flat parameter vector into named arrays (autograd-safe).

        Parameters
        ----------
        params : ndarray, shape (n_params,)

        Returns
        -------
        dict
            ``W`` (n_hidden, d), ``b`` (n_hidden,), ``V`` (n_hidden, d) (``V is W`` when
            tied) and ``c`` (d,).
        """
        params = self.check_params(params)
        d, H = self.dim, self.n_hidden
        n_weights = H * d
        reshape = anp.reshape if isbox(params) else np.reshape
        W = reshape(params[:n_weights], (H, d))
        b = params[n_weights : n_weights + H]
        if self.tied:
            V = W
        else:
            V = reshape(params[n_weights + H : 2 * n_weights + H], (H, d))
        c = params[self.n_params - d :]
        return {"W": W, "b": b, "V": V, "c": c}

    def weight_mask(self):
        """Indicator of the weight entries (W and V, not the biases) in the flat vector.

        Returns
        -------
        ndarray, shape (n_params,)
            1.0 at weights, 0.0 at biases.
        """
        d, H = self.dim, self.n_hidden
        mask = np.ones(self.n_params)
        mask[H * d : H * d + H] = 0.0
        mask[self.n_params - d :] = 0.0
        return mask

    # -------------------------------------------------------------- the function r

    def encode(self, params, X):
        """Hidden representation ``h(W x + b)``.

        Parameters
        ----------
        params : ndarray, shape (n_params,)
        X : array_like, shape (n, d)

        Returns
        -------
        ndarray, shape (n, n_hidden)
        """
        return self._hidden_layer(params, X)[1]

    def reconstruct(self, params, X):
        """Reconstruction ``r(x) = V^T h(W x + b) + c`` of each point.

        Parameters
        ----------
        params : ndarray, shape (n_params,)
        X : array_like, shape (n, d)

        Returns
        -------
        ndarray, shape (n, d)
        """
        if isbox(params) or isbox(X):
            return self._decode(*self._hidden_layer(params, X))
        # Plain arrays (a sampler's calls): the same arithmetic in NumPy, without autograd's
        # per-operation dispatch, which is a third of the time of a small network's call.
        # In place where possible, and in blocks of rows whose hidden activations (at most
        # _CACHE_DOUBLES doubles) stay in cache: fresh temporaries of n * n_hidden doubles
        # are expensive (page faults) on some machines. The arithmetic is _decode's.
        p = self.unpack(params)
        X = self.check_points(X)
        rows = max(1, _CACHE_DOUBLES // self.n_hidden)
        if X.shape[0] <= rows:
            return self._reconstruct_block(p, X)
        out = np.empty(X.shape)
        for i in range(0, X.shape[0], rows):
            out[i : i + rows] = self._reconstruct_block(p, X[i : i + rows])
        return out

    def _reconstruct_block(self, p, X):
        hidden = np.dot(X, p["W"].T)
        hidden += p["b"]
        if self.activation == "sigmoid":  # as _sigmoid: (tanh(a / 2) + 1) / 2
            hidden *= 0.5
            np.tanh(hidden, out=hidden)
            hidden += 1.0
            hidden *= 0.5
        else:
            np.tanh(hidden, out=hidden)
        out = np.dot(hidden, p["V"])
        out += p["c"]
        return out

    def jacobian(self, params, X):
        """Analytic Jacobian ``dr/dx = V^T diag(h'(a)) W`` at each point.

        Parameters
        ----------
        params : ndarray, shape (n_params,)
        X : array_like, shape (n, d)

        Returns
        -------
        ndarray, shape (n, d, d)
            ``out[n, i, j] = d r_i / d x_j`` at ``X[n]``.
        """
        p, hidden = self._hidden_layer(params, X)
        return anp.einsum("ki,nk,kj->nij", p["V"], self._slope(hidden), p["W"])

    def jacobian_sq_norm(self, params, X, method="auto"):
        """Squared Frobenius norm ``||dr/dx||_F^2`` at each point, the rCAE penalty.

        No per-point Jacobian is formed. ``method="auto"`` takes the per-sample form
        (cost ``n * n_hidden * d^2``) when ``d^2 <= n_hidden`` and the Gram form
        (cost ``n * n_hidden^2``) otherwise; see the module docstring.

        Parameters
        ----------
        params : ndarray, shape (n_params,)
        X : array_like, shape (n, d)
        method : str
            ``"auto"``, ``"per_sample"`` or ``"gram"``.

        Returns
        -------
        ndarray, shape (n,)
        """
        one_of(method, "method", _PENALTY_METHODS)
        return self._jacobian_sq_norm(*self._hidden_layer(params, X), method)

    def _jacobian_sq_norm(self, p, hidden, method):
        slope = self._slope(hidden)
        W, V = p["W"], p["V"]
        d, H = self.dim, self.n_hidden
        if method == "auto":
            method = "per_sample" if d * d <= H else "gram"
        if method == "per_sample":
            outer = anp.reshape(V[:, :, None] * W[:, None, :], (H, d * d))
            return anp.sum(anp.dot(slope, outer) ** 2, axis=1)
        gram = anp.dot(V, V.T) * anp.dot(W, W.T)
        return anp.sum(anp.dot(slope, gram) * slope, axis=1)

    def encoder_jacobian_sq_norm(self, params, X):
        """Squared Frobenius norm of the encoder's Jacobian ``d h(Wx + b) / dx`` (the CAE penalty).

        ``||diag(h'(a)) W||_F^2 = sum_k h'(a_k)^2 ||w_k||^2``.

        Parameters
        ----------
        params : ndarray, shape (n_params,)
        X : array_like, shape (n, d)

        Returns
        -------
        ndarray, shape (n,)
        """
        return self._encoder_jacobian_sq_norm(*self._hidden_layer(params, X))

    def _encoder_jacobian_sq_norm(self, p, hidden):
        return anp.dot(self._slope(hidden) ** 2, anp.sum(p["W"] ** 2, axis=1))

    def energy(self, params, X):
        """Energy ``F`` of a tied auto-encoder, with ``r(x) - x = grad F(x)``.

        ``F(x) = sum_k S(w_k . x + b_k) + c . x - ||x||^2 / 2`` where ``S' = h``:
        ``S`` is the softplus ``log(1 + e^a)`` for the sigmoid and ``log cosh(a)`` for
        tanh. Under the paper's reading ``log p(x) ~ F(x) / sigma^2 + const``.

        Parameters
        ----------
        params : ndarray, shape (n_params,)
        X : array_like, shape (n, d)

        Returns
        -------
        ndarray, shape (n,)

        Raises
        ------
        ValueError
            If the model is untied: then ``r(x) - x`` need not be a gradient field.
        """
        if not self.tied:
            raise ValueError(
                "energy is defined only for tied weights (tied=True): with untied weights "
                "r(x) - x need not be the gradient of any function"
            )
        p = self.unpack(params)
        X = self.check_points(X)
        a = self._preactivation(p, X)
        if self.activation == "sigmoid":
            antiderivative = anp.logaddexp(0.0, a)
        else:
            antiderivative = anp.logaddexp(a, -a) - np.log(2.0)
        return anp.sum(antiderivative, axis=1) + anp.dot(X, p["c"]) - 0.5 * anp.sum(X**2, axis=1)

    # ------------------------------------------------------------------- internals

    def _h(self, a):
        return _sigmoid(a) if self.activation == "sigmoid" else _tanh(a)

    def _slope(self, hidden):
        """``h'(a)`` from ``h(a)``: ``h (1 - h)`` for the sigmoid, ``1 - h^2`` for tanh."""
        if self.activation == "sigmoid":
            return hidden * (1.0 - hidden)
        return 1.0 - hidden**2

    def _hidden_layer(self, params, X):
        """Validated parameters (as a dict) and the hidden activations, (n, n_hidden).

        The reconstruction and the penalties all derive from these, so a criterion that
        needs several of them at the same points can compute the layer once.
        """
        p = self.unpack(params)
        return p, self._h(self._preactivation(p, self.check_points(X)))

    @staticmethod
    def _decode(p, hidden):
        return anp.dot(hidden, p["V"]) + p["c"]

    @staticmethod
    def _preactivation(p, X):
        return anp.dot(X, p["W"].T) + p["b"]

    def check_params(self, params):
        """Validate ``params``; autograd boxes are checked through their value and passed on."""
        value = getval(params)
        if value is params and not (isinstance(params, np.ndarray) and params.dtype.kind == "f"):
            params = value = as_finite_array(params, "params")
        if np.shape(value) != (self.n_params,):
            raise ValueError(
                f"params must be a flat vector of length n_params={self.n_params} for {self!r}; "
                f"got shape {np.shape(value)}"
            )
        if not np.all(np.isfinite(value)):
            raise ValueError("params contains NaN or infinite values")
        return params

    def check_points(self, X):
        """Validate ``X``; autograd boxes are checked through their value and passed on."""
        value = getval(X)
        if value is X:
            return as_points(X, dim=self.dim)
        as_points(value, dim=self.dim)
        return X


def _check_model(model):
    if not isinstance(model, Autoencoder):
        raise TypeError(f"model must be a raetut.Autoencoder; got {type(model).__name__}")
    return model


def jacobian_trace(model, params, X):
    """Trace of the reconstruction's Jacobian, ``tr J_r(x) = sum_k h'(a_k) (v_k . w_k)``.

    Costs ``n * n_hidden`` (no Jacobian is formed). Differentiable with autograd with
    respect to ``params``; ``h'`` is obtained from the hidden activations
    (``h (1 - h)`` for the sigmoid, ``1 - h^2`` for tanh).

    Parameters
    ----------
    model : Autoencoder
    params : ndarray, shape (n_params,)
    X : array_like, shape (n, d)

    Returns
    -------
    ndarray, shape (n,)
    """
    _check_model(model)
    hidden = model.encode(params, X)
    slope = hidden * (1.0 - hidden) if model.activation == "sigmoid" else 1.0 - hidden**2
    p = model.unpack(params)
    return anp.dot(slope, anp.sum(p["V"] * p["W"], axis=1))


#: The score estimate of an auto-encoder and its derivatives, as callables of ``X (n, d)``.
ScoreEstimate = namedtuple("ScoreEstimate", ["psi", "jacobian", "divergence"])


def score_estimate(model, params, scale):
    """The auto-encoder's score estimate ``psi(x) = (r(x) - x) / scale``.

    ``scale`` is ``sigma^2`` for a DAE and ``lam`` for an rCAE or a score-matching fit.

    Parameters
    ----------
    model : Autoencoder
    params : ndarray, shape (n_params,)
    scale : float
        > 0.

    Returns
    -------
    ScoreEstimate
        Callables ``psi``, ``jacobian`` and ``divergence``.
    """
    _check_model(model)
    params = as_finite_array(params, "params", shape=(model.n_params,))
    scale = positive_scalar(scale, "scale")
    eye = np.eye(model.dim)

    def psi(X):
        if getval(X) is X:  # plain array: validate; autograd boxes pass through
            X = as_points(X, dim=model.dim)
        return (model.reconstruct(params, X) - X) / scale

    def jacobian(X):
        return (model.jacobian(params, X) - eye) / scale

    def divergence(X):
        return (jacobian_trace(model, params, X) - model.dim) / scale

    return ScoreEstimate(psi, jacobian, divergence)


def step_unit_params(model, params, unit, center, steepness, height):
    """Parameters in which one hidden unit is replaced by a steep step at ``center``.

    The unit's encoder weights become ``steepness * e_1`` with its transition at
    ``center`` (``w . center + b = 0``) and its decoder weights ``-height * e_1``, so
    that it adds ``-height * h(steepness (x_1 - center_1))`` to ``r_1``. As
    ``steepness`` grows the slope of ``r_1`` at ``center`` goes to ``-infinity`` while
    ``r`` stays bounded: the construction that shows the average of Hyvarinen's
    objective over a finite sample to be unbounded below for this model class.

    Parameters
    ----------
    model : Autoencoder
        Untied (with tied weights the decoder cannot be set independently).
    params : ndarray, shape (n_params,)
    unit : int or None
        Index of the hidden unit to replace, ``0 <= unit < n_hidden``; None picks the
        unit with the smallest decoder weights (the one whose loss changes ``r`` least).
    center : array_like, shape (d,)
        Where the step is.
    steepness : float
        > 0.
    height : float
        > 0, the size of the step in ``r`` (in units of the activation's range).

    Returns
    -------
    ndarray, shape (n_params,)
        A modified copy.
    """
    _check_model(model)
    if model.tied:
        raise ValueError("step_unit_params needs an untied model (tied=False)")
    params = as_finite_array(params, "params", shape=(model.n_params,)).copy()
    d, H = model.dim, model.n_hidden
    W = params[: H * d].reshape(H, d)
    b = params[H * d : H * d + H]
    V = params[H * d + H : 2 * H * d + H].reshape(H, d)
    if unit is None:
        unit = int(np.argmin(np.sum(V**2, axis=1)))
    if isinstance(unit, bool) or not isinstance(unit, (int, np.integer)):
        raise TypeError(f"unit must be an integer; got {type(unit).__name__}")
    if not 0 <= unit < model.n_hidden:
        raise ValueError(f"unit must be in [0, {model.n_hidden}); got {unit}")
    center = as_finite_array(center, "center", shape=(model.dim,))
    steepness = positive_scalar(steepness, "steepness")
    height = positive_scalar(height, "height")
    W[unit] = 0.0
    W[unit, 0] = steepness
    b[unit] = -steepness * center[0]
    V[unit] = 0.0
    V[unit, 0] = -height
    return params
