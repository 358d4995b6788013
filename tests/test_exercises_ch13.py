"""Chapter 13's exercise references, computed otherwise: simulated chains and walks with
the package's samplers and optimal denoiser, with tolerances from their standard errors,
and SciPy's discrete Lyapunov solver."""

import numpy as np
import pytest
import scipy.linalg

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


@pytest.mark.parametrize("seed, d, sigma", [(0, 2, 0.3), (1, 3, 1.0), (2, 4, 0.6)])
def test_ch13_2_solves_the_lyapunov_equation_of_the_package_denoiser(seed, d, sigma):
    # A read off the package's optimal denoiser (its columns are r*(e_i)); the stationary
    # covariance from SciPy's discrete Lyapunov solver C = A C A^T + sigma^2 A A^T
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    Sigma = (Q * rng.uniform(0.05, 3.0, d)) @ Q.T
    r = rt.dae_optimum(rt.GaussianMixture([1.0], [np.zeros(d)], [Sigma]), sigma)
    A = r(np.eye(d)).T
    C = scipy.linalg.solve_discrete_lyapunov(A, sigma**2 * A @ A.T)
    expected = rt.exercises.get("ch13-2").reference(Sigma, sigma)
    np.testing.assert_allclose(expected, C, rtol=1e-9, atol=1e-12)


def test_ch13_2_matches_a_simulated_chain():
    Sigma = np.array([[1.0, 0.6], [0.6, 0.5]])
    sigma = 0.7
    r = rt.dae_optimum(rt.GaussianMixture([1.0], [np.zeros(2)], [Sigma]), sigma)
    run = rt.corrupt_reconstruct_chain(r, np.zeros((N, 2)), 60, sigma, np.random.default_rng(3))
    expected = rt.exercises.get("ch13-2").reference(Sigma, sigma)
    # sample covariance of N independent chains: each entry within 5 standard errors
    se = np.sqrt((expected**2 + np.outer(np.diag(expected), np.diag(expected))) / N)
    assert np.all(np.abs(np.cov(run.samples[-1].T) - expected) < 5 * se)


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
