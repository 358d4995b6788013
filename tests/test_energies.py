"""Score matching, energies and gradient fields (raetut.energies), and the score-matching
criterion of raetut.training."""

import numpy as np
import pytest
from autograd import grad
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

import raetut as rt

# -------------------------------------------------------------------------- helpers


def _model(dim, tied, activation="tanh", n_hidden=7, seed=0):
    model = rt.Autoencoder(dim, n_hidden, activation, tied=tied)
    return model, model.init_params(np.random.default_rng(seed))


def _points(n, d, seed=1):
    return np.random.default_rng(seed).standard_normal((n, d))


def _disc_integral(f, center, radius, n_r=200, n_t=256):
    """Integral of f (n, 2) -> (n,) over a disc by Gauss-Legendre in r and trapezoid in t."""
    nodes, weights = np.polynomial.legendre.leggauss(n_r)
    r = 0.5 * radius * (nodes + 1.0)
    wr = 0.5 * radius * weights
    t = 2 * np.pi * np.arange(n_t) / n_t
    R, T = np.meshgrid(r, t, indexing="ij")
    P = np.stack([center[0] + R * np.cos(T), center[1] + R * np.sin(T)], axis=-1).reshape(-1, 2)
    values = f(P).reshape(R.shape)
    return float(np.sum(values * R * wr[:, None]) * 2 * np.pi / n_t)


# ---------------------------------------------------------------- Jacobian trace, psi


@pytest.mark.parametrize("dim", [1, 2, 3])
@pytest.mark.parametrize("tied", [False, True])
@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_jacobian_trace_is_the_trace_of_the_analytic_jacobian(dim, tied, activation):
    model, params = _model(dim, tied, activation)
    X = _points(11, dim)
    expected = np.trace(model.jacobian(params, X), axis1=1, axis2=2)
    np.testing.assert_allclose(rt.jacobian_trace(model, params, X), expected, rtol=1e-12,
                               atol=1e-14)


def test_jacobian_trace_is_differentiable_in_the_parameters():
    model, params = _model(2, False)
    X = _points(6, 2)

    def total(q):
        return np.sum(rt.jacobian_trace(model, q, X) ** 2)

    g = grad(total)(params)
    direction = np.random.default_rng(3).standard_normal(params.shape)
    h = 1e-6
    fd = (total(params + h * direction) - total(params - h * direction)) / (2 * h)
    assert abs(np.dot(g, direction) - fd) <= 1e-6 * max(1.0, abs(fd))


def test_score_estimate_callables_agree_with_each_other():
    model, params = _model(2, False)
    X = _points(9, 2)
    est = rt.score_estimate(model, params, 0.25)
    np.testing.assert_allclose(est.psi(X), (model.reconstruct(params, X) - X) / 0.25)
    np.testing.assert_allclose(est.jacobian(X), rt.field_jacobian(est.psi, X), atol=1e-12)
    np.testing.assert_allclose(est.divergence(X), np.trace(est.jacobian(X), axis1=1, axis2=2),
                               atol=1e-12)


# ------------------------------------------------------------- autograd derivatives


def test_field_jacobian_matches_the_analytic_jacobian_and_finite_differences(mixture_2d):
    model, params = _model(2, False)
    X = _points(8, 2)
    np.testing.assert_allclose(rt.field_jacobian(lambda Z: model.reconstruct(params, Z), X),
                               model.jacobian(params, X), atol=1e-13)
    r = rt.dae_optimum(mixture_2d, 0.4)
    J = rt.field_jacobian(r, X)
    h = 1e-5
    for j in range(2):
        e = np.zeros(2)
        e[j] = h
        fd = (r(X + e) - r(X - e)) / (2 * h)
        np.testing.assert_allclose(J[:, :, j], fd, atol=1e-7)


def test_energy_gradient_of_a_quadratic():
    X = _points(5, 3)
    np.testing.assert_allclose(rt.energy_gradient(lambda Z: -0.5 * np.sum(Z**2, axis=1), X), -X)


# -------------------------------------------------------------------- rCAE identity


@settings(max_examples=20, deadline=None)
@given(lam=st.floats(1e-4, 10.0), seed=st.integers(0, 10**6))
def test_rcae_terms_add_up_to_the_rcae_loss(lam, seed):
    model, params = _model(2, False, seed=seed)
    est = rt.score_estimate(model, params, 0.3)
    X = _points(40, 2, seed=seed + 1)
    terms = rt.rcae_score_matching_terms(est.psi, est.jacobian, est.divergence, X, lam)
    right = terms["constant"] + terms["score_matching"] + terms["regulariser"]
    assert abs(terms["rcae"] - right) <= 1e-12 * abs(terms["rcae"])


