"""Tests of raetut.criteria: Monte-Carlo losses, their quadrature forms, identities, errors."""

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

import raetut as rt


def _smooth_map(params):
    """A non-linear 1-D reconstruction r(x) = a x + b tanh(c x) and its derivative."""
    a, b, c = params[0], params[1], params[2]

    def reconstruct(X):
        return a * X + b * anp.tanh(c * X)

    def jacobian_sq_norm(X):
        return (a + b * c * (1.0 - anp.tanh(c * X[:, 0]) ** 2)) ** 2

    return reconstruct, jacobian_sq_norm


PARAMS = np.array([0.8, 0.3, 1.5])
GRID = np.linspace(-7.0, 7.0, 1401)


# ----------------------------------------------------- quadrature forms: exact cases


@pytest.mark.parametrize("rule", ["trapezoid", "simpson"])
def test_quadrature_losses_exact_for_affine_map_on_gaussian(gaussian_1d, rule):
    # p = N(0.3, 0.5), r = a x + b: L_DAE = ((a-1) mu + b)^2 + (a-1)^2 v + a^2 sigma^2,
    # L_rCAE = the same with lam in place of sigma^2.
    mu, v, a, b, sigma, lam = 0.3, 0.5, 0.7, 0.2, 0.4, 0.05
    bias_and_spread = ((a - 1) * mu + b) ** 2 + (a - 1) ** 2 * v
    grid = np.linspace(-8, 8, 801)

    def affine(X):
        return a * X + b

    dae = rt.dae_loss_quadrature(affine, gaussian_1d, sigma, grid, rule=rule)
    assert dae == pytest.approx(bias_and_spread + a**2 * sigma**2, rel=1e-12)
    rcae = rt.rcae_loss_quadrature(
        affine, lambda X: np.full(len(X), a**2), gaussian_1d, lam, grid, rule=rule
    )
    assert rcae == pytest.approx(bias_and_spread + lam * a**2, rel=1e-12)


def test_quadrature_weights_integrate_known_functions():
    grid = np.linspace(0.0, np.pi, 101)
    assert rt.quadrature_weights(grid, "simpson") @ np.sin(grid) == pytest.approx(2.0, abs=1e-7)
    uneven = np.sort(np.concatenate([grid, [0.123, 1.234]]))
    assert rt.quadrature_weights(uneven) @ np.sin(uneven) == pytest.approx(2.0, abs=2e-4)
    with pytest.raises(ValueError, match="simpson"):
        rt.quadrature_weights(uneven, "simpson")
    with pytest.raises(ValueError, match="rule"):
        rt.quadrature_weights(grid, "midpoint")


def test_dae_quadrature_converges_in_hermite_nodes(mixture_1d):
    reconstruct, _ = _smooth_map(PARAMS)
    values = [rt.dae_loss_quadrature(reconstruct, mixture_1d, 0.3, GRID, n_hermite=k)
              for k in (5, 40, 80)]
    assert values[1] == pytest.approx(values[2], rel=1e-13)
    assert abs(values[0] - values[2]) > 1e-10  # 5 nodes are visibly not enough for tanh


# ------------------------------------------------------- Monte Carlo vs quadrature


def test_dae_monte_carlo_agrees_with_quadrature(mixture_1d, rng):
    reconstruct, _ = _smooth_map(PARAMS)
    sigma, n = 0.3, 20000
    X = mixture_1d.sample(n, rng)
    noise = rng.standard_normal((n, 1))
    per_point = np.sum((reconstruct(X + sigma * noise) - X) ** 2, axis=1)
    monte_carlo = rt.dae_loss(reconstruct, X, sigma, noise=noise)
    assert monte_carlo == pytest.approx(per_point.mean(), rel=1e-14)
    standard_error = per_point.std() / np.sqrt(n)
    exact = rt.dae_loss_quadrature(reconstruct, mixture_1d, sigma, GRID)
    assert abs(monte_carlo - exact) < 4 * standard_error


