"""Score errors of finite auto-encoders, Jacobian eigen-analysis and tangents (raetut.manifold)."""

import numpy as np
import pytest

import raetut as rt


@pytest.fixture
def grid():
    return np.linspace(-7.0, 7.0, 1401)


# ------------------------------------------------------------------ 1-D score errors


def test_score_error_of_the_score_is_zero_and_of_a_scaled_score_is_the_factor(mixture_1d, grid):
    s = mixture_1d.score(grid[:, None])
    assert rt.score_error_1d(s, mixture_1d, grid) == 0.0
    # The normalisation is the score itself, so a relative scaling error is measured exactly.
    assert rt.score_error_1d(1.3 * s, mixture_1d, grid) == pytest.approx(0.3, rel=1e-12)
    assert rt.score_error_1d(s[:, 0], mixture_1d, grid, reference=0.5 * s) == pytest.approx(
        0.5, rel=1e-12
    )


def test_score_error_ignores_where_there_is_no_data(mixture_1d, grid):
    s = mixture_1d.score(grid[:, None])[:, 0]
    p = mixture_1d.prob(grid[:, None])
    wrong_far = np.where(p < 1e-3 * p.max(), s + 100.0, s)
    assert rt.score_error_1d(wrong_far, mixture_1d, grid) == 0.0
    assert rt.score_error_1d(wrong_far, mixture_1d, grid, level=0.0) > 0.1


def test_score_error_rejects_bad_input(mixture_1d, grid, mixture_2d):
    with pytest.raises(ValueError, match="estimate"):
        rt.score_error_1d(np.zeros(5), mixture_1d, grid)
    with pytest.raises(ValueError, match="level"):
        rt.score_error_1d(np.zeros(grid.size), mixture_1d, grid, level=1.0)
    with pytest.raises(TypeError, match="1-D"):
        rt.score_error_1d(np.zeros(grid.size), mixture_2d, grid)
    with pytest.raises(ValueError, match="increasing"):
        rt.score_error_1d(np.zeros(grid.size), mixture_1d, grid[::-1])


def perturbed_optimum(density, sigma, amplitude=0.05):
    optimum = rt.dae_optimum(density, sigma)
    return lambda X: optimum(X) + amplitude * np.sin(2.0 * X)


def test_excess_loss_is_zero_at_the_optimum_and_equals_the_weighted_distance(mixture_1d, grid):
    sigma = 0.3
    assert abs(rt.excess_dae_loss_1d(rt.dae_optimum(mixture_1d, sigma), mixture_1d, sigma,
                                           grid)) < 1e-14
    r = perturbed_optimum(mixture_1d, sigma)
    excess = rt.excess_dae_loss_1d(r, mixture_1d, sigma, grid)
    distance = rt.smoothed_squared_error_1d(r, mixture_1d, sigma, grid)
    assert excess > 0
    assert excess == pytest.approx(distance, rel=1e-9)


def test_estimation_error_scale_counts_parameters_and_pairs(mixture_1d, grid):
    base = rt.dae_estimation_error_scale(mixture_1d, 0.3, 49, 1000, grid)
    assert rt.dae_estimation_error_scale(mixture_1d, 0.3, 49, 4000, grid) == pytest.approx(
        base / 2, rel=1e-12)
    assert rt.dae_estimation_error_scale(mixture_1d, 0.3, 196, 1000, grid) == pytest.approx(
        base * 2, rel=1e-12)
    # Roughly 1 / sigma for small sigma (the minimum loss is about sigma^2).
    small = rt.dae_estimation_error_scale(mixture_1d, 0.05, 49, 1000, grid)
    smaller = rt.dae_estimation_error_scale(mixture_1d, 0.025, 49, 1000, grid)
    assert smaller / small == pytest.approx(2.0, rel=0.02)
    with pytest.raises(ValueError, match="n_pairs"):
        rt.dae_estimation_error_scale(mixture_1d, 0.3, 49, 0, grid)


def test_empirical_optimum_is_the_posterior_mean_over_the_sample(rng):
    X = rng.standard_normal((5, 1))
    sigma = 0.4
    r = rt.empirical_dae_optimum(X, sigma)
    Z = np.linspace(-3, 3, 13)[:, None]
    logw = -((Z - X.T) ** 2) / (2 * sigma**2)
    w = np.exp(logw - logw.max(axis=1, keepdims=True))
    expected = (w @ X) / w.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(r(Z), expected, rtol=1e-12, atol=1e-12)
    # One training point: everything is sent to it.
    np.testing.assert_allclose(rt.empirical_dae_optimum([[0.7, -1.0]], 0.2)(Z.repeat(2, 1)),
                               np.tile([0.7, -1.0], (13, 1)), atol=1e-12)


def test_far_from_data_and_far_field_error():
    X = np.array([[0.0], [1.0]])
    points = np.array([[-3.0], [0.5], [1.5], [4.0]])
    far = rt.far_from_data(points, X, 1.0)
    np.testing.assert_array_equal(far, [True, False, False, True])
    reference = np.array([[1.0], [2.0], [2.0], [-1.0]])
    estimate = np.array([[2.0], [0.0], [0.0], [-1.0]])
    assert rt.far_field_error(estimate, reference, points, X, 1.0) == pytest.approx(
        np.sqrt(1.0 / 2.0))
    with pytest.raises(ValueError, match="margin"):
        rt.far_field_error(estimate, reference, points, X, 10.0)
    np.testing.assert_allclose(rt.relative_errors(estimate, reference), [1, 1, 1, 0])
    with pytest.raises(ValueError, match="vanishes"):
        rt.relative_errors(estimate, np.zeros((4, 1)))


