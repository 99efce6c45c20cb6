"""A run's game pictures: game.png (the end) and game.gif (one frame per samples.gif frame).

The runner calls :meth:`GameSnapshots.take` where it draws samples.gif's snapshots (between
steps, with G's weight average when the run keeps one); each frame's numbers go into the
checkpoint's user arrays under ``game/`` so that a resumed run still draws its whole GIF:

    game/bounds            the grid's (lo, hi) per axis, fixed at the first frame
    game/real              the real samples every frame draws (seed REAL_SEED)
    game/<step>/<field>    surface, fake, arrows, mesh of the frame at that step

Only runs on 1-D and 2-D toy data have a game picture (``applies``). The fakes come from a
fixed noise (seed NOISE_SEED) so that the frames show one set of samples moving.
"""
from __future__ import annotations

import os

import numpy

from .. import backend as B
from .. import viz
from ..gan.game import GameFrame, game_frame, latent_grid
from ..gan.objectives import objective_class
from .report import averaged

PREFIX = "game/"
NOISE_SEED, REAL_SEED = 7, 7
N_FAKE, N_REAL = {1: 1000, 2: 256}, {1: 2000, 2: 512}     # by the data's dimension
FIELDS = ("surface", "fake", "arrows", "mesh")      # per frame; bounds and real per run


def applies(exp) -> bool:
    """Whether the run gets game pictures: toy data of dimension 1 or 2."""
    ds = exp.dataset
    return ds.kind == "toy" and ds.dim in (1, 2) and not exp.n_classes


def _mesh_z(cfg, d: int):
    return latent_grid(cfg.latent_dim, cfg.noise, points=21 if d == 2 else 41, axes=d)


def frames_of(user: dict, cfg) -> list:
    """The game frames among a run's checkpoint user arrays (``read_run(...).user``) as
    GameFrames in step order, labelled for ``cfg``'s objective; [] when the run has none."""
    if f"{PREFIX}bounds" not in user:
        return []
    obj = objective_class(cfg.objective)
    bounds = numpy.asarray(user[f"{PREFIX}bounds"], dtype=numpy.float64)
    real = numpy.asarray(user[f"{PREFIX}real"], dtype=numpy.float64)
    label = _mesh_z(cfg, real.shape[1])[1]
    steps = sorted({int(k[len(PREFIX):].split("/")[0]) for k in user
                    if k.startswith(PREFIX) and k[len(PREFIX):].split("/")[0].isdigit()})
    frames = []
    for s in steps:
        part = {k: numpy.asarray(user[f"{PREFIX}{s}/{k}"], dtype=numpy.float64) for k in FIELDS}
        frames.append(GameFrame(s, bounds, part["surface"], real, part["fake"], part["arrows"],
                                part["mesh"], obj.reading_label, obj.reading_centre,
                                obj.reading_limits, label))
    return frames


class GameSnapshots:
    """The game frames of one run (see the module's docstring); inert when not ``applies``."""

    def __init__(self, exp):
        self.exp, self.on = exp, applies(exp)
        self.frames: dict = {}          # step -> GameFrame
        self.bounds = None
        if not self.on:
            return
        cfg, d = exp.cfg, exp.dataset.dim
        noise = B.RNG(NOISE_SEED)
        self.z = (noise.random((N_FAKE[d], cfg.latent_dim)) if cfg.noise == "uniform"
                  else noise.standard_normal((N_FAKE[d], cfg.latent_dim)))
        self.real = B.to_numpy(exp.target.sample(N_REAL[d], REAL_SEED)).astype(numpy.float64)
        self.mesh_z, self.mesh_label = _mesh_z(cfg, d)

    def _frame(self) -> GameFrame:
        tr = self.exp.trainer
        f = game_frame(tr.G, tr.D, tr.objective, self.real, self.z, self.mesh_z,
                       bounds=self.bounds, step=tr.step, mesh_label=self.mesh_label)
        if self.bounds is None:
            self.bounds = f.bounds        # every later frame on the first one's axes
        return f

    def take(self) -> None:
        """Add the frame of the trainer's current step (G as the caller has it)."""
        if self.on:
            self.frames[self.exp.trainer.step] = self._frame()

    def arrays(self) -> dict:
        """The frames as checkpoint user arrays (float32 host arrays)."""
        if not self.on or self.bounds is None:
            return {}
        out = {f"{PREFIX}bounds": numpy.asarray(self.bounds, dtype=numpy.float64),
               f"{PREFIX}real": self.real.astype(numpy.float32)}
        for step, f in self.frames.items():
            out.update({f"{PREFIX}{step}/{k}": getattr(f, k).astype(numpy.float32) for k in FIELDS})
        return out

    def restore(self, user: dict) -> None:
        """Take back the frames a resumed checkpoint's user arrays hold."""
        if not self.on or f"{PREFIX}bounds" not in user:
            return
        self.bounds = numpy.asarray(user[f"{PREFIX}bounds"], dtype=numpy.float64)
        self.real = numpy.asarray(user[f"{PREFIX}real"], dtype=numpy.float64)
        self.frames.update({f.step: f for f in frames_of(user, self.exp.cfg)})

    def write(self, out: str) -> list:
        """game.png (the final state, G's weight average when the run keeps one) and game.gif
        (the frames in step order) in ``out``; nothing when the run has no game picture."""
        if not self.on:
            return []
        name = self.exp.cfg.preset
        with averaged(self.exp):
            final = self._frame()
        paths = [viz.game(final, os.path.join(out, "game.png"), title=name)]
        if self.frames:
            frames = [self.frames[s] for s in sorted(self.frames)]
            paths.append(viz.game_gif(frames, os.path.join(out, "game.gif"), title=name))
        return paths


__all__ = ["GameSnapshots", "applies", "frames_of"]
