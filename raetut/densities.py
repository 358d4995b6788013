"""Densities with exact log-density, score, Hessian and third derivatives.

The book's ground truth. Every density here knows its score ``s = grad log p``
exactly, so that what an auto-encoder learns can be compared with it.

- :class:`GaussianMixture`: any dimension; score, Hessian and Laplacian of the
  score in closed form, Gaussian smoothing ``p * N(0, sigma^2 I)`` in closed form.
- :class:`SpiralMixture`: a 2-D mixture laid along a spiral, i.e. data near a
  1-D manifold, with the curve's geometry (nearest point, tangent).
- :class:`Density1D`: any smooth 1-D density given by its (unnormalised) log-density;
  derivatives by automatic differentiation, normalisation by quadrature.

All methods take points ``X`` of shape (n, d), 1-D data as (n, 1).

Closed forms for a mixture. Write ``gamma_k(x)`` for the responsibilities,
``P_k`` for the precision matrices, ``g_k(x) = -P_k (x - mu_k)`` for the component
scores and ``u_k = g_k - s`` for their deviation from the mixture score
``s = sum_k gamma_k g_k``. Averages ``E[.]`` are over ``k`` with weights ``gamma_k``.
Because ``log p`` is a log-sum-exp of quadratics, its derivatives are cumulants:

- Hessian ``H = E[u u^T] - E[P]``;
- third derivatives ``d_ijl log p = E[u_i u_j u_l] - E[P_ij u_l] - E[P_il u_j] - E[P_jl u_i]``;
- hence the Laplacian of the score ``(Delta s)_i = E[u_i (|u|^2 - tr P)] - 2 E[P u]_i``.

These centred forms avoid cancellation far from the data, where ``|g_k|`` is large.
"""

import autograd.numpy as anp
import numpy as np
from autograd import elementwise_grad
from autograd.tracer import Box, getval
from scipy import integrate

from ._grid import cumulative_trapezoid, zero_crossings
from ._validation import (
    as_finite_array,
    as_points,
    call_checked,
    check_callable,
    check_rng,
    one_of,
    positive_int,
    positive_scalar,
    scale_parameter,
)

__all__ = [
    "GaussianMixture",
    "SpiralMixture",
    "spiral_mixture",
    "Density1D",
    "paper_density_1d",
    "critical_points_1d",
]

_WEIGHT_SUM_TOL = 1e-8
_SYMMETRY_RTOL = 1e-10


def eval_points(X, dim, name="X"):
    """Validate points; pass autograd tracers through with a shape check only."""
    if isinstance(X, Box):
        shape = anp.shape(X)
        if len(shape) != 2 or shape[1] != dim:
            raise ValueError(f"{name} must have shape (n, {dim}); got shape {shape}")
        return X
    return as_points(X, name=name, dim=dim)


def _logsumexp_rows(a):
    """``log sum_k exp(a[n, k])`` per row; (n, K) -> (n,). Autograd-differentiable."""
    top = anp.max(a, axis=1, keepdims=True)  # its gradient cancels: d/dm [m + lse(a - m)] = 0
    # A row of -inf (every term underflows, e.g. far beyond the data) sums to -inf, not NaN.
    top = anp.where(top == -np.inf, 0.0, top)
    with np.errstate(divide="ignore"):
        return top[:, 0] + anp.log(anp.sum(anp.exp(a - top), axis=1))


def _readonly(a):
    a = np.array(a, dtype=float)
    a.setflags(write=False)
    return a


