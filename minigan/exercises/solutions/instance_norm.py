# minigan exercise: instance_norm
"""Exercise: the backward pass of instance normalisation (the normalisation alone, without
the affine scale and shift), as CycleGAN's and StyleGAN's layers use it.

Shapes: x (N, C, H, W) with H*W > 1; each (n, c) plane is normalised by its own mean and
biased variance over its H*W values: xhat = (x - mean) / sqrt(var + eps).
Math: docs/math/instance_norm.md, section "Backward of the normalisation".
Check your answer with: minigan check THIS_FILE
"""
import numpy as np


def instance_norm_forward(x, eps=1e-5):
    """Returns (xhat like x, cache = (xhat, inv_std)), inv_std (N, C, 1, 1)."""
    # -- forward --
    mu = x.mean(axis=(2, 3), keepdims=True)
    var = ((x - mu) ** 2).mean(axis=(2, 3), keepdims=True)
    inv_std = 1 / np.sqrt(var + eps)
    xhat = (x - mu) * inv_std
    return xhat, (xhat, inv_std)
    # -- end --


def instance_norm_backward(dxhat, cache):
    """dxhat = dL/dxhat (N, C, H, W) -> dx (N, C, H, W)."""
    xhat, inv_std = cache  # given
    # -- backward --
    # hint: batch norm's backward, with the statistics over (H, W) of each plane only.
    # hint: dx = inv_std (dxhat - mean(dxhat) - xhat mean(dxhat xhat)), means over (2, 3).
    mean_d = dxhat.mean(axis=(2, 3), keepdims=True)
    mean_dx = (dxhat * xhat).mean(axis=(2, 3), keepdims=True)
    return inv_std * (dxhat - mean_d - xhat * mean_dx)
    # -- end --