def test_rcae_terms_are_the_scaled_score_matching_and_jacobian_terms():
    model, params = _model(2, True)
    est = rt.score_estimate(model, params, 0.1)
    X = _points(50, 2)
    terms = rt.rcae_score_matching_terms(est.psi, est.jacobian, est.divergence, X, 0.05)
    assert terms["regulariser"] == pytest.approx(0.05**3 * terms["jacobian_sq"])
    assert terms["score_matching"] == pytest.approx(2 * 0.05**2 * terms["j_sm"])


# ------------------------------------------------------- DAE as denoising score matching


def _fixed_field():
    def r(X):
        return X + 0.3 * np.tanh(1.5 * X - 0.2) - 0.1 * X

    def dr(X):
        return (1.0 + 0.45 * (1 - np.tanh(1.5 * X - 0.2) ** 2) - 0.1)[:, 0]

    return r, dr


def test_dae_score_matching_terms_are_stable_under_refinement(mixture_1d):
    r, dr = _fixed_field()
    coarse = rt.dae_score_matching_terms_1d(r, dr, mixture_1d, 0.3, n_grid=4001, n_hermite=80)
    fine = rt.dae_score_matching_terms_1d(r, dr, mixture_1d, 0.3, n_grid=8001, n_hermite=120)
    for key in ("dae", "score_matching_form", "fisher_form"):
        assert abs(coarse[key] - fine[key]) <= 1e-12 * abs(fine[key])


def test_the_optimal_dae_has_zero_fisher_term(mixture_1d):
    sigma = 0.4
    r = rt.dae_optimum(mixture_1d, sigma)
    smooth = mixture_1d.smoothed(sigma)

    def dr(X):
        return 1.0 + sigma**2 * smooth.hessian_log_prob(X)[:, 0, 0]

    terms = rt.dae_score_matching_terms_1d(r, dr, mixture_1d, sigma)
    assert terms["fisher"] < 1e-20
    assert abs(terms["score_matching_form"] - terms["dae"]) <= 1e-9 * terms["dae"]


def test_trained_models_satisfy_the_identities(mixture_1d, rng):
    X = mixture_1d.sample(60, rng)
    model = rt.Autoencoder(1, 5, "tanh")
    result = rt.fit(model, X, criterion="dae", sigma=0.5, rng=rng, n_iter=20, progress=False)
    est = rt.score_estimate(model, result.params, 0.25)
    dsm = rt.dae_score_matching_terms_1d(lambda Z: model.reconstruct(result.params, Z),
                                         lambda Z: model.jacobian(result.params, Z)[:, 0, 0],
                                         mixture_1d, 0.5)
    assert abs(dsm["score_matching_form"] - dsm["dae"]) <= 1e-9 * dsm["dae"]
    terms = rt.rcae_score_matching_terms(est.psi, est.jacobian, est.divergence, X, 0.25)
    rcae = rt.rcae_loss(lambda Z: model.reconstruct(result.params, Z),
                        lambda Z: model.jacobian_sq_norm(result.params, Z), X, 0.25)
    assert terms["rcae"] == pytest.approx(float(rcae), rel=1e-12)


# ----------------------------------------------------------------------- 1-D energies


def test_energy_from_field_integrates_a_known_derivative():
    grid = np.linspace(-3, 4, 2001)
    F = rt.energy_from_field_1d(lambda X: np.cos(X[:, 0]), grid)
    np.testing.assert_allclose(F, np.sin(grid) - np.sin(grid[0]), atol=1e-10)
    F_values = rt.energy_from_field_1d(np.cos(grid), grid)
    np.testing.assert_allclose(F_values, F)


def test_energy_density_of_a_quadratic_is_gaussian():
    grid = np.linspace(-12, 12, 4001)
    q = rt.energy_density_1d(lambda X: -0.5 * (X[:, 0] - 0.5) ** 2 + 3.0, grid, sigma=0.7)
    np.testing.assert_allclose(q, norm.pdf(grid, 0.5, 0.7), atol=1e-12)
    assert np.trapezoid(q, grid) == pytest.approx(1.0, abs=1e-14)
    # a huge energy does not overflow
    q_big = rt.energy_density_1d(-0.5 * grid**2 + 1e4, grid, sigma=0.1)
    assert np.all(np.isfinite(q_big))


