"""Batch normalisation with PyTorch's semantics.  Derivation: docs/math/batchnorm.md.

Shapes: x (N, C) or (N, C, L) or (N, C, H, W); gamma, beta, running_mean,
running_var (C,).  Statistics are per channel (axis 1) over the other m = N*L
or N*H*W entries.

Training:   mu = mean(x), var = mean((x - mu)^2)   (biased: it normalises)
            xhat = (x - mu) / sqrt(var + eps),  y = gamma xhat + beta
            running_mean <- (1 - momentum) running_mean + momentum mu
            running_var  <- (1 - momentum) running_var  + momentum var m / (m - 1)   (unbiased)
Evaluation: the same with mu, var := running_mean, running_var; nothing is updated.

Backward (training), the compact form:
            dx = gamma / sqrt(var + eps) * (dy - mean(dy) - xhat mean(dy xhat))
            dgamma = sum(dy xhat),  dbeta = sum(dy)
Backward (evaluation): dx = gamma / sqrt(running_var + eps) * dy.
"""
from __future__ import annotations

from typing import NamedTuple

from .. import backend as B
from .workspace import scratch_like


class BatchNormCache(NamedTuple):
    xhat: object          # the normalised input (in the layer's workspace when it has one)
    gamma: object
    inv_std: object       # 1 / sqrt(var + eps), (C,)
    training: bool
    finite: object        # (C,) mask of channels whose running statistics were updated;
                          # None in evaluation


def _axes(x):
    """The reduction axes (all but the channel axis) and the shape that broadcasts (C,) on x."""
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    return axes, shape


def batchnorm_forward(x, gamma, beta, running_mean, running_var, training: bool = True,
                      momentum: float | None = 0.1, eps: float = 1e-5, num_batches_tracked: int = 0,
                      ws=None):
    """x (N, C, *), gamma/beta/running_* (C,) -> (y like x, cache).

    In training the running statistics are updated IN PLACE (as PyTorch's buffers
    are); ``momentum=None`` gives PyTorch's cumulative average, with weight
    1 / (num_batches_tracked + 1) where ``num_batches_tracked`` counts the batches
    before this one. Channels whose batch statistics are NaN or infinite keep their
    running statistics; the cache's ``finite`` is the (C,) mask of channels that
    were updated (None in evaluation).  ``ws``: the layer's
    :class:`~minigan.ops.workspace.Workspace` for xhat (the cache) and the squares
    (None: fresh arrays; with one, a later forward invalidates this cache).
    See docs/math/batchnorm.md.
    """
    xp = B.array_module(x)
    axes, shape = _axes(x)
    m = x.size // x.shape[1]
    if training:
        if m <= 1:
            raise ValueError(f"batchnorm: expected more than 1 value per channel when training, "
                             f"got input of shape {tuple(x.shape)}")
        mu = x.mean(axis=axes)
        xc = xp.subtract(x, mu.reshape(shape), out=scratch_like(ws, "xhat", x))
        sq = xp.multiply(xc, xc, out=scratch_like(ws, "sq", x))
        var = sq.mean(axis=axes)                   # biased: this is what normalises
        factor = momentum if momentum is not None else 1.0 / (num_batches_tracked + 1)
        new_mean = running_mean * (1 - factor)
        new_mean += factor * mu
        new_var = running_var * (1 - factor)
        new_var += (factor * m / (m - 1)) * var    # unbiased for the running estimate
        # A batch with a NaN or Inf must not poison the running statistics for good:
        # channels whose new statistics are not finite keep their old ones (a select,
        # not a branch, so no device sync). ``finite`` goes back to the caller.
        finite = xp.isfinite(new_mean + new_var)
        running_mean[...] = xp.where(finite, new_mean, running_mean)
        running_var[...] = xp.where(finite, new_var, running_var)
    else:
        xc = xp.subtract(x, running_mean.reshape(shape), out=scratch_like(ws, "xhat", x))
        var = running_var
        finite = None
    inv_std = 1.0 / xp.sqrt(var + eps)
    xhat = xc
    xhat *= inv_std.reshape(shape)                 # xc is this op's own array: normalise in place
    y = xhat * gamma.reshape(shape)
    y += beta.reshape(shape)
    return y, BatchNormCache(xhat, gamma, inv_std, training, finite)


def batchnorm_backward(dy, cache, param_grads: bool = True, ws=None):
    """dy like x -> (dx like x, dgamma (C,), dbeta (C,)).

    With ``param_grads=False`` (a frozen layer) dgamma and dbeta are None; in
    evaluation mode their two reductions are then skipped entirely (in training
    dx itself needs sum(dy) and sum(dy xhat)).  ``ws``: a Workspace for the
    product dy xhat (None: a fresh array).  See docs/math/batchnorm.md.
    """
    xhat, gamma, inv_std, training = cache.xhat, cache.gamma, cache.inv_std, cache.training
    axes, shape = _axes(dy)
    scale = (gamma * inv_std).reshape(shape)
    if not training:
        dx = dy * scale
        if not param_grads:
            return dx, None, None
        return dx, (dy * xhat).sum(axis=axes), dy.sum(axis=axes)
    m = dy.size // dy.shape[1]
    xp = B.array_module(dy)
    dbeta = dy.sum(axis=axes)
    dgamma = xp.multiply(dy, xhat, out=scratch_like(ws, "dy_xhat", xhat)).sum(axis=axes)
    # dx = scale * (dy - dbeta/m - xhat * dgamma/m), built with in-place steps.
    dx = xhat * (dgamma / m).reshape(shape)
    dx += (dbeta / m).reshape(shape)
    xp.subtract(dy, dx, out=dx)
    dx *= scale
    if not param_grads:
        return dx, None, None
    return dx, dgamma, dbeta
