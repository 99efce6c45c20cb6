"""Forward + backward time of the DCGAN-shaped layers: minigan's fast ops, the naive
loop reference, and PyTorch (when installed) on the same machine, interleaved.

    python -m benchmarks.layers                 # numpy's and torch's default threads
    python -m benchmarks.layers --threads 1     # pin both to one thread
    python -m benchmarks.layers --repeats 20 --dtype float64

Batch 64, kernel 4, stride 2, padding 1 (the DCGAN digit model):
    conv  1 -> 64   28 -> 14        conv  64 -> 128  14 -> 7
    tconv 128 -> 64  7 -> 14        tconv 64 -> 1    14 -> 28
Each timed step is ``y = layer(x); layer.backward(dy)`` (PyTorch: ``layer(x).backward(dy)``
with x.requires_grad, so both compute dx, dW and db).  Medians over all timed steps; the
ratio is minigan / PyTorch (below 1 means minigan is faster); "min ratio" compares the
fastest steps instead, which bursts of load from other processes disturb less.  The
naive reference runs on a batch of 2 and is scaled up to the full batch (its cost is
linear in it).
Without PyTorch the comparison columns say "-".  Results: docs/performance.md.
"""
from __future__ import annotations

import argparse
import os
import sys


def _args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--repeats", type=int, default=12, help="rounds per layer; each round runs one "
                   "block of steps per library, alternating which goes first")
    p.add_argument("--block", type=int, default=6, help="steps per block; the first step of each "
                   "block is not timed (it absorbs the switch between libraries)")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--naive-batch", type=int, default=2)
    p.add_argument("--naive-repeats", type=int, default=3)
    p.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    p.add_argument("--threads", type=int, default=None,
                   help="pin BLAS/OpenMP threads of numpy and torch (default: their own defaults)")
    p.add_argument("--no-torch", action="store_true", help="skip the PyTorch comparison")
    p.add_argument("--backend", default=None,
                   help="numpy, cupy, auto, or fakecupy (the tests' CPU fake of CuPy); default: "
                        "$MINIGAN_BACKEND or numpy. Off NumPy only minigan is timed")
    p.add_argument("--no-naive", action="store_true", help="skip the naive loop reference")
    return p.parse_args(argv)


ARGS = _args() if __name__ == "__main__" else None
if ARGS is not None and ARGS.threads is not None:
    # Must happen before numpy (OpenBLAS) and torch (OpenMP, MKL) are imported.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(ARGS.threads)

import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import minigan as mg  # noqa: E402
from minigan import nn  # noqa: E402

LAYERS = [
    # name, kind, in, out, input size
    ("conv 1->64, 28->14", "conv", 1, 64, 28),
    ("conv 64->128, 14->7", "conv", 64, 128, 14),
    ("tconv 128->64, 7->14", "tconv", 128, 64, 7),
    ("tconv 64->1, 14->28", "tconv", 64, 1, 14),
]


def _make(kind, cin, cout):
    if kind == "conv":
        return nn.Conv2d(cin, cout, 4, stride=2, padding=1)
    return nn.ConvTranspose2d(cin, cout, 4, stride=2, padding=1)


def _median_ms(times):
    return 1e3 * statistics.median(times)


def _timer(fn):
    def timed():
        mg.backend.sync()
        t0 = time.perf_counter()
        fn()
        mg.backend.sync()
        return time.perf_counter() - t0
    return timed


def _torch_step(torch, kind, cin, cout, layer, x, dy):
    mod = (torch.nn.Conv2d(cin, cout, 4, 2, 1) if kind == "conv"
           else torch.nn.ConvTranspose2d(cin, cout, 4, 2, 1)).to(getattr(torch, ARGS.dtype))
    with torch.no_grad():                    # the same weights as minigan's layer
        mod.weight.copy_(torch.from_numpy(mg.backend.to_numpy(layer.weight.data)))
        mod.bias.copy_(torch.from_numpy(mg.backend.to_numpy(layer.bias.data)))
    xt = torch.from_numpy(np.ascontiguousarray(x)).requires_grad_()
    dyt = torch.from_numpy(np.ascontiguousarray(dy))

    def step():
        xt.grad = None
        mod(xt).backward(dyt)
    return step


