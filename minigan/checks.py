"""Argument checks for every public entry point: ints, reals, flags, dtypes, memory.

Every error names the caller (``where``) and the argument, and says what was
expected and what came: a size of ``True`` or ``2.0`` is a TypeError (not
silently 1 or 2), a NaN hyperparameter a ValueError, and a layer too large for
the machine fails here, naming the bytes it would need, instead of deep inside
NumPy with a MemoryError. One module, so that the same mistake reads the same
wherever it is made.
"""
from __future__ import annotations

import math
import numbers
import os
from contextlib import contextmanager

import numpy

from . import backend as B


def _is_int(v) -> bool:
    return isinstance(v, (int, numpy.integer)) and not isinstance(v, (bool, numpy.bool_))


def integer(where: str, name: str, v, minimum: int | None = None) -> int:
    """An int (not a bool, not a float that happens to be whole), at least ``minimum``."""
    if not _is_int(v):
        raise TypeError(f"{where}: {name} must be an int, got {type(v).__name__} {v!r}")
    if minimum is not None and v < minimum:
        wanted = {0: "a non-negative int", 1: "a positive int"}.get(minimum, f">= {minimum}")
        raise ValueError(f"{where}: {name} must be {wanted}, got {v!r}")
    return int(v)


def positive_int(where: str, name: str, v) -> int:
    """An int >= 1."""
    if not _is_int(v):
        raise TypeError(f"{where}: {name} must be a positive int, got {type(v).__name__} {v!r}")
    if v <= 0:
        raise ValueError(f"{where}: {name} must be a positive int, got {v!r}")
    return int(v)


def _range_text(lo, hi, hi_open) -> str:
    if lo is not None and hi is not None:
        return f"in [{lo}, {hi}{')' if hi_open else ']'}"
    if lo is not None:
        return f">= {lo}"
    return f"{'<' if hi_open else '<='} {hi}"


def real(where: str, name: str, v, *, positive: bool = False, lo=None, hi=None,
         hi_open: bool = False) -> float:
    """A finite real number (optionally > 0, or within [lo, hi], or [lo, hi) with ``hi_open``)."""
    if isinstance(v, (bool, numpy.bool_)) or not isinstance(v, numbers.Real):
        raise TypeError(f"{where}: {name} must be a real number, got {type(v).__name__} {v!r}")
    f = float(v)
    if not math.isfinite(f):
        raise ValueError(f"{where}: {name} must be finite, got {v!r}")
    if positive and not f > 0:
        raise ValueError(f"{where}: {name} must be > 0, got {v!r}")
    if (lo is not None and f < lo) or (hi is not None and (f >= hi if hi_open else f > hi)):
        raise ValueError(f"{where}: {name} must be {_range_text(lo, hi, hi_open)}, got {v!r}")
    return f


def flag(where: str, name: str, v) -> bool:
    """True or False (not 1, not "yes")."""
    if not isinstance(v, (bool, numpy.bool_)):
        raise TypeError(f"{where}: {name} must be True or False, got {v!r}")
    return bool(v)


@contextmanager
def as_value_error():
    """Report a mistyped argument as a bad value (ValueError), for the entry points whose
    errors have always been ValueErrors, whatever was wrong (Pack's m, SpectralNorm's
    settings, WGAN's clip, the penalty's lambda)."""
    try:
        yield
    except TypeError as exc:
        raise ValueError(str(exc)) from None


def float_dtype(where: str, dtype):
    """A floating-point NumPy dtype."""
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


__all__ = ["integer", "positive_int", "real", "flag", "as_value_error", "float_dtype",
           "memory_bytes", "fits_in_memory"]
