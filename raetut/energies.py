"""Score matching, energies, and whether a reconstruction field is a gradient.

Result 6 of the book (chapter "Score matching and energies") in numbers:

- the score estimate ``psi = (r - x) / scale`` of an auto-encoder, with its
  Jacobian and divergence (:func:`score_estimate`, :func:`jacobian_trace`), and
  the terms of the exact identity
  ``L_rCAE(x + lam psi) = lam d + 2 lam^2 J_SM(psi) + lam^3 E||grad psi||_F^2``
  (:func:`rcae_score_matching_terms`);
- the denoising criterion as score matching of the smoothed density ``p_sigma``,
  ``L_DAE(r) = d sigma^2 + 2 sigma^4 J_SM^{p_sigma}(psi)`` with
  ``psi = (r - x) / sigma^2`` (:func:`dae_score_matching_terms_1d`, by quadrature);
- energies: a 1-D field integrated into an energy (:func:`energy_from_field_1d`),
  the density ``exp(F / sigma^2)`` normalised by quadrature
  (:func:`energy_density_1d`), distances between 1-D densities on a grid
  (:func:`total_variation_1d`, :func:`kl_divergence_1d`);
- how far a field is from being a gradient: the antisymmetric part of its Jacobian
  (:func:`jacobian_asymmetry`), the 2-D curl (:func:`curl_2d`) and the circulation
  around a circle (:func:`circulation`), which is the difference between the line
  integrals along the two halves of the circle;
- checks of these claims, each returning a :class:`raetut.checks.CheckResult`.

A tied auto-encoder ``r(x) = W^T h(W x + b) + c`` has ``r(x) - x = grad F(x)`` with
``F`` given by :meth:`raetut.models.Autoencoder.energy`; an untied one need not be a
gradient field.
"""

from collections import namedtuple

import autograd.numpy as anp
import numpy as np
from autograd import grad
from autograd.tracer import getval
from scipy.integrate import cumulative_simpson

from . import criteria
from ._validation import (
    as_finite_array,
    as_points,
    check_callable,
    increasing_grid,
    positive_int,
    positive_scalar,
)
from .checks import CheckResult
from .densities import GaussianMixture
from .models import Autoencoder
from .optimal import dae_optimum

__all__ = [
    "ScoreEstimate",
    "jacobian_trace",
    "score_estimate",
    "field_jacobian",
    "energy_gradient",
    "rcae_score_matching_terms",
    "dae_score_matching_terms_1d",
    "score_matching_quadrature_1d",
    "step_unit_params",
    "weighted_score_error",
    "energy_from_field_1d",
    "energy_density_1d",
    "total_variation_1d",
    "kl_divergence_1d",
    "mass_outside_1d",
    "jacobian_asymmetry",
    "curl_2d",
    "circulation",
    "check_energy_gradient",
    "check_gradient_field",
    "check_dae_score_matching_1d",
    "check_dae_optimum_energy_1d",
]

# Relative discrepancies accepted for identities that hold exactly: sums of a few
# thousand terms of order 1 in float64 carry rounding errors near 1e-15, so 1e-12
# leaves three orders of margin while any error of the formula itself (a missing
# term, a wrong sign) shows at order 1e-3 or more.
ROUNDOFF_TOLERANCE = 1e-12

# Relative discrepancy accepted for identities evaluated by quadrature (trapezoid in x
# on a grid reaching 12 standard deviations beyond the data, Gauss-Hermite in the
# noise). For the analytic fields of the book both rules are accurate to about 1e-12
# (tests double the resolution and see no change at that level); 1e-9 leaves margin,
# while using p instead of p_sigma changes the result at order sigma^2.
QUADRATURE_TOLERANCE = 1e-9


def _check_model(model):
    if not isinstance(model, Autoencoder):
        raise TypeError(f"model must be a raetut.Autoencoder; got {type(model).__name__}")
    return model


def _jacobians(J, name="J"):
    J = as_finite_array(J, name)
    if J.ndim != 3 or J.shape[1] != J.shape[2]:
        raise ValueError(f"{name} must have shape (n, d, d); got shape {J.shape}")
    return J


def _grid_values(values, grid, name):
    values = as_finite_array(values, name)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.shape != grid.shape:
        raise ValueError(f"{name} must have shape {grid.shape} to match grid; got {values.shape}")
    return values


