"""Time of one whole GAN training iteration, minigan against PyTorch eager on the same CPU.

    python -m benchmarks.gan_step                    # both models, default threads
    python -m benchmarks.gan_step --threads 1        # pin both libraries to one thread
    python -m benchmarks.gan_step --model dcgan      # only DCGAN-28 (or: mlp)
    python -m benchmarks.gan_step --sweep-plot docs/images/gan_step_batch.png
    python -m benchmarks.gan_step --backend cupy     # minigan on a GPU (no comparison)
    python -m benchmarks.gan_step --processes        # also: each library in its own process
    python -m benchmarks.gan_step --against /tmp/old # this checkout's minigan against another's

One iteration, in both libraries, as PyTorch's DCGAN example does it: a fake batch from
G; D's loss on a real batch and on the fake batch (backward after each), a D update;
then G's loss through D (D's parameters frozen) on the same fake batch, backward into
G, a G update. Non-saturating BCE with logits, Adam(2e-4, betas (0.5, 0.999)), float32.
minigan runs its own trainer (``GANTrainer.iteration``) and builders:

(a) DCGAN-28, batch 64 - G: Linear 100 -> 128*7*7, BatchNorm1d, ReLU, Unflatten,
    ConvTranspose2d 128 -> 64 k4 s2 p1, BatchNorm2d, ReLU, ConvTranspose2d 64 -> 1 k4 s2 p1,
    Tanh; D: Conv2d 1 -> 64 k4 s2 p1, LeakyReLU 0.2, Conv2d 64 -> 128 k4 s2 p1, BatchNorm2d,
    LeakyReLU 0.2, Flatten, Linear 128*7*7 -> 1;
(b) the MLP GAN on 2-D data: G 2 -> 128 -> 128 -> 2 (ReLU), D 2 -> 128 -> 128 -> 1
    (LeakyReLU 0.2), batch 256.

The libraries alternate in blocks (the first iteration of each block is not timed, so one
library's idle worker threads do not bill the other); reported: medians, the ratio
minigan / PyTorch of the medians with the spread of the per-block ratios, the achieved
GFLOP/s (GEMM work of the iteration / time) next to the machine's measured peak (a large
float32 matrix product), peak memory of each (extra resident memory of a fresh process
running 30 iterations, with its time and page faults there: each library alone, with its
own allocator settings), page faults per iteration, and with --sweep-plot the time per
iteration over batch sizes
16 ... 512. Targets (docs/performance.md): (a) ratio <= 0.8, (b) ratio <= 0.5, peak memory
no more than PyTorch's. Never asserted by a test.
"""
from __future__ import annotations

import argparse
import json
import os
import sys


def _args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", choices=["dcgan", "mlp", "both"], default="both")
    p.add_argument("--blocks", type=int, default=7, help="interleaved blocks per library")
    p.add_argument("--block", type=int, default=6, help="iterations per block (first untimed)")
    p.add_argument("--threads", type=int, default=None, help="pin BLAS/OpenMP threads of both")
    p.add_argument("--backend", default=None, help="minigan's backend (numpy, cupy, fakecupy)")
    p.add_argument("--no-torch", action="store_true")
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory processes")
    p.add_argument("--no-sweep", action="store_true", help="(kept for scripts) no batch sweep")
    p.add_argument("--sweep-plot", default=None, help="PNG: time per iteration over batch sizes")
    p.add_argument("--json", default=None, help="write the figures to this JSON file")
    p.add_argument("--processes", action="store_true",
                   help="also compare with each library in its own process (own allocator settings)")
    p.add_argument("--memory-child", nargs=3, metavar=("LIB", "MODEL", "BATCH"), help=argparse.SUPPRESS)
    p.add_argument("--against", default=None, metavar="DIR",
                   help="compare minigan with the minigan of another checkout (e.g. a git "
                        "worktree of an older commit), each in its own process")
    p.add_argument("--serve", nargs=3, metavar=("LIB", "MODEL", "BATCH"), help=argparse.SUPPRESS)
    p.add_argument("--minigan-from", default=None, help=argparse.SUPPRESS)
    return p.parse_args(argv)