class GaussianMixture:
    """A mixture of Gaussians in ``d`` dimensions with exact derivatives.

    ``p(x) = sum_k w_k N(x; mu_k, Sigma_k)``.

    Parameters
    ----------
    weights : array_like, shape (K,)
        Mixture weights, >= 0, summing to 1 (within 1e-8; they are then renormalised).
    means : array_like, shape (K, d) or (K,)
        Component means. A 1-D array means ``K`` components in dimension 1
        (so a single Gaussian in ``d`` dimensions is given as shape (1, d)).
    covariances : array_like, shape (K, d, d) or (K,)
        Symmetric positive definite covariance matrices; with 1-D ``means``, the
        variances as shape (K,).

    Attributes
    ----------
    dim : int
        Dimension ``d``.
    n_components : int
        Number of components ``K``.
    weights : ndarray, shape (K,)
    means : ndarray, shape (K, d)
    covariances : ndarray, shape (K, d, d)

    Notes
    -----
    ``log_prob`` and ``score`` are written with ``autograd.numpy`` and can be
    differentiated with respect to ``X``. Far from the data (``|x| = 1e3``) the
    log-density and score stay finite: responsibilities come from log-sum-exp.
    """

    def __init__(self, weights, means, covariances):
        weights = as_finite_array(weights, "weights", ndim=1)
        if np.any(weights < 0):
            raise ValueError(f"weights must be >= 0; got {weights}")
        total = float(np.sum(weights))
        if abs(total - 1.0) > _WEIGHT_SUM_TOL:
            raise ValueError(
                f"weights must sum to 1 (within {_WEIGHT_SUM_TOL:g}); got sum {total!r}"
            )
        K = weights.size
        means = as_finite_array(means, "means")
        covariances = as_finite_array(covariances, "covariances")
        if means.ndim == 1:
            means = means[:, None]
            if covariances.ndim == 1:
                covariances = covariances[:, None, None]
        if means.ndim != 2:
            raise ValueError(f"means must have shape (K, d) or (K,); got shape {means.shape}")
        if means.shape[0] != K:
            raise ValueError(f"means must have one row per weight (K={K}); got shape {means.shape}")
        d = means.shape[1]
        if covariances.shape != (K, d, d):
            raise ValueError(
                f"covariances must have shape (K, d, d) = {(K, d, d)}; got shape "
                f"{covariances.shape}"
            )
        huge = 1.0 / np.finfo(float).tiny  # beyond it the precision 1 / variance is subnormal
        if np.max(np.abs(covariances)) > huge:
            k = int(np.argmax(np.max(np.abs(covariances), axis=(1, 2))))
            raise ValueError(f"covariances[{k}] has an entry above {huge:.3g}: too large to invert")
        asym = np.abs(covariances - np.swapaxes(covariances, 1, 2))
        scale = np.max(np.abs(covariances), axis=(1, 2))
        bad = np.flatnonzero(np.max(asym, axis=(1, 2)) > _SYMMETRY_RTOL * scale)
        if bad.size:
            raise ValueError(f"covariances[{bad[0]}] is not symmetric")
        covariances = 0.5 * (covariances + np.swapaxes(covariances, 1, 2))
        chol = np.empty_like(covariances)
        for k in range(K):
            try:
                chol[k] = np.linalg.cholesky(covariances[k])
            except np.linalg.LinAlgError:
                raise ValueError(
                    f"covariances[{k}] is not positive definite (Cholesky failed)"
                ) from None
        pivots = np.diagonal(chol, axis1=1, axis2=2)
        if np.any(pivots <= 0):
            raise ValueError("covariances must be positive definite (a Cholesky pivot is 0)")
        tiny = np.sqrt(np.finfo(float).tiny)  # the precision 1 / pivot^2 must stay finite
        if np.any(pivots < tiny):
            k = int(np.argmin(np.min(pivots, axis=1)))
            raise ValueError(
                f"covariances[{k}] is numerically singular: a variance of "
                f"{np.min(pivots[k]) ** 2:.3g} is below {tiny**2:.3g}, the smallest normal float"
            )

        self.dim = d
        self.n_components = K
        self.weights = _readonly(weights / total)
        self.means = _readonly(means)
        self.covariances = _readonly(covariances)
        self._chol = _readonly(chol)

        # Computations use only the components with positive weight (log 0 = -inf).
        active = self.weights > 0
        self._active = active
        eye = np.eye(d)
        chol_inv = np.linalg.solve(chol[active], np.broadcast_to(eye, (int(active.sum()), d, d)))
        self._prec = np.einsum("kji,kjl->kil", chol_inv, chol_inv)  # P = L^{-T} L^{-1}
        self._prec_trace = np.trace(self._prec, axis1=1, axis2=2)
        self._mu = self.means[active]
        # Per-component linear maps stacked side by side, so that one matrix product
        # serves all components: (X @ M)[n, k*d + i] = (M_k x_n)_i.
        n_active = self._mu.shape[0]
        self._whiten = chol_inv.transpose(2, 0, 1).reshape(d, n_active * d)
        self._whiten_shift = np.einsum("kij,kj->ki", chol_inv, self._mu).ravel()
        self._prec_stacked = self._prec.transpose(2, 0, 1).reshape(d, n_active * d)
        self._prec_shift = np.einsum("kij,kj->ki", self._prec, self._mu).ravel()
        log_det = 2.0 * np.sum(np.log(np.diagonal(chol[active], axis1=1, axis2=2)), axis=1)
        self._log_const = np.log(self.weights[active]) - 0.5 * (d * np.log(2 * np.pi) + log_det)

    def __repr__(self):
        return f"{type(self).__name__}(dim={self.dim}, n_components={self.n_components})"

    # -- internals ---------------------------------------------------------------------
    def _stacked(self, X, maps, shift):
        """``M_k x - M_k mu_k`` for every active component; shape (n, K', d)."""
        n = anp.shape(X)[0]
        return anp.reshape(anp.dot(X, maps) - shift, (n, -1, self.dim))

    def _joint_log(self, X):
        """``log(w_k N_k(x))`` for the active components; shape (n, K')."""
        with np.errstate(over="ignore"):  # beyond |z| ~ 1e154 the term is -inf: exact limit
            z = self._stacked(X, self._whiten, self._whiten_shift)  # L_k^{-1} (x - mu_k)
            return self._log_const - 0.5 * anp.dot(z**2, np.ones(self.dim))

    def _responsibilities_and_scores(self, X):
        log_joint = self._joint_log(X)
        lost = np.all(getval(log_joint) == -np.inf, axis=1)
        if np.any(lost):
            n = int(np.flatnonzero(lost)[0])
            raise ValueError(
                f"X[{n}] = {getval(X)[n]} is too far from the mixture: its squared distance "
                "to every component overflows, so the responsibilities (and the score and "
                "Hessian) are not representable; log_prob there is -inf"
            )
        gamma = anp.exp(log_joint - _logsumexp_rows(log_joint)[:, None])
        g = -self._stacked(X, self._prec_stacked, self._prec_shift)  # -P_k (x - mu_k)
        return gamma, g

    # -- public --------------------------------------------------------------------------
    @property
    def overall_mean(self):
        """Mean of the mixture, ``sum_k w_k mu_k``; ndarray, shape (d,)."""
        return self.weights @ self.means

    @property
    def overall_covariance(self):
        """Covariance of the mixture; ndarray, shape (d, d)."""
        m = self.overall_mean
        second = np.einsum("k,kij->ij", self.weights, self.covariances) + np.einsum(
            "k,ki,kj->ij", self.weights, self.means, self.means
        )
        return second - np.outer(m, m)

    def log_prob(self, X):
        """Log-density ``log p(x)`` of each point.

        Parameters
        ----------
        X : ndarray, shape (n, d)

        Returns
        -------
        ndarray, shape (n,)
        """
        X = eval_points(X, self.dim)
        return _logsumexp_rows(self._joint_log(X))

    def prob(self, X):
        """Density ``p(x)`` of each point; ndarray, shape (n,)."""
        return anp.exp(self.log_prob(X))

    def component_responsibilities(self, X):
        """Posterior probability of each component given ``x``.

        Parameters
        ----------
        X : ndarray, shape (n, d)

        Returns
        -------
        ndarray, shape (n, K)
            Rows sum to 1; components of weight 0 get 0.
        """
        X = as_points(X, dim=self.dim)
        gamma, _ = self._responsibilities_and_scores(X)
        out = np.zeros((X.shape[0], self.n_components))
        out[:, self._active] = gamma
        return out

    def score(self, X):
        """Score ``s(x) = grad log p(x)``, exact.

        Parameters
        ----------
        X : ndarray, shape (n, d)

        Returns
        -------
        ndarray, shape (n, d)
        """
        X = eval_points(X, self.dim)
        gamma, g = self._responsibilities_and_scores(X)
        return anp.matmul(gamma[:, None, :], g)[:, 0, :]

    def _centred(self, X):
        X = as_points(X, dim=self.dim)
        gamma, g = self._responsibilities_and_scores(X)
        s = np.matmul(gamma[:, None, :], g)[:, 0, :]
        u = g - s[:, None, :]
        return gamma, u, s

    def hessian_log_prob(self, X):
        """Hessian of ``log p`` (the Jacobian of the score), exact.

        Parameters
        ----------
        X : ndarray, shape (n, d)

        Returns
        -------
        ndarray, shape (n, d, d)
            Symmetric.
        """
        gamma, u, _ = self._centred(X)
        n, d = u.shape[0], self.dim
        mean_prec = (gamma @ self._prec.reshape(-1, d * d)).reshape(n, d, d)
        return np.matmul(np.swapaxes(gamma[:, :, None] * u, 1, 2), u) - mean_prec

    def laplacian_score(self, X):
        """Laplacian of the score, ``(Delta s)_i = sum_j d^2 s_i / dx_j^2``, exact.

        Parameters
        ----------
        X : ndarray, shape (n, d)

        Returns
        -------
        ndarray, shape (n, d)
        """
        gamma, u, _ = self._centred(X)
        radial = np.dot(u**2, np.ones(self.dim)) - self._prec_trace[None, :]
        Pu = sum(self._prec[None, :, :, j] * u[:, :, None, j] for j in range(self.dim))
        return np.matmul(gamma[:, None, :], u * radial[:, :, None] - 2.0 * Pu)[:, 0, :]

    def sample(self, n, rng):
        """Draw ``n`` independent points.

        Parameters
        ----------
        n : int
            Number of points, >= 1.
        rng : numpy.random.Generator

        Returns
        -------
        ndarray, shape (n, d)
        """
        n = positive_int(n, "n")
        check_rng(rng)
        k = rng.choice(self.n_components, size=n, p=self.weights)
        z = rng.standard_normal((n, self.dim))
        return self.means[k] + np.einsum("nij,nj->ni", self._chol[k], z)

    def smoothed(self, sigma):
        """The density of ``x + eps``, ``eps ~ N(0, sigma^2 I)``: ``p * N(0, sigma^2 I)``.

        Parameters
        ----------
        sigma : float
            Noise standard deviation, > 0.

        Returns
        -------
        GaussianMixture
            Same weights and means, covariances ``Sigma_k + sigma^2 I``.
        """
        sigma = scale_parameter(sigma, "sigma")
        cov = self.covariances + sigma**2 * np.eye(self.dim)
        return GaussianMixture(self.weights, self.means, cov)


