"""Chapter 11, handwritten digits: the exact optimal DAE of an empirical distribution.

For the empirical distribution of a training set, Theorem 1, Tweedie's formula and
second-order Tweedie hold exactly, in 64 dimensions: the smoothed empirical density is
a Gaussian mixture with one isotropic component per training image. The checks compare
the softmax formulas of :mod:`raetut.empirical` with the mixture machinery of
:mod:`raetut.densities`, with finite differences and with a direct numerical
minimisation of the empirical DAE criterion.
"""

import dataclasses
import functools

import numpy as np
from scipy import optimize

from .. import empirical, fields
from .._validation import as_points, call_checked, check_callable, positive_int, positive_scalar
from ..densities import GaussianMixture
from . import record, register

__all__ = [
    "N_TRAIN",
    "SEED",
    "IDENTITY_SIGMAS",
    "chapter_data",
    "chapter_points",
    "kde_mixture",
    "EmpiricalIdentities",
    "measure_empirical_identities",
    "check_empirical_tweedie",
    "check_empirical_jacobian_covariance",
    "EmpiricalMinimiser",
    "measure_empirical_minimiser",
    "check_empirical_dae_minimiser",
    "Orthogonality",
    "measure_orthogonality",
    "check_empirical_orthogonality",
    "MEMORISATION_SIGMAS",
    "Memorisation",
    "measure_memorisation",
    "check_memorisation_limit",
    "AE_SIGMAS",
    "train_digit_autoencoder",
    "HeldoutErrors",
    "measure_heldout_errors",
    "check_autoencoder_beats_optimum",
    "SAMPLE_SIGMAS",
    "COPY_DISTANCE",
    "sample_digits",
    "DigitSamples",
    "measure_digit_samples",
    "check_empirical_samples_are_copies",
]

#: Training images (the other 297 of the 1797 are held out) and the split's seed.
N_TRAIN = 1500
SEED = 0
#: Noise levels of the identity checks: a median of about 3 and 15 training images share
#: the posterior weight at the corrupted held-out images of the checks (at 0.1 one image
#: takes it all).
IDENTITY_SIGMAS = (0.3, 0.6)
# Finite-difference steps, relative to sigma (Richardson: steps h and h/2).
FD_STEP = 2e-3


@functools.lru_cache(maxsize=1)
def chapter_data():
    """The chapter's split: :func:`raetut.empirical.digits_split` with ``N_TRAIN`` training
    images and ``numpy.random.default_rng(SEED)``."""
    return empirical.digits_split(N_TRAIN, np.random.default_rng(SEED))


def chapter_points(sigma, n_points=6, seed=1):
    """``n_points`` held-out images of the chapter's split, corrupted by ``N(0, sigma^2 I)``.

    Parameters
    ----------
    sigma : float
        > 0.
    n_points : int
    seed : int
        Seed of the corruption (and of which held-out images are used).

    Returns
    -------
    ndarray, shape (n_points, 64)
    """
    sigma = positive_scalar(sigma, "sigma")
    n_points = positive_int(n_points, "n_points")
    rng = np.random.default_rng(seed)
    test = chapter_data().test
    clean = test[rng.choice(len(test), size=n_points, replace=False)]
    return clean + sigma * rng.standard_normal(clean.shape)


def kde_mixture(train, sigma):
    """The smoothed empirical density as a :class:`raetut.GaussianMixture`: weights ``1/n``,
    means the training points, covariances ``sigma^2 I``."""
    train = as_points(train, "train")
    sigma = positive_scalar(sigma, "sigma")
    n, d = train.shape
    return GaussianMixture(np.full(n, 1.0 / n), train,
                           np.broadcast_to(sigma**2 * np.eye(d), (n, d, d)))


@functools.lru_cache(maxsize=2)
def _chapter_mixture(sigma):
    # the smoothed empirical mixture of the chapter's training set (large: built once)
    return kde_mixture(chapter_data().train, sigma)


def _richardson(f, h):
    # central differences (error c h^2 + O(h^4)) at h and h/2, combined to cancel c h^2
    return (4.0 * f(h / 2) - f(h)) / 3.0


def _fd_gradient(log_p, Z, h):
    """Central-difference gradient of ``log_p`` at the rows of ``Z`` (one call per step)."""
    n, d = Z.shape
    eye = np.eye(d)

    def central(step):
        plus = (Z[:, None, :] + step * eye[None]).reshape(-1, d)
        minus = (Z[:, None, :] - step * eye[None]).reshape(-1, d)
        values = call_checked(log_p, np.vstack([plus, minus]), "log_density",
                              shape=(2 * n * d,))
        return (values[:n * d] - values[n * d:]).reshape(n, d) / (2.0 * step)

    return _richardson(central, h)


@dataclasses.dataclass(frozen=True)
class EmpiricalIdentities:
    """The optimal DAE of the training set, its score and its Jacobian, computed three ways.

    Attributes
    ----------
    sigmas : ndarray, shape (k,)
    X : ndarray, shape (k, n, d)
        The points (corrupted held-out images), per noise level.
    posterior_mean : ndarray, shape (k, n, d)
        Theorem 1: ``sum_i pi_i x_i`` (softmax weights).
    tweedie_mixture : ndarray, shape (k, n, d)
        ``x~ + sigma^2 s`` with ``s`` the score of the smoothed empirical mixture.
    tweedie_fd : ndarray, shape (k, n, d)
        ``x~ + sigma^2 s`` with ``s`` a finite-difference gradient of ``log p_hat_sigma``.
    covariance_form : ndarray, shape (k, n, d, d)
        ``Cov[x | x~] / sigma^2`` from the discrete posterior.
    hessian_form : ndarray, shape (k, n, d, d)
        ``I + sigma^2 grad^2 log p_hat_sigma`` from the mixture's Hessian.
    fd_jacobian : ndarray, shape (k, n, d, d)
        A finite-difference Jacobian of the optimal denoiser.
    """

    sigmas: np.ndarray
    X: np.ndarray
    posterior_mean: np.ndarray
    tweedie_mixture: np.ndarray
    tweedie_fd: np.ndarray
    covariance_form: np.ndarray
    hessian_form: np.ndarray
    fd_jacobian: np.ndarray