def _trapezoid(values, grid):
    return float(np.trapezoid(values, grid))


# ----------------------------------------------------------- the score estimate psi


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
ScoreEstimate.__doc__ = """The score estimate ``psi = (r - x) / scale`` of an auto-encoder.

Attributes
----------
psi : callable
    ``X (n, d) -> (n, d)``.
jacobian : callable
    ``X -> (n, d, d)``, ``(J_r - I) / scale``.
divergence : callable
    ``X -> (n,)``, ``(tr J_r - d) / scale``.
"""


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


def field_jacobian(field, X):
    """Jacobian of a field ``f: (n, d) -> (n, d)`` acting row by row, by autograd.

    One reverse pass per output component (``d`` in all): row ``i`` of the result is
    the gradient of ``sum_n f(X)[n, i]``, which equals ``grad f_i`` at each point
    because the rows do not interact.

    Parameters
    ----------
    field : callable
        ``X (n, d) -> (n, d)``, written with ``autograd.numpy`` (for example a
        trained model's reconstruction or :func:`raetut.optimal.dae_optimum`).
    X : array_like, shape (n, d)

    Returns
    -------
    ndarray, shape (n, d, d)
        ``out[n, i, j] = d f_i / d x_j`` at ``X[n]``.
    """
    check_callable(field, "field")
    X = as_points(X)
    n, d = X.shape
    out = np.empty((n, d, d))
    for i in range(d):
        out[:, i, :] = grad(lambda Z, i=i: anp.sum(field(Z)[:, i]))(X)
    return out


def energy_gradient(energy, X):
    """Gradient of an energy ``F: (n, d) -> (n,)`` at each point, by autograd.

    Parameters
    ----------
    energy : callable
        ``X (n, d) -> (n,)``, written with ``autograd.numpy``.
    X : array_like, shape (n, d)

    Returns
    -------
    ndarray, shape (n, d)
    """
    check_callable(energy, "energy")
    X = as_points(X)
    values = energy(X)
    if np.shape(values) != (X.shape[0],):
        raise ValueError(f"energy(X) must return shape {(X.shape[0],)}; got {np.shape(values)}")
    return grad(lambda Z: anp.sum(energy(Z)))(X)


# --------------------------------------------------------- criteria as score matching


def rcae_score_matching_terms(psi, psi_jacobian, divergence, X, lam):
    """The terms of ``L_rCAE(x + lam psi) = lam d + 2 lam^2 J_SM(psi) + lam^3 E||grad psi||_F^2``.

    Every expectation is the average over the rows of ``X``; the identity is exact on
    any sample (it is algebra, not integration by parts).

    Parameters
    ----------
    psi : callable
        ``X (n, d) -> (n, d)``.
    psi_jacobian : callable
        ``X -> (n, d, d)``.
    divergence : callable
        ``X -> (n,)``, the trace of ``psi_jacobian``.
    X : array_like, shape (n, d)
    lam : float
        > 0.

    Returns
    -------
    dict
        ``rcae`` (the left side, from :func:`raetut.criteria.rcae_loss`), ``constant``
        (``lam d``), ``score_matching`` (``2 lam^2 J_SM``), ``regulariser``
        (``lam^3 E||grad psi||_F^2``), ``j_sm`` (``J_SM(psi)``) and ``jacobian_sq``
        (``E||grad psi||_F^2``), all floats.
    """
    check_callable(psi, "psi")
    check_callable(psi_jacobian, "psi_jacobian")
    check_callable(divergence, "divergence")
    X = as_points(X)
    lam = positive_scalar(lam, "lam")
    n, d = X.shape
    J = np.asarray(psi_jacobian(X), dtype=float)
    if J.shape != (n, d, d):
        raise ValueError(f"psi_jacobian(X) must return shape {(n, d, d)}; got {J.shape}")

    def reconstruct(Z):
        return Z + lam * psi(Z)

    def reconstruct_jacobian_sq_norm(Z):
        return np.sum((np.eye(d) + lam * J) ** 2, axis=(1, 2))

    rcae = float(criteria.rcae_loss(reconstruct, reconstruct_jacobian_sq_norm, X, lam))
    j_sm = float(criteria.score_matching_loss(psi, divergence, X))
    jacobian_sq = float(np.mean(np.sum(J**2, axis=(1, 2))))
    return {
        "rcae": rcae,
        "constant": lam * d,
        "score_matching": 2.0 * lam**2 * j_sm,
        "regulariser": lam**3 * jacobian_sq,
        "j_sm": j_sm,
        "jacobian_sq": jacobian_sq,
    }


