"""Running a preset: from a name (or a run to resume) and overrides to a finished run folder.

    run("ring8", out="runs/ring8", seed=0)             # train, then metrics.json and pictures
    run(None, resume="runs/ring8", steps=20000)          # continue a run

Every run writes metrics.json, history.csv, losses.png, diagnostics.png, samples.png,
samples.gif and checkpoint.npz, and runs on 1-D and 2-D data game.png and game.gif (see
docs/training.md).
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import replace

import numpy

from .. import backend as B
from ..data import registry
from ..gan.checkpoint import CheckpointError, load_checkpoint
from .build import build, generate, linear_decay
from .config import DEFAULT_PRESET, PRESETS, Config, check, resolve
from .game import GameSnapshots
from .report import averaged, evaluate, mmd_at_start, write_pictures

# what may change when a run is continued: how long it runs, and how often it checkpoints
RESUMABLE_OVERRIDES = {"steps", "checkpoint_every"}
SNAPSHOT_SEED = 7
SNAPSHOT = "snapshot/"      # a run's GIF frames, among its checkpoint's user arrays


def snapshots_of(user_arrays: dict) -> list:
    """The GIF frames among a run's user arrays: [(step, samples), ...] in step order."""
    return sorted((int(k[len(SNAPSHOT):]), v) for k, v in user_arrays.items()
                  if k.startswith(SNAPSHOT))


def _write_json(path, obj) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def checkpoint_in(path) -> str:
    """The checkpoint a --resume argument names: a run folder or the file itself."""
    p = os.fspath(path)
    if os.path.isdir(p):
        p = os.path.join(p, "checkpoint.npz")
    if not os.path.exists(p):
        raise FileNotFoundError(f"no checkpoint to resume: {p!r} does not exist")
    return p


class ConfigError(ValueError):
    """A preset, a setting or a sample request that cannot be run (bad usage)."""


def config_for(name: str | None, seed: int = 0, overrides: dict | None = None,
               resume: str | None = None) -> tuple[Config, str | None]:
    """The run's Config (and the checkpoint to resume, if any). Bad settings raise
    :class:`ConfigError` naming them."""
    try:
        return _config_for(name, seed, overrides, resume)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, (ConfigError, CheckpointError)):
            raise
        raise ConfigError(str(exc)) from None


