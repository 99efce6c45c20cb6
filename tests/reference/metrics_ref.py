"""Loop version of the improved precision and recall (Kynkaanniemi et al. 2019), straight
from the definition in docs/math/metrics.md: the ground truth for minigan.metrics."""
import math


def _dist(a, b):
    return math.sqrt(sum((float(u) - float(v)) ** 2 for u, v in zip(a, b)))


def _radii(points, k):
    radii = []
    for i, p in enumerate(points):
        d = sorted(_dist(p, q) for j, q in enumerate(points) if j != i)
        radii.append(d[k - 1])          # the k-th nearest *other* point
    return radii


def _share_inside(points, centres, radii):
    inside = 0
    for p in points:
        if any(_dist(p, c) <= r for c, r in zip(centres, radii)):
            inside += 1
    return inside / len(points)


def precision_recall_ref(real, fake, k):
    """(precision, recall) for rows ``real`` and ``fake`` (sequences of equal-length vectors)."""
    return (_share_inside(fake, real, _radii(real, k)),
            _share_inside(real, fake, _radii(fake, k)))