def _check_mixture_1d(density):
    if not isinstance(density, GaussianMixture) or density.dim != 1:
        raise TypeError(
            "density must be a 1-D GaussianMixture (its smoothed density p_sigma is needed "
            f"in closed form); got {type(density).__name__}"
        )
    return density


def _default_grid(density, sigma, n_grid):
    """Uniform grid reaching 12 standard deviations of ``p_sigma`` beyond every component."""
    sd = np.sqrt(density.covariances[:, 0, 0] + sigma**2)
    lower = float(np.min(density.means[:, 0] - 12.0 * sd))
    upper = float(np.max(density.means[:, 0] + 12.0 * sd))
    return np.linspace(lower, upper, n_grid)


def dae_score_matching_terms_1d(reconstruct, derivative, density, sigma, grid=None, n_grid=4001,
                                n_hermite=80):
    """Both sides of ``L_DAE(r) = sigma^2 + 2 sigma^4 J_SM^{p_sigma}(psi)`` in 1-D, by quadrature.

    With ``psi = (r - x) / sigma^2`` and ``J_SM^{q}(psi) = E_{x ~ q}[psi^2 / 2 + psi']``,
    Vincent's denoising score matching gives, for ``d = 1``,

    ``L_DAE(r) = sigma^4 E_{p_sigma}(psi - s_sigma)^2 + sigma^2 - sigma^4 E_{p_sigma} s_sigma^2
    = sigma^2 + 2 sigma^4 J_SM^{p_sigma}(psi)``,

    where ``s_sigma`` is the score of ``p_sigma``. The left side is
    :func:`raetut.criteria.dae_loss_quadrature` (Gauss-Hermite in the noise); the
    expectations over ``p_sigma`` are trapezoid sums on ``grid``.

    Parameters
    ----------
    reconstruct : callable
        ``r(X) -> (n, 1)`` for ``X`` of shape (n, 1).
    derivative : callable
        ``X -> (n,)``, ``r'(x)``.
    density : GaussianMixture
        1-D data density ``p``.
    sigma : float
        Noise level, > 0.
    grid : array_like, shape (m,), optional
        Quadrature nodes; default ``n_grid`` points reaching 12 standard deviations of
        ``p_sigma`` beyond every component.
    n_grid : int
        Number of grid points when ``grid`` is not given.
    n_hermite : int
        Gauss-Hermite nodes for the noise.

    Returns
    -------
    dict
        ``dae`` (the left side), ``score_matching_form`` (``sigma^2 + 2 sigma^4 J_SM``),
        ``fisher_form`` (``sigma^4 E(psi - s_sigma)^2 + sigma^2 - sigma^4 E s_sigma^2``),
        ``j_sm`` and ``fisher`` (``E_{p_sigma}(psi - s_sigma)^2``), all floats.
    """
    check_callable(reconstruct, "reconstruct")
    check_callable(derivative, "derivative")
    density = _check_mixture_1d(density)
    sigma = positive_scalar(sigma, "sigma")
    n_hermite = positive_int(n_hermite, "n_hermite")
    if grid is None:
        grid = _default_grid(density, sigma, positive_int(n_grid, "n_grid", minimum=3))
    grid = increasing_grid(grid, "grid")
    X = grid[:, None]
    smooth = density.smoothed(sigma)
    p_sigma = smooth.prob(X)
    s_sigma = smooth.score(X)[:, 0]
    R = np.asarray(reconstruct(X), dtype=float)
    if R.shape != X.shape:
        raise ValueError(f"reconstruct(X) must return shape {X.shape}; got {R.shape}")
    psi = (R[:, 0] - grid) / sigma**2
    div = (_grid_values(derivative(X), grid, "derivative(X)") - 1.0) / sigma**2
    dae = float(criteria.dae_loss_quadrature(reconstruct, density, sigma, grid, n_hermite))
    j_sm = _trapezoid(p_sigma * (0.5 * psi**2 + div), grid)
    fisher = _trapezoid(p_sigma * (psi - s_sigma) ** 2, grid)
    score_sq = _trapezoid(p_sigma * s_sigma**2, grid)
    return {
        "dae": dae,
        "score_matching_form": sigma**2 + 2.0 * sigma**4 * j_sm,
        "fisher_form": sigma**4 * fisher + sigma**2 - sigma**4 * score_sq,
        "j_sm": j_sm,
        "fisher": fisher,
    }


