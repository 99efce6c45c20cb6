"""The CycleGAN presets: build, train, measure and draw an unpaired translation A <-> B.

    run("cyclegan-toy", out="runs/cyclegan-toy")    # ring8 <-> square8 in seconds
    run("cyclegan-digits")                          # scikit-learn digits <-> MNIST digits

A run writes metrics.json, history.csv, losses.png, diagnostics.png, translation.png
(images: rows A, G(A), F(G(A)), B, F(B), G(F(B)); points: arrows from each a to G(a))
and checkpoint.npz. What is measured (docs/results.md): images - the share of A->B
translations the digit classifier gives the source's label ("class preserved"), the
Frechet digit distance of G(A) to real B against that of A itself ("style reached"),
and the cycle error |F(G(a)) - a|_1 per pixel; points - the target's mode coverage of
G(a) and the cycle error.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass

import numpy

from .. import backend as B
from .. import metrics, viz
from ..data import registry
from ..data.evaluation import Real
from ..gan.cyclegan import (CycleGANTrainer, Translators, patch_discriminator,
                            point_discriminator, point_generator, resnet_generator, translate)
from ..gan.ema import EMA
from .build import load, make_optimizer
from .config import Config
from .report import averaged     # G's (here G's and F's) weight averages, where kept
from .runner import ConfigError, checkpoint_in, run_record, train_to_end

HELD_OUT = 0.1          # images: the last tenth of each domain (shuffled with seed 0) is held out
HELD_OUT_SEED = 0


@dataclass
class CycleExperiment:
    cfg: Config
    trainer: CycleGANTrainer
    a: registry.DataSet            # the two domains' records
    b: registry.DataSet
    real_a: Real
    real_b: Real
    held_a: object = None          # images: (x, labels) held out of training (NumPy)
    held_b: object = None


def split(images, labels, frac: float = HELD_OUT, seed: int = HELD_OUT_SEED):
    """(train, held out) of an image set: a seeded shuffle, the last ``frac`` held out."""
    order = numpy.random.default_rng(seed).permutation(len(images))
    k = max(1, int(round(frac * len(images))))
    tr, ho = order[:-k], order[-k:]
    return (images[tr], labels[tr]), (images[ho], labels[ho])


def build_cycle_models(cfg: Config):
    """(G, F, D_A, D_B) for a CycleGAN config."""
    if cfg.model == "cyclegan28":
        k = cfg.patch_layers
        return (resnet_generator(), resnet_generator(), patch_discriminator(n_layers=k),
                patch_discriminator(n_layers=k))
    dim = registry.get(cfg.data).dim
    return (point_generator(dim, cfg.hidden), point_generator(dim, cfg.hidden),
            point_discriminator(dim, cfg.hidden), point_discriminator(dim, cfg.hidden))


def _domain(ds, cfg, rng, seed):
    """(Real, held out, sample_real, streams) of one domain."""
    real = load(ds.name)
    if ds.kind == "toy":
        sample, streams = ds.sampler(real, cfg.batch_size, rng, seed)
        return real, None, sample, streams
    train, held = split(real.images, real.labels)
    real_train = Real(images=train[0], labels=train[1])
    sample, streams = ds.sampler(real_train, cfg.batch_size, rng, seed)
    return real, held, sample, streams


def build_cycle(cfg: Config, out: str | None) -> CycleExperiment:
    rng = B.seed(cfg.seed)
    a, b = registry.get(cfg.data), registry.get(cfg.data_b)
    real_a, held_a, sample_a, streams_a = _domain(a, cfg, rng, cfg.seed)
    real_b, held_b, sample_b, streams_b = _domain(b, cfg, rng, cfg.seed + 1)
    G, F, D_A, D_B = build_cycle_models(cfg)
    g_opt = make_optimizer(cfg, G.parameters() + F.parameters(), cfg.lr)
    d_opt = make_optimizer(cfg, D_A.parameters() + D_B.parameters(), cfg.lr_d or cfg.lr)
    pool_rng = B.RNG(cfg.seed + 2)
    state = {"rng": rng, "pool": pool_rng, **{f"a_{k}": v for k, v in streams_a.items()},
             **{f"b_{k}": v for k, v in streams_b.items()}}
    tr = CycleGANTrainer(
        G, F, D_A, D_B, g_opt, d_opt, sample_a, sample_b, batch_size=cfg.batch_size,
        lambda_cycle=cfg.lambda_cycle, lambda_identity=cfg.lambda_identity,
        pool_size=cfg.pool_size, pool_rng=pool_rng,
        checkpoint_path=None if out is None else os.path.join(out, "checkpoint.npz"),
        checkpoint_every=cfg.checkpoint_every,
        meta={"preset": cfg.preset, "config": cfg.as_dict()}, state=state,
        ema=EMA(Translators(G, F), cfg.ema) if cfg.ema > 0 else None)
    return CycleExperiment(cfg, tr, a, b, real_a, real_b, held_a, held_b)


def inputs(exp_or_cfg, direction: str, n: int, seed: int = 0):
    """``n`` inputs of a translation (NumPy) and their labels (None for points): held-out
    images of the source domain, or fresh points drawn with ``seed``. An experiment's own
    held-out images are used as they are; a Config loads and splits its data set."""
    cfg = exp_or_cfg.cfg if hasattr(exp_or_cfg, "cfg") else exp_or_cfg
    ds = registry.get(cfg.data if direction == "a2b" else cfg.data_b)
    held = getattr(exp_or_cfg, "held_a" if direction == "a2b" else "held_b", None)
    if held is None:
        real = load(ds.name)
        if ds.kind == "toy":
            return B.to_numpy(real.target.sample(n, B.RNG(seed))), None
        _, held = split(real.images, real.labels)
    x, y = held
    if n > len(x):
        raise ValueError(f"translate: only {len(x)} held-out images of {ds.name}; asked for {n}")
    pick = numpy.random.default_rng(seed).permutation(len(x))[:n]
    return x[pick], y[pick]


def _translate_host(gen, x):
    return B.to_numpy(translate(gen, B.to_device(numpy.ascontiguousarray(x))))


def evaluate_cycle(exp: CycleExperiment, seed: int = 13) -> dict:
    """The measures of docs/results.md for a trained CycleGAN (host floats), of the
    generators' weight averages when the run keeps them."""
    with averaged(exp):
        return _measures(exp, seed)


