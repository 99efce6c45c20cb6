"""Three ways to break a GAN on purpose, and the warnings the trainer raises for them.

Each run trains the ``gaussian1d`` preset with one setting pushed too far (no learning-rate
decay, so nothing hides the problem):

  strong D   D learns 1,000 times faster than G and takes 5 steps per G step
             (lr 1e-5, lr_d 1e-2, n_critic 5): D separates real from fake perfectly, its
             loss goes to 0 (warning d_loss_zero) and G, barely moving, stays a spike
             (mode_collapse)
  weak D     D barely learns (lr_d 1e-7): G drifts wherever D's frozen score is highest,
             D calls everything real (d_all_real) and its loss on fakes climbs
  high lr    both learning rates 0.2: Adam's steps overshoot, the losses explode by orders
             of magnitude and the samples collapse (mode_collapse, often d_fake_rising)

The trainer checks its history at every flush (after step 200, over a 100-step window;
rules in minigan/gan/diagnostics.py, meanings in docs/training.md). A run whose loss
becomes NaN stops with TrainingDiverged, which is reported and drawn like a warning.
Writes:

  failure_modes.png       one column per run: D's and G's losses (symmetric log scale) and
                          D's accuracy on real and fake batches, with each warning as a
                          dashed red line at the step it was raised
  NAME-diagnostics.png    the library's diagnostics figure of each run (accuracies, gradient
                          norms, diversity) with its warnings
  NAME/                   history.csv and checkpoint.npz of each run

Summary: the warning kinds each run raised (and whether it diverged).
"""
# %% [markdown]
# # Three ways to break a GAN, and the warnings they raise
#
# The `gaussian1d` preset, trained three times with one setting pushed too far and no
# learning-rate decay (nothing hides the problem). The trainer checks its history at
# every flush and raises a warning when a rule of minigan/gan/diagnostics.py fires.

# %%
from __future__ import annotations

import os

import numpy

import _common
from minigan import presets, viz
from minigan.gan.trainer import TrainingDiverged
from minigan.presets.build import build

# %% [markdown]
# ## The three settings
#
# A strong D (1,000 times G's learning rate, 5 steps per G step), a weak D (learning
# rate 1e-7) and a learning rate of 0.2 for both.

# %%
RUNS = {"strong D": {"lr": 1e-5, "lr_d": 1e-2, "n_critic": 5},
        "weak D": {"lr": 1e-3, "lr_d": 1e-7},
        "high lr": {"lr": 0.2, "lr_d": 0.2}}


def smooth(v, k=25):
    v = numpy.asarray(v, dtype=float)
    return numpy.convolve(v, numpy.ones(k) / k, mode="valid") if len(v) >= k else v


# %% [markdown]
# ## One run and its warnings
#
# The run is built from the preset and trained directly, so that a run whose loss
# becomes NaN (TrainingDiverged) is reported and drawn like a warning. Each run writes
# its history and the library's diagnostics figure.

# %%
def one_run(args, name: str, settings: dict, steps: int):
    """(the trainer, its warnings) of one broken run."""
    slug = name.replace(" ", "-")
    cfg, _ = presets.config_for("gaussian1d", args.seed, {**settings, "steps": steps,
                                                           "lr_decay": False})
    folder = os.path.join(args.out, slug)
    os.makedirs(folder, exist_ok=True)
    tr = build(cfg, folder).trainer
    diverged = None
    try:
        tr.train(steps, progress=not args.quick, desc=name)
    except TrainingDiverged as exc:
        diverged = exc.step
    tr.history.to_csv(os.path.join(folder, "history.csv"))
    warnings = list(tr.warnings)
    if diverged is not None:
        warnings.append({"step": diverged, "kind": "diverged", "message": "NaN loss"})
    viz.diagnostics(tr.history, os.path.join(args.out, f"{slug}-diagnostics.png"),
                    title=f"gaussian1d, {name}", warnings=warnings)
    said = ", ".join(f"{w['kind']} at step {w['step']}" for w in warnings)
    print(f"{name:>9}: {said or 'no warnings'}")
    return tr, warnings


# %% [markdown]
# ## One column of the picture
#
# D's and G's losses (symmetric log scale, smoothed over 25 steps) and D's accuracy on
# real and on fake batches, with each warning as a dashed red line at its step.

# %%
def draw_column(col, name: str, settings: dict, tr, warnings) -> None:
    h = tr.history.as_dict()
    s = numpy.asarray(h["step"], dtype=float)
    for key, color in (("d_loss", "tab:orange"), ("g_loss", "tab:green")):
        col[0].plot(s, h[key], color=color, alpha=0.25, lw=0.7)
        col[0].plot(s[len(s) - len(smooth(h[key])):], smooth(h[key]), color=color,
                    label=f"{key[0].upper()} loss")
    for key, color, label in (("acc_real", "tab:blue", "on real"),
                              ("acc_fake", "tab:red", "on fake")):
        col[1].plot(s[len(s) - len(smooth(h[key])):], smooth(h[key]), color=color,
                    label=f"D's accuracy {label}")
    col[0].set_yscale("symlog", linthresh=0.01)
    col[0].set_title(f"{name}: " + ", ".join(f"{k}={v:g}" for k, v in settings.items()),
                     fontsize=10)
    col[1].set_ylim(-0.03, 1.03)
    col[1].set_xlabel("step")
    at = {}                                  # the kinds raised at each step
    for w in warnings:
        at.setdefault(w["step"], []).append(w["kind"])
    for ax in col:
        for step, kinds in at.items():
            ax.axvline(step, color="red", ls="--", lw=1)
            ax.text(step, 0.5, " " + ", ".join(kinds), color="red", fontsize=8,
                    rotation=90, transform=ax.get_xaxis_transform(), va="center")
        ax.legend(fontsize=8, loc="lower left")


# %% [markdown]
# ## All three
#
# 1,500 steps each (`--quick`: 500). The summary lists the warning kinds each run raised.

# %%
def main(argv=None) -> dict:
    args = _common.parse_args("failure_modes", __doc__, argv)
    steps = 500 if args.quick else 1500
    fig, axes = _common.plt.subplots(2, len(RUNS), figsize=(5 * len(RUNS), 7), sharex=True)
    result = {}
    for col, (name, settings) in zip(axes.T, RUNS.items()):
        tr, warnings = one_run(args, name, settings, steps)
        result[name] = [w["kind"] for w in warnings]
        draw_column(col, name, settings, tr, warnings)
    fig.tight_layout()
    _common.save(fig, os.path.join(args.out, "failure_modes.png"))
    return _common.summary(args, result)


# %%
if __name__ == "__main__":
    main()
