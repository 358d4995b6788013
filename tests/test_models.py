"""The one-hidden-layer auto-encoder: Jacobians, penalties, energy, parameters, errors."""

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import elementwise_grad, grad
from hypothesis import given, settings
from hypothesis import strategies as st

import raetut as rt

ALL_KINDS = [
    ("sigmoid", False),
    ("sigmoid", True),
    ("tanh", False),
    ("tanh", True),
]


def model_and_params(rng, dim=2, n_hidden=7, activation="tanh", tied=False):
    model = rt.Autoencoder(dim, n_hidden, activation=activation, tied=tied)
    return model, model.init_params(rng)


def central_difference_jacobian(f, X, h=1e-6):
    """(n, d, d) Jacobian of a row-wise map f: (n, d) -> (n, d), column by column."""
    n, d = X.shape
    columns = []
    for j in range(d):
        step = np.zeros(d)
        step[j] = h
        columns.append((f(X + step) - f(X - step)) / (2 * h))
    return np.stack(columns, axis=2)


def directional_derivative_error(f, params, rng, h=1e-6):
    """Relative gap between autograd's gradient and central differences along a random direction."""
    direction = rng.standard_normal(params.shape)
    analytic = float(np.dot(grad(f)(params), direction))
    numeric = (f(params + h * direction) - f(params - h * direction)) / (2 * h)
    return abs(analytic - numeric) / max(abs(numeric), 1e-12)