def _measures(exp: CycleExperiment, seed: int) -> dict:
    tr, cfg = exp.trainer, exp.cfg
    if exp.a.kind == "toy":
        n = cfg.eval_samples
        a = B.to_numpy(exp.real_a.target.sample(n, B.RNG(seed)))
        b = B.to_numpy(exp.real_b.target.sample(n, B.RNG(seed + 1)))
        ab, ba = _translate_host(tr.G, a), _translate_host(tr.F, b)
        aba, bab = _translate_host(tr.F, ab), _translate_host(tr.G, ba)
        m = {"a2b_" + k: v for k, v in exp.b.evaluate(ab, None, exp.real_b).items()}
        m.update({"b2a_" + k: v for k, v in exp.a.evaluate(ba, None, exp.real_a).items()})
        m["cycle_error_a"] = float(numpy.abs(aba - a).mean())
        m["cycle_error_b"] = float(numpy.abs(bab - b).mean())
        return m
    xa, ya = exp.held_a
    xb, yb = exp.held_b
    ab, ba = _translate_host(tr.G, xa), _translate_host(tr.F, xb)
    aba, bab = _translate_host(tr.F, ab), _translate_host(tr.G, ba)
    ref_b = exp.real_b.images
    m = {
        "class_preserved_a2b": metrics.classifier_accuracy(ab, ya),
        "class_preserved_b2a": metrics.classifier_accuracy(ba, yb),
        "frechet_a_to_b": metrics.frechet_digit_distance(xa, ref_b),
        "frechet_a2b_to_b": metrics.frechet_digit_distance(ab, ref_b),
        "frechet_b_heldout_to_b": metrics.frechet_digit_distance(xb, ref_b),
        "cycle_error_a": float(numpy.abs(aba - xa).mean()),
        "cycle_error_b": float(numpy.abs(bab - xb).mean()),
        "held_out": [int(len(xa)), int(len(xb))],
    }
    m["frechet_ratio"] = m["frechet_a2b_to_b"] / m["frechet_a_to_b"]
    return m


