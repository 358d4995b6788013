"""Chapter 8, score matching and energies.

The chapter's objects are built here once per process: its samples
(:func:`score_matching_data`), the networks it trains (:func:`criterion_fit_1d`,
:func:`tied_fit_1d`, :func:`dae_fit_2d`, each with the chapter's settings and seeds and
cached), and the energies of the tied models (:func:`measure_tied_energies_1d`). The
chapter and ``python -m raetut verify`` compute the same numbers from them.
"""

import dataclasses
import functools

import numpy as np

from .. import criteria
from .._grid import trapezoid
from .._validation import (
    as_points,
    call_checked,
    check_callable,
    increasing_grid,
    positive_scalar,
    values_on_grid,
)
from ..criteria import (
    dae_score_matching_terms_1d,
    score_matching_loss,
    score_matching_quadrature_1d,
    smoothed_grid_1d,
)
from ..densities import GaussianMixture, check_mixture
from ..diagnostics import (
    kl_divergence_1d,
    mass_outside_1d,
    total_variation_1d,
    weighted_score_error,
)
from ..fields import (
    circulation,
    curl_2d,
    energy_density_1d,
    energy_from_field_1d,
    energy_gradient,
    field_jacobian,
    jacobian_asymmetry,
)
from ..models import Autoencoder, score_estimate
from ..optimal import dae_optimum
from ..training import fit
from . import record, register
from ._common import cached_on_settings, default_mixture_1d

__all__ = [
    "SCORE_MATCHING_SETTINGS",
    "ROUNDOFF_TOLERANCE",
    "QUADRATURE_TOLERANCE",
    "NOT_GRADIENT_LEVEL",
    "SEED_REPLICATES",
    "TIED_SEED_REPLICATES",
    "ScoreMatchingData",
    "score_matching_data",
    "replicate_data",
    "criterion_model_1d",
    "criterion_fit_1d",
    "tied_model_1d",
    "tied_fit_1d",
    "dae_model_2d",
    "dae_fit_2d",
    "measure_score_matching_identity",
    "check_score_matching_identity",
    "check_score_matching_identity_rcae_fit",
    "check_score_matching_identity_sm_fit",
    "dsm_candidate",
    "measure_dae_score_matching",
    "check_dsm_identity_optimum",
    "check_dsm_identity_first_order",
    "check_dsm_identity_trained",
    "measure_optimum_energy_1d",
    "check_dae_optimum_energy_1d",
    "measure_tied_energies_1d",
    "measure_energy_gradient",
    "check_tied_energy_gradient_1d",
    "check_tied_energy_gradient_2d",
    "measure_jacobian_asymmetry",
    "check_tied_jacobian_symmetric_2d",
    "check_optimum_jacobian_symmetric_2d",
    "check_untied_field_not_gradient_2d",
    "measure_criterion_replicates",
    "measure_tied_replicates",
    "measure_2d_replicates",
]

# The chapter's settings: samples, networks, training.
SCORE_MATCHING_SETTINGS = {
    "seed": 0,                 # the chapter's generator: 1-D samples, then 2-D samples
    "n_samples": 1000,
    "sigma": 0.3,              # DAE noise; lam = sigma^2 for the rCAE and score matching
    "sizes": (300, 1000),
    "n_hidden": 8,
    "n_iter": 300,
    "init_seed": 1,
    "fit_seed": 2,
    "n_noise": 4,
    "tied_sigmas": (1.0, 0.7, 0.5, 0.35, 0.25, 0.18, 0.12),
    "n_2d": 500,
    "n_test_2d": 2000,
    "n_hidden_2d": 16,
    "fit_seed_2d": 3,
    "grid": (-12.0, 12.0, 4001),
}

# Training replicates for the seed studies (issue #11, review 06-10 section 2.7).
# Replicate 0 is the chapter's own run; replicate k > 0 draws a fresh training sample of
# the same size (1-D and 2-D), fresh initial parameters and fresh corruptions, each from
# a generator seeded ``[seed, k]``. The test points of the 2-D model and the quadrature
# grid stay the chapter's, so that the replicates are measured on the same footing.
# The tied sweep trains seven models per replicate, hence fewer replicates.
SEED_REPLICATES = (0, 1, 2, 3, 4)
TIED_SEED_REPLICATES = (0, 1, 2)

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

# Jacobian asymmetry above which a field is not a gradient: fields that are gradients
# by construction (tied auto-encoders, the exact optimum) measure below 1e-15 with
# autograd Jacobians, so 1e-6 cannot be rounding.
NOT_GRADIENT_LEVEL = 1e-6


# ------------------------------------------------------------------ the chapter's objects


@dataclasses.dataclass(frozen=True)
class ScoreMatchingData:
    """The chapter's samples and grid (read-only arrays).

    Attributes
    ----------
    density : GaussianMixture
        The 1-D test mixture (:func:`raetut.checks.default_mixture_1d`).
    X : ndarray (1000, 1)
        The chapter's training samples; ``X[:300]`` is the small sample.
    grid : ndarray (4001,)
        Quadrature grid on [-12, 12].
    mixture_2d : GaussianMixture
        The 2-D mixture of three Gaussians.
    X_2d : ndarray (500, 2)
        2-D training samples.
    X_test : ndarray (2000, 2)
        Fresh 2-D samples for the measurements.
    """

    density: GaussianMixture
    X: np.ndarray
    grid: np.ndarray
    mixture_2d: GaussianMixture
    X_2d: np.ndarray
    X_test: np.ndarray


def _frozen(a):
    a = np.array(a, dtype=float)
    a.setflags(write=False)
    return a