# -- the spiral -----------------------------------------------------------------------------


class SpiralMixture(GaussianMixture):
    """A 2-D Gaussian mixture laid along the spiral ``c(t) = a t (sin t, cos t)``.

    Data near a 1-D manifold, as in the paper's spiral experiment. Components sit
    on the curve for ``t`` in ``[t_min, t_max]``; each is thin across the curve
    (standard deviation ``width``) and elongated along it (standard deviation
    ``along_ratio`` times the distance to its neighbours), so that the density is
    smooth along the curve.

    Parameters
    ----------
    n_components : int
        Number of components ``K``, >= 2.
    a : float
        Growth rate of the spiral, > 0.
    t_min, t_max : float
        Parameter range, ``0 <= t_min < t_max``.
    width : float
        Standard deviation across the curve, > 0.
    along_ratio : float
        Standard deviation along the curve divided by the local spacing of the means, > 0.
    spacing : {"t", "arc"}
        ``"t"``: means evenly spaced in ``t`` (with equal weights this approximates the
        paper's ``t ~ U[t_min, t_max]``, denser near the centre); ``"arc"``: evenly
        spaced in arc length (uniform along the curve).
    """

    def __init__(
        self,
        n_components=150,
        a=0.04,
        t_min=3.0,
        t_max=15.0,
        width=0.01,
        along_ratio=0.7,
        spacing="t",
    ):
        K = positive_int(n_components, "n_components", minimum=2)
        self.a = positive_scalar(a, "a")
        self.t_min = float(as_finite_array(t_min, "t_min", ndim=0))
        self.t_max = float(as_finite_array(t_max, "t_max", ndim=0))
        if self.t_min < 0:
            raise ValueError(f"t_min must be >= 0; got {self.t_min}")
        if not self.t_max > self.t_min:
            raise ValueError(f"t_max must be > t_min={self.t_min}; got {self.t_max}")
        self.width = positive_scalar(width, "width")
        self.along_ratio = positive_scalar(along_ratio, "along_ratio")
        self.spacing = one_of(spacing, "spacing", {"t", "arc"})

        if spacing == "t":
            dt = (self.t_max - self.t_min) / K
            t = self.t_min + (np.arange(K) + 0.5) * dt
            step = self._speed(t) * dt
        else:
            s_lo, s_hi = self._arc_length(self.t_min), self._arc_length(self.t_max)
            ds = (s_hi - s_lo) / K
            targets = s_lo + (np.arange(K) + 0.5) * ds
            t_fine = np.linspace(self.t_min, self.t_max, 20001)
            t = np.interp(targets, self._arc_length(t_fine), t_fine)
            step = np.full(K, ds)
        self.t_components = _readonly(t)
        tangent = self.tangent(t)
        normal = np.stack([-tangent[:, 1], tangent[:, 0]], axis=1)
        along = self.along_ratio * step
        cov = along[:, None, None] ** 2 * np.einsum("ki,kj->kij", tangent, tangent)
        cov = cov + self.width**2 * np.einsum("ki,kj->kij", normal, normal)
        super().__init__(np.full(K, 1.0 / K), self.curve(t), cov)

    def __repr__(self):
        return (
            f"SpiralMixture(n_components={self.n_components}, a={self.a}, t_min={self.t_min}, "
            f"t_max={self.t_max}, width={self.width}, along_ratio={self.along_ratio}, "
            f"spacing={self.spacing!r})"
        )

    def _speed(self, t):
        return self.a * np.sqrt(1.0 + t**2)

    def _arc_length(self, t):
        return 0.5 * self.a * (t * np.sqrt(1.0 + t**2) + np.arcsinh(t))

    @staticmethod
    def _parameters(t):
        return np.atleast_1d(as_finite_array(t, "t")).ravel()

    def curve(self, t):
        """Points ``c(t) = a t (sin t, cos t)`` of the curve.

        Parameters
        ----------
        t : array_like, shape (n,)

        Returns
        -------
        ndarray, shape (n, 2)
        """
        t = self._parameters(t)
        return self.a * t[:, None] * np.stack([np.sin(t), np.cos(t)], axis=1)

    def _velocity(self, t):
        return self.a * np.stack([np.sin(t) + t * np.cos(t), np.cos(t) - t * np.sin(t)], axis=1)

    def tangent(self, t):
        """Unit tangent ``c'(t) / |c'(t)|``.

        Parameters
        ----------
        t : array_like, shape (n,)

        Returns
        -------
        ndarray, shape (n, 2)
        """
        t = self._parameters(t)
        v = self._velocity(t)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    def nearest_curve_parameter(self, X, chunk=2048):
        """Parameter ``t`` in ``[t_min, t_max]`` of the curve point nearest to each point.

        A dense search over ``t`` followed by golden-section refinement in the
        bracket around the best grid value.

        Parameters
        ----------
        X : ndarray, shape (n, 2)
        chunk : int
            Points processed at a time (bounds the memory of the dense search).

        Returns
        -------
        ndarray, shape (n,)
        """
        X = as_points(X, dim=2)
        chunk = positive_int(chunk, "chunk")
        length = self._arc_length(self.t_max) - self._arc_length(self.t_min)
        n_grid = max(int(np.ceil(length / 0.002)), 200)  # grid points 0.002 apart along the curve
        t_grid = np.linspace(self.t_min, self.t_max, n_grid)
        c_grid = self.curve(t_grid)
        best = np.empty(X.shape[0], dtype=int)
        for start in range(0, X.shape[0], chunk):
            block = X[start : start + chunk]
            dist2 = (
                np.sum(block**2, axis=1)[:, None]
                - 2.0 * block @ c_grid.T
                + np.sum(c_grid**2, axis=1)[None, :]
            )
            best[start : start + chunk] = np.argmin(dist2, axis=1)
        lo = t_grid[np.maximum(best - 1, 0)]
        hi = t_grid[np.minimum(best + 1, n_grid - 1)]

        def dist2(t):
            return np.sum((self.curve(t) - X) ** 2, axis=1)

        golden = (np.sqrt(5.0) - 1.0) / 2.0
        c = hi - golden * (hi - lo)
        d = lo + golden * (hi - lo)
        fc, fd = dist2(c), dist2(d)
        for _ in range(60):
            left = fc < fd  # minimum in [lo, d]
            hi = np.where(left, d, hi)
            lo = np.where(left, lo, c)
            c_new = hi - golden * (hi - lo)
            d_new = lo + golden * (hi - lo)
            c, d = np.where(left, c_new, d), np.where(left, c, d_new)
            fc, fd = np.where(left, dist2(c), fd), np.where(left, fc, dist2(d))
        t = 0.5 * (lo + hi)
        return np.clip(t, self.t_min, self.t_max)

    def tangent_at(self, X):
        """Unit tangent of the curve at the curve point nearest to each point.

        Parameters
        ----------
        X : ndarray, shape (n, 2)

        Returns
        -------
        ndarray, shape (n, 2)
        """
        return self.tangent(self.nearest_curve_parameter(X))

    def distance_to_curve(self, X):
        """Euclidean distance from each point to the curve segment; ndarray, shape (n,)."""
        X = as_points(X, dim=2)
        return np.linalg.norm(X - self.curve(self.nearest_curve_parameter(X)), axis=1)


