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

Its random generator draws another stream than NumPy's by default (Philox, as a
real CuPy draws XORWOW), so that no test passes only because the device draws
NumPy's numbers; ``MINIGAN_FAKECUPY_STREAM=numpy`` or ``namespace.set_stream("numpy")``
(the tests' ``numpys_stream`` fixture) makes it NumPy's PCG64, and then, on the fake
with NumPy's stream, a seeded run draws what the NumPy run draws and ends
bit-identical. ``ElementwiseKernel`` executes its CUDA body and ``ReductionKernel`` its map,
reduce and post-map expressions (kernels.py, cuda_c.py).

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
