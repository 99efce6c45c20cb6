"""Pictures of samples: a histogram over the target's density, 2-D and 3-D scatters over the
real data, image grids (one row per class)."""
from __future__ import annotations

import math

import numpy

from .figure import _closes_figures, _host, _save, plt


def _points(x, dim: int, fn: str, name: str, max_points: int | None) -> numpy.ndarray:
    """``x`` as an (N, dim) float64 host array, cut to its first ``max_points`` rows."""
    a = _host(x)
    if a.ndim != 2 or a.shape[1] != dim:
        raise ValueError(f"{fn}: {name} must have shape (N, {dim}), got {a.shape}")
    return a if max_points is None else a[:max(int(max_points), 1)]


def _fit_bounds(arrays, dim: int, margin: float = 0.05) -> tuple:
    """(lo0, hi0, lo1, hi1, ...) around the finite points of ``arrays`` with a margin."""
    pts = [a[numpy.isfinite(a).all(axis=1)] for a in arrays if a is not None and len(a)]
    pts = numpy.concatenate(pts) if pts else numpy.zeros((0, dim))
    if len(pts) == 0:
        pts = numpy.array([[-1.0] * dim, [1.0] * dim])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    span = numpy.where(hi - lo > 0, hi - lo, 1.0)
    lo, hi = lo - margin * span, hi + margin * span
    return tuple(float(v) for pair in zip(lo, hi) for v in pair)


def _draw_histogram(ax, s, pdf=None, bins=60, bounds=None, label="generated", loc="best"):
    """Density histogram of 1-D ``s`` with ``pdf`` on top; fixed ``bounds`` (lo, hi) or fitted."""
    s = s[numpy.isfinite(s)]
    if bounds is None:
        if pdf is not None and len(s):
            lo, hi = numpy.percentile(s, [0.1, 99.9])
            lo, hi = min(lo, s.mean() - 4 * s.std()), max(hi, s.mean() + 4 * s.std())
        else:
            lo = hi = None
        edges = bins
    else:
        lo, hi = bounds
        edges = numpy.linspace(lo, hi, int(bins) + 1)
        ax.set_xlim(lo, hi)
    ax.hist(s, bins=edges, density=True, alpha=0.6, color="tab:blue", label=label)
    if pdf is not None and lo is not None:
        grid = numpy.linspace(lo, hi, 400)
        ax.plot(grid, pdf(grid), color="tab:red", lw=2, label="target density")
    ax.set_xlabel("x")
    ax.set_ylabel("density")
    ax.legend(loc=loc)


@_closes_figures
def histogram_1d(samples, path, pdf=None, title: str = "generated vs target",
                 bins: int = 60, label: str = "generated") -> str:
    """Histogram of 1-D ``samples`` (any shape, flattened; density-normalised) with the
    target density ``pdf`` (a callable on a NumPy grid) on top."""
    s = _host(samples).ravel()
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    _draw_histogram(ax, s, pdf=pdf, bins=bins, label=label)
    ax.set_title(title)
    return _save(fig, path)


def _legend(ax):
    """A small legend whose scatter markers are all one readable size."""
    for handle in ax.legend(loc="upper right", fontsize=7).legend_handles:
        if hasattr(handle, "set_sizes"):
            handle.set_sizes([20.0])


def _draw_scatter_2d(ax, s, real=None, centers=None, bounds=None):
    """Draw (N, 2) ``s`` over grey ``real`` with red-cross ``centers``; equal aspect."""
    if real is not None:
        ax.scatter(real[:, 0], real[:, 1], s=3, c="lightgrey", zorder=1, label="real",
                   linewidths=0)
    ax.scatter(s[:, 0], s[:, 1], s=4, c="tab:blue", alpha=0.6, zorder=2, label="generated",
               linewidths=0)
    if centers is not None:
        ax.scatter(centers[:, 0], centers[:, 1], s=60, c="red", marker="x", zorder=3,
                   label="mode centres")
    x0, x1, y0, y1 = bounds if bounds is not None else _fit_bounds((s, real, centers), 2)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal", adjustable="box")
    _legend(ax)


@_closes_figures
def scatter_2d(samples, path, real=None, centers=None, title: str = "generated vs real",
               bounds=None, max_points: int = 2500) -> str:
    """Scatter of generated ``samples`` (N, 2) over ``real`` samples (M, 2, light grey,
    behind) and mode ``centers`` (K, 2, red crosses), both optional.

    ``bounds`` = (xmin, xmax, ymin, ymax), or None to fit all shown points with a 5%
    margin. Samples and real points are cut to their first ``max_points`` rows."""
    s = _points(samples, 2, "scatter_2d", "samples", max_points)
    r = None if real is None else _points(real, 2, "scatter_2d", "real", max_points)
    c = None if centers is None else _points(centers, 2, "scatter_2d", "centers", None)
    fig, ax = plt.subplots(figsize=(5.0, 5.0))
    _draw_scatter_2d(ax, s, r, c, bounds)
    ax.set_title(title)
    return _save(fig, path)


