"""nn.Residual: y = x + body(x), the skip connection of ResNet and of CycleGAN's generators.
Math: docs/math/residual.md.

The sum has two paths from x to y, so the gradient is the sum of both paths:

    dx = dy + body.backward(dy)

The body may be any module whose output has the input's shape (a Sequential of
pads, convolutions, instance norms and activations in CycleGAN). Its parameters are
the body's, so a state dict reads ``body.0.weight`` and so on. The second-order pass
(for a critic with a gradient penalty) is the body's, with the skip adding ``a``
to its adjoint: g = dy + g_body(dy, x), so dP/d(dy) = a + J_body a.
"""
from __future__ import annotations

from .examples import Example
from .module import Module


class Residual(Module):
    """y = x + body(x) for a ``body`` that keeps the input's shape."""

    second_order = True          # when the body's layers have one (each checks for itself)

    def __init__(self, body: Module):
        super().__init__()
        if not isinstance(body, Module):
            raise TypeError(f"Residual: body must be a Module, got {type(body).__name__}")
        self.body = body

    def _forward(self, x):
        fx = self.body.forward(x)
        if tuple(fx.shape) != tuple(x.shape):
            raise ValueError(f"{self._label()}: the body maps shape {tuple(x.shape)} to "
                             f"{tuple(fx.shape)}; a residual block needs the input's shape back")
        # a new array, not fx += x: the body's last layer may keep its output for its
        # backward (Tanh and Sigmoid differentiate from y)
        return fx + x, True          # the cache is the body's; True marks "forward ran"

    def _backward(self, dy, cache, need_dx):
        dx = self.body.backward(dy, need_dx=need_dx)
        if not need_dx:
            return None
        # the skip path, d(x)/dx = I; not in place: a body may hand back a view of dy itself
        return dx + dy

    def grad_input(self, dy):
        # the body's own grad_input keeps its caches (and leaves its parameters alone)
        self._cache_for(dy, "grad_input")
        self._gi_dy = dy
        return self.body.grad_input(dy) + dy

    def _double_backward(self, a, dy, cache):
        Ja, s = self.body.double_backward(a)
        Ja = Ja + a                  # the skip path of g = dy + g_body
        return Ja, s

    @classmethod
    def examples(cls) -> list:
        from . import Conv2d, Linear, Sequential, Tanh
        return [Example("Residual(Linear, Tanh, Linear)",
                        lambda: cls(Sequential(Linear(4, 6), Tanh(), Linear(6, 4))),
                        lambda n: (n, 4)),
                Example("Residual(Conv2d 3x3 p=1, Tanh)",
                        lambda: cls(Sequential(Conv2d(2, 2, 3, padding=1), Tanh())),
                        lambda n: (n, 2, 3, 4))]


__all__ = ["Residual"]
