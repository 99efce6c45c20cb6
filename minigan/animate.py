"""Animated GIFs of samples during training, drawn with :mod:`minigan.viz`.

    frames = [figure_frame(fig) for fig in figures]    # (H, W, 3) uint8 each
    write_gif(frames, "out/train.gif", fps=5)
    samples_gif([(step, samples), ...], "out/scatter.gif", "scatter", real=data)

Every frame of one animation has the same figure size and dpi (no tight bounding
box) and the same axis limits, so the frames have equal pixel sizes and the
picture does not jump. Inputs may be NumPy or device arrays (moved with
``to_numpy``). GIFs are written with Pillow, which matplotlib depends on.
"""
from __future__ import annotations

import os

import numpy
from PIL import Image

from .viz import samples as pictures
from .backend import to_numpy
from .viz import plt

_KINDS = {  # kind -> keyword arguments samples_gif accepts for it
    "histogram": ("pdf", "bounds", "bins", "ylim", "title", "dpi"),
    "scatter": ("real", "centers", "bounds", "max_points", "title", "dpi"),
    "scatter3d": ("real", "bounds", "max_points", "title", "dpi"),
    "images": ("nrow", "labels", "title", "dpi"),
}


def write_gif(frames, path, fps: float = 5) -> str:
    """Write ``frames`` (a list of (H, W, 3) or (H, W, 4) uint8 arrays, all the same H
    and W) as a GIF that loops forever at ``fps`` frames per second. RGBA frames are
    composited over white. Pillow merges identical consecutive frames into one longer
    frame. Creates missing folders; returns the path as a str."""
    frames = [to_numpy(f) for f in frames]
    if not frames:
        raise ValueError("write_gif: no frames")
    if not fps or fps <= 0:
        raise ValueError(f"write_gif: fps must be positive, got {fps}")
    images = []
    for i, f in enumerate(frames):
        if f.ndim != 3 or f.shape[2] not in (3, 4) or f.dtype != numpy.uint8:
            raise ValueError(f"write_gif: frame {i} must be an (H, W, 3) or (H, W, 4) uint8 "
                             f"array, got shape {f.shape} dtype {f.dtype}")
        if f.shape[:2] != frames[0].shape[:2]:
            raise ValueError(f"write_gif: frame {i} is {f.shape[:2]} but frame 0 is "
                             f"{frames[0].shape[:2]}; all frames need the same size")
        if f.shape[2] == 4:
            alpha = f[..., 3:].astype(numpy.float32) / 255.0
            f = (f[..., :3] * alpha + 255.0 * (1.0 - alpha)).round().astype(numpy.uint8)
        images.append(Image.fromarray(numpy.ascontiguousarray(f), mode="RGB"))
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    images[0].save(path, format="GIF", save_all=True, append_images=images[1:],
                   duration=int(round(1000.0 / fps)), loop=0)
    return str(path)


def figure_frame(fig) -> numpy.ndarray:
    """Render matplotlib figure ``fig`` to an (H, W, 3) uint8 RGB array and close it
    (H, W = figure size times dpi)."""
    try:
        fig.canvas.draw()
        return numpy.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
    finally:
        plt.close(fig)


def _frame(figsize, dpi, draw, projection=None) -> numpy.ndarray:
    """A frame from a new figure of fixed size on which ``draw(fig, ax)`` draws."""
    fig = plt.figure(figsize=figsize, dpi=dpi)
    try:
        ax = fig.add_subplot(projection=projection)
        draw(fig, ax)
    except BaseException:
        plt.close(fig)
        raise
    return figure_frame(fig)


def _histogram_frames(snaps, titles, dpi, pdf=None, bounds=None, bins=60, ylim=None):
    pooled = numpy.concatenate([s.ravel() for s in snaps])
    pooled = pooled[numpy.isfinite(pooled)]
    if bounds is None:
        if len(pooled) == 0:
            pooled = numpy.array([-1.0, 1.0])
        lo, hi = numpy.percentile(pooled, [0.1, 99.9])
        if pdf is not None:
            lo = min(lo, pooled.mean() - 4 * pooled.std())
            hi = max(hi, pooled.mean() + 4 * pooled.std())
        pad = 0.05 * (hi - lo) if hi > lo else 1.0
        bounds = (float(lo - pad), float(hi + pad))
    if ylim is None:  # the tallest bar of any frame, or the density's peak
        edges = numpy.linspace(bounds[0], bounds[1], int(bins) + 1)
        top = 0.0
        for s in snaps:
            s = s.ravel()[numpy.isfinite(s.ravel())]
            if ((s >= bounds[0]) & (s <= bounds[1])).any():
                top = max(top, float(numpy.histogram(s, bins=edges, density=True)[0].max()))
        if pdf is not None:
            top = max(top, float(numpy.max(pdf(numpy.linspace(bounds[0], bounds[1], 400)))))
        ylim = (0.0, 1.08 * top if top > 0 else 1.0)

    def draw(s, title):
        def _draw(fig, ax):
            fig.subplots_adjust(left=0.1, right=0.97, bottom=0.13, top=0.9)
            pictures._draw_histogram(ax, s.ravel(), pdf=pdf, bins=bins, bounds=bounds,
                                loc="upper right")
            ax.set_ylim(*ylim)
            ax.set_title(title)
        return _frame((6.4, 4.0), dpi, _draw)
    return [draw(s, t) for s, t in zip(snaps, titles)]


