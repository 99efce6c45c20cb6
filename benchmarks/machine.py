"""Which processor and which BLAS kernel a benchmark ran on, so that figures from
different machines are never compared blind (printed by benchmarks.gan_step).

    python -m benchmarks.machine

- the CPU: its model name and the vector extensions that decide GEMM speed (AVX2,
  AVX-512, AMX), from /proc/cpuinfo;
- NumPy's BLAS: the library it was built with (``numpy.show_config``) and, for
  OpenBLAS, the kernel its runtime dispatch chose on this CPU and its thread count,
  asked from the loaded library itself (the ``*_get_corename`` / ``*_get_num_threads``
  calls threadpoolctl also uses), since a DYNAMIC_ARCH build picks its kernel at load;
- PyTorch's CPU capability (the ATen kernels it dispatches to) when it is installed.
"""
from __future__ import annotations

import ctypes
import os
import platform

VECTOR_FLAGS = ("avx2", "fma", "avx512f", "avx512_bf16", "avx512_vnni", "amx_tile")


def cpu() -> dict:
    info = {"model": platform.processor() or platform.machine(), "flags": [],
            "cpus": os.cpu_count()}
    try:
        with open("/proc/cpuinfo") as f:
            text = f.read()
    except OSError:
        return info
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name":
            info["model"] = value.strip()
        elif key.strip() == "flags":
            have = set(value.split())
            info["flags"] = [f for f in VECTOR_FLAGS if f in have]
            break
    return info


def _loaded_openblas() -> str | None:
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "openblas" in line.lower()}
    except OSError:
        return None
    paths = sorted(p for p in paths if p.startswith("/"))
    return paths[0] if paths else None


def _openblas_call(lib, suffix: str, restype):
    for prefix, tail in (("openblas_", ""), ("scipy_openblas_", "64_"), ("openblas_", "64_"),
                         ("scipy_openblas_", "")):
        fn = getattr(lib, f"{prefix}{suffix}{tail}", None)
        if fn is not None:
            fn.restype = restype
            return fn()
    return None


def blas() -> dict:
    import numpy
    out = {"numpy": numpy.__version__, "library": "unknown"}
    try:
        deps = numpy.show_config(mode="dicts").get("Build Dependencies", {})
        b = deps.get("blas", {})
        out["library"] = f"{b.get('name', '?')} {b.get('version', '')}".strip()
    except (TypeError, AttributeError):      # NumPy < 1.25 has no mode="dicts"
        pass
    path = _loaded_openblas()
    if path:
        try:
            lib = ctypes.CDLL(path)
            core = _openblas_call(lib, "get_corename", ctypes.c_char_p)
            out["kernel"] = core.decode() if core else None
            out["threads"] = _openblas_call(lib, "get_num_threads", ctypes.c_int)
        except OSError:
            pass
    return out


def torch_capability() -> str | None:
    try:
        import torch
    except ImportError:
        return None
    get = getattr(getattr(torch.backends, "cpu", None), "get_cpu_capability", None)
    return f"torch {torch.__version__}, ATen CPU capability {get() if get else '?'}"


def describe() -> str:
    c, b = cpu(), blas()
    kernel = f", kernel {b['kernel']}" if b.get("kernel") else ""
    threads = f", {b['threads']} threads" if b.get("threads") else ""
    line = (f"CPU {c['model']} ({c['cpus']} CPUs; {' '.join(c['flags']) or 'no AVX2'}); "
            f"numpy {b['numpy']} with {b['library']}{kernel}{threads}")
    t = torch_capability()
    return f"{line}; {t}" if t else line


if __name__ == "__main__":
    print(describe())
