"""Numbers that say how good a GAN's samples are.  Definitions: docs/math/metrics.md.

All functions accept NumPy or CuPy arrays and compute on the host in float64
(metrics are evaluated rarely and on small samples, so exactness wins over speed).
"""
from __future__ import annotations

from statistics import NormalDist
from typing import NamedTuple

import numpy

from .backend import to_numpy
from .checks import positive_int, real


def _host64(x, where: str = "metrics") -> numpy.ndarray:
    """``x`` (NumPy or device array, list or number) as a finite float64 NumPy array: the one
    explicit device->host copy a metric makes. TypeError/ValueError naming ``where`` for
    data that are not numbers or not finite."""
    try:
        a = numpy.asarray(to_numpy(x), dtype=numpy.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{where}: expected numbers (an array or a list of numbers), got "
                        f"{type(x).__name__}"
                        + (f" of dtype {x.dtype}" if hasattr(x, "dtype") else "")) from None
    if not numpy.isfinite(a).all():
        raise ValueError(f"{where}: the data contain NaN or infinite values")
    return a


def _flat64(x, where: str = "metrics") -> numpy.ndarray:
    return _host64(x, where).ravel()


def wasserstein_1d(samples, target=None, *, mean: float | None = None, std: float | None = None) -> float:
    """W1 distance between the empirical distribution of ``samples`` and either another
    sample ``target`` or the normal N(mean, std^2).

    W1 = integral_0^1 |F^-1(u) - G^-1(u)| du. Against a sample of the same size this
    is the mean absolute difference of the sorted samples; otherwise (and against a
    normal) the quantile functions are compared on the midpoints u_i = (i - 1/2) / n.
    """
    a = numpy.sort(_flat64(samples, "wasserstein_1d"))
    n = a.size
    if n == 0:
        raise ValueError("wasserstein_1d: empty sample")
    u = (numpy.arange(n) + 0.5) / n
    if target is not None:
        b = numpy.sort(_flat64(target, "wasserstein_1d"))
        if b.size == 0:
            raise ValueError("wasserstein_1d: empty target sample")
        if b.size == n:
            return float(numpy.abs(a - b).mean())
        qb = numpy.quantile(b, u)
        return float(numpy.abs(a - qb).mean())
    if mean is None or std is None:
        raise ValueError("wasserstein_1d: give a target sample or both mean= and std=")
    _normal_params("wasserstein_1d", mean, std)
    nd = NormalDist(mean, std)
    q = numpy.array([nd.inv_cdf(p) for p in u])
    return float(numpy.abs(a - q).mean())


def _normal_params(where, mean, std) -> None:
    real(where, "mean", mean)
    real(where, "std", std, positive=True)


# ---------------------------------------------------------------- Kolmogorov-Smirnov

def ks_statistic(samples, target=None, *, mean: float | None = None, std: float | None = None) -> float:
    """Kolmogorov-Smirnov statistic D = sup_x |F_n(x) - G(x)| between the empirical CDF of
    ``samples`` and either the empirical CDF of another sample ``target`` or the CDF of
    N(mean, std^2). D lies in [0, 1]; 0 means the CDFs agree.

    Against a sample both step functions are compared at every pooled point; against
    a normal, F_n jumps at each sorted x_i, so D = max_i max(i/n - G(x_i), G(x_i) - (i-1)/n).
    """
    a = numpy.sort(_flat64(samples, "ks_statistic"))
    n = a.size
    if n == 0:
        raise ValueError("ks_statistic: empty sample")
    if target is not None:
        b = numpy.sort(_flat64(target, "ks_statistic"))
        if b.size == 0:
            raise ValueError("ks_statistic: empty target sample")
        pooled = numpy.concatenate([a, b])
        fa = numpy.searchsorted(a, pooled, side="right") / n
        fb = numpy.searchsorted(b, pooled, side="right") / b.size
        return float(numpy.abs(fa - fb).max())
    if mean is None or std is None:
        raise ValueError("ks_statistic: give a target sample or both mean= and std=")
    _normal_params("ks_statistic", mean, std)
    cdf = NormalDist(mean, std).cdf
    g = numpy.array([cdf(v) for v in a])
    i = numpy.arange(1, n + 1)
    return float(max((i / n - g).max(), (g - (i - 1) / n).max()))


# ---------------------------------------------------------------- MMD