ARGS = _args() if __name__ == "__main__" else None
if ARGS is not None and ARGS.threads is not None:
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(ARGS.threads)
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ARGS is not None and ARGS.minigan_from:
    sys.path.insert(0, os.path.abspath(ARGS.minigan_from))     # a server timing another checkout

import platform  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import minigan as mg  # noqa: E402
from minigan import optim  # noqa: E402
from minigan.gan import (GANTrainer, dcgan28_discriminator, dcgan28_generator,  # noqa: E402
                         get_objective, mlp)

MODELS = {"dcgan": 64, "mlp": 256}


# ---------------------------------------------------------------- minigan

def minigan_trainer(model: str, batch: int):
    """minigan's trainer for the iteration above: its builders, Adam, no diagnostics."""
    rng = mg.backend.seed(0)
    if model == "dcgan":
        G, D = dcgan28_generator(100), dcgan28_discriminator()
        real = rng.uniform((batch, 1, 28, 28), -1.0, 1.0)
        noise = lambda n: rng.standard_normal((n, 100))            # noqa: E731
    else:
        G, D = mlp([2, 128, 128, 2], "relu"), mlp([2, 128, 128, 1], "leaky_relu")
        real = rng.standard_normal((batch, 2))
        noise = lambda n: rng.standard_normal((n, 2))              # noqa: E731
    return GANTrainer(G, D, get_objective("nonsaturating"),
                      optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999)),
                      optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999)),
                      sample_real=lambda n: real, sample_noise=noise, batch_size=batch,
                      grad_norms=False)


def minigan_iteration(model: str, batch: int):
    # the entry points' allocator setting (minigan.backend.keep_freed_host_memory), as
    # `minigan train` makes it
    mg.backend.keep_freed_host_memory()
    tr = minigan_trainer(model, batch)

    def step():
        tr.iteration()
        mg.backend.sync()
    return step


# ---------------------------------------------------------------- PyTorch

def torch_models(torch, model):
    tnn = torch.nn
    if model == "dcgan":
        G = tnn.Sequential(tnn.Linear(100, 128 * 7 * 7), tnn.BatchNorm1d(128 * 7 * 7), tnn.ReLU(),
                           tnn.Unflatten(1, (128, 7, 7)), tnn.ConvTranspose2d(128, 64, 4, 2, 1),
                           tnn.BatchNorm2d(64), tnn.ReLU(), tnn.ConvTranspose2d(64, 1, 4, 2, 1),
                           tnn.Tanh())
        D = tnn.Sequential(tnn.Conv2d(1, 64, 4, 2, 1), tnn.LeakyReLU(0.2),
                           tnn.Conv2d(64, 128, 4, 2, 1), tnn.BatchNorm2d(128), tnn.LeakyReLU(0.2),
                           tnn.Flatten(), tnn.Linear(128 * 7 * 7, 1))
        return G, D, (1, 28, 28), 100
    G = tnn.Sequential(tnn.Linear(2, 128), tnn.ReLU(), tnn.Linear(128, 128), tnn.ReLU(),
                       tnn.Linear(128, 2))
    D = tnn.Sequential(tnn.Linear(2, 128), tnn.LeakyReLU(0.2), tnn.Linear(128, 128),
                       tnn.LeakyReLU(0.2), tnn.Linear(128, 1))
    return G, D, (2,), 2


def torch_iteration(model: str, batch: int, foreach: bool | None = None):
    """PyTorch's iteration; ``foreach``: Adam's multi-tensor path (None: PyTorch's default
    for the device, which is the per-parameter loop on the CPU)."""
    import torch
    torch.manual_seed(0)
    G, D, shape, latent = torch_models(torch, model)
    g_opt = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999), foreach=foreach)
    d_opt = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999), foreach=foreach)
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    real = torch.rand((batch,) + shape) * 2 - 1
    ones, zeros = torch.ones(batch, 1), torch.zeros(batch, 1)

    def step():
        fake = G(torch.randn(batch, latent))
        d_opt.zero_grad()
        bce(D(real), ones).backward()
        bce(D(fake.detach()), zeros).backward()
        d_opt.step()
        g_opt.zero_grad()
        for p in D.parameters():
            p.requires_grad_(False)
        bce(D(fake), ones).backward()
        for p in D.parameters():
            p.requires_grad_(True)
        g_opt.step()
    return step, torch


