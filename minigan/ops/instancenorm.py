"""Instance normalisation: batch norm's statistics taken per (sample, channel) plane.
Derivation: docs/math/instance_norm.md.

Shapes: x, xhat, dxhat, dx (N, C, H, W); the statistics mu, var, inv_std (N, C, 1, 1),
each over the m = H*W values of one plane:

    mu = mean_hw(x),  var = mean_hw((x - mu)^2)      (biased: it normalises)
    xhat = (x - mu) * inv_std,  inv_std = 1 / sqrt(var + eps)

Backward, batch norm's compact form with the mean taken over H, W instead of N, H, W:

    dx = inv_std * (dxhat - mean_hw(dxhat) - xhat * mean_hw(dxhat * xhat))

These two functions are the normalisation alone: the scale and shift (InstanceNorm2d's
affine weight and bias of shape (C,), AdaIN's per-sample style s, b of shape (N, C)) are
applied by the caller, which passes dxhat = dy * scale here.
"""
from __future__ import annotations

from typing import NamedTuple

from .. import backend as B

_HW = (2, 3)


class InstanceNormCache(NamedTuple):
    xhat: object          # the normalised input (N, C, H, W)
    inv_std: object       # 1 / sqrt(var + eps) per plane, (N, C, 1, 1)


def instance_norm_forward(x, eps: float = 1e-5):
    """x (N, C, H, W) -> (xhat (N, C, H, W), InstanceNormCache).

    Each (n, c) plane is normalised with its own mean and biased variance over its
    H*W values (H*W > 1 is the caller's check: one value normalises to 0 for any input).
    See docs/math/instance_norm.md.
    """
    xp = B.array_module(x)
    mu = x.mean(axis=_HW, keepdims=True)
    xhat = x - mu                                   # this op's own array: normalised in place
    var = (xhat * xhat).mean(axis=_HW, keepdims=True)
    # ``eps`` is a Python float: the statistics keep x's dtype (float16 stays float16).
    inv_std = 1.0 / xp.sqrt(var + eps)
    xhat *= inv_std
    return xhat, InstanceNormCache(xhat, inv_std)


def instance_norm_backward(dxhat, cache):
    """dxhat = dL/dxhat (N, C, H, W) -> dx (N, C, H, W).

    dx = inv_std * (dxhat - mean_hw(dxhat) - xhat * mean_hw(dxhat * xhat)): the two means
    are the gradient through mu and through var of each plane. See docs/math/instance_norm.md.
    """
    xp = B.array_module(dxhat)
    xhat, inv_std = cache.xhat, cache.inv_std
    mean_dxhat = dxhat.mean(axis=_HW, keepdims=True)
    mean_dxhat_xhat = (dxhat * xhat).mean(axis=_HW, keepdims=True)
    dx = xhat * mean_dxhat_xhat
    dx += mean_dxhat
    xp.subtract(dxhat, dx, out=dx)
    dx *= inv_std
    return dx


__all__ = ["InstanceNormCache", "instance_norm_forward", "instance_norm_backward"]