def spiral_mixture(
    n_components=150, a=0.04, t_min=3.0, t_max=15.0, width=0.01, along_ratio=0.7, spacing="t"
):
    """The book's spiral: a 2-D mixture along ``c(t) = a t (sin t, cos t)``.

    Defaults follow the paper's experiment (``a = 0.04``, ``t`` in ``[3, 15]``,
    standard deviation 0.01 across the curve). See :class:`SpiralMixture`.

    Returns
    -------
    SpiralMixture
    """
    return SpiralMixture(
        n_components=n_components,
        a=a,
        t_min=t_min,
        t_max=t_max,
        width=width,
        along_ratio=along_ratio,
        spacing=spacing,
    )


# -- general 1-D densities ---------------------------------------------------------------


class Density1D:
    """A smooth 1-D density given by its log-density, possibly unnormalised.

    Derivatives come from autograd, the normalising constant from Simpson's rule
    on ``[lower, upper]``, which must hold essentially all of the mass. Outside that
    interval the formulas still evaluate, but ``sample`` never goes there.

    Parameters
    ----------
    log_p : callable
        ``log_p(x) -> (m,)`` for ``x`` of shape (m,), elementwise, written with
        ``autograd.numpy`` so that it can be differentiated three times.
    lower, upper : float
        The interval used to normalise and to sample, ``lower < upper``.
    n_grid : int
        Grid points for the quadrature and the inverse-CDF table, >= 3.

    Attributes
    ----------
    dim : int
        Always 1.
    log_p : callable
        The raw (unnormalised) log-density.
    log_normalizer : float
        ``log Z`` with ``p = exp(log_p) / Z``.
    """

    dim = 1

    def __init__(self, log_p, lower, upper, n_grid=4001):
        self.log_p = check_callable(log_p, "log_p")
        self.lower = float(as_finite_array(lower, "lower", ndim=0))
        self.upper = float(as_finite_array(upper, "upper", ndim=0))
        if not self.upper > self.lower:
            raise ValueError(f"upper must be > lower={self.lower}; got {self.upper}")
        n_grid = positive_int(n_grid, "n_grid", minimum=3)
        self._d1 = elementwise_grad(log_p)
        self._d2 = elementwise_grad(self._d1)
        self._d3 = elementwise_grad(self._d2)

        grid = np.linspace(self.lower, self.upper, n_grid)
        lp = self._call(self.log_p, grid)
        top = np.max(lp)
        p = np.exp(lp - top)
        self.log_normalizer = float(top + np.log(integrate.simpson(p, x=grid)))
        cdf = cumulative_trapezoid(p, grid)
        self._grid = grid
        self._cdf = cdf / cdf[-1]

    def __repr__(self):
        return f"Density1D(lower={self.lower}, upper={self.upper})"

    @staticmethod
    def _call(f, x, name="log_p"):
        return call_checked(f, x, name, call=f"{name}(x)")

    def _x(self, X):
        return as_points(X, dim=1)[:, 0]

    def log_prob(self, X):
        """Normalised log-density; X of shape (n, 1); ndarray, shape (n,)."""
        return self._call(self.log_p, self._x(X)) - self.log_normalizer

    def prob(self, X):
        """Normalised density; X of shape (n, 1); ndarray, shape (n,)."""
        return np.exp(self.log_prob(X))

    def score(self, X):
        """Score ``d log p / dx``; X of shape (n, 1); ndarray, shape (n, 1)."""
        return self._call(self._d1, self._x(X), "the derivative of log_p")[:, None]

    def hessian_log_prob(self, X):
        """Second derivative of ``log p``; X of shape (n, 1); ndarray, shape (n, 1, 1)."""
        return self._call(self._d2, self._x(X), "the 2nd derivative of log_p")[:, None, None]

    def laplacian_score(self, X):
        """Third derivative of ``log p``; X of shape (n, 1); ndarray, shape (n, 1)."""
        return self._call(self._d3, self._x(X), "the 3rd derivative of log_p")[:, None]

    def sample(self, n, rng):
        """Draw ``n`` points in ``[lower, upper]`` by inverting the tabulated CDF.

        Parameters
        ----------
        n : int
            Number of points, >= 1.
        rng : numpy.random.Generator

        Returns
        -------
        ndarray, shape (n, 1)
        """
        n = positive_int(n, "n")
        check_rng(rng)
        u = rng.uniform(size=n)
        return np.interp(u, self._cdf, self._grid)[:, None]


