"""Toy distributions: shapes, dtypes, backend, seeding, and the moments they promise."""
import math

import numpy as np
import pytest

import minigan as mg
from minigan.data import (Gaussian1D, GaussianGrid, GaussianMixture, GaussianRing,
                          MultivariateGaussian, toy_dataset)


def _host(x):
    return mg.backend.to_numpy(x).astype(np.float64)


def test_ring_centers_and_std():
    ring = GaussianRing()
    assert ring.n_modes == 8 and ring.std == 0.01 and ring.dim == 2
    for i, c in enumerate(ring.centers):
        a = 2 * math.pi * i / 8
        assert c == pytest.approx([math.cos(a), math.sin(a)], abs=1e-12)


def test_grid_centers_and_std():
    grid = GaussianGrid()
    assert grid.n_modes == 25 and grid.std == 0.05
    expected = {(float(a), float(b)) for a in (-4, -2, 0, 2, 4) for b in (-4, -2, 0, 2, 4)}
    assert {tuple(c) for c in grid.centers.tolist()} == expected


def test_samples_on_backend_float32_and_seeded(backend_name, xp):
    for dist in (Gaussian1D(), MultivariateGaussian(3, seed=1), GaussianRing(), GaussianGrid()):
        x = dist.sample(64, mg.backend.RNG(5))
        assert isinstance(x, xp.ndarray) and x.dtype == xp.float32 and x.shape == (64, dist.dim)
        again = dist.sample(64, 5)   # an int seed means RNG(seed)
        np.testing.assert_array_equal(_host(x), _host(again))
        other = dist.sample(64, mg.backend.RNG(6))
        assert not np.array_equal(_host(x), _host(other))
        assert dist.sample(8, 0, dtype=np.float64).dtype == xp.float64


def test_mixture_samples_stay_near_their_mode(backend_name):
    for dist in (GaussianRing(), GaussianGrid()):
        x, modes = dist.sample(4000, mg.backend.RNG(0), return_modes=True)
        x, modes = _host(x), mg.backend.to_numpy(modes)
        dist_to_own = np.linalg.norm(x - dist.centers[modes], axis=1)
        # radius of a 2-D isotropic Gaussian: P(r > 5 std) = exp(-12.5) ~ 4e-6
        assert dist_to_own.max() < 5 * dist.std
        per_axis = (x - dist.centers[modes]).std(axis=0)
        np.testing.assert_allclose(per_axis, dist.std, rtol=0.05)
        counts = np.bincount(modes, minlength=dist.n_modes)
        expected = 4000 / dist.n_modes   # multinomial: 5 sigma band around the expected count
        assert np.all(np.abs(counts - expected) < 5 * math.sqrt(expected))


def test_multivariate_moments_match_parameters():
    g = MultivariateGaussian(3, seed=7)
    assert np.all(np.linalg.eigvalsh(g.cov) > 0)
    x = _host(g.sample(200_000, mg.backend.RNG(1), dtype=np.float64))
    np.testing.assert_allclose(x.mean(0), g.mean, atol=0.02)
    np.testing.assert_allclose(np.cov(x.T), g.cov, atol=0.03)
    # the seed decides the parameters
    assert np.array_equal(MultivariateGaussian(3, seed=7).cov, g.cov)
    assert not np.allclose(MultivariateGaussian(3, seed=8).mean, g.mean)


def test_gaussian1d_moments_and_pdf():
    g = Gaussian1D(mean=-1.0, std=0.5)
    x = _host(g.sample(100_000, 3))
    assert x.mean() == pytest.approx(-1.0, abs=0.01) and x.std() == pytest.approx(0.5, rel=0.01)
    grid = np.linspace(-5, 3, 4001)
    p = g.pdf(grid)
    assert ((p[1:] + p[:-1]) / 2 * np.diff(grid)).sum() == pytest.approx(1.0, abs=1e-6)   # trapezoid rule
    assert g.pdf(-1.0) == pytest.approx(1 / (0.5 * math.sqrt(2 * math.pi)))


def test_mixture_mean_and_cov():
    mix = GaussianMixture([[0.0, 0.0], [2.0, 0.0]], std=0.1)
    np.testing.assert_allclose(mix.mean, [1.0, 0.0])
    np.testing.assert_allclose(mix.cov, [[1.01, 0.0], [0.0, 0.01]])
    x = _host(mix.sample(100_000, 2))
    np.testing.assert_allclose(np.cov(x.T), mix.cov, atol=0.02)


def test_toy_dataset_by_name_and_errors():
    assert toy_dataset("ring").n_modes == 8
    assert toy_dataset("gaussian3d", seed=2).dim == 3
    with pytest.raises(ValueError, match="toy_dataset: unknown name 'moons'"):
        toy_dataset("moons")
    with pytest.raises(ValueError, match="n must be a non-negative int"):
        GaussianRing().sample(-1)
    with pytest.raises(TypeError, match="rng must be"):
        GaussianRing().sample(4, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="std must be .*> 0"):
        GaussianMixture([[0.0, 0.0]], std=0)
    with pytest.raises(ValueError, match="not positive definite"):
        MultivariateGaussian(2, cov=[[1.0, 2.0], [2.0, 1.0]])
