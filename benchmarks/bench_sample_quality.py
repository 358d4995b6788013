"""Sample quality of the samplers on a 2-D Gaussian mixture, for equal numbers of proposals.

For sigma = 0.2 and 0.3, a tanh auto-encoder (n_hidden = 128) is trained as a DAE on
5000 draws of a three-component 2-D mixture. Each sampler then runs 200 chains for 200
adaptation steps plus 600 recorded steps (160 000 proposals); the first 100 recorded
steps are dropped and every 10th step kept, and the energy distance of those 10 000
points to 5000 fresh i.i.d. draws of the true density is reported, with the
acceptance rate and the effective sample size (smallest over the two coordinates) of
the kept points. The floor is the energy distance between two i.i.d. samples of the
same sizes.

Samplers: exact MH (true log-density), MALA (true score and log-density), approximate
MH with the trained DAE (line integral, 8 nodes), MALA with the trained DAE's score
and line-integral ratios, and as a control approximate MH with the exact optimal DAE
``r*`` (which targets the smoothed density ``p_sigma``). For the DAE-driven samplers
the distance to ``p_sigma`` (to 5000 i.i.d. draws of it) is shown too: a finite sigma
trades bias (towards ``p_sigma``) against the noise of the learned score.

Run: ``.venv/bin/python benchmarks/bench_sample_quality.py``
"""

import time

import numpy as np
from _timing import print_table

import raetut as rt

SIGMAS = (0.2, 0.3)
N_CHAINS, ADAPT, N_STEPS, BURN_IN, THIN = 200, 200, 600, 100, 10


def target_density():
    covariances = [
        [[0.30, 0.15], [0.15, 0.20]],
        [[0.10, 0.00], [0.00, 0.40]],
        [[0.25, -0.10], [-0.10, 0.15]],
    ]
    return rt.GaussianMixture([0.5, 0.3, 0.2], [[-1.5, 0.0], [1.0, 1.0], [1.0, -1.2]], covariances)


def trained_dae(density, sigma, rng):
    """A tanh auto-encoder fitted as a DAE to 5000 draws; returns its reconstruction."""
    X = density.sample(5000, rng)
    model = rt.Autoencoder(2, 128, activation="tanh")
    start = time.perf_counter()
    fitted = rt.fit(model, X, sigma=sigma, rng=rng, n_iter=300, n_noise=2, progress=False)
    print(
        f"DAE training (sigma={sigma}): {fitted.n_iter} L-BFGS iterations on 5000 points x 2 "
        f"corruptions, {time.perf_counter() - start:.1f} s; "
        f"final loss {fitted.loss_history[-1]:.4g}"
    )
    return lambda Z: model.reconstruct(fitted.params, Z)


def main():
    rng = np.random.default_rng(0)
    density = target_density()
    exact_ratio = rt.exact_log_ratio(density.log_prob)

    def mh(log_ratio):
        return lambda x0, r: rt.metropolis_hastings(
            log_ratio, x0, N_STEPS, 0.5, r, adapt_steps=ADAPT
        )

    def mala(score, log_ratio):
        return lambda x0, r: rt.mala(
            score, x0, N_STEPS, 0.5, r, log_ratio=log_ratio, adapt_steps=ADAPT
        )

    samplers = {
        "exact MH": (None, mh(exact_ratio)),
        "MALA (true score)": (None, mala(density.score, exact_ratio)),
    }
    for sigma in SIGMAS:
        r = trained_dae(density, sigma, rng)
        learned_ratio = rt.line_integral_log_ratio(r, sigma)

        def learned_score(Z, r=r, sigma=sigma):
            return (r(Z) - Z) / sigma**2

        optimal_ratio = rt.line_integral_log_ratio(rt.dae_optimum(density, sigma), sigma)
        samplers[f"approx. MH, trained DAE, sigma={sigma}"] = (sigma, mh(learned_ratio))
        samplers[f"MALA, trained DAE, sigma={sigma}"] = (sigma, mala(learned_score, learned_ratio))
        samplers[f"approx. MH, optimal r*, sigma={sigma}"] = (sigma, mh(optimal_ratio))

    reference = density.sample(5000, rng)
    smoothed_reference = {sigma: density.smoothed(sigma).sample(5000, rng) for sigma in SIGMAS}
    n_kept = ((N_STEPS - BURN_IN + THIN - 1) // THIN) * N_CHAINS
    floor = rt.energy_distance(density.sample(n_kept, rng), reference)
    x0 = density.sample(N_CHAINS, rng)  # every sampler starts from the same points

    rows = []
    for name, (sigma, run) in samplers.items():
        start = time.perf_counter()
        result = run(x0, np.random.default_rng(1))
        elapsed = time.perf_counter() - start
        kept = result.samples[BURN_IN::THIN]
        points = kept.reshape(-1, 2)
        to_smoothed = ""
        if sigma is not None:
            to_smoothed = f"{1e3 * rt.energy_distance(points, smoothed_reference[sigma]):.2f}"
        rows.append(
            [
                name,
                f"{1e3 * rt.energy_distance(points, reference):.2f}",
                to_smoothed,
                f"{result.acceptance_rate:.3f}",
                f"{result.step_size:.3g}",
                f"{np.min(rt.effective_sample_size(kept)):.0f}",
                f"{elapsed:.1f}",
            ]
        )
    rows.append(["i.i.d. draws of p (floor)", f"{1e3 * floor:.2f}", "", "", "", f"{n_kept}", ""])
    proposals = N_CHAINS * (ADAPT + N_STEPS)
    print(
        f"Target: 3-component 2-D mixture; {proposals} proposals per sampler; "
        f"{n_kept} kept points vs 5000 i.i.d. reference draws"
    )
    print_table(
        [
            "sampler",
            "1e3 x energy dist. to p",
            "to p_sigma",
            "acceptance",
            "step size",
            "ESS (kept)",
            "seconds",
        ],
        rows,
    )


if __name__ == "__main__":
    main()
