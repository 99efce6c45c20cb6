"""Losses that return their value *and* their gradient.  Math: docs/math/losses.md.

Each function returns ``(loss, dx)``: ``loss`` a 0-d array on the input's device,
of the input's dtype (call ``float(loss)`` when you need the number; on a GPU
that waits for it) and ``dx`` = dL/dx with the shape and dtype of ``x``.
Reduction is the mean over all elements, as PyTorch's default.

The GAN objectives at the bottom are written on the *logits* of the
discriminator, D(x) = sigmoid(logit), because log-sigmoid of a logit can be
computed without overflow and without cancellation for any logit (even +-1e4),
while log(D) of a saturated D cannot.

Bad input raises an error naming the loss: a logits array that is empty or not
floating point, a target of another shape (nothing is broadcast), another
device or dtype kind, and for the BCE losses a target outside [0, 1] (checked
for Python/NumPy numbers and host arrays; device arrays are not scanned, which
would cost a device sync every step).
"""
from __future__ import annotations

import numbers

import numpy

from .backend.fused import Elementwise
from .backend import array_module, backend_of
from .ops.activations import sigmoid_forward


def _check_input(name, x):
    """A non-empty floating-point array (the logits or predictions)."""
    dtype = getattr(x, "dtype", None)
    if dtype is None or not hasattr(x, "shape"):
        raise TypeError(f"{name}: expected an array, got {type(x).__name__}")
    if dtype.kind != "f":
        raise TypeError(f"{name}: expected a floating-point array, got dtype {dtype}")
    if x.size == 0:
        raise ValueError(f"{name}: got an empty array of shape {tuple(x.shape)}; the mean of "
                         f"no elements is undefined")


def _check_target(name, x, target, unit_interval: bool):
    """``target`` is a real number or an array of exactly x's shape (never broadcast),
    on x's device; with ``unit_interval`` it must lie in [0, 1]."""
    if isinstance(target, numbers.Real) and not isinstance(target, (bool, numpy.bool_)):
        t = float(target)
        if t != t or t in (float("inf"), float("-inf")):
            raise ValueError(f"{name}: target must be finite, got {target!r}")
        if unit_interval and not 0.0 <= t <= 1.0:
            raise ValueError(f"{name}: target must be in [0, 1] (a probability), got {target!r}")
        return
    shape = getattr(target, "shape", None)
    if shape is None:
        raise TypeError(f"{name}: target must be a number or an array of the input's shape "
                        f"{tuple(x.shape)}, got {type(target).__name__}")
    if tuple(shape) != tuple(x.shape):
        raise ValueError(f"{name}: target shape {tuple(shape)} does not match input shape "
                         f"{tuple(x.shape)} (no broadcasting)")
    if backend_of(target) != backend_of(x):
        raise TypeError(f"{name}: input is a {backend_of(x)} array but target is a "
                        f"{backend_of(target)} array")
    if target.dtype.kind not in "biuf":
        raise TypeError(f"{name}: target must hold real numbers, got dtype {target.dtype}")
    if unit_interval and isinstance(target, numpy.ndarray):
        if not ((target >= 0) & (target <= 1)).all():
            raise ValueError(f"{name}: every target must be in [0, 1] (probabilities); got values "
                             f"in [{target.min()}, {target.max()}]")


def _wide(x):
    """Work in float64: a float32 loss computed in float32 loses its tails to underflow
    and its mean to rounding; these arrays are small (one logit per sample)."""
    return x.astype(numpy.float64) if x.dtype != numpy.float64 else x


def _result(x, loss, grad):
    """(0-d loss, gradient) in x's dtype and on x's device."""
    xp = array_module(x)
    return xp.asarray(loss, dtype=x.dtype), grad.astype(x.dtype, copy=False)


def softplus(z):
    """log(1 + e^z) without overflow: max(z, 0) + log1p(e^-|z|)."""
    xp = array_module(z)
    return xp.maximum(z, 0) + xp.log1p(xp.exp(-xp.abs(z)))


def sigmoid(z):
    """1 / (1 + e^-z) without overflow and with full relative accuracy in both tails
    (the same formula as minigan.ops.activations.sigmoid_forward)."""
    return sigmoid_forward(z)[0]


def bce_with_logits(logits, target):
    """Binary cross-entropy of sigmoid(logits) against targets y in [0, 1].

    l_i = y softplus(-z) + (1 - y) softplus(z)        (= softplus(z) - y z, without its cancellation)
    dL/dz_i = ((1 - y) sigma(z) - y sigma(-z)) / n     (= (sigma(z) - y) / n, likewise)

    Both are sums of non-negative terms where a tail is involved, so they keep full
    relative accuracy for any logit: for y = 1 and z = 40 the loss is e^-40 and the
    gradient -e^-40 / n, not 0 (docs/math/losses.md, "Exact in both tails").
    """
    name = "bce_with_logits"
    _check_input(name, logits)
    _check_target(name, logits, target, unit_interval=True)
    n = logits.size
    if isinstance(target, numbers.Real) and float(target) in (0.0, 1.0):
        # The two labels a GAN uses: one term each, l = softplus(t) and dL/dz = s sigma(t) / n
        # with t = s z, s = -1 for label 1 and +1 for label 0; on CuPy one fused kernel.
        s = -1.0 if float(target) == 1.0 else 1.0
        terms, grad = _bce_label(logits, s, s / n)
        return _result(logits, terms.mean(), grad)
    z = _wide(logits)
    y = _wide(target) if hasattr(target, "dtype") else float(target)
    loss = (y * softplus(-z) + (1 - y) * softplus(z)).mean()
    grad = (1 - y) * sigmoid(z) - y * sigmoid(-z)
    grad /= n
    return _result(logits, loss, grad)


