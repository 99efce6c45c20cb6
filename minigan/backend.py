"""The one place that knows NumPy from CuPy.

Everything else asks this module for ``xp`` (the array namespace of the
backend in use), moves data with :func:`to_device` / :func:`to_numpy`, draws
random numbers through :class:`RNG` and waits for the GPU with :func:`sync`.

    import minigan as mg
    mg.backend.use("numpy")     # or "cupy", or "auto" (CuPy when a GPU works)
    mg.backend.current().name   # "numpy"
    mg.backend.xp               # the numpy module

The environment variable ``MINIGAN_BACKEND`` picks the backend at import time.
Arrays never cross devices silently: :func:`check_same_backend` raises an error
that names both sides.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from types import ModuleType

import numpy

__all__ = [
    "Backend", "BackendError", "use", "current", "available", "gpu_available",
    "gpu_problem", "to_numpy", "to_device", "array_module", "backend_of",
    "check_same_backend", "sync", "RNG", "seed", "default_rng", "info",
]


class BackendError(RuntimeError):
    """The requested backend cannot be used here (the message says why and how to fix it)."""


@dataclass(frozen=True)
class Backend:
    name: str            # "numpy" or "cupy"
    xp: ModuleType       # numpy or cupy

    @property
    def is_gpu(self) -> bool:
        return self.name == "cupy"


_NUMPY = Backend("numpy", numpy)
_current: Backend = _NUMPY
_cupy_cache: dict = {}

INSTALL_HINT = ('install CuPy for your CUDA version: pip install "minigan[gpu]" '
                '(CUDA 12) or pip install "minigan[gpu-cuda13]" (CUDA 13)')


def _import_cupy():
    """Return (cupy module or None, reason it cannot be used or None). Cached."""
    if "result" in _cupy_cache:
        return _cupy_cache["result"]
    try:
        import cupy  # noqa: WPS433 - the only import of cupy in the package
    except Exception as exc:  # ImportError, or a broken CUDA install raising at import
        result = (None, f"CuPy is not installed ({exc.__class__.__name__}: {exc}); {INSTALL_HINT}")
    else:
        try:
            n = cupy.cuda.runtime.getDeviceCount()
            if n < 1:
                raise RuntimeError("no CUDA device found")
            # A tiny kernel proves the driver, runtime and device really work.
            float((cupy.arange(4, dtype=cupy.float32) * 2).sum())
            result = (cupy, None)
        except Exception as exc:
            result = (None, "CuPy is installed but no working CUDA GPU was found "
                            f"({exc.__class__.__name__}: {exc}); check the NVIDIA driver "
                            "(nvidia-smi) and that the CuPy package matches your CUDA version, "
                            "or use the numpy backend")
    _cupy_cache["result"] = result
    return result


def gpu_problem() -> str | None:
    """Why the CuPy backend cannot be used here, or None when it can."""
    return _import_cupy()[1]


def gpu_available() -> bool:
    """True when CuPy is installed and a CUDA GPU works."""
    return gpu_problem() is None


def available() -> list[str]:
    """Names of the backends usable on this machine."""
    return ["numpy"] + (["cupy"] if gpu_available() else [])


def use(name: str) -> Backend:
    """Select the backend: "numpy", "cupy" or "auto" (CuPy when a GPU works, else NumPy).

    Raises BackendError naming the reason when CuPy is asked for but cannot run.
    Parameters created before the switch stay where they are; build models after
    choosing the backend.
    """
    global _current
    key = str(name).strip().lower()
    if key in ("numpy", "cpu", "np"):
        _current = _NUMPY
    elif key in ("cupy", "gpu", "cuda", "cp"):
        cupy, why = _import_cupy()
        if cupy is None:
            raise BackendError(f"backend 'cupy' requested but unavailable: {why}")
        _current = Backend("cupy", cupy)
    elif key == "auto":
        cupy, _ = _import_cupy()
        _current = Backend("cupy", cupy) if cupy is not None else _NUMPY
    else:
        raise BackendError(f"unknown backend {name!r}: expected 'numpy', 'cupy' or 'auto'")
    return _current


def current() -> Backend:
    """The backend in use."""
    return _current


def __getattr__(attr):
    # ``minigan.backend.xp`` always answers the *current* namespace, so code that
    # reads it at call time follows a switch made with use().
    if attr == "xp":
        return _current.xp
    raise AttributeError(f"module 'minigan.backend' has no attribute {attr!r}")


# ---------------------------------------------------------------- arrays

def array_module(x) -> ModuleType:
    """numpy or cupy, whichever owns array ``x`` (numpy for scalars and lists)."""
    if isinstance(x, numpy.ndarray) or numpy.isscalar(x):
        return numpy
    cupy = _cupy_cache.get("result", (None, None))[0]
    if cupy is not None and isinstance(x, cupy.ndarray):
        return cupy
    mod = type(x).__module__.split(".")[0]
    if mod == "cupy":  # a CuPy array even though we never initialised cupy ourselves
        import cupy as _cp
        return _cp
    return numpy


def backend_of(x) -> str:
    """"numpy" or "cupy": the device an array lives on."""
    return "cupy" if array_module(x) is not numpy else "numpy"


def check_same_backend(x, expected: str, where: str) -> None:
    """Raise TypeError when array ``x`` is not on backend ``expected``.

    ``where`` names the layer or function, so the message says who complained.
    Never copies: moving data between devices is the caller's explicit choice.
    """
    got = backend_of(x)
    if got != expected:
        raise TypeError(
            f"{where}: input is a {got} array but this model lives on the {expected} backend; "
            f"move it explicitly with minigan.backend.to_device(x) / to_numpy(x) "
            f"(arrays are never copied across devices silently)")


def to_numpy(x):
    """A NumPy array with the contents of ``x`` (copies from the GPU when needed)."""
    if array_module(x) is numpy:
        return numpy.asarray(x)
    return x.get()


def to_device(x, dtype=None):
    """``x`` as an array of the current backend (a host->device copy under CuPy)."""
    xp = _current.xp
    if dtype is None:
        return xp.asarray(x)
    return xp.asarray(x, dtype=dtype)


def sync() -> None:
    """Wait for queued GPU work to finish (a no-op on NumPy). Use around timings."""
    if _current.is_gpu:
        _current.xp.cuda.get_current_stream().synchronize()


# ---------------------------------------------------------------- randomness

class RNG:
    """A seeded generator using only what NumPy's and CuPy's ``Generator`` share.

    Samples are made on the backend current when the RNG is created, in the dtype
    asked for (float32 by default), so no host->device copy is needed.
    """

    def __init__(self, seed: int | None = None, backend: Backend | None = None):
        self.backend = backend or _current
        self.seed = seed
        self._gen = self.backend.xp.random.default_rng(seed)

    def standard_normal(self, size, dtype=numpy.float32):
        return self._gen.standard_normal(size, dtype=dtype)

    def normal(self, size, mean=0.0, std=1.0, dtype=numpy.float32):
        out = self._gen.standard_normal(size, dtype=dtype)
        if std != 1.0:
            out *= std
        if mean != 0.0:
            out += mean
        return out

    def random(self, size, dtype=numpy.float32):
        """Uniform on [0, 1)."""
        return self._gen.random(size, dtype=dtype)

    def uniform(self, size, low=0.0, high=1.0, dtype=numpy.float32):
        out = self._gen.random(size, dtype=dtype)
        out *= (high - low)
        out += low
        return out

    def integers(self, low, high=None, size=None):
        return self._gen.integers(low, high, size=size)

    def permutation(self, n: int):
        """A random permutation of range(n) (argsort of uniforms works on both backends)."""
        return self.backend.xp.argsort(self._gen.random(n))


_default_rng: RNG | None = None


def seed(s: int) -> RNG:
    """Seed the default generator of the current backend and return it."""
    global _default_rng
    _default_rng = RNG(s)
    return _default_rng


def default_rng() -> RNG:
    """The default generator (re-made when the backend changed since it was seeded)."""
    global _default_rng
    if _default_rng is None or _default_rng.backend.name != _current.name:
        _default_rng = RNG(None if _default_rng is None else _default_rng.seed)
    return _default_rng


# ---------------------------------------------------------------- report

def info() -> dict:
    """Versions, GPU and backend in use, as plain strings (used by ``minigan info``)."""
    import platform
    import sys
    out = {
        "python": f"{platform.python_version()} ({sys.executable})",
        "platform": platform.platform(),
        "numpy": numpy.__version__,
        "backend": _current.name,
    }
    cupy, why = _import_cupy()
    if cupy is None:
        try:
            import cupy as _cp  # installed but unusable: still report its version
            out["cupy"] = f"{_cp.__version__} (unusable: {why})"
        except Exception:
            out["cupy"] = f"not available: {why}"
        out["gpu"] = "none"
    else:
        out["cupy"] = cupy.__version__
        props = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)
        name = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
        mem = props.get("totalGlobalMem", 0) / 2**30
        out["gpu"] = f"{name} ({mem:.1f} GiB), CUDA runtime {cupy.cuda.runtime.runtimeGetVersion()}"
    return out


_env = os.environ.get("MINIGAN_BACKEND")
if _env:
    use(_env)