@functools.lru_cache(maxsize=1)
def score_matching_data():
    """The chapter's samples, drawn from one generator (seed 0) in the chapter's order."""
    s = SCORE_MATCHING_SETTINGS
    rng = np.random.default_rng(s["seed"])
    density = default_mixture_1d()
    X = density.sample(s["n_samples"], rng)
    mixture = GaussianMixture(
        [0.45, 0.35, 0.2],
        [[-1.2, -0.5], [1.2, -0.4], [0.0, 1.3]],
        [[[0.5, 0.15], [0.15, 0.35]], [[0.4, -0.08], [-0.08, 0.45]],
         [[0.45, 0.0], [0.0, 0.25]]],
    )
    X_2d = mixture.sample(s["n_2d"], rng)
    X_test = mixture.sample(s["n_test_2d"], rng)
    return ScoreMatchingData(density, _frozen(X), _frozen(np.linspace(*s["grid"])), mixture,
                             _frozen(X_2d), _frozen(X_test))


def _replicate_arg(replicate):
    if isinstance(replicate, bool) or not isinstance(replicate, (int, np.integer)):
        raise TypeError(f"replicate must be an int; got {type(replicate).__name__}")
    if replicate < 0:
        raise ValueError(f"replicate must be >= 0; got {replicate}")
    return int(replicate)


def _replicate_rng(seed, replicate):
    """The chapter's generator for replicate 0, an independent one seeded [seed, k] otherwise."""
    return np.random.default_rng(seed if replicate == 0 else [seed, replicate])


@cached_on_settings
def _replicate_data(replicate):
    base = score_matching_data()
    if replicate == 0:
        return base
    s = SCORE_MATCHING_SETTINGS
    rng = _replicate_rng(s["seed"], replicate)
    X = base.density.sample(s["n_samples"], rng)
    X_2d = base.mixture_2d.sample(s["n_2d"], rng)
    return dataclasses.replace(base, X=_frozen(X), X_2d=_frozen(X_2d))


def replicate_data(replicate=0):
    """The samples of a training replicate: the chapter's for 0, fresh ones otherwise.

    Replicate ``k > 0`` draws 1000 1-D and 500 2-D training samples from the chapter's
    densities with a generator seeded ``[0, k]``; the grid and the 2000 2-D test points
    are the chapter's.

    Parameters
    ----------
    replicate : int
        >= 0.

    Returns
    -------
    ScoreMatchingData
    """
    return _replicate_data(_replicate_arg(replicate))


@functools.lru_cache(maxsize=1)
def criterion_model_1d():
    """The untied ``rt.Autoencoder(1, 8, "tanh")`` trained with the three criteria."""
    return Autoencoder(1, SCORE_MATCHING_SETTINGS["n_hidden"], "tanh")


def criterion_fit_1d(criterion, n, replicate=0):
    """Parameters of the untied model fitted with ``criterion`` on the first ``n`` samples.

    ``"sm"`` and ``"rcae"`` with ``lam = sigma^2``, ``"dae"`` with ``sigma`` and four
    corruptions per point; the same initial parameters (seed 1) and training generator
    (seed 2) for all, 300 L-BFGS iterations. ``replicate`` k > 0 (:func:`replicate_data`)
    trains on a fresh sample with generators seeded ``[1, k]`` and ``[2, k]``, again the
    same for the three criteria. Cached per ``(criterion, n, replicate)``.
    """
    s = SCORE_MATCHING_SETTINGS
    if criterion not in ("sm", "rcae", "dae"):
        raise ValueError(f"criterion must be 'sm', 'rcae' or 'dae'; got {criterion!r}")
    if n not in s["sizes"]:
        raise ValueError(f"n must be one of {s['sizes']}; got {n!r}")
    return _criterion_fit_1d(criterion, n, _replicate_arg(replicate))


@cached_on_settings
def _criterion_fit_1d(criterion, n, replicate):
    s = SCORE_MATCHING_SETTINGS
    sigma = s["sigma"]
    kwargs = {"sigma": sigma, "n_noise": s["n_noise"]} if criterion == "dae" else {"lam": sigma**2}
    model = criterion_model_1d()
    X_n = _replicate_data(replicate).X[:n]
    params0 = model.init_params(_replicate_rng(s["init_seed"], replicate), X_n)
    result = fit(model, X_n, criterion=criterion, rng=_replicate_rng(s["fit_seed"], replicate),
                 params0=params0, n_iter=s["n_iter"], progress=False, **kwargs)
    return _frozen(result.params)


@functools.lru_cache(maxsize=1)
def tied_model_1d():
    """The tied ``rt.Autoencoder(1, 8, "sigmoid", tied=True)`` whose energy is normalised."""
    return Autoencoder(1, SCORE_MATCHING_SETTINGS["n_hidden"], "sigmoid", tied=True)


def tied_fit_1d(sigma, replicate=0):
    """Parameters of the tied model trained as a DAE at ``sigma`` on the 1000 samples.

    ``replicate`` k > 0: on the fresh sample of :func:`replicate_data`, with a training
    generator seeded ``[2, k]`` (initialisation and corruptions).
    """
    s = SCORE_MATCHING_SETTINGS
    sigma = float(sigma)
    if sigma not in s["tied_sigmas"]:
        raise ValueError(f"sigma must be one of {s['tied_sigmas']}; got {sigma!r}")
    return _tied_fit_1d(sigma, _replicate_arg(replicate))


@cached_on_settings
def _tied_fit_1d(sigma, replicate):
    s = SCORE_MATCHING_SETTINGS
    result = fit(tied_model_1d(), _replicate_data(replicate).X, criterion="dae", sigma=sigma,
                 n_noise=s["n_noise"], rng=_replicate_rng(s["fit_seed"], replicate),
                 n_iter=s["n_iter"], progress=False)
    return _frozen(result.params)


