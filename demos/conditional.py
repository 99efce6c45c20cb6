"""A conditional GAN: ask the generator for a particular digit.

G gets a one-hot class label next to its noise, and D gets the label next to the image
(as 10 constant channels), so D rejects a good "3" presented as a "7" and G learns to
obey the label. A full run trains the ``cgan-mnist`` preset (28x28 digits, several
minutes on a CPU); ``--quick`` trains ``dcgan-digits`` with conditional=True on the 8x8
digits for a few hundred steps. Writes:

  classes.png         ten samples of each class, one row per class: each row should show
                      one digit in ten different styles
  interpolation.png   one row per class, the same two latent codes z0 and z1 at both
                      ends and 8 steps of the straight line between them: along a row the
                      style (slant, thickness) changes smoothly while the class stays;
                      down a column the style stays while the class changes
  training.gif        ten samples of each class per snapshot
  cgan-mnist/ (or dcgan-digits/)   the run (metrics.json, history.csv, checkpoint.npz)

The generator for the interpolation is rebuilt from the run's checkpoint (build_models,
then load_state_dict). Summary: the class accuracy, the share of 2,500 generated digits
(250 per class; 1,000 in a quick run) that a classifier trained on real digits assigns
to the class they were asked for.
"""
# %% [markdown]
# # A conditional GAN: ask the generator for a particular digit
#
# G gets a one-hot class label next to its noise, D gets the label next to the image (as
# 10 constant channels): D rejects a good "3" presented as a "7", so G learns to obey the
# label. A full run trains `cgan-mnist` (28x28 digits, several minutes on a CPU);
# `--quick` trains `dcgan-digits` with conditional=True on the 8x8 digits for 300 steps.

# %%
from __future__ import annotations

import os

import numpy

import _common
from minigan import animate, presets, viz
from minigan import backend as B
from minigan.gan.conditioning import one_hot, with_labels
from minigan.presets.sampling import load_generator

ROWS = [str(c) for c in range(10)]


# %% [markdown]
# ## The interpolation
#
# The generator is rebuilt from the run's checkpoint (`load_generator`: build_models,
# then load_state_dict). Two latent codes z0 and z1, and 8 steps of the straight line
# between them, for every class: along a row the style (slant, thickness) changes
# smoothly while the class stays; down a column the style stays while the class changes.

# %%
def interpolation(args, run: str) -> None:
    G, cfg, _ = load_generator(run)
    G.eval()
    rng = numpy.random.default_rng(args.seed)
    draw = rng.random if cfg.noise == "uniform" else rng.standard_normal
    z0, z1 = draw((2, cfg.latent_dim))
    t = numpy.linspace(0.0, 1.0, 10)[:, None]
    z = numpy.tile((1 - t) * z0 + t * z1, (10, 1)).astype(numpy.float32)   # 10 rows alike
    labels = numpy.repeat(numpy.arange(10), 10)                            # row c: class c
    z = B.to_device(z)
    x = G.forward(with_labels(z, one_hot(B.to_device(labels), 10, z.dtype)))
    path = os.path.join(args.out, "interpolation.png")
    viz.image_grid(x, path, nrow=10, labels=ROWS, title="z0 -> z1 at each class")
    _common.show(path)


# %% [markdown]
# ## Train, draw the classes, interpolate
#
# training.gif and classes.png show ten samples of each class, one row per class: each
# row should show one digit in ten different styles. The summary holds the class
# accuracy: the share of 2,500 generated digits (250 per class; 1,000 in a quick run)
# that a classifier trained on real digits assigns to the class they were asked for.

# %%
def main(argv=None) -> dict:
    args = _common.parse_args("conditional", __doc__, argv)
    if args.quick:
        preset, overrides = "dcgan-digits", {"conditional": True, "steps": 300,
                                             "eval_samples": 1000, "sample_every": 50}
    else:
        preset, overrides = "cgan-mnist", {}
    m, run = _common.train(args, preset, overrides=overrides, pictures=False)
    _, snaps = _common.read_run(run)
    animate.samples_gif(snaps, os.path.join(args.out, "training.gif"), "images", nrow=10,
                        labels=ROWS, title=f"{preset}, conditional")
    presets.sample(run, 100, os.path.join(args.out, "classes.png"))
    _common.show(os.path.join(args.out, "classes.png"))
    interpolation(args, run)
    print(f"{preset} (conditional): class accuracy {m['class_accuracy']:.1%} after "
          f"{m['steps']} steps, {m['seconds']:.0f} s")
    return _common.summary(args, {"preset": preset, "class_accuracy": m["class_accuracy"],
                                  "steps": m["steps"], "seconds": m["seconds"]})


# %%
if __name__ == "__main__":
    main()
