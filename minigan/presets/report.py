"""What a finished run measures and draws: its data set's quality metrics and the pictures.

The metrics are the data set's own (its record's ``evaluate``, minigan/data/evaluation.py;
definitions: docs/math/metrics.md); an objective that ``reports_mmd`` adds MMD^2 of 500
generated vs 500 real images at the start and at the end. The pictures follow the
record's ``picture``: a histogram, a 2-D or 3-D scatter over the real data, an image grid.
"""
from __future__ import annotations

import os

import numpy

from .. import animate, metrics, viz
from ..data.evaluation import real_half
from ..gan.objectives import objective_class
from .build import generate


def _classes(n: int, k: int):
    return numpy.arange(n) % k


def averaged(exp):
    """G's weights to evaluate and draw: the exponential moving average when the run keeps
    one (a context manager), else G as it is. (A CycleGAN's average holds G and F.)"""
    from contextlib import nullcontext
    ema = exp.trainer.ema
    return ema.applied() if ema is not None else nullcontext()


def evaluate(exp, eval_rng) -> dict:
    """The data set's quality metrics for the trained generator (host floats)."""
    with averaged(exp):
        return _evaluate(exp, eval_rng)


def _evaluate(exp, eval_rng) -> dict:
    cfg, G, k = exp.cfg, exp.trainer.G, exp.n_classes
    n = cfg.eval_samples
    labels = _classes(n, k) if k else None
    x = generate(G, cfg, n, eval_rng, labels, k)
    m = exp.dataset.evaluate(x, labels, exp.real)
    if objective_class(cfg.objective).reports_mmd and exp.images is not None:
        m["mmd2_final"] = metrics.mmd2(x[:500], real_half(exp.images, 500), bandwidths=cfg.bandwidths)
    return m


def mmd_at_start(exp, eval_rng):
    cfg = exp.cfg
    if not objective_class(cfg.objective).reports_mmd or exp.images is None:
        return None
    x = generate(exp.trainer.G, cfg, 500, eval_rng, _classes(500, exp.n_classes) if exp.n_classes
                 else None, exp.n_classes)
    return metrics.mmd2(x, real_half(exp.images, 500), bandwidths=cfg.bandwidths)


def _real_for_picture(exp, n):
    return exp.target.sample(n, 7)


def picture_samples(exp, x, path, title):
    """The final samples: histogram, 2-D / 3-D scatter over the real data, or an image grid."""
    ds = exp.dataset
    if ds.picture == "histogram":
        return viz.histogram_1d(x, path, pdf=exp.target.pdf, title=title)
    if ds.picture == "scatter3d":
        return viz.scatter_3d(x, path, real=_real_for_picture(exp, 2500), title=title)
    if ds.picture == "scatter":
        return viz.scatter_2d(x, path, real=_real_for_picture(exp, 2500),
                              centers=exp.target.centers if ds.modes else None, title=title)
    if exp.n_classes:
        return viz.image_grid(x, path, nrow=len(x) // exp.n_classes, title=title,
                              labels=[str(c) for c in range(exp.n_classes)])
    return viz.image_grid(x, path, title=title)


def write_pictures(exp, out, eval_rng, snapshots, metrics_: dict) -> list:
    """losses.png, diagnostics.png, samples.png, samples.gif and history.csv in ``out``
    (samples drawn with G's weight average when the run keeps one)."""
    with averaged(exp):
        return _write_pictures(exp, out, eval_rng, snapshots, metrics_)


def _write_pictures(exp, out, eval_rng, snapshots, metrics_: dict) -> list:
    cfg, tr, ds = exp.cfg, exp.trainer, exp.dataset
    paths = [tr.history.to_csv(os.path.join(out, "history.csv"))]
    paths.append(viz.losses(tr.history, os.path.join(out, "losses.png"),
                            title=f"{cfg.preset} losses ({cfg.objective})",
                            equilibrium=objective_class(cfg.objective).equilibrium))
    paths.append(viz.diagnostics(tr.history, os.path.join(out, "diagnostics.png"),
                                 title=f"{cfg.preset} diagnostics", warnings=tr.warnings))
    k = exp.n_classes
    if ds.is_image and k:
        labels = numpy.repeat(numpy.arange(k), 10)
        x = generate(tr.G, cfg, 10 * k, eval_rng, labels, k)
    else:
        x = generate(tr.G, cfg, ds.picture_samples, eval_rng)
    paths.append(picture_samples(exp, x, os.path.join(out, "samples.png"),
                                 f"{cfg.preset}, step {tr.step}"))
    if snapshots:
        kw = {}
        if ds.picture == "histogram":
            kw["pdf"] = exp.target.pdf
        elif ds.picture == "scatter":
            kw["real"] = _real_for_picture(exp, 1000)
            if ds.modes:
                kw["centers"] = exp.target.centers
        elif ds.picture == "images" and k:
            kw["nrow"] = len(snapshots[0][1]) // k
        paths.append(animate.samples_gif(snapshots, os.path.join(out, "samples.gif"), ds.picture, **kw))
    return paths
