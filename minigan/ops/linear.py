"""Fully connected layer: y = x W^T + b.  Derivation: docs/math/linear.md.

Shapes: x (N, in), W (out, in), b (out,), y (N, out).
"""


def linear_forward(x, W, b=None):
    """y[n, o] = sum_i x[n, i] W[o, i] + b[o].  Returns (y, cache)."""
    y = x @ W.T
    if b is not None:
        y += b          # in place: y is a fresh array, so no extra copy
    return y, (x, W, b is not None)


def linear_backward(dy, cache, param_grads: bool = True, input_grad: bool = True):
    """From dy = dL/dy (N, out) return (dx, dW, db).

    dx = dy W          (N, in)
    dW = dy^T x        (out, in)
    db = sum_n dy[n]   (out,)
    With ``param_grads=False`` (a frozen layer) dW and db are None and their
    GEMM is skipped; with ``input_grad=False`` (the input is data) dx is None.
    """
    x, W, has_b = cache
    dx = dy @ W if input_grad else None
    if not param_grads:
        return dx, None, None
    dW = dy.T @ x
    db = dy.sum(axis=0) if has_b else None
    return dx, dW, db
