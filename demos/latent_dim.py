"""How many noise dimensions does a generator need? gaussian2d with latent_dim 1 vs 100.

A generator is a continuous map from its noise z to a sample. With one noise dimension
its samples lie on a curve, so it cannot fill a 2-D Gaussian however long it trains;
with 100 it can, and most of those dimensions are redundant. Trains the ``gaussian2d``
preset twice (only latent_dim differs) and writes:

  latent_dim.png   the two generators' samples (blue) over the data (grey), side by side:
                   look for the 1-D generator's thin curve through the cloud
  latent1/, latent100/   the runs (metrics.json, history.csv, checkpoint.npz)

Numbers, from the covariance C of the generated samples against the target's S (its
eigenvalues l_min <= l_max and eigenvectors v_min, v_max):

  total     trace(C) / trace(S): the share of the total variance reproduced
  smallest  v_min' C v_min / l_min: the share of the variance along the target's
            narrowest direction, the one a curve through the cloud misses
  largest   v_max' C v_max / l_max, the same along its widest direction
  rank      the generated covariance's smallest eigenvalue over its largest (0 for
            samples on a line)

Summary: these numbers and the covariance error for both runs.
"""
# %% [markdown]
# # How many noise dimensions does a generator need?
#
# A generator is a continuous map from its noise z to a sample, so with one noise
# dimension its samples lie on a curve. The `gaussian2d` preset is trained twice, with
# latent_dim 1 and 100 and nothing else changed, and the generated covariance is
# compared with the target's.

# %%
from __future__ import annotations

import os

import numpy

import _common
from minigan import backend as B
from minigan import presets
from minigan.data import toy_dataset


# %% [markdown]
# ## What a covariance captures
#
# From the generated covariance C and the target's S (its eigenvalues l_min <= l_max and
# eigenvectors v_min, v_max): the share of the total variance, the shares along the
# target's narrowest and widest directions, and the generated covariance's smallest
# eigenvalue over its largest (0 for samples on a line).

# %%
def captured(gen_cov, target_cov) -> dict:
    C, S = numpy.asarray(gen_cov), numpy.asarray(target_cov)
    lam, vec = numpy.linalg.eigh(S)                  # ascending eigenvalues
    ev = numpy.linalg.eigvalsh(C)
    return {"total": numpy.trace(C) / numpy.trace(S),
            "smallest": vec[:, 0] @ C @ vec[:, 0] / lam[0],
            "largest": vec[:, -1] @ C @ vec[:, -1] / lam[-1],
            "rank": max(ev[0], 0.0) / ev[-1]}


# %% [markdown]
# ## One latent size
#
# Train, draw 2,500 samples, print what their covariance captures and draw them (blue)
# over the data (grey): look for the 1-D generator's thin curve through the cloud.

# %%
def one_size(args, ax, dim: int, base: dict, real) -> dict:
    m, run = _common.train(args, "gaussian2d", f"latent{dim}",
                           overrides={**base, "latent_dim": dim}, pictures=False)
    x = presets.sample(run, 2500, os.path.join(run, "samples.npy"))
    c = captured(m["generated_cov"], m["target_cov"])
    print(f"latent_dim {dim:>3}: total variance {c['total']:.0%}, narrowest direction "
          f"{c['smallest']:.0%}, widest {c['largest']:.0%}, eigenvalue ratio "
          f"{c['rank']:.3f}, covariance error {m['cov_error']:.3f}")
    ax.scatter(real[:, 0], real[:, 1], s=3, c="lightgrey", label="real", linewidths=0)
    ax.scatter(x[:, 0], x[:, 1], s=4, c="tab:blue", alpha=0.6, label="generated",
               linewidths=0)
    ax.set_aspect("equal", adjustable="box")
    ax.set_title(f"latent_dim {dim}: {c['total']:.0%} of the variance,\n"
                 f"{c['smallest']:.0%} along the narrowest direction")
    ax.legend(loc="upper right", fontsize=8, markerscale=3)
    return {**c, "cov_error": m["cov_error"], "mean_error": m["mean_error"]}


# %% [markdown]
# ## Both sizes, side by side
#
# `--quick` trains 800 steps of batch 128. The summary holds these numbers and the
# covariance and mean errors of both runs.

# %%
def main(argv=None) -> dict:
    args = _common.parse_args("latent_dim", __doc__, argv)
    base = ({"steps": 800, "batch_size": 128, "eval_samples": 2000, "sample_every": 800}
            if args.quick else {})
    target = toy_dataset("gaussian2d")
    real = B.to_numpy(target.sample(2500, 7))
    fig, axes = _common.plt.subplots(1, 2, figsize=(10, 5), sharex=True, sharey=True)
    result = {}
    for ax, dim in zip(axes, (1, 100)):
        result[f"latent{dim}"] = one_size(args, ax, dim, base, real)
    _common.save(fig, os.path.join(args.out, "latent_dim.png"))
    return _common.summary(args, result)


# %%
if __name__ == "__main__":
    main()