def _rows64(x, where: str) -> numpy.ndarray:
    a = _host64(x, where)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim < 1 or a.shape[0] < 2:
        raise ValueError(f"{where}: need at least 2 samples, got shape {a.shape}")
    return a.reshape(a.shape[0], -1)


def _sq_dists(a: numpy.ndarray, b: numpy.ndarray) -> numpy.ndarray:
    """||a_i - b_j||^2 for all pairs, (len(a), len(b)); clipped at 0 against round-off."""
    d = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * (a @ b.T)
    return numpy.maximum(d, 0.0)


def median_distance(x, max_points: int = 1000) -> float:
    """The median of the pairwise Euclidean distances among (the first ``max_points`` of) ``x``."""
    a = _rows64(x, "median_distance")[:max_points]
    d = numpy.sqrt(_sq_dists(a, a)[numpy.triu_indices(a.shape[0], k=1)])
    return float(numpy.median(d))


MMD_SCALES = (0.25, 0.5, 1.0, 2.0, 4.0)


def mmd2(x, y, bandwidths=None) -> float:
    """Unbiased estimate of the squared maximum mean discrepancy between the distributions
    of samples ``x`` (m, ...) and ``y`` (n, ...), with the kernel
    k(a, b) = sum_s exp(-||a - b||^2 / (2 s^2)) summed over the bandwidths s.

        MMD^2_u = sum_{i!=j} k(x_i, x_j) / (m(m-1)) + sum_{i!=j} k(y_i, y_j) / (n(n-1))
                  - 2 sum_{i,j} k(x_i, y_j) / (mn)

    Its expectation is 0 exactly when the distributions agree (so an estimate can be
    slightly negative). ``bandwidths=None`` uses ``MMD_SCALES`` times the median pairwise
    distance within ``y`` - pass the real data as ``y`` so the kernel stays the same
    while a generator is compared over training. Samples with more than one axis
    after the first (images) are flattened to vectors.
    """
    a, b = _rows64(x, "mmd2"), _rows64(y, "mmd2")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"mmd2: samples have {a.shape[1]} and {b.shape[1]} features per row")
    if bandwidths is None:
        med = median_distance(b)
        if med == 0.0:
            raise ValueError("mmd2: every sample in y is the same point; give bandwidths explicitly")
        bandwidths = [s * med for s in MMD_SCALES]
    try:
        bws = numpy.atleast_1d(numpy.asarray(bandwidths, dtype=numpy.float64))
    except (TypeError, ValueError):
        raise TypeError(f"mmd2: bandwidths must be numbers, got {bandwidths!r}") from None
    if not numpy.isfinite(bws).all():
        raise ValueError(f"mmd2: bandwidths must be finite, got {bandwidths!r}")
    if bws.size == 0 or not (bws > 0).all():
        raise ValueError(f"mmd2: bandwidths must be positive numbers, got {bandwidths!r}")
    m, n = a.shape[0], b.shape[0]

    def kernel_sum(d2, drop_diagonal):
        k = sum(numpy.exp(-d2 / (2.0 * s * s)) for s in bws)
        total = k.sum()
        return total - numpy.trace(k) if drop_diagonal else total

    kxx = kernel_sum(_sq_dists(a, a), True) / (m * (m - 1))
    kyy = kernel_sum(_sq_dists(b, b), True) / (n * (n - 1))
    kxy = kernel_sum(_sq_dists(a, b), False) / (m * n)
    return float(kxx + kyy - 2.0 * kxy)


# ---------------------------------------------------------------- mode coverage

class ModeCoverage(NamedTuple):
    """Result of :func:`mode_coverage`."""
    modes_covered: int            # modes nearest to at least one high-quality sample
    n_modes: int
    high_quality_percent: float   # % of samples within threshold * std of their nearest mode
    counts: numpy.ndarray         # (K,) high-quality samples per mode
    reverse_kl: float             # KL(q || uniform), q = share of all samples nearest each mode


PUBLISHED_MIN_COUNT = 20   # VEEGAN and PacGAN: a mode needs 20 of 2,500 high-quality samples


