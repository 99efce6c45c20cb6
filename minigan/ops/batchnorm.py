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
from ..backend.fused import Elementwise, Reduction, runs_kernels
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
                      ws=None, counter=None):
    """x (N, C, *), gamma/beta/running_* (C,) -> (y like x, cache).

    In training the running statistics are updated IN PLACE (as PyTorch's buffers
    are); ``momentum=None`` gives PyTorch's cumulative average, with weight
    1 / (num_batches_tracked + 1) where ``num_batches_tracked`` counts the batches
    before this one. Channels whose batch statistics are NaN or infinite keep their
    running statistics; the cache's ``finite`` is the (C,) mask of channels that
    were updated (None in evaluation).  ``ws``: the layer's
    :class:`~minigan.ops.workspace.Workspace` for xhat (the cache) and the squares
    (None: fresh arrays; with one, a later forward invalidates this cache).
    ``counter``: the layer's 0-d int64 ``num_batches_tracked`` buffer, incremented IN PLACE
    in training by the kernel that updates the running statistics (None: no counter).
    See docs/math/batchnorm.md.
    """
    xp = B.array_module(x)
    axes, shape = _axes(x)
    m = x.size // x.shape[1]
    xhat = scratch_like(ws, "xhat", x)
    if training:
        if m <= 1:
            raise ValueError(f"batchnorm: expected more than 1 value per channel when training, "
                             f"got input of shape {tuple(x.shape)}")
        mu = x.mean(axis=axes)
        # biased: this is what normalises. On NumPy x - mu is kept (in xhat's buffer) for the
        # normalisation; a GPU's one kernel maps and sums without storing it.
        xc = None if runs_kernels(xp) else xhat
        var = _variance(x, mu.reshape(shape), axis=axes, centred=xc,
                        squares=None if xc is None else scratch_like(ws, "sq", x))
        factor = momentum if momentum is not None else 1.0 / (num_batches_tracked + 1)
        finite = xp.empty(running_mean.shape, dtype=bool)
        inv_std = xp.empty_like(var)
        if counter is None:             # (a counter nobody reads: the kernel always has one)
            counter = xp.zeros((), dtype=xp.int64)
        # running <- (1 - factor) running + factor (mu, var m / (m - 1)), 1 / sqrt(var + eps),
        # and the batch counter + 1
        _running(mu, var, 1 - factor, factor, factor * m / (m - 1), eps,
                 running_mean, running_var, finite, inv_std,
                 counter.reshape(1))        # (a 1-element view: raw indexing as CuPy's CArray
                                            # is sure to take it)
    else:
        mu, xc = running_mean, None
        inv_std = 1.0 / xp.sqrt(running_var + eps)
        finite = None
    # y in x's memory order, as NumPy's ufuncs give; xhat in the workspace (in place over
    # x - mu where the NumPy path has it)
    xhat, y = _normalise(x, mu.reshape(shape), inv_std.reshape(shape), gamma.reshape(shape),
                         beta.reshape(shape), xhat, xp.empty_like(xhat), centred=xc)
    return y, BatchNormCache(xhat, gamma, inv_std, training, finite)


def _variance_twin(xp, x, mu, axis=None, out=None, centred=None, squares=None):
    """mean((x - mu)^2) over ``axis``; ``centred`` / ``squares``: arrays to keep x - mu and
    its squares in (the normalisation reuses x - mu). NumPy's mean divides the sum by the
    count in float64 and rounds once to x's dtype (and sums float16 in float32)."""
    xc = xp.subtract(x, mu, out=centred)
    sq = xp.multiply(xc, xc, out=squares)
    return sq.mean(axis=axis, out=out)


# Per channel: the mean of (x - mu)^2 over the other axes, with no (x - mu) array written.
# _in_ind.size() / _out_ind.size() is the number of values per channel, m; the sum is
# divided by it in double and rounded once, as NumPy's mean does. (float16 runs the twin,
# whose mean sums in float32: see Reduction.)
_variance = Reduction(
    "batchnorm_variance", "T x, T mu", "T var", "(x - mu) * (x - mu)", "a + b",
    "var = (T)((double)a / (double)(_in_ind.size() / _out_ind.size()))", "0",
    _variance_twin)


def _running_twin(xp, mu, var, keep, factor, unbiased_factor, eps, running_mean, running_var,
                  finite, inv_std, counter):
    new_mean = running_mean * keep
    new_mean += factor * mu
    new_var = running_var * keep
    new_var += unbiased_factor * var           # unbiased for the running estimate
    # A batch with a NaN or Inf must not poison the running statistics for good:
    # channels whose new statistics are not finite keep their old ones (a select,
    # not a branch, so no device sync). ``finite`` goes back to the caller.
    xp.isfinite(new_mean + new_var, out=finite)
    running_mean[...] = xp.where(finite, new_mean, running_mean)
    running_var[...] = xp.where(finite, new_var, running_var)
    inv_std[...] = 1.0 / xp.sqrt(var + eps)
    xp.add(counter, 1, out=counter)
    return running_mean, running_var, finite, inv_std, counter


