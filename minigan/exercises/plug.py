"""Layers whose forward and backward are a student's functions, so that a tiny GAN can
train on them (``minigan check FILE --use``, use.py).

Each is minigan's own layer with its op calls replaced: parameters, gradient
accumulation and the optimiser stay minigan's; the arithmetic is the student's.
"""
from __future__ import annotations

from .. import nn


class StudentLinear(nn.Linear):
    def __init__(self, fin, fout, forward, backward, **kw):
        super().__init__(fin, fout, **kw)
        self._f, self._b = forward, backward

    def _forward(self, x):
        return self._f(x, self.weight.data, self.bias.data if self.bias is not None else None)

    def _backward(self, dy, cache, need_dx):
        dx, dW, db = self._b(dy, cache)
        self._accumulate(self.weight, dW)
        self._accumulate(self.bias, db)
        return dx


class StudentActivation(nn.Module):
    def __init__(self, forward, backward, **hyper):
        super().__init__()
        self._f, self._b, self._hyper = forward, backward, hyper

    def _forward(self, x):
        return self._f(x, **self._hyper)

    def _backward(self, dy, cache, need_dx):
        return self._b(dy, cache)


class StudentBatchNorm(nn.BatchNorm1d):
    """Training-mode batch norm with the student's op: batch statistics always (the
    exercise has no running statistics), so samples are drawn in large batches."""

    def __init__(self, C, forward, backward, **kw):
        super().__init__(C, **kw)
        self._f, self._b = forward, backward

    def _forward(self, x):
        return self._f(x, self.weight.data, self.bias.data, self.eps)

    def _backward(self, dy, cache, need_dx):
        dx, dgamma, dbeta = self._b(dy, cache)
        self._accumulate(self.weight, dgamma)
        self._accumulate(self.bias, dbeta)
        return dx
