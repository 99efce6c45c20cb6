"""Losses that return their value *and* their gradient.  Math: docs/math/losses.md.

Each function returns ``(loss, dx)``: ``loss`` a 0-d array on the input's device
(call ``float(loss)`` when you need the number; on a GPU that waits for it) and
``dx`` = dL/dx with the shape of ``x``. Reduction is the mean over all elements,
as PyTorch's default.

The GAN objectives at the bottom are written on the *logits* of the
discriminator, D(x) = sigmoid(logit), because log-sigmoid of a logit can be
computed without overflow for any logit (even +-1e4), while log(D) of a
saturated D cannot.
"""
from __future__ import annotations

from .backend import array_module, backend_of
from .ops.activations import sigmoid_forward


def _check_pair(name, x, target):
    """``target`` is a Python scalar or an array of exactly x's shape (never broadcast)."""
    if isinstance(target, (int, float)):
        return
    if getattr(target, "shape", None) != x.shape:
        raise ValueError(f"{name}: target shape {getattr(target, 'shape', type(target).__name__)} "
                         f"does not match input shape {tuple(x.shape)} (no broadcasting)")
    if backend_of(target) != backend_of(x):
        raise TypeError(f"{name}: input is a {backend_of(x)} array but target is a "
                        f"{backend_of(target)} array")


def _scalar(like, value):
    """``value`` as a 0-d array of ``like``'s backend: NumPy reductions give NumPy scalars,
    CuPy's give 0-d device arrays; both become 0-d arrays (no device sync either way)."""
    return array_module(like).asarray(value)


def softplus(z):
    """log(1 + e^z) without overflow: max(z, 0) + log1p(e^-|z|)."""
    xp = array_module(z)
    return xp.maximum(z, 0) + xp.log1p(xp.exp(-xp.abs(z)))


def sigmoid(z):
    """1 / (1 + e^-z) without overflow and with full relative accuracy in both tails
    (the same formula as minigan.ops.activations.sigmoid_forward)."""
    return sigmoid_forward(z)[0]


def bce_with_logits(logits, target):
    """Binary cross-entropy of sigmoid(logits) against targets in [0, 1].

    l_i = -[y_i log s(z_i) + (1 - y_i) log(1 - s(z_i))] = softplus(z_i) - y_i z_i
    dL/dz_i = (s(z_i) - y_i) / n
    """
    _check_pair("bce_with_logits", logits, target)
    n = logits.size
    loss = _scalar(logits, (softplus(logits) - target * logits).mean())
    grad = sigmoid(logits)
    grad -= target
    grad /= n
    return loss, grad


def mse(pred, target):
    """Mean squared error: L = mean((p - t)^2), dL/dp = 2 (p - t) / n."""
    _check_pair("mse", pred, target)
    diff = pred - target
    loss = _scalar(pred, (diff * diff).mean())
    return loss, diff * (2.0 / pred.size)


# ---------------------------------------------------------------- GAN objectives

def discriminator_loss(real_logits, fake_logits):
    """D's loss, shared by the minimax and the non-saturating game:
    L_D = -E[log D(x)] - E[log(1 - D(G(z)))] = BCE(real, 1) + BCE(fake, 0).
    Returns (loss, dL/d real_logits, dL/d fake_logits)."""
    lr, dr = bce_with_logits(real_logits, 1.0)
    lf, df = bce_with_logits(fake_logits, 0.0)
    return lr + lf, dr, df


def minimax_generator_loss(fake_logits):
    """The original (saturating) game: G minimises E[log(1 - D(G(z)))] = -E[softplus(z)].
    dL/dz = -sigmoid(z) / n: vanishes when D confidently rejects the fakes (z -> -inf)."""
    loss = _scalar(fake_logits, -softplus(fake_logits).mean())
    return loss, sigmoid(fake_logits) * (-1.0 / fake_logits.size)


def nonsaturating_generator_loss(fake_logits):
    """The non-saturating game: G minimises -E[log D(G(z))] = E[softplus(-z)] = BCE(fake, 1).
    dL/dz = (sigmoid(z) - 1) / n: close to -1/n exactly when D rejects the fakes."""
    return bce_with_logits(fake_logits, 1.0)