def score_matching_quadrature_1d(psi, divergence, density, grid):
    """Hyvarinen's objective under a 1-D density, ``J_SM(psi) = integral p (psi^2 / 2 + psi')``.

    The population value, by the trapezoid rule on ``grid`` (which must cover the mass
    of ``p``), to compare with the average over a training sample. For any ``psi``,
    ``J_SM(psi) >= -E_p[s^2] / 2``, with equality only at the score ``s`` itself.

    With ``divergence=None`` the integrated-by-parts form ``integral p (psi^2 / 2 - s psi)``
    is used (``s`` the score of ``density``): it needs no derivative of ``psi``, so it
    stays accurate when ``psi`` has steps narrower than the grid spacing.

    Parameters
    ----------
    psi : callable
        ``X (m, 1) -> (m, 1)``.
    divergence : callable or None
        ``X (m, 1) -> (m,)``, ``psi'``; or None for the integrated-by-parts form.
    density : object
        A 1-D density with ``prob(X) -> (m,)`` (and ``score(X) -> (m, 1)`` when
        ``divergence`` is None).
    grid : array_like, shape (m,)
        Strictly increasing nodes.

    Returns
    -------
    float
    """
    check_callable(psi, "psi")
    if divergence is not None:
        check_callable(divergence, "divergence")
    grid = increasing_grid(grid, "grid")
    if not callable(getattr(density, "prob", None)) or getattr(density, "dim", 1) != 1:
        raise TypeError(f"density must be a 1-D density with prob(X); got {type(density).__name__}")
    X = grid[:, None]
    p = _grid_values(density.prob(X), grid, "density.prob(X)")
    values = _grid_values(psi(X), grid, "psi(X)")
    if divergence is None:
        if not callable(getattr(density, "score", None)):
            raise TypeError("density must have score(X) when divergence is None")
        score = _grid_values(density.score(X), grid, "density.score(X)")
        return _trapezoid(p * (0.5 * values**2 - score * values), grid)
    div = _grid_values(divergence(X), grid, "divergence(X)")
    return _trapezoid(p * (0.5 * values**2 + div), grid)


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


def weighted_score_error(psi, score, weights=None):
    """Relative weighted error of a score estimate, ``sqrt(sum w |psi - s|^2 / sum w |s|^2)``.

    With ``X`` a grid and ``weights = p * (quadrature weights)`` this is the relative
    root-mean-square error under ``p`` (the square root of a relative Fisher
    divergence); with samples from ``p`` and no weights, its Monte-Carlo estimate.

    Parameters
    ----------
    psi : array_like, shape (n, d)
        The estimate at the points.
    score : array_like, shape (n, d)
        The reference score at the same points.
    weights : array_like, shape (n,), optional
        Non-negative weights, not all zero; default equal weights.

    Returns
    -------
    float
    """
    psi = as_points(psi, name="psi")
    score = as_points(score, name="score", dim=psi.shape[1])
    if score.shape != psi.shape:
        raise ValueError(f"score must have the shape of psi {psi.shape}; got {score.shape}")
    if weights is None:
        weights = np.ones(psi.shape[0])
    weights = as_finite_array(weights, "weights", shape=(psi.shape[0],))
    if np.any(weights < 0) or not np.any(weights > 0):
        raise ValueError("weights must be >= 0 and not all zero")
    denominator = float(np.sum(weights * np.sum(score**2, axis=1)))
    if denominator == 0.0:
        raise ValueError("score is zero wherever weights > 0: the relative error is undefined")
    return float(np.sqrt(np.sum(weights * np.sum((psi - score) ** 2, axis=1)) / denominator))


# -------------------------------------------------------------------- 1-D energies