def draw_translation(exp: CycleExperiment, path: str, n: int = 8, seed: int = 7,
                     title: str | None = None) -> str:
    """translation.png: rows A, G(A), F(G(A)), B, F(B), G(F(B)) for images; for points the
    two domains, G(a) and an arrow from each a to G(a). By the weight averages where kept."""
    with averaged(exp):
        return _draw(exp, path, n, seed, title)


def _draw(exp, path, n, seed, title):
    tr, cfg = exp.trainer, exp.cfg
    title = title or f"{cfg.preset}, step {tr.step}"
    if exp.a.kind == "toy":
        a = B.to_numpy(exp.real_a.target.sample(400, B.RNG(seed)))
        b = B.to_numpy(exp.real_b.target.sample(400, B.RNG(seed + 1)))
        return viz.translation_arrows(a, _translate_host(tr.G, a), path, b=b,
                                      back=_translate_host(tr.F, _translate_host(tr.G, a)),
                                      title=title)
    xa, xb = inputs(exp, "a2b", n, seed)[0], inputs(exp, "b2a", n, seed)[0]
    ab, ba = _translate_host(tr.G, xa), _translate_host(tr.F, xb)
    rows = [xa, ab, _translate_host(tr.F, ab), xb, ba, _translate_host(tr.G, ba)]
    labels = ["A", "A->B", "A->B->A", "B", "B->A", "B->A->B"]
    return viz.image_grid(numpy.concatenate(rows), path, nrow=n, title=title, labels=labels)


def run_cycle(cfg: Config, ck_path: str | None, out: str, progress: bool = True,
              pictures: bool = True, stop_after: int | None = None) -> dict:
    """Train (or continue) a CycleGAN config and write its outputs to ``out``; the metrics."""
    start = time.perf_counter()
    exp = build_cycle(cfg, out)
    tr = exp.trainer

    def extra():
        # the pools travel with the checkpoint (their fill counts in its meta)
        tr.meta.update(pool_a_count=tr.pool_a.count, pool_b_count=tr.pool_b.count)
        return tr.pool_arrays()

    tr.extra_arrays = extra
    if ck_path is not None:
        tr.resume(ck_path)
        tr.load_pools(tr.resumed_arrays)
    train_to_end(tr, cfg, progress, stop_after)
    m = {"preset": cfg.preset, "objective": cfg.objective}
    m.update(evaluate_cycle(exp))
    m.update(run_record(cfg, tr))
    h = tr.history
    m["final_cycle_loss"] = h.cycle[-1] if len(h) else None
    tr.history.to_csv(os.path.join(out, "history.csv"))
    if pictures:
        viz.losses(h, os.path.join(out, "losses.png"), title=f"{cfg.preset} losses (lsgan)")
        viz.diagnostics(h, os.path.join(out, "diagnostics.png"), title=f"{cfg.preset} diagnostics",
                        warnings=tr.warnings)
        draw_translation(exp, os.path.join(out, "translation.png"))
    m["wall_seconds"] = round(time.perf_counter() - start, 3)
    return m


def load_translators(checkpoint):
    """(G, F, Config) from a CycleGAN run's checkpoint (a file or its run folder)."""
    from ..gan.checkpoint import CheckpointError, load_checkpoint, load_ema
    path = checkpoint_in(checkpoint)
    ck = load_checkpoint(path)
    if "config" not in ck["meta"]:
        raise CheckpointError(path, "holds no preset configuration (not written by minigan train)")
    cfg = Config.from_dict(ck["meta"]["config"])
    if not cfg.model.startswith("cyclegan"):
        raise ConfigError(f"translate: {path!r} is a checkpoint of preset {cfg.preset!r}, which "
                          f"does not translate; translate needs a CycleGAN run (cyclegan-digits, "
                          f"cyclegan-toy)")
    B.seed(0)
    G, F, _, _ = build_cycle_models(cfg)
    try:
        G.load_state_dict(ck["models"]["G"])
        F.load_state_dict(ck["models"]["F"])
        load_ema(Translators(G, F), ck)         # the weight averages, where the run kept them
    except (KeyError, ValueError, TypeError) as exc:
        raise CheckpointError(path, f"its generators do not fit preset {cfg.preset!r}: {exc}") from None
    return G, F, cfg