def test_rcae_monte_carlo_agrees_with_quadrature(mixture_1d, rng):
    reconstruct, jacobian_sq_norm = _smooth_map(PARAMS)
    lam, n = 0.2, 20000
    X = mixture_1d.sample(n, rng)
    per_point = np.sum((reconstruct(X) - X) ** 2, axis=1) + lam * jacobian_sq_norm(X)
    monte_carlo = rt.rcae_loss(reconstruct, jacobian_sq_norm, X, lam)
    exact = rt.rcae_loss_quadrature(reconstruct, jacobian_sq_norm, mixture_1d, lam, GRID)
    assert abs(monte_carlo - exact) < 4 * per_point.std() / np.sqrt(n)


# -------------------------------------------------------- determinism and gradients


def test_dae_loss_with_fixed_noise_is_deterministic_and_differentiable(mixture_1d, rng):
    X = mixture_1d.sample(300, rng)
    noise = rng.standard_normal((3, 300, 1))

    def loss(params):
        return rt.dae_loss(_smooth_map(params)[0], X, 0.2, noise=noise)

    assert loss(PARAMS) == loss(PARAMS)
    gradient = autograd.grad(loss)(PARAMS)
    step = 1e-6
    finite_differences = np.array(
        [(loss(PARAMS + step * e) - loss(PARAMS - step * e)) / (2 * step) for e in np.eye(3)]
    )
    np.testing.assert_allclose(gradient, finite_differences, rtol=1e-6, atol=1e-9)


def test_quadrature_losses_are_differentiable(mixture_1d):
    def dae(params):
        return rt.dae_loss_quadrature(_smooth_map(params)[0], mixture_1d, 0.2, GRID[::4])

    def rcae(params):
        return rt.rcae_loss_quadrature(*_smooth_map(params), mixture_1d, 0.05, GRID[::4])

    step = 1e-6
    for loss in (dae, rcae):
        gradient = autograd.grad(loss)(PARAMS)
        finite_differences = np.array(
            [(loss(PARAMS + step * e) - loss(PARAMS - step * e)) / (2 * step) for e in np.eye(3)]
        )
        np.testing.assert_allclose(gradient, finite_differences, rtol=1e-6, atol=1e-9)


# ------------------------------------------------------------------- identities


def test_rcae_with_zero_lam_is_mean_reconstruction_error(mixture_2d, rng):
    X = mixture_2d.sample(200, rng)

    def reconstruct(X):
        return 0.5 * X + 0.1

    loss = rt.rcae_loss(reconstruct, lambda X: np.full(len(X), 1e6), X, 0.0)
    assert loss == pytest.approx(np.mean(rt.reconstruction_error(reconstruct, X)), rel=1e-14)
    assert loss == pytest.approx(np.mean(np.sum((0.5 * X - 0.1) ** 2, axis=1)), rel=1e-14)
    assert rt.rcae_loss(reconstruct, lambda X: np.full(len(X), 2.0), X, 0.1) == pytest.approx(
        loss + 0.2, rel=1e-14
    )


def test_score_matching_of_true_gaussian_score(rng):
    # For N(mu, S): s = -S^{-1}(x - mu), div s = -tr S^{-1} and E||s||^2 = tr S^{-1}, so
    # J_SM(s) = E[0.5 ||s||^2 + div s] = -0.5 tr S^{-1} = -0.5 E||s||^2.
    mean = np.array([0.5, -1.0])
    cov = np.array([[1.0, 0.3], [0.3, 0.5]])
    precision = np.linalg.inv(cov)
    gaussian = rt.GaussianMixture([1.0], [mean], [cov])
    n = 40000
    X = gaussian.sample(n, rng)

    def score(X):
        return -(X - mean) @ precision

    value = rt.score_matching_loss(score, lambda X: np.full(len(X), -np.trace(precision)), X)
    np.testing.assert_allclose(score(X), gaussian.score(X), atol=1e-12)
    half_sq = 0.5 * np.sum(score(X) ** 2, axis=1)
    # Monte-Carlo error of the sample mean of 0.5 ||s||^2; allow 4 standard errors.
    assert abs(value - (-0.5 * np.trace(precision))) < 4 * half_sq.std() / np.sqrt(n)
    assert value == pytest.approx(np.mean(half_sq) - np.trace(precision), rel=1e-13)


