"""Activation layers (no parameters): ReLU, LeakyReLU, Tanh, Sigmoid, ELU, Softplus.
Math: docs/math/activations.md (second order: docs/math/gradient_penalty.md).

Each class names its three ops; the shared base passes them the cache.
"""
from __future__ import annotations

from ..checks import real
from ..ops import activations as A
from .examples import Example
from .module import Module


class _Activation(Module):
    op_forward = None              # x, *args -> (y, cache)
    op_backward = None             # dy, cache -> dx
    op_double_backward = None      # a, dy, cache -> (J a, second-order term or None)

    def _args(self):
        return ()

    def _forward(self, x):
        self._check_input(x)
        return type(self).op_forward(x, *self._args())

    def _backward(self, dy, cache, need_dx):
        return type(self).op_backward(dy, cache)

    def _double_backward(self, a, dy, cache):
        return type(self).op_double_backward(a, dy, cache)

    @classmethod
    def examples(cls) -> list:
        return [Example(cls.__name__, cls, lambda n: (n, 6))]


class ReLU(_Activation):
    op_forward, op_backward = staticmethod(A.relu_forward), staticmethod(A.relu_backward)
    op_double_backward = staticmethod(A.relu_double_backward)


class Tanh(_Activation):
    op_forward, op_backward = staticmethod(A.tanh_forward), staticmethod(A.tanh_backward)
    op_double_backward = staticmethod(A.tanh_double_backward)


class Sigmoid(_Activation):
    op_forward, op_backward = staticmethod(A.sigmoid_forward), staticmethod(A.sigmoid_backward)
    op_double_backward = staticmethod(A.sigmoid_double_backward)


class LeakyReLU(_Activation):
    op_forward, op_backward = staticmethod(A.leaky_relu_forward), staticmethod(A.leaky_relu_backward)
    op_double_backward = staticmethod(A.leaky_relu_double_backward)

    def __init__(self, negative_slope: float = 0.01):
        super().__init__()
        # slope <= 0 would break the "sign(y) = sign(x)" shortcut used by the backward
        self.negative_slope = real("LeakyReLU", "negative_slope", negative_slope, positive=True)

    def _args(self):
        return (self.negative_slope,)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"

    @classmethod
    def examples(cls) -> list:
        return [Example("LeakyReLU(0.2)", lambda: cls(0.2), lambda n: (n, 6))]


class ELU(_Activation):
    op_forward, op_backward = staticmethod(A.elu_forward), staticmethod(A.elu_backward)
    op_double_backward = staticmethod(A.elu_double_backward)

    def __init__(self, alpha: float = 1.0):
        super().__init__()
        self.alpha = real("ELU", "alpha", alpha, positive=True)

    def _args(self):
        return (self.alpha,)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"

    @classmethod
    def examples(cls) -> list:
        return [Example("ELU", cls, lambda n: (n, 6)), Example("ELU(0.7)", lambda: cls(0.7),
                                                               lambda n: (n, 2, 3))]


class Softplus(_Activation):
    """PyTorch's Softplus(beta, threshold): log(1 + e^(beta x)) / beta, linear above the
    threshold (beta x > threshold)."""
    op_forward, op_backward = staticmethod(A.softplus_forward), staticmethod(A.softplus_backward)
    op_double_backward = staticmethod(A.softplus_double_backward)

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta = real("Softplus", "beta", beta, positive=True)
        self.threshold = real("Softplus", "threshold", threshold)

    def _args(self):
        return (self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"

    @classmethod
    def examples(cls) -> list:
        return [Example("Softplus", cls, lambda n: (n, 6)),
                Example("Softplus(beta=2, threshold=1)", lambda: cls(2.0, 1.0), lambda n: (n, 2, 3))]


__all__ = ["ReLU", "LeakyReLU", "Tanh", "Sigmoid", "ELU", "Softplus"]
