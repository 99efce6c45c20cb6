"""nn.InstanceNorm2d around minigan.ops.instancenorm, PyTorch's semantics.
Math: docs/math/instance_norm.md.

Each (sample, channel) plane is normalised over its H*W values with its own mean and
biased variance, in training and (by default) in evaluation too: no statistic couples
the samples of a batch. ``affine=True`` adds weight (ones) and bias (zeros) of shape
(C,); ``track_running_stats=True`` adds PyTorch's buffers running_mean (zeros),
running_var (ones) and num_batches_tracked, updated in training with the batch's
average of the per-plane means and *unbiased* variances and used instead of the
per-plane statistics in evaluation. As in PyTorch, ``momentum=None`` means no update
(momentum 0, not batch norm's cumulative average) and num_batches_tracked stays 0.
"""
from __future__ import annotations

import numpy

from .. import backend as B
from ..checks import fits_in_memory, flag, float_dtype, positive_int, real
from ..ops.instancenorm import instance_norm_backward, instance_norm_forward
from .examples import Example
from .module import Module, Parameter

_NHW = (0, 2, 3)


class InstanceNorm2d(Module):
    """Instance normalisation over (N, C, H, W) inputs, per sample and channel."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = False, track_running_stats: bool = False, dtype=numpy.float32):
        super().__init__()
        name = "InstanceNorm2d"
        self.num_features = positive_int(name, "num_features", num_features)
        self.eps = real(name, "eps", eps, positive=True)
        self.momentum = None if momentum is None else real(name, "momentum", momentum, lo=0.0, hi=1.0)
        self.affine = flag(name, "affine", affine)
        self.track_running_stats = flag(name, "track_running_stats", track_running_stats)
        dtype = float_dtype(name, dtype)
        C = self.num_features
        fits_in_memory(name, [(C,)] * (2 * self.affine + 2 * self.track_running_stats), dtype)
        xp = B.current().xp
        if self.affine:
            self.weight = Parameter(xp.ones((C,), dtype=dtype))
            self.bias = Parameter(xp.zeros((C,), dtype=dtype))
        if self.track_running_stats:
            self.register_buffer("running_mean", xp.zeros((C,), dtype=dtype))
            self.register_buffer("running_var", xp.ones((C,), dtype=dtype))
            # PyTorch's key; its InstanceNorm never counts (F.instance_norm takes no count)
            self.register_buffer("num_batches_tracked", xp.zeros((), dtype=xp.int64))

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")

    def _forward(self, x):
        C = self.num_features
        self._check_input(x, ndim=4, dim=1, size=C, what=f"(N, {C}, H, W)")
        # PyTorch: the per-plane statistics unless evaluating with tracked running ones
        per_plane = self.training or not self.track_running_stats
        if per_plane:
            if x.shape[2] * x.shape[3] <= 1:
                raise ValueError(f"{self._label()}: expected more than 1 spatial element per "
                                 f"channel when normalising with the input's statistics, got "
                                 f"input of shape {tuple(x.shape)}")
            xhat, norm = instance_norm_forward(x, self.eps)
            if self.training and self.track_running_stats:
                self._update_running_stats(x)
        else:
            xp = B.array_module(x)
            # The buffers may have another float dtype than x (a parameterless layer follows
            # its input): compute in x's.
            mean = self.running_mean.astype(x.dtype, copy=False).reshape(1, C, 1, 1)
            var = self.running_var.astype(x.dtype, copy=False).reshape(1, C, 1, 1)
            norm = 1.0 / xp.sqrt(var + self.eps)        # inv_std (1, C, 1, 1): xhat is affine in x
            xhat = x - mean
            xhat *= norm
        if self.affine:
            y = xhat * self.weight.data.reshape(1, C, 1, 1)
            y += self.bias.data.reshape(1, C, 1, 1)
        else:
            y = xhat
        return y, (xhat, norm, per_plane)

    def _update_running_stats(self, x):
        """running <- (1 - momentum) running + momentum * batch average of the per-plane
        mean and unbiased variance (PyTorch's, which runs batch norm on (1, N*C, H, W) and
        averages the N running statistics of each channel back)."""
        N = x.shape[0]
        if self.momentum is None or N == 0:
            return
        xp = B.array_module(x)
        m = x.shape[2] * x.shape[3]
        mu = x.mean(axis=(2, 3), keepdims=True)
        xc = x - mu
        var = (xc * xc).mean(axis=(2, 3)) * (m / (m - 1))           # (N, C), unbiased
        f = self.momentum
        rm, rv = self.running_mean, self.running_var
        new_mean = rm * (1 - f) + f * mu.reshape(N, -1).mean(axis=0).astype(rm.dtype)
        new_var = rv * (1 - f) + f * var.mean(axis=0).astype(rv.dtype)
        # As in BatchNorm: a batch with a NaN or Inf keeps those channels' statistics (a
        # select, no device sync); the buffers are updated in place, never rebound.
        finite = xp.isfinite(new_mean + new_var)
        rm[...] = xp.where(finite, new_mean, rm)
        rv[...] = xp.where(finite, new_var, rv)

    def _backward(self, dy, cache, need_dx):
        xhat, norm, per_plane = cache
        if self.affine:
            if self._trains():
                self._accumulate(self.weight, (dy * xhat).sum(axis=_NHW))
                self._accumulate(self.bias, dy.sum(axis=_NHW))
            if not need_dx:
                return None
            dxhat = dy * self.weight.data.reshape(1, -1, 1, 1)
        else:
            if not need_dx:
                return None
            dxhat = dy
        if per_plane:
            return instance_norm_backward(dxhat, norm)
        return dxhat * norm

    @classmethod
    def examples(cls) -> list:
        def shape(n):
            return (n, 3, 4, 5)

        def tracked_eval():
            layer = cls(3, affine=True, track_running_stats=True)
            rng = numpy.random.default_rng(5)
            layer.running_mean[...] = B.to_device(rng.standard_normal(3).astype(numpy.float32))
            layer.running_var[...] = B.to_device((rng.random(3) + 0.5).astype(numpy.float32))
            return layer.eval()

        return [Example("InstanceNorm2d(3)", lambda: cls(3), shape),
                Example("InstanceNorm2d(3, affine=True)", lambda: cls(3, affine=True), shape),
                Example("InstanceNorm2d(3, affine=True, track_running_stats=True) train",
                        lambda: cls(3, affine=True, track_running_stats=True), shape),
                Example("InstanceNorm2d(3, affine=True, track_running_stats=True) eval",
                        tracked_eval, shape)]


__all__ = ["InstanceNorm2d"]
