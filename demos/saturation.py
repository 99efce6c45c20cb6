"""Why the generator's loss is usually not the minimax one: saturation.

In the original minimax game G minimises log(1 - D(G(z))); the non-saturating variant
minimises -log D(G(z)). Both push D(G(z)) up, but early in training D easily rejects
the fakes (D(G(z)) near 0), and there the minimax loss is flat: its gradient with respect
to D's logit z is -D(G(z)), nearly 0, while the non-saturating one's is -(1 - D(G(z))),
nearly -1. The losses and gradients are computed with minigan.losses
(minimax_generator_loss, nonsaturating_generator_loss) on logits log(p / (1 - p)).

Then the ``gaussian1d`` preset is trained with each loss, in a setting where D wins
early: D learns 20 times faster than G and takes 2 steps per G step, and both use plain
SGD, whose step is proportional to the gradient (Adam divides each gradient by its
running magnitude, which hides a uniformly small gradient). Same settings, same seed;
only G's loss differs. Writes:

  saturation.png   top: both losses and |dL/dlogit| as functions of p = D(G(z)) in (0, 1)
                   (log scale: the minimax gradient falls to 0 as p -> 0); bottom: G's
                   gradient norm per step and the W1 distance of the generated samples to
                   N(4, 1.25^2) per snapshot for both runs
  minimax/, nonsaturating/   the runs (metrics.json, history.csv, checkpoint.npz)

Summary: |dL/dlogit| at p = 0.01 for both losses (0.01 and 0.99) and both runs' final W1.
"""
# %% [markdown]
# # Why G's loss is usually not the minimax one: saturation
#
# Early in training D rejects the fakes easily, D(G(z)) is near 0, and there the minimax
# loss log(1 - D(G(z))) is flat while the non-saturating -log D(G(z)) is steep. First the
# two losses and their gradients as functions of p = D(G(z)); then two training runs
# that differ only in G's loss.

# %%
from __future__ import annotations

import os

import numpy

import _common
from minigan import backend as B
from minigan import losses, metrics

GAMES = {"minimax": losses.minimax_generator_loss,
         "nonsaturating": losses.nonsaturating_generator_loss}
COLORS = {"minimax": "tab:red", "nonsaturating": "tab:blue"}


# %% [markdown]
# ## The losses as functions of p
#
# minigan's loss functions take D's logits, log(p / (1 - p)); each returns the loss and
# its gradient with respect to the logits. The gradient at p = 0.01 is the point:
# -p for minimax, -(1 - p) for the non-saturating loss.

# %%
def per_sample(loss_fn, p):
    """Each sample's loss and gradient with respect to its logit, at probabilities ``p``."""
    logits = B.to_device(numpy.log(p / (1 - p)))
    value = numpy.array([float(loss_fn(logits[i:i + 1])[0]) for i in range(len(p))])
    _, grad = loss_fn(logits)                   # the gradient of the mean over len(p) samples
    return value, B.to_numpy(grad) * len(p)


def loss_curves():
    """(p, {loss: (values, gradients)}, {loss: |gradient| at p = 0.01, 0.5, 0.99}), printed."""
    p = numpy.concatenate([numpy.geomspace(1e-4, 0.5, 150), 1 - numpy.geomspace(0.5, 1e-4, 150)[1:]])
    curves = {name: per_sample(fn, p) for name, fn in GAMES.items()}
    at = numpy.array([0.01, 0.5, 0.99])
    grad_at = {name: numpy.abs(per_sample(fn, at)[1]) for name, fn in GAMES.items()}
    print(f"{'D(G(z))':>8} {'|dL/dz| minimax':>16} {'|dL/dz| non-saturating':>23}")
    for i, q in enumerate(at):
        print(f"{q:>8.2f} {grad_at['minimax'][i]:>16.4f} {grad_at['nonsaturating'][i]:>23.4f}")
    return p, curves, grad_at


# %% [markdown]
# ## Two runs where D wins early
#
# The `gaussian1d` preset with D learning 20 times faster than G and taking 2 steps per
# G step, both with plain SGD: SGD's step is proportional to the gradient, whereas Adam
# divides each gradient by its running magnitude and would hide a uniformly small one.
# Same settings, same seed; only G's loss differs. Each run's W1 distance to
# N(4, 1.25²) is measured on every snapshot.

# %%
def train_both(args) -> dict:
    length = {"steps": 600, "eval_samples": 2000, "sample_every": 50} if args.quick else \
        {"sample_every": 100}
    strong_d = {"optimizer": "sgd", "lr": 0.01, "lr_d": 0.2, "n_critic": 2}
    runs = {}
    for name in GAMES:
        m, run = _common.train(args, "gaussian1d", name, pictures=False,
                               overrides={**length, **strong_d, "objective": name})
        history, snaps = _common.read_run(run)
        w1 = [(s, metrics.wasserstein_1d(x, mean=4.0, std=1.25)) for s, x in snaps]
        runs[name] = (m, history, w1)
        print(f"{name}: final W1 {m['wasserstein_1d']:.3f}, mean {m['generated_mean']:.3f}, "
              f"std {m['generated_std']:.3f}")
    return runs


# %% [markdown]
# ## The picture
#
# Top: both losses and |dL/dlogit| against p (log scale: the minimax gradient falls to 0
# as p -> 0). Bottom: G's gradient norm per step and the W1 distance per snapshot.

# %%
def draw(args, p, curves, runs) -> None:
    fig, ax = _common.plt.subplots(2, 2, figsize=(11, 7.5))
    for name, (value, grad) in curves.items():
        ax[0, 0].plot(p, value, color=COLORS[name], label=name)
        ax[0, 1].plot(p, numpy.abs(grad), color=COLORS[name], label=name)
    ax[0, 0].set_title("G's loss: log(1 - p) (minimax), -log p (non-saturating)")
    ax[0, 1].set_title("|dL/dlogit|: p (minimax), 1 - p (non-saturating)")
    ax[0, 1].set_yscale("log")
    for a in ax[0]:
        a.set_xlabel("p = D(G(z))")
        a.axvline(0.01, color="grey", ls=":", lw=1)
        a.legend()
    for name, (m, history, w1) in runs.items():
        ax[1, 0].plot(history["step"], history["g_grad_norm"], color=COLORS[name], lw=0.8,
                      label=name)
        ax[1, 1].plot(*zip(*w1), "o-", color=COLORS[name], label=f"{name} (final {m['wasserstein_1d']:.2f})")
    ax[1, 0].set_yscale("log")
    ax[1, 0].set_title("gaussian1d: G's gradient norm per step")
    ax[1, 1].set_title("gaussian1d: W1 to N(4, 1.25²) per snapshot")
    for a in ax[1]:
        a.set_xlabel("step")
        a.legend()
    fig.tight_layout()
    _common.save(fig, os.path.join(args.out, "saturation.png"))


# %% [markdown]
# ## Everything in order
#
# The summary holds |dL/dlogit| at p = 0.01 for both losses (0.01 and 0.99) and both
# runs' final W1.

# %%
def main(argv=None) -> dict:
    args = _common.parse_args("saturation", __doc__, argv)
    p, curves, grad_at = loss_curves()
    runs = train_both(args)
    draw(args, p, curves, runs)
    return _common.summary(args, {
        "grad_at_0.01": {name: g[0] for name, g in grad_at.items()},
        "w1": {name: r[0]["wasserstein_1d"] for name, r in runs.items()},
        "steps": runs["minimax"][0]["steps"]})


# %%
if __name__ == "__main__":
    main()
