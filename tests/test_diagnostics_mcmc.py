"""Split-R-hat."""

import numpy as np
import pytest

import raetut as rt


def test_split_rhat_of_independent_draws_is_near_one(rng):
    chains = rng.standard_normal((2000, 8, 2))
    rhat = rt.split_rhat(chains)
    assert rhat.shape == (2,)
    # R^2 ≈ 1 + 2m / ESS = 1 + 16 / 16000: R - 1 ≈ 5e-4, noise of the same order
    assert np.all(np.abs(rhat - 1) < 0.005)


def test_split_rhat_sees_chains_that_disagree_or_drift(rng):
    shifted = rng.standard_normal((1000, 4, 1)) + np.array([0.0, 0.0, 0.0, 3.0])[None, :, None]
    assert rt.split_rhat(shifted)[0] > 1.3
    # a drift within each chain: the halves disagree although the chains agree
    drift = rng.standard_normal((1000, 4, 1)) + np.linspace(0, 4, 1000)[:, None, None]
    assert rt.split_rhat(drift)[0] > 1.3


def test_split_rhat_matches_the_formula():
    chains = np.arange(24, dtype=float).reshape(6, 2, 2) ** 1.5
    halves = np.concatenate([chains[:3], chains[3:]], axis=1)
    W = halves.var(axis=0, ddof=1).mean(axis=0)
    B_over_n = halves.mean(axis=0).var(axis=0, ddof=1)
    np.testing.assert_allclose(rt.split_rhat(chains), np.sqrt((2 / 3 * W + B_over_n) / W))


def test_split_rhat_of_frozen_chains():
    frozen = np.repeat(np.array([[[0.0], [1.0]]]), 10, axis=0)
    assert rt.split_rhat(frozen)[0] == np.inf
    assert rt.split_rhat(np.zeros((10, 3, 1)))[0] == 1.0


def test_split_rhat_rejects_bad_input():
    with pytest.raises(ValueError, match="at least 4 steps"):
        rt.split_rhat(np.zeros((3, 2, 1)))
    with pytest.raises(ValueError):
        rt.split_rhat(np.full((10, 2, 1), np.nan))
