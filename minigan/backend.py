"""The one place that knows NumPy from CuPy.

Everything else asks this module for ``xp`` (the array namespace of the
backend in use), moves data with :func:`to_device` / :func:`to_numpy`, draws
random numbers through :class:`RNG` and waits for the GPU with :func:`sync`.

    import minigan as mg
    mg.backend.use("numpy")     # or "cupy", or "auto" (CuPy when a GPU works)
    mg.backend.current().name   # "numpy"
    mg.backend.xp               # the numpy module

The environment variable ``MINIGAN_BACKEND`` picks the backend when it is first
needed (a bad value is reported once and NumPy is used; ``use`` and the
command's ``--backend`` flag win over it). :func:`register` adds a namespace with
CuPy's API under a name of its own (the tests' CPU fake of CuPy).
Arrays never cross devices silently: :func:`check_same_backend` raises an error
that names both sides.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from types import ModuleType

import numpy

__all__ = [
    "Backend", "BackendError", "BackendWarning", "use", "current", "register", "unregister",
    "names", "probe", "env_problem", "available", "gpu_available",
    "gpu_problem", "to_numpy", "to_device", "array_module", "backend_of",
    "check_same_backend", "sync", "RNG", "seed", "default_rng", "info",
]


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
_cupy_cache: dict = {}
_registered: dict = {"numpy": _NUMPY}     # name -> Backend, for use(name) and array_module
_array_types: dict = {numpy.ndarray: _NUMPY}   # array type -> Backend owning it
_ALIASES = {"cpu": "numpy", "np": "numpy", "gpu": "cupy", "cuda": "cupy", "cp": "cupy"}

INSTALL_HINT = ('pip install "minigan[gpu]" (CuPy for CUDA 12 with its CUDA libraries) or '
                'pip install "minigan[gpu-cuda13]" (CUDA 13)')
TOOLKIT_HINT = ('CuPy found the driver but not the CUDA libraries it compiles and calls '
                'kernels with; install them from the package index with '
                'pip install "cupy-cuda12x[ctk]" (or "cupy-cuda13x[ctk]"; minigan\'s gpu extras '
                'include them), or install the CUDA toolkit and set CUDA_PATH')


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


def _classify_cuda_error(exc: BaseException, stage: str) -> str:
    """Which piece is missing, from the exception CuPy raised at ``stage``, with its fix."""
    text = f"{exc.__class__.__name__}: {exc}"
    low = text.lower()
    if any(k in low for k in ("nvrtc", "cublas", "curand", "cusolver", "cufft", "cudart",
                              "libcu", "failed to load", "cuda_path", "cannot open shared object")):
        return f"{stage} failed ({text}): {TOOLKIT_HINT}"
    if "insufficient" in low or "driver version" in low or "unsupported ptx" in low or \
            "no kernel image" in low:
        return (f"{stage} failed ({text}): this CuPy build needs a newer NVIDIA driver or was "
                f"built for another CUDA version; install the CuPy that matches the driver's CUDA "
                f"version (nvidia-smi shows it): {INSTALL_HINT}")
    if "no cuda-capable device" in low or "nodevice" in low or "no cuda device" in low or \
            "driver" in low or "initialization error" in low:
        return (f"{stage} failed ({text}): no usable NVIDIA GPU or driver; check the driver "
                f"with nvidia-smi, or use the numpy backend")
    return f"{stage} failed ({text}); check nvidia-smi and that CuPy matches your CUDA version"


def probe(cupy) -> str | None:
    """Exercise a CuPy-like module the way training will: count the devices, run an
    element-wise kernel (compiled by NVRTC), a matmul (cuBLAS) and a random draw
    (cuRAND). Returns None when all work, else what is missing and the command that
    fixes it."""
    try:
        n = cupy.cuda.runtime.getDeviceCount()
        if n < 1:
            raise RuntimeError("no CUDA device found")
    except Exception as exc:
        return _classify_cuda_error(exc, "finding a CUDA device")
    stages = (
        ("an element-wise kernel (NVRTC)",
         lambda: float((cupy.arange(4, dtype=cupy.float32) * 2).sum())),
        ("a matrix product (cuBLAS)",
         lambda: float((cupy.ones((8, 8), dtype=cupy.float32) @ cupy.ones((8, 8), dtype=cupy.float32)).sum())),
        ("a random draw (cuRAND)",
         lambda: float(cupy.random.default_rng(0).standard_normal(4, dtype=cupy.float32).sum())),
    )
    for stage, run in stages:
        try:
            run()
        except Exception as exc:
            return _classify_cuda_error(exc, stage)
    return None


def _import_cupy():
    """Return (cupy module or None, reason it cannot be used or None). Cached."""
    if "result" in _cupy_cache:
        return _cupy_cache["result"]
    try:
        import cupy  # noqa: WPS433 - the only import of cupy in the package
    except Exception as exc:  # ImportError, or a broken CUDA install raising at import
        result = (None, f"CuPy is not installed ({exc.__class__.__name__}: {exc}); {INSTALL_HINT}")
    else:
        why = probe(cupy)
        result = (cupy, None) if why is None else \
            (None, f"CuPy {getattr(cupy, '__version__', '?')} is installed but cannot run: {why}")
    if result[0] is not None:
        _array_types[result[0].ndarray] = Backend("cupy", result[0], True)
        _registered["cupy"] = _array_types[result[0].ndarray]
    _cupy_cache["result"] = result
    return result


def gpu_problem() -> str | None:
    """Why the CuPy backend cannot be used here, or None when it can."""
    return _import_cupy()[1]


def gpu_available() -> bool:
    """True when CuPy is installed and a CUDA GPU works."""
    return gpu_problem() is None


def available() -> list[str]:
    """Names of the backends usable on this machine (registered ones included)."""
    names = ["numpy"] + (["cupy"] if gpu_available() else [])
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
        cupy, why = _import_cupy()
        if cupy is None:
            raise BackendError(f"backend 'cupy' requested but unavailable: {why}")
        return _registered["cupy"]
    if key == "auto":
        cupy, _ = _import_cupy()
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


def __getattr__(attr):
    # ``minigan.backend.xp`` always answers the *current* namespace, so code that
    # reads it at call time follows a switch made with use().
    if attr == "xp":
        return current().xp
    raise AttributeError(f"module 'minigan.backend' has no attribute {attr!r}")


# ---------------------------------------------------------------- arrays

def _owner(x) -> Backend:
    b = _array_types.get(type(x))
    if b is not None:
        return b
    if isinstance(x, numpy.ndarray) or numpy.isscalar(x):
        return _NUMPY
    mod = type(x).__module__.split(".")[0]
    if mod == "cupy":  # a CuPy array even though cupy was never probed here
        cupy, _ = _import_cupy()
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


# ---------------------------------------------------------------- host memory

_HOST_HEAP_RAISED = False
_RAISE_BYTES = 31 << 20         # just under glibc's 32 MiB cap on the dynamic threshold


def keep_freed_host_memory() -> bool:
    """Ask the C allocator to keep memory that NumPy frees, for the next step to reuse.

    Why: NumPy arrays come from ``malloc``. glibc hands the top of its heap back to
    the operating system whenever more than its trim threshold is free there (at
    first twice the largest block it has mapped and freed, a few MiB). A training
    step frees and allocates the same 10-15 MiB of activations on every pass, so
    each pass the heap shrinks and then page-faults that memory back in: about
    11,000 faults, a fifth of a DCGAN-28 iteration (docs/performance.md, "Page
    faults"). glibc raises both thresholds when a mapped block is freed (mallopt(3),
    M_MMAP_THRESHOLD: the threshold becomes the freed block's size, the trim
    threshold twice that); one 31 MiB array made and dropped sets them to 31 and 62
    MiB, so freed activations stay mapped and are reused. CuPy's memory pool does
    the same for GPU memory.

    Process-wide and once per process (later calls do nothing); other libraries in
    the process allocate under the same thresholds. Elsewhere than glibc it costs
    one allocation and changes nothing. Returns whether this call did it.
    """
    global _HOST_HEAP_RAISED
    if _HOST_HEAP_RAISED:
        return False
    _HOST_HEAP_RAISED = True
    # Never touched, so it never becomes resident: mapping and unmapping it is enough.
    block = numpy.empty(_RAISE_BYTES, dtype=numpy.uint8)
    del block
    return True


# ---------------------------------------------------------------- randomness

class RNG:
    """A seeded generator using only what NumPy's and CuPy's ``Generator`` share.

    Samples are made on the backend current when the RNG is created, in the dtype
    asked for (float32 by default), so no host->device copy is needed.
    """

    def __init__(self, seed: int | None = None, backend: Backend | None = None):
        if seed is not None and (isinstance(seed, (bool, numpy.bool_)) or
                                 not isinstance(seed, (int, numpy.integer))):
            raise TypeError(f"RNG: seed must be a non-negative int or None, got "
                            f"{type(seed).__name__} {seed!r}")
        if seed is not None and seed < 0:
            raise ValueError(f"RNG: seed must be a non-negative int or None, got {seed}")
        self.backend = backend or current()
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

    def state_dict(self) -> dict:
        """{"seed", "state"}: ``state`` is NumPy's bit-generator state (JSON-able ints), or
        None on backends whose generator does not expose one (CuPy)."""
        bg = getattr(self._gen, "bit_generator", None)
        return {"seed": self.seed, "state": getattr(bg, "state", None)}

    def load_state_dict(self, d: dict, step: int = 0) -> None:
        """Continue the stream ``state_dict`` recorded. Where no state was recorded (CuPy),
        the generator is re-seeded from (seed, step): reproducible, but not the stream an
        uninterrupted run would have drawn."""
        if d.get("state") is not None and getattr(self._gen, "bit_generator", None) is not None:
            self._gen.bit_generator.state = d["state"]
            return
        seed = d.get("seed")
        self._gen = self.backend.xp.random.default_rng(
            None if seed is None else [int(seed), int(step)])


_default_rng: RNG | None = None


def seed(s: int) -> RNG:
    """Seed the default generator of the current backend and return it."""
    global _default_rng
    _default_rng = RNG(s)
    return _default_rng


def default_rng() -> RNG:
    """The default generator (re-made when the backend changed since it was seeded)."""
    global _default_rng
    if _default_rng is None or _default_rng.backend.name != current().name:
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
        "backend": current().name,
    }
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        out["env"] = f"{ENV_VAR}={env}" + (f" (ignored: {env_problem()})" if env_problem() else "")
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