@cached_on_settings
def dae_model_2d(tied):
    """``rt.Autoencoder(2, 16, "tanh", tied=tied)``."""
    return Autoencoder(2, SCORE_MATCHING_SETTINGS["n_hidden_2d"], "tanh", tied=bool(tied))


def dae_fit_2d(tied, replicate=0):
    """Parameters of the 2-D DAE (sigma = 0.3, four corruptions, seed 3), tied or untied.

    ``replicate`` k > 0: on the fresh 500 samples of :func:`replicate_data`, with a
    training generator seeded ``[3, k]``.
    """
    return _dae_fit_2d(bool(tied), _replicate_arg(replicate))


@cached_on_settings
def _dae_fit_2d(tied, replicate):
    s = SCORE_MATCHING_SETTINGS
    result = fit(dae_model_2d(tied), _replicate_data(replicate).X_2d, criterion="dae",
                 sigma=s["sigma"], n_noise=s["n_noise"],
                 rng=_replicate_rng(s["fit_seed_2d"], replicate), n_iter=s["n_iter"],
                 progress=False)
    return _frozen(result.params)


def _reconstruct(model, params):
    return lambda Z: model.reconstruct(params, Z)


# ------------------------------------------------------- rCAE = score matching + penalty


def _true_score_field():
    density = score_matching_data().density

    def divergence(Z):
        return np.trace(density.hessian_log_prob(Z), axis1=1, axis2=2)

    return density.score, divergence, density.hessian_log_prob


def _fit_field(criterion):
    lam = SCORE_MATCHING_SETTINGS["sigma"] ** 2
    est = score_estimate(criterion_model_1d(), criterion_fit_1d(criterion, 1000), lam)
    return est.psi, est.divergence, est.jacobian


def measure_score_matching_identity(psi=None, divergence=None, psi_jacobian=None, X=None,
                                    lam=None):
    """Both sides of ``L_rCAE(x + lam psi) = lam d + 2 lam^2 J_SM(psi) + lam^3 E||grad psi||^2``.

    Left: :func:`raetut.criteria.rcae_loss` of ``r = x + lam psi``, whose Jacobian is
    taken by automatic differentiation of ``r`` (:func:`raetut.fields.field_jacobian`).
    Right: :func:`raetut.criteria.score_matching_loss` with the given ``divergence``,
    plus ``lam^3`` times the mean of ``||psi_jacobian||_F^2``. The two sides share only
    ``psi``: a wrong divergence or Jacobian formula breaks the equality.

    Parameters
    ----------
    psi : callable, optional
        ``X (n, d) -> (n, d)``, written with ``autograd.numpy``; default the score of the
        chapter's mixture.
    divergence : callable, optional
        ``X -> (n,)``; default the trace of the mixture's Hessian of ``log p``.
    psi_jacobian : callable, optional
        ``X -> (n, d, d)``; default the mixture's Hessian of ``log p``.
    X : array_like (n, d), optional
        Default: the chapter's 1000 samples.
    lam : float, optional
        Default ``sigma^2 = 0.09``.

    Returns
    -------
    dict
        ``rcae`` (left), ``right``, ``constant``, ``score_matching`` (``2 lam^2 J_SM``),
        ``regulariser``, ``j_sm``, ``relative`` (``|left - right| / |left|``), ``lam``,
        ``n``.
    """
    default = _true_score_field()
    psi = check_callable(psi or default[0], "psi")
    divergence = check_callable(divergence or default[1], "divergence")
    psi_jacobian = check_callable(psi_jacobian or default[2], "psi_jacobian")
    X = as_points(score_matching_data().X if X is None else X)
    lam = positive_scalar(SCORE_MATCHING_SETTINGS["sigma"] ** 2 if lam is None else lam, "lam")
    n, d = X.shape

    def reconstruct(Z):
        return Z + lam * psi(Z)

    def autograd_sq_norm(Z):
        return np.sum(field_jacobian(reconstruct, Z) ** 2, axis=(1, 2))

    left = float(criteria.rcae_loss(reconstruct, autograd_sq_norm, X, lam))
    J = np.asarray(psi_jacobian(X), dtype=float)
    if J.shape != (n, d, d):
        raise ValueError(f"psi_jacobian must return shape {(n, d, d)}; got {J.shape}")
    j_sm = float(criteria.score_matching_loss(psi, divergence, X))
    regulariser = lam**3 * float(np.mean(np.sum(J**2, axis=(1, 2))))
    right = lam * d + 2 * lam**2 * j_sm + regulariser
    return {"rcae": left, "right": right, "constant": lam * d,
            "score_matching": 2 * lam**2 * j_sm, "regulariser": regulariser, "j_sm": j_sm,
            "relative": abs(left - right) / abs(left), "lam": lam, "n": n}


def _identity_record(m, which):
    return record(
        f"rCAE = lam d + 2lam^2 J_SM + lam^3 E|Dpsi|^2 [{which}]",
        m["relative"], 0.0, ROUNDOFF_TOLERANCE,
        f"L_rCAE = {m['rcae']:.10g} (autograd Jacobian), right side = {m['right']:.10g}, "
        f"lam = {m['lam']:g}, n = {m['n']}",
    )


