"""What the StyleGAN-lite run is judged by (docs/results.md): does style mixing work, and
what does truncation trade?

    mixing_agreement(grid)           share of mixing-grid cells the digit classifier gives
                                     the label of their coarse-style source
    truncation_sweep(G, psis, ref)   per psi: the Frechet digit distance to real digits,
                                     split into its mean term |mu_g - mu_r|^2 and its
                                     covariance term; precision (quality) and recall
                                     (variety); and the classifier's mean confidence
    noise_spread(G, z, draws)        the per-pixel std over noise draws for fixed latents:
                                     where the noise inputs change the picture
"""
from __future__ import annotations

import numpy

from .. import backend as B
from .. import metrics
from ..classifier import load_digit_classifier


def mixing_agreement(grid: dict) -> float:
    """The share of cells (r, c) whose predicted digit is that of row source r (the coarse
    styles' latent) - the label follows the coarse styles - for a
    :func:`~minigan.presets.sampling.mixing_grid`."""
    clf = load_digit_classifier()
    cells = grid["images"]
    R, C = cells.shape[:2]
    predicted = clf.predict(cells.reshape((R * C,) + cells.shape[2:])).reshape(R, C)
    sources = clf.predict(grid["rows"])
    return float((predicted == sources[:, None]).mean())


def _generate(G, z, batch=500):
    return numpy.concatenate([B.to_numpy(G.forward(z[i:i + batch]))
                              for i in range(0, z.shape[0], batch)])


def truncation_sweep(G, psis, reference, n: int = 2000, seed: int = 0) -> dict:
    """{psi: {frechet, mean_term, cov_term, precision, recall, confidence}} for ``n`` samples
    of ``G`` at each truncation psi against ``reference`` images (the same latents for
    every psi). Precision and recall are :func:`minigan.metrics.precision_recall` (k=3) in
    the classifier's features: the Frechet distance's two terms both mix quality and
    variety, while precision measures quality alone."""
    clf = load_digit_classifier()
    f_r = clf.features(reference)
    mu_r, s_r = metrics.feature_statistics(f_r)
    z = B.RNG(seed).standard_normal((n, G.latent_dim))
    G.eval()
    before = G.truncation
    out = {}
    try:
        for psi in psis:
            G.truncation = float(psi)
            x = _generate(G, z)
            f = clf.features(x)
            mu, s = metrics.feature_statistics(f)
            fd = metrics.frechet_distance(mu, s, mu_r, s_r)
            pr = metrics.precision_recall(f_r, f)
            mean_term = float(((mu - mu_r) ** 2).sum())
            logits = clf.logits(x)
            p = numpy.exp(logits - logits.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            out[float(psi)] = {"frechet": fd, "mean_term": mean_term, "cov_term": fd - mean_term,
                               "precision": pr.precision, "recall": pr.recall,
                               "confidence": float(p.max(axis=1).mean())}
    finally:
        G.truncation = before
        G.train()
    return out


def noise_spread(G, z, draws: int = 8, seed: int = 0):
    """(images (draws, N, C, H, W) for the latents ``z`` under ``draws`` noise draws, the
    per-pixel std over the draws (N, C, H, W)) - noise changes the details only."""
    G.eval()
    G.set_rng(B.RNG(seed))
    try:
        imgs = numpy.stack([B.to_numpy(G.forward(z)) for _ in range(draws)])
    finally:
        G.train()
    return imgs, imgs.std(axis=0)


__all__ = ["mixing_agreement", "truncation_sweep", "noise_spread"]
