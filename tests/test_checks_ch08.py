"""Chapter 8's checks: they pass on the chapter's objects and fail on plausible wrong answers."""

import numpy as np
import pytest
from autograd import numpy as anp

import raetut as rt
from raetut import checks
from raetut.checks import ch08

LAM = ch08.SCORE_MATCHING_SETTINGS["sigma"] ** 2
SIGMA = ch08.SCORE_MATCHING_SETTINGS["sigma"]


def _density():
    return ch08.score_matching_data().density


def _X():
    return ch08.score_matching_data().X


def _smoothed_divergence(Z):
    """The divergence of the score of p_sigma: the right formula for the wrong density."""
    return np.trace(_density().smoothed(SIGMA).hessian_log_prob(Z), axis1=1, axis2=2)


def _identity_with(psi, divergence, jacobian, lam=LAM):
    return ch08.measure_score_matching_identity(psi, divergence, jacobian, _X(), lam)


def _fit_field(criterion):
    est = rt.score_estimate(ch08.criterion_model_1d(), ch08.criterion_fit_1d(criterion, 1000), LAM)
    return est


def _wrong_model_divergence(criterion):
    """The model's divergence without the ``- d``: ``trace J_r / lam``."""
    est = _fit_field(criterion)
    return _identity_with(est.psi, lambda Z: est.divergence(Z) + 1.0 / LAM, est.jacobian)


def _dsm(name, **kwargs):
    return ch08.measure_dae_score_matching(*ch08.dsm_candidate(name), **kwargs)


def _dsm_wrong_derivative(name, other):
    r, _ = ch08.dsm_candidate(name)
    _, dr = ch08.dsm_candidate(other)
    return ch08.measure_dae_score_matching(r, dr)


def _tied_1d():
    tied = ch08.tied_model_1d()
    return tied, ch08.tied_fit_1d(ch08.measure_tied_energies_1d()["sigma_best"])


def _tied_2d():
    return ch08.dae_model_2d(True), ch08.dae_fit_2d(True)


def _untied_2d():
    return ch08.dae_model_2d(False), ch08.dae_fit_2d(False)


def _asymmetry(net, P):
    return ch08.measure_jacobian_asymmetry(lambda Z: net.reconstruct(P, Z))


def _rotated_optimum():
    """The exact optimum plus a small rotation: a field with curl."""
    r = rt.dae_optimum(ch08.score_matching_data().mixture_2d, SIGMA)
    R = 0.05 * np.array([[0.0, -1.0], [1.0, 0.0]])
    return lambda Z: r(Z) + Z @ R.T


