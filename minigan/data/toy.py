"""Toy distributions for GAN experiments: seeded samplers on the current backend.

    from minigan.data import toy
    ring = toy.GaussianRing()                 # 8 modes on the unit circle, std 0.01
    x = ring.sample(512, rng)                 # (512, 2) float32 on the current backend
    x, modes = ring.sample(512, rng, return_modes=True)
    ring.centers, ring.std                    # (8, 2) NumPy float64 and 0.01: for the metrics

Every sampler has ``dim``, ``mean`` (dim,), ``cov`` (dim, dim), ``centers`` (K, dim)
and ``std`` (the per-coordinate std of one mode); the parameters are NumPy float64
arrays on the host, the samples are arrays of the backend current when ``sample``
is called. ``rng`` is a :class:`minigan.backend.RNG` (of the current backend), an
int seed, or None for the backend's default generator.

- :class:`Gaussian1D` - N(mean, std^2), the first GAN demo.
- :class:`MultivariateGaussian` - N(mu, A A^T) in d dimensions, mu and A drawn from a seed.
- :class:`GaussianMixture` - equal-weight isotropic Gaussians at given centres; its two
  classic instances, the mode-coverage benchmarks of VEEGAN and PacGAN:
  :class:`GaussianRing` (8 modes, radius 1, std 0.01) and :class:`GaussianGrid`
  (25 modes at {-4, -2, 0, 2, 4}^2, std 0.05).
"""
from __future__ import annotations

import math

import numpy

from .. import backend as B
from ..checks import integer, positive_int, real

__all__ = ["ToyDistribution", "Gaussian1D", "MultivariateGaussian", "GaussianMixture",
           "GaussianRing", "GaussianGrid", "GaussianSquare"]


def _as_rng(rng, where: str) -> B.RNG:
    if rng is None:
        return B.default_rng()
    if isinstance(rng, (int, numpy.integer)) and not isinstance(rng, bool):
        return B.RNG(int(rng))
    if not isinstance(rng, B.RNG):
        raise TypeError(f"{where}: rng must be a minigan.backend.RNG, an int seed or None, "
                        f"got {type(rng).__name__}")
    if rng.backend.name != B.current().name:
        raise TypeError(f"{where}: rng draws on the {rng.backend.name} backend but the current "
                        f"backend is {B.current().name}; make the RNG after choosing the backend")
    return rng


class ToyDistribution:
    """Base class: ``sample(n, rng=None, dtype=float32) -> (n, dim)`` plus the parameters."""

    dim: int
    mean: numpy.ndarray
    cov: numpy.ndarray
    centers: numpy.ndarray
    std: float

    def sample(self, n: int, rng=None, dtype=numpy.float32):  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(dim={self.dim}, modes={len(self.centers)})"


class MultivariateGaussian(ToyDistribution):
    """N(mean, cov) in ``dim`` dimensions. Samples are mean + z L^T with z ~ N(0, I), L L^T = cov.

    Give ``mean`` and ``cov`` explicitly, or let a seed draw them: mean ~ N(0, I) and
    cov = A A^T with A ~ N(0, scale^2 / dim) entrywise plus ``jitter`` * I (so cov is
    positive definite and its eigenvalues are of order scale^2).
    """

    def __init__(self, dim: int = 2, seed: int = 0, mean=None, cov=None, scale: float = 1.0,
                 jitter: float = 0.05):
        positive_int(type(self).__name__, "dim", dim)
        self.dim, self.seed = int(dim), seed
        draw = numpy.random.default_rng(seed)   # parameters on the host: same on every backend
        self.mean = (numpy.asarray(mean, dtype=numpy.float64).reshape(self.dim) if mean is not None
                     else draw.standard_normal(self.dim))
        if cov is None:
            a = draw.standard_normal((self.dim, self.dim)) * (scale / math.sqrt(self.dim))
            cov = a @ a.T + jitter * numpy.eye(self.dim)
        self.cov = numpy.asarray(cov, dtype=numpy.float64)
        if not (numpy.isfinite(self.mean).all() and numpy.isfinite(self.cov).all()):
            raise ValueError(f"{type(self).__name__}: mean and cov must be finite, got mean "
                             f"{self.mean.tolist()} and cov {self.cov.tolist()}")
        if self.cov.shape != (self.dim, self.dim) or not numpy.allclose(self.cov, self.cov.T):
            raise ValueError(f"MultivariateGaussian: cov must be a symmetric ({dim}, {dim}) matrix, "
                             f"got shape {self.cov.shape}")
        try:
            self._chol = numpy.linalg.cholesky(self.cov)
        except numpy.linalg.LinAlgError as exc:
            raise ValueError("MultivariateGaussian: cov is not positive definite") from exc
        self.centers = self.mean[None, :]
        # one mode; its "std" is the largest per-axis spread, used only by mode metrics
        self.std = float(numpy.sqrt(self.cov.diagonal().max()))

    def sample(self, n: int, rng=None, dtype=numpy.float32):
        """(n, dim) samples on the current backend."""
        n = integer("MultivariateGaussian.sample", "n", n, minimum=0)
        rng = _as_rng(rng, "MultivariateGaussian.sample")
        z = rng.standard_normal((n, self.dim), dtype=dtype)
        xp = rng.backend.xp
        return z @ xp.asarray(self._chol.T, dtype=dtype) + xp.asarray(self.mean, dtype=dtype)


