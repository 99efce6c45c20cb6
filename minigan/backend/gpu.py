"""Whether CuPy can run here, and if not which piece is missing and the command that fixes it;
the versions and the GPU for ``minigan info``."""
from __future__ import annotations

import os

import numpy

from . import select

INSTALL_HINT = ('pip install "minigan[gpu]" (CuPy for CUDA 12 with its CUDA libraries) or '
                'pip install "minigan[gpu-cuda13]" (CUDA 13)')
TOOLKIT_HINT = ('CuPy found the driver but not the CUDA libraries it compiles and calls '
                'kernels with; install them from the package index with '
                'pip install "cupy-cuda12x[ctk]" (or "cupy-cuda13x[ctk]"; minigan\'s gpu extras '
                'include them), or install the CUDA toolkit and set CUDA_PATH')
_cupy_cache: dict = {}


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
         lambda: float((cupy.ones((8, 8), dtype=cupy.float32)
                        @ cupy.ones((8, 8), dtype=cupy.float32)).sum())),
        ("a random draw (cuRAND)",
         lambda: float(cupy.random.default_rng(0).standard_normal(4, dtype=cupy.float32).sum())),
    )
    for stage, run in stages:
        try:
            run()
        except Exception as exc:
            return _classify_cuda_error(exc, stage)
    return None


def import_cupy():
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
        select.add_cupy(result[0])
    _cupy_cache["result"] = result
    return result


def gpu_problem() -> str | None:
    """Why the CuPy backend cannot be used here, or None when it can."""
    return import_cupy()[1]


def gpu_available() -> bool:
    """True when CuPy is installed and a CUDA GPU works."""
    return gpu_problem() is None


def info() -> dict:
    """Versions, GPU and backend in use, as plain strings (used by ``minigan info``)."""
    import platform
    import sys
    out = {
        "python": f"{platform.python_version()} ({sys.executable})",
        "platform": platform.platform(),
        "numpy": numpy.__version__,
        "backend": select.current().name,
    }
    env = os.environ.get(select.ENV_VAR, "").strip()
    if env:
        out["env"] = f"{select.ENV_VAR}={env}" + (f" (ignored: {select.env_problem()})"
                                                  if select.env_problem() else "")
    cupy, why = import_cupy()
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

