"""Kernel launches and device syncs per GAN iteration, counted on the CPU fake of CuPy.

    python -m benchmarks.launches            # table
    python -m benchmarks.launches --json     # the figures as JSON
    python -m benchmarks.launches --ops 12   # and the operations that launch the most

A small GAN on a GPU is bound by kernel launches (each costs a few microseconds
of host time whatever its size) and ruined by device->host syncs (each stalls
the host until the queue drains). No machine of this project has a GPU, so
these counts, taken on ``tests/fakecupy`` (one launch per operation that writes
device memory, one sync per read of device memory by the host), are the GPU
speed this project can measure. One iteration = one D step (real and fake
batch) + one G step through the frozen D, the library's own trainer; the
trainer's loss flush (one sync per ``check_every`` steps) is outside it.

Models: the gaussian1d preset's MLPs (G 4 -> 32 -> 32 -> 1 ELU, D 1 -> 32 -> 32 -> 1
LeakyReLU, batch 256, Adam), DCGAN-28 (minigan.gan.dcgan28_generator /
dcgan28_discriminator, batch 64, Adam(2e-4, (0.5, 0.999))), the stylegan-mnist
preset's models (StyleGenerator widths 64/32/16 with style mixing, DCGAN's D without
batch norm, batch 32; its D step counted with the R1 penalty, which the preset runs
every 4th step) and the cyclegan-digits preset's (two ResNet generators, two
PatchGAN discriminators, batch 8, a full image pool of 50). A CycleGAN iteration is
one generator step (G and F together) and one discriminator step (D_A and D_B).
The "unfused" column counts the same iteration with minigan's fused kernels turned off
(``MINIGAN_FUSION=0``: every element-wise step its own kernel), the count before them.

The anchor: the two iterations of ``benchmarks.gan_step`` (DCGAN-28 at batch 64 and
the 2-D MLP GAN at batch 256, without the trainer's gradient norms, as PyTorch's example
runs them) are counted for minigan on the fake and for PyTorch eager with
``torch.profiler`` (benchmarks/torch_ops.py: its ATen operators that compute, one
CUDA kernel each in eager mode), when PyTorch is installed.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import minigan as mg  # noqa: E402
from minigan import optim  # noqa: E402
from minigan.gan import (GANTrainer, dcgan28_discriminator, dcgan28_generator,  # noqa: E402
                         get_objective)
from minigan.presets import PRESETS  # noqa: E402
from tests import fakecupy  # noqa: E402


def gaussian1d_trainer():
    """The gaussian1d preset's own trainer (its models, data, objective and Adam)."""
    from minigan.presets.build import build
    from minigan.presets.config import resolve
    return build(resolve(PRESETS["gaussian1d"]), None).trainer


def dcgan28_trainer(batch=64):
    rng = mg.backend.seed(0)
    G, D = dcgan28_generator(100), dcgan28_discriminator()
    return GANTrainer(G, D, get_objective("nonsaturating"),
                      optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999)),
                      optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999)),
                      sample_real=lambda n: rng.uniform((n, 1, 28, 28), -1.0, 1.0),
                      sample_noise=lambda n: rng.standard_normal((n, 100)), batch_size=batch)


def stylegan_trainer(batch=32):
    from minigan.gan.penalty import R1Penalty
    from minigan.gan.stylegan import StyleGenerator
    rng = mg.backend.seed(0)
    G = StyleGenerator(64, widths=(64, 32, 16), mixing=0.9, rng=mg.backend.RNG(1))
    D = dcgan28_discriminator(batchnorm=False)
    obj = get_objective("nonsaturating")
    obj.penalty, obj.critic_batchnorm = R1Penalty(0.5, every=4), False
    return GANTrainer(G, D, obj, optim.Adam(G.parameters(), lr=1e-3, betas=(0.0, 0.99)),
                      optim.Adam(D.parameters(), lr=1e-3, betas=(0.0, 0.99)),
                      sample_real=lambda n: rng.uniform((n, 1, 28, 28), -1.0, 1.0),
                      sample_noise=lambda n: rng.standard_normal((n, 64)), batch_size=batch)


