"""Pictures of training: histograms, 2-D/3-D scatters and image grids of samples,
loss curves and the trainer's diagnostics (D accuracy, gradient norms, ...).

Works on NumPy arrays only: every input is moved with ``to_numpy`` first, so
device arrays are accepted. Draws with matplotlib's file backend (Agg), so it
runs on machines without a screen. Each function writes one PNG (creating
missing folders), closes its figure and returns the path. Animated GIFs of
samples during training are in :mod:`minigan.animate`.
"""
from __future__ import annotations

import functools
import math
import os

import matplotlib

matplotlib.use("Agg")  # files only; must precede pyplot so no GUI toolkit is needed
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.transforms as mtransforms  # noqa: E402
import numpy  # noqa: E402

from .backend import to_numpy  # noqa: E402


def _save(fig, path) -> str:
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return str(path)


def _closes_figures(fn):
    """Close the figures ``fn`` opened when it raises, so errors leak no figures."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        before = set(plt.get_fignums())
        try:
            return fn(*args, **kwargs)
        except BaseException:
            for num in set(plt.get_fignums()) - before:
                plt.close(num)
            raise
    return wrapper


def _host(x) -> numpy.ndarray:
    """``x`` (NumPy, device array or list) as a float64 NumPy array."""
    return to_numpy(x).astype(numpy.float64, copy=False)


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


def _smooth_line(ax, steps, v, color, label, smooth):
    """Thin raw line and a thick moving average of the finite points of ``v``."""
    ok = numpy.isfinite(v)
    steps, v = steps[ok], v[ok]
    if len(v) == 0:
        return
    if len(v) >= smooth > 1:
        ax.plot(steps, v, color=color, alpha=0.25, lw=0.8)
        avg = numpy.convolve(v, numpy.ones(smooth) / smooth, mode="valid")
        ax.plot(steps[smooth - 1:], avg, color=color, lw=2, label=label)
    else:
        ax.plot(steps, v, color=color, lw=1.5, label=label, marker="." if len(v) < 50 else None)


_GROUPS = (  # (y label, ((key, legend label, colour), ...))
    ("D accuracy", (("acc_real", "on real", "tab:blue"), ("acc_fake", "on fake", "tab:orange"))),
    ("gradient norm", (("g_grad_norm", "G", "tab:green"), ("d_grad_norm", "D", "tab:orange"))),
    ("Wasserstein estimate", (("wasserstein", "critic's estimate", "tab:purple"),)),
    ("diversity", (("diversity", "diversity", "tab:brown"),)),
)


def _warning_field(w, key, default=None):
    return w.get(key, default) if isinstance(w, dict) else getattr(w, key, default)


@_closes_figures
def diagnostics(history, path, title: str = "diagnostics", warnings=None,
                smooth: int = 25) -> str:
    """The trainer's diagnostics per step, one subplot per group present (and not all NaN):
    D's accuracies ("acc_real", "acc_fake", in [0, 1]), gradient norms ("g_grad_norm",
    "d_grad_norm"; log scale when all positive), "wasserstein" and "diversity".

    ``history`` is a dict of equal-length lists with key "step" (or an object with
    ``as_dict()``); NaN values are skipped. ``warnings`` (list of dicts {"step", "kind",
    "message"}) draws a dashed red line at each warning's step on every subplot, labelled
    with its kind on the first. Curves with at least ``smooth`` points get a moving average."""
    h = history.as_dict() if hasattr(history, "as_dict") else dict(history)
    if "step" in h:
        steps = _host(h["step"]).ravel()
    else:  # no steps recorded: number the points
        steps = numpy.arange(max((len(v) for v in h.values()), default=0), dtype=float)
    present = []
    for ylabel, keys in _GROUPS:
        lines = []
        for key, label, color in keys:
            if key not in h:
                continue
            v = _host(h[key]).ravel()
            if len(v) != len(steps):
                raise ValueError(f"diagnostics: history[{key!r}] has {len(v)} values but "
                                 f"history['step'] has {len(steps)}")
            if numpy.isfinite(v).any():
                lines.append((v, label, color))
        if lines:
            present.append((ylabel, lines))
    fig, axes = plt.subplots(max(len(present), 1), 1, sharex=True, squeeze=False,
                             figsize=(6.4, 0.6 + 2.2 * max(len(present), 1)))
    axes = axes[:, 0]
    if not present:
        axes[0].text(0.5, 0.5, "no diagnostics recorded", ha="center", va="center",
                     transform=axes[0].transAxes)
    for ax, (ylabel, lines) in zip(axes, present):
        for v, label, color in lines:
            _smooth_line(ax, steps, v, color, label, smooth)
        if ylabel == "D accuracy":
            ax.set_ylim(-0.02, 1.02)
            ax.axhline(0.5, color="grey", ls=":", lw=0.8)
        if ylabel == "gradient norm":
            finite = numpy.concatenate([v[numpy.isfinite(v)] for v, _, _ in lines])
            if len(finite) and (finite > 0).all():
                ax.set_yscale("log")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        if len(lines) > 1 or ylabel == "Wasserstein estimate":
            ax.legend(loc="best", fontsize=7)
    for i, w in enumerate(warnings or ()):
        step = _warning_field(w, "step")
        if step is None:
            continue
        for ax in axes:
            ax.axvline(float(step), color="red", ls="--", lw=0.8, alpha=0.7)
        kind = _warning_field(w, "kind", "")
        if kind:
            trans = mtransforms.blended_transform_factory(axes[0].transData, axes[0].transAxes)
            axes[0].text(float(step), 0.98, f" {kind}", transform=trans, color="red",
                         fontsize=6, rotation=90, va="top", ha="left", clip_on=True)
    axes[-1].set_xlabel("step")
    axes[0].set_title(title)
    return _save(fig, path)


@_closes_figures
def losses(history, path, title: str = "losses", smooth: int = 25,
           equilibrium: dict | None = None) -> str:
    """D and G losses per step (thin) with a moving average (thick) from a ``History`` or dict.

    ``equilibrium`` ({"d_loss": value, "g_loss": value}) draws dashed lines at the
    losses of the game's equilibrium, e.g. 2 ln 2 and ln 2 for the logistic GAN,
    where D outputs 1/2 everywhere."""
    h = history.as_dict() if hasattr(history, "as_dict") else history
    steps = _host(h["step"]).ravel()
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for key, color in (("d_loss", "tab:orange"), ("g_loss", "tab:green")):
        v = _host(h[key]).ravel()
        ax.plot(steps, v, color=color, alpha=0.25, lw=0.8)
        if len(v) >= smooth > 1:
            avg = numpy.convolve(v, numpy.ones(smooth) / smooth, mode="valid")
            ax.plot(steps[smooth - 1:], avg, color=color, lw=2, label=f"{key[0].upper()} loss")
        else:
            ax.plot(steps, v, color=color, lw=2, label=f"{key[0].upper()} loss")
        if equilibrium and key in equilibrium:
            ax.axhline(equilibrium[key], color=color, ls="--", lw=1,
                       label=f"{key[0].upper()} at equilibrium ({equilibrium[key]:.3f})")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.legend()
    return _save(fig, path)