def measure_empirical_identities(train=None, sigmas=IDENTITY_SIGMAS, points=None,
                                 denoiser=None, score=None, log_density=None,
                                 covariance=None, hessian=None, n_points=6):
    """Tweedie's formula and second-order Tweedie for a training set, each side separately.

    Parameters
    ----------
    train : array_like, shape (n, d), optional
        Default the chapter's training images.
    sigmas : sequence of float
        Noise levels, > 0.
    points : callable, optional
        ``points(sigma) -> (m, d)``; default :func:`chapter_points` (``n_points``
        corrupted held-out images).
    denoiser : callable, optional
        ``denoiser(train, sigma) -> r``; default :func:`raetut.empirical.empirical_denoiser`.
        The Jacobian is differentiated from it numerically.
    score : callable, optional
        ``score(train, sigma) -> s``; default the score of :func:`kde_mixture`.
    log_density : callable, optional
        ``log_density(train, sigma) -> log_p``; default
        :func:`raetut.empirical.empirical_log_density`.
    covariance : callable, optional
        ``covariance(train, sigma) -> C``, ``C(Z) -> (m, d, d)``; default
        :func:`raetut.empirical.empirical_posterior_covariance`.
    hessian : callable, optional
        ``hessian(train, sigma) -> H``, the Hessian of ``log p_hat_sigma``; default that of
        :func:`kde_mixture`.
    n_points : int
        Points per noise level for the default ``points``.

    Returns
    -------
    EmpiricalIdentities
    """
    chapter_train = train is None
    train = chapter_data().train if train is None else as_points(train, "train")
    sigmas = np.array([positive_scalar(s, "sigmas") for s in np.atleast_1d(sigmas)])
    n_points = positive_int(n_points, "n_points")
    if points is None:
        def points(sigma):
            return chapter_points(sigma, n_points)
    check_callable(points, "points")
    denoiser = check_callable(empirical.empirical_denoiser if denoiser is None else denoiser,
                              "denoiser")
    log_density = check_callable(
        empirical.empirical_log_density if log_density is None else log_density, "log_density")
    covariance = check_callable(
        empirical.empirical_posterior_covariance if covariance is None else covariance,
        "covariance")
    d = train.shape[1]
    eye = np.eye(d)
    out = {k: [] for k in ("X", "mean", "mix", "fd", "cov", "hess", "jac")}
    for sigma in sigmas:
        X = as_points(points(sigma), "points(sigma)", dim=d)
        mixture = None
        if score is None or hessian is None:
            mixture = (_chapter_mixture(float(sigma)) if chapter_train
                       else kde_mixture(train, sigma))
        s_mix = mixture.score if score is None else score(train, sigma)
        h_mix = mixture.hessian_log_prob if hessian is None else hessian(train, sigma)
        r = denoiser(train, sigma)
        out["X"].append(X)
        out["mean"].append(call_checked(r, X, "denoiser"))
        out["mix"].append(X + sigma**2 * call_checked(s_mix, X, "score"))
        out["fd"].append(X + sigma**2 * _fd_gradient(log_density(train, sigma), X,
                                                     FD_STEP * sigma))
        out["cov"].append(call_checked(covariance(train, sigma), X, "covariance",
                                       shape=(len(X), d, d)) / sigma**2)
        out["hess"].append(eye + sigma**2 * call_checked(h_mix, X, "hessian",
                                                         shape=(len(X), d, d)))
        out["jac"].append(_richardson(
            lambda h, r=r, X=X: fields.finite_difference_jacobian(r, X, step=h),
            FD_STEP * sigma))
    arrays = {k: np.stack(v) for k, v in out.items()}
    return EmpiricalIdentities(sigmas, arrays["X"], arrays["mean"], arrays["mix"],
                               arrays["fd"], arrays["cov"], arrays["hess"], arrays["jac"])


def _levels(sigmas):
    return "(" + ", ".join(f"{s:g}" for s in sigmas) + ")"


def _identities(measurement):
    m = measure_empirical_identities() if measurement is None else measurement
    if not isinstance(m, EmpiricalIdentities):
        raise TypeError(f"measurement must be an EmpiricalIdentities; got {type(m).__name__}")
    return m


@register(chapter=11, kind="identity")
def check_empirical_tweedie(measurement=None):
    """Training-set optimum: softmax average of images = x~ + sigma^2 grad log p_hat_sigma.

    Theorem 1 and Tweedie's formula applied to the empirical distribution of the
    chapter's 1500 training images, in 64 dimensions: the posterior mean
    ``sum_i pi_i(x~) x_i`` (softmax weights, :mod:`raetut.empirical`) against
    ``x~ + sigma^2 s(x~)`` with the score ``s`` computed two other ways: (a) the exact
    score of the smoothed empirical density as a :class:`raetut.GaussianMixture` with
    one component ``N(x_i, sigma^2 I)`` per image (whitened differences and
    responsibilities: different code and arithmetic); (b) central differences of
    ``log p_hat_sigma`` (log-sum-exp), steps ``2e-3 sigma`` and ``1e-3 sigma``
    Richardson-combined. Points: six corrupted held-out images at each
    ``sigma`` in (0.3, 0.6).

    Measured: the largest entry of either difference (pixels lie in [0, 1]); expected
    0, tolerance 1e-8. (a) differs only by rounding, about ``1e-16 |x|^2 / sigma^2``
    in the exponents, below 1e-13. For (b) the derivatives of ``log p_hat_sigma``
    of order ``k`` are ``sigma^-k`` times cumulants of the posterior in units of
    ``sigma`` (a few here, the posterior being at most a few ``sigma`` wide), so the
    Richardson remainder ``h^4 |grad^5 log p|`` times ``sigma^2`` is about
    ``(2e-3)^4 sigma`` times those cumulants, below 1e-9; rounding,
    ``eps |log p| / h`` times ``sigma^2``, about ``1e-16 * 100 * sigma / 2e-3 < 1e-11``.

    Parameters
    ----------
    measurement : EmpiricalIdentities, optional
        Default :func:`measure_empirical_identities` on the chapter's data.

    Returns
    -------
    CheckResult
    """
    m = _identities(measurement)
    gap_mix = float(np.max(np.abs(m.posterior_mean - m.tweedie_mixture)))
    gap_fd = float(np.max(np.abs(m.posterior_mean - m.tweedie_fd)))
    return record(
        "empirical r* = softmax mean = x~ + sigma^2 grad log p_hat_sigma", max(gap_mix, gap_fd),
        0.0, 1e-8,
        f"vs mixture score {gap_mix:.2g}, vs finite differences of log p {gap_fd:.2g}; "
        f"{m.X.shape[1]} points in d = {m.X.shape[2]} at sigma in {_levels(m.sigmas)}",
    )


