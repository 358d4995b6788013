"""Chapter 14's checks: they pass on the chapter's objects and fail on plausible wrong answers."""

import numpy as np
import pytest

from raetut import checks
from raetut.checks import ch14


def _wrong_level_reference(factor):
    """The exact score at a neighbouring level (sigma * factor) in place of s_sigma."""
    return lambda X, sigma: ch14.exact_score(X, sigma * factor)


def _frozen_masses():
    """Chains that never moved: the start (draws of p_sigma_1) taken as the samples."""
    s = ch14.SETTINGS
    x0 = ch14.target_density().smoothed(s["sigma_max"]).sample(
        s["n_chains"], np.random.default_rng(s["chain_seed"]))
    names = ("annealed Langevin", "reverse SDE", "probability-flow ODE")
    return ch14._masses({("exact", k): x0 for k in names}, {("exact", k): 0 for k in names})


def _zero_field(X, sigma):
    return np.zeros_like(np.asarray(X, dtype=float))


NEGATIVE_CONTROLS = {
    "check_loss_gap_is_field_error": [
        # z* from the exact score one level up / down: not the conditional mean
        lambda: checks.check_loss_gap_is_field_error(ch14.measure_field_errors(
            reference=_wrong_level_reference(8.0 ** (1 / 15) / 0.1 ** (1 / 15)), n_test=500)),
        lambda: checks.check_loss_gap_is_field_error(ch14.measure_field_errors(
            reference=_wrong_level_reference(0.5), n_test=500)),
        # the single-level network's field taken for the optimum
        lambda: checks.check_loss_gap_is_field_error(ch14.measure_field_errors(
            reference=lambda X, sigma: ch14.trained_networks()["single"].score(X, 0.1),
            n_test=500)),
    ],
    "check_learned_field_close": [
        # the network trained at sigma = 0.1 only, used at every level
        lambda: checks.check_learned_field_close(ch14.measure_field_errors(
            field=lambda X, sigma: ch14.trained_networks()["single"].score(X, 0.1), n_test=500)),
        # r = x: the zero field
        lambda: checks.check_learned_field_close(ch14.measure_field_errors(
            field=_zero_field, n_test=500)),
    ],
    "check_far_field_not_trapped": [
        # the single-level network's chains
        lambda: checks.check_far_field_not_trapped(which="single"),
    ],
    "check_exact_sampler_masses": [
        # the runs driven by the learned network (biased masses)
        lambda: checks.check_exact_sampler_masses(driver="learned"),
        # frozen chains: the start taken as the samples
        lambda: checks.check_exact_sampler_masses(_frozen_masses()),
    ],
}


@pytest.mark.parametrize("name", sorted(NEGATIVE_CONTROLS))
def test_check_passes(name):
    result = getattr(checks, name)()
    assert result.passed, result


@pytest.mark.parametrize("name,i", [(n, i) for n, calls in NEGATIVE_CONTROLS.items()
                                    for i in range(len(calls))])
def test_negative_control_fails(name, i):
    result = NEGATIVE_CONTROLS[name][i]()
    assert not result.passed, result


def test_mass_test_power():
    assert ch14.mass_test_power() > 0.9
    assert ch14.mass_test_power(shift=0.0) == pytest.approx(ch14.MASS_LEVEL, rel=1e-6)
