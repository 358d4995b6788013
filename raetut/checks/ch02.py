"""Chapter 2, the optimal DAE: Theorem 1, its small-noise expansion, the Gaussian case."""

import numpy as np
from scipy.special import logsumexp

from .. import criteria, diagnostics, optimal
from .._validation import as_points, check_callable, positive_int, positive_scalar
from ..densities import GaussianMixture
from . import record, register
from ._common import (
    SLOPE_TOLERANCE,
    call_checked,
    data_mask_1d,
    density_1d,
    noise_levels_arg,
    power_law_slope,
    support,
)

__all__ = [
    "check_dae_optimum_exact",
    "check_dae_score_error_order",
    "check_dae_second_order_coefficient",
    "check_gaussian_closed_forms",
]


@register(chapter=2, kind="identity")
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
    density = density_1d(density)
    optimum = check_callable(optimal.dae_optimum if optimum is None else optimum, "optimum")
    sigmas = [positive_scalar(s, "sigmas") for s in np.atleast_1d(sigmas)]
    lower, upper = support(density, bounds)
    x = np.linspace(lower, upper, positive_int(n_grid, "n_grid", minimum=3))
    if x[1] - x[0] > min(sigmas) / 20:
        raise ValueError(f"n_grid={n_grid} is too small: the spacing must be <= min(sigmas) / 20")
    log_mass = density.log_prob(x[:, None]) + np.log(criteria.quadrature_weights(x))
    points = np.linspace(lower, upper, positive_int(n_points, "n_points", minimum=2))
    X = points[data_mask_1d(density, points)][:, None]
    worst = 0.0
    for sigma in sigmas:
        log_w = log_mass[None, :] - (X - x[None, :]) ** 2 / (2.0 * sigma**2)
        posterior_mean = np.exp(log_w - logsumexp(log_w, axis=1, keepdims=True)) @ x
        r = call_checked(optimum(density, sigma), X, "the optimum")
        worst = max(worst, float(np.max(np.abs(r[:, 0] - posterior_mean))))
    return record(
        "DAE optimum = posterior mean E[x | x+eps] (Thm 1)", worst, 0.0, 1e-8,
        f"max |r - E[x|x~]| over {len(X)} points, sigma in {sigmas}",
    )


@register(chapter=2, kind="numerical")
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
    density = density_1d(density)
    optimum = check_callable(optimal.dae_optimum if optimum is None else optimum, "optimum")
    sigmas = noise_levels_arg(sigmas, (0.005, 0.05, 6), "sigmas")
    points = np.linspace(*support(density, bounds), positive_int(n_points, "n_points"))
    X = points[data_mask_1d(density, points)][:, None]
    s = density.score(X)
    errors = [
        np.max(np.abs((call_checked(optimum(density, sg), X, "the optimum") - X) / sg**2 - s))
        for sg in sigmas
    ]
    fit = power_law_slope(sigmas, errors)
    return record(
        "DAE score error (r-x)/sigma^2 - s = O(sigma^2)", fit.slope, 2.0, SLOPE_TOLERANCE,
        f"max error = {fit.constant:.4g} sigma^{fit.slope:.3f}, "
        f"sigma {sigmas[0]:g}..{sigmas[-1]:g}",
    )


@register(chapter=2, kind="numerical")
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
    density = density_1d(density)
    optimum = check_callable(optimal.dae_optimum if optimum is None else optimum, "optimum")
    correction = check_callable(
        optimal.dae_score_correction if correction is None else correction, "correction"
    )
    sigmas = noise_levels_arg(sigmas, (0.01, 0.08, 6), "sigmas")
    points = np.linspace(*support(density, bounds), positive_int(n_points, "n_points"))
    X = points[data_mask_1d(density, points)][:, None]
    s = density.score(X)
    c = call_checked(lambda Z: correction(density, Z), X, "correction")[:, 0]
    residuals = np.stack([
        (call_checked(optimum(density, sg), X, "the optimum") - X - sg**2 * s)[:, 0]
        for sg in sigmas
    ])
    fitted = diagnostics.fit_leading_coefficient(sigmas, residuals, 4, n_corrections=1, step=2)
    error = np.max(np.abs(fitted - c)) / np.max(np.abs(c))
    return record(
        "DAE sigma^4 term -> Delta s/2 + (grad s)s", error, 0.0, 1e-3,
        f"relative to max|c| = {np.max(np.abs(c)):.4g}; sigma {sigmas[0]:g}..{sigmas[-1]:g}",
    )


@register(chapter=2, kind="identity")
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
        call_checked(dae_closed_form(mean, cov, sigma), X, "dae_closed_form"),
        call_checked(rcae_closed_form(mean, cov, sigma**2), X, "rcae_closed_form"),
        call_checked(optimal.dae_optimum(mixture, sigma), X, "dae_optimum"),
    ]
    worst = max(np.max(np.abs(a - b)) for i, a in enumerate(outputs) for b in outputs[i + 1:])
    return record(
        "Gaussian: DAE(sigma) = rCAE(sigma^2) = Thm 1 optimum", worst / np.max(np.abs(X)), 0.0,
        1e-12, f"d = {d}, sigma = {sigma:g}, {len(X)} points",
    )