def energy_from_field_1d(field, grid):
    """An energy ``F`` with ``F' = f`` on a 1-D grid, ``F(grid[0]) = 0``.

    In one dimension every continuous field is a gradient: ``F`` is the cumulative
    integral of ``f``, here by the cumulative Simpson rule (error of order
    ``spacing^4`` for a smooth ``f``).

    Parameters
    ----------
    field : callable or array_like
        ``f(X) -> (m,)`` or ``(m, 1)`` for ``X`` of shape (m, 1) (for example
        ``lambda X: (r(X) - X)[:, 0]``), or its values on the grid, shape (m,).
    grid : array_like, shape (m,)
        Strictly increasing nodes.

    Returns
    -------
    ndarray, shape (m,)
    """
    grid = increasing_grid(grid, "grid")
    values = field(grid[:, None]) if callable(field) else field
    values = _grid_values(values, grid, "field")
    return cumulative_simpson(values, x=grid, initial=0.0)


def energy_density_1d(energy, grid, sigma, tail_tolerance=1e-6, log=False):
    """The density ``q(x) = exp(F(x) / sigma^2) / Z`` on a 1-D grid, ``Z`` by quadrature.

    Under the reading ``log p ~ F / sigma^2 + const`` of a denoising auto-encoder's
    energy ``F``, this is the density the auto-encoder assigns to the data. ``Z`` is a
    trapezoid sum over ``grid``, which must cover the mass of ``q``; the largest value
    of ``F / sigma^2`` is subtracted before exponentiating, so no overflow occurs.

    Parameters
    ----------
    energy : callable or array_like
        ``F(X) -> (m,)`` for ``X`` of shape (m, 1) (e.g. ``lambda X: model.energy(params, X)``),
        or its values on the grid, shape (m,).
    grid : array_like, shape (m,)
        Strictly increasing nodes.
    sigma : float
        > 0.
    tail_tolerance : float
        Largest accepted value of ``q`` at either end of the grid, relative to its
        maximum. A learned energy can keep growing away from the data; a grid that
        cuts off part of the mass would give a wrong ``Z`` silently, so it is an error.
    log : bool
        Return ``log q`` instead of ``q`` (finite where ``q`` underflows to 0).

    Returns
    -------
    ndarray, shape (m,)
        ``q`` (or ``log q``) on the grid; the trapezoid integral of ``q`` is 1.

    Raises
    ------
    ValueError
        If ``q`` at an end of the grid exceeds ``tail_tolerance`` times its maximum.
    """
    grid = increasing_grid(grid, "grid")
    sigma = positive_scalar(sigma, "sigma")
    tail_tolerance = positive_scalar(tail_tolerance, "tail_tolerance")
    values = energy(grid[:, None]) if callable(energy) else energy
    log_q = _grid_values(values, grid, "energy") / sigma**2
    q = np.exp(log_q - np.max(log_q))
    edge = max(q[0], q[-1])
    if edge > tail_tolerance:
        raise ValueError(
            f"grid does not cover the mass of exp(F / sigma^2): at an end of the grid q is "
            f"{edge:.3g} of its maximum (tail_tolerance={tail_tolerance:g}); extend the grid"
        )
    if log:
        return log_q - np.max(log_q) - np.log(_trapezoid(q, grid))
    return q / _trapezoid(q, grid)


def _densities_on_grid(p, q, grid):
    grid = increasing_grid(grid, "grid")
    p = _grid_values(p, grid, "p")
    q = _grid_values(q, grid, "q")
    for name, values in (("p", p), ("q", q)):
        if np.any(values < 0):
            raise ValueError(f"{name} must be >= 0 (a density on the grid)")
    return p, q, grid


def total_variation_1d(p, q, grid):
    """Total-variation distance ``(1/2) integral |p - q|`` of two densities on a 1-D grid.

    Parameters
    ----------
    p, q : array_like, shape (m,)
        Density values on the grid.
    grid : array_like, shape (m,)

    Returns
    -------
    float
        Between 0 and 1 for normalised densities.
    """
    p, q, grid = _densities_on_grid(p, q, grid)
    return 0.5 * _trapezoid(np.abs(p - q), grid)