def _bce_label_twin(xp, logits, s, s_over_n):
    t = _wide(logits)
    t = -t if s < 0 else t
    return softplus(t), (sigmoid(t) * s_over_n).astype(logits.dtype, copy=False)


# The per-sample terms in float64 (see _wide), the gradient in the logits' dtype.
_bce_label = Elementwise(
    "bce_label_loss_grad", "T z, float64 s, float64 s_over_n", "float64 l, T dz",
    """double t = s * (double)z;
       double e = exp(-fabs(t));
       l = max(t, 0.0) + log1p(e);                       /* softplus(t) */
       dz = (T)(exp(min(t, 0.0)) / (e + 1) * s_over_n);  /* sigma(t) s / n */""",
    _bce_label_twin)


def mse(pred, target):
    """Mean squared error: L = mean((p - t)^2), dL/dp = 2 (p - t) / n."""
    _check_input("mse", pred)
    _check_target("mse", pred, target, unit_interval=False)
    diff = pred - target
    loss = (diff * diff).mean()
    return _result(pred, loss, diff * (2.0 / pred.size))

def l1(pred, target):
    """Mean absolute error: L = mean(|p - t|), dL/dp = sign(p - t) / n.

    |u| has no derivative at u = 0; the subgradient used there is 0 (``sign(0) = 0``),
    as PyTorch's ``l1_loss`` does: any value in [-1/n, 1/n] is a valid subgradient,
    and 0 leaves an entry that already matches its target where it is
    (docs/math/losses.md, "L1 and its subgradient"). The CycleGAN's cycle and identity
    losses are L1 losses.
    """
    _check_input("l1", pred)
    _check_target("l1", pred, target, unit_interval=False)
    xp = array_module(pred)
    diff = pred - target
    loss = xp.abs(diff).mean()
    return _result(pred, loss, xp.sign(diff) * (1.0 / pred.size))


# ---------------------------------------------------------------- GAN objectives

def discriminator_loss(real_logits, fake_logits):
    """D's loss, shared by the minimax and the non-saturating game:
    L_D = -E[log D(x)] - E[log(1 - D(G(z)))] = BCE(real, 1) + BCE(fake, 0).
    Returns (loss, dL/d real_logits, dL/d fake_logits)."""
    lr, dr = bce_with_logits(real_logits, 1.0)
    lf, df = bce_with_logits(fake_logits, 0.0)
    return array_module(lr).asarray(lr + lf), dr, df


def minimax_generator_loss(fake_logits):
    """The original (saturating) game: G minimises E[log(1 - D(G(z)))] = -E[softplus(z)].
    dL/dz = -sigmoid(z) / n: vanishes when D confidently rejects the fakes (z -> -inf)."""
    _check_input("minimax_generator_loss", fake_logits)
    z = _wide(fake_logits)
    return _result(fake_logits, -softplus(z).mean(), sigmoid(z) * (-1.0 / z.size))


def nonsaturating_generator_loss(fake_logits):
    """The non-saturating game: G minimises -E[log D(G(z))] = E[softplus(-z)] = BCE(fake, 1).
    dL/dz = (sigmoid(z) - 1) / n = -sigmoid(-z) / n: close to -1/n exactly when D rejects the fakes."""
    _check_input("nonsaturating_generator_loss", fake_logits)
    return bce_with_logits(fake_logits, 1.0)


# ---------------------------------------------------------------- critics' losses

def least_squares(out, target):
    """LSGAN's loss: L = (1/2) mean((o - t)^2), dL/do = (o - t) / n (Mao et al., 2017)."""
    _check_input("least_squares", out)
    _check_target("least_squares", out, target, unit_interval=False)
    diff = out - target
    return _result(out, 0.5 * (diff * diff).mean(), diff * (1.0 / out.size))


def hinge(out, sign):
    """The hinge terms of the hinge GAN: L = mean(relu(1 + sign o)), dL/do = sign [1 + sign o > 0] / n.
    D: hinge(real, -1) + hinge(fake, +1) (Lim & Ye 2017; Miyato et al. 2018)."""
    _check_input("hinge", out)
    if sign not in (-1, 1):
        raise ValueError(f"hinge: sign must be -1 or +1, got {sign!r}")
    margin = 1.0 + sign * out
    active = (margin > 0).astype(out.dtype)
    xp = array_module(out)
    return _result(out, xp.maximum(margin, 0).mean(), active * (sign / out.size))


def mean_score(out, sign):
    """A critic's score term: L = sign mean(o), dL/do = sign / n (the Wasserstein losses:
    D minimises mean(fake) - mean(real), G minimises -mean(fake))."""
    _check_input("mean_score", out)
    if sign not in (-1, 1):
        raise ValueError(f"mean_score: sign must be -1 or +1, got {sign!r}")
    xp = array_module(out)
    return _result(out, sign * out.mean(), xp.full(out.shape, sign / out.size, dtype=out.dtype))
