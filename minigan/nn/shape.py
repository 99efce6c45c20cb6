"""Reshaping layers: Flatten (N, C, H, W) -> (N, C*H*W) and its inverse Unflatten.
Their backward is the reverse reshape: no arithmetic, only bookkeeping of shapes."""
from __future__ import annotations

import math

from .module import Module


class Flatten(Module):
    """Merge dimensions start_dim..end_dim (PyTorch defaults 1..-1)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim
        self._shape = None

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"

    def forward(self, x):
        self._check_input(x)
        nd = x.ndim
        s, e = self.start_dim % nd, self.end_dim % nd
        if s > e:
            raise ValueError(f"{self._label()}: start_dim after end_dim for input of shape {tuple(x.shape)}")
        self._shape = x.shape
        return x.reshape(x.shape[:s] + (math.prod(x.shape[s:e + 1]),) + x.shape[e + 1:])

    def backward(self, dy):
        shape = self._require_cache(self._shape)
        self._shape = None
        return dy.reshape(shape)


class Unflatten(Module):
    """(N, prod(shape)) -> (N, *shape), e.g. Unflatten((C, H, W))."""

    def __init__(self, shape):
        super().__init__()
        self.unflattened_size = tuple(int(s) for s in shape)
        if any(s <= 0 for s in self.unflattened_size):
            raise ValueError(f"Unflatten: sizes must be positive, got {self.unflattened_size}")
        self._shape = None

    def extra_repr(self) -> str:
        return f"{self.unflattened_size}"

    def forward(self, x):
        self._check_input(x, ndim=2, dim=1, size=math.prod(self.unflattened_size),
                          what=f"(N, {math.prod(self.unflattened_size)})")
        self._shape = x.shape
        return x.reshape((x.shape[0],) + self.unflattened_size)

    def backward(self, dy):
        shape = self._require_cache(self._shape)
        self._shape = None
        return dy.reshape(shape)