# ------------------------------------------------------------------- bad inputs


def _identity(X):
    return X


def _ones(X):
    return np.ones(len(X))


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda X: rt.dae_loss(lambda Z: Z[:, :1], X, 0.1, noise=np.zeros(X.shape)),
         ValueError, "reconstruct"),
        (lambda X: rt.dae_loss(_identity, np.full_like(X, np.nan), 0.1, noise=np.zeros(X.shape)),
         ValueError, "X"),
        (lambda X: rt.dae_loss(_identity, X, 0.0, noise=np.zeros(X.shape)), ValueError, "sigma"),
        (lambda X: rt.dae_loss(_identity, X, -1.0, noise=np.zeros(X.shape)), ValueError, "sigma"),
        (lambda X: rt.dae_loss(_identity, X, 0.1, noise=np.zeros((3, 2))), ValueError, "noise"),
        (lambda X: rt.dae_loss(_identity, X, 0.1), ValueError, "rng"),
        (lambda X: rt.dae_loss("r", X, 0.1, noise=np.zeros(X.shape)), TypeError, "reconstruct"),
        (lambda X: rt.dae_loss(_identity, X[:, 0], 0.1, noise=np.zeros(X.shape)),
         ValueError, "X"),
        (lambda X: rt.rcae_loss(_identity, _ones, X, -0.1), ValueError, "lam"),
        (lambda X: rt.rcae_loss(_identity, lambda Z: np.ones((len(Z), 2)), X, 0.1),
         ValueError, "jacobian_sq_norm"),
        (lambda X: rt.rcae_loss(_identity, None, X, 0.1), TypeError, "jacobian_sq_norm"),
        (lambda X: rt.cae_loss(_identity, _ones, X, -1.0), ValueError, "lam"),
        (lambda X: rt.score_matching_loss(_identity, lambda Z: np.ones((len(Z), 1)), X),
         ValueError, "divergence"),
        (lambda X: rt.score_matching_loss(None, _ones, X), TypeError, "psi"),
    ],
)
def test_monte_carlo_losses_reject_bad_input(call, error, match, rng):
    X = rng.standard_normal((10, 2))
    with pytest.raises(error, match=match):
        call(X)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda p: rt.dae_loss_quadrature(_identity, p, 0.0, GRID), ValueError, "sigma"),
        (lambda p: rt.dae_loss_quadrature(_identity, p, 0.1, GRID[::-1]), ValueError, "grid"),
        (lambda p: rt.dae_loss_quadrature(_identity, p, 0.1, GRID, n_hermite=0),
         ValueError, "n_hermite"),
        (lambda p: rt.dae_loss_quadrature(lambda Z: Z[:, 0], p, 0.1, GRID),
         ValueError, "reconstruct"),
        (lambda p: rt.dae_loss_quadrature(_identity, "p", 0.1, GRID), TypeError, "density"),
        (lambda p: rt.dae_loss_quadrature(
            _identity, rt.GaussianMixture([1.0], [[0.0, 0.0]], [np.eye(2)]), 0.1, GRID),
         TypeError, r"density must be a 1-D density .* of dimension 2"),
        (lambda p: rt.rcae_loss_quadrature(_identity, _ones, p, -1.0, GRID), ValueError, "lam"),
        (lambda p: rt.rcae_loss_quadrature(_identity, 3, p, 0.1, GRID),
         TypeError, "jacobian_sq_norm"),
        (lambda p: rt.rcae_loss_quadrature(_identity, _ones, p, 0.1, [0.0, np.nan, 1.0]),
         ValueError, "grid"),
    ],
)
def test_quadrature_losses_reject_bad_input(call, error, match, gaussian_1d):
    with pytest.raises(error, match=match):
        call(gaussian_1d)
