"""The training criteria of regularized auto-encoders, written once.

Every criterion takes the reconstruction as a function ``r(X) -> (n, d)`` and
averages over the rows of a sample ``X``: these are Monte-Carlo estimates of the
expectations in the paper. They are written with ``autograd.numpy``, so when
``r`` closes over parameters the losses can be differentiated with respect to them.

=====================  ====================================================
criterion              per-sample term, averaged over ``x ~ p``
=====================  ====================================================
DAE                    ``||r(x + eps) - x||^2``, ``eps ~ N(0, sigma^2 I)``
rCAE                   ``||r(x) - x||^2 + lam * ||J_r(x)||_F^2``
CAE                    ``||r(x) - x||^2 + lam * ||J_f(x)||_F^2`` (encoder f)
score matching         ``0.5 * ||psi(x)||^2 + div psi(x)``
=====================  ====================================================

For 1-D densities the DAE and rCAE criteria also have deterministic quadrature
forms (:func:`dae_loss_quadrature`, :func:`rcae_loss_quadrature`): the expectation
over ``x`` is a quadrature on a grid, the one over the corruption a Gauss–Hermite
rule. They are accurate to many digits, so differences between criteria of order
``sigma^4`` or smaller can be measured.
"""

import autograd.numpy as anp
import numpy as np

from ._grid import trapezoid, trapezoid_weights
from ._validation import (
    as_points,
    call_checked,
    check_callable,
    check_rng,
    increasing_grid,
    nonnegative_scalar,
    one_of,
    positive_int,
    scale_parameter,
    values_on_grid,
)
from .densities import check_density_1d, check_mixture

__all__ = [
    "reconstruction_error",
    "dae_loss",
    "rcae_loss",
    "cae_loss",
    "score_matching_loss",
    "quadrature_weights",
    "dae_loss_quadrature",
    "rcae_loss_quadrature",
    "rcae_score_matching_terms",
    "smoothed_grid_1d",
    "dae_score_matching_terms_1d",
    "score_matching_quadrature_1d",
]


def reconstruction_error(reconstruct, X):
    """Squared reconstruction error ``||r(x) - x||^2`` of each point.

    Parameters
    ----------
    reconstruct : callable
        ``r(X) -> (n, d)``.
    X : array_like, shape (n, d)

    Returns
    -------
    ndarray, shape (n,)
    """
    check_callable(reconstruct, "reconstruct")
    X = as_points(X)
    R = call_checked(reconstruct, X, "reconstruct")
    return anp.sum((R - X) ** 2, axis=1)


def dae_loss(reconstruct, X, sigma, noise=None, rng=None):
    """Denoising criterion ``E ||r(x + eps) - x||^2`` with ``eps ~ N(0, sigma^2 I)``.

    Parameters
    ----------
    reconstruct : callable
        ``r(X) -> (n, d)``.
    X : array_like, shape (n, d)
        Clean samples.
    sigma : float
        Standard deviation of the Gaussian corruption, > 0.
    noise : array_like, shape (n, d) or (m, n, d), optional
        Standard-normal draws; the corruption is ``sigma * noise``. Pass the same
        array to keep the corruption fixed (e.g. during L-BFGS); ``m`` corruptions
        per point are averaged.
    rng : numpy.random.Generator, optional
        Used to draw one corruption per point when ``noise`` is not given.

    Returns
    -------
    float
        The loss, averaged over points (and corruptions).
    """
    check_callable(reconstruct, "reconstruct")
    X = as_points(X)
    sigma = scale_parameter(sigma, "sigma")
    n, d = X.shape
    if noise is None:
        if rng is None:
            raise ValueError("dae_loss needs either noise (standard-normal draws) or rng")
        noise = check_rng(rng).standard_normal((n, d))
    elif rng is not None:
        raise ValueError("pass either noise or rng to dae_loss, not both")
    noise = np.asarray(noise, dtype=float)
    if noise.shape == (n, d):
        noise = noise[None]
    if noise.ndim != 3 or noise.shape[1:] != (n, d):
        raise ValueError(f"noise must have shape {(n, d)} or (m, {n}, {d}); got {noise.shape}")
    if not np.all(np.isfinite(noise)):
        raise ValueError("noise contains NaN or infinite values")
    m = noise.shape[0]
    corrupted = (X[None] + sigma * noise).reshape(m * n, d)
    R = call_checked(reconstruct, corrupted, "reconstruct")
    return anp.mean(anp.sum((R - anp.tile(X, (m, 1))) ** 2, axis=1))


