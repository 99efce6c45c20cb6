"""Time of one GAN training step (one D update + one G update) for the small MLP GAN,
minigan on NumPy against PyTorch eager on the same CPU, interleaved.

    python -m benchmarks.mlp_gan                  # default threads
    python -m benchmarks.mlp_gan --threads 1

The model of the 2-D experiments: G 2 -> 128 -> 128 -> 2 (ReLU), D 2 -> 128 -> 128 -> 1
(LeakyReLU 0.2), batch 256, non-saturating loss, Adam(2e-4, (0.5, 0.999)), float32.
Both libraries do the same work: D on the real batch and on a fake batch (backward
after each), an Adam step; then G through a D that computes no parameter gradients,
an Adam step. The target (docs/performance.md) is a ratio <= 0.5.
"""
from __future__ import annotations

import argparse
import os
import sys


def _args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--rounds", type=int, default=15)
    p.add_argument("--block", type=int, default=20, help="steps per block (first not timed)")
    p.add_argument("--threads", type=int, default=None)
    return p.parse_args(argv)


ARGS = _args() if __name__ == "__main__" else None
if ARGS is not None and ARGS.threads is not None:
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(ARGS.threads)

import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import minigan as mg  # noqa: E402
from minigan import optim  # noqa: E402
from minigan.gan import GANTrainer, get_objective, mlp  # noqa: E402


def minigan_step_fn(batch, hidden):
    rng = mg.backend.seed(0)
    G = mlp([2, hidden, hidden, 2], "relu")
    D = mlp([2, hidden, hidden, 1], "leaky_relu")
    real = rng.standard_normal((batch, 2))
    tr = GANTrainer(G, D, get_objective("nonsaturating"),
                    optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999)),
                    optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999)),
                    sample_real=lambda n: real, sample_noise=lambda n: rng.standard_normal((n, 2)),
                    batch_size=batch)

    def step():
        tr.d_step()
        tr.g_step()
    return step


def torch_step_fn(batch, hidden):
    import torch
    from torch import nn as tnn

    torch.manual_seed(0)
    G = tnn.Sequential(tnn.Linear(2, hidden), tnn.ReLU(), tnn.Linear(hidden, hidden), tnn.ReLU(),
                       tnn.Linear(hidden, 2))
    D = tnn.Sequential(tnn.Linear(2, hidden), tnn.LeakyReLU(0.2), tnn.Linear(hidden, hidden),
                       tnn.LeakyReLU(0.2), tnn.Linear(hidden, 1))
    g_opt = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    d_opt = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = tnn.functional.binary_cross_entropy_with_logits
    real = torch.randn(batch, 2)
    ones, zeros = torch.ones(batch, 1), torch.zeros(batch, 1)

    def step():
        d_opt.zero_grad()
        with torch.no_grad():
            fake = G(torch.randn(batch, 2))
        bce(D(real), ones).backward()
        bce(D(fake), zeros).backward()
        d_opt.step()
        g_opt.zero_grad()
        for p in D.parameters():
            p.requires_grad_(False)
        bce(D(G(torch.randn(batch, 2))), ones).backward()
        for p in D.parameters():
            p.requires_grad_(True)
        g_opt.step()
    return step, torch


def _block(step, n):
    step()                      # absorbs the switch between libraries
    times = []
    for _ in range(n - 1):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    return times


def main():
    args = ARGS or _args()
    mine = minigan_step_fn(args.batch, args.hidden)
    try:
        theirs, torch = torch_step_fn(args.batch, args.hidden)
    except ImportError:
        theirs, torch = None, None
    for _ in range(10):
        mine()
        if theirs:
            theirs()
    tm, tt = [], []
    for r in range(args.rounds):
        order = [(mine, tm), (theirs, tt)] if r % 2 == 0 else [(theirs, tt), (mine, tm)]
        for fn, acc in order:
            if fn is not None:
                acc.extend(_block(fn, args.block))
    print(f"MLP GAN step (batch {args.batch}, hidden {args.hidden}x2, D+G update), "
          f"numpy {np.__version__}, python {sys.version.split()[0]}, "
          f"threads {'default' if args.threads is None else args.threads}")
    m = statistics.median(tm) * 1e3
    print(f"minigan median {m:.3f} ms  (min {min(tm) * 1e3:.3f} ms)")
    if theirs:
        t = statistics.median(tt) * 1e3
        print(f"torch {torch.__version__} median {t:.3f} ms  (min {min(tt) * 1e3:.3f} ms, "
              f"{torch.get_num_threads()} threads)")
        print(f"ratio minigan/torch: median {m / t:.2f}, min {min(tm) / min(tt):.2f}")
    else:
        print("PyTorch not installed: no comparison")


if __name__ == "__main__":
    main()
