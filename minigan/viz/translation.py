"""Pictures of the CycleGAN and the StyleGAN: each source point's arrow to its translation,
and the style-mixing grid."""
from __future__ import annotations

import numpy

from .figure import _closes_figures, _host, _save, plt
from .samples import _draw_grid, _fit_bounds, _grid_figsize, _legend, _points, _tile


@_closes_figures
def translation_arrows(a, ab, path, b=None, back=None, title: str = "A -> B",
                       max_arrows: int = 150) -> str:
    """Points ``a`` (N, 2) of domain A, their translations ``ab`` = G(a) and an arrow from
    each of the first ``max_arrows`` to its image; ``b`` (real domain B, grey) and ``back``
    = F(G(a)) (the cycle, small crosses) when given."""
    a = _points(a, 2, "translation_arrows", "a", None)
    ab = _points(ab, 2, "translation_arrows", "ab", None)
    if a.shape != ab.shape:
        raise ValueError(f"translation_arrows: a and ab must have one shape, got {a.shape} "
                         f"and {ab.shape}")
    fig, ax = plt.subplots(figsize=(5.5, 5.5))
    shown = [a, ab]
    if b is not None:
        b = _points(b, 2, "translation_arrows", "b", None)
        ax.scatter(b[:, 0], b[:, 1], s=6, c="lightgrey", zorder=1, label="real B", linewidths=0)
        shown.append(b)
    ax.scatter(a[:, 0], a[:, 1], s=6, c="tab:blue", zorder=2, label="A", linewidths=0)
    ax.scatter(ab[:, 0], ab[:, 1], s=6, c="tab:orange", zorder=3, label="G(A)", linewidths=0)
    k = min(max_arrows, len(a))
    d = ab[:k] - a[:k]
    ax.quiver(a[:k, 0], a[:k, 1], d[:, 0], d[:, 1], angles="xy", scale_units="xy", scale=1.0,
              width=0.003, color="tab:green", alpha=0.6, zorder=4)
    if back is not None:
        back = _points(back, 2, "translation_arrows", "back", None)
        ax.scatter(back[:k, 0], back[:k, 1], s=12, c="black", marker="+", zorder=5,
                   label="F(G(A))", linewidths=0.6)
    x0, x1, y0, y1 = _fit_bounds(tuple(shown), 2)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal", adjustable="box")
    _legend(ax)
    ax.set_title(title)
    return _save(fig, path)




@_closes_figures
def mixing_grid(images, rows, cols, path, title: str = "style mixing") -> str:
    """StyleGAN's style-mixing picture: ``images`` (R, C, ch, H, W) (cell r, c mixes row
    source r and column source c), with the column sources ``cols`` (C, ch, H, W) along the
    top and the row sources ``rows`` (R, ch, H, W) down the left; the corner is blank."""
    cells, r_img, c_img = _host(images), _host(rows), _host(cols)
    if cells.ndim != 5 or r_img.shape[0] != cells.shape[0] or c_img.shape[0] != cells.shape[1]:
        raise ValueError(f"mixing_grid: expected images (R, C, ch, H, W) with R rows and C "
                         f"columns of sources; got {cells.shape}, rows {r_img.shape}, cols "
                         f"{c_img.shape}")
    R, C = cells.shape[:2]
    blank = -numpy.ones((1,) + cells.shape[2:])
    tiles = [blank, c_img]
    for r in range(R):
        tiles += [r_img[r:r + 1], cells[r]]
    grid, nrows, _ = _tile(numpy.concatenate(tiles), C + 1, "mixing_grid")
    fig, ax = plt.subplots(figsize=_grid_figsize(grid, None))
    _draw_grid(ax, grid, nrows, None, "mixing_grid")
    ax.set_title(title, fontsize=8)
    return _save(fig, path)


__all__ = ["translation_arrows", "mixing_grid"]
