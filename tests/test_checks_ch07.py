"""Chapter 7's checks: the chapter's objects, the checks and their negative controls."""

import dataclasses

import numpy as np
import pytest

import raetut as rt
from raetut.checks import ch07

ROTATION = np.array([[0.0, -1.0], [1.0, 0.0]])


def _rotated(jacobian):
    # The same Jacobian turned by 90 degrees: its leading eigenvector is the normal.
    return lambda X: ROTATION @ jacobian(X) @ ROTATION.T


def _scaled_identity(factor):
    return lambda X: np.broadcast_to(factor * np.eye(2), (X.shape[0], 2, 2)).copy()


def _optimum_jacobian(sigma=ch07.SIGMA):
    return rt.dae_optimum_jacobian(ch07.chapter_spiral(), sigma)


def _untrained():
    model = rt.Autoencoder(2, ch07.NET_HIDDEN, activation="tanh")
    params = model.init_params(np.random.default_rng(5))
    return lambda X: model.jacobian(params, X)


def _optimal(jacobian=None, sigma=ch07.SIGMA):
    return ch07.measure_optimal_tangents(sigma=sigma, jacobian=jacobian)


def _trained(jacobian):
    return ch07.measure_trained_tangents(jacobian)


def _net_jacobian(X):
    return ch07.train_spiral_dae().jacobian(X)


def _without_curvature_term():
    m = _optimal()
    return ch07.check_optimal_stretch_across(dataclasses.replace(m, across_predicted=m.across_flat))


NEGATIVE_CONTROLS = {
    "check_optimal_tangent_angle": [
        lambda: ch07.check_optimal_tangent_angle(_optimal(_rotated(_optimum_jacobian()))),
        lambda: ch07.check_optimal_tangent_angle(_optimal(_scaled_identity(1.0))),
        lambda: ch07.check_optimal_tangent_angle(_optimal(sigma=0.2)),
    ],
    "check_optimal_stretch_across": [
        _without_curvature_term,
        lambda: ch07.check_optimal_stretch_across(_optimal(_scaled_identity(1.0))),
        lambda: ch07.check_optimal_stretch_across(_optimal(_optimum_jacobian(0.8 * ch07.SIGMA))),
        lambda: ch07.check_optimal_stretch_across(_optimal(_rotated(_optimum_jacobian()))),
    ],
    "check_optimal_stretch_along": [
        lambda: ch07.check_optimal_stretch_along(_optimal(_rotated(_optimum_jacobian()))),
        lambda: ch07.check_optimal_stretch_along(_optimal(_scaled_identity(0.5))),
    ],
    "check_trained_tangent_median": [
        lambda: ch07.check_trained_tangent_median(_trained(_scaled_identity(1.0))),
        lambda: ch07.check_trained_tangent_median(_trained(_untrained())),
        lambda: ch07.check_trained_tangent_median(_trained(_rotated(_net_jacobian))),
    ],
    "check_trained_tangent_p90": [
        lambda: ch07.check_trained_tangent_p90(_trained(_scaled_identity(1.0))),
        lambda: ch07.check_trained_tangent_p90(_trained(_untrained())),
        lambda: ch07.check_trained_tangent_p90(_trained(_rotated(_net_jacobian))),
    ],
    "check_trained_stretch_along": [
        lambda: ch07.check_trained_stretch_along(_trained(_rotated(_net_jacobian))),
        lambda: ch07.check_trained_stretch_along(_trained(_untrained())),
        lambda: ch07.check_trained_stretch_along(_trained(_scaled_identity(0.5))),
    ],
    "check_trained_contrast": [
        lambda: ch07.check_trained_contrast(_trained(_scaled_identity(1.0))),
        lambda: ch07.check_trained_contrast(_trained(_untrained())),
        lambda: ch07.check_trained_contrast(_trained(_rotated(_net_jacobian))),
        lambda: ch07.check_trained_contrast(_trained(_scaled_identity(0.5))),
    ],
}


