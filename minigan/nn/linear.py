"""nn.Linear: y = x W^T + b with PyTorch's weight shape (out, in).  Math: docs/math/linear.md."""
from __future__ import annotations

import numpy

from .. import backend as B
from ..checks import fits_in_memory, float_dtype, positive_int
from ..ops.linear import linear_backward, linear_double_backward, linear_forward
from . import init
from .examples import Example
from .module import Module, Parameter


class Linear(Module):
    """Fully connected layer. x (N, in_features) -> y (N, out_features).

    Caches its input BY REFERENCE between forward and backward (no copy: the weight
    gradient dW = dy^T x reads it in backward). Do not modify x in place between
    ``forward`` and ``backward``: dW would silently use the modified values.
    See docs/math/linear.md ("The cache holds x itself").
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 dtype=numpy.float32, rng=None):
        super().__init__()
        self.in_features = positive_int("Linear", "in_features", in_features)
        self.out_features = positive_int("Linear", "out_features", out_features)
        dtype = float_dtype("Linear", dtype)
        fits_in_memory(f"Linear({self.in_features}, {self.out_features})",
                       [(out_features, in_features), (out_features,)], dtype)
        xp = B.current().xp
        self.weight = Parameter(xp.zeros((out_features, in_features), dtype=dtype))
        self.bias = Parameter(xp.zeros((out_features,), dtype=dtype)) if bias else None
        init.pytorch_default_(self.weight, self.bias, rng)

    def extra_repr(self) -> str:
        return f"{self.in_features}, {self.out_features}, bias={self.bias is not None}"

    def _forward(self, x):
        self._check_input(x, ndim=2, dim=1, size=self.in_features,
                          what=f"(N, {self.in_features})")
        return linear_forward(x, self.weight.data, self.bias.data if self.bias is not None else None)

    def _backward(self, dy, cache, need_dx):
        trains = self._trains()
        dx, dW, db = linear_backward(dy, cache, param_grads=trains, input_grad=need_dx,
                                     dW_out=self._grad_out(self.weight) if trains else None,
                                     db_out=self._grad_out(self.bias) if trains else None)
        self._accumulate(self.weight, dW)
        self._accumulate(self.bias, db)
        return dx

    def _double_backward(self, a, dy, cache):
        Ja, dW = linear_double_backward(a, dy, cache, param_grads=self._wants_grad(self.weight))
        self._accumulate(self.weight, dW)
        return Ja, None

    @classmethod
    def examples(cls) -> list:
        return [Example("Linear(5, 3)", lambda: cls(5, 3), lambda n: (n, 5)),
                Example("Linear(5, 3, bias=False)", lambda: cls(5, 3, bias=False), lambda n: (n, 5))]


__all__ = ["Linear"]
