"""nn.Sequential (layers in order; backward in reverse) and ``frozen`` (train through, not into).

A container has no math of its own: its forward, backward and second-order pass
chain its layers' (docs/math/gradient_penalty.md, "Chains").
"""
from __future__ import annotations

from contextlib import contextmanager

from .module import Module


class Sequential(Module):
    """Layers applied in order; backward runs them in reverse."""

    second_order = True          # when every layer has one (each checks for itself)

    def __init__(self, *layers: Module):
        super().__init__()
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(f"Sequential: item {i} is a {type(layer).__name__}, not a Module")
            setattr(self, str(i), layer)

    def __len__(self) -> int:
        return len(self._modules)

    def __getitem__(self, i) -> Module:
        return list(self._modules.values())[i]

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, layer: Module) -> "Sequential":
        setattr(self, str(len(self)), layer)
        return self

    def forward(self, x):
        for layer in self._modules.values():
            x = layer.forward(x)
        return x

    def backward(self, dy, need_dx: bool = True):
        """Backward through the layers in reverse. ``need_dx=False`` (the input is data, as
        in D's step) is passed to the first layer, which may skip its input gradient;
        then None is returned."""
        layers = list(self._modules.values())
        for layer in reversed(layers[1:]):
            dy = layer.backward(dy)
        return layers[0].backward(dy, need_dx=need_dx)

    def grad_input(self, dy):
        for layer in reversed(self._modules.values()):
            dy = layer.grad_input(dy)
        return dy

    def double_backward(self, a):
        """Second-order pass through the chain (docs/math/gradient_penalty.md): the adjoints
        a go up through each layer's tangent map (collecting each layer's terms dP/dtheta
        and second-order terms s_l), then the s_l come back down through the ordinary
        backward passes (collecting the forward path's dP/dtheta). Returns (J a, s) for
        the whole chain."""
        layers = list(self._modules.values())
        terms = []
        for layer in layers:
            a, s = layer.double_backward(a)
            terms.append(s)
        b = None                     # dP/d(input of layer i), through the forward pass
        for i in reversed(range(len(layers))):
            s = terms[i]
            if s is not None:
                b = s if b is None else b + s
            if i > 0 and b is not None:
                b = layers[i - 1].backward(b)
        return a, b

    @classmethod
    def examples(cls) -> list:
        from . import Example, LeakyReLU, Linear, Sigmoid
        return [Example("Sequential(Linear, LeakyReLU, Linear, Sigmoid)",
                        lambda: cls(Linear(3, 8), LeakyReLU(0.2), Linear(8, 1), Sigmoid()),
                        lambda n: (n, 3))]


@contextmanager
def frozen(module: Module):
    """Temporarily freeze ``module`` (restores each submodule's previous state)."""
    before = [(m, m.frozen) for m in module.modules()]
    module.freeze()
    try:
        yield module
    finally:
        for m, f in before:
            object.__setattr__(m, "frozen", f)


__all__ = ["Sequential", "frozen"]
