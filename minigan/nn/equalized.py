"""nn.EqualizedLR: the equalised learning rate of ProGAN and StyleGAN (Karras et al. 2018, 2019).
Math: docs/math/equalized_lr.md.

The layer stores a weight drawn from N(0, 1/lr_mul^2) and multiplies it at run time by
He's constant c = gain lr_mul / sqrt(fan_in), so that the layer computes with

    W' = c W,    b' = lr_mul b          y = layer(x; W', b')

Every weight then starts at the same scale, and Adam, which divides each step by the
gradient's running size, moves every layer at the same relative speed. By the chain
rule the stored parameters' gradients are

    dL/dW = c dL/dW',    dL/db = lr_mul dL/db'

``lr_mul`` < 1 slows a layer down (StyleGAN's mapping network uses 0.01). Parameters
are named ``weight`` and ``bias`` (the stored values); ``layer`` is used for the
computation, as nn.SpectralNorm uses it.
"""
from __future__ import annotations

import math

from .. import backend as B
from ..checks import as_value_error, real
from .conv import Conv2d
from .examples import Example
from .linear import Linear
from .module import Module, Parameter
from .reparam import Reparametrized


class EqualizedLR(Reparametrized):
    """``layer`` (a Linear or Conv2d) with its weight scaled by He's constant at run time."""

    def __init__(self, layer: Module, gain: float = math.sqrt(2.0), lr_mul: float = 1.0,
                 rng=None):
        super().__init__(layer, (Linear, Conv2d))
        with as_value_error():
            self.gain = real("EqualizedLR", "gain", gain, positive=True)
            self.lr_mul = real("EqualizedLR", "lr_mul", lr_mul, positive=True)
        W = layer.weight.data
        fan_in = W.size // W.shape[0]            # in (Linear), in * kh * kw (Conv2d)
        self.scale = self.gain * self.lr_mul / math.sqrt(fan_in)
        rng = rng or B.default_rng()
        # N(0, 1) / lr_mul: the weight the layer sees, c W, has He's std gain / sqrt(fan_in)
        self.weight = Parameter(rng.standard_normal(W.shape, dtype=W.dtype) * (1.0 / self.lr_mul))
        self.bias = None
        if layer.bias is not None:
            self.bias = Parameter(B.array_module(W).zeros_like(layer.bias.data))

    def extra_repr(self) -> str:
        return f"{self._layer._label()}, gain={self.gain:.4g}, lr_mul={self.lr_mul:g}"

    def _sync_layer(self):
        super()._sync_layer()
        L = self._layer
        L.weight.requires_grad = self.weight.requires_grad
        if L.bias is not None:
            L.bias.requires_grad = self.bias.requires_grad

    def _derive(self):
        L = self._layer
        L.weight.data = self.weight.data * self.scale
        if L.bias is not None:
            # lr_mul 1 lends the stored bias itself (no multiply); the layer never writes it
            L.bias.data = self.bias.data if self.lr_mul == 1.0 else self.bias.data * self.lr_mul
        return True                  # nothing to keep: the constants are the layer's

    def _convert(self, cache):
        """dL/dW = c dL/dW', dL/db = lr_mul dL/db' (the layer's grads are then cleared)."""
        L = self._layer
        for own, inner, k in ((self.weight, L.weight, self.scale), (self.bias, L.bias, self.lr_mul)):
            if own is None:
                continue
            if self._wants_grad(own):
                own.grad += inner.grad * k
            inner.grad[...] = 0

    @classmethod
    def examples(cls) -> list:
        return [Example("EqualizedLR(Linear(3, 2))", lambda: cls(Linear(3, 2)), lambda n: (n, 3)),
                Example("EqualizedLR(Linear(4, 3), lr_mul=0.01)",
                        lambda: cls(Linear(4, 3), gain=1.0, lr_mul=0.01), lambda n: (n, 4)),
                Example("EqualizedLR(Conv2d(2, 3, 3, p=1))",
                        lambda: cls(Conv2d(2, 3, 3, padding=1)), lambda n: (n, 2, 3, 3))]


__all__ = ["EqualizedLR"]