def rcae_loss(reconstruct, jacobian_sq_norm, X, lam):
    """Reconstruction-contractive criterion ``E[||r(x) - x||^2 + lam ||J_r(x)||_F^2]``.

    Parameters
    ----------
    reconstruct : callable
        ``r(X) -> (n, d)``.
    jacobian_sq_norm : callable
        ``X -> (n,)``, the squared Frobenius norm of ``dr/dx`` at each point.
    X : array_like, shape (n, d)
    lam : float
        Weight of the contraction penalty, >= 0.

    Returns
    -------
    float
    """
    return _penalised_loss(reconstruct, jacobian_sq_norm, "jacobian_sq_norm", X, lam)


def cae_loss(reconstruct, encoder_jacobian_sq_norm, X, lam):
    """Contractive criterion ``E[||r(x) - x||^2 + lam ||df/dx||_F^2]`` (encoder ``f`` only).

    Parameters
    ----------
    reconstruct : callable
        ``r(X) -> (n, d)``.
    encoder_jacobian_sq_norm : callable
        ``X -> (n,)``, the squared Frobenius norm of the encoder's Jacobian.
    X : array_like, shape (n, d)
    lam : float
        Weight of the contraction penalty, >= 0.

    Returns
    -------
    float
    """
    return _penalised_loss(reconstruct, encoder_jacobian_sq_norm, "encoder_jacobian_sq_norm",
                           X, lam)


def _penalised_loss(reconstruct, penalty, penalty_name, X, lam):
    """``mean(||r(x) - x||^2 + lam * penalty(x))``: the rCAE and CAE criteria."""
    check_callable(penalty, penalty_name)
    lam = nonnegative_scalar(lam, "lam")
    err = reconstruction_error(reconstruct, X)
    X = np.asarray(X, dtype=float)
    return anp.mean(err + lam * call_checked(penalty, X, penalty_name, shape=X.shape[:1]))


def score_matching_loss(psi, divergence, X):
    """Hyvärinen's score-matching objective ``E[0.5 ||psi(x)||^2 + div psi(x)]``.

    Up to a constant independent of ``psi`` this equals ``0.5 E||psi - grad log p||^2``.

    Parameters
    ----------
    psi : callable
        The candidate score ``X -> (n, d)``.
    divergence : callable
        ``X -> (n,)``, the divergence (trace of the Jacobian) of ``psi``.
    X : array_like, shape (n, d)

    Returns
    -------
    float
    """
    check_callable(psi, "psi")
    check_callable(divergence, "divergence")
    X = as_points(X)
    n, d = X.shape
    P = call_checked(psi, X, "psi")
    div = call_checked(divergence, X, "divergence", shape=(n,))
    return anp.mean(0.5 * anp.sum(P**2, axis=1) + div)


# ------------------------------------------------------------- quadrature forms (1-D)