def kl_divergence_1d(p, q, grid, log=False):
    """Kullback-Leibler divergence ``integral p log(p / q)`` on a 1-D grid (trapezoid).

    Parameters
    ----------
    p, q : array_like, shape (m,)
        Density values on the grid, ``q > 0`` wherever ``p > 0``; or, with ``log=True``,
        log-densities (finite), which avoids underflow in the tails.
    grid : array_like, shape (m,)
    log : bool
        Whether ``p`` and ``q`` are log-densities.

    Returns
    -------
    float
    """
    if log:
        grid = increasing_grid(grid, "grid")
        log_p = _grid_values(p, grid, "p")
        log_q = _grid_values(q, grid, "q")
        return _trapezoid(np.exp(log_p) * (log_p - log_q), grid)
    p, q, grid = _densities_on_grid(p, q, grid)
    support = p > 0
    if np.any(q[support] == 0):
        raise ValueError("q must be > 0 wherever p > 0 (otherwise KL(p || q) is infinite)")
    integrand = np.zeros_like(p)
    integrand[support] = p[support] * (np.log(p[support]) - np.log(q[support]))
    return _trapezoid(integrand, grid)


def mass_outside_1d(q, grid, lower, upper):
    """Probability that a density on a 1-D grid gives to ``x < lower`` or ``x > upper``.

    For example the mass that a model density puts beyond the range of its training
    data. Trapezoid rule on the grid with the integrand set to 0 inside the interval.

    Parameters
    ----------
    q : array_like, shape (m,)
        Density values on the grid, >= 0.
    grid : array_like, shape (m,)
    lower, upper : float
        The interval, ``lower < upper``.

    Returns
    -------
    float
    """
    q, _, grid = _densities_on_grid(q, q, grid)
    lower = float(as_finite_array(lower, "lower", ndim=0))
    upper = float(as_finite_array(upper, "upper", ndim=0))
    if not lower < upper:
        raise ValueError(f"lower must be < upper; got lower={lower}, upper={upper}")
    outside = (grid < lower) | (grid > upper)
    return _trapezoid(np.where(outside, q, 0.0), grid)


# ------------------------------------------------------------ gradient fields or not


def jacobian_asymmetry(J, per_point=False):
    """How far Jacobians are from symmetric: ``||J - J^T||_F / ||J||_F``.

    A smooth field on ``R^d`` is a gradient field exactly when its Jacobian is
    symmetric everywhere. The ratio is 0 for a symmetric matrix and 2 for an
    antisymmetric one. Over several points the aggregate is the ratio of root mean
    squares, ``sqrt(sum ||J - J^T||^2 / sum ||J||^2)``, so that points where ``J`` is
    nearly zero do not dominate.

    Parameters
    ----------
    J : array_like, shape (n, d, d)
        Jacobians of the field (for ``r(x) - x``: ``J_r - I``).
    per_point : bool
        Return one ratio per point instead of the aggregate.

    Returns
    -------
    float, or ndarray of shape (n,)
    """
    J = _jacobians(J)
    skew = np.sum((J - np.swapaxes(J, 1, 2)) ** 2, axis=(1, 2))
    size = np.sum(J**2, axis=(1, 2))
    if per_point:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(size > 0, np.sqrt(skew / np.where(size > 0, size, 1.0)), 0.0)
    total = float(np.sum(size))
    if total == 0.0:
        raise ValueError("J is zero at every point: the asymmetry ratio is undefined")
    return float(np.sqrt(np.sum(skew) / total))


def curl_2d(J):
    """Curl ``d f_2 / d x_1 - d f_1 / d x_2`` of a 2-D field from its Jacobians.

    Parameters
    ----------
    J : array_like, shape (n, 2, 2)
        ``J[n, i, j] = d f_i / d x_j``.

    Returns
    -------
    ndarray, shape (n,)
    """
    J = _jacobians(J)
    if J.shape[1] != 2:
        raise ValueError(f"J must have shape (n, 2, 2) for a curl in 2-D; got shape {J.shape}")
    return J[:, 1, 0] - J[:, 0, 1]


