"""One function per claim of the paper, each returning a :class:`CheckResult`.

A check measures one number, says which value the claim predicts and within which
tolerance, and whether the measurement agrees. The tolerance of each check is
justified in its docstring from the size of the terms that the claim neglects
(the next order of an expansion, a discretisation error, rounding); it is not
fitted to the measurement. Each check takes the objects it tests as arguments, so
that feeding it a wrong optimum, density or field makes it fail.

The expansions used below (``s`` the score, ``c_DAE = Delta s / 2 + (grad s) s``,
``c_rCAE = Delta s + (grad s) s``):

- ``r*_sigma = x + sigma^2 s + sigma^4 c_DAE + O(sigma^6)`` (optimal DAE),
- ``r*_lam = x + lam s + lam^2 c_rCAE + O(lam^3)`` (optimal rCAE, where ``p`` is not tiny),
- for the gap ``G(r) = L_DAE(r) - L_rCAE(r)|_{lam = sigma^2}`` in 1-D, expanding
  ``r(x + eps)`` and using ``E_p[g'] = -E_p[s g]``:

  * a fixed smooth ``r``: ``G = sigma^2 E_p[(r - x) r''] + O(sigma^4)``;
  * ``r = x + sigma^2 psi`` with ``psi`` fixed: ``G = sigma^6 E_p[(psi - s) psi''] + O(sigma^8)``;
  * ``r = r*_sigma`` (so ``psi = s + O(sigma^2)``): ``G = O(sigma^8)``.

  The paper's statement that the criteria agree to ``O(sigma^4)`` near the optimum
  is therefore a bound; the measured orders are 6 and 8.
"""

from dataclasses import dataclass

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.special import logsumexp

from . import criteria, diagnostics, optimal
from ._validation import as_points, check_callable, check_rng, positive_int, positive_scalar
from .densities import GaussianMixture, critical_points_1d, paper_density_1d

__all__ = [
    "CheckResult",
    "default_mixture_1d",
    "check_dae_optimum_exact",
    "check_dae_score_error_order",
    "check_dae_second_order_coefficient",
    "check_dae_rcae_gap_fixed",
    "check_dae_rcae_gap_coefficient",
    "check_dae_rcae_gap_near_optimum",
    "check_dae_rcae_gap_at_optimum",
    "check_rcae_score_error_order",
    "check_rcae_second_order_coefficient",
    "check_rcae_jacobian_hessian",
    "check_score_matching_identity",
    "check_gaussian_closed_forms",
    "check_gaussian_rcae_solver",
    "check_antimode_reconstruction",
    "run_all",
    "format_table",
]

# A fitted order of convergence is accepted within this distance of the predicted one.
# Neighbouring integer orders are 10 tolerances away; the next term of each expansion
# shifts the fitted slope by only a few hundredths over the default ranges.
SLOPE_TOLERANCE = 0.1

