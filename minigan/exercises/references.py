"""minigan's own ops, called the way each exercise's functions are: the answers the
checker compares a student's gradients with.  Each takes a Case's inputs (float64 NumPy)
and the incoming gradient dy, and returns (y, (grad, ...)) in the exercise's order; with
dy None, the forward alone: (y, None). A loss (bce_with_logits) has no dy: it always
returns its gradient."""
from __future__ import annotations

import numpy

from .. import losses
from ..ops import activations as A
from ..ops.batchnorm import batchnorm_backward, batchnorm_forward
from ..ops.conv import conv2d_backward, conv2d_forward
from ..ops.conv_transpose import conv_transpose2d_backward, conv_transpose2d_forward
from ..ops.im2col import pair
from ..ops.instancenorm import instance_norm_backward, instance_norm_forward
from ..ops.linear import linear_backward, linear_forward
from ..ops.mmd import mmd2_backward, mmd2_forward
from ..ops.resample import upsample_backward, upsample_forward


def linear(inp, dy):
    y, cache = linear_forward(inp["x"], inp["W"], inp.get("b"))
    return y, (None if dy is None else linear_backward(dy, cache))


def activation(name):
    forward, backward = getattr(A, f"{name}_forward"), getattr(A, f"{name}_backward")

    def reference(inp, dy):
        args = {k: v for k, v in inp.items() if k != "x"}
        y, cache = forward(inp["x"], **args)
        return y, (None if dy is None else (backward(dy, cache),))
    reference.__name__ = name
    return reference


def bce_with_logits(inp, dy):
    loss, grad = losses.bce_with_logits(inp["logits"], inp["target"])
    return numpy.asarray(loss, dtype=numpy.float64), (grad,)


def batchnorm(inp, dy):
    C = inp["x"].shape[1]
    y, cache = batchnorm_forward(inp["x"], inp["gamma"], inp["beta"], numpy.zeros(C),
                                 numpy.ones(C), training=True, eps=inp.get("eps", 1e-5))
    return y, (None if dy is None else batchnorm_backward(dy, cache))


def instance_norm(inp, dy):
    y, cache = instance_norm_forward(inp["x"], inp.get("eps", 1e-5))
    return y, (None if dy is None else (instance_norm_backward(dy, cache),))


def conv2d(inp, dy):
    y, cache = conv2d_forward(inp["x"], inp["W"], inp.get("b"), pair(inp["stride"]),
                              pair(inp["padding"]), pair(inp["dilation"]))
    return y, (None if dy is None else conv2d_backward(dy, cache))


def conv_transpose2d(inp, dy):
    y, cache = conv_transpose2d_forward(inp["x"], inp["W"], inp.get("b"), pair(inp["stride"]),
                                        pair(inp["padding"]), pair(inp["output_padding"]),
                                        pair(inp["dilation"]))
    return y, (None if dy is None else conv_transpose2d_backward(dy, cache))


def upsample(inp, dy):
    y, cache = upsample_forward(inp["x"], tuple(inp["out_size"]), inp["mode"],
                                inp.get("align_corners"))
    return y, (None if dy is None else (upsample_backward(dy, cache),))


def mmd2(inp, dout):
    value, cache = mmd2_forward(inp["x"], inp["y"], tuple(inp["bandwidths"]))
    value = numpy.asarray(value, dtype=numpy.float64)
    return value, (None if dout is None else (mmd2_backward(dout, cache),))


def gradient_penalty(inp, dP):
    """P and its parameter gradients through minigan's critic layers and its double
    backward (minigan.gan.penalty), for D = Linear(D, H), Tanh, Linear(H, 1)."""
    from .. import nn
    from ..gan.penalty import gradient_penalty as penalty
    W1, W2 = inp["W1"], inp["W2"]
    D = nn.Sequential(nn.Linear(W1.shape[1], W1.shape[0], dtype=numpy.float64), nn.Tanh(),
                      nn.Linear(W2.shape[1], 1, dtype=numpy.float64))
    first, last = D[0], D[2]
    first.weight.data[...] = W1
    first.bias.data[...] = inp["b1"]
    last.weight.data[...] = W2
    last.bias.data[...] = inp["b2"]
    D.zero_grad()
    value = penalty(D, inp["x"], inp["lam"])
    if dP is None:
        return numpy.asarray(value, dtype=numpy.float64), None
    grads = tuple(dP * p.grad for p in (first.weight, first.bias, last.weight, last.bias))
    return numpy.asarray(value, dtype=numpy.float64), grads
