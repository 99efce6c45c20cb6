"""Example instances of a layer: what the gradient checks and the bad-input tests run.

Every public layer class lists a few in its ``examples()`` classmethod, next to its
code, so that ``minigan gradcheck``, the second-order checks and the property tests
of bad input find every layer by itself: nothing keeps a hand-made list of layers.
"""
from __future__ import annotations

from typing import Callable, NamedTuple


class Example(NamedTuple):
    """One small instance of a layer."""
    title: str                         # as shown in the gradcheck table, e.g. "Linear(5, 3)"
    make: Callable                     # () -> a new module (float32; .double() for checks)
    shape: Callable                    # n -> the input shape for a batch of n samples


__all__ = ["Example"]