NEGATIVE_CONTROLS = {
    "check_score_matching_identity": [
        # the divergence of the score of p_sigma instead of p
        lambda: checks.check_score_matching_identity(
            _identity_with(_density().score, _smoothed_divergence, _density().hessian_log_prob)),
        # a divergence off by 1 %
        lambda: checks.check_score_matching_identity(_identity_with(
            _density().score,
            lambda Z: 1.01 * np.trace(_density().hessian_log_prob(Z), axis1=1, axis2=2),
            _density().hessian_log_prob)),
        # a Jacobian of the wrong sign in the penalty
        lambda: checks.check_score_matching_identity(_identity_with(
            _density().score,
            lambda Z: np.trace(_density().hessian_log_prob(Z), axis1=1, axis2=2),
            lambda Z: 2.0 * _density().hessian_log_prob(Z))),
    ],
    "check_score_matching_identity_rcae_fit": [
        lambda: checks.check_score_matching_identity_rcae_fit(_wrong_model_divergence("rcae")),
    ],
    "check_score_matching_identity_sm_fit": [
        lambda: checks.check_score_matching_identity_sm_fit(_wrong_model_divergence("sm")),
    ],
    "check_dsm_identity_optimum": [
        lambda: checks.check_dsm_identity_optimum(_dsm("r*_sigma", smoothed=False)),
        lambda: checks.check_dsm_identity_optimum(
            _dsm_wrong_derivative("r*_sigma", "x + sigma^2 s")),
    ],
    "check_dsm_identity_first_order": [
        lambda: checks.check_dsm_identity_first_order(_dsm("x + sigma^2 s", smoothed=False)),
        lambda: checks.check_dsm_identity_first_order(
            _dsm_wrong_derivative("x + sigma^2 s", "r*_sigma")),
    ],
    "check_dsm_identity_trained": [
        lambda: checks.check_dsm_identity_trained(_dsm("DAE fit", smoothed=False)),
        lambda: checks.check_dsm_identity_trained(_dsm_wrong_derivative("DAE fit", "r*_sigma")),
    ],
    "check_dae_optimum_energy_1d": [
        # x + sigma^2 s has the energy sigma^2 log p: it normalises to p, not p_sigma
        lambda: checks.check_dae_optimum_energy_1d(ch08.measure_optimum_energy_1d(
            reconstruct=ch08.dsm_candidate("x + sigma^2 s")[0])),
        # the optimum of another noise level
        lambda: checks.check_dae_optimum_energy_1d(ch08.measure_optimum_energy_1d(
            reconstruct=rt.dae_optimum(_density(), 0.35))),
    ],
    "check_tied_energy_gradient_1d": [
        # the energy without its -x^2/2 term
        lambda: checks.check_tied_energy_gradient_1d(ch08.measure_energy_gradient(
            lambda Z: _tied_1d()[0].reconstruct(_tied_1d()[1], Z),
            lambda Z: _tied_1d()[0].energy(_tied_1d()[1], Z) + 0.5 * np.sum(Z**2, axis=1),
            _X())),
        # the energy of another noise level's model
        lambda: checks.check_tied_energy_gradient_1d(ch08.measure_energy_gradient(
            lambda Z: _tied_1d()[0].reconstruct(_tied_1d()[1], Z),
            lambda Z: _tied_1d()[0].energy(ch08.tied_fit_1d(1.0), Z), _X())),
    ],
    "check_tied_energy_gradient_2d": [
        lambda: checks.check_tied_energy_gradient_2d(ch08.measure_energy_gradient(
            lambda Z: _tied_2d()[0].reconstruct(_tied_2d()[1], Z),
            lambda Z: -_tied_2d()[0].energy(_tied_2d()[1], Z),
            ch08.score_matching_data().X_test)),
        # the untied model's field against the tied formula for the energy
        lambda: checks.check_tied_energy_gradient_2d(ch08.measure_energy_gradient(
            lambda Z: _untied_2d()[0].reconstruct(_untied_2d()[1], Z),
            lambda Z: _tied_2d()[0].energy(_tied_2d()[1], Z),
            ch08.score_matching_data().X_test)),
    ],
    "check_tied_jacobian_symmetric_2d": [
        lambda: checks.check_tied_jacobian_symmetric_2d(_asymmetry(*_untied_2d())),
    ],
    "check_optimum_jacobian_symmetric_2d": [
        lambda: checks.check_optimum_jacobian_symmetric_2d(
            ch08.measure_jacobian_asymmetry(_rotated_optimum())),
        lambda: checks.check_optimum_jacobian_symmetric_2d(_asymmetry(*_untied_2d())),
    ],
    "check_untied_field_not_gradient_2d": [
        lambda: checks.check_untied_field_not_gradient_2d(_asymmetry(*_tied_2d())),
        lambda: checks.check_untied_field_not_gradient_2d(ch08.measure_jacobian_asymmetry(
            rt.dae_optimum(ch08.score_matching_data().mixture_2d, SIGMA))),
    ],
}


def test_registered_checks_pass_on_the_chapter_objects():
    results = checks.run_all(chapter=8)
    assert len(results) == 12
    failed = [r.claim for r in results if not r.passed]
    assert not failed


def test_the_chapter_samples_are_the_seed_0_draws_in_order():
    data = ch08.score_matching_data()
    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(data.X, checks.default_mixture_1d().sample(1000, rng))
    np.testing.assert_array_equal(data.X_2d, data.mixture_2d.sample(500, rng))
    assert ch08.score_matching_data() is data
    with pytest.raises(ValueError):
        data.X[0, 0] = 1.0


