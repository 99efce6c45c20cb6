"""Mode collapse on the ring of 8 Gaussians, and four cures.

ring8 (8 Gaussians of std 0.01 on the unit circle) and grid25 (25 of std 0.05 on a 5x5
grid) are the mode-coverage benchmarks of VEEGAN and PacGAN. A generator that puts all
its samples on one mode still looks good sample by sample; only the set of samples
shows what it misses.

The collapse: a vanilla GAN in the 2-D setup of Metz et al.'s unrolled GAN (the
non-saturating loss, G and D with two hidden layers of 128, Adam with beta1 0.5, G's
learning rate 1e-3 and D's 1e-4, batch 256; latent size 2) trained for 5,000 steps on
ring8, its mode coverage measured on 2,500 samples every 100 steps. G moves faster than
D: it piles its samples where D's surface is highest, D learns to push that spot down,
and G jumps on to the next mode.

The cures, each measured at the end of its run (on ring8, and the best one on grid25):

  LSGAN     the ``ring8`` / ``grid25`` presets as tuned (least-squares loss, two hidden
            layers of 256, Adam(1e-3) decaying to 0, latent size 2): the best
            configuration found (docs/results.md)
  PacGAN    the same preset with the non-saturating loss and a D that judges 4 samples
            at once (pack=4): a batch of near-identical fakes is then easy to reject
  WGAN-GP   a Wasserstein critic with a gradient penalty, Gulrajani et al.'s 2-D
            settings (lambda_gp 0.1, Adam(1e-3, (0.5, 0.9)), 5 critic steps)
  MMD       the generative matching network: no D, G minimises the MMD^2 between
            generated and real batches directly

Writes:

  mode_collapse.png   the vanilla GAN over time: its samples at eight steps (blue, over
                      the mode centres in red), the modes covered and the modes holding
                      its samples at every evaluation, and which mode holds them
  fixes.png           the final 2,500 samples of the vanilla GAN and of each cure over the
                      data (grey); each title gives modes covered, high-quality % and the
                      reverse KL
  vanilla/, ring8-*/, grid25-*/   the runs (metrics.json, history.csv, checkpoint.npz)

The measures are the published ones (PacGAN's protocol): 2,500 samples; a sample is high
quality within 3 standard deviations of its nearest mode; a mode is covered by at least
20 high-quality samples (metrics.mode_coverage with min_count=PUBLISHED_MIN_COUNT); the
reverse KL is KL(q || uniform) of the histogram q of the samples' nearest modes (0 when
every mode holds an equal share, log 8 = 2.08 when one mode holds them all). The modes
holding samples, 8 exp(-reverse KL), is the number of equally filled modes with the same
spread. Summary: for the vanilla run over time, the most modes it covered at any
evaluation, the mean number of modes holding its samples, the share of evaluations at
which fewer than 2.5 modes held them, how often the fullest mode changed and how many
different modes were the fullest; then modes covered, out of how many, high-quality %
and reverse KL for every final run.
"""
# %% [markdown]
# # Mode collapse, and four cures
#
# This notebook trains a vanilla GAN that collapses onto one mode of a ring of eight
# Gaussians and hops from mode to mode, watches it do so, and then trains four cures
# that cover every mode, scored by the measures of the published tables.

# %%
from __future__ import annotations

import os

import numpy

import _common
from minigan import backend as B
from minigan import metrics, presets
from minigan.data import toy_dataset
from minigan.presets.build import generate
from minigan.presets.runner import train_to_end

# %% [markdown]
# ## The settings
#
# The vanilla GAN is Metz et al.'s 2-D setup: the non-saturating loss, G's learning
# rate ten times D's, Adam with beta1 0.5. Every override names its setting, so that
# none comes from the preset's own (tuned) values. The cures are the `ring8` preset
# with the changes listed, at lengths measured to cover every mode on the seeds of
# docs/results.md (the LSGAN preset at its own 16,000 steps: at 8,000 one seed of three
# covered 7; grid25 at 40,000 of its 60,000: at 30,000 one seed of three covered 24).
# `--quick` runs a few hundred steps of each, on smaller networks: enough to see the
# collapse, not to reach the cures' figures.

# %%
VANILLA = {"objective": "nonsaturating", "hidden": 128, "latent_dim": 2, "batch_size": 256,
           "optimizer": "adam", "lr": 1e-3, "lr_d": 1e-4, "beta1": 0.5, "beta2": 0.999,
           "n_critic": 1, "lr_decay": False, "steps": 5000}
EVAL_EVERY = 100                      # steps between the vanilla run's coverage measures
STRIP = 8                             # snapshots drawn in mode_collapse.png

FIXES = {"LSGAN": {},                 # the preset as it is: 16,000 steps
         "PacGAN": {"objective": "nonsaturating", "pack": 4, "steps": 8000},
         "WGAN-GP": {"objective": "wgan-gp", "lambda_gp": 0.1, "lr": 1e-3, "steps": 2000},
         "MMD": {"objective": "mmd", "steps": 4000}}
