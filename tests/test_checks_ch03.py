"""Chapter 3's checks: each passes on the chapter's objects and fails on plausible wrong answers."""

import dataclasses
import functools

import numpy as np
import pytest

import raetut as rt
from raetut.checks import ch03

DENSITY = ch03.chapter_density()
BLURRED = DENSITY.smoothed(0.5)


def _affine_as_fixed():
    # For affine r the criteria coincide exactly: no sigma^2 term to see.
    return ch03.measure_gap_fixed(reconstruct=lambda X: 0.9 * X + 0.1,
                                  derivative=lambda X: np.full_like(X, 0.9),
                                  second_derivative=np.zeros_like)


def _near_optimal_as_fixed():
    # A field within O(sigma^2) of the identity: order 6, not 2.
    return ch03.measure_gaps(ch03.near_optimal_family(BLURRED.score, _blurred_derivative),
                             order=2.0)


def _blurred_derivative(X):
    return BLURRED.hessian_log_prob(X)[:, :, 0]


def _exact_score_family():
    # psi = s: the sigma^6 coefficient E[(psi - s) psi''] vanishes, the gap is of order 8
    return ch03.measure_gap_near_optimum(
        psi=DENSITY.score, psi_derivative=lambda X: DENSITY.hessian_log_prob(X)[:, :, 0],
        psi_second_derivative=DENSITY.laplacian_score)


def _wrong_penalty_family():
    # a wrong psi' in the rCAE penalty: the gap is back to order 4
    return ch03.measure_gap_near_optimum(psi_derivative=np.zeros_like)


def _correction_term_alone():
    # prop-dae-rcae's correction term alone, E[psi psi''], as the sigma^6 coefficient
    m = ch03.measure_gap_near_optimum()
    grid = np.linspace(-7.5, 7.5, 3601)
    G = grid[:, None]
    weights = rt.criteria.quadrature_weights(grid) * DENSITY.prob(G)
    correction = float(weights @ (BLURRED.score(G) * BLURRED.laplacian_score(G))[:, 0])
    return dataclasses.replace(m, predicted=correction)


def _optimum_at(factor):
    optimum = ch03.optimum_family(DENSITY)

    def family(sigma):
        return optimum(factor * sigma)

    return family


NEGATIVE_CONTROLS = {
    "check_dae_rcae_gap_fixed": [
        lambda: ch03.check_dae_rcae_gap_fixed(_affine_as_fixed()),
        lambda: ch03.check_dae_rcae_gap_fixed(_near_optimal_as_fixed()),
    ],
    "check_dae_rcae_gap_coefficient": [
        # the sign of r'' flipped: the prediction is -E[(r - x) r'']
        lambda: ch03.check_dae_rcae_gap_coefficient(ch03.measure_gap_fixed(
            second_derivative=lambda X: np.tanh(X) / np.cosh(X) ** 2)),
        # r' in place of r''
        lambda: ch03.check_dae_rcae_gap_coefficient(ch03.measure_gap_fixed(
            second_derivative=lambda X: 1.0 + 0.5 / np.cosh(X) ** 2)),
    ],
    "check_dae_rcae_gap_near_optimum": [
        lambda: ch03.check_dae_rcae_gap_near_optimum(_exact_score_family()),
        lambda: ch03.check_dae_rcae_gap_near_optimum(_wrong_penalty_family()),
    ],
    "check_dae_rcae_gap_near_optimum_coefficient": [
        lambda: ch03.check_dae_rcae_gap_near_optimum_coefficient(_correction_term_alone()),
        # psi'' of the wrong density (p's instead of the blurred one)
        lambda: ch03.check_dae_rcae_gap_near_optimum_coefficient(ch03.measure_gap_near_optimum(
            psi_second_derivative=DENSITY.laplacian_score)),
    ],
    "check_dae_rcae_gap_at_optimum": [
        lambda: ch03.check_dae_rcae_gap_at_optimum(ch03.measure_gap_at_optimum(
            family=ch03.near_optimal_family(BLURRED.score, _blurred_derivative))),
        # the optimum of another noise level, r*_{2 sigma}: psi - s = 3 s + O(sigma^2)
        lambda: ch03.check_dae_rcae_gap_at_optimum(ch03.measure_gap_at_optimum(
            family=_optimum_at(2.0))),
    ],
    "check_dae_rcae_gap_affine": [
        lambda: ch03.check_dae_rcae_gap_affine(ch03.measure_gap_affine(
            family=ch03.fixed_family(lambda X: X + 0.5 * np.tanh(X),
                                     lambda X: 1.0 + 0.5 / np.cosh(X) ** 2))),
        # an affine r with a wrong derivative in the penalty
        lambda: ch03.check_dae_rcae_gap_affine(ch03.measure_gap_affine(
            family=ch03.fixed_family(lambda X: 0.7 * X + 0.2, lambda X: np.full_like(X, 0.75)))),
    ],
}