@register(chapter=8, kind="algebra")
def check_score_matching_identity(measurement=None):
    """Result 6 for the true score: ``L_rCAE(x + lam psi)`` equals its score-matching split.

    Exact on any sample (algebra, no integration by parts). On the chapter's 1000
    samples with ``psi = s`` and ``lam = 0.09`` (:func:`measure_score_matching_identity`):
    the left side from an autograd Jacobian of ``x + lam s``, the right side from the
    mixture's analytic Hessian. Measured: the relative difference; expected 0 within
    ``ROUNDOFF_TOLERANCE`` (sums of a thousand terms of order 1 round at 1e-15; a
    divergence off by 1 % shows at 1e-3).

    Parameters
    ----------
    measurement : dict, optional
        From :func:`measure_score_matching_identity`; default the chapter's.

    Returns
    -------
    CheckResult
    """
    m = measure_score_matching_identity() if measurement is None else measurement
    return _identity_record(m, "psi = s")


@register(chapter=8, kind="algebra")
def check_score_matching_identity_rcae_fit(measurement=None):
    """Result 6 for the field of the rCAE trained on the 1000 samples.

    As :func:`check_score_matching_identity`, with ``psi = (r - x) / lam`` of the rCAE fit
    (:func:`criterion_fit_1d`): left side from autograd of the network, right side from
    the model's analytic Jacobian and Jacobian trace. Same tolerance.

    Parameters
    ----------
    measurement : dict, optional

    Returns
    -------
    CheckResult
    """
    if measurement is None:
        psi, div, jac = _fit_field("rcae")
        measurement = measure_score_matching_identity(psi, div, jac)
    return _identity_record(measurement, "rCAE fit")


@register(chapter=8, kind="algebra")
def check_score_matching_identity_sm_fit(measurement=None):
    """Result 6 for the field of the score-matching fit on the 1000 samples.

    As :func:`check_score_matching_identity_rcae_fit`, for the model fitted by plain
    score matching. Same tolerance.

    Parameters
    ----------
    measurement : dict, optional

    Returns
    -------
    CheckResult
    """
    if measurement is None:
        psi, div, jac = _fit_field("sm")
        measurement = measure_score_matching_identity(psi, div, jac)
    return _identity_record(measurement, "SM fit")


# ------------------------------------------------------------ DAE = DSM of p_sigma (1-D)


def dsm_candidate(name):
    """The chapter's reconstructions and derivatives: ``"r*_sigma"``, ``"x + sigma^2 s"``,
    ``"DAE fit"`` (the DAE trained on the 1000 samples)."""
    data = score_matching_data()
    density, sigma = data.density, SCORE_MATCHING_SETTINGS["sigma"]
    if name == "r*_sigma":
        smooth = density.smoothed(sigma)
        return (dae_optimum(density, sigma),
                lambda Z: 1.0 + sigma**2 * smooth.hessian_log_prob(Z)[:, 0, 0])
    if name == "x + sigma^2 s":
        return (lambda Z: Z + sigma**2 * density.score(Z),
                lambda Z: 1.0 + sigma**2 * density.hessian_log_prob(Z)[:, 0, 0])
    if name == "DAE fit":
        model, params = criterion_model_1d(), criterion_fit_1d("dae", 1000)
        return _reconstruct(model, params), lambda Z: model.jacobian(params, Z)[:, 0, 0]
    raise ValueError(f"unknown reconstruction {name!r}")


def measure_dae_score_matching(reconstruct=None, derivative=None, density=None, sigma=None,
                               smoothed=True):
    """Both sides of Vincent's ``L_DAE(r) = sigma^2 + 2 sigma^4 J_SM^{p_sigma}(psi)`` (1-D).

    Quadrature (:func:`raetut.criteria.dae_score_matching_terms_1d`): the DAE criterion
    by Gauss-Hermite in the noise from ``r`` alone; the score-matching and Fisher forms
    by the trapezoid rule under ``p_sigma``, from ``r`` and the given ``derivative``.
    With ``smoothed=False`` the score-matching expectation is taken under ``p`` instead
    (the wrong density; a control).

    Parameters
    ----------
    reconstruct, derivative : callable, optional
        ``r(X) -> (n, 1)`` and ``r'(X) -> (n,)``; default the exact optimum ``r*_sigma``.
    density : GaussianMixture, optional
        Default the chapter's mixture.
    sigma : float, optional
        Default 0.3.
    smoothed : bool

    Returns
    -------
    dict
        The terms of :func:`raetut.criteria.dae_score_matching_terms_1d` plus ``forms``
        (the forms compared with ``dae``), ``relative`` (largest relative difference),
        ``sigma`` and ``smoothed``.
    """
    if not isinstance(smoothed, (bool, np.bool_)):
        raise TypeError(f"smoothed must be True or False; got {type(smoothed).__name__}")
    data = score_matching_data()
    density = check_mixture(data.density if density is None else density, dim=1)
    sigma = positive_scalar(SCORE_MATCHING_SETTINGS["sigma"] if sigma is None else sigma, "sigma")
    if reconstruct is None and derivative is None:
        reconstruct, derivative = dsm_candidate("r*_sigma")
    check_callable(reconstruct, "reconstruct")
    check_callable(derivative, "derivative")
    grid = smoothed_grid_1d(density, sigma, 4001)
    terms = dict(dae_score_matching_terms_1d(reconstruct, derivative, density, sigma, grid))
    if smoothed:
        forms = (terms["score_matching_form"], terms["fisher_form"])
    else:
        X = grid[:, None]
        p = density.prob(X)
        psi = (np.asarray(reconstruct(X), dtype=float)[:, 0] - grid) / sigma**2
        div = (values_on_grid(derivative(X), grid.size, "derivative(X)") - 1.0) / sigma**2
        forms = (sigma**2 + 2.0 * sigma**4 * trapezoid(p * (0.5 * psi**2 + div), grid),)
    terms.update(forms=forms, sigma=sigma, smoothed=bool(smoothed),
                 relative=max(abs(f - terms["dae"]) for f in forms) / abs(terms["dae"]))
    return terms


