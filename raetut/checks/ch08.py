"""Chapter 8, score matching and energies."""

import numpy as np

from .. import criteria
from .._grid import trapezoid
from .._validation import (
    as_jacobians,
    as_points,
    check_callable,
    increasing_grid,
    positive_int,
    positive_scalar,
    values_on_grid,
)
from ..criteria import dae_score_matching_terms_1d, smoothed_grid_1d
from ..densities import check_mixture
from ..diagnostics import total_variation_1d
from ..fields import (
    curl_2d,
    energy_density_1d,
    energy_from_field_1d,
    energy_gradient,
    jacobian_asymmetry,
)
from ..optimal import dae_optimum
from . import CheckResult, record, register

__all__ = [
    "check_energy_gradient",
    "check_gradient_field",
    "check_dae_score_matching_1d",
    "check_dae_optimum_energy_1d",
    "check_score_matching_identity",
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
    J = as_jacobians(J)
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
    density = check_mixture(density, dim=1)
    sigma = positive_scalar(sigma, "sigma")
    if grid is None:
        grid = smoothed_grid_1d(density, sigma, positive_int(n_grid, "n_grid", minimum=3))
    terms = dae_score_matching_terms_1d(reconstruct, derivative, density, sigma, grid)
    if smoothed:
        forms = (terms["score_matching_form"], terms["fisher_form"])
        claim = "L_DAE = sigma^2 + 2 sigma^4 J_SM[p_sigma]"
    else:
        grid = np.asarray(grid, dtype=float)
        X = grid[:, None]
        p = density.prob(X)
        psi = (np.asarray(reconstruct(X), dtype=float)[:, 0] - grid) / sigma**2
        div = (values_on_grid(derivative(X), grid.size, "derivative(X)") - 1.0) / sigma**2
        j_sm = trapezoid(p * (0.5 * psi**2 + div), grid)
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
    density = check_mixture(density, dim=1)
    sigma = positive_scalar(sigma, "sigma")
    if grid is None:
        grid = smoothed_grid_1d(density, sigma, positive_int(n_grid, "n_grid", minimum=3))
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


def _default_tanh_field():
    """``psi(x) = A tanh(B x + b)`` in 2-D, its Jacobian and its divergence."""
    A = np.array([[0.8, -0.5], [0.3, 1.1]])
    B = np.array([[1.2, 0.4], [-0.7, 0.9]])
    b = np.array([0.1, -0.3])

    def psi(X):
        return np.tanh(X @ B.T + b) @ A.T

    def jacobian(X):
        slope = 1.0 - np.tanh(X @ B.T + b) ** 2  # (n, 2)
        return np.einsum("ij,nj,jk->nik", A, slope, B)

    def divergence(X):
        return np.trace(jacobian(X), axis1=1, axis2=2)

    return psi, jacobian, divergence


@register(chapter=8, kind="identity")
def check_score_matching_identity(psi=None, psi_jacobian=None, divergence=None, X=None, lam=0.1):
    """Result 6: ``L_rCAE(x + lam psi) = lam d + 2 lam^2 J_SM(psi) + lam^3 E||grad psi||_F^2``.

    Exact on any sample. The left side is :func:`raetut.criteria.rcae_loss` with
    ``||I + lam J_psi||_F^2`` from the Jacobian, the right side uses
    :func:`raetut.criteria.score_matching_loss` with the given ``divergence``. Measured: the
    relative difference; expected 0, tolerance 1e-12 (rounding of sums of a few
    hundred terms of order 1 is about 1e-15; a wrong divergence shows at order
    ``lam``).

    Parameters
    ----------
    psi : callable, optional
        ``X (n, d) -> (n, d)``; default a 2-D ``tanh`` field.
    psi_jacobian : callable, optional
        ``X -> (n, d, d)``.
    divergence : callable, optional
        ``X -> (n,)``.
    X : array_like, shape (n, d), optional
        Default: a 20 x 20 grid on ``[-2, 2]^2``.
    lam : float

    Returns
    -------
    CheckResult
    """
    default_psi, default_jacobian, default_divergence = _default_tanh_field()
    psi = check_callable(psi or default_psi, "psi")
    psi_jacobian = check_callable(psi_jacobian or default_jacobian, "psi_jacobian")
    divergence = check_callable(divergence or default_divergence, "divergence")
    if X is None:
        axis = np.linspace(-2.0, 2.0, 20)
        X = np.stack(np.meshgrid(axis, axis), axis=-1).reshape(-1, 2)
    X = as_points(X)
    lam = positive_scalar(lam, "lam")
    n, d = X.shape

    def jacobian(Z):
        J = np.asarray(psi_jacobian(Z), dtype=float)
        if J.shape != (len(Z), d, d):
            raise ValueError(f"psi_jacobian must return shape {(len(Z), d, d)}; got {J.shape}")
        return J

    def reconstruct(Z):
        return Z + lam * psi(Z)

    def reconstruct_jacobian_sq_norm(Z):
        return np.sum((np.eye(d) + lam * jacobian(Z)) ** 2, axis=(1, 2))

    left = criteria.rcae_loss(reconstruct, reconstruct_jacobian_sq_norm, X, lam)
    score_matching = criteria.score_matching_loss(psi, divergence, X)
    right = (lam * d + 2 * lam**2 * score_matching
             + lam**3 * np.mean(np.sum(jacobian(X) ** 2, axis=(1, 2))))
    return record(
        "L_rCAE(x+lam psi) = lam d + 2lam^2 J_SM + lam^3 E|Dpsi|^2",
        abs(left - right) / abs(left), 0.0, 1e-12,
        f"L_rCAE = {left:.10g}, right side = {right:.10g}, lam = {lam:g}, n = {n}",
    )