GRID_FIXES = {"LSGAN": {"steps": 40000}}

QUICK_VANILLA = {"steps": 1500}
QUICK_FIX = {"steps": 600, "hidden": 64, "sample_every": 600}
QUICK_GRID = {"steps": 200, "hidden": 64, "sample_every": 200}


# %% [markdown]
# ## Scoring a set of samples
#
# `metrics.mode_coverage` gives the published numbers; the modes holding samples,
# 8 exp(-reverse KL), say how many modes the samples sit near at all, whatever their
# quality: 1 for a collapsed generator, 8 for one that spreads evenly.

# %%
def score(x, target) -> dict:
    cov = metrics.mode_coverage(x, target, min_count=metrics.PUBLISHED_MIN_COUNT)
    nearest = ((x[:, None, :] - target.centers[None]) ** 2).sum(-1).argmin(1)
    shares = numpy.bincount(nearest, minlength=cov.n_modes) / len(x)
    return {"modes": cov.modes_covered, "n_modes": cov.n_modes,
            "high_quality_percent": cov.high_quality_percent, "reverse_kl": cov.reverse_kl,
            "holding": cov.n_modes * numpy.exp(-cov.reverse_kl), "shares": shares}


def final(s: dict) -> dict:
    """The published numbers of a score (the summary's entry of a finished run)."""
    return {k: s[k] for k in ("modes", "n_modes", "high_quality_percent", "reverse_kl")}


# %% [markdown]
# ## Watching the vanilla GAN
#
# The run is built from the `ring8` preset and trained by the library's loop; every
# `EVAL_EVERY` steps the callback draws 2,500 samples from the same noise and scores
# them, so that successive measures differ only by what G learned.

# %%
def watch_vanilla(args, data: str = "ring8") -> tuple[list, dict]:
    """Train the vanilla GAN on ``data``; ([(step, score, samples)] every EVAL_EVERY steps,
    (score, samples) of 2,500 samples of fresh noise at the end)."""
    overrides = {**VANILLA, **(QUICK_VANILLA if args.quick else {})}
    exp, cfg = _common.build(args, data, "vanilla" if data == "ring8" else f"{data}-vanilla",
                             overrides)
    target = toy_dataset(data)
    trace = []

    def measure(trainer):
        if trainer.step % EVAL_EVERY == 0:
            x = generate(trainer.G, cfg, 2500, B.RNG(7))
            trace.append((trainer.step, score(x, target), x))

    train_to_end(exp.trainer, cfg, progress=not args.quick, on_step=measure)
    x = generate(exp.trainer.G, cfg, 2500, B.RNG(args.seed + 13))
    return trace, (score(x, target), x)


def hopping(trace) -> dict:
    """How collapsed the vanilla run stayed and how often it moved on."""
    fullest = [int(s["shares"].argmax()) for _, s, _ in trace]
    holding = numpy.array([s["holding"] for _, s, _ in trace])
    return {"steps": trace[-1][0], "evaluations": len(trace),
            "modes_covered_max": max(s["modes"] for _, s, _ in trace),
            "modes_holding_mean": float(holding.mean()),
            "collapsed_share": float((holding < 2.5).mean()),
            "hops": sum(a != b for a, b in zip(fullest, fullest[1:])),
            "fullest_modes": len(set(fullest))}


# %% [markdown]
# ## The collapse picture
#
# Top: the samples at eight evenly spaced evaluations. Bottom left: the modes covered
# (the published count) and the modes holding the samples at every evaluation. Bottom
# right: each mode's share of the samples over time; a collapsed generator is one
# bright cell per column, and the bright cell moving from row to row is the hopping.

