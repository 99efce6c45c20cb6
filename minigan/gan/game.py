"""The two players of the game on 1-D and 2-D data, as numbers to draw (minigan.viz.game).

    mesh_z, mesh_label = latent_grid(latent_dim, "normal")          # (A, B, latent_dim)
    frame = game_frame(G, D, objective, real, z, mesh_z, mesh_label=mesh_label)
    viz.game(frame, "game.png")

A :class:`GameFrame` holds, for samples of dimension d = 1 or 2:

- ``surface``: D's decision surface on a regular grid over ``bounds``, read as the
  objective reads it (``objective.reading``: sigmoid(D) for the logistic games, the raw
  score for critics and LSGAN, relative to the fakes for RaGAN); for the MMD matching
  network, which has no D, the witness function of its kernel (ops/mmd.py);
- ``arrows``: -dL_G/dx on each fake sample, the direction G's loss pushes it (through D's
  backward, or through the MMD gradient), exactly as the G step computes it for this batch;
- ``mesh``: G applied to a regular grid of latent codes (the manifold view).

Computing a frame runs G and D in evaluation mode (batch norm's running statistics, no
power iteration of spectral norm), freezes D (no parameter gradient), draws no random
number and writes nothing back: training after it is what it would have been without it.
G is used as it is: wrap the call in ``ema.applied()`` to draw a weight average.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import NamedTuple

import numpy

from .. import backend as B
from ..nn import Module, Pack, frozen
from ..ops.mmd import mmd_witness
from .objective import Objective


class GameFrame(NamedTuple):
    """One picture of the game, NumPy float64 arrays (d = 1 or 2 the sample dimension).

    surface (R,) for d = 1; (R, R) for d = 2 with surface[i, j] at (xs[j], ys[i])
    bounds  (2 d,) (lo, hi) per axis of the grid: (x0, x1) or (x0, x1, y0, y1)
    real (M, d), fake (N, d), arrows (N, d) = -dL_G/d fake, mesh (A, B, d) = G(latent grid)
    """
    step: int
    bounds: numpy.ndarray
    surface: numpy.ndarray
    real: numpy.ndarray
    fake: numpy.ndarray
    arrows: numpy.ndarray
    mesh: numpy.ndarray
    label: str = "D(x)"               # what the colour (or the 1-D curve) is
    centre: float | None = None       # the value meaning "cannot tell", or None
    limits: tuple | None = None       # fixed limits of that value, or None
    mesh_label: str = "G(latent grid)"

    @property
    def dim(self) -> int:
        return int(self.fake.shape[1])


ARRAYS = ("bounds", "surface", "real", "fake", "arrows", "mesh")   # what a checkpoint keeps


def latent_grid(latent_dim: int, noise: str = "normal", points: int = 21, axes: int = 2,
                span: float = 2.0) -> tuple[numpy.ndarray, str]:
    """(codes (A, B, latent_dim) float32, a description) for the manifold view: the first
    ``min(axes, latent_dim)`` latent coordinates on a regular grid of ``points`` values (B = 1
    when one varies), the others held at the noise's mean. Normal noise: over [-span, span]
    (+-2 std) around 0; uniform noise on [0, 1): over [0, 1] around 0.5."""
    latent_dim, points, axes = int(latent_dim), int(points), int(axes)
    if latent_dim < 1 or points < 2 or axes not in (1, 2):
        raise ValueError(f"latent_grid: need latent_dim >= 1, points >= 2 and axes 1 or 2; got "
                         f"latent_dim={latent_dim}, points={points}, axes={axes}")
    if noise == "uniform":
        lo, hi, rest, text = 0.0, 1.0, 0.5, "[0, 1]"
    elif noise == "normal":
        lo, hi, rest, text = -float(span), float(span), 0.0, f"[-{span:g}, {span:g}]"
    else:
        raise ValueError(f"latent_grid: noise must be 'normal' or 'uniform', got {noise!r}")
    k = min(axes, latent_dim)
    values = numpy.linspace(lo, hi, points)
    codes = numpy.full((points, points if k == 2 else 1, latent_dim), rest, dtype=numpy.float32)
    codes[..., 0] = values[:, None]
    if k == 2:
        codes[..., 1] = values[None, :]
    varied = "z" if latent_dim == 1 else ("z1" if k == 1 else "z1, z2")
    label = f"G(z), {varied} over {text}"
    if latent_dim > k:
        held = f"z{k + 1}" if latent_dim == k + 1 else f"z{k + 1}..z{latent_dim}"
        label += f", {held} held at {rest:g}"
    return codes, label


def surface_points(bounds, resolution: int) -> numpy.ndarray:
    """The grid the surface is computed on, (R^d, d) float64: for d = 2 the rows run over x
    fastest, so that ``values.reshape(R, R)[i, j]`` is the value at (xs[j], ys[i])."""
    b = numpy.asarray(bounds, dtype=numpy.float64).ravel()
    axes = [numpy.linspace(b[2 * k], b[2 * k + 1], int(resolution)) for k in range(len(b) // 2)]
    if len(axes) == 1:
        return axes[0][:, None]
    X, Y = numpy.meshgrid(axes[0], axes[1])
    return numpy.stack([X.ravel(), Y.ravel()], axis=1)


def fit_bounds(*arrays, margin: float = 0.25) -> numpy.ndarray:
    """(lo, hi) per axis around the finite rows of ``arrays`` (each (N, d)), widened by
    ``margin`` times the span on each side (a span of 0 counts as 1)."""
    pts = numpy.concatenate([a.reshape(-1, a.shape[-1]) for a in arrays])
    pts = pts[numpy.isfinite(pts).all(axis=1)]
    if len(pts) == 0:
        pts = numpy.array([[-1.0] * arrays[0].shape[-1], [1.0] * arrays[0].shape[-1]])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    span = numpy.where(hi - lo > 0, hi - lo, 1.0)
    return numpy.stack([lo - margin * span, hi + margin * span], axis=1).ravel()


@contextmanager
def _evaluating(*models):
    """Evaluation mode for the block, each submodule's own mode restored after it."""
    before = [(m, m.training) for model in models if model is not None for m in model.modules()]
    for model in models:
        if model is not None:
            model.eval()
    try:
        yield
    finally:
        for m, mode in before:
            object.__setattr__(m, "training", mode)


