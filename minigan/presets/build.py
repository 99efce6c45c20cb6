"""From a Config to a ready trainer: the data, the models, the optimizers, the random sources.

Everything random comes from generators registered in the trainer's ``state``
(the noise and toy data stream, the fake labels, the real-data batch stream),
so a checkpoint holds every random state and a resumed run on NumPy continues
bit-identically.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy

from .. import backend as B
from .. import nn, optim
from ..data import registry
from ..data.evaluation import Real
from ..data.images import MissingDataExtra
from ..gan import (EMA, GANTrainer, dcgan8_discriminator, dcgan8_generator, dcgan28_discriminator,
                   dcgan28_generator, mlp)
from ..gan.objectives import objective_class
from ..gan.penalty import R1Penalty
from ..gan.stylegan import StyleGenerator
from .config import Config


@dataclass
class Experiment:
    cfg: Config
    trainer: GANTrainer
    dataset: registry.DataSet = None   # the data set's record
    real: Real = None            # the loaded data: a toy target, or images and labels (NumPy)
    n_classes: int = 0
    rng: object = None

    @property
    def target(self):
        return self.real.target

    @property
    def images(self):
        return self.real.images


class MissingData(RuntimeError):
    """A preset's data set needs an optional package; the message says which to install."""


def load(name: str) -> Real:
    """The data of data set ``name`` (MissingData names the package an image set needs)."""
    try:
        return registry.get(name).load()
    except MissingDataExtra as exc:
        raise MissingData(str(exc)) from None


def load_images(name: str):
    """(images (N, 1, H, W) float32 in [-1, 1], labels (N,) int64) of an image data set."""
    real = load(name)
    return real.images, real.labels


