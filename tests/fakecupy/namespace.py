"""The fake ``cupy`` module and its submodules, built from the API snapshot.

Every public name here is a name the real CuPy has (``api_snapshot.json``):
module functions are NumPy's twins behind CuPy's signatures, wrapped to take and
give fake device arrays; ``random.Generator`` has only CuPy's methods (no
``normal``, ``permutation``, ``choice``, ``shuffle``); ``cuda`` has a stream and a
device whose ``synchronize`` counts a sync. A name CuPy has but the fake does
not implement raises ``AttributeError`` saying so.
"""
from __future__ import annotations

import os
import time
import types

import numpy

from . import snapshot
from .devarray import call, check_dtype, counters, ndarray, new, unwrap, wrap
from .kernels import CompileException, ElementwiseKernel, ReductionKernel

# Creation functions that allocate without writing: no kernel runs.
_NO_LAUNCH = {"empty", "empty_like"}
# Functions that accept host data: the explicit host->device transfer.
_FROM_HOST = {"array", "asarray", "asanyarray", "ascontiguousarray"}


class FakeModule(types.ModuleType):
    """A module whose missing names explain themselves."""

    _snapshot_key = "cupy"

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        table = snapshot.module_names(self._snapshot_key)
        if name in table:
            raise AttributeError(f"{self._snapshot_key}.{name} exists in CuPy {snapshot.version()} "
                                 f"but the fake does not implement it; add it to tests/fakecupy")
        raise AttributeError(f"module {self._snapshot_key!r} has no attribute {name!r} "
                             f"(CuPy {snapshot.version()} has no such name)")


def _module(key: str) -> FakeModule:
    m = FakeModule("fake" + key)
    m._snapshot_key = key
    return m


def _function(owner: str, name: str, fn, sig):
    launches = name not in _NO_LAUNCH

    def f(*args, **kwargs):
        return call(owner, name, fn, args, kwargs, sig, launches)
    f.__name__ = name
    f.__qualname__ = f"{owner}.{name}"
    f.__doc__ = f"fake {owner}.{name}: NumPy's {getattr(fn, '__name__', name)} on device arrays"
    return f


# ---------------------------------------------------------------- host <-> device

def _to_device(name, a, dtype, copy_always):
    if type(a) is ndarray:
        r = a._a.astype(dtype) if dtype is not None else a._a
        if r is a._a and copy_always:
            r = r.copy()
        if r is not a._a:
            counters.launch(name)
            return new(r, f"cupy.{name}")
        return a
    host = numpy.asarray(a if dtype is None else a, dtype=dtype)   # lists, scalars, NumPy arrays
    if host.dtype == object:
        raise ValueError(f"Unsupported dtype object (cupy.{name}): CuPy cannot hold Python objects")
    counters.transfer(name)
    return new(host.copy(), f"cupy.{name}")


def asarray(a, dtype=None, order=None, *, copy=None, blocking=False):
    return _to_device("asarray", a, dtype, copy is True)


def array(obj, dtype=None, copy=True, order="K", subok=False, ndmin=0, *, blocking=False):
    out = _to_device("array", obj, dtype, bool(copy))
    if ndmin and out.ndim < ndmin:
        out = new(out._a.reshape((1,) * (ndmin - out.ndim) + out.shape))
    return out


def asanyarray(a, dtype=None, order=None, *, blocking=False):
    return _to_device("asanyarray", a, dtype, False)


def ascontiguousarray(a, dtype=None):
    out = _to_device("ascontiguousarray", a, dtype, False)
    if not out._a.flags.c_contiguous:
        counters.launch("ascontiguousarray")
        out = new(numpy.ascontiguousarray(out._a))
    return out


def asnumpy(a, stream=None, order="C", out=None, *, blocking=True):
    if type(a) is ndarray:
        return a.get(order=order, out=out)
    return numpy.asarray(a, order=order)


def get_array_module(*args):
    for a in args:
        if type(a) is ndarray:
            return cupy
    return numpy


# ---------------------------------------------------------------- the cupy module

cupy = _module("cupy")