# Points count as "where there is data" when p >= _DATA_LEVEL * max p.
_DATA_LEVEL = 1e-2


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one numerical check of a claim.

    Attributes
    ----------
    claim : str
        What is checked, in a few words.
    measured : float
        The measured number.
    expected : float
        What the claim predicts.
    tolerance : float
        Accepted ``|measured - expected|``.
    passed : bool
        Whether the measurement agrees with the prediction.
    detail : str
        Context: settings, secondary measurements.
    """

    claim: str
    measured: float
    expected: float
    tolerance: float
    passed: bool
    detail: str = ""


def _result(claim, measured, expected, tolerance, detail="", extra_condition=True):
    measured = float(measured)
    passed = bool(np.isfinite(measured) and abs(measured - expected) <= tolerance)
    return CheckResult(
        claim, measured, float(expected), float(tolerance), passed and extra_condition, detail
    )


# ----------------------------------------------------------------------- helpers


def default_mixture_1d():
    """The checks' default 1-D density: three modes of unequal weights and widths.

    Returns
    -------
    GaussianMixture
        Weights (0.3, 0.5, 0.2), means (-2, 0.5, 2.5), variances (0.4, 0.6, 0.3).
    """
    return GaussianMixture([0.3, 0.5, 0.2], [-2.0, 0.5, 2.5], [0.4, 0.6, 0.3])


def _density_1d(density, default=default_mixture_1d):
    if density is None:
        return default()
    needed = ("log_prob", "prob", "score", "hessian_log_prob")
    if getattr(density, "dim", None) != 1 or not all(callable(getattr(density, m, None))
                                                      for m in needed):
        raise TypeError(
            "density must be a 1-D density (dim == 1) with log_prob, prob, score and "
            f"hessian_log_prob, e.g. a 1-D GaussianMixture; got {type(density).__name__}"
        )
    return density


def _support(density, bounds):
    """An interval holding essentially all of the mass of a 1-D density."""
    if bounds is not None:
        lower, upper = (float(b) for b in bounds)
        if not (np.isfinite(lower) and np.isfinite(upper) and lower < upper):
            raise ValueError(f"bounds must be a finite pair (lower, upper), lower < upper; "
                             f"got {bounds}")
        return lower, upper
    if isinstance(density, GaussianMixture):
        # 10 standard deviations: the mass left outside is below 1e-22.
        means = density.means[:, 0]
        spreads = 10.0 * np.sqrt(density.covariances[:, 0, 0])
        return float(np.min(means - spreads)), float(np.max(means + spreads))
    if hasattr(density, "lower") and hasattr(density, "upper"):
        return float(density.lower), float(density.upper)
    raise ValueError(f"bounds must be given for a density of type {type(density).__name__}")


def _data_mask(density, x):
    """Where ``p >= _DATA_LEVEL * max p`` on the points ``x`` (m,)."""
    p = density.prob(x[:, None])
    return p >= _DATA_LEVEL * np.max(p)


def _log_density(density):
    def log_p(x):
        return density.log_prob(np.asarray(x, dtype=float)[:, None])

    return log_p


def _sigmas(values, default, name):
    values = np.geomspace(*default) if values is None else np.asarray(values, dtype=float)
    if values.ndim != 1 or values.size < 3 or np.any(~np.isfinite(values)) or np.any(values <= 0):
        raise ValueError(f"{name} must be at least 3 distinct values > 0; got {values}")
    if np.unique(values).size != values.size:
        raise ValueError(f"{name} must not contain repeated values")
    return values


def _reconstruction(r, X, name):
    out = np.asarray(r(X), dtype=float)
    if out.shape != X.shape:
        raise ValueError(f"{name} must return shape {X.shape}; got {out.shape}")
    return out


def _on_grid(solver, log_p, grid, lam, name="solver"):
    out = np.asarray(solver(log_p, grid, lam), dtype=float)
    if out.shape != grid.shape:
        raise ValueError(f"{name} must return shape {grid.shape}; got {out.shape}")
    return out


def _power_law_slope(h, err):
    """Fitted order of ``err(h)``; errors that vanish exactly count as order 0."""
    err = np.maximum(np.abs(np.asarray(err, dtype=float)), np.finfo(float).tiny)
    return diagnostics.fit_power_law(h, err)


# ----------------------------------------------------------- Result 1: optimal DAE


def check_dae_optimum_exact(density=None, optimum=None, sigmas=(0.05, 0.3, 1.0), n_points=201,
                            n_grid=8001, bounds=None):
    """Theorem 1, exactly: ``r*_sigma(x~) = E[x | x + eps = x~]``.

    The posterior mean is computed by direct quadrature,
    ``sum_j p(x_j) phi_sigma(x~ - x_j) x_j / sum_j p(x_j) phi_sigma(x~ - x_j)`` with
    trapezoid weights on ``n_grid`` points (in log space), independently of Tweedie's
    formula, and compared with ``optimum(density, sigma)`` at ``n_points`` points
    where there is data.

    Tolerance 1e-8: the trapezoid rule on a Gaussian-tailed integrand whose width is
    at least 20 grid spacings errs by far less than 1e-12, so only rounding
    (about 1e-15 here) separates two correct answers.

    Parameters
    ----------
    density : object, optional
        A 1-D density; default :func:`default_mixture_1d`.
    optimum : callable, optional
        ``optimum(density, sigma) -> r``; default :func:`raetut.optimal.dae_optimum`.
    sigmas : sequence of float
        Noise levels, > 0, each at least 20 grid spacings.
    n_points, n_grid : int
        Evaluation points and quadrature nodes.
    bounds : tuple of float, optional
        Interval holding the mass of ``p`` (default: from the density).

    Returns
    -------
    CheckResult
    """
    density = _density_1d(density)
    optimum = check_callable(optimal.dae_optimum if optimum is None else optimum, "optimum")
    sigmas = [positive_scalar(s, "sigmas") for s in np.atleast_1d(sigmas)]
    lower, upper = _support(density, bounds)
    x = np.linspace(lower, upper, positive_int(n_grid, "n_grid", minimum=3))
    if x[1] - x[0] > min(sigmas) / 20:
        raise ValueError(f"n_grid={n_grid} is too small: the spacing must be <= min(sigmas) / 20")
    log_mass = density.log_prob(x[:, None]) + np.log(criteria.quadrature_weights(x))
    points = np.linspace(lower, upper, positive_int(n_points, "n_points", minimum=2))
    X = points[_data_mask(density, points)][:, None]
    worst = 0.0
    for sigma in sigmas:
        log_w = log_mass[None, :] - (X - x[None, :]) ** 2 / (2.0 * sigma**2)
        posterior_mean = np.exp(log_w - logsumexp(log_w, axis=1, keepdims=True)) @ x
        r = _reconstruction(optimum(density, sigma), X, "the optimum")
        worst = max(worst, float(np.max(np.abs(r[:, 0] - posterior_mean))))
    return _result(
        "DAE optimum = posterior mean E[x | x+eps] (Thm 1)", worst, 0.0, 1e-8,
        f"max |r - E[x|x~]| over {len(X)} points, sigma in {sigmas}",
    )


def check_dae_score_error_order(density=None, optimum=None, sigmas=None, bounds=None,
                                n_points=401):
    """Result 1: ``(r*_sigma(x) - x) / sigma^2 - s(x) = O(sigma^2)`` where there is data.

    The maximum of the score error over points with ``p >= 0.01 max p`` is measured
    for geometric ``sigmas`` (default 0.005 to 0.05: small against the density's
    length scale, large enough that the rounding error ``1e-16 |x| / sigma^2`` stays
    below 1e-10) and its log-log slope fitted; expected 2, tolerance
    ``SLOPE_TOLERANCE`` (0.1).

    Parameters
    ----------
    density : object, optional
        A 1-D density; default :func:`default_mixture_1d`.
    optimum : callable, optional
        ``optimum(density, sigma) -> r``; default :func:`raetut.optimal.dae_optimum`.
    sigmas : array_like, optional
        At least 3 noise levels.
    bounds : tuple of float, optional
    n_points : int

    Returns
    -------
    CheckResult
    """
    density = _density_1d(density)
    optimum = check_callable(optimal.dae_optimum if optimum is None else optimum, "optimum")
    sigmas = _sigmas(sigmas, (0.005, 0.05, 6), "sigmas")
    points = np.linspace(*_support(density, bounds), positive_int(n_points, "n_points"))
    X = points[_data_mask(density, points)][:, None]
    s = density.score(X)
    errors = [
        np.max(np.abs((_reconstruction(optimum(density, sg), X, "the optimum") - X) / sg**2 - s))
        for sg in sigmas
    ]
    fit = _power_law_slope(sigmas, errors)
    return _result(
        "DAE score error (r-x)/sigma^2 - s = O(sigma^2)", fit.slope, 2.0, SLOPE_TOLERANCE,
        f"max error = {fit.constant:.4g} sigma^{fit.slope:.3f}, "
        f"sigma {sigmas[0]:g}..{sigmas[-1]:g}",
    )


def check_dae_second_order_coefficient(density=None, optimum=None, correction=None, sigmas=None,
                                       bounds=None, n_points=401):
    """Result 1, next term: ``(r*_sigma - x - sigma^2 s) / sigma^4 -> Delta s / 2 + (grad s) s``.

    At each point the quotient is extrapolated to ``sigma -> 0`` by a least-squares
    fit of ``c + c1 sigma^2`` (:func:`raetut.diagnostics.fit_leading_coefficient`) over geometric
    ``sigmas`` (default 0.01 to 0.08) and compared with ``correction(density, X)``.
    Measured: the maximum error relative to ``max |c|``; expected 0, tolerance 1e-3.
    After the fit the neglected ``sigma^8`` term leaves a relative error of about
    ``(sigma_max / l)^4`` with ``l ~ 0.55`` the smallest component width (5e-4), and
    rounding contributes ``1e-16 |x| / sigma_min^4 ~ 1e-7``.

    Parameters
    ----------
    density : object, optional
    optimum : callable, optional
        ``optimum(density, sigma) -> r``; default :func:`raetut.optimal.dae_optimum`.
    correction : callable, optional
        ``correction(density, X) -> (n, 1)``; default :func:`raetut.optimal.dae_score_correction`.
    sigmas : array_like, optional
    bounds : tuple of float, optional
    n_points : int

    Returns
    -------
    CheckResult
    """
    density = _density_1d(density)
    optimum = check_callable(optimal.dae_optimum if optimum is None else optimum, "optimum")
    correction = check_callable(
        optimal.dae_score_correction if correction is None else correction, "correction"
    )
    sigmas = _sigmas(sigmas, (0.01, 0.08, 6), "sigmas")
    points = np.linspace(*_support(density, bounds), positive_int(n_points, "n_points"))
    X = points[_data_mask(density, points)][:, None]
    s = density.score(X)
    c = _reconstruction(lambda Z: correction(density, Z), X, "correction")[:, 0]
    residuals = np.stack([
        (_reconstruction(optimum(density, sg), X, "the optimum") - X - sg**2 * s)[:, 0]
        for sg in sigmas
    ])
    fitted = diagnostics.fit_leading_coefficient(sigmas, residuals, 4, n_corrections=1, step=2)
    error = np.max(np.abs(fitted - c)) / np.max(np.abs(c))
    return _result(
        "DAE sigma^4 term -> Delta s/2 + (grad s)s", error, 0.0, 1e-3,
        f"relative to max|c| = {np.max(np.abs(c)):.4g}; sigma {sigmas[0]:g}..{sigmas[-1]:g}",
    )


# ------------------------------------------------------ Result 2: DAE ≈ rCAE gap


def _gap(density, family, sigma, grid, n_hermite):
    reconstruct, jacobian_sq_norm = family(sigma)
    dae = criteria.dae_loss_quadrature(reconstruct, density, sigma, grid, n_hermite=n_hermite)
    rcae = criteria.rcae_loss_quadrature(reconstruct, jacobian_sq_norm, density, sigma**2, grid)
    return float(dae - rcae)


def _gaps(density, family, sigmas, bounds, n_grid, n_hermite):
    grid = np.linspace(*_support(density, bounds), positive_int(n_grid, "n_grid", minimum=3))
    check_callable(family, "family")
    return np.array([_gap(density, family, sg, grid, n_hermite) for sg in sigmas]), grid


def _default_fixed_map():
    """``r(x) = x + tanh(x) / 2``, its first and second derivatives."""

    def reconstruct(X):
        return X + 0.5 * np.tanh(X)

    def derivative(X):
        return 1.0 + 0.5 / np.cosh(X) ** 2

    def second_derivative(X):
        return -np.tanh(X) / np.cosh(X) ** 2

    return reconstruct, derivative, second_derivative


def _fixed_family(reconstruct, derivative):
    check_callable(reconstruct, "reconstruct")
    check_callable(derivative, "derivative")

    def jacobian_sq_norm(X):
        return _reconstruction(derivative, X, "derivative")[:, 0] ** 2

    return lambda sigma: (reconstruct, jacobian_sq_norm)


def check_dae_rcae_gap_fixed(density=None, reconstruct=None, derivative=None, sigmas=None,
                             bounds=None, n_grid=3601, n_hermite=30):
    """Result 2 for a poor, fixed ``r``: ``L_DAE - L_rCAE|_{lam=sigma^2} = O(sigma^2)``.

    Both criteria by quadrature (:func:`raetut.criteria.dae_loss_quadrature`,
    :func:`raetut.criteria.rcae_loss_quadrature`) for geometric ``sigmas`` (default 0.01 to
    0.08); the log-log slope of ``|gap|`` is expected to be 2 (its coefficient is
    ``E_p[(r - x) r'']``, checked by :func:`check_dae_rcae_gap_coefficient`),
    tolerance ``SLOPE_TOLERANCE`` (0.1). The default ``r(x) = x + tanh(x) / 2`` is
    non-linear: for an affine ``r`` the gap is exactly 0.

    Parameters
    ----------
    density : object, optional
    reconstruct, derivative : callable, optional
        ``r`` and ``r'``, each ``(n, 1) -> (n, 1)``, independent of ``sigma``.
    sigmas : array_like, optional
    bounds : tuple of float, optional
    n_grid, n_hermite : int
        Quadrature nodes in ``x`` and in the noise.

    Returns
    -------
    CheckResult
    """
    density = _density_1d(density)
    default_r, default_dr, _ = _default_fixed_map()
    family = _fixed_family(reconstruct or default_r, derivative or default_dr)
    sigmas = _sigmas(sigmas, (0.01, 0.08, 6), "sigmas")
    gaps, _ = _gaps(density, family, sigmas, bounds, n_grid, n_hermite)
    fit = _power_law_slope(sigmas, gaps)
    return _result(
        "L_DAE - L_rCAE = O(sigma^2) for a fixed r", fit.slope, 2.0, SLOPE_TOLERANCE,
        f"|gap| = {fit.constant:.4g} sigma^{fit.slope:.3f}, sigma {sigmas[0]:g}..{sigmas[-1]:g}",
    )


def check_dae_rcae_gap_coefficient(density=None, reconstruct=None, derivative=None,
                                   second_derivative=None, sigmas=None, bounds=None, n_grid=3601,
                                   n_hermite=30):
    """Result 2: the ``sigma^2`` coefficient of the gap is ``E_p[(r(x) - x) r''(x)]``.

    The gap of :func:`check_dae_rcae_gap_fixed` is extrapolated by a least-squares
    fit of ``gap / sigma^2 = c + c1 sigma^2 + c2 sigma^4`` and compared with
    ``E_p[(r - x) r'']`` by quadrature. Measured: the relative error; expected 0,
    tolerance 1e-3 (the neglected ``sigma^6`` term is about ``(sigma_max / l)^6 < 1e-4``
    relative with ``l ~ 0.55`` the smallest component width).

    Parameters
    ----------
    density : object, optional
    reconstruct, derivative, second_derivative : callable, optional
        ``r``, ``r'``, ``r''``, each ``(n, 1) -> (n, 1)``.
    sigmas : array_like, optional
    bounds : tuple of float, optional
    n_grid, n_hermite : int

    Returns
    -------
    CheckResult
    """
    density = _density_1d(density)
    default_r, default_dr, default_d2r = _default_fixed_map()
    reconstruct = reconstruct or default_r
    second_derivative = check_callable(second_derivative or default_d2r, "second_derivative")
    family = _fixed_family(reconstruct, derivative or default_dr)
    sigmas = _sigmas(sigmas, (0.01, 0.08, 6), "sigmas")
    gaps, grid = _gaps(density, family, sigmas, bounds, n_grid, n_hermite)
    X = grid[:, None]
    integrand = ((_reconstruction(reconstruct, X, "reconstruct") - X)
                 * _reconstruction(second_derivative, X, "second_derivative"))[:, 0]
    predicted = float(criteria.quadrature_weights(grid) @ (density.prob(X) * integrand))
    fitted = diagnostics.fit_leading_coefficient(sigmas, gaps, 2, n_corrections=2, step=2)
    error = abs(fitted - predicted) / abs(predicted)
    return _result(
        "sigma^2 term of the gap = E[(r-x) r'']", error, 0.0, 1e-3,
        f"fitted {fitted:.6g}, predicted {predicted:.6g}",
    )


def _near_optimal_family(psi, psi_derivative):
    check_callable(psi, "psi")
    check_callable(psi_derivative, "psi_derivative")

    def family(sigma):
        def reconstruct(X):
            return X + sigma**2 * _reconstruction(psi, X, "psi")

        def jacobian_sq_norm(X):
            slope = _reconstruction(psi_derivative, X, "psi_derivative")[:, 0]
            return (1.0 + sigma**2 * slope) ** 2

        return reconstruct, jacobian_sq_norm

    return family


def check_dae_rcae_gap_near_optimum(density=None, psi=None, psi_derivative=None, sigmas=None,
                                    bounds=None, n_grid=3601, n_hermite=30):
    """Result 2 near the optimum: for ``r = x + sigma^2 psi`` the gap is ``O(sigma^6)``.

    The paper bounds the gap by ``O(sigma^4)`` when ``r - x = O(sigma^2)``; expanding
    further gives ``sigma^6 E_p[(psi - s) psi''] + O(sigma^8)``, so the expected
    log-log slope is 6 (tolerance ``SLOPE_TOLERANCE`` (0.1)). The default ``psi`` is the
    exact score of a *different* density, ``p`` smoothed by ``N(0, 0.5^2)``: close to
    ``s`` in shape, but not equal. Geometric ``sigmas`` from 0.01 to 0.08 keep the
    gap (down to about 1e-12) far above the quadrature rounding (about 1e-19).

    Parameters
    ----------
    density : object, optional
    psi, psi_derivative : callable, optional
        The fixed field ``psi`` and its derivative, each ``(n, 1) -> (n, 1)``.
        Required unless ``density`` is a GaussianMixture.
    sigmas : array_like, optional
    bounds : tuple of float, optional
    n_grid, n_hermite : int

    Returns
    -------
    CheckResult
    """
    density = _density_1d(density)
    if psi is None or psi_derivative is None:
        if not isinstance(density, GaussianMixture):
            raise ValueError("psi and psi_derivative must be given unless density is a "
                             "GaussianMixture")
        other = density.smoothed(0.5)
        psi = psi or other.score
        psi_derivative = psi_derivative or (lambda X: other.hessian_log_prob(X)[:, :, 0])
    family = _near_optimal_family(psi, psi_derivative)
    sigmas = _sigmas(sigmas, (0.01, 0.08, 6), "sigmas")
    gaps, _ = _gaps(density, family, sigmas, bounds, n_grid, n_hermite)
    fit = _power_law_slope(sigmas, gaps)
    return _result(
        "gap = O(sigma^6) for r = x + sigma^2 psi", fit.slope, 6.0, SLOPE_TOLERANCE,
        f"|gap| = {fit.constant:.4g} sigma^{fit.slope:.3f} (the paper's bound: O(sigma^4))",
    )


def _dae_optimum_family(density):
    if not isinstance(density, GaussianMixture):
        raise ValueError("family must be given unless density is a GaussianMixture")

    def family(sigma):
        smooth = density.smoothed(sigma)

        def jacobian_sq_norm(X):
            return (1.0 + sigma**2 * smooth.hessian_log_prob(X)[:, 0, 0]) ** 2

        return optimal.dae_optimum(density, sigma), jacobian_sq_norm

    return family


def check_dae_rcae_gap_at_optimum(density=None, family=None, sigmas=None, bounds=None,
                                  n_grid=3601, n_hermite=30):
    """Result 2 at the optimum: at ``r = r*_sigma`` the gap is ``O(sigma^8)``.

    With ``r*_sigma = x + sigma^2 psi``, ``psi = s + sigma^2 c_DAE + ...``, the
    ``sigma^6`` coefficient ``E_p[(psi - s) psi'']`` is itself ``O(sigma^2)``, so the
    gap starts at ``sigma^8``: the expected log-log slope is 8 (tolerance
    ``SLOPE_TOLERANCE`` (0.1)) for geometric ``sigmas`` from 0.01 to 0.05 (gaps down to
    about 1e-16, still three orders above the quadrature rounding).

    Parameters
    ----------
    density : object, optional
    family : callable, optional
        ``family(sigma) -> (reconstruct, jacobian_sq_norm)``; default: the exact DAE
        optimum of a Gaussian mixture and its squared derivative.
    sigmas : array_like, optional
    bounds : tuple of float, optional
    n_grid, n_hermite : int

    Returns
    -------
    CheckResult
    """
    density = _density_1d(density)
    family = _dae_optimum_family(density) if family is None else family
    sigmas = _sigmas(sigmas, (0.01, 0.05, 5), "sigmas")
    gaps, _ = _gaps(density, family, sigmas, bounds, n_grid, n_hermite)
    fit = _power_law_slope(sigmas, gaps)
    return _result(
        "gap = O(sigma^8) at the DAE optimum", fit.slope, 8.0, SLOPE_TOLERANCE,
        f"|gap| = {fit.constant:.4g} sigma^{fit.slope:.3f}, sigma {sigmas[0]:g}..{sigmas[-1]:g}",
    )


# ---------------------------------------------------------- Result 3: optimal rCAE


def _rcae_setup(density, solver, bounds, n_grid):
    density = _density_1d(density)
    solver = check_callable(optimal.rcae_optimum_1d if solver is None else solver, "solver")
    grid = np.linspace(*_support(density, bounds), positive_int(n_grid, "n_grid", minimum=3))
    return density, solver, grid, _data_mask(density, grid)


def check_rcae_score_error_order(density=None, solver=None, lams=None, bounds=None, n_grid=8001):
    """Theorem 2: ``(r*_lam(x) - x) / lam - s(x) = O(lam)`` where there is data.

    ``r*_lam`` from ``solver(log_p, grid, lam)`` (default :func:`raetut.optimal.rcae_optimum_1d`)
    on ``n_grid`` points; the maximum error over grid points with ``p >= 0.01 max p``
    (far from the boundary layers at the ends) for geometric ``lams`` from 2e-4 to
    5e-3. The discretisation error of ``(r - x) / lam`` is ``O(h^2)`` (about 1e-5 on
    the default grid), below 0.5% of the ``lam`` term even at the smallest ``lam``.
    Expected slope 1, tolerance ``SLOPE_TOLERANCE`` (0.1).

    Parameters
    ----------
    density : object, optional
    solver : callable, optional
        ``solver(log_p, grid, lam) -> r`` on the grid, shape (m,).
    lams : array_like, optional
    bounds : tuple of float, optional
    n_grid : int

    Returns
    -------
    CheckResult
    """
    density, solver, grid, mask = _rcae_setup(density, solver, bounds, n_grid)
    lams = _sigmas(lams, (2e-4, 5e-3, 5), "lams")
    log_p, x = _log_density(density), grid[mask]
    s = density.score(x[:, None])[:, 0]
    errors = [np.max(np.abs((_on_grid(solver, log_p, grid, lam)[mask] - x) / lam - s))
              for lam in lams]
    fit = _power_law_slope(lams, errors)
    return _result(
        "rCAE score error (r-x)/lam - s = O(lam) (Thm 2)", fit.slope, 1.0, SLOPE_TOLERANCE,
        f"max error = {fit.constant:.4g} lam^{fit.slope:.3f}, lam {lams[0]:g}..{lams[-1]:g}",
    )


def check_rcae_second_order_coefficient(density=None, solver=None, correction=None, lams=None,
                                        bounds=None, n_grid=16001):
    """Result 3, next term: ``(r*_lam - x - lam s) / lam^2 -> Delta s + (grad s) s``.

    The quotient is extrapolated to ``lam -> 0`` by fitting ``c + c1 lam + c2 lam^2``
    over geometric ``lams`` from 5e-4 to 8e-3 and compared with ``correction`` where
    there is data. Measured: the maximum error relative to ``max |c|``; expected 0,
    tolerance 1e-2. The rCAE series converges more slowly than the DAE one (the
    ``lam^3`` term is about ``10 lam`` relative), so the neglected ``lam^5`` term and
    the discretisation error ``O(h^2 / lam_min)`` each leave a few 1e-4 to 1e-3.
    The DAE coefficient (``Delta s / 2`` instead of ``Delta s``) misses by O(1).

    Parameters
    ----------
    density : object, optional
    solver : callable, optional
        ``solver(log_p, grid, lam) -> r`` on the grid.
    correction : callable, optional
        ``correction(density, X) -> (n, 1)``; default :func:`raetut.optimal.rcae_score_correction`.
    lams : array_like, optional
    bounds : tuple of float, optional
    n_grid : int

    Returns
    -------
    CheckResult
    """
    density, solver, grid, mask = _rcae_setup(density, solver, bounds, n_grid)
    correction = check_callable(
        optimal.rcae_score_correction if correction is None else correction, "correction"
    )
    lams = _sigmas(lams, (5e-4, 8e-3, 6), "lams")
    log_p, x = _log_density(density), grid[mask]
    s = density.score(x[:, None])[:, 0]
    c = _reconstruction(lambda Z: correction(density, Z), x[:, None], "correction")[:, 0]
    residuals = np.stack([_on_grid(solver, log_p, grid, lam)[mask] - x - lam * s for lam in lams])
    fitted = diagnostics.fit_leading_coefficient(lams, residuals, 2, n_corrections=2, step=1)
    error = np.max(np.abs(fitted - c)) / np.max(np.abs(c))
    return _result(
        "rCAE lam^2 term -> Delta s + (grad s)s", error, 0.0, 1e-2,
        f"relative to max|c| = {np.max(np.abs(c)):.4g}; lam {lams[0]:g}..{lams[-1]:g}, "
        f"{n_grid} grid points",
    )


def check_rcae_jacobian_hessian(density=None, solver=None, lams=None, bounds=None, n_grid=8001):
    """Theorem 2: ``dr*/dx = 1 + lam (log p)'' + O(lam^2)``.

    ``r*_lam`` is differentiated by second-order finite differences on the grid;
    together with the solver's own discretisation this changes the measured error by
    about 2% between 8001 and 16001 grid points (the fitted slope by 0.003), small
    against the ``lam^2`` term (about 60 lam^2). The maximum of
    ``|r' - 1 - lam (log p)''|`` where there is data is fitted against geometric
    ``lams`` from 1e-4 to 1e-3. Expected slope 2, tolerance ``SLOPE_TOLERANCE`` (0.1).

    Parameters
    ----------
    density : object, optional
    solver : callable, optional
        ``solver(log_p, grid, lam) -> r`` on the grid.
    lams : array_like, optional
    bounds : tuple of float, optional
    n_grid : int

    Returns
    -------
    CheckResult
    """
    density, solver, grid, mask = _rcae_setup(density, solver, bounds, n_grid)
    lams = _sigmas(lams, (1e-4, 1e-3, 5), "lams")
    log_p = _log_density(density)
    hessian = density.hessian_log_prob(grid[mask][:, None])[:, 0, 0]
    errors = []
    for lam in lams:
        slope = np.gradient(_on_grid(solver, log_p, grid, lam), grid)[mask]
        errors.append(np.max(np.abs(slope - 1.0 - lam * hessian)))
    fit = _power_law_slope(lams, errors)
    return _result(
        "rCAE Jacobian = 1 + lam (log p)'' + O(lam^2)", fit.slope, 2.0, SLOPE_TOLERANCE,
        f"max error = {fit.constant:.4g} lam^{fit.slope:.3f}, lam {lams[0]:g}..{lams[-1]:g}",
    )


# ------------------------------------------------------- Result 6: score matching


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
    return _result(
        "L_rCAE(x+lam psi) = lam d + 2lam^2 J_SM + lam^3 E|Dpsi|^2",
        abs(left - right) / abs(left), 0.0, 1e-12,
        f"L_rCAE = {left:.10g}, right side = {right:.10g}, lam = {lam:g}, n = {n}",
    )


# ------------------------------------------------------------ Gaussian closed forms


def check_gaussian_closed_forms(mean=(0.5, -0.2), cov=((0.6, 0.2), (0.2, 0.4)), sigma=0.3,
                                dae_closed_form=None, rcae_closed_form=None, X=None):
    """Results 1 and 3 for Gaussian data: three formulas for one optimum agree.

    ``gaussian_dae_optimum(sigma)``, ``gaussian_rcae_optimum(lam = sigma^2)`` and the
    Theorem 1 optimum of the one-component mixture, ``dae_optimum`` (Tweedie's
    formula with the smoothed score), all equal ``mu + Sigma (Sigma + sigma^2 I)^{-1}
    (x - mu)``. Measured: the largest difference between any two, relative to
    ``max |x|``; expected 0, tolerance 1e-12 (rounding only).

    Parameters
    ----------
    mean : array_like, shape (d,)
    cov : array_like, shape (d, d)
    sigma : float
    dae_closed_form, rcae_closed_form : callable, optional
        ``f(mean, cov, sigma_or_lam) -> r``; defaults :func:`raetut.optimal.gaussian_dae_optimum`
        and :func:`raetut.optimal.gaussian_rcae_optimum`.
    X : array_like, shape (n, d), optional
        Default: a 15 x 15 grid on ``[-3, 3]^2`` (for d = 2).

    Returns
    -------
    CheckResult
    """
    dae_closed_form = check_callable(dae_closed_form or optimal.gaussian_dae_optimum,
                                     "dae_closed_form")
    rcae_closed_form = check_callable(rcae_closed_form or optimal.gaussian_rcae_optimum,
                                      "rcae_closed_form")
    sigma = positive_scalar(sigma, "sigma")
    mean = np.atleast_1d(np.asarray(mean, dtype=float))
    cov = np.atleast_2d(np.asarray(cov, dtype=float))
    d = mean.size
    if X is None:
        axes = [np.linspace(-3.0, 3.0, 15)] * d
        X = np.stack(np.meshgrid(*axes), axis=-1).reshape(-1, d)
    X = as_points(X, dim=d)
    mixture = GaussianMixture([1.0], mean[None, :], cov[None, :, :])
    outputs = [
        _reconstruction(dae_closed_form(mean, cov, sigma), X, "dae_closed_form"),
        _reconstruction(rcae_closed_form(mean, cov, sigma**2), X, "rcae_closed_form"),
        _reconstruction(optimal.dae_optimum(mixture, sigma), X, "dae_optimum"),
    ]
    worst = max(np.max(np.abs(a - b)) for i, a in enumerate(outputs) for b in outputs[i + 1:])
    return _result(
        "Gaussian: DAE(sigma) = rCAE(sigma^2) = Thm 1 optimum", worst / np.max(np.abs(X)), 0.0,
        1e-12, f"d = {d}, sigma = {sigma:g}, {len(X)} points",
    )


def check_gaussian_rcae_solver(mean=0.3, variance=0.5, lam=0.05, solver=None, closed_form=None,
                               n_grid=2001):
    """Result 3 for 1-D Gaussian data: the Euler–Lagrange solver matches the closed form.

    ``solver(log_p, grid, lam)`` on ``n_grid`` points over ``mean ± 8 sd`` against
    ``closed_form(mean, variance, lam)`` (default :func:`raetut.optimal.gaussian_rcae_optimum`,
    ``r = mu + a (x - mu)``, ``a = v / (v + lam)``) where ``p >= 0.01 max p``.
    Expected 0; the tolerance comes from the grid: the flux discretisation of
    ``(p r')'`` has local truncation error ``lam a h^2 |p'''/p| / 24`` for a linear
    ``r``, and by the maximum principle of ``r - lam (r'' + s r')`` the error of the
    solution is bounded by the truncation error; we take its maximum over the wider
    region ``p >= 1e-4 max p`` (the ends, where ``p`` is tiny, influence the interior
    only through a boundary layer of width ``O(sqrt(lam))``).

    Parameters
    ----------
    mean, variance : float
    lam : float
    solver : callable, optional
        ``solver(log_p, grid, lam) -> r`` on the grid; default
        :func:`raetut.optimal.rcae_optimum_1d`.
    closed_form : callable, optional
        ``closed_form(mean, cov, lam) -> r``.
    n_grid : int

    Returns
    -------
    CheckResult
    """
    solver = check_callable(solver or optimal.rcae_optimum_1d, "solver")
    closed_form = check_callable(closed_form or optimal.gaussian_rcae_optimum, "closed_form")
    variance = positive_scalar(variance, "variance")
    lam = positive_scalar(lam, "lam")
    mean = float(mean)
    gaussian = GaussianMixture([1.0], [mean], [variance])
    sd = np.sqrt(variance)
    grid = np.linspace(mean - 8 * sd, mean + 8 * sd, positive_int(n_grid, "n_grid", minimum=3))
    h = grid[1] - grid[0]
    r = _on_grid(solver, _log_density(gaussian), grid, lam)
    exact = _reconstruction(closed_form(mean, variance, lam), grid[:, None], "closed_form")[:, 0]
    error = np.max(np.abs(r - exact)[_data_mask(gaussian, grid)])
    p = gaussian.prob(grid[:, None])
    wider = grid[p >= 1e-4 * np.max(p)]
    s = -(wider - mean) / variance
    p3_over_p = s**3 - 3 * s / variance  # p'''/p for a Gaussian (s' = -1/v, s'' = 0)
    a = variance / (variance + lam)
    tolerance = lam * a * h**2 * np.max(np.abs(p3_over_p)) / 24
    return _result(
        "rCAE solver = Gaussian closed form (1-D)", error, 0.0, tolerance,
        f"h = {h:.3g}, lam = {lam:g}, error / h^2 = {error / h**2:.3g}",
    )


# ------------------------------------------------------ Result 4: not an energy


def check_antimode_reconstruction(density=None, reconstruct=None, lam=1e-4, bounds=None,
                                  n_grid=6001):
    """Result 4: reconstruction error is ~0 at modes *and* antimodes, where ``-log p`` is high.

    Critical points from :func:`raetut.densities.critical_points_1d`; by default ``r`` is the
    rCAE optimum (:func:`raetut.optimal.rcae_optimum_1d`, cubic-spline interpolated). At a
    critical point ``r - x = lam^2 c_rCAE + O(lam^3)`` while elsewhere it is
    ``lam s``, so the ratio of ``(r - x)^2`` at the critical points to its maximum
    between the outermost ones is ``O(lam^2)`` (about 2e-4 for the default
    ``lam = 1e-4`` on the paper's density). Measured: that ratio; expected 0,
    tolerance 1e-3 ("about 0" meaning three orders of magnitude below typical).
    The check also requires ``-log p`` at every antimode to exceed ``-log p`` at
    every mode: low reconstruction error at points of low probability.

    Parameters
    ----------
    density : object, optional
        A 1-D density with at least one antimode; default :func:`raetut.densities.paper_density_1d`.
    reconstruct : callable, optional
        ``r(X) -> (n, 1)``.
    lam : float
        Penalty of the default rCAE optimum.
    bounds : tuple of float, optional
    n_grid : int

    Returns
    -------
    CheckResult
    """
    density = _density_1d(density, default=paper_density_1d)
    lower, upper = _support(density, bounds)
    modes, antimodes = critical_points_1d(density, lower, upper)
    if antimodes.size == 0:
        raise ValueError("density must have at least one antimode (local minimum)")
    grid = np.linspace(lower, upper, positive_int(n_grid, "n_grid", minimum=3))
    if reconstruct is None:
        spline = CubicSpline(grid, optimal.rcae_optimum_1d(_log_density(density), grid, lam))

        def reconstruct(X):
            return spline(X[:, 0])[:, None]

    check_callable(reconstruct, "reconstruct")
    critical = np.sort(np.concatenate([modes, antimodes]))[:, None]
    between = grid[(grid >= critical[0, 0]) & (grid <= critical[-1, 0])][:, None]
    at_critical = np.sum((_reconstruction(reconstruct, critical, "reconstruct") - critical) ** 2,
                         axis=1)
    typical = np.max(np.sum((_reconstruction(reconstruct, between, "reconstruct") - between) ** 2,
                            axis=1))
    energy_modes = -density.log_prob(modes[:, None])
    energy_antimodes = -density.log_prob(antimodes[:, None])
    gap = float(np.min(energy_antimodes) - np.max(energy_modes))
    return _result(
        "recon. error ~0 at antimodes (high -log p) too", np.max(at_critical) / typical, 0.0, 1e-3,
        f"-log p: modes {np.round(energy_modes, 3).tolist()}, antimodes "
        f"{np.round(energy_antimodes, 3).tolist()} (gap {gap:.3g} > 0 required)",
        extra_condition=gap > 0,
    )


# ------------------------------------------------------------------ all together


def run_all(rng=None):
    """Run every check with its defaults.

    Parameters
    ----------
    rng : numpy.random.Generator, optional
        If given, the score-matching identity is checked on 500 standard-normal
        points drawn from it instead of a fixed grid; all other checks are
        deterministic.

    Returns
    -------
    list of CheckResult
    """
    X = None if rng is None else check_rng(rng).standard_normal((500, 2))
    return [
        check_dae_optimum_exact(),
        check_dae_score_error_order(),
        check_dae_second_order_coefficient(),
        check_dae_rcae_gap_fixed(),
        check_dae_rcae_gap_coefficient(),
        check_dae_rcae_gap_near_optimum(),
        check_dae_rcae_gap_at_optimum(),
        check_rcae_score_error_order(),
        check_rcae_second_order_coefficient(),
        check_rcae_jacobian_hessian(),
        check_score_matching_identity(X=X),
        check_gaussian_closed_forms(),
        check_gaussian_rcae_solver(),
        check_antimode_reconstruction(),
    ]


def format_table(results):
    """Render check results as a fixed-width text table.

    Parameters
    ----------
    results : list of CheckResult

    Returns
    -------
    str
        One header line, a rule, one line per result: claim, measured, expected,
        tolerance, PASS/FAIL.
    """
    results = list(results)
    if not all(isinstance(r, CheckResult) for r in results):
        raise TypeError("results must be a list of CheckResult")
    width = max([len("claim")] + [len(r.claim) for r in results])
    header = f"{'claim':<{width}} | {'measured':>10} | {'expected':>8} | {'tol':>8} | result"
    lines = [header, "-" * len(header)]
    for r in results:
        lines.append(
            f"{r.claim:<{width}} | {r.measured:>10.4g} | {r.expected:>8.3g} | "
            f"{r.tolerance:>8.2g} | {'PASS' if r.passed else 'FAIL'}"
        )
    return "\n".join(lines)
