"""Named experiments for ``minigan train NAME``: each builds its models, trains and writes
its pictures and metrics to an output folder.

    minigan.presets.run("gaussian1d", out="runs/gaussian1d", steps=None, seed=0)

A preset is a function ``(out, steps, seed, progress) -> metrics dict`` registered
in :data:`PRESETS` with its default number of steps and a one-line description.
"""
from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass
from typing import Callable

from . import backend as B
from . import optim, viz
from .data import Gaussian1D
from .gan import GANTrainer, get_objective, mlp
from .metrics import wasserstein_1d


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    steps: int
    run: Callable


def _write_json(path, obj) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def linear_decay(optimizers, total_steps: int):
    """A trainer callback: learning rates fall linearly from their start value to 0.
    Damping the step size at the end of training stops the D/G oscillation that
    otherwise leaves a GAN wherever the last swing put it."""
    start = [opt.lr for opt in optimizers]

    def callback(trainer):
        frac = max(0.0, 1.0 - trainer.step / total_steps)
        for opt, lr0 in zip(optimizers, start):
            opt.lr = lr0 * frac
    return callback


# ---------------------------------------------------------------- gaussian1d

GAUSSIAN1D = dict(mean=4.0, std=1.25, noise_dim=4, hidden=32, batch_size=256, lr=1e-3,
                  betas=(0.5, 0.999), objective="nonsaturating", eval_samples=20000)


def gaussian1d(out: str, steps: int, seed: int = 0, progress: bool = True,
               checkpoint_every: int = 500) -> dict:
    """Learn N(4, 1.25^2) from noise z ~ Uniform[0, 1)^4 with two small MLPs.

    G: 4 -> 32 -> 32 -> 1 (ELU), D: 1 -> 32 -> 32 -> 1 (LeakyReLU 0.2), non-saturating
    loss, Adam(lr 1e-3, betas (0.5, 0.999)) with the learning rate decaying linearly
    to 0, batch 256. Writes metrics.json, histogram.png, losses.png, checkpoint.npz.
    """
    cfg = GAUSSIAN1D
    rng = B.seed(seed)
    target = Gaussian1D(cfg["mean"], cfg["std"])
    G = mlp([cfg["noise_dim"], cfg["hidden"], cfg["hidden"], 1], "elu")
    D = mlp([1, cfg["hidden"], cfg["hidden"], 1], "leaky_relu")
    g_opt = optim.Adam(G.parameters(), lr=cfg["lr"], betas=cfg["betas"])
    d_opt = optim.Adam(D.parameters(), lr=cfg["lr"], betas=cfg["betas"])
    os.makedirs(out, exist_ok=True)
    trainer = GANTrainer(
        G, D, get_objective(cfg["objective"]), g_opt, d_opt,
        sample_real=lambda n: target.sample(n, rng),
        sample_noise=lambda n: rng.random((n, cfg["noise_dim"])),
        batch_size=cfg["batch_size"], checkpoint_path=os.path.join(out, "checkpoint.npz"),
        checkpoint_every=checkpoint_every, meta={"preset": "gaussian1d", "seed": seed})
    trainer.train(steps, progress=progress, desc="gaussian1d",
                  callback=linear_decay([g_opt, d_opt], steps), callback_every=1)
    trainer.save()

    G.eval()
    samples = B.to_numpy(G.forward(rng.random((cfg["eval_samples"], cfg["noise_dim"]))))
    metrics = {
        "preset": "gaussian1d",
        "target_mean": cfg["mean"], "target_std": cfg["std"],
        "generated_mean": float(samples.mean()), "generated_std": float(samples.std()),
        "wasserstein_1d": wasserstein_1d(samples, mean=cfg["mean"], std=cfg["std"]),
        "eval_samples": cfg["eval_samples"],
        "final_d_loss": trainer.history.d_loss[-1], "final_g_loss": trainer.history.g_loss[-1],
        "steps": trainer.step, "seconds": round(trainer.seconds, 3), "seed": seed,
        "backend": B.current().name,
    }
    _write_json(os.path.join(out, "metrics.json"), metrics)
    viz.histogram_1d(samples, os.path.join(out, "histogram.png"), pdf=target.pdf,
                     title=(f"step {trainer.step}: mean {metrics['generated_mean']:.3f}, "
                            f"std {metrics['generated_std']:.3f} (target 4, 1.25)"))
    # At the equilibrium D(x) = 1/2 everywhere: L_D = 2 ln 2, non-saturating L_G = ln 2.
    viz.losses(trainer.history, os.path.join(out, "losses.png"), title="gaussian1d losses",
               equilibrium={"d_loss": 2 * math.log(2), "g_loss": math.log(2)})
    return metrics


PRESETS = {
    "gaussian1d": Preset("gaussian1d", "1-D Gaussian N(4, 1.25^2) from uniform noise (MLP GAN)",
                         3000, gaussian1d),
}
DEFAULT_PRESET = "gaussian1d"


def run(name: str, out: str | None = None, steps: int | None = None, seed: int = 0,
        progress: bool = True) -> dict:
    """Run preset ``name``; output folder defaults to runs/<name>."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {sorted(PRESETS)}")
    preset = PRESETS[name]
    start = time.perf_counter()
    metrics = preset.run(out or os.path.join("runs", name), steps or preset.steps, seed, progress)
    metrics.setdefault("wall_seconds", round(time.perf_counter() - start, 3))
    return metrics