def test_attractors_and_repellers():
    def r(X):
        return X - 0.1 * np.sin(3 * X)

    attractors, repellers = rt.attractors_1d(r, -2.0, 2.0, return_repellers=True)
    np.testing.assert_allclose(attractors, [0.0], atol=1e-10)
    np.testing.assert_allclose(repellers, [-np.pi / 3, np.pi / 3], atol=1e-10)
    assert rt.attractors_1d(r, 0.5, 2.0).size == 0
    with pytest.raises(ValueError, match="upper"):
        rt.attractors_1d(r, 1.0, 0.0)


# ---------------------------------------------------------------- Jacobians, tangents


def test_optimum_jacobian_matches_finite_differences(mixture_2d, rng):
    X = mixture_2d.sample(20, rng)
    for sigma in (0.1, 0.5):
        exact = rt.dae_optimum_jacobian(mixture_2d, sigma)(X)
        numeric = rt.finite_difference_jacobian(rt.dae_optimum(mixture_2d, sigma), X,
                                                      step=1e-5)
        np.testing.assert_allclose(numeric, exact, atol=1e-7)
        np.testing.assert_allclose(exact, np.swapaxes(exact, 1, 2), atol=1e-14)


def test_finite_difference_jacobian_of_a_linear_map(rng):
    A = rng.standard_normal((3, 3))
    J = rt.finite_difference_jacobian(lambda X: X @ A.T, rng.standard_normal((4, 3)))
    np.testing.assert_allclose(J, np.broadcast_to(A, (4, 3, 3)), atol=1e-9)
    with pytest.raises(ValueError, match="reconstruct"):
        rt.finite_difference_jacobian(lambda X: X[:, :1], np.zeros((2, 3)))


def test_jacobian_eigen_orders_values_and_flags_complex_pairs():
    J = np.array([np.diag([0.1, 1.0]), [[0.0, -1.0], [1.0, 0.0]]])
    values, vectors, is_complex = rt.jacobian_eigen(J)
    np.testing.assert_allclose(values[0], [1.0, 0.1])
    np.testing.assert_allclose(np.abs(vectors[0, :, 0]), [0.0, 1.0], atol=1e-15)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0)
    np.testing.assert_array_equal(is_complex, [False, True])
    with pytest.raises(ValueError, match="J"):
        rt.jacobian_eigen(np.zeros((2, 2, 3)))


def test_tangent_angles_ignore_orientation():
    v = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 2.0], [-1.0, 0.0]])
    t = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
    np.testing.assert_allclose(rt.tangent_angles(v, t), [0.0, 45.0, 90.0, 0.0], atol=1e-12)
    with pytest.raises(ValueError, match="non-zero"):
        rt.tangent_angles(np.zeros((1, 2)), t[:1])


def test_tangent_analysis_of_a_projection_like_jacobian(rng):
    angles = rng.uniform(0, np.pi, 50)
    t = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    n = np.stack([-t[:, 1], t[:, 0]], axis=1)
    J = 0.98 * t[:, :, None] * t[:, None, :] + 0.1 * n[:, :, None] * n[:, None, :]
    analysis = rt.tangent_analysis(J, 3.0 * t)
    np.testing.assert_allclose(analysis.angles, 0.0, atol=1e-6)
    np.testing.assert_allclose(analysis.along, 0.98)
    np.testing.assert_allclose(analysis.across, 0.1)
    summary = analysis.summary()
    assert summary["angle_p90"] < 1e-6 and summary["complex_fraction"] == 0.0
    rotated = rt.tangent_analysis(J, n)
    np.testing.assert_allclose(rotated.angles, 90.0, atol=1e-6)


def test_tangent_analysis_in_three_dimensions():
    J = np.diag([1.0, 0.2, 0.4])[None]
    analysis = rt.tangent_analysis(J, np.array([[1.0, 0.0, 0.0]]))
    assert analysis.along[0] == pytest.approx(1.0)
    assert analysis.across[0] == pytest.approx(0.3)


def test_spiral_curvature_and_component_turn(spiral):
    t = np.linspace(spiral.t_min, spiral.t_max, 7)
    exact = (t**2 + 2) / (spiral.a * (1 + t**2) ** 1.5)
    np.testing.assert_allclose(rt.curvature(spiral, t), exact, rtol=1e-6)
    dt = (spiral.t_max - spiral.t_min) / spiral.n_components
    turn = rt.component_turn_angle(spiral)
    # The tangent turns by kappa * ds = (t^2 + 2) / (1 + t^2) dt between neighbours.
    assert turn == pytest.approx(np.degrees(dt * (1 + 1 / (1 + spiral.t_min**2))) / 2, rel=0.05)
    with pytest.raises(TypeError, match="SpiralMixture"):
        rt.component_turn_angle(rt.GaussianMixture([1.0], [[0.0, 0.0]], [np.eye(2)]))


def test_exact_optimum_follows_the_spiral(spiral, rng):
    X = spiral.sample(300, rng)
    sigma = 0.03
    analysis = rt.tangent_analysis(rt.dae_optimum_jacobian(spiral, sigma)(X),
                                         spiral.tangent_at(X))
    assert np.percentile(analysis.angles, 90) < rt.component_turn_angle(spiral)
    w2 = spiral.width**2
    assert np.median(analysis.across) == pytest.approx(w2 / (w2 + sigma**2), abs=0.02)
    assert np.median(analysis.along) > 0.95


def test_pointing_fraction():
    field = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [1.0, 1.0]])
    assert rt.pointing_fraction(field, np.tile([1.0, 0.0], (4, 1))) == 0.5
    with pytest.raises(ValueError, match="directions"):
        rt.pointing_fraction(field, np.ones((3, 2)))
