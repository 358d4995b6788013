"""Chapter 10's exercise references, computed otherwise: the package's own denoisers and
scores pushed through quadrature, a simulated chain, and mode counting on a grid."""

import numpy as np
import pytest
from scipy import integrate, optimize

import raetut as rt

Z, W = np.polynomial.hermite_e.hermegauss(20)
W = W / W.sum()  # E[f(z)], z ~ N(0, 1), exact for polynomials of degree < 40
Z1, Z2 = Z[:, None], Z[None, :]
W2 = W[:, None] * W[None, :]


def _gaussian(v):
    return rt.GaussianMixture([1.0], [[0.0]], [[[v]]])


def _apply(f, x):
    x = np.asarray(x, dtype=float)
    return f(x.reshape(-1, 1)).reshape(x.shape)


@pytest.mark.parametrize("v, sigma", [(1.0, 0.6), (0.4, 1.3), (2.5, 0.3)])
def test_ch10_1_is_the_fixed_point_of_the_chains_variance_map(v, sigma):
    # Var x' = E[r*(sqrt(V) z1 + sigma z2)^2] with the package's optimal denoiser (exact
    # for a linear r by Gauss-Hermite); the stationary variance is its fixed point.
    r = rt.dae_optimum(_gaussian(v), sigma)

    def next_variance(V):
        return float(np.sum(W2 * _apply(r, np.sqrt(V) * Z1 + sigma * Z2) ** 2))

    fixed = optimize.brentq(lambda V: next_variance(V) - V, 1e-6, 10 * v, xtol=1e-14)
    assert rt.exercises.get("ch10-1").reference(v, sigma) == pytest.approx(fixed, rel=1e-10)


def test_ch10_1_matches_a_simulated_chain():
    # 20,000 independent chains, 200 steps from x = 0 (a^400 < 1e-20 of the start is
    # left); the sample variance has a relative standard error sqrt(2 / n) = 1 %, and
    # the tolerance is five of them.
    v, sigma, n = 1.5, 0.8, 20_000
    r = rt.dae_optimum(_gaussian(v), sigma)
    rng = np.random.default_rng(1)
    x = np.zeros((n, 1))
    for _ in range(200):
        x = r(x + sigma * rng.standard_normal((n, 1)))
    expected = rt.exercises.get("ch10-1").reference(v, sigma)
    assert np.var(x) == pytest.approx(expected, rel=5 * np.sqrt(2 / n))
    assert np.var(x) < v / 2  # under-dispersed for every sigma


def _step_moments(v, sigma_l, sigma_next, drift, noise):
    # x ~ p_sigma_l = N(0, v + sigma_l^2); the score is the package's score of p_sigma_l
    score = _gaussian(v).smoothed(sigma_l).score
    delta = sigma_l**2 - sigma_next**2
    x = np.sqrt(v + sigma_l**2) * Z1 + 0 * Z2
    x_new = x + drift * delta * _apply(score, x) + noise * np.sqrt(delta) * Z2
    return np.sum(W2 * x_new * x) / np.sum(W2 * x * x), np.sum(W2 * x_new**2)


@pytest.mark.parametrize("v, sigma_l, sigma_next", [(0.25, 8.0, 5.97), (1.3, 1.0, 0.6),
                                                     (0.5, 2.0, 0.2)])
def test_ch10_2_is_the_law_after_one_reverse_sde_step_by_quadrature(v, sigma_l, sigma_next):
    factor, variance = _step_moments(v, sigma_l, sigma_next, drift=1.0, noise=1.0)
    got = rt.exercises.get("ch10-2").reference(v, sigma_l, sigma_next)
    np.testing.assert_allclose(got, [factor, variance], rtol=1e-12)
    # the step overshoots the target variance v + sigma_next^2 by delta^2 / (v + sigma_l^2)
    delta = sigma_l**2 - sigma_next**2
    assert variance - (v + sigma_next**2) == pytest.approx(delta**2 / (v + sigma_l**2),
                                                           rel=1e-10)


@pytest.mark.parametrize("v, sigma_l, sigma_next", [(0.25, 8.0, 5.97), (1.3, 1.0, 0.6),
                                                     (0.5, 2.0, 0.2)])
def test_ch10_3_is_the_variance_after_one_flow_step_by_quadrature(v, sigma_l, sigma_next):
    _, variance = _step_moments(v, sigma_l, sigma_next, drift=0.5, noise=0.0)
    got = rt.exercises.get("ch10-3").reference(v, sigma_l, sigma_next)
    assert got == pytest.approx(variance, rel=1e-12)


def test_ch10_3_the_exact_flow_lands_on_the_target():
    # Integrating dx/d(sigma^2) = -(1/2) s_sigma(x) accurately (an adaptive ODE solver on
    # the package's score) from sigma_l down to sigma_next scales x so that the variance
    # reaches the target; the one-step reference does not.
    v, sigma_l, sigma_next = 0.7, 1.5, 0.5

    def velocity(t, x):
        return -0.5 * _gaussian(v).smoothed(np.sqrt(t)).score(x.reshape(1, 1)).ravel()

    flow = integrate.solve_ivp(velocity, (sigma_l**2, sigma_next**2), [1.0], rtol=1e-11,
                               atol=1e-12)
    factor = float(flow.y[0, -1])
    assert factor**2 * (v + sigma_l**2) == pytest.approx(v + sigma_next**2, rel=1e-8)
    one_step = rt.exercises.get("ch10-3").reference(v, sigma_l, sigma_next)
    assert one_step > (v + sigma_next**2) * 1.01


def _n_modes(D, omega, sigma, n=40_001):
    density = rt.GaussianMixture([0.5, 0.5], [[-D / 2], [D / 2]],
                                 [[[omega**2]], [[omega**2]]]).smoothed(sigma)
    x = np.linspace(-D, D, n)
    p = density.prob(x[:, None])
    return int(np.sum((p[1:-1] > p[:-2]) & (p[1:-1] > p[2:])))


@pytest.mark.parametrize("D, omega", [(4.0, 0.5), (2.0, 0.3), (6.0, 1.5)])
def test_ch10_4_is_where_the_smoothed_mixture_becomes_unimodal(D, omega):
    # bisection on the number of local maxima of p_sigma on a fine grid
    lo, hi = 1e-6, D
    assert _n_modes(D, omega, lo) == 2 and _n_modes(D, omega, hi) == 1
    for _ in range(30):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if _n_modes(D, omega, mid) == 2 else (lo, mid)
    # the grid resolves the two maxima only to about 1e-3 of sigma near the threshold
    assert rt.exercises.get("ch10-4").reference(D, omega) == pytest.approx(hi, rel=5e-3)


def test_ch10_4_is_zero_when_the_mixture_is_unimodal_already():
    assert _n_modes(1.0, 0.6, 1e-9) == 1
    assert rt.exercises.get("ch10-4").reference(1.0, 0.6) == 0.0
