"""A noise-conditional denoiser: one network with the noise level as an input.

Beyond the paper (Song & Ermon 2019; Song et al. 2021). With the corruption
``x~ = x + eps``, ``eps = sigma z``, ``z ~ N(0, I)``, the network predicts the standard
normal ``z``: ``z_hat(x~, sigma)`` (diffusion-model papers call this the noise
prediction ``epsilon_theta``). Its denoiser and score are

    r(x~, sigma) = x~ - sigma * z_hat(x~, sigma),
    s(x~, sigma) = (r(x~, sigma) - x~) / sigma^2 = -z_hat(x~, sigma) / sigma,

so the three are one object. Trained on ``E ||z_hat(x + sigma z, sigma) - z||^2``
with sigma drawn log-uniformly on ``[sigma_min, sigma_max]``, the optimum is
``z*(x~, sigma) = E[z | x~] = -sigma s_sigma(x~)`` (Tweedie), the exact score of ``p_sigma``.

Also here: the reverse variance-exploding SDE and the probability-flow ODE samplers,
driven by any score ``score(X, sigma)``.
"""

import dataclasses

import autograd.numpy as anp
import numpy as np
from autograd import value_and_grad
from scipy import optimize

from ._validation import as_points, positive_int, positive_scalar

__all__ = [
    "NoiseConditionalNet",
    "NoiseConditionalFit",
    "fit_noise_conditional",
    "reverse_ve_sde",
    "probability_flow_ode",
    "SamplerRun",
]


@dataclasses.dataclass(frozen=True)
class NoiseConditionalNet:
    """A two-hidden-layer tanh network ``z_hat(x~, sigma)`` in ``d`` dimensions.

    Inputs are ``x~ / sqrt(scale^2 + sigma^2)`` and ``log sigma``; the output is the
    predicted standard noise (shape (n, d)), ``z_hat = g(sigma) F(x~, sigma)`` with
    ``g(sigma) = sigma / sqrt(sigma^2 + floor^2)`` (``g = 1`` when ``floor`` is None).
    ``scale`` is the data's standard deviation, so the scaled input has unit size at
    every level; ``floor`` is the length below which the data look smooth, so that
    ``F`` is of order one at every level.
    """

    d: int = 2
    hidden: int = 32
    scale: float = 1.0
    floor: float = None

    @property
    def n_params(self):
        h, d = self.hidden, self.d
        return (d + 1) * h + h + h * h + h + h * d + d

    def init(self, rng):
        """Random parameters (flat, shape (n_params,)) drawn from ``rng``."""
        if not isinstance(rng, np.random.Generator):
            raise TypeError("rng must be a numpy.random.Generator")
        h, d = self.hidden, self.d
        parts = [rng.normal(0, 1 / np.sqrt(d + 1), (d + 1) * h), np.zeros(h),
                 rng.normal(0, 1 / np.sqrt(h), h * h), np.zeros(h),
                 rng.normal(0, 0.1 / np.sqrt(h), h * d), np.zeros(d)]
        return np.concatenate(parts)

    def _unpack(self, p):
        h, d = self.hidden, self.d
        sizes = [(d + 1) * h, h, h * h, h, h * d, d]
        out, i = [], 0
        for n in sizes:
            out.append(p[i:i + n])
            i += n
        W1, b1, W2, b2, W3, b3 = out
        return (anp.reshape(W1, (d + 1, h)), b1, anp.reshape(W2, (h, h)), b2,
                anp.reshape(W3, (h, d)), b3)

    def _forward(self, params, X, sig):
        W1, b1, W2, b2, W3, b3 = self._unpack(params)
        feats = anp.concatenate([X / anp.sqrt(self.scale**2 + sig**2)[:, None],
                                 anp.log(sig)[:, None]], axis=1)
        h1 = anp.tanh(anp.dot(feats, W1) + b1)
        h2 = anp.tanh(anp.dot(h1, W2) + b2)
        return self._gain(sig)[:, None] * (anp.dot(h2, W3) + b3)

    def _gain(self, sig):
        if self.floor is None:
            return anp.ones_like(sig)
        return sig / anp.sqrt(sig**2 + self.floor**2)

    def _sigmas(self, sigma, n):
        sig = np.broadcast_to(np.asarray(sigma, dtype=float), (n,)).astype(float)
        if not np.all(np.isfinite(sig)) or np.any(sig <= 0):
            raise ValueError("sigma must be positive and finite")
        return sig

    def z_hat(self, params, X, sigma):
        """Predicted standard noise ``z_hat(x~, sigma)``, shape (n, d); sigma scalar or (n,)."""
        X = as_points(X, "X", dim=self.d)
        return self._forward(params, X, self._sigmas(sigma, len(X)))

    def denoise(self, params, X, sigma):
        """Denoiser ``r(x~, sigma) = x~ - sigma z_hat(x~, sigma)``, shape (n, d)."""
        X = as_points(X, "X", dim=self.d)
        sig = self._sigmas(sigma, len(X))
        return X - sig[:, None] * self._forward(params, X, sig)

    def score(self, params, X, sigma):
        """Score ``s(x~, sigma) = -z_hat(x~, sigma) / sigma``, shape (n, d)."""
        X = as_points(X, "X", dim=self.d)
        sig = self._sigmas(sigma, len(X))
        return -self._forward(params, X, sig) / sig[:, None]


@dataclasses.dataclass(frozen=True)
class NoiseConditionalFit:
    """A trained noise-conditional network: ``net``, ``params``, final ``loss``,
    the training ``sigmas`` range ``(sigma_min, sigma_max)`` and ``n_evals``."""

    net: NoiseConditionalNet
    params: np.ndarray
    loss: float
    sigma_range: tuple
    n_evals: int

    def score(self, X, sigma):
        return self.net.score(self.params, X, sigma)

    def z_hat(self, X, sigma):
        return self.net.z_hat(self.params, X, sigma)

    def denoise(self, X, sigma):
        return self.net.denoise(self.params, X, sigma)


