"""The 1-D Gaussian GAN: a generator learns N(4, 1.25^2) from uniform noise.

Trains the ``gaussian1d`` preset (two small MLPs, non-saturating loss) and writes:

  histogram.gif   the histogram of generated samples over the target density (red), one
                  frame per snapshot: watch the narrow spike of a fresh generator move to
                  4 and widen until it fills the red curve
  histogram.png   20,000 samples of the trained generator over the target density
  moments.png     the generated mean and standard deviation per snapshot, with the
                  target's 4 and 1.25 dashed: the mean is found first, the spread later
  gaussian1d/     the run itself (metrics.json, history.csv, checkpoint.npz)

It prints the mean and std per snapshot as a table. Summary: the final mean, std and
W1 distance to the target (on 20,000 samples in a full run).
"""
# %% [markdown]
# # The first GAN: a 1-D Gaussian
#
# A generator turns uniform noise into samples of N(4, 1.25²); a discriminator tells
# them from real ones. Both are small MLPs, and the `gaussian1d` preset trains them with
# the non-saturating loss. The run keeps a snapshot of 500 samples at regular steps, so
# that the histograms and moments below can be drawn after training.

# %%
from __future__ import annotations

import os

import numpy

import _common
from minigan import animate, presets
from minigan.data import toy_dataset


# %% [markdown]
# ## The moments over training
#
# The mean and standard deviation of each snapshot, printed as a table and drawn against
# the target's 4 and 1.25: the mean is found first, the spread later.

# %%
def moments(args, snaps) -> None:
    steps = numpy.array([s for s, _ in snaps])
    means = numpy.array([float(x.mean()) for _, x in snaps])
    stds = numpy.array([float(x.std()) for _, x in snaps])
    print(f"{'step':>6} {'mean':>8} {'std':>8}   (target 4, 1.25)")
    for s, mu, sd in zip(steps, means, stds):
        print(f"{s:>6d} {mu:>8.3f} {sd:>8.3f}")

    fig, ax = _common.plt.subplots(figsize=(6.4, 3.6))
    ax.plot(steps, means, "o-", color="tab:blue", label="generated mean")
    ax.plot(steps, stds, "s-", color="tab:green", label="generated std")
    ax.axhline(4.0, color="tab:blue", ls="--", lw=1, label="target mean 4")
    ax.axhline(1.25, color="tab:green", ls="--", lw=1, label="target std 1.25")
    ax.set_xlabel("step")
    ax.set_title("gaussian1d: moments of 500 samples per snapshot")
    ax.legend(fontsize=8)
    _common.save(fig, os.path.join(args.out, "moments.png"))


# %% [markdown]
# ## Train, then draw
#
# `--quick` trains 800 steps instead of the preset's 3,000. The snapshots become
# histogram.gif (the narrow spike of a fresh generator moves to 4 and widens until it
# fills the red curve); the trained generator draws histogram.png; the summary holds the
# final mean, std and W1 distance to the target.

# %%
def main(argv=None) -> dict:
    args = _common.parse_args("gaussian_1d", __doc__, argv)
    overrides = {"steps": 800, "eval_samples": 2000, "sample_every": 100} if args.quick else {}
    m, run = _common.train(args, "gaussian1d", overrides=overrides, pictures=False)
    target = toy_dataset("gaussian1d")

    _, snaps = _common.read_run(run)
    gif = animate.samples_gif(snaps, os.path.join(args.out, "histogram.gif"), "histogram",
                              pdf=target.pdf, title="generated vs N(4, 1.25²)")
    png = os.path.join(args.out, "histogram.png")
    presets.sample(run, 2000 if args.quick else 20000, png)
    _common.show(gif)
    _common.show(png)
    moments(args, snaps)

    return _common.summary(args, {
        "mean": m["generated_mean"], "std": m["generated_std"], "w1": m["wasserstein_1d"],
        "target_mean": m["target_mean"], "target_std": m["target_std"],
        "steps": m["steps"], "seconds": m["seconds"]})


# %%
if __name__ == "__main__":
    main()