def build_models(cfg: Config, n_classes: int = 0):
    """(G, D) for the config (D is None for the matching network). The current backend's
    default generator must be seeded first (B.seed) for reproducible weights.

    D takes ``pack`` samples at once (PacGAN: nn.Pack first, its first layer ``pack`` times
    wider); a gradient-penalty critic has no batch norm; ``spectral_norm`` wraps every D
    layer with weights in nn.SpectralNorm."""
    k, m = n_classes, cfg.pack
    obj = objective_class(cfg.objective)
    no_bn = not obj.critic_batchnorm or cfg.r1_gamma > 0     # a per-sample penalty
    if cfg.model == "mlp":
        d = registry.get(cfg.data).dim
        G = mlp([cfg.latent_dim + k, cfg.hidden, cfg.hidden, d], cfg.g_activation)
        D = mlp([m * (d + k), cfg.hidden, cfg.hidden, 1], cfg.d_activation)
    elif cfg.model == "dcgan8":
        G = dcgan8_generator(cfg.latent_dim, n_classes=k)
        D = dcgan8_discriminator(channels=m, n_classes=m * k, batchnorm=not no_bn)
    elif cfg.model == "dcgan28":
        G = dcgan28_generator(cfg.latent_dim, n_classes=k)
        D = dcgan28_discriminator(channels=m, n_classes=m * k, batchnorm=not no_bn)
    elif cfg.model == "stylegan28":
        if k:
            raise ValueError(f"{cfg.preset}: the stylegan28 model is not conditional")
        h = cfg.hidden              # G's channels at 7x7, halved at each doubling of the size
        G = StyleGenerator(cfg.latent_dim, mixing=cfg.mixing, widths=(h, h // 2, h // 4))
        # DCGAN's discriminator without batch norm (R1 needs per-sample input gradients):
        # at this size it trained better than StyleGAN's equalised-lr 3x3 one (docs/results.md)
        D = dcgan28_discriminator(channels=m, batchnorm=False)
    elif cfg.model == "gmn":
        # Li et al.'s GMMN for MNIST: 64-256-256-1024 ReLU units (tanh output in [-1, 1])
        G = nn.Sequential(*mlp([cfg.latent_dim + k, 64, 256, 256, 1024, 784], "relu", "tanh"),
                          nn.Unflatten(1, (1, 28, 28)))
        D = None
    else:
        raise ValueError(f"{cfg.preset}: unknown model {cfg.model!r}")
    if not obj.needs_discriminator:
        return G, None
    if cfg.spectral_norm:
        D = nn.Sequential(*(nn.SpectralNorm(layer) if isinstance(
            layer, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)) else layer for layer in D))
    if m > 1:
        D = nn.Sequential(nn.Pack(m), *D)
    return G, D


def make_optimizer(cfg: Config, params, lr):
    if cfg.optimizer == "adam":
        return optim.Adam(params, lr=lr, betas=(cfg.beta1, cfg.beta2))
    if cfg.optimizer == "rmsprop":
        return optim.RMSprop(params, lr=lr)
    return optim.SGD(params, lr=lr)


def make_objective(cfg: Config):
    """The objective, with the R1 penalty on D's real data when ``r1_gamma`` > 0 (its D then
    must not hold batch norm: the trainer checks the critic)."""
    obj = objective_class(cfg.objective).from_config(cfg)
    if cfg.r1_gamma > 0:
        obj.penalty = R1Penalty(cfg.r1_gamma, cfg.r1_every)
        obj.critic_batchnorm = False
    return obj


def build(cfg: Config, out: str | None, progress_log=None) -> Experiment:
    """Seed, load the data, build models, optimizers and the trainer for ``cfg``."""
    rng = B.seed(cfg.seed)
    ds = registry.get(cfg.data)
    if cfg.conditional and not ds.n_classes:
        raise ValueError(f"{cfg.preset}: {ds.name} has no classes; conditional runs need "
                         f"labelled data (dcgan-digits, the mnist presets)")
    exp = Experiment(cfg, None, dataset=ds, real=load(ds.name), rng=rng,
                     n_classes=ds.n_classes if cfg.conditional else 0)
    sample_real, streams = ds.sampler(exp.real, cfg.batch_size, rng, cfg.seed)
    state = {"rng": rng, **streams}
    G, D = build_models(cfg, exp.n_classes)
    if isinstance(G, StyleGenerator):
        # the noise images and the mixing draws: a stream of their own, kept in checkpoints
        style_rng = B.RNG(cfg.seed + 3)
        G.set_rng(style_rng)
        state["style"] = style_rng
    objective = make_objective(cfg)
    g_opt = make_optimizer(cfg, G.parameters(), cfg.lr)
    d_opt = None if D is None else make_optimizer(cfg, D.parameters(), cfg.lr_d or cfg.lr)
    label_rng = None
    if exp.n_classes:
        label_rng = B.RNG(cfg.seed + 1)
        state["labels"] = label_rng
    penalty_rng = B.RNG(cfg.seed + 2)
    state["penalty"] = penalty_rng
    if cfg.noise == "uniform":
        sample_noise = lambda n: rng.random((n, cfg.latent_dim))            # noqa: E731
    else:
        sample_noise = lambda n: rng.standard_normal((n, cfg.latent_dim))   # noqa: E731
    exp.trainer = GANTrainer(
        G, D, objective, g_opt, d_opt, sample_real, sample_noise, batch_size=cfg.batch_size,
        d_steps=cfg.n_critic if D is not None else 0, n_classes=exp.n_classes,
        label_rng=label_rng,
        checkpoint_path=None if out is None else os.path.join(out, "checkpoint.npz"),
        checkpoint_every=cfg.checkpoint_every, meta={"preset": cfg.preset, "config": cfg.as_dict()},
        state=state, log=progress_log, ema=EMA(G, cfg.ema) if cfg.ema > 0 else None,
        penalty_rng=penalty_rng)
    return exp


def generate(G, cfg: Config, n: int, rng, labels=None, n_classes: int = 0, batch: int = 1000):
    """``n`` samples of G in evaluation mode, as a NumPy array (in batches of ``batch``);
    ``labels`` (n,) for a conditional G."""
    G.eval()
    outs = []
    try:
        for start in range(0, n, batch):
            m = min(batch, n - start)
            z = (rng.random((m, cfg.latent_dim)) if cfg.noise == "uniform"
                 else rng.standard_normal((m, cfg.latent_dim)))
            if n_classes:
                from ..gan.conditioning import one_hot, with_labels
                y = B.to_device(numpy.asarray(labels[start:start + m], dtype=numpy.int64))
                z = with_labels(z, one_hot(y, n_classes, z.dtype))
            outs.append(B.to_numpy(G.forward(z)))
    finally:
        G.train()
    return numpy.concatenate(outs)


def linear_decay(schedule, total_steps: int):
    """A trainer callback: each optimizer's learning rate falls linearly from its start
    value to 0 over ``total_steps``; ``schedule`` is [(optimizer, start lr), ...]. Damping
    the step size at the end of training stops the D/G oscillation that otherwise leaves
    a GAN wherever the last swing put it. A function of the step only, so a resumed run
    follows the same schedule (stretched over the new total when --steps changes on resume)."""
    def callback(trainer):
        frac = max(0.0, 1.0 - trainer.step / total_steps)
        for opt, lr0 in schedule:
            opt.lr = lr0 * frac
    return callback
