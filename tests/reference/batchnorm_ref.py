"""Naive batch normalisation, one channel at a time: the ground truth for minigan.ops.batchnorm.

The backward pass goes through the full Jacobian of xhat with respect to the
channel's m values,

    d xhat_k / d x_l = (delta_kl - 1/m - xhat_k xhat_l / m) / sqrt(var + eps),

a matrix built explicitly - a different route from the compact formula the
fast op uses.  NumPy only.
"""
import numpy as np


def _channel(x, c):
    """The m values of channel c as a flat vector (axis 1 is the channel axis)."""
    return np.take(x, c, axis=1).reshape(-1)


def _put(out, c, values):
    idx = [slice(None)] * out.ndim
    idx[1] = c
    out[tuple(idx)] = values.reshape(np.take(out, c, axis=1).shape)


def batchnorm_ref(x, gamma, beta, running_mean, running_var, training=True, momentum=0.1,
                  eps=1e-5):
    """Returns (y, new_running_mean, new_running_var); the inputs are not modified."""
    y = np.empty_like(x)
    rm, rv = running_mean.copy(), running_var.copy()
    for c in range(x.shape[1]):
        v = _channel(x, c)
        m = v.size
        if training:
            mu = sum(v) / m
            var = sum((t - mu) ** 2 for t in v) / m                  # biased
            rm[c] = (1 - momentum) * running_mean[c] + momentum * mu
            rv[c] = (1 - momentum) * running_var[c] + momentum * var * m / (m - 1)  # unbiased
        else:
            mu, var = running_mean[c], running_var[c]
        _put(y, c, gamma[c] * (v - mu) / np.sqrt(var + eps) + beta[c])
    return y, rm, rv


def batchnorm_backward_ref(dy, x, gamma, running_mean=None, running_var=None, training=True,
                           eps=1e-5):
    """(dx, dgamma, dbeta) of L = sum(y * dy), through the explicit Jacobian of xhat."""
    dx = np.empty_like(x)
    dgamma = np.zeros(x.shape[1], dtype=x.dtype)
    dbeta = np.zeros(x.shape[1], dtype=x.dtype)
    for c in range(x.shape[1]):
        v, g = _channel(x, c), _channel(dy, c)
        m = v.size
        if training:
            mu = v.mean()
            std = np.sqrt(((v - mu) ** 2).mean() + eps)
            xhat = (v - mu) / std
            J = (np.eye(m) - 1.0 / m - np.outer(xhat, xhat) / m) / std   # J[k, l] = d xhat_k / d x_l
        else:
            # Evaluation: mean and variance are constants, so xhat is affine in x.
            std = np.sqrt(running_var[c] + eps)
            xhat = (v - running_mean[c]) / std
            J = np.eye(m) / std
        _put(dx, c, J.T @ (gamma[c] * g))
        dgamma[c] = (g * xhat).sum()
        dbeta[c] = g.sum()
    return dx, dgamma, dbeta