def test_score_matching_identity_holds_for_any_field_and_lambda():
    # a 2-D tanh field with its analytic Jacobian, on random points
    A = np.array([[0.8, -0.5], [0.3, 1.1]])
    B = np.array([[1.2, 0.4], [-0.7, 0.9]])
    b = np.array([0.1, -0.3])

    def psi(X):
        return anp.tanh(X @ B.T + b) @ A.T

    def jacobian(X):
        slope = 1.0 - np.tanh(X @ B.T + b) ** 2
        return np.einsum("ij,nj,jk->nik", A, slope, B)

    def divergence(X):
        return np.trace(jacobian(X), axis1=1, axis2=2)

    X = np.random.default_rng(3).standard_normal((300, 2))
    for lam in (1e-3, 0.3, 5.0):
        m = ch08.measure_score_matching_identity(psi, divergence, jacobian, X, lam)
        assert m["relative"] < ch08.ROUNDOFF_TOLERANCE
    wrong = ch08.measure_score_matching_identity(psi, lambda Z: 1.01 * divergence(Z), jacobian,
                                                 X, 0.3)
    assert wrong["relative"] > 1e-4


@pytest.mark.parametrize("sigma", [0.1, 0.5, 1.5])
def test_dae_is_score_matching_of_the_smoothed_density(mixture_1d, sigma):
    def r(X):
        return X + 0.3 * np.tanh(1.5 * X - 0.2) - 0.1 * X

    def dr(X):
        return (1.0 + 0.45 * (1 - np.tanh(1.5 * X - 0.2) ** 2) - 0.1)[:, 0]

    assert ch08.measure_dae_score_matching(r, dr, mixture_1d, sigma)["relative"] \
        <= ch08.QUADRATURE_TOLERANCE
    assert ch08.measure_dae_score_matching(r, dr, mixture_1d, sigma, smoothed=False)[
        "relative"] > 1e-4


def test_the_optimal_dae_energy_is_p_sigma_at_several_levels(mixture_1d):
    for sigma in (0.1, 0.5, 1.0):
        m = ch08.measure_optimum_energy_1d(mixture_1d, sigma)
        assert checks.check_dae_optimum_energy_1d(m).passed, m


def test_energy_gradient_of_a_random_tied_model_and_a_wrong_energy():
    model = rt.Autoencoder(2, 7, "sigmoid", tied=True)
    params = model.init_params(np.random.default_rng(0))
    X = np.random.default_rng(1).standard_normal((30, 2))
    ok = ch08.measure_energy_gradient(lambda Z: model.reconstruct(params, Z),
                                      lambda Z: model.energy(params, Z), X)
    assert ok["relative"] < 1e-14
    other = model.init_params(np.random.default_rng(99))
    bad = ch08.measure_energy_gradient(lambda Z: model.reconstruct(params, Z),
                                       lambda Z: model.energy(other, Z), X)
    assert not checks.check_tied_energy_gradient_2d(bad).passed


def test_symmetry_of_random_tied_and_untied_models(mixture_2d):
    X = np.random.default_rng(2).standard_normal((40, 2))
    for tied, symmetric in [(True, True), (False, False)]:
        model = rt.Autoencoder(2, 7, "sigmoid", tied=tied)
        params = model.init_params(np.random.default_rng(0))
        m = ch08.measure_jacobian_asymmetry(lambda Z, model=model, params=params:
                                            model.reconstruct(params, Z), X)
        assert checks.check_tied_jacobian_symmetric_2d(m).passed is symmetric
        assert checks.check_untied_field_not_gradient_2d(m).passed is not symmetric
    m = ch08.measure_jacobian_asymmetry(rt.dae_optimum(mixture_2d, 0.3), X)
    assert checks.check_optimum_jacobian_symmetric_2d(m).passed


