"""Pictures of a run: D's and G's losses (with the equilibrium values) and the trainer's
diagnostics (D's accuracies, gradient norms, diversity, failure-mode warnings)."""
from __future__ import annotations

import matplotlib.transforms as mtransforms
import numpy

from .figure import _closes_figures, _host, _save, plt


def _smooth_line(ax, steps, v, color, label, smooth):
    """Thin raw line and a thick moving average of the finite points of ``v``."""
    ok = numpy.isfinite(v)
    steps, v = steps[ok], v[ok]
    if len(v) == 0:
        return
    if len(v) >= smooth > 1:
        ax.plot(steps, v, color=color, alpha=0.25, lw=0.8)
        avg = numpy.convolve(v, numpy.ones(smooth) / smooth, mode="valid")
        ax.plot(steps[smooth - 1:], avg, color=color, lw=2, label=label)
    else:
        ax.plot(steps, v, color=color, lw=1.5, label=label, marker="." if len(v) < 50 else None)


_GROUPS = (  # (y label, ((key, legend label, colour), ...))
    ("D accuracy", (("acc_real", "on real", "tab:blue"), ("acc_fake", "on fake", "tab:orange"))),
    ("gradient norm", (("g_grad_norm", "G", "tab:green"), ("d_grad_norm", "D", "tab:orange"))),
    ("Wasserstein estimate", (("wasserstein", "critic's estimate", "tab:purple"),)),
    ("diversity", (("diversity", "diversity", "tab:brown"),)),
)


def _warning_field(w, key, default=None):
    return w.get(key, default) if isinstance(w, dict) else getattr(w, key, default)


def _groups_present(history):
    """(steps, [(ylabel, [(values, label, color)])]) for the groups with finite values."""
    h = history.as_dict() if hasattr(history, "as_dict") else dict(history)
    if "step" in h:
        steps = _host(h["step"]).ravel()
    else:  # no steps recorded: number the points
        steps = numpy.arange(max((len(v) for v in h.values()), default=0), dtype=float)
    present = []
    for ylabel, keys in _GROUPS:
        lines = []
        for key, label, color in keys:
            if key not in h:
                continue
            v = _host(h[key]).ravel()
            if len(v) != len(steps):
                raise ValueError(f"diagnostics: history[{key!r}] has {len(v)} values but "
                                 f"history['step'] has {len(steps)}")
            if numpy.isfinite(v).any():
                lines.append((v, label, color))
        if lines:
            present.append((ylabel, lines))
    return steps, present


def _draw_group(ax, steps, ylabel, lines, smooth):
    for v, label, color in lines:
        _smooth_line(ax, steps, v, color, label, smooth)
    if ylabel == "D accuracy":
        ax.set_ylim(-0.02, 1.02)
        ax.axhline(0.5, color="grey", ls=":", lw=0.8)
    if ylabel == "gradient norm":
        finite = numpy.concatenate([v[numpy.isfinite(v)] for v, _, _ in lines])
        if len(finite) and (finite > 0).all():
            ax.set_yscale("log")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    if len(lines) > 1 or ylabel == "Wasserstein estimate":
        ax.legend(loc="best", fontsize=7)


def _mark_warnings(axes, warnings):
    """A dashed red line at each warning's step on every subplot, its kind on the first."""
    for w in warnings or ():
        step = _warning_field(w, "step")
        if step is None:
            continue
        for ax in axes:
            ax.axvline(float(step), color="red", ls="--", lw=0.8, alpha=0.7)
        kind = _warning_field(w, "kind", "")
        if kind:
            trans = mtransforms.blended_transform_factory(axes[0].transData, axes[0].transAxes)
            axes[0].text(float(step), 0.98, f" {kind}", transform=trans, color="red",
                         fontsize=6, rotation=90, va="top", ha="left", clip_on=True)


@_closes_figures
def diagnostics(history, path, title: str = "diagnostics", warnings=None,
                smooth: int = 25) -> str:
    """The trainer's diagnostics per step, one subplot per group present (and not all NaN):
    D's accuracies ("acc_real", "acc_fake", in [0, 1]), gradient norms ("g_grad_norm",
    "d_grad_norm"; log scale when all positive), "wasserstein" and "diversity".

    ``history`` is a dict of equal-length lists with key "step" (or an object with
    ``as_dict()``); NaN values are skipped. ``warnings`` (list of dicts {"step", "kind",
    "message"}) draws a dashed red line at each warning's step on every subplot, labelled
    with its kind on the first. Curves with at least ``smooth`` points get a moving average."""
    steps, present = _groups_present(history)
    fig, axes = plt.subplots(max(len(present), 1), 1, sharex=True, squeeze=False,
                             figsize=(6.4, 0.6 + 2.2 * max(len(present), 1)))
    axes = axes[:, 0]
    if not present:
        axes[0].text(0.5, 0.5, "no diagnostics recorded", ha="center", va="center",
                     transform=axes[0].transAxes)
    for ax, (ylabel, lines) in zip(axes, present):
        _draw_group(ax, steps, ylabel, lines, smooth)
    _mark_warnings(axes, warnings)
    axes[-1].set_xlabel("step")
    axes[0].set_title(title)
    return _save(fig, path)


@_closes_figures
def losses(history, path, title: str = "losses", smooth: int = 25,
           equilibrium: dict | None = None) -> str:
    """D and G losses per step (thin) with a moving average (thick) from a ``History`` or dict.

    ``equilibrium`` ({"d_loss": value, "g_loss": value}) draws dashed lines at the
    losses of the game's equilibrium, e.g. 2 ln 2 and ln 2 for the logistic GAN,
    where D outputs 1/2 everywhere."""
    h = history.as_dict() if hasattr(history, "as_dict") else history
    steps = _host(h["step"]).ravel()
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for key, color in (("d_loss", "tab:orange"), ("g_loss", "tab:green")):
        v = _host(h[key]).ravel()
        ax.plot(steps, v, color=color, alpha=0.25, lw=0.8)
        if len(v) >= smooth > 1:
            avg = numpy.convolve(v, numpy.ones(smooth) / smooth, mode="valid")
            ax.plot(steps[smooth - 1:], avg, color=color, lw=2, label=f"{key[0].upper()} loss")
        else:
            ax.plot(steps, v, color=color, lw=2, label=f"{key[0].upper()} loss")
        if equilibrium and key in equilibrium:
            ax.axhline(equilibrium[key], color=color, ls="--", lw=1,
                       label=f"{key[0].upper()} at equilibrium ({equilibrium[key]:.3f})")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.legend()
    return _save(fig, path)
