"""Scratch arrays a layer keeps from one step to the next.

Why: a training step makes the same temporaries every time (im2col's ``cols``,
batch norm's normalised input, Adam's step). Made fresh, each large one is new
memory that the allocator may have handed back to the operating system since
the last step, to be page-faulted in again (docs/performance.md, "Page faults";
the trainer also raises the allocator's thresholds, see
``minigan.backend.keep_freed_host_memory``). Kept in a :class:`Workspace`, a buffer
is mapped once and reused.

The price is the rule that makes it safe: a buffer's contents are valid only
until the next ``take`` of the same name, so a workspace belongs to one layer
(or one optimizer), and what it hands out is only cached or consumed inside
that owner, never returned to the caller as a result.
"""
from __future__ import annotations

from .. import backend as B


class Workspace:
    """Named scratch arrays owned by one layer, reused while shape, dtype and backend match."""

    def __init__(self):
        self._buffers = {}

    def take(self, name, shape, dtype, xp):
        b = self._buffers.get(name)
        if b is None or b.shape != tuple(shape) or b.dtype != dtype or B.array_module(b) is not xp:
            b = self._buffers[name] = xp.empty(shape, dtype=dtype)
        return b

    def clear(self) -> None:
        self._buffers.clear()

    def nbytes(self) -> int:
        return sum(int(b.nbytes) for b in self._buffers.values())


def scratch(ws, name, shape, dtype, xp):
    """A workspace buffer, or a fresh array when there is no workspace."""
    return xp.empty(shape, dtype=dtype) if ws is None else ws.take(name, shape, dtype, xp)


def memory_order(x) -> tuple:
    """x's axes from the slowest-varying in memory to the fastest (NCHW views of
    channel-last memory give (0, 2, 3, 1)); ties keep the logical order."""
    return tuple(sorted(range(x.ndim), key=lambda a: -abs(x.strides[a])))


def scratch_like(ws, name, x, dtype=None):
    """A scratch array shaped like x whose memory runs in x's order (as ``empty_like``
    with order 'K' does), so element-wise work between the two walks both arrays in
    step; compact even where x is a cropped view. Fresh when ``ws`` is None."""
    xp = B.array_module(x)
    order = memory_order(x)
    buf = scratch(ws, name, tuple(x.shape[a] for a in order), dtype or x.dtype, xp)
    return buf.transpose(tuple(order.index(a) for a in range(x.ndim)))