def _scatter_frames(snaps, titles, dpi, dim, real=None, centers=None, bounds=None,
                    max_points=2500):
    fn, name = "samples_gif", "samples"
    snaps = [pictures._points(s, dim, fn, name, max_points) for s in snaps]
    real = None if real is None else pictures._points(real, dim, fn, "real", max_points)
    if dim == 2 and centers is not None:
        centers = pictures._points(centers, 2, fn, "centers", None)
    if bounds is None:
        bounds = pictures._fit_bounds(list(snaps) + [real, centers if dim == 2 else None], dim)

    def draw(s, title):
        def _draw(fig, ax):
            if dim == 2:
                fig.subplots_adjust(left=0.12, right=0.97, bottom=0.07, top=0.93)
                pictures._draw_scatter_2d(ax, s, real, centers, bounds)
            else:
                fig.subplots_adjust(left=0.0, right=1.0, bottom=0.02, top=0.95)
                pictures._draw_scatter_3d(ax, s, real, bounds)
            ax.set_title(title)
        if dim == 2:
            return _frame((5.0, 5.0), dpi, _draw)
        return _frame((5.5, 5.0), dpi, _draw, projection="3d")
    return [draw(s, t) for s, t in zip(snaps, titles)]


def _image_frames(snaps, titles, dpi, nrow=None, labels=None):
    grid0, _, _ = pictures._tile(snaps[0], nrow, "samples_gif")
    figsize = pictures._grid_figsize(grid0, labels)
    left = min(1.0 / figsize[0], 0.4) if labels is not None else 0.02

    def draw(s, title):
        grid, rows, _ = pictures._tile(s, nrow, "samples_gif")

        def _draw(fig, ax):
            fig.subplots_adjust(left=left, right=0.98, bottom=0.02,
                                top=1.0 - 0.4 / figsize[1])
            pictures._draw_grid(ax, grid, rows, labels, "samples_gif")
            ax.set_title(title)
        return _frame(figsize, dpi, _draw)
    return [draw(s, t) for s, t in zip(snaps, titles)]


def samples_gif(snapshots, path, kind: str, fps: float = 5, **kw) -> str:
    """An animated GIF of samples during training, one frame per ``(step, samples)`` pair
    in ``snapshots``, each titled "step S" (prefixed by ``title`` when given).

    ``kind`` and its keyword arguments:

    - "histogram": samples of any shape (flattened, 1-D); ``pdf`` (callable on a grid),
      ``bounds`` (lo, hi), ``bins`` (60), ``ylim`` (lo, hi);
    - "scatter": samples (N, 2); ``real`` (M, 2), ``centers`` (K, 2), ``bounds``
      (xmin, xmax, ymin, ymax), ``max_points`` (2500);
    - "scatter3d": samples (N, 3); ``real`` (M, 3), ``bounds`` (6 numbers), ``max_points``;
    - "images": images (N, 1, H, W), (N, H, W) or (N, 3, H, W) in [-1, 1]; ``nrow``,
      ``labels`` (one string per row).

    Bounds (and a histogram's y range) not given are computed once from all snapshots
    (and ``real``), so the picture does not jump; all frames have the same pixel size
    (``dpi`` 80 by default). Returns the path as a str."""
    if kind not in _KINDS:
        raise ValueError(f"samples_gif: kind must be one of {sorted(_KINDS)}, got {kind!r}")
    unknown = sorted(set(kw) - set(_KINDS[kind]))
    if unknown:
        raise TypeError(f"samples_gif: unknown keyword(s) {unknown} for kind {kind!r}; "
                        f"accepted: {list(_KINDS[kind])}")
    snapshots = list(snapshots)
    if not snapshots:
        raise ValueError("samples_gif: no snapshots")
    title, dpi = kw.pop("title", None), kw.pop("dpi", 80)
    titles = [f"{title}: step {step}" if title else f"step {step}" for step, _ in snapshots]
    snaps = [pictures._host(s) for _, s in snapshots]
    if kind == "histogram":
        frames = _histogram_frames(snaps, titles, dpi, **kw)
    elif kind == "scatter":
        frames = _scatter_frames(snaps, titles, dpi, 2, **kw)
    elif kind == "scatter3d":
        frames = _scatter_frames(snaps, titles, dpi, 3, **kw)
    else:
        frames = _image_frames(snaps, titles, dpi, **kw)
    return write_gif(frames, path, fps=fps)
