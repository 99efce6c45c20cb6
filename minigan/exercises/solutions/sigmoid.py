# minigan exercise: sigmoid
"""Exercise: the backward pass of the logistic sigmoid, y = 1 / (1 + e^-x).

Shapes: x, y and dy all the same shape (any).
Math: docs/math/activations.md, section "Sigmoid".
Check your answer with: minigan check THIS_FILE
"""
import numpy as np


def sigmoid_forward(x):
    """y = 1 / (1 + e^-x), computed without overflow.  Returns (y, cache = y)."""
    # -- forward --
    e = np.exp(-np.abs(x))            # never overflows
    y = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
    return y, y
    # -- end --


def sigmoid_backward(dy, y):
    """dy = dL/dy -> dx = dy * sigmoid'(x), written with the output y."""
    # -- backward --
    # hint: differentiate 1 / (1 + e^-x) and write the result with y alone.
    return dy * y * (1 - y)
    # -- end --
