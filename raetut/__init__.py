"""raetut: the numerics behind the book *What regularized auto-encoders learn*.

Every public name of the modules below is available at the top level, e.g.
``raetut.GaussianMixture`` or ``raetut.dae_optimum`` (:data:`_EXPORTS` says which module
each comes from); the checks of the book's claims live in :mod:`raetut.checks`. Modules
are imported on first use, so ``import raetut`` is fast and pulls in no plotting library.

Modules, a one-way stack (each imports only modules above it):

- ``_validation``: argument checks and calling a user function safely
- ``_grid``: trapezoid weights and integrals, sign changes, where there is data
- ``densities``: densities with exact log-density, score, Hessian, samples, smoothing
- ``criteria``: the DAE, CAE, rCAE and score-matching criteria and their decompositions
- ``optimal``: the exact optima (Theorem 1, Euler-Lagrange solvers, Gaussian forms,
  the empirical DAE optimum)
- ``empirical``: the empirical distribution of a training set: its exact optimal DAE,
  posterior covariance, log-density; a Gaussian baseline; the handwritten digits
- ``models``: the one-hidden-layer auto-encoder with analytic Jacobians
- ``training``: fitting a model to a criterion
- ``fields``: what a field r(x) - x is: Jacobians, curl, fixed points, energies, tangents
- ``sampling``: log-ratios, Metropolis-Hastings, MALA, Langevin, annealed Langevin
- ``diagnostics``: orders and coefficients, distances, ESS, mode fractions, score errors
- ``checks``: the record, the registry and one module per chapter
- ``exercises``: checkers for the computational exercises (``exercises.check(key, f)``)
- ``plotting``, ``widgets``: the book's figure style and interactive figures
"""

import importlib

__version__ = "0.1.0"

_MODULES = (
    "densities",
    "criteria",
    "optimal",
    "empirical",
    "models",
    "training",
    "fields",
    "sampling",
    "diagnostics",
    "checks",
    "exercises",
    "plotting",
    "widgets",
)