def _fill(mod: FakeModule, key: str, source, special: dict) -> None:
    for name, entry in snapshot.module_names(key).items():
        if name in special:
            setattr(mod, name, special[name])
        elif entry["kind"] in ("function", "ufunc"):
            fn = getattr(source, name, None)
            if callable(fn):
                setattr(mod, name, _function(key, name, fn, entry.get("signature")))
        elif entry["kind"] in ("constant", "class") and key == "cupy":
            obj = getattr(numpy, name, None)
            # dtype scalars (float32, ...), dtype/finfo/iinfo and constants (pi, inf, newaxis)
            # are NumPy's own objects in CuPy too
            if obj is not None and not isinstance(obj, types.ModuleType) and \
                    (entry["kind"] == "constant" or isinstance(obj, type)):
                setattr(mod, name, obj)


# ---------------------------------------------------------------- random

random = _module("cupy.random")


# Which stream the fake draws: "other" (the default: Philox, a different stream from NumPy's,
# as real CuPy's XORWOW is, so that no test can pass only because the fake draws NumPy's
# numbers) or "numpy" (PCG64, the stream NumPy's default_rng draws, so that a seeded fake run
# is bit-identical to the NumPy run; a test claiming that pins it, e.g. with the
# numpys_stream fixture of tests/conftest.py). Set by MINIGAN_FAKECUPY_STREAM (unset: "other")
# or fakecupy.set_stream().
STREAMS = {"numpy": numpy.random.PCG64, "other": numpy.random.Philox}
_stream = {"name": os.environ.get("MINIGAN_FAKECUPY_STREAM", "other")}
if _stream["name"] not in STREAMS:
    raise ValueError(f"MINIGAN_FAKECUPY_STREAM must be one of {sorted(STREAMS)}, got "
                     f"{_stream['name']!r}")


def set_stream(name: str) -> str:
    """Choose the fake's random stream ("numpy" or "other"); returns the previous one."""
    if name not in STREAMS:
        raise ValueError(f"fakecupy.set_stream: expected one of {sorted(STREAMS)}, got {name!r}")
    before, _stream["name"] = _stream["name"], name
    return before


def stream() -> str:
    return _stream["name"]


class Generator:
    """CuPy's ``random.Generator`` with only the methods CuPy's Generator has, drawing
    NumPy's PCG64 stream (bit-identical to NumPy) or another one (see STREAMS)."""

    def __init__(self, bit_generator):
        self._gen = numpy.random.Generator(bit_generator)

    def __repr__(self):
        return "Generator(fakecupy)"


def _generator_method(name, sig):
    def method(self, *args, **kwargs):
        return call("random.Generator", name, getattr(self._gen, name), args, kwargs, sig)
    method.__name__ = name
    return method


for _name, _entry in snapshot.class_names("cupy.random.Generator").items():
    if not _name.startswith("_") and _entry["kind"] == "method" and \
            hasattr(numpy.random.Generator, _name):
        setattr(Generator, _name, _generator_method(_name, _entry.get("signature")))


def default_rng(seed=None):
    return Generator(STREAMS[_stream["name"]](seed))


random.Generator = Generator
random.default_rng = default_rng


# ---------------------------------------------------------------- linalg

linalg = _module("cupy.linalg")
_fill(linalg, "cupy.linalg", numpy.linalg, {})


# ---------------------------------------------------------------- lib.stride_tricks

def _bounds(a, shape, strides):
    """(lowest, highest + 1) byte addresses a view (shape, strides) at a's data pointer touches."""
    start = a.__array_interface__["data"][0]
    if any(s == 0 for s in shape):
        return start, start
    lo = hi = start
    for n, st in zip(shape, strides):
        if st < 0:
            lo += (n - 1) * st
        else:
            hi += (n - 1) * st
    return lo, hi + a.itemsize


