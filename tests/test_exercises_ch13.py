"""Chapter 13's exercise references, computed otherwise: simulated chains and walks with
the package's samplers and optimal denoiser, with tolerances from their standard errors."""

import numpy as np
import pytest

import raetut as rt


def _gaussian(v):
    return rt.GaussianMixture([1.0], [[0.0]], [[[v]]])


N = 40_000  # independent chains; a sample variance has relative standard error sqrt(2/N) = 0.7 %


@pytest.mark.parametrize("v, sigma, c", [(1.0, 0.6, 1.0), (0.5, 1.2, 0.3), (2.0, 0.4, 1.7)])
def test_ch13_1_matches_a_simulated_gibbs_chain(v, sigma, c):
    # the chain with the package's denoiser as the posterior mean and variance c a sigma^2
    r = rt.dae_optimum(_gaussian(v), sigma)
    a = v / (v + sigma**2)
    rng = np.random.default_rng(0)

    def posterior(X, rng):
        return r(X) + np.sqrt(c * a) * sigma * rng.standard_normal(X.shape)

    run = rt.corrupt_reconstruct_chain(None, np.zeros((N, 1)), 80, sigma, rng, posterior=posterior)
    expected = rt.exercises.get("ch13-1").reference(v, sigma, c)
    assert np.var(run.samples[-1]) == pytest.approx(expected, rel=5 * np.sqrt(2 / N))


@pytest.mark.parametrize("V, eta", [(1.0, 0.5), (2.0, 2.0), (0.5, 1.5)])
def test_ch13_2_matches_the_package_ula(V, eta):
    rng = np.random.default_rng(1)
    run = rt.unadjusted_langevin(lambda X: -X / V, np.zeros((N, 1)), 150, np.sqrt(eta), rng)
    expected = rt.exercises.get("ch13-2").reference(V, eta)
    assert np.var(run.samples[-1]) == pytest.approx(expected, rel=5 * np.sqrt(2 / N))


@pytest.mark.parametrize("v, sigma, k", [(1.0, 0.3, 4), (0.5, 1.0, 1), (2.0, 0.8, 6)])
def test_ch13_3_matches_simulated_walks(v, sigma, k):
    # walk with the package's optimal denoiser from exact draws of the data
    r = rt.dae_optimum(_gaussian(v), sigma)
    rng = np.random.default_rng(2)
    X = np.sqrt(v) * rng.standard_normal((N, 1))
    x = X
    for _ in range(k):
        x_tilde = x + sigma * rng.standard_normal(x.shape)
        x = r(x_tilde)
    expected = rt.exercises.get("ch13-3").reference(v, sigma, k)
    assert np.var(x_tilde - X) == pytest.approx(expected, rel=5 * np.sqrt(2 / N))