# Per channel (C,): the running statistics' update, the finiteness guard and 1 / sqrt(var + eps);
# and once (lane 0 alone writes the raw 1-element counter: no race) the layer's batch count,
# which would otherwise be a launch of its own per forward.
_running = Elementwise(
    "batchnorm_running_stats",
    "T mu, T var, T keep, T factor, T unbiased_factor, T eps",
    "T running_mean, T running_var, bool finite, T inv_std, raw int64 counter",
    """T new_mean = running_mean * keep + factor * mu;
       T new_var = running_var * keep + unbiased_factor * var;
       finite = isfinite(new_mean + new_var);
       if (finite) { running_mean = new_mean; running_var = new_var; }
       inv_std = 1 / sqrt(var + eps);
       if (i == 0) counter[0] = counter[0] + 1;""",
    _running_twin)


def _normalise_twin(xp, x, mu, inv_std, gamma, beta, xhat=None, y=None, centred=None):
    """``centred``: x - mu where the caller has it already (then xhat may be that array)."""
    xc = centred if centred is not None else xp.subtract(x, mu, out=xhat)
    xhat = xp.multiply(xc, inv_std, out=xhat)
    y = xp.multiply(xhat, gamma, out=y)
    y += beta
    return xhat, y


_normalise = Elementwise(
    "batchnorm_normalise", "T x, T mu, T inv_std, T gamma, T beta", "T xhat, T y",
    """xhat = (x - mu) * inv_std;
       y = xhat * gamma + beta;""",
    _normalise_twin)


def batchnorm_backward(dy, cache, param_grads: bool = True, ws=None, dgamma_out=None,
                       dbeta_out=None):
    """dy like x -> (dx like x, dgamma (C,), dbeta (C,)).

    With ``param_grads=False`` (a frozen layer) dgamma and dbeta are None; in
    evaluation mode their two reductions are then skipped entirely (in training
    dx itself needs sum(dy) and sum(dy xhat)).  ``ws``: a Workspace for the
    product dy xhat (None: a fresh array).  See docs/math/batchnorm.md.
    """
    xhat, gamma, inv_std, training = cache.xhat, cache.gamma, cache.inv_std, cache.training
    axes, shape = _axes(dy)
    if not training:
        scale = (gamma * inv_std).reshape(shape)
        dx = dy * scale
        if not param_grads:
            return dx, None, None
        return dx, _sum_product(xhat, dy, axis=axes, out=dgamma_out, ws=ws), \
            dy.sum(axis=axes, out=dbeta_out)
    m = dy.size // dy.shape[1]
    # (written into dgamma_out / dbeta_out when given: a parameter's zeroed gradient)
    dbeta = dy.sum(axis=axes, out=dbeta_out)
    dgamma = _sum_product(xhat, dy, axis=axes, out=dgamma_out, ws=ws)
    dx = _backward_dx(dy, xhat, dgamma.reshape(shape), dbeta.reshape(shape), m,
                      gamma.reshape(shape), inv_std.reshape(shape))
    if not param_grads:
        return dx, None, None
    return dx, dgamma, dbeta


def _sum_product_twin(xp, xhat, dy, axis=None, out=None, ws=None):
    # the product in the workspace's "dy_xhat", laid out as xhat (the kernel writes none)
    return xp.multiply(dy, xhat, out=scratch_like(ws, "dy_xhat", xhat)).sum(axis=axis, out=out)


# sum(dy xhat) per channel (dgamma) in one kernel, no product array written. xhat comes
# first: the twin's product is laid out as xhat (its workspace array), and the fake sums
# the mapped values laid out as the first input, so the two sum in one order.
_sum_product = Reduction("batchnorm_sum_dy_xhat", "T xhat, T dy", "T dgamma", "dy * xhat",
                         "a + b", "dgamma = a", "0", _sum_product_twin)


def _backward_dx_twin(xp, dy, xhat, dgamma, dbeta, m, gamma, inv_std):
    # dx = scale * (dy - dbeta/m - xhat * dgamma/m), built with in-place steps.
    dx = xp.asarray(xhat * (dgamma / m))       # (an array even when 0-d)
    dx += dbeta / m
    xp.subtract(dy, dx, out=dx)
    dx *= gamma * inv_std
    return dx


_backward_dx = Elementwise(
    "batchnorm_backward_dx", "T dy, T xhat, T dgamma, T dbeta, T m, T gamma, T inv_std", "T dx",
    "dx = (dy - (xhat * (dgamma / m) + dbeta / m)) * (gamma * inv_std)",
    _backward_dx_twin)