def cyclegan_trainer(batch=8):
    from minigan.gan.cyclegan import CycleGANTrainer, patch_discriminator, resnet_generator
    rng = mg.backend.seed(0)
    G, F, D_A, D_B = resnet_generator(), resnet_generator(), patch_discriminator(), \
        patch_discriminator()
    tr = CycleGANTrainer(G, F, D_A, D_B,
                         optim.Adam(G.parameters() + F.parameters(), lr=2e-4, betas=(0.5, 0.999)),
                         optim.Adam(D_A.parameters() + D_B.parameters(), lr=2e-4,
                                    betas=(0.5, 0.999)),
                         lambda n: rng.uniform((n, 1, 28, 28), -1.0, 1.0),
                         lambda n: rng.uniform((n, 1, 28, 28), -1.0, 1.0), batch_size=batch)
    for _ in range(50 // batch + 1):        # fill the image pool: the steady state
        tr.iteration()
    return tr


def gan_step_trainer(model, batch):
    from benchmarks.gan_step import minigan_trainer
    return lambda: minigan_trainer(model, batch)


MODELS = {"gaussian1d MLP": gaussian1d_trainer, "DCGAN-28": dcgan28_trainer,
          "StyleGAN-lite": stylegan_trainer, "CycleGAN-28": cyclegan_trainer}
# the models PyTorch is counted on too: (benchmarks.gan_step's model, batch)
ANCHORED = {"DCGAN-28 gan_step": ("dcgan", 64), "MLP-2D gan_step": ("mlp", 256)}


def torch_count(model, batch):
    """PyTorch eager's kernel-launching operators per iteration, or None without torch."""
    try:
        import torch  # noqa: F401
    except ImportError:
        return None
    from benchmarks.torch_ops import torch_counts
    n, tally = torch_counts(model, batch)
    return {"launches": n, "by_op": dict(tally)}


def _parts(tr):
    """[(label, one step)] of an iteration: D step and G step, or the CycleGAN's two."""
    if hasattr(tr, "pool_a"):
        a, b = tr.sample_a(tr.batch_size), tr.sample_b(tr.batch_size)
        fakes = {}

        def g_step():
            _, fakes["b"], fakes["a"] = tr.g_step(a, b)
        return [("G step", g_step), ("D step", lambda: tr.d_step(a, b, fakes["a"], fakes["b"]))]
    # as GANTrainer.iteration runs them: with one D step, the G step reuses its fake batch
    keep = getattr(tr, "d_steps", 1) == 1
    return [("D step", lambda: tr.d_step(keep_fake=keep)), ("G step", tr.g_step)]


def count(make, fused: bool = True) -> dict:
    """Counts of one iteration after a warm-up iteration (which allocates workspaces);
    ``fused=False``: with minigan's fused kernels turned off (``MINIGAN_FUSION=0``)."""
    fakecupy.install()
    mg.backend.use("fakecupy")
    was = mg.backend.fusion(fused)
    try:
        return _count(make)
    finally:
        mg.backend.fusion(was)
        mg.backend.use("numpy")


def _count(make) -> dict:
    tr = make()
    for _, fn in _parts(tr):
        fn()
    out = {}
    for label, fn in _parts(tr):
        fakecupy.counters.reset()
        with fakecupy.no_sync(label):
            fn()
        out[label] = dict(fakecupy.counters.snapshot(), by_op=dict(fakecupy.counters.by_op))
    by_op = dict(out["D step"]["by_op"])
    for k, v in out["G step"]["by_op"].items():
        by_op[k] = by_op.get(k, 0) + v
    out["iteration"] = {k: out["D step"][k] + out["G step"][k]
                        for k in ("launches", "syncs", "transfers")}
    out["iteration"]["by_op"] = by_op
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument("--ops", type=int, default=0, help="also list the N operations launching most")
    p.add_argument("--no-torch", action="store_true", help="skip PyTorch's operator counts")
    args = p.parse_args(argv)
    makers = dict(MODELS, **{name: gan_step_trainer(*mb) for name, mb in ANCHORED.items()})
    results = {}
    for name, make in makers.items():
        results[name] = count(make)
        results[name]["unfused"] = count(make, fused=False)["iteration"]["launches"]
    for name, (model, batch) in ANCHORED.items():
        results[name]["pytorch"] = None if args.no_torch else torch_count(model, batch)
    if args.json:
        print(json.dumps(results, indent=2, sort_keys=True))
        return 0
    print(f"{'model':<18} {'part':<10} {'launches':>9} {'unfused':>8} {'syncs':>6} "
          f"{'h2d copies':>11} {'PyTorch ops':>12}")
    for name, r in results.items():
        for part in ("D step", "G step", "iteration"):
            c = r[part]
            last = part == "iteration"
            t = r.get("pytorch") if last else None
            ops = "" if t is None else str(t["launches"])
            unfused = str(r["unfused"]) if last else ""
            print(f"{name:<18} {part:<10} {c['launches']:>9} {unfused:>8} {c['syncs']:>6} "
                  f"{c['transfers']:>11} {ops:>12}")
    if args.ops:
        for name, r in results.items():
            top = sorted(r["iteration"]["by_op"].items(), key=lambda kv: -kv[1])[:args.ops]
            print(f"\n{name}: launches per operation in one iteration")
            for op, n in top:
                print(f"  {op:<24} {n:>5}")
            if r.get("pytorch"):
                top = sorted(r["pytorch"]["by_op"].items(), key=lambda kv: -kv[1])[:args.ops]
                print(f"{name}: PyTorch's operators in one iteration")
                for op, n in top:
                    print(f"  {op:<30} {n:>5}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