def circulation(field, center, radius, n_nodes=256):
    """Circulation ``closed integral f . dx`` of a 2-D field around a circle, anticlockwise.

    The trapezoid rule on a periodic integrand converges faster than any power of the
    number of nodes. By Stokes' theorem the circulation equals the integral of the
    curl over the disc; it is zero for a gradient field. It is also the difference
    between the line integrals of ``f`` from ``center - (radius, 0)`` to
    ``center + (radius, 0)`` along the lower and the upper half of the circle.

    Parameters
    ----------
    field : callable
        ``X (n, 2) -> (n, 2)``.
    center : array_like, shape (2,)
    radius : float
        > 0.
    n_nodes : int
        Quadrature nodes on the circle, >= 8.

    Returns
    -------
    float
    """
    check_callable(field, "field")
    center = as_finite_array(center, "center", shape=(2,))
    radius = positive_scalar(radius, "radius")
    n_nodes = positive_int(n_nodes, "n_nodes", minimum=8)
    t = 2.0 * np.pi * np.arange(n_nodes) / n_nodes
    direction = np.stack([np.cos(t), np.sin(t)], axis=1)
    points = center + radius * direction
    values = np.asarray(field(points), dtype=float)
    if values.shape != (n_nodes, 2):
        raise ValueError(f"field(X) must return shape {(n_nodes, 2)}; got {values.shape}")
    tangent = radius * np.stack([-np.sin(t), np.cos(t)], axis=1)  # d(points)/dt
    return float(np.sum(values * tangent) * 2.0 * np.pi / n_nodes)


# ---------------------------------------------------------------------------- checks


def check_energy_gradient(reconstruct, energy, X, claim="r(x) - x = grad F(x)"):
    """Check that ``r(x) - x`` is the gradient of the energy ``F`` at the points ``X``.

    ``grad F`` by autograd. Measured: ``max |grad F - (r - x)| / max |r - x|``;
    expected 0 within ``ROUNDOFF_TOLERANCE``, since for a tied auto-encoder and
    its :meth:`raetut.models.Autoencoder.energy` the two sides are the same sums evaluated
    in a different order.

    Parameters
    ----------
    reconstruct : callable
        ``r(X) -> (n, d)``.
    energy : callable
        ``F(X) -> (n,)``, written with ``autograd.numpy``.
    X : array_like, shape (n, d)
    claim : str
        Text of the claim in the result.

    Returns
    -------
    CheckResult
    """
    check_callable(reconstruct, "reconstruct")
    X = as_points(X)
    field = np.asarray(reconstruct(X), dtype=float) - X
    if field.shape != X.shape:
        raise ValueError(f"reconstruct(X) must return shape {X.shape}; got {field.shape}")
    gradient = energy_gradient(energy, X)
    scale = float(np.max(np.abs(field)))
    measured = float(np.max(np.abs(gradient - field))) / (scale if scale > 0 else 1.0)
    return CheckResult(
        claim, measured, 0.0, ROUNDOFF_TOLERANCE, bool(measured <= ROUNDOFF_TOLERANCE),
        f"max |r - x| = {scale:.4g} over n = {X.shape[0]} points",
    )


def check_gradient_field(J, claim="Jacobian symmetric (gradient field)", tolerance=None):
    """Check that Jacobians are symmetric: ``||J - J^T||_F / ||J||_F`` (aggregate) is 0.

    Measured: :func:`jacobian_asymmetry` over all points; expected 0 within
    ``ROUNDOFF_TOLERANCE`` by default (a field that is a gradient by construction,
    such as a tied auto-encoder or ``x + sigma^2 grad log p_sigma``, is symmetric up to
    rounding).

    Parameters
    ----------
    J : array_like, shape (n, d, d)
        Jacobians of the field.
    claim : str
        Text of the claim in the result.
    tolerance : float, optional
        Accepted asymmetry; default ``ROUNDOFF_TOLERANCE``.

    Returns
    -------
    CheckResult
    """
    tolerance = ROUNDOFF_TOLERANCE if tolerance is None else positive_scalar(tolerance,
                                                                              "tolerance")
    J = _jacobians(J)
    measured = jacobian_asymmetry(J)
    detail = f"n = {J.shape[0]} points"
    if J.shape[1] == 2:
        detail += f", max |curl| = {np.max(np.abs(curl_2d(J))):.3g}"
    return CheckResult(claim, measured, 0.0, tolerance, bool(measured <= tolerance), detail)


