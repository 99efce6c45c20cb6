"""The game picture, drawn as GAN Lab draws it: D's decision surface under the real and fake
samples, G's gradient on each fake as an arrow, and G's latent grid as a warped mesh; on
1-D data, D as a curve over the two histograms and the map z -> G(z) (Goodfellow et al.,
2014, figure 1). The numbers come from minigan.gan.game.game_frame (a GameFrame: any
object with its fields works); what each element means: docs/training.md, "The game
picture".

Colours: red where D reads "real", blue where it reads "fake", white at the objective's
"cannot tell" value when it has one (0.5 for a probability). Readings without fixed
limits (critic scores, LSGAN's D, the MMD witness) span each picture's own values under
the real and fake samples (symmetric about the centre when there is one; farther out the
colours saturate); the colour bar gives the numbers. Arrows: -dL_G/dx scaled so that the longest is 8 % of the
wider axis (their true size is in the title); on 1-D data 64 of the fakes carry one,
stacked at increasing heights.
"""
from __future__ import annotations

import numpy
from matplotlib.collections import LineCollection

from .figure import _closes_figures, _host, _save, plt

ARROW_SHARE = 0.08          # the longest arrow, as a share of the wider axis
ARROWS_1D = 64              # arrows drawn on 1-D data (all at one height they would hide)


def _checked(frame, fn: str) -> dict:
    """The frame's arrays as float64 host arrays, shapes checked against each other."""
    fake = _host(frame.fake)
    if fake.ndim != 2 or fake.shape[1] not in (1, 2):
        raise ValueError(f"{fn}: the game is drawn for 1-D and 2-D samples, shape (N, 1) or "
                         f"(N, 2); got samples of shape {fake.shape}")
    d = fake.shape[1]
    a = {"fake": fake, "real": _host(frame.real), "arrows": _host(frame.arrows),
         "mesh": _host(frame.mesh), "surface": _host(frame.surface),
         "bounds": _host(frame.bounds).ravel()}
    want = {"real": (None, d), "arrows": fake.shape, "mesh": (None, None, d),
            "bounds": (2 * d,), "surface": (None,) * d}
    for name, shape in want.items():
        got = a[name].shape
        if len(got) != len(shape) or any(w is not None and w != g for w, g in zip(shape, got)):
            text = "(" + ", ".join("*" if w is None else str(w) for w in shape) + ")"
            raise ValueError(f"{fn}: {name} must have shape {text} for {d}-D samples "
                             f"{fake.shape}, got {got}")
    if d == 2 and a["surface"].shape[0] != a["surface"].shape[1]:
        raise ValueError(f"{fn}: surface must be square (R, R), got {a['surface'].shape}")
    return a


def _under_samples(a) -> numpy.ndarray:
    """The surface's values at the grid cells nearest to the real and fake samples."""
    pts = numpy.concatenate([a["real"], a["fake"]])
    b, s = a["bounds"], a["surface"]
    res = s.shape[0]
    idx = []
    for k in range(pts.shape[1]):
        lo, hi = b[2 * k], b[2 * k + 1]
        idx.append(numpy.clip(numpy.rint((pts[:, k] - lo) / (hi - lo) * (res - 1)), 0, res - 1)
                   .astype(int))
    # surface[i, j] is at (xs[j], ys[i]): the y index first
    return s[idx[0]] if len(idx) == 1 else s[idx[1], idx[0]]


def _limits(frame, a) -> tuple:
    """Colour (or curve) limits: the objective's fixed ones, else the range of the surface's
    values under the samples (symmetric about the centre when there is one), so that the
    contrast is where the game is played; far from the data a net's output keeps growing."""
    if frame.limits is not None:
        return tuple(float(x) for x in frame.limits)
    v = _under_samples(a)
    v = v[numpy.isfinite(v)]
    if len(v) == 0:
        return (-1.0, 1.0)
    if frame.centre is not None:
        half = float(numpy.abs(v - frame.centre).max()) or 1e-12
        return (frame.centre - half, frame.centre + half)
    lo, hi = float(v.min()), float(v.max())
    return (lo, hi) if hi > lo else (lo - 1e-12, hi + 1e-12)


def _arrow_scale(arrows, bounds) -> tuple[float, float]:
    """(display factor, the longest arrow's norm): factor * longest = ARROW_SHARE * width."""
    norms = numpy.linalg.norm(arrows, axis=1)
    norms = norms[numpy.isfinite(norms)]
    top = float(norms.max()) if len(norms) else 0.0
    width = float(numpy.max(bounds[1::2] - bounds[0::2]))
    return (ARROW_SHARE * width / top if top > 0 else 0.0), top