def _epochs_to_steps(cfg: Config, overrides: dict) -> None:
    epochs = overrides.pop("epochs", None)
    if epochs is None:
        return
    count = registry.get(cfg.data).n_samples
    if count is None:
        raise ConfigError(f"{cfg.preset}: --epochs needs an image data set; toy data is "
                          f"sampled afresh every step (use --steps)")
    batch = overrides.get("batch_size", cfg.batch_size)
    overrides["steps"] = int(epochs) * max(1, count // batch)


def _config_for(name, seed, overrides, resume):
    overrides = dict(overrides or {})
    if resume is not None:
        path = checkpoint_in(resume)
        ck_meta = load_checkpoint(path)["meta"]
        if "config" not in ck_meta:
            raise CheckpointError(path, "holds no preset configuration (not written by minigan train)")
        cfg = Config.from_dict(ck_meta["config"])
        _epochs_to_steps(cfg, overrides)
        if name is not None and name != cfg.preset:
            raise ValueError(f"cannot resume: {path!r} is a checkpoint of preset {cfg.preset!r}, "
                             f"not {name!r}")
        bad = sorted(set(overrides) - RESUMABLE_OVERRIDES)
        if bad:
            raise ValueError(f"cannot change {', '.join(bad)} when resuming (only "
                             f"{', '.join(sorted(RESUMABLE_OVERRIDES))}); start a new run instead")
        cfg = replace(cfg, **overrides)
        check(cfg)
        return cfg, path
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {sorted(PRESETS)}")
    cfg = replace(PRESETS[name], seed=seed)
    _epochs_to_steps(cfg, overrides)
    unknown = sorted(set(overrides) - set(cfg.as_dict()))
    if unknown:
        raise ValueError(f"unknown settings {unknown} for preset {name!r}")
    cfg = replace(cfg, **overrides)
    return resolve(cfg, explicit=set(overrides)), None


def train_to_end(tr, cfg: Config, progress: bool = True, stop_after: int | None = None,
                 on_step=None) -> None:
    """Train ``tr`` up to ``cfg.steps`` (continuing a resumed run), with both learning rates
    falling linearly to 0 when ``cfg.lr_decay``, ``on_step(trainer)`` after every step and,
    with ``stop_after=k``, a stop after step k as Ctrl-C stops; then save a checkpoint."""
    decay = linear_decay([(o, lr) for o, lr in ((tr.g_opt, cfg.lr), (tr.d_opt, cfg.lr_d or cfg.lr))
                          if o is not None], cfg.steps) if cfg.lr_decay else None
    if decay is not None:
        decay(tr)                       # the schedule at the current step (0, or the resumed one)

    def callback(trainer):
        if decay is not None:
            decay(trainer)
        if on_step is not None:
            on_step(trainer)
        if stop_after is not None and trainer.step == stop_after:
            trainer.request_stop()

    tr.train(max(0, cfg.steps - tr.step), progress=progress, desc=cfg.preset,
             callback=callback, callback_every=1)
    tr.save()


def run_record(cfg: Config, tr) -> dict:
    """What every run's metrics.json holds besides its measures: the last losses, the steps,
    the training time, the seed, the backend, the warnings and the config."""
    h = tr.history
    return {"final_d_loss": h.d_loss[-1] if len(h) else None,
            "final_g_loss": h.g_loss[-1] if len(h) else None,
            "steps": tr.step, "seconds": round(tr.seconds, 3), "seed": cfg.seed,
            "backend": B.current().name, "warnings": tr.warnings, "config": cfg.as_dict()}


def run(name: str | None = DEFAULT_PRESET, out: str | None = None, steps: int | None = None,
        seed: int = 0, progress: bool = True, overrides: dict | None = None,
        resume: str | None = None, pictures: bool = True, stop_after: int | None = None) -> dict:
    """Train preset ``name`` (or continue the run in ``resume``) and write its outputs to
    ``out`` (default: the resumed folder, or runs/<name>). Returns the metrics.
    ``pictures=False`` leaves out the PNGs and the GIF (metrics, history and checkpoint
    are still written). ``stop_after=k`` stops after step k as Ctrl-C does (a checkpoint,
    then TrainingInterrupted), for scripted interruptions and the resume tests."""
    overrides = dict(overrides or {})
    if steps is not None:
        overrides["steps"] = steps
    cfg, ck_path = config_for(name, seed, overrides, resume)
    # Freed activations stay mapped for the next step instead of page-faulting back in
    # every pass (a process-wide allocator setting, so the entry points make it).
    B.keep_freed_host_memory()
    if out is None:
        out = os.path.dirname(ck_path) if ck_path else os.path.join("runs", cfg.preset)
    os.makedirs(out, exist_ok=True)
    if cfg.model.startswith("cyclegan"):
        from .cycle import run_cycle
        m = run_cycle(cfg, ck_path, out, progress=progress, pictures=pictures,
                      stop_after=stop_after)
        _write_json(os.path.join(out, "metrics.json"), _jsonable(m))
        return m
    start = time.perf_counter()
    exp = build(cfg, out)
    tr = exp.trainer
    n_snap = 10 * exp.n_classes if exp.n_classes else (64 if exp.images is not None else 500)
    snap_labels = numpy.repeat(numpy.arange(exp.n_classes), 10) if exp.n_classes else None
    snapshots = []
    game = GameSnapshots(exp)           # game.png / game.gif on 1-D and 2-D data

    def snapshot():
        with averaged(exp):
            x = generate(tr.G, cfg, n_snap, B.RNG(SNAPSHOT_SEED), snap_labels, exp.n_classes)
            game.take()
        snapshots.append((tr.step, x))

    tr.extra_arrays = lambda: {**{f"{SNAPSHOT}{s}": x for s, x in snapshots}, **game.arrays()}
    if ck_path is not None:
        tr.resume(ck_path)
        snapshots.extend(snapshots_of(tr.resumed_arrays))
        game.restore(tr.resumed_arrays)
        mmd_start = tr.meta.get("mmd2_start")
    else:
        mmd_start = mmd_at_start(exp, B.RNG(cfg.seed + 11))
        snapshot()
    tr.meta["mmd2_start"] = mmd_start
    every = cfg.sample_every or max(1, cfg.steps // 12)

    def on_step(trainer):
        if trainer.step % every == 0 or trainer.step == cfg.steps:
            snapshot()

    train_to_end(tr, cfg, progress, stop_after, on_step)
    m = {"preset": cfg.preset, "objective": cfg.objective}
    m.update(evaluate(exp, B.RNG(cfg.seed + 13)))
    m.update(run_record(cfg, tr))
    if mmd_start is not None:
        m["mmd2_start"] = mmd_start
    if pictures:
        write_pictures(exp, out, B.RNG(cfg.seed + 17), snapshots, m)
        game.write(out)
    else:
        tr.history.to_csv(os.path.join(out, "history.csv"))
    m["wall_seconds"] = round(time.perf_counter() - start, 3)
    _write_json(os.path.join(out, "metrics.json"), _jsonable(m))
    return m


def _jsonable(obj):
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, float) and obj != obj:
        return None
    if isinstance(obj, numpy.generic):
        return obj.item()
    return obj


def gaussian1d(out: str, steps: int = 3000, seed: int = 0, progress: bool = True,
               checkpoint_every: int = 500) -> dict:
    """The 1-D Gaussian experiment (``run("gaussian1d", ...)``): learn N(4, 1.25^2) from noise
    z ~ Uniform[0, 1)^4 with two small MLPs (G ELU, D LeakyReLU 0.2), non-saturating loss,
    Adam(1e-3, (0.5, 0.999)) decaying linearly to 0, batch 256."""
    return run("gaussian1d", out=out, steps=steps, seed=seed, progress=progress,
               overrides={"checkpoint_every": checkpoint_every})
