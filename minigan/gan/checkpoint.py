"""A training run's checkpoint: what GANTrainer saves, and the one reader of it.

The file format (atomic .npz, no pickle) is minigan/gan/archive.py. Inside it a
run keeps, besides the models "G" and "D" and their optimizers:

    extra/history/<column>    the per-step diagnostics (float64, one array per column)
    extra/ema/<parameter>     G's weight average, under G's parameter names
    extra/user/<name>         arrays the caller adds (the presets: snapshot/<step>)
    meta["trainer"]           {"warnings", "seconds", "state": random states and streams}
    meta (the rest)           the caller's (the presets: "preset", "config", "mmd2_start")

:func:`save_run` writes it from a trainer, :func:`resume_run` loads it into one,
:func:`read_run` splits a loaded checkpoint into those parts (for the demos and
``minigan sample``), :func:`load_ema` puts the weight average into a generator.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy

from .archive import (FORMAT_VERSION, CheckpointError, NonFiniteState, load_checkpoint,
                      remove_orphans, restore, save_checkpoint)

HISTORY, EMA, USER = "history/", "ema/", "user/"


class Run(NamedTuple):
    """A run's checkpoint, split into its parts (NumPy arrays)."""
    step: int
    history: dict         # column -> float64 array
    ema: dict             # G's parameter name -> averaged weights (empty without an EMA)
    user: dict            # the caller's arrays, without the "user/" prefix
    trainer: dict         # meta["trainer"]: warnings, seconds, random states
    meta: dict            # the caller's meta (without "trainer")


def _part(arrays: dict, prefix: str) -> dict:
    return {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}


def read_run(ck: dict) -> Run:
    """The parts of a checkpoint read by :func:`load_checkpoint`."""
    arrays = ck["arrays"]
    history = {k: numpy.asarray(v, dtype=numpy.float64) for k, v in _part(arrays, HISTORY).items()}
    meta = {k: v for k, v in ck["meta"].items() if k != "trainer"}
    return Run(int(ck["step"]), history, _part(arrays, EMA), _part(arrays, USER),
               dict(ck["meta"].get("trainer", {})), meta)


def load_ema(model, ck_or_run) -> bool:
    """Copy the weight average of a checkpoint (or a :class:`Run`) into ``model``'s
    parameters of the same names; False when the run kept none."""
    run = ck_or_run if isinstance(ck_or_run, Run) else read_run(ck_or_run)
    if not run.ema:
        return False
    model.load_state_dict({name: run.ema[name] for name, _ in model.named_parameters()
                           if name in run.ema}, strict=False)
    return True


def _models(trainer):
    """{name: model}, {name: optimizer} of a trainer: "G" and "D", or the trainer's own
    (a CycleGAN's four models and two optimizers)."""
    if hasattr(trainer, "checkpoint_models"):
        return trainer.checkpoint_models()
    models, opts = {"G": trainer.G}, {"G": trainer.g_opt}
    if trainer.D is not None:
        models["D"], opts["D"] = trainer.D, trainer.d_opt
    return models, opts


def save_run(trainer, path) -> str:
    """Write ``trainer``'s checkpoint to ``path`` (atomically); refuses a non-finite model
    (:class:`NonFiniteState`, nothing written) so the last good one stays."""
    models, opts = _models(trainer)
    arrays = {f"{HISTORY}{c}": numpy.asarray(v, dtype=numpy.float64)
              for c, v in trainer.history.columns.items()}
    if trainer.ema is not None:
        arrays.update({f"{EMA}{k}": v for k, v in trainer.ema.state_dict().items()})
    if trainer.extra_arrays is not None:
        arrays.update({f"{USER}{k}": v for k, v in trainer.extra_arrays().items()})
    meta = dict(trainer.meta)
    meta["trainer"] = {"warnings": trainer.warnings, "seconds": trainer.seconds,
                       "state": {k: v.state_dict() for k, v in trainer.state.items()}}
    return save_checkpoint(path, models, opts, step=trainer.step, meta=meta, arrays=arrays,
                           require_finite=True)


def resume_run(trainer, path) -> Run:
    """Load the checkpoint at ``path`` into ``trainer`` (models, optimizers, history, EMA,
    warnings, time, random states and data streams); returns its parts."""
    ck = load_checkpoint(path)
    models, opts = _models(trainer)
    restore(ck, models, opts)
    run = read_run(ck)
    trainer.step = run.step
    trainer.history.load(run.history)
    if trainer.ema is not None:
        trainer.ema.load_state_dict(run.ema)
    trainer.warnings = list(run.trainer.get("warnings", []))
    trainer.seconds = float(run.trainer.get("seconds", 0.0))
    for name, st in run.trainer.get("state", {}).items():
        if name in trainer.state:
            trainer.state[name].load_state_dict(st, step=run.step)
    trainer.meta.update(run.meta)
    return run


__all__ = ["Run", "read_run", "load_ema", "save_run", "resume_run", "save_checkpoint",
           "load_checkpoint", "restore", "CheckpointError", "NonFiniteState", "remove_orphans",
           "FORMAT_VERSION"]