def quadrature_weights(grid, rule="trapezoid"):
    """Weights ``w`` such that ``sum_i w_i f(grid_i)`` approximates the integral of ``f``.

    The trapezoid rule works on any increasing grid; for a smooth integrand that
    is negligible (with its derivatives) at both ends of the grid it converges
    faster than any power of the spacing. Simpson's rule needs a uniform grid with
    an odd number of points.

    Parameters
    ----------
    grid : array_like, shape (m,)
        Strictly increasing nodes.
    rule : str
        ``"trapezoid"`` or ``"simpson"``.

    Returns
    -------
    ndarray, shape (m,)
    """
    grid = increasing_grid(grid, "grid")
    one_of(rule, "rule", ("trapezoid", "simpson"))
    if rule == "trapezoid":
        return trapezoid_weights(grid)
    spacing = np.diff(grid)
    if grid.size % 2 == 0 or not np.allclose(spacing, spacing[0], rtol=1e-9, atol=0.0):
        raise ValueError(
            "rule='simpson' needs a uniform grid with an odd number of points; "
            f"got {grid.size} points"
        )
    weights = np.where(np.arange(grid.size) % 2 == 1, 4.0, 2.0)
    weights[[0, -1]] = 1.0
    return weights * spacing[0] / 3.0


def _density_on_grid(density, grid):
    """``p`` at the grid points, checking that ``density`` is a 1-D density object."""
    check_density_1d(density, ("prob",))
    return call_checked(density.prob, grid[:, None], "density.prob", shape=grid.shape)


def dae_loss_quadrature(reconstruct, density, sigma, grid, n_hermite=40, rule="trapezoid"):
    """Denoising criterion of a 1-D density by quadrature (no sampling).

    ``integral p(x) E_eps (r(x + eps) - x)^2 dx`` with ``eps ~ N(0, sigma^2)``:
    Gauss–Hermite with ``n_hermite`` nodes for ``eps`` (exact for polynomials
    ``r`` of degree < ``n_hermite``) and ``rule`` on ``grid`` for ``x``. The grid
    must cover the mass of ``p``; ``r`` is evaluated off the grid too, at
    ``x + eps``. Written with ``autograd.numpy``: differentiable with respect to
    parameters that ``r`` closes over.

    Parameters
    ----------
    reconstruct : callable
        ``r(X) -> (n, 1)`` for ``X`` of shape (n, 1).
    density : object
        A 1-D density with ``prob(X) -> (n,)``.
    sigma : float
        Standard deviation of the corruption, > 0.
    grid : array_like, shape (m,)
        Strictly increasing quadrature nodes in ``x``.
    n_hermite : int
        Number of Gauss–Hermite nodes.
    rule : str
        ``"trapezoid"`` or ``"simpson"`` (see :func:`quadrature_weights`).

    Returns
    -------
    float
    """
    check_callable(reconstruct, "reconstruct")
    sigma = scale_parameter(sigma, "sigma")
    n_hermite = positive_int(n_hermite, "n_hermite")
    weights_x = quadrature_weights(grid, rule)
    grid = np.asarray(grid, dtype=float)
    p = _density_on_grid(density, grid)
    nodes, weights_eps = np.polynomial.hermite_e.hermegauss(n_hermite)
    weights_eps = weights_eps / np.sqrt(2.0 * np.pi)  # E f(Z) = sum_k w_k f(z_k), Z ~ N(0, 1)
    m = grid.size
    corrupted = (grid[:, None] + sigma * nodes[None, :]).reshape(m * n_hermite, 1)
    R = call_checked(reconstruct, corrupted, "reconstruct")
    sq_err = (anp.reshape(R, (m, n_hermite)) - grid[:, None]) ** 2
    return anp.sum(weights_x * p * anp.dot(sq_err, weights_eps))


