"""WGAN-GP's gradient penalty with its exact gradient, by a hand-written double backward.
Derivation: docs/math/gradient_penalty.md.

For interpolates x_hat = e x_real + (1 - e) x_fake (e ~ U[0, 1] per sample):

    g_k   = dD(x_hat_k) / dx_hat_k                 one critic output k at a time
    P     = lambda mean_k (|g_k| - 1)^2
    dP/dg_k = (2 lambda / K) (|g_k| - 1) g_k / |g_k|

and dP/dtheta follows from a backward pass through the backward pass that computed
g (``Module.grad_input`` / ``Module.double_backward``): every layer contributes its
backward pass's parameter term and, for a smooth activation, the second-order term
f''(x) that piecewise-linear critics do not have. A packed critic (nn.Pack) judges
m samples per output, so g_k is the gradient over its whole pack.
"""
from __future__ import annotations

from ..backend import array_module
from ..checks import as_value_error, integer, real
from ..nn.module import Module, second_order_layers
from .conditioning import with_labels

NORM_FLOOR = 1e-12     # |g| = sqrt(|g|^2 + floor): finite at g = 0, negligible elsewhere


def check_critic(D: Module) -> None:
    """ValueError when ``D`` holds a layer the per-sample penalty cannot go through: batch
    norm (with the reason), or a layer without a second-order pass."""
    for name, m in D.named_modules():
        if type(m).second_order:
            continue
        reason = m._no_second_order_reason()
        raise ValueError(reason or f"{m._label()} (layer {name!r}) has no second-order pass, so "
                                   f"it cannot be part of a critic trained with a gradient "
                                   f"penalty; such a critic can contain {second_order_layers()}")


def input_gradients(D: Module, x, width: int | None = None, where: str = "penalty"):
    """(g, gx, k): D's input gradient for x (grad_input of ones: each output's own, the
    caches kept for double_backward), its first ``width`` columns/channels (the rest are
    label inputs; all of g without a width), and the number of outputs k (packs, for a
    packed critic: each output's gradient spans its whole pack)."""
    xp = array_module(x)
    out = D.forward(x)
    if out.ndim != 2 or out.shape[1] != 1:
        raise ValueError(f"{where}: the critic must give one score per sample (or per pack), "
                         f"shape (N, 1); got {tuple(out.shape)}")
    g = D.grad_input(xp.ones_like(out))
    return g, (g if width is None else g[:, :width]), out.shape[0]


def _second_order(D: Module, g, v, width: int | None) -> None:
    """D.double_backward of the adjoint v = dP/dgx, zero on the label columns."""
    if width is not None:
        full = array_module(g).zeros_like(g)
        full[:, :width] = v
        v = full
    D.double_backward(v)


def gradient_penalty(D: Module, x, lam: float, width: int | None = None, target: float = 1.0):
    """P = lam mean_k (|dD/dx_k| - target)^2 for D's input ``x``; adds dP/dtheta into
    D's parameter gradients and returns P (a 0-d array). ``width``: the gradient is taken
    over the first ``width`` columns/channels only (the rest are label inputs)."""
    xp = array_module(x)
    g, gx, k = input_gradients(D, x, width, "gradient_penalty")
    flat = gx.reshape(k, -1)
    norms = xp.sqrt((flat * flat).sum(axis=1) + NORM_FLOOR)
    dev = norms - target
    value = lam * (dev * dev).mean()
    coef = (2.0 * lam / k) * dev / norms
    _second_order(D, g, (flat * coef[:, None]).reshape(gx.shape), width)
    return value


def penalty_value(D: Module, x, lam: float, width: int | None = None, target: float = 1.0):
    """P alone (forward and first-order pass only): what the tests differentiate numerically."""
    xp = array_module(x)
    _, gx, k = input_gradients(D, x, width, "penalty_value")
    flat = gx.reshape(k, -1)
    dev = xp.sqrt((flat * flat).sum(axis=1) + NORM_FLOOR) - target
    return lam * (dev * dev).mean()


class GradientPenalty:
    """The ``penalty`` hook of the WGAN-GP objective: interpolates a real and a fake batch
    and adds lam E[(|grad D| - 1)^2] (and its exact gradient) to D's step."""

    def __init__(self, lam: float = 10.0):
        with as_value_error():
            self.lam = real("GradientPenalty", "lambda_gp", lam, lo=0.0)

    def __call__(self, trainer, x_real, x_fake, oh_real, oh_fake):
        n = x_real.shape[0]
        e = trainer.penalty_rng.random((n,) + (1,) * (x_real.ndim - 1), dtype=x_real.dtype)
        x_hat = e * x_real + (1 - e) * x_fake
        if oh_real is not None:
            # the trainer gives the fakes the real batch's labels, so labels are constants
            return gradient_penalty(trainer.D, with_labels(x_hat, oh_real), self.lam,
                                    width=x_hat.shape[1])
        return gradient_penalty(trainer.D, x_hat, self.lam)


def r1_penalty(D: Module, x, gamma: float, width: int | None = None):
    """R1 = (gamma / 2) mean_k |dD(x_k)/dx_k|^2 on real data ``x`` (Mescheder et al. 2018);
    adds dR1/dtheta into D's parameter gradients and returns R1 (a 0-d array).

    With g_k the input gradient of output k, dR1/dg_k = (gamma / K) g_k: the same second-order
    pass as WGAN-GP's penalty with a simpler outer derivative (no norm, no target, so no
    floor is needed at g = 0). docs/math/r1.md."""
    g, gx, k = input_gradients(D, x, width, "r1_penalty")
    value = (0.5 * gamma / k) * (gx * gx).sum()
    _second_order(D, g, gx * (gamma / k), width)
    return value


def r1_value(D: Module, x, gamma: float, width: int | None = None):
    """R1 alone (forward and first-order pass only): what the tests differentiate numerically."""
    _, gx, k = input_gradients(D, x, width, "r1_value")
    return (0.5 * gamma / k) * (gx * gx).sum()


class R1Penalty:
    """The ``penalty`` hook for R1 on real data: (gamma / 2) E|grad_x D(x_real)|^2 added to D's
    step (StyleGAN's regulariser, on top of the non-saturating loss). ``every`` > 1 is
    StyleGAN2's lazy regularisation: the penalty runs in every ``every``-th iteration (by
    the trainer's step; with several D steps per iteration, in each of that iteration's)
    with gamma scaled by ``every``, which keeps its average pull while costing a fraction."""

    def __init__(self, gamma: float = 10.0, every: int = 1):
        with as_value_error():
            self.gamma = real("R1Penalty", "r1_gamma", gamma, positive=True)
            self.every = integer("R1Penalty", "r1_every", every, minimum=1)

    def __call__(self, trainer, x_real, x_fake, oh_real, oh_fake):
        # by the trainer's step, so that a resumed run keeps the same phase
        if trainer.step % self.every:
            return 0.0
        gamma = self.gamma * self.every
        if oh_real is not None:
            return r1_penalty(trainer.D, with_labels(x_real, oh_real), gamma, width=x_real.shape[1])
        return r1_penalty(trainer.D, x_real, gamma)
