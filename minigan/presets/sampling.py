"""Drawing from a trained generator: ``minigan sample`` (a .npy of samples or a picture)."""
from __future__ import annotations

import os
from types import SimpleNamespace

import numpy

from .. import backend as B
from ..data import registry
from ..gan.checkpoint import CheckpointError, load_checkpoint, load_ema, read_run
from .build import build_models, generate
from .config import Config
from .report import picture_samples
from .runner import ConfigError, checkpoint_in


def load_generator(checkpoint):
    """(G in training mode with the weights it draws with, its Config, its number of
    classes) from a run's checkpoint (a file or a run folder): a run that keeps a weight
    average draws with it, as its metrics and pictures do."""
    path = checkpoint_in(checkpoint)
    ck = load_checkpoint(path)
    if "config" not in ck["meta"]:
        raise CheckpointError(path, "holds no preset configuration (not written by minigan train)")
    cfg = Config.from_dict(ck["meta"]["config"])
    k = registry.get(cfg.data).n_classes if cfg.conditional else 0
    B.seed(0)
    G, _ = build_models(cfg, k)
    try:
        G.load_state_dict(ck["models"]["G"])
        load_ema(G, read_run(ck))
    except (KeyError, ValueError, TypeError) as exc:
        raise CheckpointError(path, f"its generator does not fit preset {cfg.preset!r}: {exc}") from None
    return G, cfg, k


def sample(checkpoint, n: int, out: str, label: int | None = None, seed: int = 0):
    """Draw ``n`` samples from the generator in ``checkpoint`` (a file or a run folder) and
    write them to ``out``: ``.npy`` for the raw samples, ``.png`` for a picture.
    ``label`` picks the class of a conditional generator (default: every class in turn)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ConfigError(f"sample: n must be a positive int, got {n!r}")
    ext = os.path.splitext(str(out))[1].lower()
    if ext not in (".npy", ".png"):
        raise ConfigError(f"sample: --out must end in .npy (raw samples) or .png (a picture), "
                          f"got {out!r}")
    G, cfg, k = load_generator(checkpoint)
    if label is not None:
        if not k:
            raise ConfigError(f"sample: preset {cfg.preset!r} is not conditional; it takes no label")
        if isinstance(label, bool) or not isinstance(label, int) or not 0 <= label < k:
            raise ConfigError(f"sample: label must be a class in [0, {k - 1}], got {label!r}")
    labels = None
    if k:
        labels = numpy.full(n, label) if label is not None else numpy.arange(n) % k
    x = generate(G, cfg, n, B.RNG(seed), labels, k)
    folder = os.path.dirname(os.path.abspath(out))
    os.makedirs(folder, exist_ok=True)
    if ext == ".npy":
        numpy.save(out, x)
    else:
        # the picture needs the data set's record and, for toy data, the target it is drawn over
        ds = registry.get(cfg.data)
        exp = SimpleNamespace(cfg=cfg, dataset=ds, target=ds.make() if ds.kind == "toy" else None,
                              n_classes=k if k and label is None and n % k == 0 else 0)
        shown = x[numpy.argsort(labels, kind="stable")] if exp.n_classes else x
        picture_samples(exp, shown, out, f"{cfg.preset}: {n} samples"
                        + (f" of class {label}" if label is not None else ""))
    return x