def _paper_log_p(x):
    energy = (10 * (x + 1) ** 2 + 1) * (20 * x**2 + 1) * (30 * (x - 1) ** 2 + 1) / 1000.0
    return -energy


def paper_density_1d(n_grid=4001):
    """The authors' 1-D test density, ``p(x) ∝ exp(-E(x))`` on ``[-1.5, 1.5]``.

    ``E(x) = (10 (x+1)^2 + 1) (20 x^2 + 1) (30 (x-1)^2 + 1) / 1000``. Each factor
    pulls towards one of -1, 0, 1, but the products do not give three modes: the
    density has two modes (near 0.003 and 0.945) with an antimode between them
    (near 0.599), and only a shoulder on the left, where the score dips to about
    0.93 near ``x = -0.75`` without changing sign. :func:`critical_points_1d`
    locates them.

    Returns
    -------
    Density1D
    """
    return Density1D(_paper_log_p, -1.5, 1.5, n_grid=n_grid)


def critical_points_1d(density, lower, upper, n_grid=20001):
    """Modes and antimodes of a 1-D density: where the score changes sign.

    Sign changes of the score on a uniform grid, each refined by bisection
    (``raetut._grid.zero_crossings``, shared with :func:`raetut.fields.attractors_1d`).

    Parameters
    ----------
    density : object
        Has ``dim == 1`` and ``score(X) -> (n, 1)`` (a 1-D GaussianMixture or Density1D).
    lower, upper : float
        Search interval, ``lower < upper``.
    n_grid : int
        Grid points of the search, >= 3; critical points closer together than the
        grid spacing may be missed.

    Returns
    -------
    modes : ndarray, shape (m,)
        Local maxima (score goes from + to -), increasing.
    antimodes : ndarray, shape (k,)
        Local minima (score goes from - to +), increasing.
    """
    check_density_1d(density, ("score",))
    lower = float(as_finite_array(lower, "lower", ndim=0))
    upper = float(as_finite_array(upper, "upper", ndim=0))
    if not upper > lower:
        raise ValueError(f"upper must be > lower={lower}; got {upper}")
    n_grid = positive_int(n_grid, "n_grid", minimum=3)

    def score(t):
        return density.score(t[:, None])[:, 0]

    return zero_crossings(score, np.linspace(lower, upper, n_grid))


