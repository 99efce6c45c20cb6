"""Matching distributions directly (MMD) or through a discriminator (GAN).

A GAN compares the generated and the real distribution indirectly: D learns a function
that tells them apart, and G follows D's gradient. The generative moment matching
network (objective "mmd") has no D: G minimises the maximum mean discrepancy MMD^2
between a generated and a real batch directly, a fixed kernel two-sample statistic
(Gaussian kernels with the bandwidths of the data set). Both train on ring8 (8 Gaussians
of std 0.01 on a circle): the GAN is the ``ring8`` preset as tuned (LSGAN), the matching
network the same preset with objective "mmd" (no D; Adam(1e-3)); both for 4,000 steps
(the preset's 16,000 only sharpen the GAN's modes further). Writes:

  matching_network.png   2,500 final samples of each over the data and the mode centres,
                         and the MMD^2 between each run's snapshot (500 samples) and 500
                         real points over training (same kernel for both): the matching
                         network descends it smoothly, the GAN gets there its own way
  gan/, mmd/             the runs (metrics.json, history.csv, checkpoint.npz)

Summary, for both: MMD^2 of 1,000 generated against 1,000 real samples, modes covered
(of 8) and the high-quality percentage (as in mode_collapse).
"""
# %% [markdown]
# # Matching distributions directly (MMD) or through a discriminator (GAN)
#
# The generative moment matching network has no D: G minimises a fixed kernel
# two-sample statistic, MMD², between generated and real batches. A GAN learns the
# comparison instead. Both train on ring8 for 4,000 steps.

# %%
from __future__ import annotations

import os

import _common
from minigan import backend as B
from minigan import metrics, presets
from minigan.data import registry
from minigan.data import toy_dataset


# %% [markdown]
# ## One run, and its MMD² over training
#
# Train the `ring8` preset with the given objective, draw 2,500 samples, measure MMD² of
# 1,000 of them against 1,000 real points, and the MMD² of every snapshot (500 samples)
# against 500 real points with the same kernel (the data set's bandwidths). The final
# samples go to the run's panel, the curve to the shared third panel.

# %%
def one_run(args, ax, curves_ax, name: str, objective: str, length: dict, real, target) -> dict:
    bandwidths = registry.get("ring8").bandwidths
    m, run = _common.train(args, "ring8", name, {**length, "objective": objective},
                           pictures=False)
    x = presets.sample(run, 2500, os.path.join(run, "samples.npy"))
    mmd2 = metrics.mmd2(x[:1000], real[:1000], bandwidths=bandwidths)
    _, snaps = _common.read_run(run)
    curve = [(s, metrics.mmd2(xs, real[1000:1500], bandwidths=bandwidths)) for s, xs in snaps]
    label = "GAN (LSGAN)" if name == "gan" else "MMD matching network"
    print(f"{label:>20}: MMD^2 {mmd2:.4f}, {m['modes_covered']}/8 modes, "
          f"{m['high_quality_percent']:.1f}% high quality ({m['seconds']:.0f} s)")
    ax.scatter(real[:, 0], real[:, 1], s=3, c="grey", linewidths=0)
    ax.scatter(x[:, 0], x[:, 1], s=3, c="tab:blue", alpha=0.5, linewidths=0)
    ax.scatter(target.centers[:, 0], target.centers[:, 1], s=40, c="red", marker="x")
    ax.set_xlim(-1.6, 1.6)
    ax.set_ylim(-1.6, 1.6)
    ax.set_aspect("equal", adjustable="box")
    ax.set_title(f"{label}: MMD² {mmd2:.4f}, {m['modes_covered']}/8 modes, "
                 f"{m['high_quality_percent']:.0f}% HQ", fontsize=10)
    curves_ax.plot(*zip(*curve), "o-", label=label)
    return {"mmd2": mmd2, "modes": m["modes_covered"],
            "high_quality_percent": m["high_quality_percent"]}


# %% [markdown]
# ## The GAN and the matching network
#
# The GAN is the `ring8` preset as tuned (LSGAN), the matching network the same preset
# with objective "mmd" (Adam(1e-3)); `--quick` trains 300 steps of batch 128. The
# matching network descends MMD² smoothly, the GAN gets there its own way.

# %%
def main(argv=None) -> dict:
    args = _common.parse_args("matching_network", __doc__, argv)
    length = ({"steps": 300, "batch_size": 128, "sample_every": 50} if args.quick else
              {"steps": 4000, "sample_every": 250})
    target = toy_dataset("ring8")
    real = B.to_numpy(target.sample(2500, 7))
    fig, axes = _common.plt.subplots(1, 3, figsize=(16, 5))
    result = {}
    for ax, (name, objective) in zip(axes, (("gan", "lsgan"), ("mmd", "mmd"))):
        result[name] = one_run(args, ax, axes[2], name, objective, length, real, target)
    axes[2].set_yscale("symlog", linthresh=1e-4)
    axes[2].set_xlabel("step")
    axes[2].set_title("MMD² of each snapshot to the data")
    axes[2].legend()
    _common.save(fig, os.path.join(args.out, "matching_network.png"))
    return _common.summary(args, result)


# %%
if __name__ == "__main__":
    main()