@register(chapter=11, kind="identity")
def check_empirical_jacobian_covariance(measurement=None):
    """Training-set optimum: J = Cov[x|x~]/sigma^2 = I + sigma^2 Hess log p_hat_sigma, PSD.

    Second-order Tweedie for the empirical distribution, 64 x 64 entries, at the points
    of :func:`check_empirical_tweedie`. The posterior covariance
    ``sum_i pi_i (x_i - m)(x_i - m)^T`` (no within-component term: the posterior is
    discrete) over ``sigma^2`` is compared with (a) ``I + sigma^2`` times the exact
    Hessian of the smoothed empirical mixture (:class:`raetut.GaussianMixture`, a
    different formula with a ``-I / sigma^2`` term that the covariance does not have) and
    (b) a finite-difference Jacobian of the softmax denoiser (steps ``2e-3 sigma`` and
    ``1e-3 sigma``, Richardson-combined). Also measured: the asymmetry of (b), and how far
    the smallest eigenvalue of the covariance form falls below 0.

    Measured: the largest of these discrepancies, relative to ``max(1, max |J|)``
    (the entries here stay below 1, the eigenvalues reach about 4); expected 0,
    tolerance 1e-7. (a) agrees to rounding
    (``1e-16`` relative, amplified by the cancellation in ``I - I`` of at most
    ``|x|^2 / sigma^2 ~ 200``). For (b), ``J``'s derivatives of order ``k`` are
    ``sigma^-k`` times posterior cumulants in units of ``sigma`` (of order
    ``(width / sigma)^k``, ``width / sigma`` up to about 3 here), so the Richardson
    remainder ``h^4 |grad^4 J|`` with ``h = 2e-3 sigma`` is about ``1.6e-11 * 3^6 < 2e-8``,
    and rounding ``eps |r| / h`` with ``|r| <= 4`` about ``1e-12``.

    Parameters
    ----------
    measurement : EmpiricalIdentities, optional
        Default :func:`measure_empirical_identities` on the chapter's data.

    Returns
    -------
    CheckResult
    """
    m = _identities(measurement)
    scale = max(1.0, float(np.max(np.abs(m.covariance_form))))
    gaps = {
        "vs Hessian": float(np.max(np.abs(m.covariance_form - m.hessian_form))),
        "vs finite differences": float(np.max(np.abs(m.covariance_form - m.fd_jacobian))),
        "asymmetry of FD Jacobian": float(np.max(np.abs(
            m.fd_jacobian - np.swapaxes(m.fd_jacobian, -1, -2)))),
        "eigenvalue below 0": float(max(0.0, -np.min(np.linalg.eigvalsh(m.covariance_form)))),
    }
    return record(
        "empirical J = Cov[x|x~]/sigma^2 = I + sigma^2 Hess log p_hat (PSD)",
        max(gaps.values()) / scale, 0.0, 1e-7,
        "; ".join(f"{k} {v:.2g}" for k, v in gaps.items())
        + f"; max |J| = {scale:.3g}, largest eigenvalue "
        f"{float(np.max(np.linalg.eigvalsh(m.covariance_form))):.3g}",
    )


# ------------------------------------------------------------- Theorem 1 as a minimiser

#: Training images of the direct minimisation (the first of the chapter's training set).
MINIMISER_SUBSET = 200


@dataclasses.dataclass(frozen=True)
class EmpiricalMinimiser:
    """The empirical DAE criterion minimised numerically at a few points, and the formula.

    Attributes
    ----------
    sigmas : ndarray, shape (k,)
    X : ndarray, shape (k, n, d)
        The points ``x~``.
    minimiser : ndarray, shape (k, n, d)
        The numerical minimiser of the criterion's integrand at each point.
    formula : ndarray, shape (k, n, d)
        The candidate optimum there (default Theorem 1's softmax average).
    gradient_norm : ndarray, shape (k, n)
        The normalised gradient left at the numerical minimiser.
    """

    sigmas: np.ndarray
    X: np.ndarray
    minimiser: np.ndarray
    formula: np.ndarray
    gradient_norm: np.ndarray


def _integrand_minimiser(train, x_tilde, sigma):
    """Minimise ``y -> sum_i phi_sigma(x~ - x_i) |y - x_i|^2`` by BFGS from ``y = x~``.

    The weights ``phi_sigma(x~ - x_i)`` are Gaussian densities computed from the
    differences, divided by their sum (a constant factor that changes nothing but the
    scale, so that the gradient tolerance is in pixel units).
    """
    diff = x_tilde[None, :] - train
    log_phi = -np.sum(diff**2, axis=1) / (2.0 * sigma**2)
    phi = np.exp(log_phi - np.max(log_phi))
    phi /= np.sum(phi)

    def fun(y):
        resid = y[None, :] - train
        return float(phi @ np.sum(resid**2, axis=1)), 2.0 * (phi @ resid)

    result = optimize.minimize(fun, x_tilde, jac=True, method="BFGS",
                               options={"gtol": 1e-11, "maxiter": 1000})
    return result.x, float(np.max(np.abs(result.jac)))