def rcae_loss_quadrature(reconstruct, jacobian_sq_norm, density, lam, grid, rule="trapezoid"):
    """Reconstruction-contractive criterion of a 1-D density by quadrature.

    ``integral p(x) [(r(x) - x)^2 + lam r'(x)^2] dx`` with ``rule`` on ``grid``
    (which must cover the mass of ``p``). Differentiable with autograd like
    :func:`dae_loss_quadrature`.

    Parameters
    ----------
    reconstruct : callable
        ``r(X) -> (n, 1)``.
    jacobian_sq_norm : callable
        ``X -> (n,)``, the squared derivative ``r'(x)^2``.
    density : object
        A 1-D density with ``prob(X) -> (n,)``.
    lam : float
        Weight of the contraction penalty, >= 0.
    grid : array_like, shape (m,)
        Strictly increasing quadrature nodes.
    rule : str
        ``"trapezoid"`` or ``"simpson"``.

    Returns
    -------
    float
    """
    check_callable(reconstruct, "reconstruct")
    check_callable(jacobian_sq_norm, "jacobian_sq_norm")
    lam = nonnegative_scalar(lam, "lam")
    weights_x = quadrature_weights(grid, rule)
    grid = np.asarray(grid, dtype=float)
    p = _density_on_grid(density, grid)
    X = grid[:, None]
    R = call_checked(reconstruct, X, "reconstruct")
    penalty = call_checked(jacobian_sq_norm, X, "jacobian_sq_norm", shape=(grid.size,))
    return anp.sum(weights_x * p * ((R[:, 0] - grid) ** 2 + lam * penalty))


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
    lam = scale_parameter(lam, "lam")
    n, d = X.shape
    J = call_checked(psi_jacobian, X, "psi_jacobian", shape=(n, d, d))

    def reconstruct(Z):
        return Z + lam * psi(Z)

    def reconstruct_jacobian_sq_norm(Z):
        return np.sum((np.eye(d) + lam * J) ** 2, axis=(1, 2))

    rcae = float(rcae_loss(reconstruct, reconstruct_jacobian_sq_norm, X, lam))
    j_sm = float(score_matching_loss(psi, divergence, X))
    jacobian_sq = float(np.mean(np.sum(J**2, axis=(1, 2))))
    return {
        "rcae": rcae,
        "constant": lam * d,
        "score_matching": 2.0 * lam**2 * j_sm,
        "regulariser": lam**3 * jacobian_sq,
        "j_sm": j_sm,
        "jacobian_sq": jacobian_sq,
    }


def smoothed_grid_1d(density, sigma, n_grid):
    """Uniform grid reaching 12 standard deviations of ``p_sigma`` beyond every component."""
    density = check_mixture(density, dim=1)
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
    density = check_mixture(density, dim=1)
    sigma = scale_parameter(sigma, "sigma", power=4)
    n_hermite = positive_int(n_hermite, "n_hermite")
    if grid is None:
        grid = smoothed_grid_1d(density, sigma, positive_int(n_grid, "n_grid", minimum=3))
    grid = increasing_grid(grid, "grid")
    X = grid[:, None]
    smooth = density.smoothed(sigma)
    p_sigma = smooth.prob(X)
    s_sigma = smooth.score(X)[:, 0]
    R = call_checked(reconstruct, X, "reconstruct")
    psi = (R[:, 0] - grid) / sigma**2
    div = (values_on_grid(derivative(X), grid.size, "derivative(X)") - 1.0) / sigma**2
    dae = float(dae_loss_quadrature(reconstruct, density, sigma, grid, n_hermite))
    j_sm = trapezoid(p_sigma * (0.5 * psi**2 + div), grid)
    fisher = trapezoid(p_sigma * (psi - s_sigma) ** 2, grid)
    score_sq = trapezoid(p_sigma * s_sigma**2, grid)
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
    check_density_1d(density, ("prob",) if divergence is not None else ("prob", "score"))
    X = grid[:, None]
    p = values_on_grid(density.prob(X), grid.size, "density.prob(X)")
    values = values_on_grid(psi(X), grid.size, "psi(X)")
    if divergence is None:
        score = values_on_grid(density.score(X), grid.size, "density.score(X)")
        return trapezoid(p * (0.5 * values**2 - score * values), grid)
    div = values_on_grid(divergence(X), grid.size, "divergence(X)")
    return trapezoid(p * (0.5 * values**2 + div), grid)


