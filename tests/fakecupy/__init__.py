"""fakecupy: a strict CPU stand-in for CuPy, so every CI run exercises the CuPy code path.

No machine of this project has a GPU. This package is a ``cupy``-shaped module
(``fakecupy.cupy``) that computes with NumPy on the CPU but enforces what a GPU
makes fatal or slow:

- device arrays are wrappers, not NumPy arrays: implicit conversion
  (``numpy.asarray``, ``numpy.savez``, matplotlib, any ``numpy.*`` function) and
  arithmetic mixing them with NumPy arrays raise ``TypeError``; only
  ``x.get()`` / ``asnumpy(x)`` copy to the host; reductions give 0-d device arrays;
- only names the real CuPy has exist (module functions, ``ndarray`` methods,
  ``random.Generator`` methods), with only the keyword arguments they accept,
  read from ``api_snapshot.json`` (regenerate with ``make_snapshot.py``);
- an ``as_strided`` view that leaves its buffer raises;
- device->host synchronisations and kernel launches are counted
  (:data:`counters`), and syncs can be forbidden inside a block (:func:`no_sync`).

Its random generator is NumPy's PCG64 stream, so a seeded run on the fake draws
the same numbers as on NumPy and ends bit-identical.

    from tests import fakecupy
    fakecupy.install()                  # registers the "fakecupy" backend with minigan
    mg.backend.use("fakecupy")
    ...
    with fakecupy.no_sync("a training step"):
        trainer.g_step()

Test code only: it is not shipped with minigan. See docs/backends.md.
"""
from __future__ import annotations

from . import snapshot
from .devarray import ndarray
from .counters import SyncForbidden, counters, counting, no_sync
from .namespace import cupy

NAME = "fakecupy"

__all__ = ["cupy", "ndarray", "counters", "counting", "no_sync", "SyncForbidden", "install",
           "snapshot", "NAME"]


def install():
    """Register the fake as minigan's backend ``"fakecupy"`` (idempotent); returns the Backend."""
    import minigan.backend as B
    return B.register(NAME, cupy, gpu=True)