def measure_empirical_minimiser(train=None, sigmas=IDENTITY_SIGMAS, n_points=4, optimum=None):
    """Minimise the empirical DAE criterion directly at a few points, on a subset.

    Parameters
    ----------
    train : array_like, shape (n, d), optional
        Default the first ``MINIMISER_SUBSET`` (200) of the chapter's training images.
    sigmas : sequence of float
        Noise levels, > 0.
    n_points : int
        Corrupted held-out images per noise level (:func:`chapter_points`, seed 2).
    optimum : callable, optional
        ``optimum(train, sigma) -> r``, the candidate; default
        :func:`raetut.empirical.empirical_denoiser`.

    Returns
    -------
    EmpiricalMinimiser
    """
    train = (chapter_data().train[:MINIMISER_SUBSET] if train is None
             else as_points(train, "train"))
    sigmas = np.array([positive_scalar(s, "sigmas") for s in np.atleast_1d(sigmas)])
    n_points = positive_int(n_points, "n_points")
    optimum = check_callable(empirical.empirical_denoiser if optimum is None else optimum,
                             "optimum")
    Xs, mins, forms, grads = [], [], [], []
    for sigma in sigmas:
        X = chapter_points(sigma, n_points, seed=2)
        found = [_integrand_minimiser(train, x, sigma) for x in X]
        Xs.append(X)
        mins.append(np.stack([y for y, _ in found]))
        grads.append(np.array([g for _, g in found]))
        forms.append(call_checked(optimum(train, sigma), X, "optimum"))
    return EmpiricalMinimiser(sigmas, np.stack(Xs), np.stack(mins), np.stack(forms),
                              np.stack(grads))


@register(chapter=11, kind="numerical")
def check_empirical_dae_minimiser(measurement=None):
    """Theorem 1 as a minimiser: BFGS on the empirical DAE criterion finds the softmax mean.

    The empirical criterion is ``(1/n) sum_i E_eps |r(x_i + eps) - x_i|^2
    = (1/n) int sum_i phi_sigma(x~ - x_i) |r(x~) - x_i|^2 dx~``: its integrand at ``x~``
    involves ``r`` only through the value ``y = r(x~)``, so a minimiser over all
    functions minimises ``y -> sum_i phi_sigma(x~ - x_i) |y - x_i|^2`` at each ``x~``.
    That function is minimised numerically (BFGS from ``y = x~``, no formula for the
    minimum used) on 200 training images, at four corrupted held-out images for each
    ``sigma`` in (0.3, 0.6), and the result compared with the candidate optimum.

    Measured: the largest entry of ``minimiser - formula``; expected 0, tolerance 1e-8.
    With the weights normalised to sum 1 the integrand is ``|y|^2 - 2 y.m + const``, of
    Hessian ``2 I``, so a point where the gradient is below ``g`` lies within ``g / 2``
    of the minimum: BFGS stops at ``g <= 1e-11`` (the largest gradient left is in the
    detail), far inside the tolerance. The nearest wrong answers (the nearest training
    image, the softmax at ``sqrt 2 sigma``) differ by more than 1e-2.

    Parameters
    ----------
    measurement : EmpiricalMinimiser, optional
        Default :func:`measure_empirical_minimiser`.

    Returns
    -------
    CheckResult
    """
    m = measure_empirical_minimiser() if measurement is None else measurement
    if not isinstance(m, EmpiricalMinimiser):
        raise TypeError(f"measurement must be an EmpiricalMinimiser; got {type(m).__name__}")
    gap = float(np.max(np.abs(m.minimiser - m.formula)))
    g = float(np.max(m.gradient_norm))
    return record(
        "empirical DAE criterion minimised by BFGS = softmax mean (Thm 1)", gap, 0.0, 1e-8,
        f"{m.X.shape[1]} points per sigma in {_levels(m.sigmas)}, largest gradient left {g:.1g}",
        require=g <= 1e-9,
    )



#: Orthogonality test of Theorem 1: noise level, draws (training image, corruption), level.
ORTHOGONALITY_SIGMA = 0.3
ORTHOGONALITY_DRAWS = 6000
ORTHOGONALITY_BETA = 0.01


@dataclasses.dataclass(frozen=True)
class Orthogonality:
    """Paired statistics of ``(g(x~) - r(x~)) . (r(x~) - x)`` for three test functions ``g``.

    Attributes
    ----------
    sigma : float
    names : tuple of str
        The test functions: the identity ``g(x~) = x~``, the Gaussian baseline (both
        affine) and the nearest training image (not affine).
    z : ndarray, shape (3,)
        ``mean / (sd / sqrt(n))`` of the products over the ``n`` draws.
    n : int
    """

    sigma: float
    names: tuple
    z: np.ndarray
    n: int