def _draw_mesh(ax, mesh, **kw):
    """Lines joining neighbouring latent grid points' images: rows and columns of (A, B, 2),
    as one collection (one artist instead of A + B lines)."""
    lines = [mesh[:, j] for j in range(mesh.shape[1])]
    if mesh.shape[1] > 1:
        lines += [mesh[i] for i in range(mesh.shape[0])]
    ax.add_collection(LineCollection(lines, **kw))


def _heatmap(ax, frame, a, alpha=1.0):
    x0, x1, y0, y1 = a["bounds"]
    lo, hi = _limits(frame, a)
    im = ax.imshow(a["surface"], origin="lower", extent=(x0, x1, y0, y1), cmap="RdBu_r",
                   vmin=lo, vmax=hi, alpha=alpha, interpolation="bilinear", aspect="auto")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal", adjustable="box")
    return im


def _draw_2d(fig, frame, a, title):
    # fixed margins: a GIF's frames are drawn without a tight bounding box
    fig.subplots_adjust(left=0.05, right=0.98, bottom=0.06, top=0.87, wspace=0.22)
    left, right = fig.subplots(1, 2)
    im = _heatmap(left, frame, a)
    real, fake = a["real"], a["fake"]
    left.scatter(real[:, 0], real[:, 1], s=4, c="black", linewidths=0, label="real", zorder=2)
    left.scatter(fake[:, 0], fake[:, 1], s=9, c="gold", edgecolors="black", linewidths=0.3,
                 label="generated", zorder=3)
    factor, top = _arrow_scale(a["arrows"], a["bounds"])
    if factor > 0:
        v = a["arrows"] * factor
        left.quiver(fake[:, 0], fake[:, 1], v[:, 0], v[:, 1], angles="xy", scale_units="xy",
                    scale=1.0, width=0.004, color="black", zorder=4)
    left.set_title(f"D and G's gradients (longest arrow |dL_G/dx| = {top:.2g})", fontsize=8)
    left.legend(loc="upper right", fontsize=6, markerscale=1.5)
    bar = fig.colorbar(im, ax=left, fraction=0.046, pad=0.03)
    bar.set_label(frame.label, fontsize=7)
    bar.ax.tick_params(labelsize=6)
    _heatmap(right, frame, a, alpha=0.35)
    right.scatter(real[:, 0], real[:, 1], s=4, c="black", linewidths=0, zorder=2)
    _draw_mesh(right, a["mesh"], colors="tab:green", linewidths=0.7, zorder=3)
    right.set_title(f"the manifold: {frame.mesh_label}", fontsize=8)
    for ax in (left, right):
        ax.tick_params(labelsize=6)
    fig.suptitle(title, fontsize=10)


def _draw_1d(fig, frame, a, title, ylim=None):
    fig.subplots_adjust(left=0.1, right=0.9, bottom=0.09, top=0.89, hspace=0.3)
    top_ax, map_ax = fig.subplots(2, 1, gridspec_kw={"height_ratios": (3, 1)}, sharex=True)
    x0, x1 = a["bounds"]
    edges = numpy.linspace(x0, x1, 61)
    real, fake = a["real"][:, 0], a["fake"][:, 0]
    top_ax.hist(real, bins=edges, density=True, color="black", alpha=0.25, label="real")
    top_ax.hist(fake, bins=edges, density=True, color="tab:green", alpha=0.5, label="generated")
    if ylim is not None:
        top_ax.set_ylim(*ylim)
    top_ax.set_ylabel("density", fontsize=7)
    lo_y, hi_y = top_ax.get_ylim()
    factor, top = _arrow_scale(a["arrows"], a["bounds"])
    if factor > 0:   # the push along x on at most 64 of the fakes, stacked over the lowest 15 %
        pick = numpy.linspace(0, len(fake) - 1, min(len(fake), ARROWS_1D)).astype(int)
        heights = lo_y + (hi_y - lo_y) * numpy.linspace(0.02, 0.15, len(pick))
        top_ax.quiver(fake[pick], heights, a["arrows"][pick, 0] * factor,
                      numpy.zeros(len(pick)), angles="xy", scale_units="xy", scale=1.0,
                      width=0.003, color="tab:green")
    curve = top_ax.twinx()
    xs = numpy.linspace(x0, x1, a["surface"].shape[0])
    curve.plot(xs, a["surface"], color="tab:blue", ls="--", lw=1.8, label=frame.label)
    lo, hi = _limits(frame, a)
    pad = 0.0 if frame.limits is not None else 0.05 * (hi - lo)
    curve.set_ylim(lo - pad, hi + pad)
    if frame.centre is not None:
        curve.axhline(frame.centre, color="tab:blue", lw=0.6, ls=":")
    curve.set_ylabel(frame.label, color="tab:blue", fontsize=7)
    for ax in (top_ax, curve, map_ax):
        ax.tick_params(labelsize=6)
    handles = top_ax.get_legend_handles_labels()[0] + curve.get_legend_handles_labels()[0]
    top_ax.legend(handles=handles, loc="upper left", fontsize=6)
    top_ax.set_title(f"D, and G's push on each sample (longest |dL_G/dx| = {top:.2g})",
                     fontsize=8)
    # the map z -> x = G(z) of Goodfellow et al.'s figure 1: z's range laid over the middle
    # 80 % of the x axis on the lower line, each z joined to its G(z) on the upper one
    gx = a["mesh"][:, 0, 0]
    zx = numpy.linspace(x0 + 0.1 * (x1 - x0), x1 - 0.1 * (x1 - x0), len(gx))
    for u, g in zip(zx, gx):
        map_ax.plot([u, g], [0.0, 1.0], color="tab:green", lw=0.7)
    map_ax.axhline(0.0, color="black", lw=0.8)
    map_ax.axhline(1.0, color="black", lw=0.8)
    map_ax.set_ylim(-0.15, 1.15)
    map_ax.set_yticks([0.0, 1.0], ["z", "x"])
    map_ax.set_xlim(x0, x1)
    map_ax.set_xlabel("x", fontsize=7)
    map_ax.set_title(f"the map z -> x: {frame.mesh_label} (z spread over the axis)", fontsize=7)
    fig.suptitle(title, fontsize=10)


