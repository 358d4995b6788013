"""Chapter 13's checks: they pass on the chapter's objects and fail on plausible wrong answers."""

import dataclasses

import numpy as np
import pytest

from raetut import checks
from raetut.checks import ch13


def _variance(kind):
    return ch13.measure_variance(ch13.gaussian_chain(kind), ch13.gaussian_starts())


def _frozen(kind):
    """Chains that never leave their overdispersed starts."""
    x0 = ch13.gaussian_starts()
    chains = np.broadcast_to(x0[None], ch13.gaussian_chain(kind).shape)
    return ch13.measure_variance(chains, x0)


def _started_at_target(kind):
    """The right chains, but claimed to start where the target is (no overdispersion)."""
    return dataclasses.replace(_variance(kind), start_sd=0.1)


def _mixture_p_sigma_draws(seed=3):
    """Exact draws of p_sigma (what x~ samples), shaped as the chapter's chains."""
    shape = ch13.mixture_chain("gibbs").shape
    X = ch13.mixture_density().smoothed(ch13.MIXTURE["sigma"]).sample(
        shape[0] * shape[1], np.random.default_rng(seed))
    return X.reshape(shape)


def _frozen_mixture():
    x0 = ch13.gaussian_starts(ch13.MIXTURE["n_chains"], ch13.MIXTURE["start"])
    return np.broadcast_to(x0[None], ch13.mixture_chain("gibbs").shape)


def _walkback_with_large_noise():
    """Walk-back inputs reaching 9 further out (3 sd of a corruption at sigma = 3)."""
    m = ch13.measure_walkback()
    return dataclasses.replace(m, reach=m.reach + 3.0 * 3.0)


def _swapped_flags():
    """The far chains' fractions of the wrong seeds (shifted by one)."""
    m = ch13.measure_walkback()
    return dataclasses.replace(m, trapped={k: np.roll(v, 1) for k, v in m.trapped.items()})


GAUSS = ch13.GAUSS
V, S = GAUSS["v"], GAUSS["sigma"]

NEGATIVE_CONTROLS = {
    "check_gdae_deterministic_chain_variance": [
        # the claims that the chain keeps the data's variance, or p_sigma's
        lambda: checks.check_gdae_deterministic_chain_variance(predicted=V),
        lambda: checks.check_gdae_deterministic_chain_variance(predicted=V + S**2),
        # the Gibbs chain's samples (variance v) for the deterministic chain's
        lambda: checks.check_gdae_deterministic_chain_variance(_variance("gibbs")),
        lambda: checks.check_gdae_deterministic_chain_variance(_frozen("deterministic")),
        lambda: checks.check_gdae_deterministic_chain_variance(
            _started_at_target("deterministic")),
    ],
    "check_gdae_gibbs_chain_variance": [
        lambda: checks.check_gdae_gibbs_chain_variance(_variance("deterministic")),
        lambda: checks.check_gdae_gibbs_chain_variance(predicted=V + S**2),
        lambda: checks.check_gdae_gibbs_chain_variance(_frozen("gibbs")),
    ],
    "check_gdae_ula_factor_two_variance": [
        # the claim that the chain samples p_sigma exactly (no ULA bias), or p
        lambda: checks.check_gdae_ula_factor_two_variance(predicted=V + S**2),
        lambda: checks.check_gdae_ula_factor_two_variance(predicted=V),
        # without the sqrt 2: the deterministic-noise chain's samples
        lambda: checks.check_gdae_ula_factor_two_variance(_variance("deterministic")),
        lambda: checks.check_gdae_ula_factor_two_variance(_frozen("ula")),
    ],
    "check_gdae_gibbs_chain_samples_mixture": [
        lambda: checks.check_gdae_gibbs_chain_samples_mixture(
            ch13.measure_mixture_fit(ch13.mixture_chain("deterministic"))),
        lambda: checks.check_gdae_gibbs_chain_samples_mixture(
            ch13.measure_mixture_fit(_mixture_p_sigma_draws())),
        lambda: checks.check_gdae_gibbs_chain_samples_mixture(
            ch13.measure_mixture_fit(_frozen_mixture())),
    ],
    "check_walkback_reach": [
        lambda: checks.check_walkback_reach(_walkback_with_large_noise()),
    ],
    "check_trap_criterion_matches_far_chains": [
        lambda: checks.check_trap_criterion_matches_far_chains(_swapped_flags()),
    ],
}


@pytest.mark.parametrize("name", sorted(NEGATIVE_CONTROLS))
def test_check_passes(name):
    assert getattr(checks, name)().passed


@pytest.mark.parametrize("name, k", [(n, k) for n, cs in NEGATIVE_CONTROLS.items()
                                     for k in range(len(cs))])
def test_negative_control_fails(name, k):
    assert not NEGATIVE_CONTROLS[name][k]().passed


def test_deterministic_variance_formula():
    # V = a^2 (V + sigma^2) with a = v / (v + sigma^2)
    for v, s in [(1.0, 1.0), (2.0, 0.3), (0.5, 2.0)]:
        a = v / (v + s**2)
        assert np.isclose(ch13.deterministic_variance(v, s), a**2 * s**2 / (1 - a**2))


def test_ula_variance_formula():
    # x' = a x + sqrt(2) sigma z: variance 2 sigma^2 / (1 - a^2)
    for v, s in [(1.0, 1.0), (2.0, 0.3), (0.5, 2.0)]:
        a = v / (v + s**2)
        assert np.isclose(ch13.ula_variance(v, s), 2 * s**2 / (1 - a**2))
