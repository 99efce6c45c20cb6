"""2-D and 3-D Gaussians: can a GAN match a mean and a full covariance matrix?

Trains the ``gaussian2d`` and ``gaussian3d`` presets (targets: Gaussians whose mean and
covariance are drawn from seed 0) and writes, for each:

  gaussian2d.gif, gaussian3d.gif   generated samples (blue) over real ones (grey) per
                                   snapshot, on 3-D axes for the 3-D target: the blob of a
                                   fresh generator drifts onto the data and stretches
                                   along the data's long axis
  gaussian2d.png, gaussian3d.png   2,500 samples of the trained generator over the data
  gaussian2d/, gaussian3d/         the runs (metrics.json, history.csv, checkpoint.npz)

It prints the target's and the generated mean and covariance. Summary, per preset: the
mean error (the largest absolute difference of a mean coordinate) and the covariance
error (Frobenius norm of the difference relative to the target's).
"""
# %% [markdown]
# # A mean and a covariance matrix: Gaussians in 2-D and 3-D
#
# The same GAN as for the 1-D Gaussian, now on targets whose mean and full covariance
# were drawn at random (seed 0). The question is whether G reproduces both, not only
# the centre of the cloud.

# %%
from __future__ import annotations

import os

import numpy

import _common
from minigan import animate, presets
from minigan.data import toy_dataset


# %% [markdown]
# ## One preset: train, animate, compare the moments
#
# Each preset is trained (`--quick`: 600 steps of batch 128), its snapshots become a GIF
# over 1,000 real points, 2,500 samples of the trained generator are drawn over the
# data, and the target's and the generated mean and covariance are printed.

# %%
def one_preset(args, preset: str, kind: str, overrides: dict) -> dict:
    m, run = _common.train(args, preset, overrides=overrides, pictures=False)
    target = toy_dataset(preset)
    _, snaps = _common.read_run(run)
    gif = animate.samples_gif(snaps, os.path.join(args.out, f"{preset}.gif"), kind,
                              real=target.sample(1000, 7), title=preset)
    png = os.path.join(args.out, f"{preset}.png")
    presets.sample(run, 2500, png)
    _common.show(gif)
    _common.show(png)
    print(f"{preset}: target mean {numpy.array(m['target_mean'])}, "
          f"generated {numpy.array(m['generated_mean'])}")
    print(f"  target cov\n{numpy.array(m['target_cov'])}\n  generated cov\n"
          f"{numpy.array(m['generated_cov'])}")
    print(f"  mean error {m['mean_error']:.3f}, covariance error {m['cov_error']:.3f}")
    return {"mean_error": m["mean_error"], "cov_error": m["cov_error"],
            "steps": m["steps"], "seconds": m["seconds"]}


# %% [markdown]
# ## Both presets
#
# The 2-D target drawn as a scatter plot, the 3-D one on 3-D axes; the summary holds
# each preset's mean error and covariance error.

# %%
def main(argv=None) -> dict:
    args = _common.parse_args("gaussian_2d_3d", __doc__, argv)
    overrides = ({"steps": 600, "batch_size": 128, "eval_samples": 2000, "sample_every": 100}
                 if args.quick else {})
    numpy.set_printoptions(precision=3, suppress=True)
    result = {}
    for preset, kind in (("gaussian2d", "scatter"), ("gaussian3d", "scatter3d")):
        result[preset] = one_preset(args, preset, kind, overrides)
    return _common.summary(args, result)


# %%
if __name__ == "__main__":
    main()