def measure_orthogonality(optimum=None, sigma=ORTHOGONALITY_SIGMA, n_draws=ORTHOGONALITY_DRAWS,
                          seed=5):
    """Draw ``x`` from the training set and ``x~ = x + sigma z``; test ``r`` against three ``g``.

    Parameters
    ----------
    optimum : callable, optional
        ``optimum(train, sigma) -> r``; default :func:`raetut.empirical.empirical_denoiser`.
    sigma : float
    n_draws : int
    seed : int

    Returns
    -------
    Orthogonality
    """
    train = chapter_data().train
    optimum = check_callable(empirical.empirical_denoiser if optimum is None else optimum,
                             "optimum")
    sigma = positive_scalar(sigma, "sigma")
    n_draws = positive_int(n_draws, "n_draws")
    rng = np.random.default_rng(seed)
    x = train[rng.integers(len(train), size=n_draws)]
    x_tilde = x + sigma * rng.standard_normal(x.shape)
    r = call_checked(optimum(train, sigma), x_tilde, "optimum")
    tests = {"identity": x_tilde,
             "Gaussian baseline": empirical.gaussian_fit_denoiser(train, sigma)(x_tilde),
             "nearest training image": train[empirical.nearest_neighbours(x_tilde, train)[1]]}
    z = []
    for g in tests.values():
        products = np.sum((g - r) * (r - x), axis=1)
        sd = np.std(products, ddof=1)
        z.append(np.mean(products) / sd * np.sqrt(n_draws) if sd > 0 else 0.0)
    return Orthogonality(sigma, tuple(tests), np.array(z), n_draws)


@register(chapter=11, kind="statistical")
def check_empirical_orthogonality(measurement=None):
    """Theorem 1 over functions: the error of r* is orthogonal to every function of x~.

    ``r*(x~) = E[x | x~]`` for ``x`` drawn from the training set and ``x~ = x + sigma z``
    is equivalent to ``E[(g(x~) - r*(x~)) . (r*(x~) - x)] = 0`` for every function ``g``
    (the orthogonality that makes the posterior mean the least-squares optimum over all
    functions, not only pointwise). Test: for three ``g`` (the identity, the Gaussian
    baseline and the nearest training image), the mean of the products over 6000
    independent draws at ``sigma = 0.3``, standardised; the claim holds if every
    ``|z| < z_{1 - beta/6}`` = 2.94 (two-sided, Bonferroni over three tests, ``beta`` =
    0.01). A non-affine ``g`` is needed: the Gaussian baseline, the best *affine*
    estimator, is orthogonal to every affine ``g`` and would pass with those alone. Error
    rate: at most 1 % for the true optimum (normal approximation of a mean of 6000
    bounded products). Power: the nearest wrong answers give ``|z|`` far above 2.94 (the
    detail of each control reports it). Measured: the largest ``|z|``; expected 0,
    tolerance 2.94.

    Parameters
    ----------
    measurement : Orthogonality, optional
        Default :func:`measure_orthogonality`.

    Returns
    -------
    CheckResult
    """
    from scipy import stats

    m = measure_orthogonality() if measurement is None else measurement
    if not isinstance(m, Orthogonality):
        raise TypeError(f"measurement must be an Orthogonality; got {type(m).__name__}")
    critical = float(stats.norm.ppf(1.0 - ORTHOGONALITY_BETA / (2 * len(m.z))))
    worst = float(np.max(np.abs(m.z)))
    return record(
        "empirical r*: E[(g - r*).(r* - x)] = 0 for every g (Thm 1 over functions)",
        worst, 0.0, critical,
        detail="; ".join(f"g = {name}: z {z:.2f}" for name, z in zip(m.names, m.z, strict=True))
        + f"; {m.n} draws at sigma {m.sigma:g}, beta = {ORTHOGONALITY_BETA} ({len(m.z)} tests)",
    )

# ---------------------------------------------------------------------- memorisation

#: Noise levels of the memorisation figure.
MEMORISATION_SIGMAS = (0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0, 1.4)


@dataclasses.dataclass(frozen=True)
class Memorisation:
    """What the empirical optimum does to held-out and to training images, against sigma.

    Attributes
    ----------
    sigmas : ndarray, shape (k,)
    heldout_error, training_error : ndarray, shape (k,)
        Mean squared error per pixel of the denoiser on corrupted held-out images and on
        as many corrupted training images.
    gaussian_error : ndarray, shape (k,)
        The same on the held-out images for the Gaussian baseline
        (:func:`raetut.empirical.gaussian_fit_denoiser`).
    output_distance : ndarray, shape (k, m)
        Distance from the denoiser's output on each corrupted held-out image to the
        nearest training image.
    output_is_nearest : ndarray, shape (k,)
        Fraction of held-out images for which that nearest training image is also the
        one nearest to the clean image.
    heldout_distance : ndarray, shape (m,)
        Distance from each clean held-out image to the nearest training image.
    effective_images : ndarray, shape (k, m)
        ``1 / sum_i pi_i^2``: how many training images share the posterior weight.
    """

    sigmas: np.ndarray
    heldout_error: np.ndarray
    training_error: np.ndarray
    gaussian_error: np.ndarray
    output_distance: np.ndarray
    output_is_nearest: np.ndarray
    heldout_distance: np.ndarray
    effective_images: np.ndarray


def measure_memorisation(sigmas=MEMORISATION_SIGMAS, denoiser=None, seed=3):
    """The empirical optimum's held-out and training errors and its outputs' distances.

    Parameters
    ----------
    sigmas : sequence of float
        Noise levels, > 0.
    denoiser : callable, optional
        ``denoiser(train, sigma) -> r``; default :func:`raetut.empirical.empirical_denoiser`.
    seed : int
        Seed of the corruptions (one per image and noise level).

    Returns
    -------
    Memorisation
    """
    data = chapter_data()
    X, T = data.train, data.test
    sigmas = np.array([positive_scalar(s, "sigmas") for s in np.atleast_1d(sigmas)])
    denoiser = check_callable(empirical.empirical_denoiser if denoiser is None else denoiser,
                              "denoiser")
    heldout_distance, heldout_index = empirical.nearest_neighbours(T, X)
    train_part = X[:len(T)]
    out = {k: [] for k in ("held", "train", "gauss", "dist", "same", "eff")}
    for sigma in sigmas:
        rng = np.random.default_rng([seed, int(round(1e6 * sigma))])
        r = denoiser(X, sigma)
        noisy = T + sigma * rng.standard_normal(T.shape)
        output = call_checked(r, noisy, "denoiser")
        out["held"].append(np.mean((output - T) ** 2))
        out["train"].append(empirical.denoising_error(r, train_part, sigma, rng))
        out["gauss"].append(np.mean((empirical.gaussian_fit_denoiser(X, sigma)(noisy) - T) ** 2))
        distance, index = empirical.nearest_neighbours(output, X)
        out["dist"].append(distance)
        out["same"].append(np.mean(index == heldout_index))
        W = empirical.empirical_posterior_weights(X, sigma)(noisy)
        out["eff"].append(1.0 / np.sum(W**2, axis=1))
    a = {k: np.array(v) for k, v in out.items()}
    return Memorisation(sigmas, a["held"], a["train"], a["gauss"], a["dist"], a["same"],
                        heldout_distance, a["eff"])