def _dsm_record(m, which):
    under = "p_sigma" if m["smoothed"] else "p"
    return record(
        f"L_DAE = sigma^2 + 2sigma^4 J_SM[{under}] [{which}]",
        m["relative"], 0.0, QUADRATURE_TOLERANCE,
        f"L_DAE = {m['dae']:.10g}, sigma = {m['sigma']:g}, J_SM[p_sigma] = {m['j_sm']:.6g}",
    )


_DSM_DOC = """

    Both sides by independent quadratures (:func:`measure_dae_score_matching`): the DAE
    criterion by Gauss-Hermite in the noise, the score-matching and Fisher forms by the
    trapezoid rule under ``p_sigma`` with the reconstruction's derivative. Measured:
    the larger relative difference; expected 0 within ``QUADRATURE_TOLERANCE`` (both
    rules are accurate to about 1e-12 here; using ``p`` instead of ``p_sigma`` or a wrong
    derivative shows at 1e-3 or more).

    Parameters
    ----------
    measurement : dict, optional
        From :func:`measure_dae_score_matching`; default the chapter's.

    Returns
    -------
    CheckResult
    """


def _dsm_check(which):
    def check(measurement=None):
        if measurement is None:
            measurement = measure_dae_score_matching(*dsm_candidate(which))
        return _dsm_record(measurement, which)
    return check


def check_dsm_identity_optimum(measurement=None):
    return _dsm_check("r*_sigma")(measurement)


def check_dsm_identity_first_order(measurement=None):
    return _dsm_check("x + sigma^2 s")(measurement)


def check_dsm_identity_trained(measurement=None):
    return _dsm_check("DAE fit")(measurement)


check_dsm_identity_optimum.__doc__ = (
    "Vincent's DAE = DSM identity for the exact optimum ``r*_sigma`` (sigma = 0.3)." + _DSM_DOC)
check_dsm_identity_first_order.__doc__ = (
    "Vincent's DAE = DSM identity for the first-order ``x + sigma^2 s`` (not optimal)."
    + _DSM_DOC)
check_dsm_identity_trained.__doc__ = (
    "Vincent's DAE = DSM identity for the DAE trained on the 1000 samples." + _DSM_DOC)
check_dsm_identity_optimum = register(chapter=8, kind="identity")(check_dsm_identity_optimum)
check_dsm_identity_first_order = register(chapter=8, kind="identity")(
    check_dsm_identity_first_order)
check_dsm_identity_trained = register(chapter=8, kind="identity")(check_dsm_identity_trained)


# ------------------------------------------------------------------------------ energies


def measure_optimum_energy_1d(density=None, sigma=None, reconstruct=None, grid=None,
                              n_grid=4001):
    """Normalise ``exp(F / sigma^2)`` for the field ``r - x`` and compare with ``p_sigma``.

    ``F`` by cumulative Simpson integration of the field on a grid
    (:func:`raetut.fields.energy_from_field_1d`), normalised by quadrature
    (:func:`raetut.fields.energy_density_1d`).

    Parameters
    ----------
    density : GaussianMixture, optional
        Default the chapter's mixture.
    sigma : float, optional
        Default 0.3.
    reconstruct : callable, optional
        Default the exact optimum ``r*_sigma``.
    grid : array_like, optional
        Default ``n_grid`` points reaching 12 standard deviations of ``p_sigma``.
    n_grid : int

    Returns
    -------
    dict
        ``tv_p_sigma``, ``tv_p`` (total variation to ``p_sigma`` and to ``p``), ``sigma``.
    """
    density = check_mixture(score_matching_data().density if density is None else density, dim=1)
    sigma = positive_scalar(SCORE_MATCHING_SETTINGS["sigma"] if sigma is None else sigma, "sigma")
    grid = increasing_grid(smoothed_grid_1d(density, sigma, n_grid) if grid is None else grid)
    r = dae_optimum(density, sigma) if reconstruct is None else check_callable(reconstruct,
                                                                               "reconstruct")
    F = energy_from_field_1d(lambda X: (np.asarray(r(X), dtype=float) - X)[:, 0], grid)
    q = energy_density_1d(F, grid, sigma)
    return {"tv_p_sigma": total_variation_1d(q, density.smoothed(sigma).prob(grid[:, None]), grid),
            "tv_p": total_variation_1d(q, density.prob(grid[:, None]), grid), "sigma": sigma}


@register(chapter=8, kind="numerical")
def check_dae_optimum_energy_1d(measurement=None):
    """The optimal DAE's energy gives ``p_sigma`` exactly: ``exp(F / sigma^2) / Z = p_sigma``.

    ``r*_sigma(x) - x = sigma^2 (log p_sigma)'(x)`` (Tweedie), so integrating the field
    and normalising (:func:`measure_optimum_energy_1d`) must give ``p_sigma``. Measured:
    the total-variation distance to ``p_sigma``; expected 0 within 1e-8 (the cumulative
    Simpson rule on the default grid is accurate to about 1e-10 in ``F / sigma^2``; an
    energy that gives ``p`` instead, as that of ``x + sigma^2 s`` does, is off by
    ``TV(p, p_sigma)``, 0.03 at the chapter's sigma = 0.3).

    Parameters
    ----------
    measurement : dict, optional
        From :func:`measure_optimum_energy_1d`; default the chapter's.

    Returns
    -------
    CheckResult
    """
    m = measure_optimum_energy_1d() if measurement is None else measurement
    return record(
        "optimal DAE: exp(F/sigma^2)/Z = p_sigma", m["tv_p_sigma"], 0.0, 1e-8,
        f"sigma = {m['sigma']:g}; TV to p itself = {m['tv_p']:.4g}",
    )


