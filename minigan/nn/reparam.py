"""What the weight wrappers share (nn.SpectralNorm, nn.EqualizedLR): a Linear or Conv whose
weight is computed from the wrapper's own parameters at every forward pass.

The wrapped layer does the computation with the derived weight W' = f(theta); its own
backward leaves G = dL/dW' in its weight's ``grad``, and the wrapper turns that into
dL/dtheta (the chain rule through f, written by each wrapper in ``_convert``). The
second-order pass of a gradient penalty goes through the wrapped layer's the same way:
its weight terms are dP/dW', converted by the same ``_convert``.
"""
from __future__ import annotations

from .. import backend as B
from .module import Module


def _named(fn):
    """Errors the wrapped layer raises name the wrapper too."""
    def wrapper(self, *args, **kwargs):
        try:
            return fn(self, *args, **kwargs)
        except (ValueError, TypeError) as exc:
            raise type(exc)(f"{type(self).__name__}: {exc}") from None
    wrapper.__name__, wrapper.__doc__ = fn.__name__, fn.__doc__
    return wrapper


class Reparametrized(Module):
    """Base of the weight wrappers. A subclass writes ``_derive()`` (set the wrapped layer's
    weight (and bias) data from its own parameters; return what ``_convert`` needs) and
    ``_convert(cache)`` (move the wrapped layer's gradients into its own parameters)."""

    second_order = True           # the wrapped layer's, with its weight terms converted

    def __init__(self, layer: Module, kinds: tuple):
        super().__init__()
        if not isinstance(layer, kinds):
            names = ", ".join(k.__name__ for k in kinds[:-1]) + f" or {kinds[-1].__name__}"
            raise TypeError(f"{type(self).__name__}: expected a {names} layer, got "
                            f"{type(layer).__name__}")
        object.__setattr__(self, "_layer", layer)       # not a submodule: its weight is derived

    def extra_repr(self) -> str:
        return self._layer._label()

    def _derive(self):               # pragma: no cover - abstract
        raise NotImplementedError

    def _convert(self, cache):       # pragma: no cover - abstract
        raise NotImplementedError

    def _sync_layer(self):
        L = self._layer
        object.__setattr__(L, "training", self.training)
        object.__setattr__(L, "frozen", self.frozen)

    @staticmethod
    def _fit_grad(p):
        """The wrapped parameter's grad follows its data's dtype and backend (after astype)."""
        if p.grad.dtype != p.data.dtype or B.array_module(p.grad) is not B.array_module(p.data):
            p.grad = B.array_module(p.data).zeros_like(p.data)

    @_named
    def _forward(self, x):
        cache = self._derive()
        L = self._layer
        self._fit_grad(L.weight)
        if L.bias is not None:
            self._fit_grad(L.bias)
        self._sync_layer()
        return L.forward(x), cache

    @_named
    def _backward(self, dy, cache, need_dx):
        self._sync_layer()
        dx = self._layer.backward(dy, need_dx)
        self._convert(cache)
        return dx

    @_named
    def grad_input(self, dy):
        # The wrapped layer's own grad_input: it keeps its cache and dy for double_backward.
        self._cache_for(dy, "grad_input")
        self._gi_dy = dy
        self._sync_layer()
        return self._layer.grad_input(dy)

    @_named
    def _double_backward(self, a, dy, cache):
        self._sync_layer()
        out = self._layer.double_backward(a)
        self._convert(cache)
        return out

    def astype(self, dtype) -> "Reparametrized":
        super().astype(dtype)
        L = self._layer
        for p in (L.weight, L.bias):
            if p is not None:
                p.data = p.data.astype(dtype)
                p.grad = p.grad.astype(dtype)
        return self


__all__: list = []