def mode_coverage(samples, centers, std: float | None = None, threshold: float = 3.0,
                  min_count: int = 1) -> ModeCoverage:
    """Mode coverage as in VEEGAN and PacGAN (there measured on 2,500 generated samples).

    A sample is *high quality* when its Euclidean distance to the nearest centre is at
    most ``threshold * std``; a mode is *covered* when at least ``min_count``
    high-quality samples are nearest to it (the published tables use
    ``min_count=PUBLISHED_MIN_COUNT``, 20 of 2,500). ``centers`` is a (K, dim) array or
    a toy distribution with ``centers`` and ``std`` (e.g. :class:`minigan.data.GaussianRing`).
    """
    positive_int("mode_coverage", "min_count", min_count)
    if std is None:
        if not hasattr(centers, "centers"):
            raise ValueError("mode_coverage: give std= or a distribution with .centers and .std")
        centers, std = centers.centers, centers.std
    elif hasattr(centers, "centers"):
        centers = centers.centers
    c = _host64(centers, "mode_coverage")
    x = _host64(samples, "mode_coverage")
    if x.ndim == 1:
        x = x[:, None]
    if c.ndim != 2 or x.ndim != 2 or x.shape[1] != c.shape[1]:
        raise ValueError(f"mode_coverage: samples (N, dim) and centers (K, dim) must agree in dim, "
                         f"got shapes {x.shape} and {c.shape}")
    if x.shape[0] == 0:
        raise ValueError("mode_coverage: no samples")
    if not std > 0 or not threshold > 0:
        raise ValueError(f"mode_coverage: std and threshold must be > 0, got {std!r}, {threshold!r}")
    d2 = _sq_dists(x, c)
    nearest = d2.argmin(axis=1)
    good = numpy.sqrt(d2[numpy.arange(x.shape[0]), nearest]) <= threshold * std
    k = c.shape[0]
    counts = numpy.bincount(nearest[good], minlength=k)
    q = numpy.bincount(nearest, minlength=k) / x.shape[0]
    nz = q > 0
    reverse_kl = float((q[nz] * numpy.log(q[nz] * k)).sum())
    return ModeCoverage(int((counts >= min_count).sum()), k, float(100.0 * good.mean()), counts,
                        reverse_kl)


# ---------------------------------------------------------------- Frechet distance

def feature_statistics(features) -> tuple[numpy.ndarray, numpy.ndarray]:
    """(mean (d,), covariance (d, d) with the n-1 normalisation) of features (n, d)."""
    f = _rows64(features, "feature_statistics")
    return f.mean(axis=0), numpy.cov(f, rowvar=False).reshape(f.shape[1], f.shape[1])


def _psd_sqrt(s: numpy.ndarray) -> numpy.ndarray:
    w, v = numpy.linalg.eigh(s)
    return (v * numpy.sqrt(numpy.clip(w, 0.0, None))) @ v.T


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """Frechet (2-Wasserstein) distance squared between N(mu1, sigma1) and N(mu2, sigma2):

        FD = |mu1 - mu2|^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2))

    S1 S2 is not symmetric, but it is similar to the PSD matrix S1^(1/2) S2 S1^(1/2),
    so Tr((S1 S2)^(1/2)) is the sum of the square roots of that matrix's eigenvalues
    (numpy.linalg.eigh; tiny negative eigenvalues from round-off are clipped to 0).
    """
    where = "frechet_distance"
    mu1, mu2 = _host64(mu1, where).ravel(), _host64(mu2, where).ravel()
    s1, s2 = numpy.atleast_2d(_host64(sigma1, where)), numpy.atleast_2d(_host64(sigma2, where))
    d = mu1.size
    if mu2.size != d or s1.shape != (d, d) or s2.shape != (d, d):
        raise ValueError(f"frechet_distance: shapes do not match: mu {mu1.shape}, {mu2.shape}, "
                         f"sigma {s1.shape}, {s2.shape}")
    r = _psd_sqrt(s1)
    m = r @ s2 @ r
    ev = numpy.linalg.eigvalsh((m + m.T) / 2)
    tr_sqrt = numpy.sqrt(numpy.clip(ev, 0.0, None)).sum()
    fd = float(((mu1 - mu2) ** 2).sum() + numpy.trace(s1) + numpy.trace(s2) - 2.0 * tr_sqrt)
    return max(fd, 0.0)   # round-off can leave -1e-12 for identical inputs