@register(chapter=11, kind="numerical")
def check_memorisation_limit(measurement=None):
    """Small sigma: the training-set optimum returns training images; held-out error -> NN gap.

    As ``sigma -> 0`` the softmax weights put all their mass on the training image
    nearest to ``x~``, so the optimum returns training images: on a corrupted training
    image it returns that image (error 0), and on a corrupted held-out image ``x`` its
    error tends to ``|x - NN(x)|^2``, the squared distance to the nearest training image,
    not to 0. Measured at the smallest noise level of :func:`measure_memorisation`
    (``sigma = 0.05``): the held-out error per pixel relative to
    ``mean |x - NN(x)|^2 / d``, minus 1. Also required: the training error is below
    1e-8 (training images come back exactly, up to weights ``e^{-gap / 2 sigma^2}``).

    Expected 0, tolerance 0.05. At ``sigma = 0.05`` the weights are one-hot to
    ``e^{-20}`` or better for almost every point; what remains is that the image
    picked is the one nearest to ``x~``, not to ``x``: since
    ``|x~ - x_i|^2 - |x - x_i|^2 = 2 sigma z.(x - x_i) + const`` (``z`` standard normal), a
    switch from ``NN(x)`` to ``x_j`` costs at most ``2 sigma |z.(x_nn - x_j)|``, about
    ``2 * 0.05 * 1 * 0.8 = 0.08`` against a mean squared gap of about 1.1 (7 %), and it
    happens for a minority of the images (the detail reports the fraction); a few
    per cent in all. The nearest wrong answers, the Gaussian baseline and the noisy
    input itself, are off by 85 % or more.

    Parameters
    ----------
    measurement : Memorisation, optional
        Default :func:`measure_memorisation`.

    Returns
    -------
    CheckResult
    """
    m = measure_memorisation() if measurement is None else measurement
    if not isinstance(m, Memorisation):
        raise TypeError(f"measurement must be a Memorisation; got {type(m).__name__}")
    k = int(np.argmin(m.sigmas))
    d = chapter_data().train.shape[1]
    limit = float(np.mean(m.heldout_distance**2)) / d
    return record(
        "small sigma: r* returns training images; held-out error -> |x - NN(x)|^2",
        m.heldout_error[k] / limit - 1.0, 0.0, 0.05,
        f"sigma = {m.sigmas[k]:g}: held-out error {m.heldout_error[k]:.4g} vs "
        f"E|x - NN(x)|^2/d = {limit:.4g}; training error {m.training_error[k]:.2g}; "
        f"nearest image unchanged by the noise for {m.output_is_nearest[k]:.0%}",
        require=m.training_error[k] <= 1e-8,
    )


# ------------------------------------------------------------- a trained auto-encoder

#: Noise levels at which the chapter trains an auto-encoder, its hidden units and steps.
AE_SIGMAS = (0.1, 0.2, 0.4, 0.7)
AE_HIDDEN = 64
AE_STEPS = 3000


def train_digit_autoencoder(sigma, seed=0, progress=False):
    """A one-hidden-layer sigmoid DAE (64 units) trained on the chapter's training images.

    Adam, 3000 steps on minibatches of 100 images, a fresh corruption at every step
    (so the network sees the noise distribution, not a fixed sample of it), step 1e-2.

    Parameters
    ----------
    sigma : float
        Corruption level, > 0.
    seed : int
        Seed of the initial parameters, minibatches and corruptions.
    progress : bool
        Show a progress bar.

    Returns
    -------
    callable
        ``r(Z) -> (m, 64)``.
    """
    from .. import models, training

    sigma = positive_scalar(sigma, "sigma")
    model = models.Autoencoder(chapter_data().train.shape[1], AE_HIDDEN, activation="sigmoid")
    result = training.fit(model, chapter_data().train, criterion="dae", sigma=sigma,
                          rng=np.random.default_rng(seed), optimizer="adam", noise="resample",
                          n_iter=AE_STEPS, batch_size=100, learning_rate=1e-2,
                          progress=progress)
    return functools.partial(model.reconstruct, result.params)


@dataclasses.dataclass(frozen=True)
class HeldoutErrors:
    """Held-out denoising errors of a trained network, the empirical optimum and the baseline.

    All three see the same corruptions of the held-out images (one per image and level).

    Attributes
    ----------
    sigmas : ndarray, shape (k,)
    network, empirical, gaussian : ndarray, shape (k, m)
        Squared error per pixel on each held-out image.
    network_train : ndarray, shape (k,)
        The network's mean error on as many corrupted training images.
    """

    sigmas: np.ndarray
    network: np.ndarray
    empirical: np.ndarray
    gaussian: np.ndarray
    network_train: np.ndarray