def measure_energy_gradient(reconstruct, energy, X):
    """``max |grad F - (r - x)| / max |r - x|`` at the points ``X`` (``grad F`` by autograd).

    Parameters
    ----------
    reconstruct : callable
        ``r(X) -> (n, d)``.
    energy : callable
        ``F(X) -> (n,)``, written with ``autograd.numpy``.
    X : array_like (n, d)

    Returns
    -------
    dict
        ``relative``, ``scale`` (``max |r - x|``), ``n``.
    """
    check_callable(reconstruct, "reconstruct")
    X = as_points(X)
    field = call_checked(reconstruct, X, "reconstruct") - X
    gradient = energy_gradient(energy, X)
    scale = float(np.max(np.abs(field)))
    return {"relative": float(np.max(np.abs(gradient - field))) / (scale if scale > 0 else 1.0),
            "scale": scale, "n": X.shape[0]}


def measure_tied_energies_1d(replicate=0):
    """The tied models' densities ``q_sigma ∝ exp(F / sigma^2)`` at the seven noise levels.

    For each level of ``SCORE_MATCHING_SETTINGS["tied_sigmas"]`` the tied model
    (:func:`tied_fit_1d`) gives ``log q_sigma`` on the chapter's grid
    (:func:`raetut.fields.energy_density_1d` of ``model.energy``). ``replicate`` k > 0
    uses the models of that training replicate (:func:`replicate_data`). Cached.

    Parameters
    ----------
    replicate : int
        >= 0; 0 is the chapter's run.

    Returns
    -------
    dict
        ``fits`` ({sigma: dict of params, q, p_sigma, field, tv_q_psigma, tv_q_p,
        tv_p_psigma, kl_p_q, out_q, out_p_sigma}), ``sigma_best`` (the level whose
        ``q_sigma`` is closest to ``p`` in total variation), ``data_range``.
    """
    return _tied_energies_1d(_replicate_arg(replicate))


@cached_on_settings
def _tied_energies_1d(replicate):
    data = _replicate_data(replicate)
    density, x = data.density, data.grid
    G = x[:, None]
    p, log_p = density.prob(G), density.log_prob(G)
    lo, hi = float(data.X.min()), float(data.X.max())
    tied = tied_model_1d()
    fits = {}
    for sig in SCORE_MATCHING_SETTINGS["tied_sigmas"]:
        P = _tied_fit_1d(sig, replicate)
        log_q = energy_density_1d(lambda Z, P=P: tied.energy(P, Z), x, sig, log=True)
        q = np.exp(log_q)
        p_sig = density.smoothed(sig).prob(G)
        fits[sig] = {
            "params": P, "q": q, "p_sigma": p_sig,
            "field": (tied.reconstruct(P, G) - G)[:, 0] / sig**2,
            "tv_q_psigma": total_variation_1d(q, p_sig, x),
            "tv_q_p": total_variation_1d(q, p, x),
            "tv_p_psigma": total_variation_1d(p, p_sig, x),
            "kl_p_q": kl_divergence_1d(log_p, log_q, x, log=True),
            "out_q": mass_outside_1d(q, x, lo, hi),
            "out_p_sigma": mass_outside_1d(p_sig, x, lo, hi),
        }
    sigmas = list(fits)
    sigma_best = sigmas[int(np.argmin([fits[s]["tv_q_p"] for s in sigmas]))]
    return {"fits": fits, "sigma_best": sigma_best, "data_range": (lo, hi)}


_ENERGY_DOC = """

    Measured (:func:`measure_energy_gradient`): ``max |grad F - (r - x)| / max |r - x|``,
    ``grad F`` by autograd of ``model.energy`` and ``r`` from ``model.reconstruct``,
    two independent formulas; expected 0 within ``ROUNDOFF_TOLERANCE`` (the same sums in
    a different order). An energy missing a term (``-||x||^2 / 2``, ``c . x``) or with the
    wrong antiderivative is off at order 1.

    Parameters
    ----------
    measurement : dict, optional
        Default the chapter's model and points.

    Returns
    -------
    CheckResult
    """


def _energy_record(m, which):
    return record(f"tied: r - x = grad F [{which}]", m["relative"], 0.0, ROUNDOFF_TOLERANCE,
                  f"max |r - x| = {m['scale']:.4g} over n = {m['n']} points")


def check_tied_energy_gradient_1d(measurement=None):
    if measurement is None:
        tied, P = tied_model_1d(), tied_fit_1d(measure_tied_energies_1d()["sigma_best"])
        measurement = measure_energy_gradient(_reconstruct(tied, P),
                                              lambda Z: tied.energy(P, Z), score_matching_data().X)
    return _energy_record(measurement, "1-D")


def check_tied_energy_gradient_2d(measurement=None):
    if measurement is None:
        net, P = dae_model_2d(True), dae_fit_2d(True)
        measurement = measure_energy_gradient(_reconstruct(net, P), lambda Z: net.energy(P, Z),
                                              score_matching_data().X_test)
    return _energy_record(measurement, "2-D")


check_tied_energy_gradient_1d.__doc__ = (
    "Tied 1-D DAE at the best noise level: ``r(x) - x = grad F(x)`` on the 1000 samples."
    + _ENERGY_DOC)
check_tied_energy_gradient_2d.__doc__ = (
    "Tied 2-D DAE: ``r(x) - x = grad F(x)`` on the 2000 test points." + _ENERGY_DOC)
check_tied_energy_gradient_1d = register(chapter=8, kind="algebra")(check_tied_energy_gradient_1d)
check_tied_energy_gradient_2d = register(chapter=8, kind="algebra")(check_tied_energy_gradient_2d)


