"""Fitting auto-encoders: objectives, gradients, optimisers, reproducibility, what is learned."""

import numpy as np
import pytest
from autograd import grad

import raetut as rt


@pytest.fixture
def data_2d(rng):
    return rng.standard_normal((200, 2)) * [1.0, 0.5]


def directional_derivative_error(f, params, rng, h=1e-6):
    direction = rng.standard_normal(params.shape)
    analytic = float(np.dot(grad(f)(params), direction))
    numeric = (f(params + h * direction) - f(params - h * direction)) / (2 * h)
    return abs(analytic - numeric) / max(abs(numeric), 1e-12)


@pytest.mark.parametrize(
    "criterion, kwargs",
    [
        ("dae", {"sigma": 0.3}),
        ("rcae", {"lam": 0.1}),
        ("cae", {"lam": 0.1}),
        ("rcae", {"lam": 0.05, "weight_decay": 0.01}),
    ],
)
@pytest.mark.parametrize("activation, tied", [("sigmoid", False), ("tanh", True)])
def test_objective_gradients_match_finite_differences(
    rng, data_2d, criterion, kwargs, activation, tied
):
    model = rt.Autoencoder(2, 6, activation=activation, tied=tied)
    params = model.init_params(rng, data_2d)
    objective = rt.make_objective(model, criterion, **kwargs)
    noise = rng.standard_normal((2,) + data_2d.shape)
    error = directional_derivative_error(lambda p: objective(p, data_2d, noise), params, rng)
    assert error < 1e-6


def test_objective_is_the_criterion_of_raetut_criteria(rng, data_2d):
    model = rt.Autoencoder(2, 5)
    params = model.init_params(rng)
    noise = rng.standard_normal(data_2d.shape)
    objective = rt.make_objective(model, "dae", sigma=0.2)
    expected = rt.dae_loss(lambda Z: model.reconstruct(params, Z), data_2d, 0.2, noise=noise)
    assert objective(params, data_2d, noise) == expected
    objective = rt.make_objective(model, "rcae", lam=0.3, weight_decay=0.1)
    expected = rt.rcae_loss(
        lambda Z: model.reconstruct(params, Z),
        lambda Z: model.jacobian_sq_norm(params, Z),
        data_2d,
        0.3,
    ) + 0.1 * np.sum((params * model.weight_mask()) ** 2)
    np.testing.assert_allclose(objective(params, data_2d), expected, rtol=1e-14)
    np.testing.assert_allclose(objective(params, data_2d.tolist()), expected, rtol=1e-14)
    objective = rt.make_objective(model, "cae", lam=0.3)
    expected = rt.cae_loss(
        lambda Z: model.reconstruct(params, Z),
        lambda Z: model.encoder_jacobian_sq_norm(params, Z),
        data_2d,
        0.3,
    )
    np.testing.assert_allclose(objective(params, data_2d), expected, rtol=1e-14)


@pytest.mark.parametrize(
    "criterion, kwargs",
    [
        ("dae", {"sigma": 0.3, "optimizer": "lbfgs", "n_iter": 40}),
        ("dae", {"sigma": 0.3, "optimizer": "adam", "n_iter": 60, "noise": "resample"}),
        ("rcae", {"lam": 0.1, "optimizer": "lbfgs", "n_iter": 40}),
        ("cae", {"lam": 0.1, "optimizer": "adam", "n_iter": 60, "batch_size": 50}),
    ],
)
def test_training_lowers_the_loss(rng, data_2d, criterion, kwargs):
    model = rt.Autoencoder(2, 8, activation="tanh")
    params0 = model.init_params(rng, data_2d)
    result = rt.fit(
        model, data_2d, criterion=criterion, rng=rng, params0=params0, progress=False, **kwargs
    )
    sigma, lam = kwargs.get("sigma"), kwargs.get("lam")
    objective = rt.make_objective(model, criterion, sigma=sigma, lam=lam)
    noise = rng.standard_normal((4,) + data_2d.shape)  # fresh corruptions: not the training ones
    before = objective(params0, data_2d, noise)
    after = objective(result.params, data_2d, noise)
    assert after < 0.5 * before
    assert result.loss_history[-1] < result.loss_history[0]
    assert result.optimizer == kwargs["optimizer"]
    assert 0 < result.n_iter <= kwargs["n_iter"]


def test_lbfgs_history_records_every_iteration(rng, data_2d):
    model = rt.Autoencoder(2, 4)
    result = rt.fit(model, data_2d, sigma=0.5, rng=rng, n_iter=15, progress=False)
    assert result.loss_history.shape == (result.n_iter + 1,)
    assert np.all(np.diff(result.loss_history) <= 0)  # L-BFGS only accepts decreases
    assert isinstance(result.message, str) and result.message


@pytest.mark.parametrize(
    "kwargs",
    [
        {"optimizer": "lbfgs", "n_iter": 20},
        {"optimizer": "adam", "n_iter": 30, "noise": "resample", "batch_size": 64, "n_noise": 2},
    ],
)
def test_same_seed_gives_bit_identical_parameters(data_2d, kwargs):
    model = rt.Autoencoder(2, 5, activation="tanh")
    runs = [
        rt.fit(model, data_2d, sigma=0.3, rng=np.random.default_rng(7), progress=False, **kwargs)
        for _ in range(2)
    ]
    np.testing.assert_array_equal(runs[0].params, runs[1].params)
    np.testing.assert_array_equal(runs[0].loss_history, runs[1].loss_history)
    other_rng = np.random.default_rng(8)
    other = rt.fit(model, data_2d, sigma=0.3, rng=other_rng, progress=False, **kwargs)
    assert not np.array_equal(other.params, runs[0].params)


