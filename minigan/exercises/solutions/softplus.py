# minigan exercise: softplus
"""Exercise: the backward pass of Softplus, y = log(1 + e^(beta x)) / beta, with PyTorch's
threshold: where beta x > threshold the layer is the identity, y = x.

Shapes: x, y and dy all the same shape (any); beta > 0, threshold as in torch.nn.Softplus.
Math: docs/math/activations.md, section "Softplus".
Check your answer with: minigan check THIS_FILE
(minigan's own op caches f'(x) in the forward; here the backward computes it from x.)
"""
import numpy as np


def softplus_forward(x, beta=1.0, threshold=20.0):
    """Returns (y, cache) with cache = (x, beta, threshold)."""
    # -- forward --
    bx = beta * x
    soft = (np.maximum(bx, 0) + np.log1p(np.exp(-np.abs(bx)))) / beta
    y = np.where(bx > threshold, x, soft)
    return y, (x, beta, threshold)
    # -- end --


def softplus_backward(dy, cache):
    """dy = dL/dy -> dx = dy * f'(x)."""
    x, beta, threshold = cache  # given
    # -- backward --
    # hint: d/dx log(1 + e^(beta x)) / beta is the sigmoid of beta x.
    # hint: above the threshold y = x, so f'(x) = 1 there: the derivative must switch too.
    # hint: compute the sigmoid without overflow: e^-|z| never overflows.
    bx = beta * x
    e = np.exp(-np.abs(bx))
    s = np.where(bx >= 0, 1 / (1 + e), e / (1 + e))
    return dy * np.where(bx > threshold, 1.0, s)
    # -- end --