def frechet_digit_distance(images, reference, classifier=None) -> float:
    """FID-style distance between two sets of 28x28 digits in [-1, 1] ((N, 1, 28, 28),
    (N, 28, 28) or (N, 784)): :func:`frechet_distance` of the mean and covariance of the
    digit classifier's penultimate features (100 per image). Lower is closer; use the
    same number of images on each side when comparing values (the estimate is biased
    upwards for small samples). ``classifier`` defaults to the shipped one
    (:func:`minigan.classifier.load_digit_classifier`).
    """
    clf = classifier if classifier is not None else _default_classifier()
    mu1, s1 = feature_statistics(clf.features(images))
    mu2, s2 = feature_statistics(clf.features(reference))
    return frechet_distance(mu1, s1, mu2, s2)


class PrecisionRecall(NamedTuple):
    """Improved precision and recall (Kynkaanniemi et al. 2019) of generated samples."""
    precision: float    # share of generated samples inside the real samples' manifold
    recall: float       # share of real samples inside the generated samples' manifold
    k: int


def _kth_neighbour_radii(a: numpy.ndarray, k: int, chunk: int) -> numpy.ndarray:
    """Distance from each row of ``a`` to its k-th nearest other row, (len(a),)."""
    radii = numpy.empty(a.shape[0])
    for i in range(0, a.shape[0], chunk):
        d = _sq_dists(a[i:i + chunk], a)
        # column 0 of each sorted row is the point itself (distance 0)
        radii[i:i + chunk] = numpy.sqrt(numpy.partition(d, k, axis=1)[:, k])
    return radii


def _inside(points: numpy.ndarray, centres: numpy.ndarray, radii: numpy.ndarray,
            chunk: int) -> numpy.ndarray:
    """For each point: is it within radii[j] of some centres[j]?  (len(points),) bool."""
    out = numpy.empty(points.shape[0], dtype=bool)
    r2 = radii * radii
    for i in range(0, points.shape[0], chunk):
        out[i:i + chunk] = (_sq_dists(points[i:i + chunk], centres) <= r2[None, :]).any(axis=1)
    return out


def precision_recall(real, fake, k: int = 3, chunk: int = 1000) -> PrecisionRecall:
    """Improved precision and recall between ``real`` (n, ...) and ``fake`` (m, ...) samples
    or their features (Kynkaanniemi et al. 2019; docs/math/metrics.md).

    Each set's manifold is the union of balls around its samples, a ball's radius being
    the distance to the sample's k-th nearest neighbour in its own set. Precision is the
    share of fake samples inside the real manifold (are the samples realistic?), recall
    the share of real samples inside the fake manifold (is the data covered?). Unlike
    a Frechet distance, the two numbers separate quality from diversity: a generator
    that draws only its most typical samples (the truncation trick) gains precision and
    loses recall.
    """
    where = "precision_recall"
    k = positive_int(where, "k", k)
    chunk = positive_int(where, "chunk", chunk)
    r, f = _rows64(real, where), _rows64(fake, where)
    if r.shape[1] != f.shape[1]:
        raise ValueError(f"{where}: real and fake samples differ in size: {r.shape[1]} "
                         f"against {f.shape[1]} values per sample")
    if min(r.shape[0], f.shape[0]) <= k:
        raise ValueError(f"{where}: need more than k={k} samples on each side, got "
                         f"{r.shape[0]} real and {f.shape[0]} fake")
    precision = _inside(f, r, _kth_neighbour_radii(r, k, chunk), chunk).mean()
    recall = _inside(r, f, _kth_neighbour_radii(f, k, chunk), chunk).mean()
    return PrecisionRecall(float(precision), float(recall), k)


def digit_precision_recall(images, reference, k: int = 3, classifier=None) -> PrecisionRecall:
    """:func:`precision_recall` of generated 28x28 digits against real ones, in the digit
    classifier's penultimate features (the space :func:`frechet_digit_distance` uses)."""
    clf = classifier if classifier is not None else _default_classifier()
    return precision_recall(clf.features(reference), clf.features(images), k=k)


def classifier_accuracy(images, labels, classifier=None) -> float:
    """Share of generated digits the digit classifier assigns to their intended class.

    ``images``: (N, 1, 28, 28) in [-1, 1] from a class-conditional generator asked for
    ``labels`` (N,). ``classifier`` defaults to the shipped one (97.5% on real held-out digits).
    """
    clf = classifier if classifier is not None else _default_classifier()
    return clf.accuracy(images, labels)


def _default_classifier():
    # imported here: the classifier is a model (nn, optim) and metrics must import without it
    from .classifier import load_digit_classifier
    return load_digit_classifier()