def test_tied_energies_pick_the_level_closest_to_p():
    result = ch08.measure_tied_energies_1d()
    tv = {s: f["tv_q_p"] for s, f in result["fits"].items()}
    assert result["sigma_best"] == min(tv, key=tv.get)
    first = result["fits"][1.0]
    assert first["tv_q_psigma"] < first["tv_q_p"]


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: ch08.measure_score_matching_identity(lam=0.0), ValueError, "lam"),
        (lambda: ch08.measure_score_matching_identity(X=np.zeros(3)), ValueError, "X"),
        (lambda: ch08.measure_score_matching_identity(
            psi_jacobian=lambda X: np.zeros((len(X), 2))), ValueError, "psi_jacobian"),
        (lambda: ch08.measure_dae_score_matching(smoothed="yes"), TypeError,
         "smoothed must be True or False"),
        (lambda: ch08.dsm_candidate("r"), ValueError, "unknown reconstruction"),
        (lambda: ch08.criterion_fit_1d("cae", 1000), ValueError, "criterion"),
        (lambda: ch08.tied_fit_1d(0.4), ValueError, "sigma must be one of"),
        (lambda: ch08.criterion_fit_1d("sm", 300, replicate=-1), ValueError, "replicate"),
        (lambda: ch08.dae_fit_2d(True, replicate=1.0), TypeError, "replicate"),
        (lambda: ch08.replicate_data(True), TypeError, "replicate"),
        (lambda: ch08.measure_criterion_replicates(replicates=()), ValueError, "replicates"),
        (lambda: ch08.measure_tied_replicates(replicates=(0, 0)), ValueError, "replicates"),
        (lambda: ch08.measure_2d_replicates(replicates=(0,), radius=0.0), ValueError, "radius"),
        (lambda: ch08.measure_2d_replicates(replicates=(0,), center=(0.0,)), ValueError,
         "center"),
        (lambda: ch08.measure_energy_gradient(lambda Z: Z[:, :1], lambda Z: Z[:, 0],
                                              np.zeros((3, 2))), ValueError, "reconstruct"),
    ],
)
def test_bad_input_names_the_argument(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_replicate_zero_is_the_chapter_s_run_and_others_are_fresh():
    data, fresh = ch08.score_matching_data(), ch08.replicate_data(1)
    assert ch08.replicate_data(0) is data
    assert fresh.X.shape == data.X.shape and fresh.X_2d.shape == data.X_2d.shape
    assert not np.allclose(fresh.X, data.X)
    assert np.array_equal(fresh.X_test, data.X_test) and np.array_equal(fresh.grid, data.grid)
    assert np.array_equal(ch08.criterion_fit_1d("sm", 300, replicate=0),
                          ch08.criterion_fit_1d("sm", 300))
    assert not np.allclose(ch08.criterion_fit_1d("sm", 300, replicate=1),
                           ch08.criterion_fit_1d("sm", 300))


def test_criterion_replicates_reproduce_the_chapter_s_table():
    m = ch08.measure_criterion_replicates(replicates=(0, 1))
    lam = ch08.SCORE_MATCHING_SETTINGS["sigma"] ** 2
    data = ch08.score_matching_data()
    est = rt.score_estimate(ch08.criterion_model_1d(), ch08.criterion_fit_1d("dae", 300), lam)
    assert m["jsm_train"]["dae", 300][0] == pytest.approx(
        float(rt.score_matching_loss(est.psi, est.divergence, data.X[:300])), rel=1e-12)
    assert m["error"]["sm", 1000].shape == (2,)
    # the true score's sample objective is an estimate of the population floor
    assert abs(m["jsm_true_train"][1000][0] - m["floor"]) < 0.15
    # a fit's population objective can never go below the floor
    assert all(np.all(v >= m["floor"] - 1e-9) for v in m["jsm_pop"].values())


def test_2d_replicates_tied_fields_are_gradients():
    m = ch08.measure_2d_replicates(replicates=(0, 1))
    assert np.all(m["tied"]["asymmetry"] < 1e-12)
    assert np.all(np.abs(m["tied"]["circulation"]) < 1e-9)
    assert np.all(m["untied"]["asymmetry"] > 1e-3)
