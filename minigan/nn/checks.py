"""Argument checks the layers share: sizes, numbers, dtypes and the memory a layer would need.

Every error names the layer and the argument, and says what was expected and what
came: a size of ``True`` or ``2.0`` is a TypeError (not silently 1 or 2), a NaN
hyperparameter a ValueError, and a layer too large for the machine fails here,
naming the bytes it would need, instead of deep inside NumPy with a MemoryError.
"""
from __future__ import annotations

import math
import numbers
import os

import numpy

from .. import backend as B


def positive_int(where: str, name: str, v) -> int:
    if isinstance(v, (bool, numpy.bool_)) or not isinstance(v, (int, numpy.integer)):
        raise TypeError(f"{where}: {name} must be a positive integer, got {type(v).__name__} {v!r}")
    if v <= 0:
        raise ValueError(f"{where}: {name} must be a positive integer, got {v!r}")
    return int(v)


def real(where: str, name: str, v, *, positive=False, lo=None, hi=None) -> float:
    """A finite real number (optionally > 0, or within [lo, hi])."""
    if isinstance(v, (bool, numpy.bool_)) or not isinstance(v, numbers.Real):
        raise TypeError(f"{where}: {name} must be a real number, got {type(v).__name__} {v!r}")
    f = float(v)
    if not math.isfinite(f):
        raise ValueError(f"{where}: {name} must be finite, got {v!r}")
    if positive and not f > 0:
        raise ValueError(f"{where}: {name} must be > 0, got {v!r}")
    if (lo is not None and f < lo) or (hi is not None and f > hi):
        raise ValueError(f"{where}: {name} must be in [{lo}, {hi}], got {v!r}")
    return f


def float_dtype(where: str, dtype):
    try:
        dt = numpy.dtype(dtype)
    except TypeError:
        raise TypeError(f"{where}: dtype must be a floating-point dtype, got {dtype!r}") from None
    if dt.kind != "f":
        raise TypeError(f"{where}: dtype must be a floating-point dtype (float16/32/64), got {dt}")
    return dt


def _human(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} bytes"


def memory_bytes() -> int | None:
    """Memory of the current backend's device: the host's RAM for NumPy, the GPU's for CuPy
    (None when it cannot be told)."""
    b = B.current()
    try:
        if b.is_gpu:
            cuda = b.xp.cuda
            props = cuda.runtime.getDeviceProperties(cuda.Device().id)
            return int(props["totalGlobalMem"])
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError, KeyError, TypeError):
        return None


def fits_in_memory(where: str, shapes, dtype) -> None:
    """ValueError naming the layer when its parameters (and their gradients, as large
    again) could not fit in the device's memory."""
    itemsize = numpy.dtype(dtype).itemsize
    need = 2 * itemsize * sum(math.prod(s) for s in shapes)
    limit = memory_bytes()
    if limit is not None and need > limit:
        raise ValueError(f"{where}: its parameters and their gradients would need {_human(need)} "
                         f"({need} bytes), more than the {_human(limit)} of memory on the "
                         f"{B.current().name} backend; use smaller sizes")