# ---------------------------------------------------------------- measuring

def gemm_flops(model: str, batch: int) -> float:
    """Multiply-add work (2 flops each) of the GEMMs of one iteration: every layer's forward,
    input gradient and weight gradient where the iteration computes them."""
    if model == "mlp":
        g = [(2, 128), (128, 128), (128, 2)]
        d = [(2, 128), (128, 128), (128, 1)]
        per = lambda layers: sum(a * b for a, b in layers) * batch * 2            # noqa: E731
        # G: 1 forward + 1 backward (dx, dW); D: 3 forwards, 2 backwards (dx, dW), 1 frozen (dx)
        return per(g) * 3 + per(d) * (3 + 2 * 2 + 1)
    n = batch
    lin_g = 100 * 6272
    t1 = 7 * 7 * 128 * 64 * 16          # tconv 128->64: per sample, the scatter form's MACs
    t2 = 14 * 14 * 64 * 1 * 16
    c1 = 14 * 14 * 64 * 1 * 16
    c2 = 7 * 7 * 128 * 64 * 16
    lin_d = 6272
    g = lin_g + t1 + t2
    d = c1 + c2 + lin_d
    return 2 * n * (g * 3 + d * (3 + 2 * 2 + 1))


def machine_peak() -> float:
    a = np.random.default_rng(0).standard_normal((2048, 2048)).astype(np.float32)
    a @ a
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        a @ a
        best = min(best, time.perf_counter() - t)
    return 2 * 2048 ** 3 / best / 1e9


def _faults() -> int:
    """Minor page faults of this process so far (memory the kernel had to map in)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def _block(step, n):
    """One block: a warm-up iteration, then n - 1 timed ones. Returns (their times, their
    page faults per iteration)."""
    step()
    times = []
    f0 = _faults()
    for _ in range(n - 1):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    return times, (_faults() - f0) / (n - 1)


def _step_of(lib, model, batch):
    """One library's iteration function ("torch" or "minigan")."""
    return torch_iteration(model, batch)[0] if lib == "torch" else minigan_iteration(model, batch)


def _alternate(run, blocks, block):
    """Blocks of ``run["m"]`` (minigan) and ``run["t"]`` (the other side, or None), each a
    function n -> (times, faults per iteration); the side that goes first alternates from
    block to block. Returns medians, the ratio of the medians with the per-block ratios,
    and the median page faults."""
    times, faults, ratios = {"m": [], "t": []}, {"m": [], "t": []}, []
    for r in range(blocks):
        med = {}
        for key in (("m", "t") if r % 2 == 0 else ("t", "m")):
            if run[key] is None:
                continue
            t, f = run[key](block)
            times[key] += t
            faults[key].append(f)
            med[key] = statistics.median(t)
        if "t" in med:
            ratios.append(med["m"] / med["t"])
    tm, tt = times["m"], times["t"]
    out = {"minigan_ms": 1e3 * statistics.median(tm), "minigan_min_ms": 1e3 * min(tm),
           "minigan_faults": statistics.median(faults["m"])}
    if tt:
        out.update(torch_ms=1e3 * statistics.median(tt), torch_min_ms=1e3 * min(tt),
                   torch_faults=statistics.median(faults["t"]),
                   ratio=statistics.median(tm) / statistics.median(tt),
                   ratio_blocks=[round(x, 3) for x in ratios])
    return out


def compare(model, batch, blocks, block, torch_on=True):
    """Both libraries interleaved in this process."""
    mine = minigan_iteration(model, batch)
    theirs = None
    if torch_on:
        try:
            theirs, _ = torch_iteration(model, batch)
        except ImportError:
            theirs = None
    for _ in range(3):
        mine()
        theirs and theirs()
    run = {"m": lambda n: _block(mine, n), "t": theirs and (lambda n: _block(theirs, n))}
    return {"model": model, "batch": batch, **_alternate(run, blocks, block)}