def test_every_chapter_check_passes_with_its_defaults():
    names = [entry.name for entry in rt.checks.registry(3)]
    assert sorted(names) == sorted(NEGATIVE_CONTROLS)
    for entry in rt.checks.registry(3):
        result = entry.function()
        assert result.passed, (entry.name, result.measured, result.tolerance)


def test_controls_fail_for_the_stated_reason():
    assert ch03.check_dae_rcae_gap_near_optimum(_exact_score_family()).measured == \
        pytest.approx(8.0, abs=0.1)
    assert ch03.check_dae_rcae_gap_near_optimum(_wrong_penalty_family()).measured == \
        pytest.approx(4.0, abs=0.1)
    flipped = ch03.check_dae_rcae_gap_coefficient(ch03.measure_gap_fixed(
        second_derivative=lambda X: np.tanh(X) / np.cosh(X) ** 2))
    assert flipped.measured == pytest.approx(2.0, rel=1e-3)
    near = ch03.measure_gap_at_optimum(
        family=ch03.near_optimal_family(BLURRED.score, _blurred_derivative))
    assert ch03.check_dae_rcae_gap_at_optimum(near).measured == pytest.approx(6.0, abs=0.1)


def test_first_order_field_has_order_eight_too():
    # What the order-8 check cannot see: x + sigma^2 s also has psi = s + O(sigma^2).
    family = ch03.near_optimal_family(DENSITY.score,
                                      lambda X: DENSITY.hessian_log_prob(X)[:, :, 0])
    assert ch03.check_dae_rcae_gap_at_optimum(ch03.measure_gap_at_optimum(family=family)).passed


def test_measurements_hold_the_chapters_settings():
    m = ch03.measure_gap_fixed()
    assert m.sigmas.size == 9 and m.sigmas[-1] == pytest.approx(0.2)
    assert m.fitted[0].size == 6 and ch03.measure_gap_at_optimum().fitted[0].size == 5


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: ch03.measure_gap_near_optimum(density=rt.paper_density_1d()), ValueError, "psi"),
        (lambda: ch03.measure_gap_fixed(density="p"), TypeError, "density"),
        (lambda: ch03.measure_gap_fixed(sigmas=[0.1, 0.2]), ValueError, "sigmas"),
        (lambda: ch03.measure_gap_fixed(grid=[1.0, 0.0, 2.0]), ValueError, "grid"),
        (lambda: ch03.measure_gaps(3), TypeError, "family"),
        (lambda: ch03.optimum_family(rt.paper_density_1d()), TypeError, "density"),
        (lambda: ch03.check_dae_rcae_gap_fixed(measurement=1), TypeError, "measurement"),
    ],
)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


@functools.lru_cache(maxsize=1)
def _contractive_fits():
    return ch03.measure_contractive_fits()


NEGATIVE_CONTROLS["check_cae_penalty_escapes"] = [
    # the tied CAE: rescaling the code changes r, so its penalty binds
    lambda: ch03.check_cae_penalty_escapes(_contractive_fits(), fit="CAE, tied"),
    # the rCAE: its penalty is on r itself, and its value cannot go below the optimum's
    lambda: ch03.check_cae_penalty_escapes(_contractive_fits(), fit="rCAE"),
    # an untied CAE stopped after 20 iterations, before the escape
    lambda: ch03.check_cae_penalty_escapes(ch03.measure_contractive_fits(n_iter=20)),
    # a plain auto-encoder (no penalty in training) reported as the untied CAE
    lambda: ch03.check_cae_penalty_escapes(dataclasses.replace(
        ch03.measure_contractive_fits(lam=1e-9), lam=ch03.CAE_LAM,
        optimum_value=_contractive_fits().optimum_value)),
]


def test_contractive_fits_bad_input():
    with pytest.raises(ValueError, match="fit"):
        ch03.check_cae_penalty_escapes(_contractive_fits(), fit="DAE")
    with pytest.raises(TypeError, match="measurement"):
        ch03.check_cae_penalty_escapes(measurement=1)
    with pytest.raises(ValueError, match="lam"):
        ch03.measure_contractive_fits(lam=0.0)