def test_distances_between_gaussians_match_closed_forms():
    grid = np.linspace(-15, 15, 6001)
    p = norm.pdf(grid, 0.0, 1.0)
    q = norm.pdf(grid, 0.8, 1.3)
    kl = np.log(1.3) + (1.0 + 0.8**2) / (2 * 1.3**2) - 0.5
    assert rt.kl_divergence_1d(p, q, grid) == pytest.approx(kl, abs=1e-10)
    q_shift = norm.pdf(grid, 0.8, 1.0)
    assert rt.total_variation_1d(p, q_shift, grid) == pytest.approx(2 * norm.cdf(0.4) - 1,
                                                                    abs=1e-6)
    assert rt.total_variation_1d(p, p, grid) == 0.0


def test_tied_1d_energy_normalises_to_the_integrated_field():
    model, params = _model(1, True, "sigmoid", n_hidden=6)
    grid = np.linspace(-8, 8, 3001)
    F = model.energy(params, grid[:, None])
    F_int = rt.energy_from_field_1d(lambda X: (model.reconstruct(params, X) - X)[:, 0], grid)
    np.testing.assert_allclose(F - F[0], F_int, atol=1e-9)
    sigma = 0.8
    q1 = rt.energy_density_1d(F, grid, sigma)
    q2 = rt.energy_density_1d(F_int, grid, sigma)
    assert rt.total_variation_1d(q1, q2, grid) < 1e-9


def test_weighted_score_error():
    s = _points(20, 2)
    assert rt.weighted_score_error(s, s) == 0.0
    assert rt.weighted_score_error(np.zeros_like(s), s) == pytest.approx(1.0)
    w = np.zeros(20)
    w[:3] = 1.0
    expected = np.sqrt(np.sum((2 * s[:3]) ** 2) / np.sum(s[:3] ** 2))
    assert rt.weighted_score_error(-s, s, w) == pytest.approx(expected)


# ------------------------------------------------------------- gradient fields or not


def test_asymmetry_and_curl_of_simple_matrices():
    sym = np.array([[[1.0, 2.0], [2.0, -1.0]]])
    rot = np.array([[[0.0, -1.0], [1.0, 0.0]]])
    assert rt.jacobian_asymmetry(sym) == 0.0
    assert rt.jacobian_asymmetry(rot) == pytest.approx(2.0)
    np.testing.assert_allclose(rt.jacobian_asymmetry(np.concatenate([sym, rot]), per_point=True),
                               [0.0, 2.0])
    np.testing.assert_allclose(rt.curl_2d(rot), [2.0])
    np.testing.assert_allclose(rt.jacobian_asymmetry(np.zeros((2, 2, 2)), per_point=True), 0.0)


def test_circulation_of_a_rotation_and_of_a_gradient():
    def rotation(X):
        return np.stack([-X[:, 1], X[:, 0]], axis=1)

    assert rt.circulation(rotation, [0.3, -1.0], 1.5) == pytest.approx(2 * np.pi * 1.5**2)
    assert abs(rt.circulation(lambda X: np.cos(X) * 3.0, [0.2, 0.1], 2.0)) < 1e-12


def test_stokes_for_an_untied_model_and_zero_for_a_tied_one():
    model, params = _model(2, False, n_hidden=5, seed=4)
    eye = np.eye(2)

    def field(X):
        return model.reconstruct(params, X) - X

    center, radius = np.array([0.2, -0.3]), 0.9
    circ = rt.circulation(field, center, radius, n_nodes=512)
    curl_flux = _disc_integral(lambda P: rt.curl_2d(model.jacobian(params, P) - eye), center,
                               radius)
    assert circ == pytest.approx(curl_flux, rel=1e-9, abs=1e-12)
    assert abs(circ) > 1e-3
    tied, tparams = _model(2, True, n_hidden=5, seed=4)
    assert abs(rt.circulation(lambda X: tied.reconstruct(tparams, X) - X, center, radius)) < 1e-13


# ------------------------------------------------------- score matching in training


def test_sm_objective_is_hyvarinens_criterion(rng):
    model, params = _model(2, False)
    X = _points(25, 2)
    objective = rt.make_objective(model, "sm", lam=0.2)
    est = rt.score_estimate(model, params, 0.2)
    expected = rt.score_matching_loss(est.psi, est.divergence, X)
    assert objective(params, X) == pytest.approx(float(expected), rel=1e-13)
    # its gradient is finite and matches finite differences in one direction
    g = grad(objective)(params, X)
    direction = rng.standard_normal(params.shape)
    h = 1e-6
    fd = (objective(params + h * direction, X) - objective(params - h * direction, X)) / (2 * h)
    assert abs(np.dot(g, direction) - fd) <= 1e-5 * max(1.0, abs(fd))