def block_server(lib, model, batch):
    """One library in its own process (its own allocator settings): read "n" lines from
    stdin, run a block of n iterations, answer with a JSON line of times and page faults."""
    step = _step_of(lib, model, batch)
    for _ in range(3):
        step()
    for line in sys.stdin:
        times, faults = _block(step, int(line))
        print(json.dumps({"times": times, "faults": faults}), flush=True)


def compare_processes(model, batch, blocks, block, against=None):
    """As :func:`compare`, but each library runs in a process of its own, so each keeps its
    own allocator settings; the blocks still alternate, one process waiting while the other
    runs. With ``against`` (a folder holding another checkout) the second process times
    that checkout's minigan instead of PyTorch (reported in the ``torch_*`` fields)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    cmd = [sys.executable, "-m", "benchmarks.gan_step", "--serve"]
    second = (["m", model, str(batch), "--minigan-from", against] if against
              else ["t", model, str(batch)])
    procs = {"m": subprocess.Popen(cmd + ["m", model, str(batch)], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, text=True, cwd=root),
             "t": subprocess.Popen(cmd + second, stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, text=True, cwd=root)}

    def remote(p):
        def run(n):
            p.stdin.write(f"{n}\n")
            p.stdin.flush()
            answer = json.loads(p.stdout.readline())
            return answer["times"], answer["faults"]
        return run

    try:
        return _alternate({k: remote(p) for k, p in procs.items()}, blocks, block)
    finally:
        for p in procs.values():
            p.stdin.close()
            p.wait()


def _kib(field):
    """VmRSS or VmHWM (peak) of this process in KiB. ru_maxrss would not do: Linux carries
    it over from the parent across fork and exec, so a child of a big parent reads the
    parent's peak."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def memory_child(lib, model, batch):
    """Print the extra resident memory (MiB) of 30 iterations over the post-import baseline,
    and the median time and page faults of iterations 11-30: one library alone in a fresh
    process, with its own allocator settings (in the interleaved comparison both libraries
    share one process, and so minigan's allocator setting, backend.keep_freed_host_memory)."""
    if lib == "torch":
        import torch  # noqa: F401
    base = _kib("VmRSS")
    step = _step_of(lib, model, batch)
    for _ in range(10):
        step()
    times, faults = _block(step, 21)
    print(json.dumps({"extra_mib": (_kib("VmHWM") - base) / 1024,
                      "alone_ms": 1e3 * statistics.median(times), "alone_faults": faults}))


