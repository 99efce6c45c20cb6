"""Wasserstein GANs on digits: a loss that tracks sample quality.

The WGAN critic D estimates the Wasserstein-1 distance between the real and the
generated digits, mean D(real) - mean D(fake) (the history column ``wasserstein``),
and G minimises that estimate. Unlike the logistic GAN's losses, which hover around
their equilibrium whatever the samples look like, the estimate should fall as the
samples improve. Two ways to keep the critic Lipschitz are compared on scikit-learn's
8x8 digits (the ``dcgan-digits`` preset, with each objective's paper optimizer):

  WGAN      weight clipping to [-0.01, 0.01] (objective "wgan": RMSprop(5e-5), 5 critic
            steps per G step)
  WGAN-GP   a gradient penalty pulling |grad_x D| to 1 between real and fake samples
            (objective "wgan-gp": Adam(1e-4, (0.5, 0.9)), 5 critic steps, no batch norm in D)

Writes:

  wgan.png                 left: the critic's Wasserstein estimate per step (smoothed over
                           25 steps) for both runs; right: the Frechet distance of each
                           snapshot's 64 samples to the real digits' pixels (biased upwards
                           by the small sample: compare its trend, not its level, with the
                           final distance)
  wgan-samples.png, wgan-gp-samples.png   64 digits of each trained generator
  wgan/, wgan-gp/          the runs (metrics.json, history.csv, checkpoint.npz)

The two estimates are not comparable with each other: a clipped critic measures K times
the distance for an unknown K set by the clipping bound, the penalised one roughly the
distance itself. Summary: each run's final Frechet pixel distance (1,000 samples in a full
run against the 1,797 real digits; real vs real 1.2, noise 40) and its last Wasserstein
estimate (the mean over the last 10% of steps).
"""
# %% [markdown]
# # Wasserstein GANs on digits: a loss that tracks sample quality
#
# The WGAN critic estimates the Wasserstein-1 distance between real and generated
# digits, mean D(real) - mean D(fake), and G minimises that estimate; it should fall as
# the samples improve. Two ways to keep the critic Lipschitz are compared on
# scikit-learn's 8x8 digits: weight clipping (WGAN) and a gradient penalty (WGAN-GP).

# %%
from __future__ import annotations

import os

import numpy

import _common
from minigan import presets
from minigan.data.evaluation import pixel_frechet


# %% [markdown]
# ## One objective
#
# The `dcgan-digits` preset with the objective's paper optimizer (WGAN: RMSprop(5e-5),
# 5 critic steps, clipping to [-0.01, 0.01]; WGAN-GP: Adam(1e-4, (0.5, 0.9)), 5 critic
# steps, no batch norm in D). 64 digits of the trained G are drawn; the critic's
# estimate per step (smoothed over 25 steps) goes to the left panel, the Frechet pixel
# distance of each snapshot's 64 samples (biased upwards by the small sample: compare
# its trend, not its level) to the right one. The last estimate is the mean over the
# last 10 % of steps.

# %%
def one_objective(args, objective: str, color: str, length: dict, real, left, right):
    m, run = _common.train(args, "dcgan-digits", objective,
                           overrides={**length, "objective": objective}, pictures=False)
    samples = os.path.join(args.out, f"{objective}-samples.png")
    presets.sample(run, 64, samples)
    _common.show(samples)
    history, snaps = _common.read_run(run)
    w = history["wasserstein"]
    last = float(numpy.mean(w[-max(1, len(w) // 10):]))
    print(f"{objective:>7}: Frechet pixel distance {m['frechet_pixel_distance']:.2f}, "
          f"last Wasserstein estimate {last:.4g} ({m['steps']} steps, {m['seconds']:.0f} s)")
    k = min(25, len(w))
    left.plot(history["step"], w, color=color, alpha=0.2, lw=0.7)
    left.plot(history["step"][k - 1:], numpy.convolve(w, numpy.ones(k) / k, "valid"),
              color=color, label=objective)
    right.plot([s for s, _ in snaps], [pixel_frechet(x, real) for _, x in snaps], "o-",
               color=color, label=f"{objective} (final, 1,000 samples: "
                                  f"{m['frechet_pixel_distance']:.1f})")
    return m, {"frechet": m["frechet_pixel_distance"], "wasserstein_last": last}


# %% [markdown]
# ## Both, side by side
#
# `--quick` trains 40 iterations. The two estimates are not comparable with each other:
# a clipped critic measures K times the distance for an unknown K set by the clipping
# bound, the penalised one roughly the distance itself.

# %%
def main(argv=None) -> dict:
    args = _common.parse_args("wgan", __doc__, argv)
    real, _ = _common.load_images("digits8")
    length = {"steps": 40, "eval_samples": 500, "sample_every": 10} if args.quick else \
        {"sample_every": 100}
    fig, (left, right) = _common.plt.subplots(1, 2, figsize=(12, 4.5))
    result = {}
    for objective, color in (("wgan", "tab:purple"), ("wgan-gp", "tab:green")):
        m, result[objective] = one_objective(args, objective, color, length, real, left, right)
    left.set_title("the critic's Wasserstein estimate")
    right.set_title("Frechet pixel distance of each snapshot (64 samples)")
    right.axhline(m["frechet_pixel_real_vs_real"], color="grey", ls=":",
                  label="real vs real (1,797 digits)")
    for ax in (left, right):
        ax.set_xlabel("step")
        ax.legend(fontsize=8)
    _common.save(fig, os.path.join(args.out, "wgan.png"))
    return _common.summary(args, {**result, "steps": m["steps"]})


# %%
if __name__ == "__main__":
    main()
