"""Fully connected layer: y = x W^T + b.  Derivation: docs/math/linear.md.

Shapes: x (N, in), W (out, in), b (out,), y (N, out).
"""
from __future__ import annotations

from typing import NamedTuple

from .. import backend as B


class LinearCache(NamedTuple):
    x: object           # the input itself, by reference: dW = dy^T x reads it in backward
    W: object
    has_bias: bool


def linear_forward(x, W, b=None):
    """y[n, o] = sum_i x[n, i] W[o, i] + b[o].  Returns (y, LinearCache)."""
    y = x @ W.T
    if b is not None:
        y += b          # in place: y is a fresh array, so no extra copy
    return y, LinearCache(x, W, b is not None)


def linear_backward(dy, cache: LinearCache, param_grads: bool = True, input_grad: bool = True,
                    dW_out=None, db_out=None):
    """From dy = dL/dy (N, out) return (dx, dW, db).

    dx = dy W          (N, in)
    dW = dy^T x        (out, in)
    db = sum_n dy[n]   (out,)
    With ``param_grads=False`` (a frozen layer) dW and db are None and their
    GEMM is skipped; with ``input_grad=False`` (the input is data) dx is None.
    ``dW_out`` / ``db_out``: arrays to write dW / db into (a parameter's zeroed gradient).
    """
    dx = dy @ cache.W if input_grad else None
    if not param_grads:
        return dx, None, None
    dW = dy.T @ cache.x if dW_out is None else B.array_module(dy).matmul(dy.T, cache.x,
                                                                        out=dW_out)
    db = dy.sum(axis=0, out=db_out) if cache.has_bias else None
    return dx, dW, db


def linear_double_backward(a, dy, cache: LinearCache, param_grads: bool = True):
    """The backward pass g = dy W, differentiated (docs/math/gradient_penalty.md, "Linear").

    For a = dP/dg (N, in), where P is any function of g, returns (J a, dW):

        J a = dP/d(dy) = a W^T      (N, out)    the tangent, passed on to the layer above
        dW  = dP/dW    = dy^T a     (out, in)   the backward pass's own weight term

    g does not depend on x (nor on b), so there is no second-order term in x. dW is None
    with ``param_grads=False``.
    """
    Ja = a @ cache.W.T
    return Ja, (dy.T @ a if param_grads else None)
