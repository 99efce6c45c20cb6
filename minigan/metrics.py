"""Numbers that say how good a GAN's samples are.  Definitions: docs/math/metrics.md.

All functions accept NumPy or CuPy arrays and compute on the host in float64
(metrics are evaluated rarely and on small samples, so exactness wins over speed).
"""
from __future__ import annotations

from statistics import NormalDist

import numpy

from .backend import to_numpy


def _flat64(x) -> numpy.ndarray:
    return to_numpy(x).astype(numpy.float64).ravel()


def wasserstein_1d(samples, target=None, *, mean: float | None = None, std: float | None = None) -> float:
    """W1 distance between the empirical distribution of ``samples`` and either another
    sample ``target`` or the normal N(mean, std^2).

    W1 = integral_0^1 |F^-1(u) - G^-1(u)| du. Against a sample of the same size this
    is the mean absolute difference of the sorted samples; otherwise (and against a
    normal) the quantile functions are compared on the midpoints u_i = (i - 1/2) / n.
    """
    a = numpy.sort(_flat64(samples))
    n = a.size
    if n == 0:
        raise ValueError("wasserstein_1d: empty sample")
    u = (numpy.arange(n) + 0.5) / n
    if target is not None:
        b = numpy.sort(_flat64(target))
        if b.size == n:
            return float(numpy.abs(a - b).mean())
        qb = numpy.quantile(b, u)
        return float(numpy.abs(a - qb).mean())
    if mean is None or std is None:
        raise ValueError("wasserstein_1d: give a target sample or both mean= and std=")
    nd = NormalDist(mean, std)
    q = numpy.array([nd.inv_cdf(p) for p in u])
    return float(numpy.abs(a - q).mean())