def translate_checkpoint(checkpoint, direction: str, n: int, out: str, input_path=None,
                         seed: int = 0) -> dict:
    """``minigan translate``: translate ``n`` held-out inputs of the source domain (or the
    arrays in ``input_path``, a .npy) with G ("a2b") or F ("b2a") and write ``out``: a
    .png (rows: inputs, translations, cycled back) or a .npz with ``inputs``, ``outputs``
    and, for held-out images, the inputs' ``labels``. Nothing is written on an error."""
    if direction not in ("a2b", "b2a"):
        raise ConfigError(f"translate: --direction must be a2b or b2a, got {direction!r}")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ConfigError(f"translate: n must be a positive int, got {n!r}")
    ext = os.path.splitext(str(out))[1].lower()
    if ext not in (".png", ".npz"):
        raise ConfigError(f"translate: --out must end in .png (a picture) or .npz (the arrays), "
                          f"got {out!r}")
    G, F, cfg = load_translators(checkpoint)
    src = registry.get(cfg.data if direction == "a2b" else cfg.data_b)
    if input_path is not None:
        x = _read_input(input_path, src)
        labels = None
    else:
        try:
            x, labels = inputs(cfg, direction, n, seed)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
    there, back = (G, F) if direction == "a2b" else (F, G)
    y = _translate_host(there, x)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    if ext == ".npz":
        arrays = {"inputs": numpy.asarray(x, numpy.float32), "outputs": y.astype(numpy.float32)}
        if labels is not None:
            arrays["labels"] = numpy.asarray(labels, numpy.int64)
        tmp = f"{out}.tmp.npz"
        numpy.savez(tmp, **arrays)
        os.replace(tmp, out)
    else:
        cyc = _translate_host(back, y)
        names = ("A", "B") if direction == "a2b" else ("B", "A")
        if src.kind == "toy":
            viz.translation_arrows(x, y, out, back=cyc, title=f"{cfg.preset}: {names[0]} -> {names[1]}")
        else:
            k = len(x)
            nrow = min(k, 8)
            rows = [x, y, cyc]
            viz.image_grid(numpy.concatenate([r[:nrow] for r in rows]), out, nrow=nrow,
                           title=f"{cfg.preset}: {names[0]} -> {names[1]}",
                           labels=[names[0], f"{names[0]}->{names[1]}",
                                   f"{names[0]}->{names[1]}->{names[0]}"])
    return {"inputs": x, "outputs": y, "labels": labels}


def _read_input(path, ds):
    """A .npy of inputs in the source domain's shape (a single sample is one row)."""
    if not os.path.isfile(str(path)):
        raise ConfigError(f"translate: --input {str(path)!r} does not exist")
    try:
        x = numpy.load(path, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise ConfigError(f"translate: --input {str(path)!r} is not a .npy array ({exc})") from None
    shape = ds.sample_shape
    if x.ndim == len(shape):
        x = x[None]
    if tuple(x.shape[1:]) != tuple(shape) or x.dtype.kind != "f" or len(x) == 0:
        raise ConfigError(f"translate: --input must hold float samples of shape (N, "
                          f"{', '.join(map(str, shape))}) for {ds.name}, got {x.dtype} {x.shape}")
    return x.astype(numpy.float32)


__all__ = ["load_translators", "translate_checkpoint", "run_cycle", "CycleExperiment",
           "build_cycle", "build_cycle_models", "evaluate_cycle", "draw_translation", "inputs",
           "split"]
