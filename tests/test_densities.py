"""Tests of raetut.densities: exact derivatives, far-field stability, sampling, smoothing."""

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad, hessian, jacobian
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

import raetut as rt

# -- random mixtures -------------------------------------------------------------------------


@st.composite
def mixtures(draw, max_dim=3, max_components=3):
    """Mixtures with well-conditioned SPD covariances (A A^T + 0.2 I, A entries in [-1, 1])."""
    d = draw(st.integers(1, max_dim))
    K = draw(st.integers(1, max_components))
    unit = st.floats(-1.0, 1.0, allow_nan=False)
    raw = np.array(draw(st.lists(st.floats(0.1, 1.0), min_size=K, max_size=K)))
    means = np.array(draw(st.lists(st.floats(-2.0, 2.0), min_size=K * d, max_size=K * d)))
    A = np.array(draw(st.lists(unit, min_size=K * d * d, max_size=K * d * d))).reshape(K, d, d)
    cov = A @ np.swapaxes(A, 1, 2) + 0.2 * np.eye(d)
    return rt.GaussianMixture(raw / raw.sum(), means.reshape(K, d), cov)


def _points(gm, seed, n=3):
    """Points around the mixture's components (up to ~2 standard deviations away)."""
    r = np.random.default_rng(seed)
    k = r.integers(gm.n_components, size=n)
    return gm.means[k] + r.normal(scale=1.5, size=(n, gm.dim))


def _log_p(gm):
    return lambda x: gm.log_prob(x[None, :])[0]


