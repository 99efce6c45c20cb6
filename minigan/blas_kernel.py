"""Which GEMM kernels OpenBLAS runs: AVX-512 ones on AMD processors it does not recognise.

NumPy's wheels ship OpenBLAS built for every x86 processor at once (DYNAMIC_ARCH): when
the library loads it reads the CPU's family and model and picks its kernels. OpenBLAS
0.3.31 knows AMD's families up to Zen 4 (0x19). A newer one, such as Zen 5 (family
0x1A, the EPYC 9005 series), falls back to the Haswell kernels, AVX2 only, although
the processor runs AVX-512. On such a 2-core EPYC the float32 GEMM peak is then 242
GFLOP/s instead of 462 with the SkylakeX kernels, and a DCGAN-28 iteration takes 78 ms
instead of 55 (docs/performance.md, "Which BLAS kernel").

So, before NumPy is first imported, :func:`choose` sets ``OPENBLAS_CORETYPE=SkylakeX``
when all of these hold; otherwise it changes nothing:

- NumPy is not loaded yet (afterwards the choice is made and cannot change);
- the user has not set ``OPENBLAS_CORETYPE`` (to keep OpenBLAS's own choice, set it to
  what OpenBLAS picks, e.g. ``OPENBLAS_CORETYPE=Haswell``) nor ``MINIGAN_BLAS_KERNEL=off``;
- the processor is an AMD of family 0x1A or later (Linux's /proc/cpuinfo), one OpenBLAS
  0.3.31 does not know, and it has all five AVX-512 subsets the SkylakeX kernels use
  (F, CD, BW, DQ, VL): without them those kernels would stop on an illegal instruction.

Other BLAS libraries (MKL, Accelerate) ignore the variable.
"""
from __future__ import annotations

import os
import sys

ENV_VAR = "OPENBLAS_CORETYPE"
OPT_OUT = "MINIGAN_BLAS_KERNEL"
KERNEL = "SkylakeX"
FIRST_UNKNOWN_AMD_FAMILY = 0x1A          # Zen 5: after OpenBLAS 0.3.31's newest (Zen 4, 0x19)
AVX512 = ("avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl")


def _first_cpu(cpuinfo: str) -> dict:
    """The fields of the first processor in a /proc/cpuinfo text."""
    fields = {}
    for line in cpuinfo.splitlines():
        if not line.strip():
            if fields:
                break
            continue
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return fields


def wanted(cpuinfo: str) -> bool:
    """Whether the processor described by ``cpuinfo`` should run the SkylakeX kernels."""
    cpu = _first_cpu(cpuinfo)
    try:
        family = int(cpu.get("cpu family", ""))
    except ValueError:
        return False
    flags = set(cpu.get("flags", "").split())
    return (cpu.get("vendor_id") == "AuthenticAMD" and family >= FIRST_UNKNOWN_AMD_FAMILY
            and all(f in flags for f in AVX512))


def choose(environ=None, modules=None, cpuinfo_path: str = "/proc/cpuinfo") -> str | None:
    """Set ``OPENBLAS_CORETYPE`` in ``environ`` (default ``os.environ``) as the module
    docstring says; returns the kernel set, or None when nothing was changed."""
    environ = os.environ if environ is None else environ
    modules = sys.modules if modules is None else modules
    if "numpy" in modules or ENV_VAR in environ:
        return None
    if environ.get(OPT_OUT, "").strip().lower() in ("0", "off", "no", "false"):
        return None
    try:
        with open(cpuinfo_path, encoding="utf-8", errors="replace") as f:
            text = f.read(1 << 16)
    except OSError:                     # not Linux, or no /proc: leave OpenBLAS to itself
        return None
    if not wanted(text):
        return None
    environ[ENV_VAR] = KERNEL
    return KERNEL


__all__ = ["choose", "wanted", "ENV_VAR", "OPT_OUT", "KERNEL"]
