"""What a GPU would make expensive, counted: kernel launches, device->host
synchronisations and host->device transfers.

    from tests.fakecupy import counters, no_sync
    counters.reset()
    trainer.d_step(); trainer.g_step()
    counters.launches, counters.syncs          # per iteration
    with no_sync("a training step"):           # any float(x), .item(), bool(x), .get() raises
        trainer.g_step()

A *launch* is one operation that writes device memory (an element-wise op, a
reduction, a matmul, a copy, a fill, a random draw): what CuPy would run as
(at least) one kernel. Views (reshape of contiguous data, transpose, basic
slicing, ``as_strided``) launch nothing. A *sync* is anything that makes the host
wait for the device and read its memory: ``float(x)``, ``int(x)``, ``bool(x)``,
``x.item()``, ``x.tolist()``, ``x.get()``, ``asnumpy(x)``, printing an array,
``Stream.synchronize()``.
"""
from __future__ import annotations

from collections import Counter
from contextlib import contextmanager


class SyncForbidden(AssertionError):
    """A device->host synchronisation happened inside a ``no_sync`` block."""


class Counters:
    def __init__(self):
        self.forbid: list = []          # reasons of the enclosing no_sync blocks
        self.reset()

    def reset(self) -> None:
        self.launches = 0
        self.syncs = 0
        self.transfers = 0              # host -> device copies (asarray of host data, set)
        self.by_op: Counter = Counter()  # launches per operation name
        self.sync_log: list = []        # what synchronised, in order (capped)

    def launch(self, op: str, n: int = 1) -> None:
        self.launches += n
        self.by_op[op] += n

    def sync(self, what: str) -> None:
        if self.forbid:
            raise SyncForbidden(f"device->host synchronisation ({what}) inside a no_sync block "
                                f"({self.forbid[-1]}): on a GPU this stalls the host until every "
                                f"queued kernel has run")
        self.syncs += 1
        if len(self.sync_log) < 1000:
            self.sync_log.append(what)

    def transfer(self, what: str) -> None:
        self.transfers += 1
        self.by_op[f"h2d:{what}"] += 1

    def snapshot(self) -> dict:
        return {"launches": self.launches, "syncs": self.syncs, "transfers": self.transfers}


counters = Counters()


@contextmanager
def no_sync(reason: str = "a block that must not wait for the device"):
    """Raise :class:`SyncForbidden` on any device->host synchronisation inside the block."""
    counters.forbid.append(reason)
    try:
        yield counters
    finally:
        counters.forbid.pop()


@contextmanager
def counting():
    """Reset the counters, run the block, and leave the counts of just that block."""
    counters.reset()
    yield counters