# ------------------------------------------------------------------ gradient fields (2-D)


def measure_jacobian_asymmetry(reconstruct, X=None):
    """Asymmetry and curl of the field ``r(x) - x``, Jacobian by autograd of ``r``.

    Parameters
    ----------
    reconstruct : callable
        ``r(X) -> (n, 2)``, written with ``autograd.numpy``.
    X : array_like (n, 2), optional
        Default the chapter's 2000 test points.

    Returns
    -------
    dict
        ``asymmetry`` (:func:`raetut.fields.jacobian_asymmetry` of ``J_r - I``),
        ``rms_curl``, ``max_curl``, ``n``.
    """
    check_callable(reconstruct, "reconstruct")
    X = as_points(score_matching_data().X_test if X is None else X)
    J = field_jacobian(reconstruct, X) - np.eye(X.shape[1])
    curl = curl_2d(J) if X.shape[1] == 2 else np.zeros(X.shape[0])
    return {"asymmetry": jacobian_asymmetry(J), "rms_curl": float(np.sqrt(np.mean(curl**2))),
            "max_curl": float(np.max(np.abs(curl))), "n": X.shape[0]}


_SYMMETRY_DOC = """

    Measured (:func:`measure_jacobian_asymmetry`): ``||J - J^T||_F / ||J||_F`` over the
    2000 test points, ``J`` the Jacobian of ``r(x) - x`` by autograd of ``r`` (not from
    a formula that is symmetric by construction); expected 0 within
    ``ROUNDOFF_TOLERANCE``. The chapter's untied model measures 0.45.

    Parameters
    ----------
    measurement : dict, optional
        Default the chapter's model and points.

    Returns
    -------
    CheckResult
    """


def _symmetry_record(m, which):
    return record(f"{which}: J symmetric (gradient field) [2-D]", m["asymmetry"], 0.0,
                  ROUNDOFF_TOLERANCE, f"n = {m['n']} points, max |curl| = {m['max_curl']:.3g}")


def check_tied_jacobian_symmetric_2d(measurement=None):
    if measurement is None:
        measurement = measure_jacobian_asymmetry(_reconstruct(dae_model_2d(True), dae_fit_2d(True)))
    return _symmetry_record(measurement, "tied DAE")


def check_optimum_jacobian_symmetric_2d(measurement=None):
    if measurement is None:
        data = score_matching_data()
        measurement = measure_jacobian_asymmetry(
            dae_optimum(data.mixture_2d, SCORE_MATCHING_SETTINGS["sigma"]))
    return _symmetry_record(measurement, "optimum r*_sigma")


check_tied_jacobian_symmetric_2d.__doc__ = (
    "Tied 2-D DAE: its Jacobian is symmetric, so its field is a gradient." + _SYMMETRY_DOC)
check_optimum_jacobian_symmetric_2d.__doc__ = (
    "Exact optimum ``r*_sigma`` of the 2-D mixture: its Jacobian is symmetric."
    + _SYMMETRY_DOC)
check_tied_jacobian_symmetric_2d = register(chapter=8, kind="algebra")(
    check_tied_jacobian_symmetric_2d)
check_optimum_jacobian_symmetric_2d = register(chapter=8, kind="algebra")(
    check_optimum_jacobian_symmetric_2d)


@register(chapter=8, kind="numerical")
def check_untied_field_not_gradient_2d(measurement=None):
    """Untied 2-D DAE: its field ``r(x) - x`` is not a gradient (asymmetric Jacobian).

    Measured (:func:`measure_jacobian_asymmetry`): ``||J - J^T||_F / ||J||_F`` over the
    test points, autograd Jacobian. The claim holds when it exceeds
    ``NOT_GRADIENT_LEVEL`` = 1e-6: fields that are gradients by construction (the tied
    model, the exact optimum) measure below 1e-15, so a value above 1e-6 is an
    asymmetry of the field, not rounding. It says that the field is not a gradient, not
    how far from one it is (the chapter reports that: asymmetry, curl, circulation).

    Parameters
    ----------
    measurement : dict, optional
        Default the chapter's untied model.

    Returns
    -------
    CheckResult
    """
    if measurement is None:
        measurement = measure_jacobian_asymmetry(_reconstruct(dae_model_2d(False),
                                                              dae_fit_2d(False)))
    m = measurement
    return record("untied DAE: J not symmetric (no energy) [2-D]", m["asymmetry"],
                  NOT_GRADIENT_LEVEL, 0.0, f"n = {m['n']} points, rms curl = {m['rms_curl']:.3g}",
                  passed=bool(m["asymmetry"] > NOT_GRADIENT_LEVEL))


# ------------------------------------------------------------ training seeds (replicates)


def _replicates_arg(replicates, name="replicates"):
    replicates = tuple(_replicate_arg(k) for k in replicates)
    if not replicates or len(set(replicates)) != len(replicates):
        raise ValueError(f"{name} must be distinct non-negative ints, at least one; "
                         f"got {replicates!r}")
    return replicates