def measure_heldout_errors(networks, sigmas=AE_SIGMAS, seed=4):
    """Per-image held-out errors of ``networks[k]`` (trained at ``sigmas[k]``) and the references.

    Parameters
    ----------
    networks : sequence of callable
        One reconstruction ``r(Z) -> (m, d)`` per noise level.
    sigmas : sequence of float
        The noise levels, > 0.
    seed : int
        Seed of the corruptions.

    Returns
    -------
    HeldoutErrors
    """
    data = chapter_data()
    X, T = data.train, data.test
    sigmas = np.array([positive_scalar(s, "sigmas") for s in np.atleast_1d(sigmas)])
    networks = list(networks)
    if len(networks) != len(sigmas):
        raise ValueError(f"networks must have one entry per sigma ({len(sigmas)}); "
                         f"got {len(networks)}")
    out = {k: [] for k in ("net", "emp", "gauss", "train")}
    for k, (sigma, r) in enumerate(zip(sigmas, networks, strict=True)):
        check_callable(r, f"networks[{k}]")
        rng = np.random.default_rng([seed, k])
        noisy = T + sigma * rng.standard_normal(T.shape)
        out["net"].append(np.mean((call_checked(r, noisy, f"networks[{k}]") - T) ** 2, axis=1))
        out["emp"].append(np.mean((empirical.empirical_denoiser(X, sigma)(noisy) - T) ** 2, axis=1))
        out["gauss"].append(np.mean(
            (empirical.gaussian_fit_denoiser(X, sigma)(noisy) - T) ** 2, axis=1))
        out["train"].append(empirical.denoising_error(r, X[:len(T)], sigma, rng))
    a = {k: np.array(v) for k, v in out.items()}
    return HeldoutErrors(sigmas, a["net"], a["emp"], a["gauss"], a["train"])


#: One-sided level of each paired test. The claim needs both levels to pass, so a false
#: pass (the network no better at some level) has probability at most BETA.
BETA = 0.01
#: The noise levels of the claim: at most this.
SMALL_SIGMA = 0.2


@register(chapter=11, kind="statistical")
def check_autoencoder_beats_optimum(measurement=None):
    """At small sigma a trained DAE denoises held-out digits better than the exact optimum.

    The claim: for ``sigma <= 0.2`` (0.1 and 0.2 in :data:`AE_SIGMAS`), the auto-encoder
    of :func:`train_digit_autoencoder`, trained on the 1500 training images, has a lower
    mean squared error on corrupted held-out images than ``r*_{p_hat, sigma}``, the
    exact minimiser of the very criterion it was trained on (which memorises). Test: for
    each level, the paired differences ``e_optimum - e_network`` over the 297 held-out
    images (same corruption for both), ``z = mean / (sd / sqrt(297))``; the claim holds
    if ``z > z_{1 - beta}`` at both levels, ``beta`` = 0.01.

    Error rate: if at some level the network were no better (mean difference ``<= 0``),
    the test would pass with probability at most ``beta`` = 1 % (normal approximation
    for a mean of 297 bounded differences; the network and the corruptions are fixed by
    their seeds). Power: against a true mean difference of 0.2 standard deviations of
    the differences, ``z`` is about ``0.2 sqrt(297) = 3.4`` and the test passes at one
    level with probability ``Phi(3.44 - 2.33) = 0.87``. Measured: the smaller ``z``; expected: above
    ``z_{0.99} = 2.33``. The reverse holds at ``sigma`` = 0.4 and 0.7, where the
    optimum averages several training images (reported in the detail, not tested).
    The claim is that a denoiser that does not memorise beats ``r*``; nothing in the test
    is specific to a network (a linear shrinkage, the Gaussian baseline, passes too).

    Parameters
    ----------
    measurement : HeldoutErrors, optional
        Default :func:`measure_heldout_errors` on auto-encoders trained at
        :data:`AE_SIGMAS` (about 15 s).

    Returns
    -------
    CheckResult
    """
    from scipy import stats

    if measurement is None:
        measurement = measure_heldout_errors(
            [train_digit_autoencoder(s) for s in AE_SIGMAS], AE_SIGMAS)
    m = measurement
    if not isinstance(m, HeldoutErrors):
        raise TypeError(f"measurement must be a HeldoutErrors; got {type(m).__name__}")
    diff = m.empirical - m.network
    n = diff.shape[1]
    sd = np.std(diff, axis=1, ddof=1)
    z = np.where(sd > 0, np.mean(diff, axis=1) / np.where(sd > 0, sd, 1.0) * np.sqrt(n), 0.0)
    small = m.sigmas <= SMALL_SIGMA + 1e-12
    if not np.any(small):
        raise ValueError(f"measurement must include a noise level <= {SMALL_SIGMA}")
    critical = float(stats.norm.ppf(1.0 - BETA))
    z_small = float(np.min(z[small]))
    return record(
        "small sigma: trained DAE beats the exact (memorising) optimum on held-out",
        z_small, critical, 0.0, passed=z_small > critical,
        detail="; ".join(f"sigma {s:g}: z {zk:.3g} (network {mn:.4f}, optimum {me:.4f})"
                         for s, zk, mn, me in zip(m.sigmas, z, m.network.mean(1),
                                                  m.empirical.mean(1), strict=True))
        + f"; {n} held-out images, one-sided beta = {BETA} per level",
    )


# ------------------------------------------------------------- sampling from what was learned

#: Annealed Langevin on the digits: the noise levels (largest first), steps per level,
#: the last level's step as a fraction of sigma_L^2, and the number of chains.
SAMPLE_SIGMAS = tuple(sorted(AE_SIGMAS, reverse=True))
SAMPLE_STEPS = 100
SAMPLE_STEP_RATIO = 0.1
SAMPLE_CHAINS = 200
#: A sample closer than this to a training image is a copy of it (RMS difference per
#: pixel 1.25e-3, far below the 1/16 grey-level step of the data).
COPY_DISTANCE = 0.01


