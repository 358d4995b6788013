"""Chapter 11's computational exercises: the empirical optimum's Jacobian, the Gaussian
baseline with a singular covariance, the memorisation limit."""

import numpy as np

from . import Exercise, _add


def _weights(x_tilde, points, sigma):
    logits = -0.5 * np.sum((points - x_tilde) ** 2, axis=1) / sigma**2
    w = np.exp(logits - np.max(logits))
    return w / np.sum(w)


def _jacobian(x_tilde, points, sigma, centred=True, scale=True):
    points = np.asarray(points, dtype=float)
    w = _weights(np.asarray(x_tilde, dtype=float), points, sigma)
    mean = w @ points if centred else np.zeros(points.shape[1])
    cov = (points - mean).T @ ((points - mean) * w[:, None])
    return cov / sigma**2 if scale else cov


def _points_cases(rng):
    cases = []
    for n, d in ((6, 2), (8, 3), (5, 2), (9, 4)):
        points = rng.normal(size=(n, d))
        cases.append((points[0] + 0.5 * rng.normal(size=d), points,
                      float(rng.uniform(0.4, 1.2))))
    return cases


_add(Exercise(
    key="ch11-1",
    call="empirical_jacobian(x_tilde, points, sigma)",
    reference=_jacobian,
    cases=_points_cases,
    mistakes=(
        (lambda x_tilde, points, sigma: _jacobian(x_tilde, points, sigma, scale=False),
         "That is the posterior covariance itself; the Jacobian of the posterior mean is "
         "that covariance divided by sigma^2 (differentiate the softmax weights: each brings "
         "down (x_i - x~)/sigma^2)."),
        (lambda x_tilde, points, sigma: _jacobian(x_tilde, points, sigma, centred=False),
         "The second moments sum_i w_i x_i x_i^T are not the covariance: subtract the outer "
         "product of the posterior mean r*(x~) with itself."),
        (lambda x_tilde, points, sigma: np.eye(np.shape(points)[1])
         + _jacobian(x_tilde, points, sigma),
         "I + sigma^2 Hess log p_hat_sigma is right, but the Hessian is "
         "(Cov - sigma^2 I)/sigma^4: the identity cancels, and the Jacobian is Cov/sigma^2."),
    ),
))


def _gaussian_baseline(x_tilde, mean, cov, sigma, centred=True, power=2):
    vals, vecs = np.linalg.eigh(np.asarray(cov, dtype=float))
    vals = np.clip(vals, 0.0, None)
    shrink = vals / (vals + sigma**power)
    centre = np.asarray(mean, dtype=float) if centred else 0.0
    return centre + vecs @ (shrink * (vecs.T @ (np.asarray(x_tilde) - centre)))


def _singular_cases(rng):
    cases = []
    for d, rank in ((3, 2), (4, 2), (5, 3), (4, 1)):
        A = rng.normal(size=(d, rank))
        cases.append((rng.normal(size=d), rng.normal(size=d), A @ A.T,
                      float(rng.uniform(0.3, 1.5))))
    return cases


_add(Exercise(
    key="ch11-2",
    call="gaussian_baseline(x_tilde, mean, cov, sigma)",
    reference=_gaussian_baseline,
    cases=_singular_cases,
    mistakes=(
        (lambda x_tilde, mean, cov, sigma: _gaussian_baseline(x_tilde, mean, cov, sigma,
                                                              centred=False),
         "The shrinkage acts on x~ - m, towards the mean m, not towards 0: "
         "m + C (C + sigma^2 I)^(-1) (x~ - m)."),
        (lambda x_tilde, mean, cov, sigma: _gaussian_baseline(x_tilde, mean, cov, sigma,
                                                              power=1),
         "The noise enters through its variance sigma^2 (the covariance of x~ is C + sigma^2 I), "
         "not sigma."),
        (lambda x_tilde, mean, cov, sigma: np.asarray(x_tilde) - _gaussian_baseline(
            x_tilde, mean, cov, sigma) + np.asarray(mean),
         "That is m + sigma^2 (C + sigma^2 I)^(-1) (x~ - m), the part of x~ - m the denoiser "
         "removes, added to the mean; the denoiser keeps C (C + sigma^2 I)^(-1) (x~ - m)."),
    ),
))


def _nn_limit(heldout, train, squared=True, per_pixel=True):
    heldout, train = np.asarray(heldout, dtype=float), np.asarray(train, dtype=float)
    gaps = np.sum((heldout[:, None, :] - train[None, :, :]) ** 2, axis=2)
    nearest = np.min(gaps, axis=1)
    values = nearest if squared else np.sqrt(nearest)
    return float(np.mean(values) / (heldout.shape[1] if per_pixel else 1))


def _limit_cases(rng):
    return [(rng.normal(size=(m, d)), rng.normal(size=(n, d)))
            for m, n, d in ((4, 6, 2), (5, 8, 3), (3, 10, 4), (6, 7, 5))]


_add(Exercise(
    key="ch11-3",
    call="memorisation_limit(heldout, train)",
    reference=_nn_limit,
    cases=_limit_cases,
    mistakes=(
        (lambda heldout, train: _nn_limit(heldout, train, squared=False),
         "The error is a mean *squared* error: average the squared distance to the nearest "
         "training image, not the distance."),
        (lambda heldout, train: _nn_limit(heldout, train, per_pixel=False),
         "The chapter reports the error per pixel: divide the squared distance by d."),
        (lambda heldout, train: float(np.mean(np.sum(
            (np.asarray(heldout) - np.mean(train, axis=0)) ** 2, axis=1)) / np.shape(train)[1]),
         "That is the limit at large sigma, where the optimum returns the mean image; as "
         "sigma -> 0 it returns the training image nearest to x~, hence to x."),
    ),
))
