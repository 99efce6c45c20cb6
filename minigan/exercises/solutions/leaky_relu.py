# minigan exercise: leaky_relu
"""Exercise: the backward pass of LeakyReLU, y = x for x > 0, slope * x otherwise.

Shapes: x, y and dy all the same shape (any); 0 <= negative_slope (PyTorch's default 0.01).
Math: docs/math/activations.md, section "LeakyReLU".
Check your answer with: minigan check THIS_FILE
"""
import numpy as np


def leaky_relu_forward(x, negative_slope=0.01):
    """Returns (y, cache) with cache = (y, negative_slope)."""
    # -- forward --
    y = np.where(x > 0, x, negative_slope * x)
    return y, (y, negative_slope)
    # -- end --


def leaky_relu_backward(dy, cache):
    """dy = dL/dy -> dx = dy * f'(x)."""
    y, negative_slope = cache  # given
    # -- backward --
    # hint: f'(x) is 1 for x > 0 and negative_slope for x < 0.
    # hint: which side of 0 was x on? For a positive slope, y has the sign of x.
    return dy * np.where(y > 0, 1.0, negative_slope)
    # -- end --