# Each public name and the one module it comes from; tests/test_package.py checks that
# this map is exactly the union of the modules' ``__all__`` and that no name is in two.
_EXPORTS = {
    # densities
    "GaussianMixture": "densities",
    "SpiralMixture": "densities",
    "spiral_mixture": "densities",
    "Density1D": "densities",
    "paper_density_1d": "densities",
    "critical_points_1d": "densities",
    # criteria
    "reconstruction_error": "criteria",
    "dae_loss": "criteria",
    "rcae_loss": "criteria",
    "cae_loss": "criteria",
    "score_matching_loss": "criteria",
    "quadrature_weights": "criteria",
    "dae_loss_quadrature": "criteria",
    "rcae_loss_quadrature": "criteria",
    "rcae_score_matching_terms": "criteria",
    "smoothed_grid_1d": "criteria",
    "dae_score_matching_terms_1d": "criteria",
    "score_matching_quadrature_1d": "criteria",
    # optimal
    "dae_optimum": "optimal",
    "dae_optimum_1d": "optimal",
    "rcae_optimum_1d": "optimal",
    "rcae_optimum_1d_forward": "optimal",
    "rcae_optimum_2d": "optimal",
    "gaussian_dae_optimum": "optimal",
    "gaussian_rcae_optimum": "optimal",
    "dae_score_correction": "optimal",
    "rcae_score_correction": "optimal",
    "empirical_dae_optimum": "optimal",
    "dae_optimum_jacobian": "optimal",
    "LangevinResolventEstimate": "optimal",
    "rcae_optimum_langevin": "optimal",
    "dae_posterior_covariance": "optimal",
    "dae_posterior_variance_1d": "optimal",
    "dae_jacobian_correction": "optimal",
    "rcae_jacobian_correction": "optimal",
    # empirical
    "DigitsSplit": "empirical",
    "digits_split": "empirical",
    "empirical_posterior_weights": "empirical",
    "empirical_denoiser": "empirical",
    "empirical_log_density": "empirical",
    "empirical_posterior_covariance": "empirical",
    "gaussian_fit_denoiser": "empirical",
    "nearest_neighbours": "empirical",
    "denoising_error": "empirical",
    # models
    "Autoencoder": "models",
    "jacobian_trace": "models",
    "ScoreEstimate": "models",
    "score_estimate": "models",
    "step_unit_params": "models",
    # training
    "FitResult": "training",
    "fit": "training",
    "make_objective": "training",
    "walkback_corruptions": "training",
    "fit_walkback": "training",
    # fields
    "field_jacobian": "fields",
    "energy_gradient": "fields",
    "energy_from_field_1d": "fields",
    "energy_density_1d": "fields",
    "jacobian_asymmetry": "fields",
    "curl_2d": "fields",
    "circulation": "fields",
    "attractors_1d": "fields",
    "pointing_fraction": "fields",
    "finite_difference_jacobian": "fields",
    "jacobian_eigen": "fields",
    "tangent_angles": "fields",
    "TangentAnalysis": "fields",
    "tangent_analysis": "fields",
    "curvature": "fields",
    "component_turn_angle": "fields",
    "implied_log_density_1d": "fields",
    "implied_cdf_1d": "fields",
    "fixed_points_1d": "fields",
    "closed_loop_log_ratio": "fields",
    "field_curl_2d": "fields",
    "triangle_curl_flux": "fields",
    # sampling
    "MCMCResult": "sampling",
    "line_integral_log_ratio": "sampling",
    "exact_log_ratio": "sampling",
    "metropolis_hastings": "sampling",
    "mala": "sampling",
    "unadjusted_langevin": "sampling",
    "geometric_noise_levels": "sampling",
    "optimal_denoisers": "sampling",
    "denoiser_scores": "sampling",
    "AnnealedLangevinResult": "sampling",
    "annealed_langevin": "sampling",
    "corrupt_reconstruct_chain": "sampling",
    "mixture_posterior_sampler": "sampling",
    # diagnostics
    "PowerLawFit": "diagnostics",
    "fit_power_law": "diagnostics",
    "fit_leading_coefficient": "diagnostics",
    "KSTest": "diagnostics",
    "ks_distance": "diagnostics",
    "ks_test": "diagnostics",
    "energy_distance": "diagnostics",
    "PermutationTest": "diagnostics",
    "energy_permutation_test": "diagnostics",
    "mmd": "diagnostics",
    "effective_sample_size": "diagnostics",
    "weighted_score_error": "diagnostics",
    "total_variation_1d": "diagnostics",
    "kl_divergence_1d": "diagnostics",
    "mass_outside_1d": "diagnostics",
    "score_error_1d": "diagnostics",
    "dae_estimation_error_scale": "diagnostics",
    "far_from_data": "diagnostics",
    "relative_errors": "diagnostics",
    "far_field_error": "diagnostics",
    "mode_fractions": "diagnostics",
    "mode_effective_sample_size": "diagnostics",
    "mixture_cdf_1d": "diagnostics",
    "indicator_effective_sample_size": "diagnostics",
    "split_rhat": "diagnostics",
    "ks_tolerance": "diagnostics",
    "max_log_hessian_eigenvalue": "diagnostics",
    "log_concavity_threshold": "diagnostics",
    "excess_dae_loss_1d": "diagnostics",
    "smoothed_squared_error_1d": "diagnostics",
    # plotting
    "COLORS": "plotting",
    "PALETTE": "plotting",
    "use_book_style": "plotting",
    "plot_density_1d": "plotting",
    "plot_field_1d": "plotting",
    "plot_field_arrows_1d": "plotting",
    "plot_vector_field_2d": "plotting",
    "plot_loglog_fit": "plotting",
    "mark_critical_points": "plotting",
    # widgets
    "static_slider": "widgets",
    "live_slider": "widgets",
}


def __getattr__(name):
    if name in _MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    module = _EXPORTS.get(name)
    if module is not None:
        value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_MODULES) | set(_EXPORTS))
