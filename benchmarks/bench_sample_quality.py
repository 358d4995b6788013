"""Sample quality of the samplers on a 2-D Gaussian mixture, for equal numbers of proposals.

A tanh auto-encoder (n_hidden = 128) is trained as a DAE (sigma = 0.2) on 5000 draws
of a three-component 2-D mixture. Each sampler then runs 200 chains for 200
adaptation steps plus 600 recorded steps (160 000 proposals); the first 100 recorded
steps are dropped and every 10th step kept, and the energy distance of those 10 000
points to 5000 fresh i.i.d. draws of the true density is reported, with the
acceptance rate and the effective sample size (smallest over the two coordinates) of
the kept points. The floor is the energy distance between two i.i.d. samples of the
same sizes.

Samplers: exact MH (true log-density), MALA (true score and log-density), approximate
MH with the trained DAE (line integral, 8 nodes), MALA with the trained DAE's score
and line-integral ratios, and as a control approximate MH with the exact optimal DAE
``r*`` (which targets the smoothed density ``p_sigma``; its distance to ``p_sigma``
is shown too).

Run: ``.venv/bin/python benchmarks/bench_sample_quality.py``
"""

import time

import numpy as np
from _timing import print_table

import raetut as rt

SIGMA = 0.2
N_CHAINS, ADAPT, N_STEPS, BURN_IN, THIN = 200, 200, 600, 100, 10


def target_density():
    covariances = [
        [[0.30, 0.15], [0.15, 0.20]],
        [[0.10, 0.00], [0.00, 0.40]],
        [[0.25, -0.10], [-0.10, 0.15]],
    ]
    return rt.GaussianMixture([0.5, 0.3, 0.2], [[-1.5, 0.0], [1.0, 1.0], [1.0, -1.2]], covariances)


def main():
    rng = np.random.default_rng(0)
    density = target_density()
    smoothed = density.smoothed(SIGMA)

    X = density.sample(5000, rng)
    model = rt.Autoencoder(2, 128, activation="tanh")
    start = time.perf_counter()
    fitted = rt.fit(model, X, sigma=SIGMA, rng=rng, n_iter=300, n_noise=2, progress=False)
    print(
        f"DAE training: {fitted.n_iter} L-BFGS iterations on 5000 points x 2 corruptions, "
        f"{time.perf_counter() - start:.1f} s; final loss {fitted.loss_history[-1]:.4g}"
    )

    def learned_r(Z):
        return model.reconstruct(fitted.params, Z)

    def learned_score(Z):
        return (learned_r(Z) - Z) / SIGMA**2

    learned_ratio = rt.line_integral_log_ratio(learned_r, SIGMA)
    exact_ratio = rt.exact_log_ratio(density.log_prob)
    optimal_ratio = rt.line_integral_log_ratio(rt.dae_optimum(density, SIGMA), SIGMA)

    samplers = {
        "exact MH": lambda x0, r: rt.metropolis_hastings(
            exact_ratio, x0, N_STEPS, 0.5, r, adapt_steps=ADAPT
        ),
        "MALA (true score)": lambda x0, r: rt.mala(
            density.score, x0, N_STEPS, 0.5, r, log_ratio=exact_ratio, adapt_steps=ADAPT
        ),
        "approx. MH (trained DAE)": lambda x0, r: rt.metropolis_hastings(
            learned_ratio, x0, N_STEPS, 0.5, r, adapt_steps=ADAPT
        ),
        "MALA (trained DAE)": lambda x0, r: rt.mala(
            learned_score, x0, N_STEPS, 0.5, r, log_ratio=learned_ratio, adapt_steps=ADAPT
        ),
        "approx. MH (optimal DAE r*)": lambda x0, r: rt.metropolis_hastings(
            optimal_ratio, x0, N_STEPS, 0.5, r, adapt_steps=ADAPT
        ),
    }

    reference = density.sample(5000, rng)
    reference_smoothed = smoothed.sample(5000, rng)
    n_kept = ((N_STEPS - BURN_IN + THIN - 1) // THIN) * N_CHAINS
    floor = rt.energy_distance(density.sample(n_kept, rng), reference)
    x0 = density.sample(N_CHAINS, rng)  # every sampler starts from the same points

    rows = []
    for name, run in samplers.items():
        start = time.perf_counter()
        result = run(x0, np.random.default_rng(1))
        elapsed = time.perf_counter() - start
        kept = result.samples[BURN_IN::THIN]
        points = kept.reshape(-1, 2)
        rows.append(
            [
                name,
                f"{1e3 * rt.energy_distance(points, reference):.2f}",
                f"{1e3 * rt.energy_distance(points, reference_smoothed):.2f}",
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
