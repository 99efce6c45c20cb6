"""Drawing from a trained generator: ``minigan sample`` (a .npy of samples or a picture)."""
from __future__ import annotations

import os
from types import SimpleNamespace

import numpy

from .. import backend as B
from ..data import registry
from ..gan.checkpoint import CheckpointError, load_checkpoint, load_ema, read_run
from ..gan.stylegan import StyleGenerator
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
    if cfg.model.startswith("cyclegan"):
        raise ConfigError(f"sample: {path!r} is a CycleGAN run, whose generators translate "
                          f"rather than sample; use: minigan translate {checkpoint} --direction "
                          f"a2b --out FILE.png")
    k = registry.get(cfg.data).n_classes if cfg.conditional else 0
    B.seed(0)
    G, _ = build_models(cfg, k)
    try:
        G.load_state_dict(ck["models"]["G"])
        load_ema(G, read_run(ck))
    except (KeyError, ValueError, TypeError) as exc:
        raise CheckpointError(path, f"its generator does not fit preset {cfg.preset!r}: {exc}") from None
    return G, cfg, k


def _check_truncation(psi):
    if psi is None:
        return None
    if isinstance(psi, bool) or not isinstance(psi, (int, float)) or not 0.0 < float(psi) <= 1.0:
        raise ConfigError(f"sample: --truncation must be a number in (0, 1] (psi; 1 = no "
                          f"truncation), got {psi!r}")
    return float(psi)


def _style_generator(G, cfg, flag: str):
    if not isinstance(G, StyleGenerator):
        raise ConfigError(f"sample: {flag} needs a StyleGAN checkpoint (the stylegan-mnist preset); "
                          f"preset {cfg.preset!r} trains a {cfg.model} generator")
    return G


def sample(checkpoint, n: int, out: str, label: int | None = None, seed: int = 0,
           truncation: float | None = None):
    """Draw ``n`` samples from the generator in ``checkpoint`` (a file or a run folder) and
    write them to ``out``: ``.npy`` for the raw samples, ``.png`` for a picture.
    ``label`` picks the class of a conditional generator (default: every class in turn);
    ``truncation`` psi in (0, 1] draws a StyleGAN's w closer to its mean w_avg."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ConfigError(f"sample: n must be a positive int, got {n!r}")
    ext = os.path.splitext(str(out))[1].lower()
    if ext not in (".npy", ".png"):
        raise ConfigError(f"sample: --out must end in .npy (raw samples) or .png (a picture), "
                          f"got {out!r}")
    psi = _check_truncation(truncation)
    G, cfg, k = load_generator(checkpoint)
    if psi is not None:
        _style_generator(G, cfg, "--truncation").truncation = psi
    if isinstance(G, StyleGenerator):
        G.set_rng(B.RNG(seed + 1))          # the noise images follow --seed too
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




MIX_CROSSOVER = 4      # layers 0-3 (7x7 and 14x14) coarse, 4-5 (28x28) fine: docs/math/stylegan.md


def mixing_grid(G, rows: int, cols: int, seed: int = 0, crossover: int = MIX_CROSSOVER,
                truncation: float = 1.0):
    """The style-mixing picture's arrays (NumPy): ``images`` (rows, cols, C, H, W) where cell
    (r, c) takes its coarse styles (layers < crossover) from latent r of one set and its fine
    styles from latent c of another; ``rows`` and ``cols``: the two sets' images alone. One
    shared noise image throughout, so the cells differ only in their styles."""
    rng = B.RNG(seed)
    z_rows = rng.standard_normal((rows, G.latent_dim))
    z_cols = rng.standard_normal((cols, G.latent_dim))
    G.eval()
    G.set_noise("fixed")
    G.set_rng(B.RNG(seed + 1))
    before = G.truncation
    G.truncation = truncation
    try:
        xp = B.array_module(z_rows)
        zr = xp.repeat(z_rows, cols, axis=0)
        zc = xp.concatenate([z_cols] * rows, axis=0)
        cells = B.to_numpy(G.mixed(zr, zc, crossover))
        row_imgs = B.to_numpy(G.forward(z_rows))
        col_imgs = B.to_numpy(G.forward(z_cols))
    finally:
        G.truncation = before
        G.set_noise("random")
        G.train()
    return {"images": cells.reshape((rows, cols) + cells.shape[1:]), "rows": row_imgs,
            "cols": col_imgs}


def sample_mixing(checkpoint, out: str, rows: int = 5, cols: int = 6, seed: int = 0,
                  truncation: float | None = None, crossover: int = MIX_CROSSOVER) -> dict:
    """``minigan sample --mix``: the style-mixing grid of a StyleGAN checkpoint, as a .png
    (the column sources on top, the row sources on the left) or a .npz of its arrays."""
    from ..gan.stylegan import N_STYLES
    ext = os.path.splitext(str(out))[1].lower()
    if ext not in (".png", ".npz"):
        raise ConfigError(f"sample --mix: --out must end in .png (the picture) or .npz (its "
                          f"arrays), got {out!r}")
    for name, v in (("--rows", rows), ("--cols", cols)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ConfigError(f"sample --mix: {name} must be a positive int, got {v!r}")
    if isinstance(crossover, bool) or not isinstance(crossover, int) or not 1 <= crossover < N_STYLES:
        raise ConfigError(f"sample --mix: --crossover must be a layer in [1, {N_STYLES - 1}], "
                          f"got {crossover!r}")
    psi = _check_truncation(truncation)
    G, cfg, _ = load_generator(checkpoint)
    _style_generator(G, cfg, "--mix")
    grid = mixing_grid(G, rows, cols, seed, crossover, 1.0 if psi is None else psi)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    if ext == ".npz":
        tmp = f"{out}.tmp.npz"
        numpy.savez(tmp, **grid)
        os.replace(tmp, out)
    else:
        from .. import viz
        viz.mixing_grid(grid["images"], grid["rows"], grid["cols"], out,
                        title=f"{cfg.preset}: coarse styles (layers < {crossover}) from the left, "
                              f"fine from the top")
    return grid