def _pack_of(D: Module) -> int:
    """How many samples D judges at once (PacGAN's nn.Pack, first in D), else 1."""
    return next((m.m for m in D.modules() if isinstance(m, Pack)), 1)


def _samples(x, fn: str, name: str, d: int | None = None):
    if x.ndim != 2 or x.shape[1] not in (1, 2) or (d is not None and x.shape[1] != d):
        want = "(N, 1) or (N, 2)" if d is None else f"(N, {d})"
        raise ValueError(f"{fn}: {name} must have shape {want} (the game is drawn for 1-D and "
                         f"2-D data), got {tuple(x.shape)}")
    return x


def game_frame(G: Module, D: Module | None, objective: Objective, real, z, mesh_z,
               bounds=None, resolution: int | None = None, step: int = 0,
               mesh_label: str = "G(latent grid)") -> GameFrame:
    """The game at this moment: D's surface on a grid over ``bounds``, -dL_G/dx on G(z), and
    G on the latent grid ``mesh_z``.

    real (M, d) real samples and z (N, latent) codes, NumPy or the models' backend (NumPy
    inputs are moved there); mesh_z (A, B, latent) from :func:`latent_grid`. With a packed D
    (PacGAN) M and N must be multiples of the pack, and D's value at t is its value on a pack
    of copies of t. ``bounds`` None: fitted around the real, fake and mesh points.
    ``resolution``: grid points per axis (default 64 in 2-D, 200 in 1-D)."""
    fn = "game_frame"
    if objective.needs_discriminator and not isinstance(D, Module):
        raise TypeError(f"{fn}: the {objective.name} objective needs D (a Module), got "
                        f"{type(D).__name__}")
    params = G.parameters()
    xp, dtype = B.array_module(params[0].data), params[0].data.dtype

    def on_device(a):
        return xp.asarray(a, dtype=dtype) if isinstance(a, numpy.ndarray) else a

    real, z = on_device(real), on_device(z)
    _samples(real, fn, "real")
    d = int(real.shape[1])
    mesh_z = on_device(mesh_z)
    if mesh_z.ndim != 3 or mesh_z.shape[2] != z.shape[1]:
        raise ValueError(f"{fn}: mesh_z must have shape (A, B, {z.shape[1]}) (the latent grid), "
                         f"got {tuple(mesh_z.shape)}")
    with _evaluating(G, D):
        fake = _samples(G.forward(z), fn, "G(z)", d)
        mesh = G.forward(mesh_z.reshape(-1, mesh_z.shape[2]))
        mesh_h = B.to_numpy(mesh).astype(numpy.float64).reshape(mesh_z.shape[:2] + (d,))
        fake_h, real_h = (B.to_numpy(a).astype(numpy.float64) for a in (fake, real))
        if bounds is None:
            bounds = fit_bounds(real_h, fake_h, mesh_h)
        bounds = numpy.asarray(bounds, dtype=numpy.float64).ravel()
        if bounds.shape != (2 * d,):
            raise ValueError(f"{fn}: bounds must hold {2 * d} numbers (lo, hi per axis), got "
                             f"shape {bounds.shape}")
        res = int(resolution or (64 if d == 2 else 200))
        grid = xp.asarray(surface_points(bounds, res), dtype=dtype)
        if objective.needs_discriminator:
            surface, arrows = _through_d(D, objective, real, fake, grid, fn)
        else:
            _, grad = objective.sample_loss(fake, real)
            arrows = -grad
            surface = mmd_witness(grid, fake, real, objective.bandwidths)
    shape = (res,) * d
    return GameFrame(int(step), bounds, B.to_numpy(surface).astype(numpy.float64).reshape(shape),
                     real_h, fake_h, B.to_numpy(arrows).astype(numpy.float64), mesh_h,
                     objective.reading_label, objective.reading_centre, objective.reading_limits,
                     mesh_label)


def _through_d(D, objective, real, fake, grid, fn):
    """(D's reading on ``grid`` (R^d,), -dL_G/d fake (N, d)) for a D-based objective."""
    k = _pack_of(D)
    for name, a in (("real", real), ("G(z)", fake)):
        if a.shape[0] % k:
            raise ValueError(f"{fn}: D judges packs of {k} samples; {name} has {a.shape[0]} rows")
    xp = B.array_module(grid)
    with frozen(D):
        # the G step's loss on this batch; the fake forward last, as backward needs its cache
        real_out = D.forward(real) if objective.g_uses_real else None
        fake_out = D.forward(fake)
        _, d_out = objective.g_loss(fake_out, real_out)
        arrows = -D.backward(d_out)
        # a packed D judges packs: its value at t is its value on k copies of t
        grid_out = D.forward(xp.repeat(grid, k, axis=0) if k > 1 else grid)
    return objective.reading(grid_out, fake_out).reshape(-1), arrows


__all__ = ["GameFrame", "game_frame", "latent_grid", "surface_points", "fit_bounds", "ARRAYS"]