def as_strided(x, shape=None, strides=None):
    """A view with new shape and strides: refused when it would read outside x's buffer
    (on a GPU that reads another allocation or faults)."""
    if type(x) is not ndarray:
        raise TypeError(f"cupy.lib.stride_tricks.as_strided: expected a device array, got {type(x)}")
    a = x._a
    shape = tuple(a.shape if shape is None else shape)
    strides = tuple(a.strides if strides is None else strides)
    owner = a
    while isinstance(owner.base, numpy.ndarray):
        owner = owner.base
    buf_lo, buf_hi = _bounds(owner, owner.shape, owner.strides) if owner.flags.c_contiguous or \
        owner.flags.f_contiguous else (owner.__array_interface__["data"][0],
                                       owner.__array_interface__["data"][0] + owner.nbytes)
    lo, hi = _bounds(a, shape, strides)
    if lo < buf_lo or hi > buf_hi:
        raise ValueError(f"as_strided view (shape {shape}, strides {strides}) reaches bytes "
                         f"[{lo - buf_lo}, {hi - buf_lo}) of a {buf_hi - buf_lo}-byte buffer: it "
                         f"leaves its allocation, which on a GPU reads foreign memory (fakecupy)")
    return new(numpy.lib.stride_tricks.as_strided(a, shape=shape, strides=strides))


lib = _module("cupy.lib")
stride_tricks = _module("cupy.lib.stride_tricks")
stride_tricks.as_strided = as_strided
lib.stride_tricks = stride_tricks


# ---------------------------------------------------------------- cuda

cuda = _module("cupy.cuda")
runtime = _module("cupy.cuda.runtime")


class Stream:
    """The one (null) stream: work "runs" at once; ``synchronize`` counts a sync."""

    null = None

    def __init__(self, null=False, non_blocking=False, ptr=0):
        self.ptr = 0

    def synchronize(self):
        counters.sync("Stream.synchronize()")

    def use(self):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


Stream.null = Stream(null=True)


class Device:
    def __init__(self, device=None):
        self.id = 0 if device is None else int(device)
        if self.id != 0:
            raise ValueError(f"fakecupy has one device (0), got {device}")

    compute_capability = property(lambda self: "90")

    def synchronize(self):
        counters.sync("Device.synchronize()")

    def use(self):
        return None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __repr__(self):
        return "<CUDA Device 0 (fakecupy)>"


class Event:
    def __init__(self, block=False, disable_timing=False, interprocess=False):
        self._t = None

    def record(self, stream=None):
        self._t = time.perf_counter()

    def synchronize(self):
        counters.sync("Event.synchronize()")


def get_elapsed_time(start_event, end_event):
    return (end_event._t - start_event._t) * 1e3


def get_current_stream(device_id=None):
    return Stream.null


def is_available():
    return True


cuda.Stream, cuda.Device, cuda.Event = Stream, Device, Event
cuda.get_current_stream, cuda.get_elapsed_time, cuda.is_available = \
    get_current_stream, get_elapsed_time, is_available
cuda.runtime = runtime
runtime.getDeviceCount = lambda: 1
runtime.runtimeGetVersion = lambda: 12080
runtime.driverGetVersion = lambda: 12080
runtime.getDeviceProperties = lambda device: {
    "name": b"fakecupy (NumPy on the CPU)", "totalGlobalMem": 16 * 2**30, "major": 9, "minor": 0}


# ``cupy.cuda.compiler`` (not in the snapshot, which lists the modules minigan reads names
# from) holds the exception a kernel that fails to compile raises.
compiler = _module("cupy.cuda.compiler")
compiler.CompileException = CompileException
cuda.compiler = compiler


# ---------------------------------------------------------------- assemble

_fill(cupy, "cupy", numpy, {
    "ndarray": ndarray, "asarray": asarray, "array": array, "asanyarray": asanyarray,
    "ascontiguousarray": ascontiguousarray, "asnumpy": asnumpy,
    "get_array_module": get_array_module, "random": random, "linalg": linalg, "lib": lib,
    "cuda": cuda, "ElementwiseKernel": ElementwiseKernel,
    "ReductionKernel": ReductionKernel,
})
cupy.__version__ = snapshot.version() + "+fake"

__all__ = ["cupy", "check_dtype", "unwrap", "wrap"]
