"""One flat buffer for all of an optimizer's parameters, their gradients and its state.

Why: the parameters' arrays become views of one flat array (and so do their
gradients and the optimizer's state), so that a step is a handful of whole-array
operations instead of a handful per parameter: on a GPU, a dozen kernel launches
per step instead of a dozen per parameter. The update rule is the same either way
(the tests compare both paths); the per-parameter path serves when parameters
differ (frozen ones, other step counts) or were rebound since (``intact``).
"""
from __future__ import annotations

from ..backend import array_module

FLAT = object()          # the key of the flat (all-parameter) state in Optimizer._slot


class FlatBuffer:
    """``data`` and ``grad``: every parameter's values and gradients end to end; ``views``:
    (data view, grad view, offset, size) per parameter; ``state``: name -> flat state array."""

    def __init__(self, params):
        first = params[0].data
        xp = array_module(first)
        total = sum(int(p.data.size) for p in params)
        self.data = xp.empty(total, dtype=first.dtype)
        self.grad = xp.empty(total, dtype=first.dtype)
        self.views, offset = [], 0
        for p in params:
            n, shape = int(p.data.size), p.data.shape
            self.data[offset:offset + n] = p.data.reshape(-1)
            self.grad[offset:offset + n] = p.grad.reshape(-1)
            p.data = self.data[offset:offset + n].reshape(shape)
            p.grad = self.grad[offset:offset + n].reshape(shape)
            self.views.append((p.data, p.grad, offset, n))
            offset += n
        self.state: dict = {}

    @classmethod
    def pack(cls, params) -> "FlatBuffer | None":
        """Pack ``params`` (rebinding their arrays to views), or None when they cannot share
        one buffer: fewer than two, or of different dtypes or backends."""
        first = params[0].data
        xp = array_module(first)
        if len(params) < 2 or any(p.data.dtype != first.dtype or array_module(p.data) is not xp or
                                  p.grad.dtype != first.dtype for p in params):
            return None
        return cls(params)

    def intact(self, params) -> bool:
        """Whether every parameter still holds its view (nothing rebound p.data or p.grad)."""
        return all(p.data is d and p.grad is g for p, (d, g, _, _) in zip(params, self.views))

    def add_state(self, name: str, dtype) -> list:
        """A new flat state array of zeros; returns its per-parameter views."""
        buf = array_module(self.data).zeros(self.data.shape, dtype=dtype)
        self.state[name] = buf
        return [buf[off:off + n].reshape(d.shape) for d, _, off, n in self.views]