def test_params0_is_the_starting_point_and_is_not_modified(rng, data_2d):
    model = rt.Autoencoder(2, 4)
    params0 = model.init_params(rng)
    copy = params0.copy()
    result = rt.fit(
        model, data_2d, sigma=0.3, rng=rng, params0=params0, optimizer="adam", n_iter=1,
        progress=False,
    )
    np.testing.assert_array_equal(params0, copy)
    # One Adam step moves every parameter with a non-zero gradient by about learning_rate.
    step = np.abs(result.params - params0)
    assert np.max(step) == pytest.approx(1e-2, rel=1e-6)


def test_progress_false_prints_nothing_and_true_shows_a_bar(rng, data_2d, capsys):
    model = rt.Autoencoder(2, 4)
    rt.fit(model, data_2d, sigma=0.3, rng=rng, n_iter=5, progress=False)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    rt.fit(model, data_2d, sigma=0.3, rng=rng, n_iter=5, progress=True)
    captured = capsys.readouterr()
    assert "dae / lbfgs" in captured.err


def test_trained_dae_estimates_the_score_where_there_is_data():
    """(r(x) - x) / sigma^2 from a fitted DAE ≈ grad log p_sigma on the bulk of the data.

    Tolerance: the density-weighted relative RMS error on the central 90% of the data
    must be < 0.2. Infinite capacity and data would give exactly grad log p_sigma
    (Tweedie), so the error left is the fit's: statistical, about sqrt(k / N) / sigma for
    k effective parameters and N = 6000 corrupted pairs (~0.2 relative at sigma = 0.4),
    plus the approximation error of 16 tanh units. Measured: 0.09-0.12 over seeds 0-3.
    Against the unsmoothed score the error is larger (0.41-0.46): the O(sigma^2) bias of
    Theorem 1, which comparing with p_sigma removes.
    """
    density = rt.GaussianMixture([0.4, 0.6], [-1.0, 1.5], [0.25, 0.36])
    sigma = 0.4
    rng = np.random.default_rng(0)
    X = density.sample(3000, rng)
    model = rt.Autoencoder(1, 16, activation="tanh")
    result = rt.fit(model, X, sigma=sigma, rng=rng, n_iter=200, n_noise=2, progress=False)

    lo, hi = np.quantile(X, [0.05, 0.95])
    grid = np.linspace(lo, hi, 200)[:, None]
    estimate = (model.reconstruct(result.params, grid) - grid) / sigma**2
    smoothed = density.smoothed(sigma)
    weight = smoothed.prob(grid)[:, None]

    def relative_rms(reference):
        return np.sqrt(np.sum(weight * (estimate - reference) ** 2) / np.sum(weight * reference**2))

    error_smoothed = relative_rms(smoothed.score(grid))
    error_unsmoothed = relative_rms(density.score(grid))
    gaussian_fit = -(grid - X.mean()) / (X.var() + sigma**2)  # the best a linear r can do
    assert error_smoothed < 0.2
    assert error_smoothed < 0.5 * error_unsmoothed
    assert np.sqrt(np.sum(weight * (gaussian_fit - smoothed.score(grid)) ** 2)) > 5 * np.sqrt(
        np.sum(weight * (estimate - smoothed.score(grid)) ** 2)
    )


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"criterion": "dae"}, ValueError, "needs the corruption level sigma"),
        ({"criterion": "rcae"}, ValueError, "needs the penalty weight lam"),
        ({"criterion": "dae", "sigma": 0.1, "lam": 0.1}, ValueError, "lam is not used"),
        ({"criterion": "cae", "lam": 0.1, "sigma": 0.1}, ValueError, "sigma is not used"),
        ({"criterion": "vae", "sigma": 0.1}, ValueError, "criterion must be one of"),
        ({"sigma": -0.1}, ValueError, "sigma must be a finite number > 0"),
        ({"sigma": 0.1, "optimizer": "sgd"}, ValueError, "optimizer must be one of"),
        ({"sigma": 0.1, "noise": "resample"}, ValueError, "noise='resample' changes the"),
        ({"sigma": 0.1, "batch_size": 10}, ValueError, "batch_size applies to optimizer='adam'"),
        ({"sigma": 0.1, "noise": np.zeros(3)}, TypeError, "noise must be one of"),
        ({"sigma": 0.1, "n_iter": 0}, ValueError, "n_iter must be an integer >= 1"),
        ({"sigma": 0.1, "params0": np.zeros(3)}, ValueError, "params0 must have shape"),
        ({"sigma": 0.1, "rng": 1}, TypeError, "rng must be a numpy.random.Generator"),
        ({"sigma": 0.1, "X": np.zeros((5, 3))}, ValueError, "X must have 2 column"),
        ({"sigma": 0.1, "model": "ae"}, TypeError, "model must be a raetut.Autoencoder"),
        ({"sigma": 0.1, "progress": "no"}, TypeError, "progress must be True or False"),
        ({"lam": 0.1, "criterion": "rcae", "weight_decay": -1}, ValueError, "weight_decay"),
    ],
)
def test_bad_fit_arguments(rng, data_2d, kwargs, error, message):
    arguments = {"model": rt.Autoencoder(2, 3), "X": data_2d, "rng": rng, "progress": False}
    arguments.update(kwargs)
    with pytest.raises(error, match=message):
        rt.fit(**arguments)