def peak_memory(model, batch, libs):
    out = {}
    for lib in libs:
        r = subprocess.run([sys.executable, "-m", "benchmarks.gan_step", "--memory-child", lib,
                            model, str(batch)], capture_output=True, text=True,
                           cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        try:
            out[lib] = json.loads(r.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            out[lib] = None
    return out


def sweep(path, blocks, block, torch_on):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    sizes = [16, 32, 64, 128, 256, 512]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    rows = []
    for ax, model in zip(axes, ("dcgan", "mlp")):
        res = [compare(model, b, max(3, blocks // 2), block, torch_on) for b in sizes]
        rows += res
        ax.plot(sizes, [r["minigan_ms"] for r in res], "o-", label="minigan (NumPy)")
        if "torch_ms" in res[0]:
            ax.plot(sizes, [r["torch_ms"] for r in res], "s--", label="PyTorch eager")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("batch size")
        ax.set_ylabel("ms per iteration")
        ax.set_title({"dcgan": "DCGAN-28", "mlp": "MLP GAN (2-D)"}[model])
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return rows


def _header(args) -> bool:
    """Print the machine and versions line; whether PyTorch is compared."""
    torch_on = not args.no_torch and mg.backend.current().name == "numpy"
    try:
        import torch
        torch_version = f"torch {torch.__version__} ({torch.get_num_threads()} threads)"
    except ImportError:
        torch_on, torch_version = False, "torch not installed: no comparison"
    from benchmarks.machine import describe
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(describe())
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, load {load}; "
          f"python {platform.python_version()}, numpy {np.__version__}; {torch_version}; "
          f"minigan backend {mg.backend.current().name}; threads "
          f"{'default' if args.threads is None else args.threads}")
    return torch_on


def _result_line(model, batch, r) -> str:
    """The figures of one model, as printed."""
    line = f"{model:<6} batch {batch:>3}: minigan {r['minigan_ms']:8.2f} ms"
    if "torch_ms" in r:
        rb = r["ratio_blocks"]
        line += (f"  torch {r['torch_ms']:8.2f} ms  ratio {r['ratio']:.2f} "
                 f"(blocks {min(rb):.2f}-{max(rb):.2f})")
    line += f"  {r['gflops']:.1f} GFLOP/s"
    line += f"\n{'':<17}page faults per iteration: minigan {r['minigan_faults']:.0f}"
    if "torch_faults" in r:
        line += f", torch {r['torch_faults']:.0f}"
    if "alone" in r:
        line += f"\n{'':<17}peak extra MiB " + ", ".join(
            f"{k} {v:.0f}" if v is not None else f"{k} ?" for k, v in r["peak_extra_mib"].items())
        line += f"\n{'':<17}each alone in a fresh process: " + ", ".join(
            f"{k} {v['alone_ms']:.1f} ms ({v['alone_faults']:.0f} faults)" if v else f"{k} ?"
            for k, v in r["alone"].items())
    return line


def main(argv=None) -> int:
    args = ARGS or _args(argv)
    if args.memory_child:
        lib, model, batch = args.memory_child
        memory_child(lib, model, int(batch))
        return 0
    if args.serve:
        lib, model, batch = args.serve
        block_server("torch" if lib == "t" else "minigan", model, int(batch))
        return 0
    if args.backend == "fakecupy":
        from tests import fakecupy
        fakecupy.install()
    if args.backend:
        mg.backend.use(args.backend)
    torch_on = _header(args)
    peak = machine_peak() if mg.backend.current().name == "numpy" else None
    if peak:
        print(f"machine peak (float32 2048^2 matmul): {peak:.1f} GFLOP/s")
    models = ["dcgan", "mlp"] if args.model == "both" else [args.model]
    if args.against:
        for model in models:
            r = compare_processes(model, MODELS[model], args.blocks, args.block, args.against)
            rb = r["ratio_blocks"]
            print(f"{model:<6} batch {MODELS[model]:>3}: this checkout {r['minigan_ms']:.2f} ms "
                  f"({r['minigan_faults']:.0f} faults), {args.against} {r['torch_ms']:.2f} ms "
                  f"({r['torch_faults']:.0f} faults), ratio {r['ratio']:.2f} "
                  f"(blocks {min(rb):.2f}-{max(rb):.2f})")
        return 0
    results = []
    for model in models:
        batch = MODELS[model]
        r = compare(model, batch, args.blocks, args.block, torch_on)
        r["gflops"] = gemm_flops(model, batch) / (r["minigan_ms"] / 1e3) / 1e9
        if "torch_ms" in r:
            r["torch_gflops"] = gemm_flops(model, batch) / (r["torch_ms"] / 1e3) / 1e9
        if not args.no_memory and mg.backend.current().name == "numpy":
            # each library alone in a fresh process: its peak memory, time and page faults
            alone = r["alone"] = peak_memory(model, batch, ["minigan"] + (["torch"] if torch_on else []))
            r["peak_extra_mib"] = {k: (v or {}).get("extra_mib") for k, v in alone.items()}
        results.append(r)
        line = _result_line(model, batch, r)
        if args.processes and torch_on:
            sep = r["separate_processes"] = compare_processes(model, batch, args.blocks, args.block)
            rb = sep["ratio_blocks"]
            line += (f"\n{'':<17}each in its own process, alternating: minigan "
                     f"{sep['minigan_ms']:.2f} ms ({sep['minigan_faults']:.0f} faults), torch "
                     f"{sep['torch_ms']:.2f} ms ({sep['torch_faults']:.0f} faults), ratio "
                     f"{sep['ratio']:.2f} (blocks {min(rb):.2f}-{max(rb):.2f})")
        print(line)
        sys.stdout.flush()
    out = {"results": results, "machine_peak_gflops": peak}
    if args.sweep_plot:
        out["sweep"] = sweep(args.sweep_plot, args.blocks, args.block, torch_on)
        print(f"batch-size sweep written to {args.sweep_plot}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
