"""StyleGAN-lite: style mixing, the truncation trick and the noise inputs.

A StyleGAN does not feed its latent z into the first layer. A mapping network turns z
into a style w, and each synthesis layer takes w through its own AdaIN. Layers at 7x7
pixels ("coarse") set a digit's shape, and layers at 28x28 ("fine") set its strokes.
Per-pixel noise adds detail that does not depend on the style. The ``stylegan-mnist``
preset trains one (or ``--checkpoint DIR`` reuses a trained run). This demo then shows:

  mixing.png       the style-mixing grid: row r takes its coarse styles (layers 0-3: 7x7
                   and 14x14) from latent r, column c its fine styles (layers 4-5) from
                   latent c; the sources alone are drawn on the left and on top
  truncation.png   the same latents at psi = 1, 0.85, 0.7 and 0.5 (w pulled towards its
                   running mean w_avg)
  noise.png        four latents with the noise off, two noise draws, and the per-pixel
                   std over eight draws (white: where noise changes the picture)

Summary: the share of mixing-grid cells whose digit (by the digit classifier) is their
coarse source's; per psi, the Frechet digit distance to real digits with its mean and
covariance terms, precision and recall (k=3, in the classifier's features) and the
classifier's mean confidence; the mean per-pixel std from noise. In ``--quick`` mode the
generator is barely trained, so the numbers only show that everything runs.
"""
# %% [markdown]
# # StyleGAN-lite: style mixing, truncation and noise
#
# A StyleGAN's mapping network turns z into a style w, and each synthesis layer takes w
# through its own AdaIN: the layers at 7x7 pixels ("coarse") set a digit's shape, the
# layers at 28x28 ("fine") its strokes, and per-pixel noise adds detail that does not
# depend on the style. The `stylegan-mnist` preset trains one (`--quick`: 20 steps), or
# `--checkpoint DIR` reuses a trained run.

# %%
from __future__ import annotations

import os

import numpy

import _common
from minigan import backend as B
from minigan import viz
from minigan.presets.sampling import load_generator, mixing_grid
from minigan.presets.style import mixing_agreement, noise_spread, truncation_sweep

PSIS = (1.0, 0.85, 0.7, 0.5)


def _extra(parser):
    parser.add_argument("--checkpoint", default=None,
                        help="a trained stylegan-mnist run (folder or checkpoint) to use "
                             "instead of training one")


# %% [markdown]
# ## Style mixing
#
# Row r takes its coarse styles (layers 0-3: 7x7 and 14x14) from latent r, column c its
# fine styles (layers 4-5) from latent c; the sources alone are drawn on the left and on
# top. Measured: the share of cells whose digit (by the digit classifier) is their coarse
# source's.

# %%
def style_mixing(args, G) -> float:
    grid = mixing_grid(G, 6, 6, seed=args.seed)
    path = os.path.join(args.out, "mixing.png")
    viz.mixing_grid(grid["images"], grid["rows"], grid["cols"], path,
                    title="coarse styles (7x7, 14x14) from the left, fine (28x28) from the top")
    _common.show(path)
    return mixing_agreement(grid)


# %% [markdown]
# ## The truncation trick
#
# The same latents at psi = 1, 0.85, 0.7 and 0.5, w pulled towards its running mean
# w_avg; per psi the Frechet digit distance to real digits (with its mean and covariance
# terms), precision and recall (k=3, in the classifier's features) and the classifier's
# mean confidence.

# %%
def truncation(args, G, z) -> None:
    rows = []
    G.eval()
    for psi in PSIS:
        G.truncation = psi
        rows.append(B.to_numpy(G.forward(z)))
    G.truncation = 1.0
    G.train()
    path = os.path.join(args.out, "truncation.png")
    viz.image_grid(numpy.concatenate(rows), path, nrow=8,
                   title="the truncation trick: the same latents, w pulled towards w_avg",
                   labels=[f"psi {p}" for p in PSIS])
    _common.show(path)


# %% [markdown]
# ## The noise inputs
#
# Four latents with the noise off, two noise draws, and the per-pixel std over eight
# draws (white: where noise changes the picture).

# %%
def noise(args, G, z4) -> float:
    G.set_noise("off")
    G.eval()
    off = B.to_numpy(G.forward(z4))
    G.set_noise("random")
    imgs, std = noise_spread(G, z4, draws=8, seed=args.seed)
    std_img = std / max(float(std.max()), 1e-8) * 2 - 1          # [0, max] -> [-1, 1]
    path = os.path.join(args.out, "noise.png")
    viz.image_grid(numpy.concatenate([off, imgs[0], imgs[1], std_img]), path, nrow=4,
                   title="noise inputs: off, two draws, per-pixel std over 8 draws",
                   labels=["noise off", "draw 1", "draw 2", "std"])
    _common.show(path)
    return float(std.mean())


# %% [markdown]
# ## Everything in order
#
# Train (or load), then the three pictures; the summary holds the mixing agreement, the
# truncation sweep and the mean per-pixel std from noise.

# %%
def main(argv=None) -> dict:
    args = _common.parse_args("style_mixing", __doc__, argv, extra=_extra)
    run = args.checkpoint
    if run is None:
        quick = {"steps": 20, "eval_samples": 200} if args.quick else {}
        _, run = _common.train(args, "stylegan-mnist", overrides=quick)
    G, cfg, _ = load_generator(run)
    real, _ = _common.load_images("mnist")
    n_eval = 300 if args.quick else 2000
    agreement = style_mixing(args, G)
    sweep = truncation_sweep(G, PSIS, real, n=n_eval, seed=args.seed)
    z = B.RNG(args.seed + 5).standard_normal((8, G.latent_dim))
    truncation(args, G, z)
    noise_std = noise(args, G, z[:4])
    for psi, r in sweep.items():
        print(f"psi {psi:<4}: Frechet digit distance {r['frechet']:.1f} (mean term "
              f"{r['mean_term']:.1f}, covariance term {r['cov_term']:.1f}), precision "
              f"{r['precision']:.3f}, recall {r['recall']:.3f}, classifier confidence "
              f"{r['confidence']:.3f}")
    print(f"style mixing: {100 * agreement:.0f}% of the cells show their coarse source's digit")
    return _common.summary(args, {"mixing_agreement": agreement,
                                  "truncation": {str(k): v for k, v in sweep.items()},
                                  "noise_std": noise_std, "preset": cfg.preset})


# %%
if __name__ == "__main__":
    main()
