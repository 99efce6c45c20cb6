"""What every picture shares: matplotlib's file backend, saving a figure, host arrays."""
from __future__ import annotations

import functools
import os

import matplotlib

matplotlib.use("Agg")  # files only; must precede pyplot so no GUI toolkit is needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy  # noqa: E402

from ..backend import to_numpy  # noqa: E402


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
