"""Element-wise activations, forward and backward side by side.
Derivations: docs/math/activations.md.

Every forward returns (y, cache) with y the same shape as x; every backward
takes (dy, cache) and returns dx = dy * f'(x). Where f' can be written with the
output alone (ReLU, tanh, sigmoid, ELU) the cache is y, so x need not be kept.
"""
from ..backend import array_module


def relu_forward(x):
    """y = max(x, 0)."""
    y = array_module(x).maximum(x, 0)
    return y, y


def relu_backward(dy, y):
    """f'(x) = 1 where x > 0 (equivalently y > 0), else 0."""
    return dy * (y > 0)


def leaky_relu_forward(x, negative_slope=0.01):
    """y = x for x > 0, slope * x otherwise."""
    xp = array_module(x)
    y = xp.where(x > 0, x, x * negative_slope)
    return y, (y, negative_slope)


def leaky_relu_backward(dy, cache):
    """f'(x) = 1 for x > 0, slope otherwise; for slope > 0, sign(y) = sign(x)."""
    y, slope = cache
    xp = array_module(dy)
    return xp.where(y > 0, dy, dy * slope)


def tanh_forward(x):
    y = array_module(x).tanh(x)
    return y, y


def tanh_backward(dy, y):
    """tanh'(x) = 1 - tanh(x)^2 = 1 - y^2."""
    return dy * (1 - y * y)


def sigmoid_forward(x):
    """sigma(x) = 1 / (1 + e^-x), computed from e = e^-|x| (which never overflows):
    1 / (1 + e) for x >= 0 and e / (1 + e) for x < 0, so the tiny values of the far
    negative tail keep their relative accuracy instead of cancelling to 0."""
    xp = array_module(x)
    e = xp.exp(-xp.abs(x))
    y = xp.where(x >= 0, 1, e)
    y /= (1 + e)
    return y, y


def sigmoid_backward(dy, y):
    """sigma'(x) = sigma(x) (1 - sigma(x)) = y (1 - y)."""
    return dy * y * (1 - y)


def elu_forward(x, alpha=1.0):
    """y = x for x > 0, alpha (e^x - 1) otherwise."""
    xp = array_module(x)
    # expm1 of min(x, 0): exact near 0 and no overflow warnings for large positive x
    y = xp.where(x > 0, x, alpha * xp.expm1(xp.minimum(x, 0)))
    return y, (y, alpha)


def elu_backward(dy, cache):
    """f'(x) = 1 for x > 0, alpha e^x = y + alpha otherwise."""
    y, alpha = cache
    xp = array_module(dy)
    return xp.where(y > 0, dy, dy * (y + alpha))