def sample_digits(denoisers, sigmas=SAMPLE_SIGMAS, n_chains=SAMPLE_CHAINS,
                  n_steps=SAMPLE_STEPS, step_ratio=SAMPLE_STEP_RATIO, seed=7):
    """Annealed Langevin from uniform noise with scores from denoisers, then one last denoising.

    The scores are ``(r_l(x) - x) / sigma_l^2`` (:func:`raetut.sampling.denoiser_scores`);
    the chains start uniform on ``[0, 1]^64``, run ``n_steps`` steps per level with the
    last level's step ``step_ratio * sigma_L^2``, and end with ``x <- r_L(x)``, which
    removes the noise of the last Langevin step.

    Parameters
    ----------
    denoisers : sequence of callable
        ``r_l(Z) -> (m, 64)``, one per level of ``sigmas``.
    sigmas : sequence of float
        Noise levels, strictly decreasing.
    n_chains, n_steps : int
    step_ratio : float
        ``eta_L / sigma_L^2``, > 0.
    seed : int
        Seed of the starting points and of the Langevin noise.

    Returns
    -------
    ndarray, shape (n_chains, 64)
    """
    from .. import sampling

    sigmas = np.array([positive_scalar(s, "sigmas") for s in np.atleast_1d(sigmas)])
    n_chains = positive_int(n_chains, "n_chains")
    step_ratio = positive_scalar(step_ratio, "step_ratio")
    denoisers = list(denoisers)
    rng = np.random.default_rng(seed)
    x0 = rng.uniform(0.0, 1.0, (n_chains, chapter_data().train.shape[1]))
    result = sampling.annealed_langevin(sampling.denoiser_scores(denoisers, sigmas), sigmas,
                                        x0, n_steps, step_ratio * sigmas[-1] ** 2, rng)
    return call_checked(denoisers[-1], result.samples, f"denoisers[{len(denoisers) - 1}]")


@dataclasses.dataclass(frozen=True)
class DigitSamples:
    """How far samples are from the training images and from the held-out images.

    Attributes
    ----------
    samples : ndarray, shape (n, 64)
    train_distance, heldout_distance : ndarray, shape (n,)
        Distance from each sample to the nearest training image and to the nearest
        held-out image.
    reference_distance : ndarray, shape (m,)
        Distance from each held-out image to the nearest training image: how far a new
        digit typically is from the training set.
    """

    samples: np.ndarray
    train_distance: np.ndarray
    heldout_distance: np.ndarray
    reference_distance: np.ndarray

    @property
    def copy_fraction(self):
        """Fraction of samples within :data:`COPY_DISTANCE` of a training image."""
        return float(np.mean(self.train_distance < COPY_DISTANCE))


def measure_digit_samples(samples=None):
    """Distances of samples to the training and held-out images.

    Parameters
    ----------
    samples : array_like, shape (n, 64), optional
        Default: :func:`sample_digits` with the exact optimum of the training set at
        :data:`SAMPLE_SIGMAS`.

    Returns
    -------
    DigitSamples
    """
    data = chapter_data()
    X, T = data.train, data.test
    if samples is None:
        samples = sample_digits([empirical.empirical_denoiser(X, s) for s in SAMPLE_SIGMAS])
    samples = as_points(samples, "samples", dim=X.shape[1])
    if not np.all(np.isfinite(samples)):
        raise ValueError("samples must be finite")
    return DigitSamples(samples, empirical.nearest_neighbours(samples, X)[0],
                        empirical.nearest_neighbours(samples, T)[0],
                        empirical.nearest_neighbours(T, X)[0])


#: Largest fraction of the exact optimum's samples allowed not to be copies.
COPY_SLACK = 0.05


@register(chapter=11, kind="statistical")
def check_empirical_samples_are_copies(measurement=None):
    """Sampling with the exact optimum of a training set returns copies of training images.

    At the last level, ``sigma_L = 0.1``, the posterior weights of
    :func:`raetut.empirical.empirical_posterior_weights` sit on one training image for
    every held-out input (:func:`check_memorisation_limit`): the typical gap between two
    training images, about 1, is ten ``sigma_L``, so the weight ratio of the two nearest
    images is ``exp(-(d_2^2 - d_1^2) / (2 sigma_L^2))``, negligible unless ``x`` is within
    about ``sigma_L^2 / gap = 0.01`` of their bisecting hyperplane. A Langevin chain on
    ``p_hat_{sigma_L}`` spends almost all its time within a few ``sigma_L`` of one image,
    where the final denoising returns that image to round-off. So the copy rate (the
    probability that a chain ends within :data:`COPY_DISTANCE` of a training image) should
    be 1, up to chains caught between two images at the end.

    The claim: the copy rate is above 0.9. Test: the observed fraction of copies among the
    independent chains is at least ``1 - COPY_SLACK`` = 0.95. Error rate: with 200 chains
    and a true rate of 0.9, at least 190 copies has probability 0.008 (binomial; less for a
    lower rate). Power: at a true rate of 0.98 the test passes with probability 0.997. A
    sampler that produces new digits (a trained network, the Gaussian baseline) has no
    copies: a held-out image is at least ``min(reference_distance)`` (about 0.5) from every
    training image. Measured: the fraction; expected 1, tolerance ``COPY_SLACK``.

    Parameters
    ----------
    measurement : DigitSamples, optional
        Default :func:`measure_digit_samples` (about 2 s).

    Returns
    -------
    CheckResult
    """
    from scipy import stats

    m = measure_digit_samples() if measurement is None else measurement
    if not isinstance(m, DigitSamples):
        raise TypeError(f"measurement must be a DigitSamples; got {type(m).__name__}")
    n = m.samples.shape[0]
    needed = int(np.ceil((1.0 - COPY_SLACK) * n - 1e-9))
    false_pass = float(stats.binom.sf(needed - 1, n, 0.9))
    return record(
        "exact training-set optimum: annealed Langevin samples are training images",
        m.copy_fraction, 1.0, COPY_SLACK,
        detail=f"{n} chains, at least {needed} copies needed (false pass at a rate of 0.9: "
               f"{false_pass:.3f}); median distance to the nearest training image "
               f"{np.median(m.train_distance):.3g} (held-out images: "
               f"{np.median(m.reference_distance):.3g}); copy = within {COPY_DISTANCE}",
    )