# %%
def draw_collapse(trace, target, path: str) -> None:
    plt = _common.plt
    fig = plt.figure(figsize=(16, 6.4))
    grid = fig.add_gridspec(2, STRIP, height_ratios=(1, 1.15))
    picks = numpy.linspace(0, len(trace) - 1, STRIP).round().astype(int)
    for i, k in enumerate(picks):
        step, s, x = trace[k]
        ax = fig.add_subplot(grid[0, i])
        ax.scatter(x[:, 0], x[:, 1], s=2, c="tab:blue", alpha=0.3, linewidths=0)
        ax.scatter(target.centers[:, 0], target.centers[:, 1], s=25, c="red", marker="x")
        ax.set(xlim=(-1.5, 1.5), ylim=(-1.5, 1.5), xticks=[], yticks=[], aspect="equal")
        ax.set_title(f"step {step}: {s['modes']} covered", fontsize=9)
    steps = [t for t, _, _ in trace]
    ax = fig.add_subplot(grid[1, :STRIP // 2])
    ax.plot(steps, [s["modes"] for _, s, _ in trace], "o-", ms=3,
            label="modes covered (20 high-quality samples)")
    ax.plot(steps, [s["holding"] for _, s, _ in trace], "s-", ms=3,
            label="modes holding the samples, 8 exp(-reverse KL)")
    ax.set(xlabel="step", ylim=(-0.3, 8.5), yticks=range(9), title="vanilla GAN on ring8")
    ax.legend(fontsize=8, loc="upper right")
    ax = fig.add_subplot(grid[1, STRIP // 2:])
    shares = numpy.array([s["shares"] for _, s, _ in trace]).T
    ax.imshow(shares, aspect="auto", cmap="Blues", vmin=0, vmax=1, interpolation="nearest",
              extent=(steps[0] - EVAL_EVERY / 2, steps[-1] + EVAL_EVERY / 2, 7.5, -0.5))
    ax.set(xlabel="step", ylabel="mode", yticks=range(8),
           title="share of the samples nearest each mode")
    fig.tight_layout()
    _common.save(fig, path)


# %% [markdown]
# ## The cures
#
# Each cure is one `presets.run` of the tuned preset with a few settings changed; the
# run scores 2,500 samples of fresh noise by the published definitions.

# %%
def cure(args, data: str, name: str, overrides: dict) -> tuple[dict, numpy.ndarray]:
    """(score, samples) of the ``data`` preset with ``overrides`` (the quick settings
    on top in a quick run): 2,500 samples of the trained G, scored as drawn."""
    if args.quick:
        overrides = {**overrides, **(QUICK_FIX if data == "ring8" else QUICK_GRID)}
    _, folder = _common.train(args, data, f"{data}-{name}", overrides, pictures=False)
    x = presets.sample(folder, 2500, os.path.join(folder, "samples.npy"), seed=args.seed)
    return score(x, toy_dataset(data)), x


def draw_finals(finals: dict, path: str) -> None:
    """One row per data set: the final samples of each run over the data."""
    plt = _common.plt
    cols = max(len(runs) for runs in finals.values())
    fig, axes = plt.subplots(len(finals), cols, figsize=(3.4 * cols, 3.6 * len(finals)),
                             squeeze=False)
    for row, (data, runs) in zip(axes, finals.items()):
        target = toy_dataset(data)
        real = B.to_numpy(target.sample(2500, 7))
        lim = 1.6 if data == "ring8" else 5.5
        for ax in row[len(runs):]:
            ax.axis("off")
        for ax, (name, (s, x)) in zip(row, runs.items()):
            ax.scatter(real[:, 0], real[:, 1], s=3, c="lightgrey", linewidths=0)
            ax.scatter(x[:, 0], x[:, 1], s=3, c="tab:blue", alpha=0.5, linewidths=0)
            ax.scatter(target.centers[:, 0], target.centers[:, 1], s=30, c="red", marker="x")
            ax.set(xlim=(-lim, lim), ylim=(-lim, lim), aspect="equal")
            ax.set_title(f"{data}, {name}: {s['modes']}/{s['n_modes']} modes\n"
                         f"{s['high_quality_percent']:.0f}% HQ, reverse KL "
                         f"{s['reverse_kl']:.2f}", fontsize=9)
    fig.tight_layout()
    _common.save(fig, path)


# %% [markdown]
# ## Everything in order
#
# The vanilla GAN on ring8 and its picture; the cures on ring8; on grid25 the vanilla
# GAN and the best cure; the final samples of all; one printed line per run and the
# summary.

# %%
def main(argv=None) -> dict:
    args = _common.parse_args("mode_collapse", __doc__, argv)
    ring = toy_dataset("ring8")
    trace, end = watch_vanilla(args)
    draw_collapse(trace, ring, os.path.join(args.out, "mode_collapse.png"))
    result = {"vanilla_over_time": hopping(trace)}
    h = result["vanilla_over_time"]
    print(f"vanilla over {h['steps']} steps: at most {h['modes_covered_max']} modes covered, "
          f"{h['modes_holding_mean']:.1f} holding its samples on average, collapsed onto "
          f"fewer than 2.5 at {h['collapsed_share']:.0%} of {h['evaluations']} evaluations; "
          f"the fullest mode changed {h['hops']} times, {h['fullest_modes']} modes in turn")
    finals = {"ring8": {"vanilla": end}, "grid25": {}}
    for data, fixes in (("ring8", FIXES), ("grid25", GRID_FIXES)):
        if data == "grid25":
            finals[data]["vanilla"] = watch_vanilla(args, "grid25")[1]
        for name, overrides in fixes.items():
            finals[data][name] = cure(args, data, name, overrides)
        for name, (s, _) in finals[data].items():
            result[f"{data}/{name}"] = final(s)
            print(f"{data:>6} {name:>8}: {s['modes']:>2}/{s['n_modes']} modes, "
                  f"{s['high_quality_percent']:5.1f}% high quality, reverse KL "
                  f"{s['reverse_kl']:.3f}")
    draw_finals(finals, os.path.join(args.out, "fixes.png"))
    return _common.summary(args, result)


# %%
if __name__ == "__main__":
    main()