def measure_criterion_replicates(replicates=SEED_REPLICATES):
    """The chapter's comparison of score matching, the rCAE and the DAE, per replicate.

    For each replicate (:func:`replicate_data`; 0 is the chapter's run) and each sample
    size, the three fits of :func:`criterion_fit_1d` read as ``psi = (r - x) / lam``:
    the relative ``p``-weighted score error (by quadrature on the chapter's grid), the
    score-matching objective averaged over the replicate's training sample and under
    ``p`` (:func:`raetut.criteria.score_matching_quadrature_1d`).

    Parameters
    ----------
    replicates : sequence of int
        Default ``SEED_REPLICATES`` (five).

    Returns
    -------
    dict
        ``replicates``; ``floor`` (``-E_p[s^2] / 2``); ``error``, ``jsm_train``,
        ``jsm_pop``: each ``{(criterion, n): ndarray (len(replicates),)}``;
        ``jsm_true_train`` ``{n: ndarray}``, the objective of the true score on the same
        training samples (what a fit that beats it on its own sample has overfitted).
    """
    replicates = _replicates_arg(replicates)
    s = SCORE_MATCHING_SETTINGS
    lam = s["sigma"] ** 2
    base = score_matching_data()
    density, x = base.density, base.grid
    G = x[:, None]
    p, score = density.prob(G), density.score(G)
    weights = p * np.gradient(x)
    model = criterion_model_1d()
    true_psi, true_div, _ = _true_score_field()
    out = {"error": {}, "jsm_train": {}, "jsm_pop": {}, "jsm_true_train": {}}
    for n in s["sizes"]:
        out["jsm_true_train"][n] = np.array([
            float(score_matching_loss(true_psi, true_div, _replicate_data(k).X[:n]))
            for k in replicates])
        for criterion in ("sm", "rcae", "dae"):
            rows = []
            for k in replicates:
                est = score_estimate(model, _criterion_fit_1d(criterion, n, k), lam)
                X_n = _replicate_data(k).X[:n]
                rows.append((weighted_score_error(est.psi(G), score, weights),
                             float(score_matching_loss(est.psi, est.divergence, X_n)),
                             score_matching_quadrature_1d(est.psi, est.divergence, density, x)))
            rows = np.array(rows, dtype=float)
            for j, key in enumerate(("error", "jsm_train", "jsm_pop")):
                out[key][criterion, n] = rows[:, j]
    out.update(replicates=replicates, floor=float(-0.5 * trapezoid(p * score[:, 0] ** 2, x)))
    return out


def measure_tied_replicates(replicates=TIED_SEED_REPLICATES):
    """The tied sweep of :func:`measure_tied_energies_1d` over training replicates.

    Parameters
    ----------
    replicates : sequence of int
        Default ``TIED_SEED_REPLICATES`` (three: seven models each).

    Returns
    -------
    dict
        ``replicates``, ``sigmas``; ``tv_q_p``, ``tv_q_psigma``, ``out_q`` and
        ``out_p_sigma`` (mass of ``q_sigma`` and of ``p_sigma`` beyond the range of the
        replicate's data): ndarrays ``(len(replicates), len(sigmas))``; ``tv_p_psigma``
        ``(len(sigmas),)``; ``sigma_best`` (one per replicate).
    """
    replicates = _replicates_arg(replicates)
    sigmas = tuple(SCORE_MATCHING_SETTINGS["tied_sigmas"])
    sweeps = [_tied_energies_1d(k) for k in replicates]

    def table(key):
        return np.array([[sw["fits"][sg][key] for sg in sigmas] for sw in sweeps], dtype=float)

    return {"replicates": replicates, "sigmas": sigmas, "tv_q_p": table("tv_q_p"),
            "tv_q_psigma": table("tv_q_psigma"), "out_q": table("out_q"),
            "out_p_sigma": table("out_p_sigma"),
            "tv_p_psigma": table("tv_p_psigma")[0],
            "sigma_best": tuple(sw["sigma_best"] for sw in sweeps)}


def measure_2d_replicates(replicates=SEED_REPLICATES, center=(0.0, 0.0), radius=1.0):
    """The 2-D tied/untied comparison over training replicates, on the chapter's test points.

    For each replicate, the untied and the tied DAE of :func:`dae_fit_2d`: the Jacobian
    asymmetry and root-mean-square curl of ``r(x) - x`` (:func:`measure_jacobian_asymmetry`),
    the circulation of ``(r(x) - x) / sigma^2`` around the circle (nats), and the relative
    error of ``(r(x) - x) / sigma^2`` as an estimate of the score of ``p_sigma``, over the
    2000 test points.

    Parameters
    ----------
    replicates : sequence of int
        Default ``SEED_REPLICATES`` (five).
    center : array_like (2,)
    radius : float

    Returns
    -------
    dict
        ``replicates``; ``{"untied", "tied"}`` -> dict of ndarrays
        ``asymmetry``, ``rms_curl``, ``circulation``, ``error`` (one entry per replicate).
    """
    replicates = _replicates_arg(replicates)
    radius = positive_scalar(radius, "radius")
    center = np.asarray(center, dtype=float)
    if center.shape != (2,) or not np.all(np.isfinite(center)):
        raise ValueError(f"center must be 2 finite numbers; got {center!r}")
    data = score_matching_data()
    sigma = SCORE_MATCHING_SETTINGS["sigma"]
    X_test = data.X_test
    target = data.mixture_2d.smoothed(sigma).score(X_test)
    out = {"replicates": replicates}
    for name, tied in (("untied", False), ("tied", True)):
        rows = []
        net = dae_model_2d(tied)
        for k in replicates:
            r = _reconstruct(net, _dae_fit_2d(tied, k))
            sym = measure_jacobian_asymmetry(r, X_test)
            circ = circulation(lambda Z, r=r: r(Z) - Z, center, radius) / sigma**2
            psi = (r(X_test) - X_test) / sigma**2
            rows.append((sym["asymmetry"], sym["rms_curl"], circ,
                         weighted_score_error(psi, target)))
        rows = np.array(rows, dtype=float)
        out[name] = {key: rows[:, j] for j, key in
                     enumerate(("asymmetry", "rms_curl", "circulation", "error"))}
    return out
