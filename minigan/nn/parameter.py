"""nn.Parameter: a trainable array and the gradient that backward passes add into."""
from __future__ import annotations

import numpy

from .. import backend as B


class Parameter:
    """A trainable array and its accumulated gradient (same shape, dtype, device)."""

    __slots__ = ("data", "grad", "requires_grad")

    def __init__(self, data, requires_grad: bool = True):
        if isinstance(data, numpy.generic) or not hasattr(data, "shape") or not hasattr(data, "dtype") \
                or not hasattr(data, "__setitem__"):
            raise TypeError(f"Parameter: data must be an array (NumPy or device), got "
                            f"{type(data).__name__}; wrap a number as numpy.array(x)")
        self.data = data
        self.grad = B.array_module(data).zeros_like(data)
        self.requires_grad = requires_grad

    @property
    def shape(self):
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    def zero_grad(self) -> None:
        self.grad[...] = 0

    def __repr__(self) -> str:
        return (f"Parameter(shape={tuple(self.data.shape)}, dtype={self.data.dtype}, "
                f"backend={B.backend_of(self.data)}, requires_grad={self.requires_grad})")


__all__ = ["Parameter"]
