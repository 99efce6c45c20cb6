"""Reshaping layers: Flatten (N, C, H, W) -> (N, C*H*W) and its inverse Unflatten.
Their backward is the reverse reshape: no arithmetic, only bookkeeping of shapes."""
from __future__ import annotations

import math

import numpy

from .. import backend as B
from .module import Module


class Flatten(Module):
    """Merge dimensions start_dim..end_dim (PyTorch defaults 1..-1)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        for name, v in (("start_dim", start_dim), ("end_dim", end_dim)):
            if isinstance(v, bool) or not isinstance(v, (int, numpy.integer)):
                raise TypeError(f"Flatten: {name} must be an int, got {type(v).__name__} {v!r}")
        self.start_dim, self.end_dim = int(start_dim), int(end_dim)
        self._shape = None

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"

    def forward(self, x):
        self._check_input(x)
        nd = x.ndim
        for name, v in (("start_dim", self.start_dim), ("end_dim", self.end_dim)):
            if not -nd <= v < nd:
                raise ValueError(f"{self._label()}: {name} {v} is out of range for a {nd}-D input "
                                 f"of shape {tuple(x.shape)}")
        s, e = self.start_dim % nd, self.end_dim % nd
        if s > e:
            raise ValueError(f"{self._label()}: start_dim after end_dim for input of shape {tuple(x.shape)}")
        self._shape = x.shape
        y = x.reshape(x.shape[:s] + (math.prod(x.shape[s:e + 1]),) + x.shape[e + 1:])
        self._out = (y.shape, y.dtype, B.backend_of(y))
        return y

    def backward(self, dy):
        shape = self._require_cache(self._shape)
        self._check_dy(dy, *self._out)
        self._shape = None
        return dy.reshape(shape)

    def grad_input(self, dy):
        shape = self._require_cache(self._shape)
        self._check_dy(dy, *self._out)
        return dy.reshape(shape)

    def double_backward(self, a):
        """A reshape is linear: the tangent is the same reshape, no second-order term."""
        return a.reshape(self._out[0]), None


class Unflatten(Module):
    """Split dimension ``dim`` into ``unflattened_size`` (PyTorch's signature), e.g.
    ``Unflatten(1, (C, H, W))``: (N, C*H*W) -> (N, C, H, W). Backward is the reverse reshape."""

    def __init__(self, dim: int, unflattened_size=None):
        super().__init__()
        if unflattened_size is None or isinstance(dim, bool) or not isinstance(dim, (int, numpy.integer)):
            raise TypeError(f"Unflatten: dim must be an int (PyTorch's Unflatten(dim, "
                            f"unflattened_size), e.g. Unflatten(1, (C, H, W))), got {dim!r}")
        if not isinstance(unflattened_size, (tuple, list)) or not unflattened_size or not all(
                isinstance(s, (int, numpy.integer)) and not isinstance(s, bool)
                for s in unflattened_size):
            raise TypeError(f"Unflatten: unflattened_size must be a non-empty tuple of ints, "
                            f"got {unflattened_size!r}")
        self.dim = int(dim)
        self.unflattened_size = tuple(int(s) for s in unflattened_size)
        if any(s <= 0 for s in self.unflattened_size):
            raise ValueError(f"Unflatten: sizes must be positive, got {self.unflattened_size}")
        self._shape = None

    def extra_repr(self) -> str:
        return f"{self.dim}, {self.unflattened_size}"

    def forward(self, x):
        self._check_input(x)
        nd = x.ndim
        d = self.dim % nd if -nd <= self.dim < nd else None
        n = math.prod(self.unflattened_size)
        if d is None or x.shape[d] != n:
            raise ValueError(f"{self._label()}: expected an input whose dimension {self.dim} has "
                             f"size {n} (= prod{self.unflattened_size}), got shape {tuple(x.shape)}")
        self._shape = x.shape
        y = x.reshape(x.shape[:d] + self.unflattened_size + x.shape[d + 1:])
        self._out = (y.shape, y.dtype, B.backend_of(y))
        return y

    def backward(self, dy):
        shape = self._require_cache(self._shape)
        self._check_dy(dy, *self._out)
        self._shape = None
        return dy.reshape(shape)

    def grad_input(self, dy):
        shape = self._require_cache(self._shape)
        self._check_dy(dy, *self._out)
        return dy.reshape(shape)

    def double_backward(self, a):
        """A reshape is linear: the tangent is the same reshape, no second-order term."""
        return a.reshape(self._out[0]), None


class Pack(Module):
    """PacGAN's packing (Lin et al., 2018): the discriminator judges ``m`` samples at once.
    (N, d) -> (N/m, m d) and (N, C, H, W) -> (N/m, m C, H, W): consecutive samples are
    concatenated along the features (channels). Put it first in D (its next layer takes
    m times the inputs). Backward is the reverse reshape. Math: docs/math/spectral_norm.md
    ("Packing")."""

    def __init__(self, m: int):
        super().__init__()
        if isinstance(m, bool) or not isinstance(m, (int, numpy.integer)) or m < 1:
            raise ValueError(f"Pack: m must be a positive int, got {m!r}")
        self.m = int(m)
        self._shape = None

    def extra_repr(self) -> str:
        return f"{self.m}"

    def forward(self, x):
        self._check_input(x)
        if x.ndim < 2 or x.shape[0] % self.m:
            raise ValueError(f"{self._label()}: expected a batch divisible into packs of {self.m}, "
                             f"got shape {tuple(x.shape)}")
        self._shape = x.shape
        y = x.reshape((x.shape[0] // self.m, self.m * x.shape[1]) + x.shape[2:])
        self._out = (y.shape, y.dtype, B.backend_of(y))
        return y

    def backward(self, dy):
        shape = self._require_cache(self._shape)
        self._check_dy(dy, *self._out)
        self._shape = None
        return dy.reshape(shape)

    def grad_input(self, dy):
        shape = self._require_cache(self._shape)
        self._check_dy(dy, *self._out)
        return dy.reshape(shape)

    def double_backward(self, a):
        return a.reshape(self._out[0]), None
