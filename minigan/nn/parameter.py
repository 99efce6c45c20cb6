"""nn.Parameter: a trainable array and the gradient that backward passes add into."""
from __future__ import annotations

import numpy

from .. import backend as B


class Parameter:
    """A trainable array and its accumulated gradient (same shape, dtype, device).

    ``zero_grad`` (the optimizer's or the module's) marks the gradient as known zero;
    any use of ``p.grad`` since then (reading it, writing it, rebinding it) clears the
    mark. While it holds, the first backward pass may write its gradient straight into
    ``p.grad`` instead of adding it to zeros (:meth:`fresh_grad`): the same numbers, one
    pass over the gradient (one kernel on a GPU) fewer, as PyTorch writes the first
    gradient into a ``grad`` that ``zero_grad`` set to None.
    """

    __slots__ = ("data", "_grad", "requires_grad", "_zeroed")

    def __init__(self, data, requires_grad: bool = True):
        if isinstance(data, numpy.generic) or not hasattr(data, "shape") or not hasattr(data, "dtype") \
                or not hasattr(data, "__setitem__"):
            raise TypeError(f"Parameter: data must be an array (NumPy or device), got "
                            f"{type(data).__name__}; wrap a number as numpy.array(x)")
        self.data = data
        self.grad = B.array_module(data).zeros_like(data)
        self.requires_grad = requires_grad

    @property
    def grad(self):
        self._zeroed = False            # the caller may write into it
        return self._grad

    @grad.setter
    def grad(self, value):
        self._grad = value
        self._zeroed = False

    def mark_zeroed(self) -> None:
        """Say that ``grad`` holds zeros now (zero_grad calls this after zeroing it)."""
        self._zeroed = True

    def fresh_grad(self):
        """``grad`` when it is known to hold zeros and nothing used it since: the buffer a
        backward pass may write its gradient into directly (the mark is cleared); else None."""
        if self._zeroed:
            self._zeroed = False
            return self._grad
        return None

    @property
    def shape(self):
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    def zero_grad(self) -> None:
        self.grad[...] = 0
        self._zeroed = True

    def __repr__(self) -> str:
        return (f"Parameter(shape={tuple(self.data.shape)}, dtype={self.data.dtype}, "
                f"backend={B.backend_of(self.data)}, requires_grad={self.requires_grad})")


__all__ = ["Parameter"]