def test_registered_checks_pass_on_the_chapter_objects():
    for entry in rt.checks.registry(7):
        result = entry.function()
        assert result.passed, (entry.name, result)


def test_chapter_objects_are_cached_and_read_only():
    data = ch07.chapter_data()
    assert ch07.chapter_data() is data
    assert data.X_train.shape == data.X_test.shape == (1000, 2)
    with pytest.raises(ValueError):
        data.X_test[0, 0] = 0.0
    assert ch07.train_spiral_dae() is ch07.train_spiral_dae()


def test_curvature_prediction_against_the_flat_one():
    m = _optimal()
    w, s, k = m.width, m.sigma, m.kappa_median
    assert m.across_flat == pytest.approx(w**2 / (w**2 + s**2))
    assert m.across_predicted == pytest.approx(m.across_flat + (s * k) ** 2 / 2, rel=1e-6)
    # The measured stretch across is nearer the corrected prediction than the flat one.
    across = float(np.median(m.analysis.across))
    assert abs(across - m.across_predicted) < abs(across - m.across_flat) / 5


def test_rotation_control_swaps_along_and_across():
    m = _optimal()
    rotated = _optimal(_rotated(_optimum_jacobian()))
    np.testing.assert_allclose(rotated.analysis.along, m.analysis.across, atol=1e-12)
    assert np.median(rotated.analysis.angles) > 80


def test_jacobian_of_the_wrong_shape_is_rejected():
    with pytest.raises(ValueError, match="jacobian"):
        ch07.measure_optimal_tangents(jacobian=lambda X: np.zeros((X.shape[0], 2)))
    with pytest.raises(TypeError, match="OptimalTangents"):
        ch07.check_optimal_stretch_along(ch07.measure_trained_tangents())


def _landing(reconstruct=None, sigma=ch07.SIGMA):
    return ch07.measure_optimal_landing(sigma=sigma, reconstruct=reconstruct)


def _landing_predicted_as(curvature_sign):
    # The proposition's landing with the curvature term dropped (0) or reversed (+1).
    m = _landing()
    frame = ch07.curve_frame(np.asarray(ch07.chapter_data().X_test))
    w, sigma = ch07.chapter_spiral().width, m.sigma
    flat = frame.delta * w**2 / (w**2 + sigma**2)
    predicted = flat + curvature_sign * sigma**2 * frame.kappa / 2
    return ch07.check_optimal_landing(dataclasses.replace(m, predicted=predicted))


NEGATIVE_CONTROLS["check_optimal_landing"] = [
    lambda: _landing_predicted_as(0.0),
    lambda: _landing_predicted_as(+1.0),
    lambda: ch07.check_optimal_landing(_landing(lambda X: X)),
    lambda: ch07.check_optimal_landing(
        _landing(rt.dae_optimum(ch07.chapter_spiral(), 0.6 * ch07.SIGMA))),
]


def test_landing_prediction_matches_the_proposition():
    m = _landing()
    frame = ch07.curve_frame(np.asarray(ch07.chapter_data().X_test))
    w, sigma = ch07.chapter_spiral().width, m.sigma
    np.testing.assert_allclose(
        m.predicted, frame.delta * w**2 / (w**2 + sigma**2) - sigma**2 * frame.kappa / 2)
    # Points of the curve itself have delta = 0, and the normal points away from the
    # centre of curvature: a point moved toward the origin of a turn has delta < 0.
    t = np.array([6.0, 9.0, 12.0])
    on_curve = ch07.curve_frame(ch07.chapter_spiral().curve(t))
    np.testing.assert_allclose(on_curve.delta, 0.0, atol=1e-9)
    inside = ch07.curve_frame(ch07.chapter_spiral().curve(t) - 0.01 * on_curve.normal)
    assert np.all(inside.delta < 0)
    with pytest.raises(ValueError, match="X"):
        ch07.curve_frame(np.zeros((3, 3)))
