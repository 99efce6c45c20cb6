# minigan exercise: tanh
"""Exercise: the backward pass of tanh.

Shapes: x, y and dy all the same shape (any).
Math: docs/math/activations.md, section "Tanh".
Check your answer with: minigan check THIS_FILE
"""
import numpy as np


def tanh_forward(x):
    """y = tanh(x).  Returns (y, cache): the cache is y itself."""
    # -- forward --
    y = np.tanh(x)
    return y, y
    # -- end --


def tanh_backward(dy, y):
    """dy = dL/dy -> dx = dy * tanh'(x), written with the output y."""
    # -- backward --
    # hint: tanh'(x) = 1 - tanh(x)^2, and tanh(x) is y: no need to recompute it.
    return dy * (1 - y * y)
    # -- end --
