"""Pictures of training: histograms against the target density, loss curves.

Works on NumPy arrays only (device arrays are moved with ``to_numpy`` first) and
draws with matplotlib's file backend (Agg), so it runs on machines without a screen.
"""
from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")  # files only; must precede pyplot so no GUI toolkit is needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy  # noqa: E402

from .backend import to_numpy  # noqa: E402


def _save(fig, path) -> str:
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return str(path)


def histogram_1d(samples, path, pdf=None, title: str = "generated vs target",
                 bins: int = 60, label: str = "generated") -> str:
    """Histogram of 1-D ``samples`` (density-normalised) with the target density ``pdf`` on top."""
    s = to_numpy(samples).astype(numpy.float64).ravel()
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    ax.hist(s, bins=bins, density=True, alpha=0.6, color="tab:blue", label=label)
    if pdf is not None:
        lo, hi = numpy.percentile(s, [0.1, 99.9])
        lo, hi = min(lo, s.mean() - 4 * s.std()), max(hi, s.mean() + 4 * s.std())
        grid = numpy.linspace(lo, hi, 400)
        ax.plot(grid, pdf(grid), color="tab:red", lw=2, label="target density")
    ax.set_xlabel("x")
    ax.set_ylabel("density")
    ax.set_title(title)
    ax.legend()
    return _save(fig, path)


def losses(history, path, title: str = "losses", smooth: int = 25,
           equilibrium: dict | None = None) -> str:
    """D and G losses per step (thin) with a moving average (thick) from a ``History`` or dict.

    ``equilibrium`` ({"d_loss": value, "g_loss": value}) draws dashed lines at the
    losses of the game's equilibrium, e.g. 2 ln 2 and ln 2 for the logistic GAN,
    where D outputs 1/2 everywhere."""
    h = history.as_dict() if hasattr(history, "as_dict") else history
    steps = numpy.asarray(h["step"])
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for key, color in (("d_loss", "tab:orange"), ("g_loss", "tab:green")):
        v = numpy.asarray(h[key], dtype=numpy.float64)
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
