"""Reshaping layers: Flatten (N, C, H, W) -> (N, C*H*W), its inverse Unflatten, and Pack.

A reshape moves no number: its backward is the reverse reshape, and as a linear map
its second-order pass is the same reshape with no second-order term. The base class
holds that; each layer only says which shape its input becomes.
"""
from __future__ import annotations

import math

import numpy

from ..checks import as_value_error, integer, positive_int
from .examples import Example
from .module import Module


class _Reshape(Module):
    def _out_shape(self, x) -> tuple:          # the shape x becomes (after checking x)
        raise NotImplementedError

    def _forward(self, x):
        self._check_input(x)
        return x.reshape(self._out_shape(x)), x.shape

    def _backward(self, dy, in_shape, need_dx):
        return dy.reshape(in_shape)

    def _double_backward(self, a, dy, in_shape):
        return a.reshape(self._out[0]), None


class Flatten(_Reshape):
    """Merge dimensions start_dim..end_dim (PyTorch defaults 1..-1)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim = integer("Flatten", "start_dim", start_dim)
        self.end_dim = integer("Flatten", "end_dim", end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"

    def _out_shape(self, x):
        nd = x.ndim
        for name, v in (("start_dim", self.start_dim), ("end_dim", self.end_dim)):
            if not -nd <= v < nd:
                raise ValueError(f"{self._label()}: {name} {v} is out of range for a {nd}-D input "
                                 f"of shape {tuple(x.shape)}")
        s, e = self.start_dim % nd, self.end_dim % nd
        if s > e:
            raise ValueError(f"{self._label()}: start_dim after end_dim for input of shape {tuple(x.shape)}")
        return x.shape[:s] + (math.prod(x.shape[s:e + 1]),) + x.shape[e + 1:]

    @classmethod
    def examples(cls) -> list:
        return [Example("Flatten", cls, lambda n: (n, 2, 3, 3))]


class Unflatten(_Reshape):
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

    def extra_repr(self) -> str:
        return f"{self.dim}, {self.unflattened_size}"

    def _out_shape(self, x):
        nd = x.ndim
        d = self.dim % nd if -nd <= self.dim < nd else None
        n = math.prod(self.unflattened_size)
        if d is None or x.shape[d] != n:
            raise ValueError(f"{self._label()}: expected an input whose dimension {self.dim} has "
                             f"size {n} (= prod{self.unflattened_size}), got shape {tuple(x.shape)}")
        return x.shape[:d] + self.unflattened_size + x.shape[d + 1:]

    @classmethod
    def examples(cls) -> list:
        return [Example("Unflatten(1, (2, 3, 3))", lambda: cls(1, (2, 3, 3)), lambda n: (n, 18))]


class Pack(_Reshape):
    """PacGAN's packing (Lin et al., 2018): the discriminator judges ``m`` samples at once.
    (N, d) -> (N/m, m d) and (N, C, H, W) -> (N/m, m C, H, W): consecutive samples are
    concatenated along the features (channels). Put it first in D (its next layer takes
    m times the inputs). Backward is the reverse reshape. Math: docs/math/spectral_norm.md
    ("Packing")."""

    def __init__(self, m: int):
        super().__init__()
        with as_value_error():
            self.m = positive_int("Pack", "m", m)

    def extra_repr(self) -> str:
        return f"{self.m}"

    def _out_shape(self, x):
        if x.ndim < 2 or x.shape[0] % self.m:
            raise ValueError(f"{self._label()}: expected a batch divisible into packs of {self.m}, "
                             f"got shape {tuple(x.shape)}")
        return (x.shape[0] // self.m, self.m * x.shape[1]) + x.shape[2:]

    @classmethod
    def examples(cls) -> list:
        return [Example("Pack(2)", lambda: cls(2), lambda n: (2 * n, 3)),
                Example("Pack(3) images", lambda: cls(3), lambda n: (3 * n, 1, 2, 2))]


__all__ = ["Flatten", "Unflatten", "Pack"]
