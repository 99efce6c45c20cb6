# minigan exercise: linear
"""Exercise: the backward pass of a fully connected layer, y = x W^T + b.

Shapes: x (N, in), W (out, in) as in PyTorch, b (out,) or None, y (N, out).
Math: docs/math/linear.md, section "Backward".
Check your answer with: minigan check THIS_FILE
"""
import numpy as np


def linear_forward(x, W, b=None):
    """y[n, o] = sum_i x[n, i] W[o, i] + b[o].  Returns (y, cache)."""
    # -- forward --
    y = x @ W.T
    if b is not None:
        y = y + b
    return y, (x, W, b is not None)
    # -- end --


def linear_backward(dy, cache):
    """dy = dL/dy (N, out) -> (dx (N, in), dW (out, in), db (out,), None without a bias)."""
    x, W, has_bias = cache  # given
    # -- backward --
    # hint: each gradient has the shape of what it differentiates: dx like x, dW like W.
    # hint: y = x W^T, so dL/dx = dy W and dL/dW = dy^T x (write both out for one element).
    # hint: b is added to every row of y: its gradient sums dy over the batch.
    dx = dy @ W
    dW = dy.T @ x
    db = dy.sum(axis=0) if has_bias else None
    return dx, dW, db
    # -- end --