def fit_noise_conditional(X, sigma_min, sigma_max, rng, hidden=32, n_copies=2,
                          n_iter=300, floor=None, progress=False):
    """Train ``z_hat`` on ``E ||z_hat(x + sigma z, sigma) - z||^2 / g(sigma)^2`` by L-BFGS.

    The weight ``1 / g(sigma)^2`` (see :class:`NoiseConditionalNet`) makes every level
    count alike: the predictable part ``z*`` of the noise is of size ``g(sigma)``.

    Each of the ``n`` points is corrupted ``n_copies`` times, with ``sigma`` drawn
    log-uniformly on ``[sigma_min, sigma_max]`` (``sigma_min == sigma_max``: one level)
    and fixed noise, all from ``rng``.

    Parameters
    ----------
    X : array_like, shape (n, d)
    sigma_min, sigma_max : float, 0 < sigma_min <= sigma_max
    rng : numpy.random.Generator
    hidden, n_copies, n_iter : int
    floor : float > 0 or None, see :class:`NoiseConditionalNet`
    progress : bool, a progress bar (tqdm) over the iterations

    Returns
    -------
    NoiseConditionalFit
    """
    X = as_points(X, "X")
    sigma_min = positive_scalar(sigma_min, "sigma_min")
    sigma_max = positive_scalar(sigma_max, "sigma_max")
    if sigma_max < sigma_min:
        raise ValueError("sigma_max must be at least sigma_min")
    hidden = positive_int(hidden, "hidden")
    n_copies = positive_int(n_copies, "n_copies")
    n_iter = positive_int(n_iter, "n_iter")
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy.random.Generator")
    n, d = X.shape
    floor = None if floor is None else positive_scalar(floor, "floor")
    net = NoiseConditionalNet(d=d, hidden=hidden, scale=float(np.sqrt(np.mean(X.var(0)))),
                              floor=floor)
    Xc = np.repeat(X, n_copies, axis=0)
    sig = np.exp(rng.uniform(np.log(sigma_min), np.log(sigma_max), len(Xc)))
    z = rng.standard_normal(Xc.shape)
    Xt = Xc + sig[:, None] * z
    params0 = net.init(rng)
    weight = 1.0 / net._gain(sig) ** 2

    def loss(p):
        return anp.mean(weight * anp.sum((net._forward(p, Xt, sig) - z) ** 2, axis=1))

    f = value_and_grad(loss)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=n_iter, desc="noise-conditional DAE", leave=False)
    count = [0]

    def fun(p):
        count[0] += 1
        v, g = f(p)
        return float(v), np.asarray(g, dtype=float)

    res = optimize.minimize(fun, params0, jac=True, method="L-BFGS-B",
                            callback=None if bar is None else lambda p: bar.update(1),
                            options={"maxiter": n_iter})
    if bar is not None:
        bar.close()
    return NoiseConditionalFit(net, np.asarray(res.x), float(res.fun),
                               (sigma_min, sigma_max), count[0])


@dataclasses.dataclass(frozen=True)
class SamplerRun:
    """Final samples (n, d) and the number of score evaluations per chain."""

    samples: np.ndarray
    n_evals: int


def _grid(sigmas):
    sigmas = np.asarray(sigmas, dtype=float)
    if sigmas.ndim != 1 or len(sigmas) < 2 or np.any(sigmas <= 0) or np.any(np.diff(sigmas) >= 0):
        raise ValueError("sigmas must be a decreasing 1-D array of at least 2 positive levels")
    return sigmas


def reverse_ve_sde(score, sigmas, x0, rng):
    """Euler-Maruyama for the reverse variance-exploding SDE on the grid ``sigmas``.

    ``x <- x + (sigma_i^2 - sigma_{i+1}^2) s(x, sigma_i) + sqrt(sigma_i^2 - sigma_{i+1}^2) z``.

    Parameters
    ----------
    score : callable, score(X (n, d), sigma float) -> (n, d)
    sigmas : array_like (K,), decreasing
    x0 : array_like (n, d), start (typically N(0, sigma_1^2 I))
    rng : numpy.random.Generator

    Returns
    -------
    SamplerRun, with ``n_evals = K - 1``
    """
    sigmas = _grid(sigmas)
    x = as_points(x0, "x0").copy()
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy.random.Generator")
    for a, b in zip(sigmas[:-1], sigmas[1:], strict=True):
        dv = a**2 - b**2
        x = x + dv * score(x, a) + np.sqrt(dv) * rng.standard_normal(x.shape)
    return SamplerRun(x, len(sigmas) - 1)


def probability_flow_ode(score, sigmas, x0):
    """Heun's method for the probability-flow ODE ``dx/d(sigma^2) = -s(x, sigma) / 2``.

    Parameters
    ----------
    score : callable, score(X (n, d), sigma float) -> (n, d)
    sigmas : array_like (K,), decreasing
    x0 : array_like (n, d)

    Returns
    -------
    SamplerRun, with ``n_evals = 2 (K - 1)``
    """
    sigmas = _grid(sigmas)
    x = as_points(x0, "x0").copy()
    for a, b in zip(sigmas[:-1], sigmas[1:], strict=True):
        dv = a**2 - b**2
        k1 = 0.5 * score(x, a)
        x_e = x + dv * k1
        k2 = 0.5 * score(x_e, b)
        x = x + dv * 0.5 * (k1 + k2)
    return SamplerRun(x, 2 * (len(sigmas) - 1))
