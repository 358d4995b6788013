"""Sampling from what an auto-encoder has learned: Metropolis–Hastings and Langevin.

A reconstruction ``r`` with ``r(x) - x ≈ sigma^2 grad log p(x)`` gives log-density
differences by a line integral of the estimated score along the segment from ``x``
to ``x_new`` (:func:`line_integral_log_ratio`). That is all Metropolis–Hastings
with a symmetric proposal needs: no normalising constant, no explicit density.

Every sampler here runs many chains at once: the state is an array ``(n_chains, d)``
and each step costs one vectorised call of the log-ratio (and of the score, for
Langevin), whatever the number of chains. A log-ratio is any callable
``log_ratio(x, x_new) -> (n,)`` returning ``log p(x_new) - log p(x)`` row by row.

Proposals that overflow the floating-point range are rejected (the chain stays where
it is), and so are log-ratios of ``-inf`` (a move into a region of zero density); they
are never propagated into the samples. A user function that returns NaN, or a score or
reconstruction that is not finite at a finite state, is an error that names it and the
state.
"""

from dataclasses import dataclass

import numpy as np

from ._validation import (
    as_finite_array,
    as_points,
    call_checked,
    check_callable,
    check_rng,
    positive_int,
    positive_scalar,
    scale_parameter,
)
from .densities import check_mixture
from .optimal import dae_optimum

__all__ = [
    "MCMCResult",
    "line_integral_log_ratio",
    "exact_log_ratio",
    "metropolis_hastings",
    "mala",
    "unadjusted_langevin",
    "geometric_noise_levels",
    "optimal_denoisers",
    "denoiser_scores",
    "AnnealedLangevinResult",
    "annealed_langevin",
    "corrupt_reconstruct_chain",
    "mixture_posterior_sampler",
]


@dataclass
class MCMCResult:
    """Output of a sampler.

    Attributes
    ----------
    samples : ndarray, shape (n_steps, n_chains, d)
        State of every chain after each sampling step. Adaptation steps are not included.
    acceptance_rate : float
        Fraction of accepted proposals over all chains and sampling steps (adaptation
        steps excluded).
    acceptance_per_chain : ndarray, shape (n_chains,)
        The same, chain by chain.
    step_size : float
        The step size used for the samples (after adaptation, if any).
    adapt_steps : int
        Steps spent adapting the step size before ``samples`` start.
    """

    samples: np.ndarray
    acceptance_rate: float
    acceptance_per_chain: np.ndarray
    step_size: float
    adapt_steps: int = 0

    def pooled(self, burn_in=0):
        """All chains' samples after ``burn_in`` steps, stacked: shape (k * n_chains, d)."""
        burn_in = positive_int(burn_in, "burn_in", minimum=0)
        if burn_in >= self.samples.shape[0]:
            raise ValueError(
                f"burn_in must be smaller than the number of steps {self.samples.shape[0]}; "
                f"got {burn_in}"
            )
        return self.samples[burn_in:].reshape(-1, self.samples.shape[2])


# ------------------------------------------------------------------- log-ratios


def _gauss_legendre_01(n_nodes):
    """Gauss–Legendre nodes and weights on [0, 1]."""
    nodes, weights = np.polynomial.legendre.leggauss(n_nodes)
    return 0.5 * (nodes + 1.0), 0.5 * weights


def _pair(x, x_new):
    x = as_points(x, "x")
    x_new = as_points(x_new, "x_new")
    if x.shape != x_new.shape:
        raise ValueError(f"x and x_new must have the same shape; got {x.shape} and {x_new.shape}")
    return x, x_new