@pytest.mark.parametrize("activation, tied", ALL_KINDS)
def test_jacobian_matches_central_differences(rng, activation, tied):
    model, params = model_and_params(rng, dim=3, activation=activation, tied=tied)
    X = rng.standard_normal((6, 3))
    numeric = central_difference_jacobian(lambda Z: model.reconstruct(params, Z), X)
    # Central differences with h = 1e-6 are accurate to about 1e-9 here (h^2 f''' and
    # rounding eps / h); the analytic Jacobian must agree to that level.
    np.testing.assert_allclose(model.jacobian(params, X), numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("activation, tied", ALL_KINDS)
def test_plain_and_traced_reconstructions_agree(rng, activation, tied):
    # reconstruct has a NumPy path for plain arrays; under autograd it is traced.
    model, params = model_and_params(rng, dim=3, activation=activation, tied=tied)
    X = rng.standard_normal((6, 3))
    traced = []
    grad(lambda q: traced.append(model.reconstruct(q, X)._value) or 0.0 * anp.sum(q))(params)
    p = model.unpack(params)
    a = X @ p["W"].T + p["b"]
    h = np.tanh(a) if activation == "tanh" else 1.0 / (1.0 + np.exp(-a))
    by_hand = h @ p["V"] + p["c"]
    np.testing.assert_allclose(model.reconstruct(params, X), by_hand, rtol=1e-13)
    np.testing.assert_allclose(model.reconstruct(params, X), traced[0], rtol=1e-15, atol=1e-15)


@pytest.mark.parametrize("activation, tied", ALL_KINDS)
def test_jacobian_sq_norm_is_the_frobenius_norm_of_the_jacobian(rng, activation, tied):
    model, params = model_and_params(rng, dim=2, n_hidden=9, activation=activation, tied=tied)
    X = rng.standard_normal((10, 2))
    frobenius = np.sum(model.jacobian(params, X) ** 2, axis=(1, 2))
    for method in ("auto", "per_sample", "gram"):
        np.testing.assert_allclose(
            model.jacobian_sq_norm(params, X, method=method), frobenius, rtol=1e-12
        )


@settings(max_examples=25, deadline=None)
@given(
    dim=st.integers(1, 5),
    n_hidden=st.integers(1, 12),
    activation=st.sampled_from(["sigmoid", "tanh"]),
    tied=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_penalty_formulations_agree_for_any_size(dim, n_hidden, activation, tied, seed):
    rng = np.random.default_rng(seed)
    model, params = model_and_params(rng, dim, n_hidden, activation, tied)
    X = 2.0 * rng.standard_normal((4, dim))
    per_sample = model.jacobian_sq_norm(params, X, method="per_sample")
    gram = model.jacobian_sq_norm(params, X, method="gram")
    frobenius = np.sum(model.jacobian(params, X) ** 2, axis=(1, 2))
    scale = np.max(frobenius) + 1e-300
    assert np.max(np.abs(per_sample - frobenius)) <= 1e-12 * scale
    assert np.max(np.abs(gram - frobenius)) <= 1e-12 * scale


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_encoder_jacobian_sq_norm_matches_differences_of_the_encoder(rng, activation):
    model, params = model_and_params(rng, dim=2, n_hidden=5, activation=activation)
    X = rng.standard_normal((4, 2))
    h = 1e-6
    columns = [
        (model.encode(params, X + h * e) - model.encode(params, X - h * e)) / (2 * h)
        for e in np.eye(2)
    ]
    numeric = sum(np.sum(c**2, axis=1) for c in columns)
    np.testing.assert_allclose(model.encoder_jacobian_sq_norm(params, X), numeric, rtol=1e-7)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_tied_energy_gradient_is_the_reconstruction_field(rng, activation):
    model, params = model_and_params(rng, dim=2, n_hidden=6, activation=activation, tied=True)
    X = 3.0 * rng.standard_normal((8, 2))
    energy_gradient = elementwise_grad(lambda Z: anp.sum(model.energy(params, Z)))(X)
    np.testing.assert_allclose(
        energy_gradient, model.reconstruct(params, X) - X, rtol=1e-12, atol=1e-12
    )


def test_untied_field_has_curl_so_no_energy(rng):
    model, params = model_and_params(rng, dim=2, n_hidden=6, tied=False)
    J = model.jacobian(params, rng.standard_normal((5, 2)))
    curl = J[:, 1, 0] - J[:, 0, 1]
    assert np.all(np.abs(curl) > 1e-6)  # r(x) - x is not a gradient field
    with pytest.raises(ValueError, match="energy is defined only for tied weights"):
        model.energy(params, np.zeros((1, 2)))


def test_tied_jacobian_is_symmetric(rng):
    model, params = model_and_params(rng, dim=3, n_hidden=6, tied=True)
    J = model.jacobian(params, rng.standard_normal((5, 3)))
    np.testing.assert_allclose(J, np.swapaxes(J, 1, 2), atol=1e-14)


def test_energy_is_finite_far_away(rng):
    for activation in ("sigmoid", "tanh"):
        model, params = model_and_params(rng, dim=2, activation=activation, tied=True)
        X = np.array([[1e3, -1e3], [-1e4, 5e3]])
        assert np.all(np.isfinite(model.energy(params, X)))
        assert np.all(np.isfinite(model.reconstruct(params, X)))


@pytest.mark.parametrize("activation, tied", ALL_KINDS)
def test_penalty_gradients_match_finite_differences(rng, activation, tied):
    model, params = model_and_params(rng, dim=2, n_hidden=5, activation=activation, tied=tied)
    X = rng.standard_normal((7, 2))
    for penalty in (
        lambda p: anp.sum(model.jacobian_sq_norm(p, X, method="per_sample")),
        lambda p: anp.sum(model.jacobian_sq_norm(p, X, method="gram")),
        lambda p: anp.sum(model.encoder_jacobian_sq_norm(p, X)),
        lambda p: anp.sum(model.reconstruct(p, X) ** 2),
    ):
        assert directional_derivative_error(penalty, params, rng) < 1e-7


def test_unpack_layout_and_parameter_count(rng):
    untied = rt.Autoencoder(3, 4)
    tied = rt.Autoencoder(3, 4, tied=True)
    assert untied.n_params == 4 * 3 + 4 + 4 * 3 + 3
    assert tied.n_params == 4 * 3 + 4 + 3
    params = np.arange(untied.n_params, dtype=float)
    parts = untied.unpack(params)
    np.testing.assert_array_equal(parts["W"], np.arange(12.0).reshape(4, 3))
    np.testing.assert_array_equal(parts["b"], np.arange(12.0, 16.0))
    np.testing.assert_array_equal(parts["V"], np.arange(16.0, 28.0).reshape(4, 3))
    np.testing.assert_array_equal(parts["c"], np.arange(28.0, 31.0))
    tied_parts = tied.unpack(np.arange(tied.n_params, dtype=float))
    np.testing.assert_array_equal(tied_parts["V"], tied_parts["W"])
    mask = untied.weight_mask()
    assert mask.sum() == 24 and np.all(mask[12:16] == 0) and np.all(mask[-3:] == 0)


def test_init_params_is_reproducible_and_places_units_on_the_data(rng):
    X = rng.normal(5.0, 0.1, size=(50, 1))
    model = rt.Autoencoder(1, 8, activation="tanh")
    a = model.init_params(np.random.default_rng(3), X)
    b = model.init_params(np.random.default_rng(3), X)
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.float64 and a.shape == (model.n_params,)
    parts = model.unpack(a)
    preactivation = X @ parts["W"].T + parts["b"]  # (50, 8)
    # Each unit's transition w.x + b = 0 sits on one of the data points.
    assert np.all(np.min(np.abs(preactivation), axis=0) < 1e-12)
    # The output bias starts at the data mean.
    np.testing.assert_allclose(parts["c"], X.mean(axis=0))


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: rt.Autoencoder(0, 4), ValueError, "dim must be an integer >= 1"),
        (lambda: rt.Autoencoder(2, 2.5), TypeError, "n_hidden must be an integer"),
        (lambda: rt.Autoencoder(2, 4, activation="relu"), ValueError, "activation must be one of"),
        (lambda: rt.Autoencoder(2, 4, activation=None), TypeError, "activation must be a string"),
        (lambda: rt.Autoencoder(2, 4, tied="yes"), TypeError, "tied must be True or False"),
    ],
)
def test_bad_constructor_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize(
    "method_name, params, X, error, message",
    [
        ("reconstruct", np.zeros(5), np.zeros((2, 2)), ValueError, "params must be a flat vector"),
        ("reconstruct", None, np.zeros((2, 3)), ValueError, "X must have 2 column"),
        ("jacobian", None, np.zeros(2), ValueError, r"X must be a 2-D array"),
        ("encode", None, [[np.nan, 0.0]], ValueError, "X contains NaN"),
        ("jacobian_sq_norm", "nan", np.zeros((2, 2)), ValueError, "params contains NaN"),
        ("reconstruct", "text", np.zeros((2, 2)), TypeError, "params must be a numeric array"),
    ],
)
def test_bad_call_arguments(rng, method_name, params, X, error, message):
    model, good = model_and_params(rng, dim=2, n_hidden=4)
    if params is None:
        params = good
    elif isinstance(params, str) and params == "nan":
        params = good.copy()
        params[0] = np.nan
    with pytest.raises(error, match=message):
        getattr(model, method_name)(params, X)


def test_bad_penalty_method_and_rng(rng):
    model, params = model_and_params(rng)
    with pytest.raises(ValueError, match="method must be one of"):
        model.jacobian_sq_norm(params, np.zeros((1, 2)), method="fast")
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        model.init_params(0)
