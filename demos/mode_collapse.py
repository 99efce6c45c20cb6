"""Mode collapse on the mixtures of Gaussians, and three cures.

ring8 (8 Gaussians on a circle) and grid25 (25 on a 5x5 grid) are the benchmarks of
VEEGAN and PacGAN: a generator that fits one mode well but misses others still looks
good sample by sample. Each data set is trained four times with the same networks
(two hidden layers of 128), batch and length (ring8 3,000 steps, grid25 5,000), and
learning rates fixed here for all four rather than by each objective's defaults (the
presets' own, longer configurations are in docs/results.md):

  vanilla   the non-saturating GAN, Adam(5e-4): one D judging one sample at a time
  WGAN-GP   a Wasserstein critic with a gradient penalty (objective "wgan-gp",
            5 critic steps, Adam(1e-3, (0.5, 0.9))) with lambda_gp = 0.1, the weight
            Gulrajani et al. use for their 2-D toy data (10 is theirs for images; with
            10 this critic did not pull the samples onto the ring)
  PacGAN    the vanilla GAN whose D judges 4 samples at once (pack=4), so that a batch
            of near-identical fakes is easy to reject
  MMD       the generative matching network: no D, G minimises the MMD^2 between
            generated and real batches directly (objective "mmd", Adam(1e-3))

and writes:

  mode_collapse.png   2 rows (ring8, grid25) x 4 columns: 2,500 final samples (blue) over
                      the data (grey) and the mode centres (red crosses); each title gives
                      the modes covered and the high-quality percentage. Look for mass
                      piled on a few modes or smeared between them
  ring8-*/, grid25-*/ the runs (metrics.json, history.csv, checkpoint.npz)

A sample is high quality when it lies within 3 standard deviations of its nearest
centre; a mode is covered when at least 20 of the 2,500 samples are high-quality
samples nearest to it (metrics.mode_coverage with min_count=PUBLISHED_MIN_COUNT, the
published definition). Summary: modes covered, out of how many, and high-quality % for
each of the eight runs.
"""
from __future__ import annotations

import os

import _common
from minigan import backend as B
from minigan import metrics, presets
from minigan.data import toy_dataset

METHODS = {"vanilla": {"objective": "nonsaturating", "lr": 5e-4},
           "WGAN-GP": {"objective": "wgan-gp", "lr": 1e-3, "lambda_gp": 0.1},
           "PacGAN": {"objective": "nonsaturating", "lr": 5e-4, "pack": 4},
           "MMD": {"objective": "mmd"}}


def main(argv=None) -> dict:
    args = _common.parse_args("mode_collapse", __doc__, argv)
    quick = {"steps": 150, "batch_size": 64, "hidden": 64, "sample_every": 150}
    full = {"ring8": {"steps": 3000, "hidden": 128, "batch_size": 256},
            "grid25": {"steps": 5000, "hidden": 128, "batch_size": 256}}
    fig, axes = _common.plt.subplots(2, 4, figsize=(16, 8.4))
    result = {}
    for row, data in zip(axes, ("ring8", "grid25")):
        target = toy_dataset(data)
        real = B.to_numpy(target.sample(2500, 7))
        for ax, (method, settings) in zip(row, METHODS.items()):
            overrides = {**settings, **(quick if args.quick else full[data])}
            m, run = _common.train(args, data, f"{data}-{method}", overrides, pictures=False)
            x = presets.sample(run, 2500, os.path.join(run, "samples.npy"))
            cov = metrics.mode_coverage(x, target, min_count=metrics.PUBLISHED_MIN_COUNT)
            result[f"{data}/{method}"] = {"modes": cov.modes_covered, "n_modes": cov.n_modes,
                                          "high_quality_percent": cov.high_quality_percent}
            print(f"{data:>6} {method:>8}: {cov.modes_covered:>2}/{cov.n_modes} modes, "
                  f"{cov.high_quality_percent:5.1f}% high quality ({m['seconds']:.0f} s)")
            ax.scatter(real[:, 0], real[:, 1], s=4, c="grey", linewidths=0)
            ax.scatter(x[:, 0], x[:, 1], s=3, c="tab:blue", alpha=0.5, linewidths=0)
            ax.scatter(target.centers[:, 0], target.centers[:, 1], s=40, c="red", marker="x")
            lim = 1.6 if data == "ring8" else 5.5
            ax.set_xlim(-lim, lim)
            ax.set_ylim(-lim, lim)
            ax.set_aspect("equal", adjustable="box")
            ax.set_title(f"{data}, {method}: {cov.modes_covered}/{cov.n_modes} modes, "
                         f"{cov.high_quality_percent:.0f}% HQ", fontsize=10)
    _common.save(fig, os.path.join(args.out, "mode_collapse.png"))
    return _common.summary(args, result)


if __name__ == "__main__":
    main()
