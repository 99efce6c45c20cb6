"""The one place that knows NumPy from CuPy: choosing the backend and moving arrays.

Everything else asks this package for ``xp`` (the array namespace of the
backend in use), moves data with :func:`to_device` / :func:`to_numpy`, draws
random numbers through :class:`RNG` (rng.py) and waits for the GPU with :func:`sync`.

    import minigan as mg
    mg.backend.use("numpy")     # or "cupy", or "auto" (CuPy when a GPU works)
    mg.backend.current().name   # "numpy"
    mg.backend.xp               # the numpy module

The environment variable ``MINIGAN_BACKEND`` picks the backend when it is first
needed (a bad value is reported once and NumPy is used; ``use`` and the
command's ``--backend`` flag win over it). :func:`register` adds a namespace with
CuPy's API under a name of its own (the tests' CPU fake of CuPy).
Arrays never cross devices silently: :func:`check_same_backend` raises an error
that names both sides. Whether CuPy can run here, and why not: gpu.py.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from types import ModuleType

import numpy


class BackendError(RuntimeError):
    """The requested backend cannot be used here (the message says why and how to fix it)."""


class BackendWarning(RuntimeWarning):
    """``MINIGAN_BACKEND`` names a backend that cannot be used; NumPy is used instead."""


@dataclass(frozen=True)
class Backend:
    name: str            # "numpy", "cupy", or a registered name such as the tests' "fakecupy"
    xp: ModuleType       # the array namespace: numpy, cupy, or a module with CuPy's API
    is_gpu: bool = False  # device arrays: transfers are explicit, syncs cost


_NUMPY = Backend("numpy", numpy)
_current: Backend | None = None          # None until chosen: MINIGAN_BACKEND is read lazily
_registered: dict = {"numpy": _NUMPY}     # name -> Backend, for use(name) and array_module
_array_types: dict = {numpy.ndarray: _NUMPY}   # array type -> Backend owning it
_ALIASES = {"cpu": "numpy", "np": "numpy", "gpu": "cupy", "cuda": "cupy", "cp": "cupy"}


def _cupy():
    """(the cupy module or None, why it cannot be used or None), from gpu.py."""
    from .gpu import import_cupy
    return import_cupy()


def add_cupy(module) -> Backend:
    """Register a working CuPy as the "cupy" backend (gpu.py calls this once)."""
    backend = Backend("cupy", module, True)
    _array_types[module.ndarray] = backend
    _registered["cupy"] = backend
    return backend


def register(name: str, module: ModuleType, *, gpu: bool = True) -> Backend:
    """Make an array namespace with CuPy's API usable as backend ``name``.

    The test suite registers its CPU fake of CuPy this way (``"fakecupy"``), so
    the CuPy code path runs on machines without a GPU. ``module.ndarray`` must be
    the namespace's array type; ``gpu=True`` treats its arrays as device arrays.
    Registering the same name again replaces it.
    """
    key = str(name).strip().lower()
    if key in ("numpy", "auto") or key in _ALIASES:
        raise BackendError(f"register: {name!r} is a built-in backend name")
    array_type = getattr(module, "ndarray", None)
    if not isinstance(array_type, type):
        raise TypeError(f"register: module {getattr(module, '__name__', module)!r} has no ndarray type")
    backend = Backend(key, module, bool(gpu))
    unregister(key)
    _registered[key] = backend
    _array_types[array_type] = backend
    return backend


def unregister(name: str) -> None:
    """Forget a registered backend (switching to NumPy if it was in use)."""
    global _current
    old = _registered.get(name)
    if old is None or name == "numpy":
        return
    del _registered[name]
    for t, b in list(_array_types.items()):
        if b is old:
            del _array_types[t]
    if _current is old:
        _current = _NUMPY


def available() -> list[str]:
    """Names of the backends usable on this machine (registered ones included)."""
    names = ["numpy"] + (["cupy"] if _cupy()[0] is not None else [])
    return names + [n for n in _registered if n not in names]


def names() -> list[str]:
    """Every name ``use`` understands: numpy, cupy, auto and registered backends."""
    return ["numpy", "cupy", "auto"] + [n for n in _registered if n not in ("numpy", "cupy")]


def _lookup(name) -> Backend:
    key = str(name).strip().lower()
    key = _ALIASES.get(key, key)
    if key == "numpy":
        return _NUMPY
    if key == "cupy":
        cupy, why = _cupy()
        if cupy is None:
            raise BackendError(f"backend 'cupy' requested but unavailable: {why}")
        return _registered["cupy"]
    if key == "auto":
        cupy, _ = _cupy()
        return _registered["cupy"] if cupy is not None else _NUMPY
    if key in _registered:
        return _registered[key]
    raise BackendError(f"unknown backend {name!r}: expected 'numpy', 'cupy' or 'auto'"
                       + (f" (or a registered one: {', '.join(names()[3:])})" if names()[3:] else ""))


def use(name: str) -> Backend:
    """Select the backend: "numpy", "cupy", "auto" (CuPy when a GPU works, else NumPy)
    or a name given to :func:`register`.

    Raises BackendError naming the reason when CuPy is asked for but cannot run
    (the backend in use stays as it was). Parameters created before the switch
    stay where they are; build models after choosing the backend.
    """
    global _current
    _current = _lookup(name)
    return _current


ENV_VAR = "MINIGAN_BACKEND"
_env_report: dict = {}


def env_problem() -> str | None:
    """Why ``MINIGAN_BACKEND`` cannot be honoured (None when it is unset or usable)."""
    value = os.environ.get(ENV_VAR, "").strip()
    if not value:
        return None
    try:
        _lookup(value)
    except BackendError as exc:
        return (f"{ENV_VAR}={value!r} cannot be used: {exc}. Fix: unset {ENV_VAR} (or set it to "
                f"numpy), or pass --backend numpy to the minigan command")
    return None


def _from_env() -> Backend:
    """The backend ``MINIGAN_BACKEND`` asks for, read when first needed (not at import, so a
    bad value never breaks ``import minigan``). A value that cannot be used is reported once
    (a :class:`BackendWarning`) and NumPy is used."""
    value = os.environ.get(ENV_VAR, "").strip()
    if not value:
        return _NUMPY
    try:
        return _lookup(value)
    except BackendError:
        why = env_problem()
        if why not in _env_report:
            _env_report[why] = True
            import warnings
            warnings.warn(f"{why}; using the numpy backend", BackendWarning, stacklevel=3)
        return _NUMPY


def current() -> Backend:
    """The backend in use (on first call: the one MINIGAN_BACKEND names, else NumPy)."""
    global _current
    if _current is None:
        _current = _from_env()
    return _current


# ---------------------------------------------------------------- arrays

def _owner(x) -> Backend:
    b = _array_types.get(type(x))
    if b is not None:
        return b
    if isinstance(x, numpy.ndarray) or numpy.isscalar(x):
        return _NUMPY
    mod = type(x).__module__.split(".")[0]
    if mod == "cupy":  # a CuPy array even though cupy was never probed here
        cupy, _ = _cupy()
        if cupy is not None:
            return _registered["cupy"]
        import cupy as _cp
        return Backend("cupy", _cp, True)
    for t, b in _array_types.items():
        if isinstance(x, t):
            return b
    return _NUMPY


def array_module(x) -> ModuleType:
    """numpy, cupy (or a registered namespace), whichever owns array ``x``
    (numpy for scalars and lists)."""
    return _owner(x).xp


def backend_of(x) -> str:
    """"numpy", "cupy" (or a registered name): the backend an array lives on."""
    return _owner(x).name


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
    b = _array_types.get(type(x))
    if b is _NUMPY:
        return x
    if b is None and (isinstance(x, numpy.ndarray) or not hasattr(x, "get")):
        return numpy.asarray(x)
    return x.get()


def to_device(x, dtype=None):
    """``x`` as an array of the current backend (a host->device copy under CuPy)."""
    xp = current().xp
    if dtype is None:
        return xp.asarray(x)
    return xp.asarray(x, dtype=dtype)


def sync() -> None:
    """Wait for queued GPU work to finish (a no-op on NumPy). Use around timings."""
    b = current()
    if b.is_gpu:
        b.xp.cuda.get_current_stream().synchronize()


