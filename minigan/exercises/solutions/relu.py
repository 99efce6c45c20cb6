# minigan exercise: relu
"""Exercise: the backward pass of ReLU, y = max(x, 0).

Shapes: x, y and dy all the same shape (any).
Math: docs/math/activations.md, sections "The one rule for every element-wise function"
and "ReLU".
Check your answer with: minigan check THIS_FILE
"""
import numpy as np


def relu_forward(x):
    """y = max(x, 0).  Returns (y, cache): the cache is y itself."""
    # -- forward --
    y = np.maximum(x, 0)
    return y, y
    # -- end --


def relu_backward(dy, y):
    """dy = dL/dy -> dx = dL/dx = dy * f'(x), from the output y alone."""
    # -- backward --
    # hint: the chain rule for an element-wise f: dx = dy * f'(x), element by element.
    # hint: f'(x) is 1 where x > 0 and 0 elsewhere; y > 0 exactly where x > 0.
    return dy * (y > 0)
    # -- end --