def check_density_1d(density, methods, name="density"):
    """Check that ``density`` is a 1-D density object with the given methods and return it.

    The one guard of the functions that take any 1-D density (a 1-D
    :class:`GaussianMixture`, a :class:`Density1D`, or an object of one's own with
    ``dim == 1``; an object without ``dim`` counts as 1-D).
    """
    if getattr(density, "dim", 1) != 1 or not all(callable(getattr(density, m, None))
                                                   for m in methods):
        raise TypeError(
            f"{name} must be a 1-D density (dim == 1) with {' and '.join(methods)} methods, "
            f"e.g. a 1-D GaussianMixture or a Density1D; got {type(density).__name__}"
            + (f" of dimension {density.dim}" if hasattr(density, "dim") else "")
        )
    return density


def check_mixture(density, name="density", dim=None, hint=""):
    """Check that ``density`` is a :class:`GaussianMixture` (of dimension ``dim``) and return it.

    The one guard of every function that needs a mixture's closed forms; ``hint`` is
    added to the message (e.g. where to look for other densities).
    """
    if not isinstance(density, GaussianMixture):
        raise TypeError(
            f"{name} must be a GaussianMixture (raetut.GaussianMixture){hint}; "
            f"got {type(density).__name__}"
        )
    if dim is not None and density.dim != dim:
        raise TypeError(
            f"{name} must be a {dim}-D raetut.GaussianMixture; got one of dimension {density.dim}"
        )
    return density