def line_integral_log_ratio(reconstruct, sigma, n_nodes=8, block_size=4096):
    """Log-density ratios estimated from a reconstruction function.

    Uses ``log p(x_new) - log p(x) ≈ (1 / sigma^2) ∫_0^1 (r(z_t) - z_t) · (x_new - x) dt``
    with ``z_t = x + t (x_new - x)``, the integral by Gauss–Legendre quadrature with
    ``n_nodes`` nodes. If ``r(x) - x = sigma^2 grad log q(x)`` exactly (e.g. the optimal
    DAE, with ``q = p_sigma``), the result is ``log q(x_new) - log q(x)`` up to the
    quadrature error.

    Parameters
    ----------
    reconstruct : callable
        ``r(X) -> (n, d)``.
    sigma : float
        The noise level (or ``sqrt(lam)``) that scales ``r(x) - x``.
    n_nodes : int
        Quadrature nodes.
    block_size : int
        Points per call of ``reconstruct``: all ``n * n_nodes`` points are evaluated in
        calls of at most ``max(n, block_size)`` points (several nodes per call when there
        are few chains, one node and a slice of the chains per call when there are many):
        fewer calls save per-call overhead, and the temporaries stay small.
        :meth:`raetut.models.Autoencoder.reconstruct` further splits its input so that its hidden
        activations stay in cache. The result does not depend on it beyond round-off.

    Returns
    -------
    callable
        ``log_ratio(x, x_new) -> (n,)`` for ``x``, ``x_new`` of shape (n, d).
    """
    check_callable(reconstruct, "reconstruct")
    sigma = scale_parameter(sigma, "sigma")
    n_nodes = positive_int(n_nodes, "n_nodes")
    block_size = positive_int(block_size, "block_size")
    t, w = _gauss_legendre_01(n_nodes)
    scaled_w = w / sigma**2

    def unchecked(x, x_new):
        # x, x_new: finite float arrays of one shape (n, d), as the samplers pass them.
        n, d = x.shape
        delta = x_new - x
        total = np.zeros(n)
        nodes_per_call = max(1, block_size // n)
        for k in range(0, n_nodes, nodes_per_call):
            t_k, w_k = t[k : k + nodes_per_call], scaled_w[k : k + nodes_per_call]
            for i in range(0, n, block_size):
                x_i, delta_i = x[i : i + block_size], delta[i : i + block_size]
                m = x_i.shape[0]
                if t_k.size == 1:  # one node per call: no 3-D temporaries
                    Z = t_k[0] * delta_i
                    Z += x_i
                    R = call_checked(reconstruct, Z, "reconstruct")
                    total[i : i + m] += w_k[0] * np.einsum("nd,nd->n", R - Z, delta_i)
                    continue
                Z = (x_i[None] + t_k[:, None, None] * delta_i[None]).reshape(t_k.size * m, d)
                R = call_checked(reconstruct, Z, "reconstruct")
                along = np.einsum("knd,nd->kn", (R - Z).reshape(t_k.size, m, d), delta_i)
                total[i : i + m] += w_k @ along
        return total

    def log_ratio(x, x_new):
        return unchecked(*_pair(x, x_new))

    # The samplers validate x0 once and only ever pass finite (n, d) float states, so they
    # call the unchecked form (the reconstruction's output is still checked at every call).
    log_ratio._raetut_unchecked = unchecked
    return log_ratio


def exact_log_ratio(log_prob):
    """Log-density ratios from a known log-density (the exact Metropolis–Hastings baseline).

    Parameters
    ----------
    log_prob : callable
        ``log p(X) -> (n,)``, up to an additive constant.

    Returns
    -------
    callable
        ``log_ratio(x, x_new) -> (n,)``, ``log p(x_new) - log p(x)``; ``log_prob`` is
        called once on both sets of points.
    """
    check_callable(log_prob, "log_prob")

    def log_ratio(x, x_new):
        x, x_new = _pair(x, x_new)
        n = x.shape[0]
        values = call_checked(log_prob, np.concatenate([x, x_new]), "log_prob", shape=(2 * n,),
                              finite="log")
        old, new = values[:n], values[n:]
        with np.errstate(invalid="ignore"):
            # Between two points of zero density (-inf - -inf) the move is refused.
            return np.where(np.isneginf(new), -np.inf, new - old)

    return log_ratio


# --------------------------------------------------------------------- samplers


def _check_common(x0, n_steps, step_size, rng, adapt_steps, target_acceptance):
    x0 = as_points(x0, "x0")
    n_steps = positive_int(n_steps, "n_steps")
    step_size = positive_scalar(step_size, "step_size")
    rng = check_rng(rng)
    adapt_steps = positive_int(adapt_steps, "adapt_steps", minimum=0)
    target_acceptance = positive_scalar(target_acceptance, "target_acceptance")
    if target_acceptance >= 1:
        raise ValueError(f"target_acceptance must lie in (0, 1); got {target_acceptance}")
    return x0, n_steps, step_size, rng, adapt_steps, target_acceptance


def _log_ratio(log_ratio, x, x_new):
    """``log_ratio(x, x_new)``, shape (n,); ``±inf`` refuses or accepts a move, NaN is an error."""
    return call_checked(log_ratio, (x, x_new), "log_ratio", shape=x.shape[:1], finite="inf",
                        call="log_ratio(x, x_new)")


def _trusted(log_ratio):
    """The form of ``log_ratio`` a sampler calls on its (already valid) states.

    A log-ratio made by :func:`line_integral_log_ratio` skips re-validating ``x`` and
    ``x_new`` (the sampler validated ``x0`` and only passes finite states of its shape);
    any other callable is called as it is. The output is checked either way.
    """
    return getattr(log_ratio, "_raetut_unchecked", log_ratio)


#: Rows per call of a user's score in the samplers: a network's hidden activations for
#: this many points stay in cache (see line_integral_log_ratio's ``block_size``).
_SCORE_BLOCK = 1024


def _score(score, X):
    """``score(X)``, shape (n, d), finite at the finite states ``X`` (else an error).

    Evaluated in blocks of at most ``_SCORE_BLOCK`` rows (a score acts row by row).
    """
    n = X.shape[0]
    if n <= _SCORE_BLOCK:
        return call_checked(score, X, "score")
    out = np.empty(X.shape)
    for i in range(0, n, _SCORE_BLOCK):
        out[i : i + _SCORE_BLOCK] = call_checked(score, X[i : i + _SCORE_BLOCK], "score")
    return out


def _named(score, name):
    """``score`` checked under the caller's name (e.g. ``scores[2]``) inside a sampler."""

    def named(X):
        return call_checked(score, X, name, call=f"{name}(X)")

    return named


def _finite_rows(X):
    return np.all(np.isfinite(X), axis=1)


def _naming_x0_on_failure(step, shape):
    """``step``, whose first call (the user's functions meet ``x0``) names ``x0`` if it fails."""
    first = [True]

    def checked(x, eta):
        if not first[0]:
            return step(x, eta)
        first[0] = False
        try:
            return step(x, eta)
        except ValueError as exc:  # e.g. x0 of the wrong width for the user's score
            raise ValueError(f"the first step from x0 (shape {shape}) failed: {exc}") from exc

    return checked


def _run(step, x0, n_steps, step_size, adapt_steps, target_acceptance):
    """Drive ``step(x, step_size) -> (x, accepted)`` through adaptation and sampling.

    During the first ``adapt_steps`` steps, ``log(step_size)`` follows a Robbins–Monro
    recursion towards ``target_acceptance`` (gain ``(k + 1)^-0.6``, the chains' mean
    acceptance as the signal); afterwards it is frozen, so the recorded chain is an
    ordinary (non-adaptive) Markov chain.
    """
    step = _naming_x0_on_failure(step, x0.shape)
    x = x0.copy()
    log_step = np.log(step_size)
    for k in range(adapt_steps):
        x, accepted = step(x, np.exp(log_step))
        log_step += (accepted.mean() - target_acceptance) / (k + 1) ** 0.6
    if adapt_steps:
        step_size = float(np.exp(log_step))
    samples = np.empty((n_steps,) + x0.shape)
    n_accepted = np.zeros(x0.shape[0])
    for k in range(n_steps):
        x, accepted = step(x, step_size)
        samples[k] = x
        n_accepted += accepted
    per_chain = n_accepted / n_steps
    return MCMCResult(samples, float(per_chain.mean()), per_chain, step_size, adapt_steps)


def _accept(log_alpha, rng):
    """Boolean mask of accepted proposals; non-finite ``log_alpha`` is rejected."""
    log_u = np.log1p(-rng.random(log_alpha.shape))  # log of a uniform on (0, 1]
    return np.isfinite(log_alpha) & (log_u < log_alpha)


def metropolis_hastings(
    log_ratio, x0, n_steps, step_size, rng, adapt_steps=0, target_acceptance=0.3
):
    """Random-walk Metropolis–Hastings, vectorised over chains.

    Proposals ``x_new = x + step_size * N(0, I)`` (isotropic, symmetric) are accepted with
    probability ``min(1, exp(log_ratio(x, x_new)))``.

    Parameters
    ----------
    log_ratio : callable
        ``log_ratio(x, x_new) -> (n,)``: ``log p(x_new) - log p(x)``, exact
        (:func:`exact_log_ratio`) or estimated (:func:`line_integral_log_ratio`).
    x0 : array_like, shape (n_chains, d)
        Starting points, one chain per row.
    n_steps : int
        Recorded steps.
    step_size : float
        Standard deviation of the Gaussian proposal (initial value when adapting).
    rng : numpy.random.Generator
    adapt_steps : int
        Extra steps run first to tune ``step_size`` towards ``target_acceptance``; they
        are not recorded and the step size is fixed afterwards.
    target_acceptance : float
        Acceptance rate aimed at when adapting, in (0, 1).

    Returns
    -------
    MCMCResult
    """
    check_callable(log_ratio, "log_ratio")
    x0, n_steps, step_size, rng, adapt_steps, target_acceptance = _check_common(
        x0, n_steps, step_size, rng, adapt_steps, target_acceptance
    )
    trusted = _trusted(log_ratio)

    def step(x, eps):
        with np.errstate(over="ignore", invalid="ignore"):
            proposal = x + eps * rng.standard_normal(x.shape)
        finite = _finite_rows(proposal)
        # Non-finite proposals are replaced by the current point for the log-ratio call
        # (which then never sees them) and rejected below.
        if finite.all():  # the common case: no copies
            log_alpha = _log_ratio(trusted, x, proposal)
        else:
            safe = np.where(finite[:, None], proposal, x)
            log_alpha = np.where(finite, _log_ratio(trusted, x, safe), np.nan)
        accepted = _accept(log_alpha, rng)
        return np.where(accepted[:, None], proposal, x), accepted

    return _run(step, x0, n_steps, step_size, adapt_steps, target_acceptance)


def mala(
    score, x0, n_steps, step_size, rng, log_ratio, adapt_steps=0, target_acceptance=0.574
):
    """Metropolis-adjusted Langevin algorithm, vectorised over chains.

    Proposal ``x_new = x + (eps^2 / 2) s(x) + eps N(0, I)`` with ``eps = step_size``;
    acceptance ``min(1, p(x_new) q(x | x_new) / (p(x) q(x_new | x)))`` with the density
    ratio from ``log_ratio``, so that a learned score works: pass
    ``line_integral_log_ratio(r, sigma)`` with ``score = (r(x) - x) / sigma^2``.

    Parameters
    ----------
    score : callable
        ``s(X) -> (n, d)``, an estimate of ``grad log p``.
    x0 : array_like, shape (n_chains, d)
    n_steps : int
    step_size : float
        ``eps``, the standard deviation of the proposal's noise (initial value when adapting).
    rng : numpy.random.Generator
    log_ratio : callable
        ``log_ratio(x, x_new) -> (n,)``, ``log p(x_new) - log p(x)``.
    adapt_steps : int
        Unrecorded steps that tune ``step_size`` towards ``target_acceptance``.
    target_acceptance : float
        In (0, 1); 0.574 is the asymptotically optimal rate for MALA.

    Returns
    -------
    MCMCResult
    """
    check_callable(score, "score")
    check_callable(log_ratio, "log_ratio")
    x0, n_steps, step_size, rng, adapt_steps, target_acceptance = _check_common(
        x0, n_steps, step_size, rng, adapt_steps, target_acceptance
    )
    state = {"x": None, "score": None}
    trusted = _trusted(log_ratio)

    def score_at(x):
        # The score at the current states is kept between steps: one score call per step.
        if state["x"] is not x:
            state["score"] = _score(score, x)
        return state["score"]

    def step(x, eps):
        drift = 0.5 * eps**2
        s_x = score_at(x)
        with np.errstate(over="ignore", invalid="ignore"):
            proposal = x + drift * s_x + eps * rng.standard_normal(x.shape)
        finite = _finite_rows(proposal) & _finite_rows(s_x)
        safe = np.where(finite[:, None], proposal, x)
        s_new = _score(score, safe)
        with np.errstate(over="ignore", invalid="ignore"):
            forward = np.sum((safe - x - drift * s_x) ** 2, axis=1)
            backward = np.sum((x - safe - drift * s_new) ** 2, axis=1)
            log_alpha = _log_ratio(trusted, x, safe) + (forward - backward) / (
                2 * eps**2
            )
        log_alpha = np.where(finite & _finite_rows(s_new), log_alpha, np.nan)
        accepted = _accept(log_alpha, rng)
        x_next = np.where(accepted[:, None], safe, x)
        state["score"] = np.where(accepted[:, None], s_new, s_x)
        state["x"] = x_next
        return x_next, accepted

    return _run(step, x0, n_steps, step_size, adapt_steps, target_acceptance)


def unadjusted_langevin(score, x0, n_steps, step_size, rng):
    """Unadjusted Langevin algorithm: ``x <- x + (eps^2 / 2) s(x) + eps N(0, I)``.

    Every move is taken (no accept/reject step), so the chain samples ``p`` only up to a
    bias of order ``eps^2``; it needs only the score. Moves to non-finite points are
    refused (the chain stays); ``acceptance_rate`` reports the fraction of moves taken.

    Parameters
    ----------
    score : callable
        ``s(X) -> (n, d)``.
    x0 : array_like, shape (n_chains, d)
    n_steps : int
    step_size : float
        ``eps``.
    rng : numpy.random.Generator

    Returns
    -------
    MCMCResult
    """
    check_callable(score, "score")
    x0, n_steps, step_size, rng, _, _ = _check_common(x0, n_steps, step_size, rng, 0, 0.5)

    def step(x, eps):
        s_x = _score(score, x)
        with np.errstate(over="ignore", invalid="ignore"):
            proposal = x + 0.5 * eps**2 * s_x + eps * rng.standard_normal(x.shape)
        moved = _finite_rows(proposal)
        return np.where(moved[:, None], proposal, x), moved

    return _run(step, x0, n_steps, step_size, 0, 0.5)


def _noise_levels(sigmas, name="sigmas"):
    """Validate a strictly decreasing sequence of noise levels > 0 (at least one)."""
    sigmas = np.atleast_1d(as_finite_array(sigmas, name))
    if sigmas.ndim != 1:
        raise ValueError(f"{name} must be a 1-D sequence of noise levels; got shape {sigmas.shape}")
    if np.any(sigmas <= 0):
        raise ValueError(f"{name} must contain only values > 0; got {sigmas}")
    if np.any(np.diff(sigmas) >= 0):
        raise ValueError(f"{name} must be strictly decreasing (largest noise first); got {sigmas}")
    return sigmas


def geometric_noise_levels(sigma_max, sigma_min, n_levels):
    """Noise levels ``sigma_1 > ... > sigma_L`` in geometric progression.

    Parameters
    ----------
    sigma_max, sigma_min : float
        Largest and smallest level, ``sigma_max > sigma_min > 0``.
    n_levels : int
        Number of levels ``L``, >= 2.

    Returns
    -------
    ndarray, shape (L,)
        Decreasing, from ``sigma_max`` to ``sigma_min``.
    """
    sigma_max = positive_scalar(sigma_max, "sigma_max")
    sigma_min = positive_scalar(sigma_min, "sigma_min")
    if not sigma_max > sigma_min:
        raise ValueError(f"sigma_max must be > sigma_min={sigma_min}; got {sigma_max}")
    n_levels = positive_int(n_levels, "n_levels", minimum=2)
    return np.geomspace(sigma_max, sigma_min, n_levels)


def optimal_denoisers(density, sigmas):
    """The exact optimal denoiser ``r*_sigma`` of a Gaussian mixture at each noise level.

    Parameters
    ----------
    density : GaussianMixture
    sigmas : array_like, shape (L,)
        Noise levels, > 0, strictly decreasing.

    Returns
    -------
    list of callable
        ``r_l(X) -> (n, d)``, see :func:`raetut.optimal.dae_optimum`.
    """
    check_mixture(density)
    return [dae_optimum(density, float(s)) for s in _noise_levels(sigmas)]


def denoiser_scores(denoisers, sigmas):
    """Scores from denoisers by Tweedie's formula: ``s_l(x) = (r_l(x) - x) / sigma_l^2``.

    For the optimal denoisers this is exactly ``grad log p_{sigma_l}``; for a trained
    denoiser it is that denoiser's estimate of it.

    Parameters
    ----------
    denoisers : sequence of callable
        ``r_l(X) -> (n, d)``, one per noise level.
    sigmas : array_like, shape (L,)
        The noise level of each denoiser, > 0, strictly decreasing.

    Returns
    -------
    list of callable
        ``s_l(X) -> (n, d)``.
    """
    sigmas = _noise_levels(sigmas)
    denoisers = list(denoisers)
    if len(denoisers) != sigmas.size:
        raise ValueError(
            f"denoisers and sigmas must have the same length; got {len(denoisers)} and "
            f"{sigmas.size}"
        )
    for k, r in enumerate(denoisers):
        check_callable(r, f"denoisers[{k}]")

    def make(k, r, sigma):
        def score(X):
            X = as_points(X)
            R = call_checked(r, X, f"denoisers[{k}]")
            return (R - X) / sigma**2

        score.__doc__ = f"Score estimate (r(x) - x) / sigma^2 at sigma={sigma:g}: (n, d) -> (n, d)."
        return score

    return [make(k, r, float(s)) for k, (r, s) in enumerate(zip(denoisers, sigmas, strict=True))]


@dataclass
class AnnealedLangevinResult:
    """Output of :func:`annealed_langevin`.

    Attributes
    ----------
    samples : ndarray, shape (n_chains, d)
        The chains' states at the end of the last level.
    level_samples : ndarray, shape (L, n_chains, d)
        The chains' states at the end of each level.
    sigmas : ndarray, shape (L,)
        The noise levels.
    step_sizes : ndarray, shape (L,)
        The Langevin step ``eta_l`` used at each level.
    """

    samples: np.ndarray
    level_samples: np.ndarray
    sigmas: np.ndarray
    step_sizes: np.ndarray


def annealed_langevin(scores, sigmas, x0, n_steps, step_size, rng):
    """Annealed Langevin sampling (Song and Ermon, 2019), vectorised over chains.

    For each level ``l = 1..L`` (largest noise first) run ``n_steps`` steps of the
    unadjusted Langevin algorithm on ``p_{sigma_l}``,

    ``x <- x + (eta_l / 2) s_l(x) + sqrt(eta_l) z``,  ``z ~ N(0, I)``,

    with ``eta_l = step_size * sigma_l^2 / sigma_L^2``, starting each level where the
    previous one ended. The step shrinks with the noise so that ``eta_l / sigma_l^2``,
    the step measured against the width of ``p_{sigma_l}``'s features, stays the same
    at every level. With one level it is plain (unadjusted) Langevin at that level
    with step ``step_size``.

    Parameters
    ----------
    scores : sequence of callable
        ``s_l(X) -> (n, d)``, the score of ``p_{sigma_l}`` (or an estimate of it), one per level.
    sigmas : array_like, shape (L,)
        Noise levels, > 0, strictly decreasing.
    x0 : array_like, shape (n_chains, d)
        Starting points.
    n_steps : int
        Langevin steps per level.
    step_size : float
        The step at the last level, ``eta_L``, > 0 (the variance of its noise).
    rng : numpy.random.Generator

    Returns
    -------
    AnnealedLangevinResult
    """
    sigmas = _noise_levels(sigmas)
    scores = list(scores)
    if len(scores) != sigmas.size:
        raise ValueError(
            f"scores and sigmas must have the same length; got {len(scores)} and {sigmas.size}"
        )
    for k, s in enumerate(scores):
        check_callable(s, f"scores[{k}]")
    x = as_points(x0, "x0")
    n_steps = positive_int(n_steps, "n_steps")
    step_size = positive_scalar(step_size, "step_size")
    rng = check_rng(rng)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        etas = step_size * sigmas**2 / sigmas[-1] ** 2
        if not np.all(np.isfinite(etas)):  # sigma_l^2 overflows: the ratio may not
            etas = step_size * (sigmas / sigmas[-1]) ** 2
    if not np.all(np.isfinite(etas)) or np.any(etas == 0):
        raise ValueError(
            f"step_size={step_size:g} with sigmas from {sigmas[0]:g} to {sigmas[-1]:g} gives "
            f"steps eta_l = step_size * sigma_l^2 / sigma_L^2 outside the floating-point range"
        )
    levels = np.empty((sigmas.size,) + x.shape)
    for k, (score, eta) in enumerate(zip(scores, etas, strict=True)):
        s_k = _named(score, f"scores[{k}]")
        # unadjusted_langevin's step_size is the noise scale sqrt(eta).
        x = unadjusted_langevin(s_k, x, n_steps, float(np.sqrt(eta)), rng).samples[-1]
        levels[k] = x
    return AnnealedLangevinResult(x.copy(), levels, sigmas, etas)


# ----------------------------------------------------------------------------------------
# Generalised denoising auto-encoders: the corrupt-reconstruct chain (chapter 13)


def corrupt_reconstruct_chain(reconstruct, x0, n_steps, sigma, rng, posterior=None):
    """The generalised-DAE chain: corrupt ``x~ = x + sigma z``, then reconstruct.

    With ``posterior=None`` the reconstruction is deterministic, ``x <- r(x~)``; for the
    optimal denoiser ``r = r*_sigma`` this chain does *not* sample ``p`` (it is
    under-dispersed). With ``posterior`` given, the new state is a draw from
    ``P(x | x~)`` instead, ``x <- posterior(x~, rng)``: a Gibbs sampler of the joint law of
    ``(x, x~)``, whose ``x``-marginal is ``p`` when the posterior is exact (Bengio, Yao,
    Alain & Vincent, 2013). ``reconstruct`` is then not used and may be None.

    Parameters
    ----------
    reconstruct : callable or None
        ``r(X) -> (n, d)``.
    x0 : array_like, shape (n_chains, d)
    n_steps : int
    sigma : float
        Standard deviation of the Gaussian corruption, > 0.
    rng : numpy.random.Generator
    posterior : callable, optional
        ``posterior(X_tilde, rng) -> (n, d)``, one draw of ``x`` given each row of
        ``X_tilde`` (e.g. :func:`mixture_posterior_sampler`).

    Returns
    -------
    MCMCResult
        ``samples`` (n_steps, n_chains, d), the state after each reconstruction;
        ``acceptance_rate`` 1 (every step is taken).
    """
    if posterior is None:
        check_callable(reconstruct, "reconstruct")
    else:
        check_callable(posterior, "posterior")
    sigma = positive_scalar(sigma, "sigma")
    x0, n_steps, _, rng, _, _ = _check_common(x0, n_steps, 1.0, rng, 0, 0.5)

    def step(x, _):
        x_tilde = x + sigma * rng.standard_normal(x.shape)
        if posterior is None:
            return call_checked(reconstruct, x_tilde, "reconstruct"), np.ones(x.shape[0], bool)
        new = call_checked(lambda Z: posterior(Z, rng), x_tilde, "posterior",
                           call="posterior(X_tilde, rng)")
        return new, np.ones(x.shape[0], bool)

    return _run(step, x0, n_steps, 1.0, 0, 0.5)


def mixture_posterior_sampler(density, sigma):
    """Exact draws of the clean point given a corrupted one, for a Gaussian mixture.

    For ``x ~ p = sum_k w_k N(mu_k, S_k)`` and ``x~ = x + eps``, ``eps ~ N(0, sigma^2 I)``,
    the posterior ``P(x | x~)`` is the mixture over ``k`` with weights the responsibilities
    of ``p_sigma``'s components at ``x~``, ``gamma_k ∝ w_k N(x~; mu_k, S_k + sigma^2 I)``, of
    ``N(mu_k + G_k (x~ - mu_k), S_k - G_k S_k)`` with ``G_k = S_k (S_k + sigma^2 I)^{-1}``.
    Its mean is ``r*_sigma(x~)`` (:func:`raetut.optimal.dae_optimum`).

    Parameters
    ----------
    density : GaussianMixture
    sigma : float
        Corruption level, > 0.

    Returns
    -------
    callable
        ``posterior(X_tilde, rng) -> (n, d)``, ``X_tilde`` of shape (n, d).
    """
    check_mixture(density)
    sigma = positive_scalar(sigma, "sigma")
    d, K = density.dim, density.n_components
    S = np.asarray(density.covariances)
    mu = np.asarray(density.means)
    smoothed = S + sigma**2 * np.eye(d)
    gains = np.stack([np.linalg.solve(smoothed[k], S[k]).T for k in range(K)])  # S (S + s^2)^-1
    post_cov = S - np.einsum("kij,kjl->kil", gains, S)
    post_chol = np.linalg.cholesky(0.5 * (post_cov + np.swapaxes(post_cov, 1, 2)))
    inv_chol = np.linalg.inv(np.linalg.cholesky(smoothed))
    log_norm = (np.log(density.weights) - np.sum(np.log(np.diagonal(
        np.linalg.cholesky(smoothed), axis1=1, axis2=2)), axis=1))

    def posterior(X_tilde, rng):
        X_tilde = as_points(X_tilde, "X_tilde", dim=d)
        rng = check_rng(rng)
        n = X_tilde.shape[0]
        diff = X_tilde[None] - mu[:, None]                      # (K, n, d)
        white = np.einsum("kij,knj->kni", inv_chol, diff)
        log_gamma = log_norm[:, None] - 0.5 * np.sum(white**2, axis=2)   # (K, n)
        log_gamma -= log_gamma.max(axis=0)
        gamma = np.exp(log_gamma)
        gamma /= gamma.sum(axis=0)
        u = rng.random(n)
        k = np.minimum(np.sum(np.cumsum(gamma, axis=0) < u, axis=0), K - 1)
        mean = mu[k] + np.einsum("nij,nj->ni", gains[k], diff[k, np.arange(n)])
        z = rng.standard_normal((n, d))
        return mean + np.einsum("nij,nj->ni", post_chol[k], z)

    return posterior
