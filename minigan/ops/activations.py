"""Element-wise activations, forward and backward side by side.
Derivations: docs/math/activations.md.

Every forward returns (y, cache) with y the same shape as x; every backward
takes (dy, cache) and returns dx = dy * f'(x). Where f' can be written with the
output alone (ReLU, tanh, sigmoid, ELU) the cache is y, so x need not be kept
(with the slope or alpha beside it, in a named cache, where the function has one).

Every double backward takes (a, dy, cache), a = dP/d(dx) for a function P of the
backward's result dx = f'(x) dy, and returns (f'(x) a, a dy f''(x)): the tangent
passed on up the chain and the second-order term (None where f'' = 0), as
docs/math/gradient_penalty.md ("Activations") derives.
"""
from __future__ import annotations

from typing import NamedTuple

from ..backend import array_module
from ..backend.fused import Elementwise


class LeakyReLUCache(NamedTuple):
    y: object
    negative_slope: float


class ELUCache(NamedTuple):
    y: object
    alpha: float


class SoftplusCache(NamedTuple):
    d1: object            # f'(x): sigma(beta x), and exactly 1 where beta x > threshold
    beta: float


def relu_forward(x):
    """y = max(x, 0)."""
    y = array_module(x).maximum(x, 0)
    return y, y


def relu_backward(dy, y):
    """f'(x) = 1 where x > 0 (equivalently y > 0), else 0."""
    return _relu_backward(dy, y)


_relu_backward = Elementwise(
    "relu_backward", "T dy, T y", "T dx",
    "dx = dy * (T)(y > 0)",                        # the mask as 0/1, as the twin multiplies it
    lambda xp, dy, y: dy * (y > 0))


def relu_double_backward(a, dy, y):
    """The backward dx = f'(x) dy, differentiated (docs/math/gradient_penalty.md):
    returns (f'(x) a, a dy f''(x)) = (the tangent of a, the second-order term), with
    f'' = 0 almost everywhere for a piecewise-linear f: the term is None."""
    return relu_backward(a, y), None


def leaky_relu_forward(x, negative_slope=0.01):
    """y = x for x > 0, slope * x otherwise, i.e. max(x, slope x) for slope <= 1
    (min for slope > 1): one pass, no branch per element."""
    y = _leaky_forward(x, negative_slope)
    return y, LeakyReLUCache(y, negative_slope)


def _leaky_forward_twin(xp, x, slope):
    sx = xp.multiply(x, slope, out=xp.empty_like(x))      # an array even for a 0-d x
    return xp.maximum(x, sx, out=sx) if slope <= 1 else xp.minimum(x, sx, out=sx)


_leaky_forward = Elementwise(
    "leaky_relu_forward", "T x, T slope", "T y",
    # selects, not CUDA's max/min: those drop a NaN operand (fmaxf), NumPy's keep it
    """T sx = x * slope;
       y = slope <= (T)1 ? (x > sx ? x : sx) : (x < sx ? x : sx)""",
    _leaky_forward_twin)


def leaky_relu_double_backward(a, dy, cache):
    """(f'(x) a, None): piecewise linear, so f'' = 0 and no second-order term."""
    return leaky_relu_backward(a, cache), None


def leaky_relu_backward(dy, cache):
    """f'(x) = 1 for x > 0, slope otherwise; for slope > 0, sign(y) = sign(x).

    Written as f' = slope + (1 - slope) [y > 0]: arithmetic on the mask instead of
    ``where(mask, dy, slope dy)``, whose per-element branch on random signs is slower
    (docs/math/activations.md, "LeakyReLU").
    """
    y, slope = cache
    return _leaky_backward(dy, y, 1 - slope, slope)


def _leaky_backward_twin(xp, dy, y, one_minus_slope, slope):
    g = (y > 0).astype(dy.dtype)
    g *= one_minus_slope
    g += slope
    g *= dy
    return g


_leaky_backward = Elementwise(
    "leaky_relu_backward", "T dy, T y, T one_minus_slope, T slope", "T dx",
    "dx = ((T)(y > 0) * one_minus_slope + slope) * dy",     # f' = slope + (1 - slope)[y > 0]
    _leaky_backward_twin, like="y")


def tanh_forward(x):
    y = array_module(x).tanh(x)
    return y, y


def tanh_backward(dy, y):
    """tanh'(x) = 1 - tanh(x)^2 = 1 - y^2."""
    return _tanh_backward(dy, y)


_tanh_backward = Elementwise(
    "tanh_backward", "T dy, T y", "T dx",
    "dx = dy * (1 - y * y)",
    lambda xp, dy, y: dy * (1 - y * y))


def tanh_double_backward(a, dy, y):
    """(tanh'(x) a, a dy tanh''(x)) with tanh''(x) = -2 y (1 - y^2)."""
    d1 = 1 - y * y
    return a * d1, a * dy * (-2 * y * d1)