class Gaussian1D(MultivariateGaussian):
    """N(mean, std^2) as (n, 1) samples - the 1-D Gaussian of the first GAN demos."""

    def __init__(self, mean: float = 4.0, std: float = 1.25):
        mean, std = real("Gaussian1D", "mean", mean), real("Gaussian1D", "std", std, positive=True)
        super().__init__(1, seed=None, mean=[mean], cov=[[std * std]])
        self.std = float(std)

    def sample(self, n: int, rng=None, dtype=numpy.float32):
        n = integer("Gaussian1D.sample", "n", n, minimum=0)
        rng = _as_rng(rng, "Gaussian1D.sample")
        return rng.normal((n, 1), float(self.mean[0]), self.std, dtype=dtype)

    def pdf(self, x):
        """The density at ``x`` (NumPy, any shape) - for plotting against a histogram."""
        x = numpy.asarray(x, dtype=numpy.float64)
        return numpy.exp(-0.5 * ((x - self.mean[0]) / self.std) ** 2) / (self.std * math.sqrt(2 * math.pi))

    def __repr__(self) -> str:
        return f"Gaussian1D(mean={self.mean[0]}, std={self.std})"


class GaussianMixture(ToyDistribution):
    """Equal-weight mixture of N(center_k, std^2 I) for the K rows of ``centers`` (K, dim)."""

    def __init__(self, centers, std: float):
        c = numpy.asarray(centers, dtype=numpy.float64)
        if c.ndim != 2 or c.shape[0] < 1:
            raise ValueError(f"{type(self).__name__}: centers must be (K, dim), got shape {c.shape}")
        if not numpy.isfinite(c).all():
            raise ValueError(f"{type(self).__name__}: centers must be finite")
        self.centers, self.std = c, real(type(self).__name__, "std", std, positive=True)
        self.dim = c.shape[1]
        self.mean = c.mean(axis=0)
        # law of total variance: within-mode std^2 I plus the spread of the centres
        d = c - self.mean
        self.cov = d.T @ d / c.shape[0] + self.std ** 2 * numpy.eye(self.dim)

    @property
    def n_modes(self) -> int:
        return self.centers.shape[0]

    def sample(self, n: int, rng=None, dtype=numpy.float32, return_modes: bool = False):
        """(n, dim) samples on the current backend; with ``return_modes`` also the (n,) index
        of the mode each sample was drawn from (int64, same backend)."""
        where = f"{type(self).__name__}.sample"
        n = integer(where, "n", n, minimum=0)
        rng = _as_rng(rng, where)
        xp = rng.backend.xp
        modes = xp.asarray(rng.integers(0, self.n_modes, size=n), dtype=xp.int64)
        x = rng.normal((n, self.dim), 0.0, self.std, dtype=dtype)
        x += xp.asarray(self.centers, dtype=dtype)[modes]
        return (x, modes) if return_modes else x

    def __repr__(self) -> str:
        return f"{type(self).__name__}(modes={self.n_modes}, dim={self.dim}, std={self.std})"


class GaussianRing(GaussianMixture):
    """``n_modes`` Gaussians with means radius * (cos 2 pi i / K, sin 2 pi i / K), std 0.01."""

    def __init__(self, n_modes: int = 8, radius: float = 1.0, std: float = 0.01):
        positive_int("GaussianRing", "n_modes", n_modes)
        real("GaussianRing", "radius", radius)
        angles = 2 * math.pi * numpy.arange(n_modes) / n_modes
        super().__init__(radius * numpy.stack([numpy.cos(angles), numpy.sin(angles)], axis=1), std)
        self.radius = float(radius)


class GaussianGrid(GaussianMixture):
    """side x side Gaussians at {-(side-1)/2, ..., (side-1)/2}^2 * spacing, std 0.05
    (default: 25 modes at {-4, -2, 0, 2, 4}^2)."""

    def __init__(self, side: int = 5, spacing: float = 2.0, std: float = 0.05):
        positive_int("GaussianGrid", "side", side)
        real("GaussianGrid", "spacing", spacing)
        ticks = (numpy.arange(side) - (side - 1) / 2) * spacing
        gx, gy = numpy.meshgrid(ticks, ticks, indexing="ij")
        super().__init__(numpy.stack([gx.ravel(), gy.ravel()], axis=1), std)
        self.side, self.spacing = int(side), float(spacing)


class GaussianSquare(GaussianMixture):
    """8 Gaussians at the corners and the edge midpoints of the square [-half, half]^2 (half 1.5), in the
    order of GaussianRing's angles (0, 45, ..., 315 degrees), std 0.01: the ring's modes
    pushed out onto a square, the CycleGAN toy's second domain."""

    def __init__(self, half: float = 1.5, std: float = 0.01):
        real("GaussianSquare", "half", half, positive=True)
        angles = 2 * math.pi * numpy.arange(8) / 8
        d = numpy.stack([numpy.cos(angles), numpy.sin(angles)], axis=1)
        # scale each direction until it meets the square: the L-infinity unit sphere
        super().__init__(half * d / numpy.abs(d).max(axis=1, keepdims=True), std)
        self.half = float(half)