def _naive_ms(kind, layer, x, dy):
    from tests.reference.conv_ref import (conv2d_backward_ref, conv2d_ref,
                                          conv_transpose2d_backward_ref, conv_transpose2d_ref)
    n = ARGS.naive_batch
    w, b = mg.backend.to_numpy(layer.weight.data), mg.backend.to_numpy(layer.bias.data)
    xs, dys = np.ascontiguousarray(x[:n]), np.ascontiguousarray(dy[:n])
    if kind == "conv":
        def step():
            conv2d_ref(xs, w, b, 2, 1)
            conv2d_backward_ref(dys, xs, w, 2, 1)
    else:
        def step():
            conv_transpose2d_ref(xs, w, b, 2, 1)
            conv_transpose2d_backward_ref(dys, xs, w, 2, 1)
    times = [_timer(step)() for _ in range(ARGS.naive_repeats)]
    return _median_ms(times) * ARGS.batch / n


def _machine(torch):
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    blas = "?"
    try:
        cfg = np.show_config(mode="dicts")
        info = cfg["Build Dependencies"]["blas"]
        blas = f"{info.get('name')} {info.get('version')}"
    except Exception:
        pass
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    lines = [f"machine: {cpu}, {os.cpu_count()} logical CPUs, {platform.platform()}, "
             f"load average {load}",
             f"python {platform.python_version()}, numpy {np.__version__} ({blas}), "
             f"minigan backend {mg.backend.current().name}, dtype {ARGS.dtype}, batch {ARGS.batch}",
             "threads: " + ("numpy's and torch's defaults (OPENBLAS/OMP/MKL_NUM_THREADS unset)"
                            if ARGS.threads is None else f"pinned to {ARGS.threads}")]
    if torch is not None:
        lines.append(f"torch {torch.__version__}, torch.get_num_threads() = {torch.get_num_threads()}")
    else:
        lines.append("torch: not installed (or --no-torch): comparison skipped")
    return "\n".join(lines)


def _select_backend(name):
    if name == "fakecupy":
        sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        from tests import fakecupy
        fakecupy.install()
    if name:
        mg.backend.use(name)


def main():
    _select_backend(ARGS.backend)
    mg.backend.keep_freed_host_memory()       # as the entry points that train do
    torch = None
    # The comparison is CPU against CPU; on another backend only minigan is timed.
    if not ARGS.no_torch and mg.backend.current().name == "numpy":
        try:
            import torch
        except ImportError:
            torch = None
    print(_machine(torch))
    print(f"median forward+backward step (ms): {ARGS.repeats} alternating rounds of "
          f"{ARGS.block} steps per library, first step of each block untimed\n")
    head = (f"{'layer':<22} {'minigan':>9} {'torch':>9} {'ratio':>7} {'min ratio':>10} "
            f"{'naive (x' + str(ARGS.batch // ARGS.naive_batch) + ')':>12} {'vs naive':>9}")
    print(head)
    print("-" * len(head))
    rng = np.random.default_rng(0)
    dtype = np.dtype(ARGS.dtype)
    mg.backend.seed(0)
    for name, kind, cin, cout, size in LAYERS:
        layer = _make(kind, cin, cout).astype(dtype)
        x = rng.standard_normal((ARGS.batch, cin, size, size)).astype(dtype)
        xd = mg.backend.to_device(x)
        y = layer(xd)
        dy = rng.standard_normal(y.shape).astype(dtype)
        dyd = mg.backend.to_device(dy)
        layer.backward(dyd)

        def step(layer=layer, xd=xd, dyd=dyd):
            layer(xd)
            layer.backward(dyd)
        ours = _timer(step)
        theirs = _timer(_torch_step(torch, kind, cin, cout, layer, x, dy)) if torch else None
        for _ in range(ARGS.warmup):
            ours()
            theirs and theirs()
        t_ours, t_theirs = [], []
        for r in range(ARGS.repeats):
            # Blocks, not single steps: idle BLAS/OpenMP worker threads of one library keep
            # spinning for a while after its call and would be billed to the other one.
            # Alternate who goes first, so neither always runs on a warmer cache.
            order = ((ours, t_ours), (theirs, t_theirs))
            for fn, times in (order if r % 2 == 0 else order[::-1]):
                if fn is None:
                    continue
                fn()
                times.extend(fn() for _ in range(ARGS.block - 1))
        ms = _median_ms(t_ours)
        naive = None if ARGS.no_naive else _naive_ms(kind, layer, x, dy)
        if t_theirs:
            tms = _median_ms(t_theirs)
            # The ratio of the fastest steps is less sensitive to bursts of load elsewhere.
            cmp = f"{tms:9.2f} {ms / tms:7.2f} {min(t_ours) / min(t_theirs):10.2f}"
        else:
            cmp = f"{'-':>9} {'-':>7} {'-':>10}"
        tail = f"{'-':>12} {'-':>9}" if naive is None else f"{naive:12.0f} {naive / ms:8.0f}x"
        print(f"{name:<22} {ms:9.2f} {cmp} {tail}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
