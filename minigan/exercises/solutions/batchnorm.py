# minigan exercise: batchnorm
"""Exercise: the backward pass of batch normalisation in training mode.

Shapes: x (N, C) or (N, C, H, W); gamma, beta (C,). Every statistic is per channel,
over all the other axes (m = N, or N*H*W, values per channel); the variance is the
biased one (divided by m), as in the forward of torch.nn.BatchNorm.
Math: docs/math/batchnorm.md, sections "Forward, training mode" and "Backward, training mode".
Check your answer with: minigan check THIS_FILE
(minigan's op also updates running statistics; they do not enter the gradient.)
"""
import numpy as np


def _axes(x):
    """The axes a statistic runs over (all but the channels) and the shape that
    broadcasts a (C,) vector on x."""
    return (0,) + tuple(range(2, x.ndim)), (1, x.shape[1]) + (1,) * (x.ndim - 2)


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    """y = gamma * (x - mean) / sqrt(var + eps) + beta.  Returns (y, cache)."""
    # -- forward --
    axes, shape = _axes(x)
    mu = x.mean(axis=axes)
    var = ((x - mu.reshape(shape)) ** 2).mean(axis=axes)
    inv_std = 1 / np.sqrt(var + eps)
    xhat = (x - mu.reshape(shape)) * inv_std.reshape(shape)
    y = gamma.reshape(shape) * xhat + beta.reshape(shape)
    return y, (xhat, gamma, inv_std)
    # -- end --


def batchnorm_backward(dy, cache):
    """dy like x -> (dx like x, dgamma (C,), dbeta (C,))."""
    xhat, gamma, inv_std = cache  # given
    axes, shape = _axes(dy)  # given
    # -- backward --
    # hint: dbeta and dgamma are sums over every axis but the channel axis.
    # hint: the mean and the variance depend on every x of the channel: dx has three terms,
    # hint: one direct, one through the mean and one through the variance.
    # hint: with m values per channel: dx = gamma inv_std (dy - mean(dy) - xhat mean(dy xhat)).
    m = dy.size // dy.shape[1]
    dbeta = dy.sum(axis=axes)
    dgamma = (dy * xhat).sum(axis=axes)
    dx = (gamma * inv_std).reshape(shape) * (
        dy - dbeta.reshape(shape) / m - xhat * dgamma.reshape(shape) / m)
    return dx, dgamma, dbeta
    # -- end --