def sigmoid_forward(x):
    """sigma(x) = 1 / (1 + e^-x), computed as e^min(x, 0) / (1 + e^-|x|).

    For x >= 0 that is 1 / (1 + e^-x); for x < 0 it is e^x / (1 + e^x) (numerator and
    denominator multiplied by e^x). Both exponents are <= 0, so nothing overflows, and
    no subtraction cancels, so the tiny values of the far negative tail keep their
    relative accuracy.
    """
    y = _sigmoid_forward(x)
    return y, y


def _sigmoid_forward_twin(xp, x):
    y = xp.exp(xp.minimum(x, 0))
    den = xp.exp(-xp.abs(x))
    den += 1
    y /= den
    return y


_sigmoid_forward = Elementwise(
    "sigmoid_forward", "T x", "T y",
    "y = exp(min(x, (T)0)) / (exp(-fabs(x)) + 1)",
    _sigmoid_forward_twin)


def sigmoid_backward(dy, y):
    """sigma'(x) = sigma(x) (1 - sigma(x)) = y (1 - y)."""
    return _sigmoid_backward(dy, y)


_sigmoid_backward = Elementwise(
    "sigmoid_backward", "T dy, T y", "T dx",
    "dx = dy * y * (1 - y)",
    lambda xp, dy, y: dy * y * (1 - y))


def sigmoid_double_backward(a, dy, y):
    """(sigma'(x) a, a dy sigma''(x)) with sigma'' = y (1 - y) (1 - 2 y)."""
    d1 = y * (1 - y)
    return a * d1, a * dy * (d1 * (1 - 2 * y))


def elu_forward(x, alpha=1.0):
    """y = x for x > 0, alpha (e^x - 1) otherwise, i.e. max(x, 0) + alpha expm1(min(x, 0))."""
    y = _elu_forward(x, alpha)
    return y, ELUCache(y, alpha)


def _elu_forward_twin(xp, x, alpha):
    # expm1 of min(x, 0): exact near 0, no overflow for large positive x, and no branch
    y = xp.expm1(xp.minimum(x, 0))
    y *= alpha
    y += xp.maximum(x, 0)
    return y


_elu_forward = Elementwise(
    "elu_forward", "T x, T alpha", "T y",
    # selects for min(x, 0) and max(x, 0): they keep a NaN, as NumPy's minimum/maximum do
    "y = expm1(x > (T)0 ? (T)0 : x) * alpha + (x > (T)0 ? x : (T)0)",
    _elu_forward_twin)


def elu_backward(dy, cache):
    """f'(x) = 1 for x > 0, alpha e^x = y + alpha otherwise.

    As arithmetic: f' = min(y, 0) + alpha + (1 - alpha) [y > 0] (for x <= 0, y <= 0)."""
    y, alpha = cache
    return _elu_backward(dy, y, alpha, 1 - alpha)


def _elu_backward_twin(xp, dy, y, alpha, one_minus_alpha):
    g = xp.minimum(y, 0)
    g += alpha
    g += one_minus_alpha * (y > 0).astype(dy.dtype)
    g *= dy
    return g


_elu_backward = Elementwise(
    "elu_backward", "T dy, T y, T alpha, T one_minus_alpha", "T dx",
    "dx = ((y > (T)0 ? (T)0 : y) + alpha + one_minus_alpha * (T)(y > 0)) * dy",
    _elu_backward_twin, like="y")


def elu_double_backward(a, dy, cache):
    """(f'(x) a, a dy f''(x)): for x > 0 f' = 1, f'' = 0; for x <= 0 f' = f'' = alpha e^x
    = y + alpha, i.e. f'' = min(y, 0) + alpha [y <= 0]."""
    y, alpha = cache
    xp = array_module(a)
    d2 = xp.minimum(y, 0)
    d2 += alpha * (y <= 0).astype(a.dtype)
    return elu_backward(a, cache), a * dy * d2


def softplus_forward(x, beta=1.0, threshold=20.0):
    """PyTorch's Softplus: y = log(1 + e^(beta x)) / beta, and y = x where beta x > threshold.

    log(1 + e^t) is computed as max(t, 0) + log1p(e^-|t|): no overflow for large t, no
    loss of the tiny values for very negative t. The cache keeps f'(x) = sigma(beta x)
    (1 above the threshold, as PyTorch's gradient), which backward and the second order
    both read (f'' = beta f' (1 - f'), so 0 above the threshold).
    """
    xp = array_module(x)
    t = x * beta
    y = xp.maximum(t, 0)
    y += xp.log1p(xp.exp(-xp.abs(t)))
    y /= beta
    linear = t > threshold
    d1, _ = sigmoid_forward(t)
    return xp.where(linear, x, y), SoftplusCache(xp.where(linear, 1, d1).astype(x.dtype), beta)


def softplus_backward(dy, cache):
    """f'(x) = sigma(beta x) below the threshold, 1 above it."""
    return dy * cache.d1


def softplus_double_backward(a, dy, cache):
    """(f'(x) a, a dy f''(x)) with f'' = beta sigma (1 - sigma) = beta f' (1 - f')."""
    d1 = cache.d1
    return a * d1, a * dy * (cache.beta * d1 * (1 - d1))