def check_dae_score_matching_1d(reconstruct, derivative, density, sigma, grid=None, n_grid=4001,
                                smoothed=True):
    """Vincent (2011): ``L_DAE(r) = sigma^2 + 2 sigma^4 J_SM^{p_sigma}((r - x) / sigma^2)``.

    Both sides by quadrature (:func:`dae_score_matching_terms_1d`). Measured: the
    larger of the relative differences between ``L_DAE`` and the score-matching form
    and between ``L_DAE`` and the Fisher form; expected 0 within
    ``QUADRATURE_TOLERANCE``. With ``smoothed=False`` the score-matching
    expectations are taken under ``p`` instead of ``p_sigma`` (a negative control: it
    must fail).

    Parameters
    ----------
    reconstruct : callable
        ``r(X) -> (n, 1)``.
    derivative : callable
        ``X -> (n,)``, ``r'(x)``.
    density : GaussianMixture
        1-D data density.
    sigma : float
        > 0.
    grid : array_like, shape (m,), optional
    n_grid : int
    smoothed : bool
        Use ``p_sigma`` (the claim) or ``p`` (the control) on the right side.

    Returns
    -------
    CheckResult
    """
    if not isinstance(smoothed, (bool, np.bool_)):
        raise TypeError(f"smoothed must be True or False; got {type(smoothed).__name__}")
    density = _check_mixture_1d(density)
    sigma = positive_scalar(sigma, "sigma")
    if grid is None:
        grid = _default_grid(density, sigma, positive_int(n_grid, "n_grid", minimum=3))
    terms = dae_score_matching_terms_1d(reconstruct, derivative, density, sigma, grid)
    if smoothed:
        forms = (terms["score_matching_form"], terms["fisher_form"])
        claim = "L_DAE = sigma^2 + 2 sigma^4 J_SM[p_sigma]"
    else:
        grid = np.asarray(grid, dtype=float)
        X = grid[:, None]
        p = density.prob(X)
        psi = (np.asarray(reconstruct(X), dtype=float)[:, 0] - grid) / sigma**2
        div = (_grid_values(derivative(X), grid, "derivative(X)") - 1.0) / sigma**2
        j_sm = _trapezoid(p * (0.5 * psi**2 + div), grid)
        forms = (sigma**2 + 2.0 * sigma**4 * j_sm,)
        claim = "L_DAE = sigma^2 + 2 sigma^4 J_SM[p] (p, not p_sigma)"
    measured = max(abs(f - terms["dae"]) for f in forms) / abs(terms["dae"])
    return CheckResult(
        claim, measured, 0.0, QUADRATURE_TOLERANCE, bool(measured <= QUADRATURE_TOLERANCE),
        f"L_DAE = {terms['dae']:.10g}, sigma = {sigma:g}, J_SM[p_sigma] = {terms['j_sm']:.6g}",
    )


def check_dae_optimum_energy_1d(density, sigma, grid=None, n_grid=4001):
    """The optimal DAE's energy gives ``p_sigma`` exactly: ``exp(F / sigma^2) / Z = p_sigma``.

    ``r*_sigma(x) - x = sigma^2 (log p_sigma)'(x)`` (Tweedie), so integrating the field
    (:func:`energy_from_field_1d`) and normalising (:func:`energy_density_1d`) must
    give ``p_sigma``. Measured: the total-variation distance to ``p_sigma``; expected 0
    within 1e-8 (the cumulative Simpson rule on the default grid is accurate to about
    1e-10 in ``F / sigma^2``; an energy read as ``log p`` instead of ``log p_sigma``
    is off by the total variation between ``p`` and ``p_sigma``, reported in the detail).

    Parameters
    ----------
    density : GaussianMixture
        1-D data density.
    sigma : float
        > 0.
    grid : array_like, shape (m,), optional
        Default: ``n_grid`` points reaching 12 standard deviations of ``p_sigma``
        beyond every component.
    n_grid : int

    Returns
    -------
    CheckResult
    """
    density = _check_mixture_1d(density)
    sigma = positive_scalar(sigma, "sigma")
    if grid is None:
        grid = _default_grid(density, sigma, positive_int(n_grid, "n_grid", minimum=3))
    grid = increasing_grid(grid, "grid")
    optimum = dae_optimum(density, sigma)
    F = energy_from_field_1d(lambda X: (optimum(X) - X)[:, 0], grid)
    q = energy_density_1d(F, grid, sigma)
    p_sigma = density.smoothed(sigma).prob(grid[:, None])
    p = density.prob(grid[:, None])
    measured = total_variation_1d(q, p_sigma, grid)
    tolerance = 1e-8
    return CheckResult(
        "optimal DAE: exp(F/sigma^2)/Z = p_sigma", measured, 0.0, tolerance,
        bool(measured <= tolerance),
        f"sigma = {sigma:g}; TV to p itself = {total_variation_1d(q, p, grid):.4g}",
    )
