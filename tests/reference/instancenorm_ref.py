"""Naive instance normalisation, one (sample, channel) plane at a time: the ground truth for
minigan.ops.instancenorm and nn.InstanceNorm2d.

The backward pass goes through the full Jacobian of one plane's xhat with respect to its
m = H*W values,

    d xhat_k / d x_l = (delta_kl - 1/m - xhat_k xhat_l / m) / sqrt(var + eps),

a matrix built explicitly - a different route from the compact formula the fast op uses.
NumPy only.
"""
import numpy as np


def instance_norm_ref(x, eps=1e-5):
    """xhat of x (N, C, H, W): each plane minus its mean, over sqrt(biased variance + eps)."""
    xhat = np.empty_like(x)
    N, C = x.shape[:2]
    for n in range(N):
        for c in range(C):
            v = x[n, c].reshape(-1)
            m = v.size
            mu = sum(v) / m
            var = sum((t - mu) ** 2 for t in v) / m                    # biased
            xhat[n, c] = ((v - mu) / np.sqrt(var + eps)).reshape(x.shape[2:])
    return xhat


def instance_norm_backward_ref(dxhat, x, eps=1e-5):
    """dx of L = sum(xhat * dxhat), through each plane's explicit Jacobian."""
    dx = np.empty_like(x)
    N, C = x.shape[:2]
    for n in range(N):
        for c in range(C):
            v, g = x[n, c].reshape(-1), dxhat[n, c].reshape(-1)
            m = v.size
            std = np.sqrt(((v - v.mean()) ** 2).mean() + eps)
            xhat = (v - v.mean()) / std
            J = (np.eye(m) - 1.0 / m - np.outer(xhat, xhat) / m) / std   # J[k, l] = d xhat_k / d x_l
            dx[n, c] = (J.T @ g).reshape(x.shape[2:])
    return dx


def instance_norm2d_ref(x, weight=None, bias=None, eps=1e-5, running_mean=None, running_var=None):
    """InstanceNorm2d's output: with running statistics given (evaluation with tracked
    statistics) they normalise instead of each plane's own; weight/bias (C,) when affine."""
    if running_mean is None:
        xhat = instance_norm_ref(x, eps)
    else:
        xhat = np.empty_like(x)
        for c in range(x.shape[1]):
            xhat[:, c] = (x[:, c] - running_mean[c]) / np.sqrt(running_var[c] + eps)
    if weight is None:
        return xhat
    y = np.empty_like(x)
    for c in range(x.shape[1]):
        y[:, c] = weight[c] * xhat[:, c] + bias[c]
    return y


def running_stats_ref(x, running_mean, running_var, momentum):
    """The running statistics after one training batch, PyTorch's InstanceNorm: the batch
    average of each plane's mean and unbiased variance, mixed in with ``momentum``."""
    N, C = x.shape[:2]
    rm, rv = running_mean.copy(), running_var.copy()
    for c in range(C):
        means = [x[n, c].mean() for n in range(N)]
        variances = [x[n, c].var(ddof=1) for n in range(N)]             # unbiased
        rm[c] = (1 - momentum) * running_mean[c] + momentum * sum(means) / N
        rv[c] = (1 - momentum) * running_var[c] + momentum * sum(variances) / N
    return rm, rv
