"""Shared fixtures: seeded generators and a few reference densities."""

import sys
from pathlib import Path

import numpy as np
import pytest

import raetut as rt

# tools/ holds the one reader of _toc.yml (book_toc), shared by the tests and the tools.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))


@pytest.fixture
def rng():
    """A freshly seeded generator, so every test is reproducible on its own."""
    return np.random.default_rng(20140101)


@pytest.fixture
def mixture_1d():
    """Three well-separated 1-D components of unequal weights and widths."""
    return rt.GaussianMixture([0.3, 0.5, 0.2], [-2.0, 0.5, 2.5], [0.4, 0.6, 0.3])


@pytest.fixture
def mixture_2d():
    """Two correlated 2-D components."""
    covariances = [[[1.0, 0.4], [0.4, 0.5]], [[0.3, -0.1], [-0.1, 0.8]]]
    return rt.GaussianMixture([0.6, 0.4], [[-1.0, 0.0], [1.5, 1.0]], covariances)


@pytest.fixture
def gaussian_1d():
    """A single 1-D Gaussian N(0.3, 0.5)."""
    return rt.GaussianMixture([1.0], [0.3], [0.5])


@pytest.fixture(scope="session")
def spiral():
    """The book's spiral mixture with its default settings."""
    return rt.spiral_mixture()


@pytest.fixture(scope="session")
def paper_density():
    """The authors' 1-D energy-based density."""
    return rt.paper_density_1d()
