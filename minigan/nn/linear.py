"""nn.Linear: y = x W^T + b with PyTorch's weight shape (out, in).  Math: docs/math/linear.md."""
from __future__ import annotations

import numpy

from .. import backend as B
from ..ops.linear import linear_backward, linear_forward
from . import init
from .checks import fits_in_memory, float_dtype, positive_int
from .module import Module, Parameter


class Linear(Module):
    """Fully connected layer. x (N, in_features) -> y (N, out_features).

    Caches its input BY REFERENCE between forward and backward (no copy: the weight
    gradient dW = dy^T x reads it in backward). Do not modify x in place between
    ``forward`` and ``backward``: dW would silently use the modified values.
    See docs/math/linear.md ("The cache holds x itself").
    """

    skips_dx = True         # backward(dy, need_dx=False) skips the input gradient

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
        self._cache = None

    def extra_repr(self) -> str:
        return f"{self.in_features}, {self.out_features}, bias={self.bias is not None}"

    def forward(self, x):
        self._check_input(x, ndim=2, dim=1, size=self.in_features,
                          what=f"(N, {self.in_features})")
        b = self.bias.data if self.bias is not None else None
        y, self._cache = linear_forward(x, self.weight.data, b)
        return y

    def backward(self, dy, need_dx: bool = True):
        """dL/dx (None with ``need_dx=False``: the input is data) and parameter gradients."""
        cache = self._require_cache(self._cache)
        x, W = cache[0], cache[1]
        self._check_dy(dy, (x.shape[0], self.out_features), W.dtype, B.backend_of(W))
        self._cache = None
        want_w, want_b = self._wants_grad(self.weight), self._wants_grad(self.bias)
        dx, dW, db = linear_backward(dy, cache, param_grads=want_w or want_b, input_grad=need_dx)
        if want_w:
            self.weight.grad += dW
        if want_b:
            self.bias.grad += db
        return dx

    def grad_input(self, dy):
        """dx = dy W, touching no parameter gradient (the first half of the gradient
        penalty's second-order pass, docs/math/gradient_penalty.md)."""
        cache = self._require_cache(self._cache)
        x, W = cache[0], cache[1]
        self._check_dy(dy, (x.shape[0], self.out_features), W.dtype, B.backend_of(W))
        self._gi_dy = dy
        return dy @ W

    def double_backward(self, a):
        """The backward dx = dy W is linear in dy and in W: its tangent is J a = a W^T, its
        weight term d<a, dy W>/dW = dy^T a, and no second-order term in x."""
        x, W, _ = self._require_cache(self._cache)
        if self._wants_grad(self.weight):
            self.weight.grad += self._stored_dy().T @ a
        return a @ W.T, None