def test_sm_fit_lowers_hyvarinens_objective(rng):
    gauss = rt.GaussianMixture([1.0], [0.5], [0.8])
    X = gauss.sample(400, rng)
    model = rt.Autoencoder(1, 3, "tanh")
    result = rt.fit(model, X, criterion="sm", lam=0.1, rng=rng, n_iter=40, progress=False)
    assert result.loss_history[-1] < result.loss_history[0]
    est = rt.score_estimate(model, result.params, 0.1)
    final = float(rt.score_matching_loss(est.psi, est.divergence, X))
    assert final == pytest.approx(result.loss_history[-1], rel=1e-10)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"criterion": "sm"}, ValueError, "needs the penalty weight lam"),
        ({"criterion": "sm", "lam": 0.0}, ValueError, "lam must be a finite number > 0"),
        ({"criterion": "sm", "lam": 0.1, "sigma": 0.1}, ValueError, "sigma is not used"),
    ],
)
def test_sm_criterion_rejects_bad_arguments(kwargs, error, message):
    model, _ = _model(1, False)
    with pytest.raises(error, match=message):
        rt.make_objective(model, **kwargs)


# ------------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: rt.jacobian_trace("model", np.zeros(3), np.zeros((2, 1))), TypeError,
         "model must be a raetut.Autoencoder"),
        (lambda: rt.score_estimate(rt.Autoencoder(1, 2), np.zeros(3), 0.1), ValueError,
         "params must have shape"),
        (lambda: rt.score_estimate(rt.Autoencoder(1, 2), np.zeros(7), -1.0), ValueError,
         "scale must be a finite number > 0"),
        (lambda: rt.field_jacobian(3, np.zeros((2, 2))), TypeError, "field must be callable"),
        (lambda: rt.energy_gradient(lambda Z: Z, np.zeros((2, 2))), ValueError,
         r"energy\(X\) must return shape"),
        (lambda: rt.energy_density_1d(np.zeros(5), np.linspace(0, 1, 5), 0.0), ValueError,
         "sigma must be a finite number > 0"),
        (lambda: rt.energy_density_1d(np.zeros(4), np.linspace(0, 1, 5), 1.0), ValueError,
         "energy must have shape"),
        (lambda: rt.energy_from_field_1d(np.zeros(5), [0, 2, 1, 3, 4]), ValueError,
         "grid must be strictly increasing"),
        (lambda: rt.total_variation_1d(-np.ones(5), np.ones(5), np.arange(5.0)), ValueError,
         "p must be >= 0"),
        (lambda: rt.kl_divergence_1d(np.ones(5), np.zeros(5), np.arange(5.0)), ValueError,
         "q must be > 0 wherever p > 0"),
        (lambda: rt.jacobian_asymmetry(np.zeros((3, 2, 3))), ValueError,
         r"J must have shape \(n, d, d\)"),
        (lambda: rt.jacobian_asymmetry(np.zeros((3, 2, 2))), ValueError, "undefined"),
        (lambda: rt.curl_2d(np.zeros((3, 3, 3))), ValueError, r"J must have shape \(n, 2, 2\)"),
        (lambda: rt.circulation(lambda X: X, [0.0, 0.0], 0.0), ValueError,
         "radius must be a finite number > 0"),
        (lambda: rt.circulation(lambda X: X, [0.0], 1.0), ValueError, "center must have shape"),
        (lambda: rt.circulation(lambda X: X[:, :1], [0.0, 0.0], 1.0), ValueError,
         r"field\(X\) must return shape"),
        (lambda: rt.weighted_score_error(np.ones((3, 2)), np.ones((3, 1))), ValueError,
         "score must have 2 column"),
        (lambda: rt.weighted_score_error(np.ones((3, 1)), np.ones((3, 1)), -np.ones(3)),
         ValueError, "weights must be >= 0"),
        (lambda: rt.dae_score_matching_terms_1d(lambda X: X, lambda X: X[:, 0],
                                                rt.GaussianMixture([1.0], [[0.0, 0.0]],
                                                                   [np.eye(2)]), 0.3),
         TypeError, "density must be a 1-D raetut.GaussianMixture"),
    ],
)
def test_bad_input_names_the_argument(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_energy_density_refuses_a_grid_that_cuts_off_mass():
    grid = np.linspace(-1.0, 1.0, 101)
    with pytest.raises(ValueError, match="grid does not cover the mass"):
        rt.energy_density_1d(-0.5 * grid**2, grid, sigma=1.0)
    with pytest.raises(ValueError, match="tail_tolerance must be"):
        rt.energy_density_1d(-0.5 * grid**2, grid, sigma=0.1, tail_tolerance=0.0)


def test_kl_in_log_space_survives_underflow():
    grid = np.linspace(-40, 40, 16001)
    log_p = norm.logpdf(grid, 0.0, 1.0)
    log_q = norm.logpdf(grid, 0.5, 0.5)
    kl = np.log(0.5) + (1.0 + 0.25) / (2 * 0.25) - 0.5
    assert rt.kl_divergence_1d(log_p, log_q, grid, log=True) == pytest.approx(kl, abs=1e-9)
    log_q_energy = rt.energy_density_1d(-0.5 * (grid - 0.5) ** 2, grid, 0.5, log=True)
    np.testing.assert_allclose(log_q_energy, log_q, atol=1e-9)


def test_sample_score_matching_is_unbounded_below_but_the_population_is_not(mixture_1d, rng):
    model = rt.Autoencoder(1, 4, "tanh")
    params = model.init_params(rng)
    X = mixture_1d.sample(50, rng)
    grid = np.linspace(-8, 8, 32001)
    G = grid[:, None]
    floor = -0.5 * np.trapezoid(mixture_1d.prob(G) * mixture_1d.score(G)[:, 0] ** 2, grid)
    sample = []
    for steepness in (1e1, 1e3, 1e5):
        q = rt.step_unit_params(model, params, 0, X[0], steepness, 0.5)
        est = rt.score_estimate(model, q, 0.1)
        sample.append(float(rt.score_matching_loss(est.psi, est.divergence, X)))
    # the step adds about -0.5 * steepness / (0.1 * 50) at X[0] to the average
    assert sample[2] < sample[1] < sample[0] and sample[2] < sample[0] - 5e3
    # in the population J_SM(psi) >= floor for every psi (steps resolved by the grid)
    for steepness in (1e1, 1e2):
        q = rt.step_unit_params(model, params, 0, X[0], steepness, 0.5)
        est = rt.score_estimate(model, q, 0.1)
        assert rt.score_matching_quadrature_1d(est.psi, est.divergence, mixture_1d, grid) > floor
    # the integrated-by-parts form agrees with the direct one for a smooth field
    est = rt.score_estimate(model, params, 0.1)
    direct = rt.score_matching_quadrature_1d(est.psi, est.divergence, mixture_1d, grid)
    by_parts = rt.score_matching_quadrature_1d(est.psi, None, mixture_1d, grid)
    assert by_parts == pytest.approx(direct, rel=1e-9)
    # None picks the unit with the smallest decoder weights
    V = model.unpack(params)["V"]
    q = rt.step_unit_params(model, params, None, X[0], 5.0, 0.5)
    changed = np.flatnonzero(np.any(model.unpack(q)["V"] != V, axis=1))
    assert changed.tolist() == [int(np.argmin(np.sum(V**2, axis=1)))]
    # the population objective of the true score is the floor
    assert rt.score_matching_quadrature_1d(
        mixture_1d.score, lambda Z: mixture_1d.hessian_log_prob(Z)[:, 0, 0], mixture_1d, grid
    ) == pytest.approx(floor, rel=1e-9)


def test_step_unit_params_rejects_tied_models_and_bad_units():
    tied, tparams = _model(1, True)
    with pytest.raises(ValueError, match="untied model"):
        rt.step_unit_params(tied, tparams, 0, [0.0], 1.0, 1.0)
    model, params = _model(1, False)
    with pytest.raises(ValueError, match="unit must be in"):
        rt.step_unit_params(model, params, 7, [0.0], 1.0, 1.0)
    with pytest.raises(ValueError, match="steepness must be"):
        rt.step_unit_params(model, params, 0, [0.0], 0.0, 1.0)


def test_mass_outside_an_interval():
    grid = np.linspace(-12, 12, 24001)
    q = norm.pdf(grid)
    assert rt.mass_outside_1d(q, grid, -1.0, 1.0) == pytest.approx(2 * norm.cdf(-1.0), abs=1e-3)
    assert rt.mass_outside_1d(q, grid, -20.0, 20.0) == 0.0
    with pytest.raises(ValueError, match="lower must be < upper"):
        rt.mass_outside_1d(q, grid, 1.0, -1.0)
