"""The one place that knows NumPy from CuPy (a package of four small files).

    select.py        choosing the backend (use, current, MINIGAN_BACKEND, register), which
                     backend owns an array, transfers, sync
    gpu.py           whether CuPy can run here and what is missing; ``info``
    rng.py           seeded random numbers through what NumPy's and CuPy's generators share
    host_memory.py   the host allocator setting the entry points make
    fused.py         fused element-wise kernels: one CUDA kernel on CuPy, a NumPy twin elsewhere

    import minigan as mg
    mg.backend.use("numpy")     # or "cupy", or "auto" (CuPy when a GPU works)
    mg.backend.current().name   # "numpy"
    mg.backend.xp               # the numpy module
"""
from .fused import Elementwise, KernelCompileError, Reduction, fusion
from .gpu import INSTALL_HINT, TOOLKIT_HINT, gpu_available, gpu_problem, info, probe
from .host_memory import keep_freed_host_memory
from .rng import RNG, default_rng, seed
from .select import (ENV_VAR, Backend, BackendError, BackendWarning, array_module, available,
                     backend_of, check_same_backend, current, env_problem, names, register, sync,
                     to_device, to_numpy, unregister, use)

__all__ = [
    "Backend", "BackendError", "BackendWarning", "use", "current", "register", "unregister",
    "names", "probe", "env_problem", "available", "gpu_available",
    "gpu_problem", "to_numpy", "to_device", "array_module", "backend_of",
    "check_same_backend", "sync", "RNG", "seed", "default_rng", "info",
    "keep_freed_host_memory", "ENV_VAR", "INSTALL_HINT", "TOOLKIT_HINT",
    "Elementwise", "KernelCompileError", "Reduction", "fusion",
]


def __getattr__(attr):
    # ``minigan.backend.xp`` always answers the *current* namespace, so code that
    # reads it at call time follows a switch made with use().
    if attr == "xp":
        return current().xp
    raise AttributeError(f"module 'minigan.backend' has no attribute {attr!r}")