def _draw_scatter_3d(ax, s, real=None, bounds=None):
    """Draw (N, 3) ``s`` over grey ``real`` on a 3-D axis with equal-length axes."""
    if real is not None:
        ax.scatter(real[:, 0], real[:, 1], real[:, 2], s=3, c="lightgrey", label="real",
                   depthshade=False)
    ax.scatter(s[:, 0], s[:, 1], s[:, 2], s=4, c="tab:blue", alpha=0.6, label="generated")
    b = bounds if bounds is not None else _fit_bounds((s, real), 3)
    ax.set_xlim(b[0], b[1])
    ax.set_ylim(b[2], b[3])
    ax.set_zlim(b[4], b[5])
    ax.set_box_aspect((b[1] - b[0], b[3] - b[2], b[5] - b[4]))
    _legend(ax)


@_closes_figures
def scatter_3d(samples, path, real=None, title: str = "generated vs real", bounds=None,
               max_points: int = 2500) -> str:
    """Scatter of generated ``samples`` (N, 3) over optional ``real`` samples (M, 3,
    light grey) on a 3-D axis. ``bounds`` = (xmin, xmax, ymin, ymax, zmin, zmax) or
    None to fit; both sets are cut to their first ``max_points`` rows."""
    s = _points(samples, 3, "scatter_3d", "samples", max_points)
    r = None if real is None else _points(real, 3, "scatter_3d", "real", max_points)
    fig = plt.figure(figsize=(5.5, 5.0))
    ax = fig.add_subplot(projection="3d")
    _draw_scatter_3d(ax, s, r, bounds)
    ax.set_title(title)
    return _save(fig, path)


def _tile(images, nrow=None, fn: str = "image_grid"):
    """Tile images (N, 1, H, W), (N, H, W) or (N, 3, H, W) in [-1, 1] into one (R, C) or
    (R, C, 3) array in [0, 1] with 1-pixel white borders. Returns (grid, rows, nrow)."""
    x = _host(images)
    if x.ndim == 3:
        x = x[:, None]
    if x.ndim != 4 or x.shape[1] not in (1, 3) or x.shape[0] == 0:
        raise ValueError(f"{fn}: images must have shape (N, 1, H, W), (N, H, W) or "
                         f"(N, 3, H, W) with N >= 1, got {_host(images).shape}")
    n, ch, h, w = x.shape
    x = (numpy.nan_to_num(numpy.clip(x, -1.0, 1.0), nan=0.0) + 1.0) / 2.0
    ncol = int(nrow) if nrow else int(math.ceil(math.sqrt(n)))
    if ncol < 1:
        raise ValueError(f"{fn}: nrow must be positive, got {nrow}")
    rows = int(math.ceil(n / ncol))
    grid = numpy.ones((ch, rows * (h + 1) + 1, ncol * (w + 1) + 1))
    for i in range(n):
        r, c = divmod(i, ncol)
        grid[:, 1 + r * (h + 1):1 + r * (h + 1) + h, 1 + c * (w + 1):1 + c * (w + 1) + w] = x[i]
    grid = grid[0] if ch == 1 else grid.transpose(1, 2, 0)
    return grid, rows, ncol


def _check_labels(labels, rows: int, fn: str) -> list:
    labels = list(labels)
    if len(labels) != rows:
        raise ValueError(f"{fn}: labels needs one string per row ({rows}), got {len(labels)}")
    return labels


def _draw_grid(ax, grid, rows, labels=None, fn: str = "image_grid"):
    """Show a tiled ``grid`` with one imshow, axis off, ``labels`` left of each row."""
    if grid.ndim == 2:
        ax.imshow(grid, cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
    else:
        ax.imshow(grid, interpolation="nearest")
    ax.set_axis_off()
    if labels is not None:
        labels = _check_labels(labels, rows, fn)
        cell = (grid.shape[0] - 1) / rows
        for r, text in enumerate(labels):
            ax.text(-1.5, 0.5 + (r + 0.5) * cell, str(text), ha="right", va="center",
                    fontsize=8)


def _grid_figsize(grid, labels) -> tuple:
    """A figure size with the grid's aspect: 36 image pixels an inch, the longer side
    kept between 3 and 10 inches, plus room for the title and the row labels."""
    h, w = grid.shape[:2]
    longer = max(h, w) / 36.0
    scale = min(max(longer, 3.0), 10.0) / longer
    return (w / 36.0 * scale + (1.0 if labels is not None else 0.0), h / 36.0 * scale + 0.4)


@_closes_figures
def image_grid(images, path, nrow=None, title=None, labels=None) -> str:
    """One picture of ``images`` shaped (N, 1, H, W), (N, H, W) or (N, 3, H, W), values
    in [-1, 1] (clipped). ``nrow`` images per row (default ceil(sqrt(N))); ``labels``
    (one string per row) are written at the left of each row."""
    grid, rows, _ = _tile(images, nrow, "image_grid")
    if labels is not None:
        labels = _check_labels(labels, rows, "image_grid")
    fig, ax = plt.subplots(figsize=_grid_figsize(grid, labels))
    _draw_grid(ax, grid, rows, labels, "image_grid")
    if title:
        ax.set_title(title)
    return _save(fig, path)
