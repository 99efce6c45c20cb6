"""Activation layers (no parameters): ReLU, LeakyReLU, Tanh, Sigmoid, ELU.
Math: docs/math/activations.md."""
from __future__ import annotations

from .. import backend as B
from ..ops import activations as A
from .checks import real
from .module import Module


class _Activation(Module):
    _fwd = None
    _bwd = None
    _dbl = None                      # the second-order pass (double backward)

    def __init__(self):
        super().__init__()
        self._cache = None

    def _args(self):
        return ()

    def forward(self, x):
        self._check_input(x)
        y, self._cache = type(self)._fwd(x, *self._args())
        self._out = (y.shape, y.dtype, B.backend_of(y))
        return y

    def backward(self, dy):
        cache = self._require_cache(self._cache)
        self._check_dy(dy, *self._out)
        self._cache = None
        return type(self)._bwd(dy, cache)

    def grad_input(self, dy):
        """dx = f'(x) dy, keeping the cache for double_backward (docs/math/gradient_penalty.md)."""
        cache = self._require_cache(self._cache)
        self._check_dy(dy, *self._out)
        self._gi_dy = dy
        return type(self)._bwd(dy, cache)

    def double_backward(self, a):
        """(f'(x) a, a dy f''(x)): the tangent and the second-order term (None if f'' = 0)."""
        cache = self._require_cache(self._cache)
        return type(self)._dbl(a, self._stored_dy(), cache)


class ReLU(_Activation):
    _fwd, _bwd = staticmethod(A.relu_forward), staticmethod(A.relu_backward)
    _dbl = staticmethod(A.relu_double_backward)


class Tanh(_Activation):
    _fwd, _bwd = staticmethod(A.tanh_forward), staticmethod(A.tanh_backward)
    _dbl = staticmethod(A.tanh_double_backward)


class Sigmoid(_Activation):
    _fwd, _bwd = staticmethod(A.sigmoid_forward), staticmethod(A.sigmoid_backward)
    _dbl = staticmethod(A.sigmoid_double_backward)


class LeakyReLU(_Activation):
    _fwd, _bwd = staticmethod(A.leaky_relu_forward), staticmethod(A.leaky_relu_backward)
    _dbl = staticmethod(A.leaky_relu_double_backward)

    def __init__(self, negative_slope: float = 0.01):
        super().__init__()
        # slope <= 0 would break the "sign(y) = sign(x)" shortcut used by the backward
        self.negative_slope = real("LeakyReLU", "negative_slope", negative_slope, positive=True)

    def _args(self):
        return (self.negative_slope,)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class ELU(_Activation):
    _fwd, _bwd = staticmethod(A.elu_forward), staticmethod(A.elu_backward)
    _dbl = staticmethod(A.elu_double_backward)

    def __init__(self, alpha: float = 1.0):
        super().__init__()
        self.alpha = real("ELU", "alpha", alpha, positive=True)

    def _args(self):
        return (self.alpha,)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"
