"""nn.BatchNorm1d and nn.BatchNorm2d around minigan.ops.batchnorm, PyTorch's semantics.
Math: docs/math/batchnorm.md.

Parameters weight (gamma, ones) and bias (beta, zeros); buffers running_mean
(zeros), running_var (ones) and num_batches_tracked (an int64 scalar array), so
``state_dict`` has PyTorch's five keys.  ``train()`` normalises with the batch's
statistics and updates the running ones; ``eval()`` normalises with the running
statistics.  Freezing affects gradients only: in training mode a frozen layer
still updates its running statistics, as PyTorch's does.
"""
from __future__ import annotations

import warnings

import numpy

from .. import backend as B
from ..ops.batchnorm import batchnorm_backward, batchnorm_forward
from ..checks import fits_in_memory, float_dtype, positive_int, real
from ..ops.workspace import Workspace
from .examples import Example
from .module import Module, Parameter


class _BatchNorm(Module):
    _ranks: tuple = ()
    _shape_text: str = ""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 dtype=numpy.float32):
        super().__init__()
        name = type(self).__name__
        self.num_features = positive_int(name, "num_features", num_features)
        self.eps = real(name, "eps", eps, positive=True)
        self.momentum = None if momentum is None else real(name, "momentum", momentum, lo=0.0, hi=1.0)
        dtype = float_dtype(name, dtype)
        fits_in_memory(name, [(self.num_features,)] * 4, dtype)
        xp = B.current().xp
        self.weight = Parameter(xp.ones((self.num_features,), dtype=dtype))
        self.bias = Parameter(xp.zeros((self.num_features,), dtype=dtype))
        self.register_buffer("running_mean", xp.zeros((self.num_features,), dtype=dtype))
        self.register_buffer("running_var", xp.ones((self.num_features,), dtype=dtype))
        self.register_buffer("num_batches_tracked", xp.zeros((), dtype=xp.int64))
        # xhat, the squares and dy*xhat live here from step to step (no page faults)
        self._ws = Workspace()

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"

    def _forward(self, x):
        self._check_input(x)                            # backend and dtype first
        if x.ndim not in self._ranks:
            ranks = " or ".join(f"{r}-D" for r in self._ranks)
            raise ValueError(f"{self._label()}: expected a {ranks} input "
                             f"{self._shape_text.format(C=self.num_features)}, "
                             f"got shape {tuple(x.shape)}")
        self._check_input(x, ndim=self._ranks, dim=1,
                          size=self.num_features, what=self._shape_text.format(C=self.num_features))
        if self.training:
            n = x.size // x.shape[1]
            if n <= 1:
                raise ValueError(f"{self._label()}: expected more than 1 value per channel when "
                                 f"training, got input of shape {tuple(x.shape)}")
            tracked = int(self.num_batches_tracked) if self.momentum is None else 0
        else:
            tracked = 0
        y, cache = batchnorm_forward(x, self.weight.data, self.bias.data, self.running_mean,
                                     self.running_var, training=self.training,
                                     momentum=self.momentum, eps=self.eps,
                                     num_batches_tracked=tracked, ws=self._ws,
                                     # incremented in place by the op (the buffer stays the
                                     # same array: rebinding would drop it from the buffers)
                                     counter=self.num_batches_tracked)
        finite = cache.finite
        if finite is not None and isinstance(finite, numpy.ndarray) and not finite.all():
            # On the host this check is free; on a GPU it would cost a sync every step, and
            # there the NaN reaches the loss, which the trainer's flush reports.
            warnings.warn(f"{self._label()}: the batch's statistics are not finite in channels "
                          f"{numpy.flatnonzero(~finite).tolist()[:10]}; their running statistics "
                          f"were left unchanged", RuntimeWarning, stacklevel=3)
        return y, cache

    def _backward(self, dy, cache, need_dx):
        trains = self._trains()
        dx, dgamma, dbeta = batchnorm_backward(
            dy, cache, param_grads=trains, ws=self._ws,
            dgamma_out=self._grad_out(self.weight) if trains and cache.training else None,
            dbeta_out=self._grad_out(self.bias) if trains and cache.training else None)
        self._accumulate(self.weight, dgamma)
        self._accumulate(self.bias, dbeta)
        return dx

    def _no_second_order_reason(self) -> str:
        return (f"{self._label()} cannot be part of a critic trained with a gradient penalty: "
                f"the penalty constrains |dD(x)/dx| for each sample x on its own, but batch norm "
                f"normalises with the batch's statistics, so each output depends on every sample "
                f"of the batch and the per-sample gradient is not what the critic computes; "
                f"build the critic without batch norm (e.g. dcgan28_discriminator(batchnorm=False))")

    @classmethod
    def examples(cls) -> list:
        shape = cls._example_shape
        return [Example(f"{cls.__name__}(3) train", lambda: cls(3), shape),
                Example(f"{cls.__name__}(3) eval", lambda: cls(3).eval(), shape)]


class BatchNorm1d(_BatchNorm):
    """Batch normalisation over (N, C) or (N, C, L) inputs, per channel C."""
    _ranks = (2, 3)
    _shape_text = "(N, {C}) or (N, {C}, L)"
    _example_shape = staticmethod(lambda n: (n, 3))


class BatchNorm2d(_BatchNorm):
    """Batch normalisation over (N, C, H, W) inputs, per channel C."""
    _ranks = (4,)
    _shape_text = "(N, {C}, H, W)"
    _example_shape = staticmethod(lambda n: (n, 3, 2, 3))


__all__ = ["BatchNorm1d", "BatchNorm2d"]