_SIZE = {1: (6.4, 5.0), 2: (9.6, 4.5)}


def _title(frame, title):
    return f"{title}: step {frame.step}" if title else f"the game at step {frame.step}"


@_closes_figures
def game(frame, path, title: str | None = None) -> str:
    """One picture of the game ``frame`` (a minigan.gan.game.GameFrame) written to ``path``
    (PNG): for 2-D samples D's surface, the samples, G's gradient arrows and the manifold
    mesh; for 1-D samples D's curve over both histograms and the map z -> G(z).
    ValueError for samples that are not (N, 1) or (N, 2)."""
    a = _checked(frame, "game")
    fig = plt.figure(figsize=_SIZE[a["fake"].shape[1]])
    (_draw_2d if a["fake"].shape[1] == 2 else _draw_1d)(fig, frame, a, _title(frame, title))
    return _save(fig, path)


def _shared_ylim(checked) -> tuple:
    """A 1-D GIF's density axis: the real histogram's peak, or a taller fake one up to 3x."""
    def peak(s, edges):
        s = s[numpy.isfinite(s) & (s >= edges[0]) & (s <= edges[-1])]
        return float(numpy.histogram(s, bins=edges, density=True)[0].max()) if len(s) else 0.0
    real_top = fake_top = 0.0
    for a in checked:
        edges = numpy.linspace(a["bounds"][0], a["bounds"][1], 61)
        real_top = max(real_top, peak(a["real"][:, 0], edges))
        fake_top = max(fake_top, peak(a["fake"][:, 0], edges))
    top = max(real_top, min(fake_top, 3 * real_top)) or 1.0
    return (0.0, 1.08 * top)


def game_gif(frames, path, title: str | None = None, fps: float = 4, dpi: int = 80) -> str:
    """An animated GIF of the game, one frame per GameFrame of ``frames`` (in their order), all
    of one size; 1-D frames share their density axis. Returns the path."""
    from .. import animate       # animate imports this package: ask for it at call time
    frames = list(frames)
    if not frames:
        raise ValueError("game_gif: no frames")
    checked = [_checked(f, "game_gif") for f in frames]
    dims = {a["fake"].shape[1] for a in checked}
    if len(dims) != 1:
        raise ValueError(f"game_gif: all frames need samples of one dimension, got {sorted(dims)}")
    d = dims.pop()
    ylim = _shared_ylim(checked) if d == 1 else None
    images = []
    for frame, a in zip(frames, checked):
        fig = plt.figure(figsize=_SIZE[d], dpi=dpi)
        try:
            if d == 2:
                _draw_2d(fig, frame, a, _title(frame, title))
            else:
                _draw_1d(fig, frame, a, _title(frame, title), ylim)
        except BaseException:
            plt.close(fig)
            raise
        images.append(animate.figure_frame(fig))
    return animate.write_gif(images, path, fps=fps)


__all__ = ["game", "game_gif"]