@settings(max_examples=15, deadline=None)
@given(gm=mixtures(), seed=st.integers(0, 2**32 - 1))
def test_derivatives_match_autograd(gm, seed):
    X = _points(gm, seed)
    f = _log_p(gm)
    third = jacobian(hessian(f))
    S, H, L = gm.score(X), gm.hessian_log_prob(X), gm.laplacian_score(X)
    for i, x in enumerate(X):
        np.testing.assert_allclose(S[i], grad(f)(x), rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(H[i], hessian(f)(x), rtol=1e-9, atol=1e-9)
        # (Delta s)_i = sum_j d^3 log p / dx_i dx_j dx_j
        np.testing.assert_allclose(L[i], np.einsum("ijj->i", third(x)), rtol=1e-8, atol=1e-8)


@settings(max_examples=25, deadline=None)
@given(gm=mixtures(), seed=st.integers(0, 2**32 - 1))
def test_derivatives_match_central_differences(gm, seed):
    X = _points(gm, seed)
    d, h = gm.dim, 1e-5
    E = np.eye(d) * h
    # Central differences: truncation error ~ h^2 |f'''| ~ 1e-10, rounding ~ eps |f| / h ~ 1e-10.
    fd_score = np.stack(
        [(gm.log_prob(X + E[j]) - gm.log_prob(X - E[j])) / (2 * h) for j in range(d)], axis=1
    )
    np.testing.assert_allclose(gm.score(X), fd_score, rtol=1e-6, atol=1e-6)
    fd_hess = np.stack([(gm.score(X + E[j]) - gm.score(X - E[j])) / (2 * h) for j in range(d)], 2)
    np.testing.assert_allclose(gm.hessian_log_prob(X), fd_hess, rtol=1e-6, atol=1e-6)
    # (Delta s)_i = sum_j d/dx_j H_ij
    fd_lap = sum(
        (gm.hessian_log_prob(X + E[j])[:, :, j] - gm.hessian_log_prob(X - E[j])[:, :, j]) / (2 * h)
        for j in range(d)
    )
    np.testing.assert_allclose(gm.laplacian_score(X), fd_lap, rtol=1e-5, atol=1e-5)


@settings(max_examples=15, deadline=None)
@given(gm=mixtures(), seed=st.integers(0, 2**32 - 1))
def test_hessian_symmetric_and_responsibilities_normalised(gm, seed):
    X = _points(gm, seed)
    H = gm.hessian_log_prob(X)
    np.testing.assert_allclose(H, np.swapaxes(H, 1, 2), atol=1e-12)
    gamma = gm.component_responsibilities(X)
    assert gamma.shape == (X.shape[0], gm.n_components)
    np.testing.assert_allclose(gamma.sum(axis=1), 1.0, rtol=1e-12)


def test_single_gaussian_closed_forms():
    mean, cov = np.array([0.5, -1.0]), np.array([[2.0, 0.6], [0.6, 1.0]])
    gm = rt.GaussianMixture([1.0], mean[None], cov[None])
    X = np.random.default_rng(1).normal(size=(6, 2))
    P = np.linalg.inv(cov)
    np.testing.assert_allclose(gm.score(X), -(X - mean) @ P, rtol=1e-12)
    np.testing.assert_allclose(gm.hessian_log_prob(X), np.broadcast_to(-P, (6, 2, 2)), rtol=1e-12)
    np.testing.assert_allclose(gm.laplacian_score(X), 0.0, atol=1e-12)
    expected = stats.multivariate_normal(mean, cov).logpdf(X)
    np.testing.assert_allclose(gm.log_prob(X), expected, rtol=1e-12)


def test_far_from_data_is_finite_and_follows_dominant_component(mixture_2d):
    directions = np.array([[1.0, 0.0], [0.0, -1.0], [-0.6, 0.8], [0.8, 0.6]])
    X = 1e3 * directions
    log_p = mixture_2d.log_prob(X)
    S = mixture_2d.score(X)
    assert np.all(np.isfinite(log_p)) and np.all(np.isfinite(S))
    assert np.all(np.isfinite(mixture_2d.hessian_log_prob(X)))
    assert np.all(np.isfinite(mixture_2d.laplacian_score(X)))
    # The component with the largest w_k N_k(x) carries all the responsibility out there.
    log_terms = np.stack(
        [
            np.log(w) + stats.multivariate_normal(m, c).logpdf(X)
            for w, m, c in zip(
                mixture_2d.weights, mixture_2d.means, mixture_2d.covariances, strict=True
            )
        ],
        axis=1,
    )
    k = np.argmax(log_terms, axis=1)
    P = np.linalg.inv(mixture_2d.covariances[k])
    dominant = -np.einsum("nij,nj->ni", P, X - mixture_2d.means[k])
    np.testing.assert_allclose(S, dominant, rtol=1e-9)
    np.testing.assert_allclose(log_p, log_terms.max(axis=1), rtol=1e-9)


def test_log_prob_matches_scipy_in_3d(rng):
    covs = np.array([np.eye(3) * 0.5, [[1.0, 0.2, 0.0], [0.2, 1.0, 0.3], [0.0, 0.3, 1.0]]])
    gm = rt.GaussianMixture([0.25, 0.75], [[0, 0, 0], [1, -1, 2]], covs)
    X = rng.normal(size=(5, 3))
    expected = np.log(
        0.25 * stats.multivariate_normal([0, 0, 0], covs[0]).pdf(X)
        + 0.75 * stats.multivariate_normal([1, -1, 2], covs[1]).pdf(X)
    )
    np.testing.assert_allclose(gm.log_prob(X), expected, rtol=1e-12)
    np.testing.assert_allclose(gm.prob(X), np.exp(expected), rtol=1e-12)


def test_one_dimensional_shorthand_equals_full_form(mixture_1d):
    full = rt.GaussianMixture(
        mixture_1d.weights, mixture_1d.means.reshape(3, 1), mixture_1d.covariances
    )
    X = np.linspace(-4, 4, 9)[:, None]
    assert mixture_1d.dim == 1 and mixture_1d.covariances.shape == (3, 1, 1)
    np.testing.assert_array_equal(full.log_prob(X), mixture_1d.log_prob(X))


def test_zero_weight_component_is_ignored(mixture_1d):
    padded = rt.GaussianMixture([0.3, 0.5, 0.2, 0.0], [-2.0, 0.5, 2.5, 40.0], [0.4, 0.6, 0.3, 1.0])
    X = np.array([[-3.0], [0.0], [40.0], [1e3]])
    np.testing.assert_allclose(padded.log_prob(X), mixture_1d.log_prob(X), rtol=1e-14)
    np.testing.assert_allclose(padded.score(X), mixture_1d.score(X), rtol=1e-14)
    assert np.all(padded.component_responsibilities(X)[:, 3] == 0)
    assert np.all(padded.sample(500, np.random.default_rng(0)) < 20)


def test_sample_moments_match_mixture(mixture_2d, rng):
    n = 40_000
    X = mixture_2d.sample(n, rng)
    assert X.shape == (n, 2)
    # Tolerances are 5 standard errors estimated from the sample itself: the mean's
    # error has std sqrt(var / n), a covariance entry's error std(product) / sqrt(n).
    centred = X - X.mean(axis=0)
    mean_tol = 5 * X.std(axis=0) / np.sqrt(n)
    np.testing.assert_array_less(np.abs(X.mean(axis=0) - mixture_2d.overall_mean), mean_tol)
    products = centred[:, :, None] * centred[:, None, :]
    cov_tol = 5 * products.std(axis=0) / np.sqrt(n)
    np.testing.assert_array_less(
        np.abs(products.mean(axis=0) - mixture_2d.overall_covariance), cov_tol
    )
    # Component frequencies: binomial standard error.
    k = np.argmax(mixture_2d.component_responsibilities(X), axis=1)
    share = np.mean(k == 0)
    assert abs(share - 0.6) < 5 * np.sqrt(0.6 * 0.4 / n) + 0.02  # + misassigned overlap


def test_sample_is_reproducible(mixture_1d):
    a = mixture_1d.sample(10, np.random.default_rng(3))
    b = mixture_1d.sample(10, np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)
    assert a.shape == (10, 1)


def test_smoothed_equals_convolution(mixture_1d):
    sigma = 0.7
    smooth = mixture_1d.smoothed(sigma)
    for x in (-3.0, -0.4, 0.9, 4.0):

        def integrand(y, x=x):
            return mixture_1d.prob(np.array([[y]]))[0] * stats.norm.pdf(x - y, scale=sigma)

        value, _ = integrate.quad(integrand, -15, 15, points=[-2.0, 0.5, 2.5], epsabs=1e-14)
        np.testing.assert_allclose(smooth.log_prob(np.array([[x]]))[0], np.log(value), rtol=1e-9)
    assert type(smooth) is rt.GaussianMixture
    np.testing.assert_allclose(smooth.covariances[:, 0, 0], mixture_1d.covariances[:, 0, 0] + 0.49)


def test_score_is_differentiable_with_autograd(mixture_2d):
    x = np.array([0.3, -0.2])
    J = jacobian(lambda v: mixture_2d.score(anp.reshape(v, (1, 2)))[0])(x)
    np.testing.assert_allclose(J, mixture_2d.hessian_log_prob(x[None])[0], rtol=1e-10)


# -- critical points -----------------------------------------------------------------------


def test_critical_points_of_symmetric_mixture():
    gm = rt.GaussianMixture([0.5, 0.5], [-2.0, 2.0], [1.0, 1.0])
    modes, antimodes = rt.critical_points_1d(gm, -5, 5, n_grid=1000)
    np.testing.assert_allclose(antimodes, [0.0], atol=1e-12)
    assert modes.shape == (2,)
    np.testing.assert_allclose(modes[0], -modes[1], atol=1e-10)
    # x = 2 tanh(2 x) at a mode of this mixture
    np.testing.assert_allclose(modes[1], 2 * np.tanh(2 * modes[1]), atol=1e-10)
    np.testing.assert_allclose(gm.score(modes[:, None]), 0.0, atol=1e-10)


def test_critical_points_of_paper_density(paper_density):
    modes, antimodes = rt.critical_points_1d(paper_density, -1.5, 1.5)
    # Two modes and one antimode: the factor centred at -1 leaves only a shoulder.
    assert modes.shape == (2,) and antimodes.shape == (1,)
    assert modes[0] < antimodes[0] < modes[1]
    np.testing.assert_allclose(modes, [0.0032, 0.9454], atol=1e-3)
    np.testing.assert_allclose(antimodes, [0.5993], atol=1e-3)
    H = paper_density.hessian_log_prob(np.concatenate([modes, antimodes])[:, None])[:, 0, 0]
    assert np.all(H[:2] < 0) and H[2] > 0


# -- Density1D ------------------------------------------------------------------------------


def _mixture_log_p(x):
    """Unnormalised log-density of 0.3 N(-2, 0.4) + 0.5 N(0.5, 0.6) + 0.2 N(2.5, 0.3), times 7."""
    terms = [(0.3, -2.0, 0.4), (0.5, 0.5, 0.6), (0.2, 2.5, 0.3)]
    return np.log(7.0) + anp.log(
        sum(w / anp.sqrt(2 * np.pi * v) * anp.exp(-((x - m) ** 2) / (2 * v)) for w, m, v in terms)
    )


def test_density1d_matches_mixture(mixture_1d):
    dens = rt.Density1D(_mixture_log_p, -8.0, 8.0)
    X = np.linspace(-4, 4, 17)[:, None]
    np.testing.assert_allclose(dens.log_normalizer, np.log(7.0), rtol=1e-10)
    np.testing.assert_allclose(dens.log_prob(X), mixture_1d.log_prob(X), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(dens.score(X), mixture_1d.score(X), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(
        dens.hessian_log_prob(X), mixture_1d.hessian_log_prob(X), rtol=1e-8, atol=1e-8
    )
    np.testing.assert_allclose(
        dens.laplacian_score(X), mixture_1d.laplacian_score(X), rtol=1e-7, atol=1e-7
    )


def test_paper_density_is_normalised(paper_density):
    total, _ = integrate.quad(lambda x: paper_density.prob(np.array([[x]]))[0], -1.5, 1.5)
    np.testing.assert_allclose(total, 1.0, rtol=1e-9)


def test_density1d_samples_follow_the_density(paper_density, rng):
    X = paper_density.sample(5000, rng)
    assert X.shape == (5000, 1) and X.min() >= -1.5 and X.max() <= 1.5

    def cdf(x):
        return np.array(
            [
                integrate.quad(lambda t: paper_density.prob(np.array([[t]]))[0], -1.5, v)[0]
                for v in np.atleast_1d(x)
            ]
        )

    grid = np.linspace(-1.5, 1.5, 301)
    table = cdf(grid)
    result = stats.kstest(X[:, 0], lambda x: np.interp(x, grid, table))
    assert result.pvalue > 1e-3


# -- the spiral -----------------------------------------------------------------------------


def test_spiral_means_lie_on_the_curve(spiral):
    np.testing.assert_allclose(spiral.means, spiral.curve(spiral.t_components), atol=1e-15)
    assert spiral.dim == 2 and spiral.n_components == 150
    np.testing.assert_allclose(spiral.distance_to_curve(spiral.means), 0.0, atol=1e-9)


def test_spiral_tangent_is_unit_derivative(spiral):
    t = np.linspace(3.0, 15.0, 25)
    h = 1e-6
    fd = (spiral.curve(t + h) - spiral.curve(t - h)) / (2 * h)
    np.testing.assert_allclose(
        spiral.tangent(t), fd / np.linalg.norm(fd, axis=1, keepdims=True), atol=1e-8
    )


def test_nearest_curve_parameter_recovers_offsets(spiral, rng):
    t = rng.uniform(3.2, 14.8, size=200)
    T = spiral.tangent(t)
    normal = np.stack([-T[:, 1], T[:, 0]], axis=1)
    offset = rng.uniform(-0.03, 0.03, size=200)
    X = spiral.curve(t) + offset[:, None] * normal
    np.testing.assert_allclose(spiral.nearest_curve_parameter(X), t, atol=1e-7)
    np.testing.assert_allclose(spiral.tangent_at(X), T, atol=1e-7)
    np.testing.assert_allclose(spiral.distance_to_curve(X), np.abs(offset), atol=1e-9)


def test_spiral_score_points_back_to_the_curve(spiral):
    t = np.linspace(4.0, 14.0, 50)
    T = spiral.tangent(t)
    normal = np.stack([-T[:, 1], T[:, 0]], axis=1)
    for side in (1.0, -1.0):
        X = spiral.curve(t) + side * 2 * spiral.width * normal
        across = np.sum(spiral.score(X) * normal, axis=1)
        assert np.all(side * across < 0)


def test_spiral_samples_stay_near_the_curve(spiral, rng):
    X = spiral.sample(3000, rng)
    dist = spiral.distance_to_curve(X)
    # Across the curve the spread is width = 0.01: nearly all within 4 widths.
    assert np.mean(dist < 4 * spiral.width) > 0.995
    assert np.median(dist) < spiral.width


def test_spiral_arc_spacing():
    sp = rt.spiral_mixture(n_components=40, spacing="arc")
    t = sp.t_components

    def speed(u, h=1e-6):
        return np.linalg.norm(sp.curve(u + h) - sp.curve(u - h)) / (2 * h)

    pairs = zip(t[:-1], t[1:], strict=True)
    arcs = np.array([integrate.quad(speed, lo, hi)[0] for lo, hi in pairs])
    total = integrate.quad(speed, 3.0, 15.0, limit=200)[0]
    np.testing.assert_allclose(arcs, total / 40, rtol=1e-4)


# -- bad inputs --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"weights": [-0.2, 1.2]}, ValueError, "weights must be >= 0"),
        ({"weights": [0.5, 0.4]}, ValueError, "weights must sum to 1"),
        ({"weights": [0.5, np.nan]}, ValueError, "weights contains NaN"),
        ({"means": [[0.0, np.nan], [1.0, 1.0]]}, ValueError, "means contains NaN"),
        ({"means": [[0.0, 0.0]]}, ValueError, "means must have one row per weight"),
        ({"covariances": np.stack([np.eye(2)] * 3)}, ValueError, "covariances must have shape"),
        (
            {"covariances": np.array([np.eye(2), [[1.0, 0.5], [0.0, 1.0]]])},
            ValueError,
            r"covariances\[1\] is not symmetric",
        ),
        (
            {"covariances": np.array([np.eye(2), [[1.0, 2.0], [2.0, 1.0]]])},
            ValueError,
            r"covariances\[1\] is not positive definite",
        ),
        ({"weights": "abc"}, TypeError, "weights must be a numeric array"),
    ],
)
def test_mixture_rejects_bad_parameters(kwargs, error, match):
    params = {"weights": [0.5, 0.5], "means": [[0.0, 0.0], [1.0, 1.0]], "covariances": None}
    params["covariances"] = np.stack([np.eye(2)] * 2)
    params.update(kwargs)
    with pytest.raises(error, match=match):
        rt.GaussianMixture(**params)


def test_methods_reject_bad_points(mixture_2d, spiral):
    with pytest.raises(ValueError, match="X must have 2 column"):
        mixture_2d.score(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="X must be a 2-D array"):
        mixture_2d.log_prob(np.zeros(2))
    with pytest.raises(ValueError, match="X contains NaN"):
        mixture_2d.hessian_log_prob(np.array([[0.0, np.nan]]))
    with pytest.raises(ValueError, match="X must have 2 column"):
        spiral.nearest_curve_parameter(np.zeros((2, 1)))


def test_sample_and_smoothed_reject_bad_arguments(mixture_1d):
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        mixture_1d.sample(0, np.random.default_rng(0))
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        mixture_1d.sample(5, 0)
    with pytest.raises(ValueError, match="sigma must be a finite number > 0"):
        mixture_1d.smoothed(0.0)


def test_density1d_rejects_bad_arguments():
    with pytest.raises(TypeError, match="log_p must be callable"):
        rt.Density1D(3.0, -1, 1)
    with pytest.raises(ValueError, match="upper must be > lower"):
        rt.Density1D(lambda x: -(x**2), 1.0, -1.0)
    with pytest.raises(ValueError, match=r"log_p\(x\) must return shape"):
        rt.Density1D(lambda x: anp.sum(x), -1.0, 1.0)
    with pytest.raises(ValueError, match=r"log_p returned a non-finite value \(nan\)"):
        rt.Density1D(lambda x: x + np.nan, -1.0, 1.0)


def test_spiral_and_critical_points_reject_bad_arguments(mixture_2d):
    with pytest.raises(ValueError, match="spacing must be one of"):
        rt.spiral_mixture(spacing="radius")
    with pytest.raises(ValueError, match="t_max must be > t_min"):
        rt.spiral_mixture(t_min=5.0, t_max=4.0)
    with pytest.raises(ValueError, match="width must be a finite number > 0"):
        rt.spiral_mixture(width=-0.01)
    with pytest.raises(TypeError, match="density must be a 1-D density"):
        rt.critical_points_1d(mixture_2d, -1, 1)
