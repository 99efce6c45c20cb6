"""Mini-batches of (images, labels): shuffled, seeded, moved to the current backend.

    loader = DataLoader(images, labels, batch_size=64, shuffle=True, seed=0)
    for epoch in range(10):
        for x, y in loader:          # x, y arrays of the current backend (CuPy on a GPU)
            ...
    batches = loader.forever()       # endless stream across epochs, for step-counted training

The data set stays a NumPy array on the host; only each batch is copied to the
device (:func:`minigan.backend.to_device`), so data sets larger than GPU memory
work and no device memory is held between steps.
"""
from __future__ import annotations

import math

import numpy

from .. import backend as B
from ..checks import positive_int

__all__ = ["DataLoader", "BatchStream"]


class DataLoader:
    """Iterate over ``(images[idx], labels[idx])`` in batches of ``batch_size``.

    images: (N, ...) array; labels: (N,) array or None (then batches are ``(x, None)``).
    shuffle: a new order every epoch, drawn from a NumPy generator seeded by ``seed``
        (two loaders with the same seed give the same sequence of epochs).
    drop_last: leave out the final batch when it is smaller than ``batch_size``.
    dtype: the images' dtype on the device (labels become int64).
    to_device: False keeps batches as NumPy arrays.
    """

    def __init__(self, images, labels=None, batch_size: int = 64, shuffle: bool = True,
                 drop_last: bool = False, seed: int | None = None, dtype=numpy.float32,
                 to_device: bool = True):
        self.images = B.to_numpy(images)
        self.labels = None if labels is None else B.to_numpy(labels)
        if self.images.dtype.kind not in "biuf":
            raise TypeError(f"DataLoader: images must be numbers (an int or float array), got dtype "
                            f"{self.images.dtype}")
        if self.labels is not None and self.labels.dtype.kind not in "biu":
            raise TypeError(f"DataLoader: labels must be integers, got dtype {self.labels.dtype}")
        n = self.images.shape[0] if self.images.ndim else 0
        if self.images.ndim == 0:
            raise ValueError("DataLoader: images must have a leading sample axis, got a scalar")
        if self.labels is not None and self.labels.shape[:1] != (n,):
            raise ValueError(f"DataLoader: {n} images but labels have shape {tuple(self.labels.shape)}; "
                             f"expected ({n},)")
        batch_size = positive_int("DataLoader", "batch_size", batch_size)
        self.batch_size, self.shuffle, self.drop_last = int(batch_size), bool(shuffle), bool(drop_last)
        self.dtype, self.to_device, self.seed = dtype, bool(to_device), seed
        self.epoch = 0          # epochs started so far
        self._rng = numpy.random.default_rng(seed)

    def __len__(self) -> int:
        """Batches per epoch."""
        n = self.images.shape[0]
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    @property
    def num_samples(self) -> int:
        return self.images.shape[0]

    def _order(self) -> numpy.ndarray:
        n = self.images.shape[0]
        return self._rng.permutation(n) if self.shuffle else numpy.arange(n)

    def _move(self, x, dtype):
        return B.to_device(x, dtype=dtype) if self.to_device else numpy.asarray(x, dtype=dtype)

    def __iter__(self):
        order = self._order()   # drawn when iteration starts, so epochs follow one another
        self.epoch += 1
        for b in range(len(self)):
            idx = order[b * self.batch_size:(b + 1) * self.batch_size]
            # fancy indexing makes a contiguous host copy: one transfer per batch
            x = self._move(self.images[idx], self.dtype)
            y = None if self.labels is None else self._move(self.labels[idx], numpy.int64)
            yield x, y

    def stream(self) -> "BatchStream":
        """Batches without end, epoch after epoch, with a state that checkpoints can save."""
        if len(self) == 0:
            raise ValueError(f"DataLoader.stream: no batches ({self.num_samples} samples, "
                             f"batch_size {self.batch_size}, drop_last={self.drop_last})")
        return BatchStream(self)

    def forever(self):
        """Batches without end, epoch after epoch (a generator)."""
        if len(self) == 0:
            raise ValueError(f"DataLoader.forever: no batches ({self.num_samples} samples, "
                             f"batch_size {self.batch_size}, drop_last={self.drop_last})")
        while True:
            yield from self

    def __repr__(self) -> str:
        return (f"DataLoader(samples={self.num_samples}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last}, seed={self.seed})")


class BatchStream:
    """An endless, resumable sequence of a loader's batches: ``next()`` gives the next
    ``(x, y)``; ``state_dict()`` records the epoch, the position in it and the shuffling
    generator's state at the epoch's start, so a resumed run draws the same batches."""

    def __init__(self, loader: DataLoader):
        self.loader = loader
        self.epoch, self.batch = 0, 0
        self._order = None
        self._rng_state = None

    def _new_epoch(self) -> None:
        self._rng_state = self.loader._rng.bit_generator.state
        self._order = self.loader._order()
        self.epoch += 1
        self.batch = 0

    def next(self):
        L = self.loader
        if self._order is None or self.batch >= len(L):
            self._new_epoch()
        idx = self._order[self.batch * L.batch_size:(self.batch + 1) * L.batch_size]
        self.batch += 1
        x = L._move(L.images[idx], L.dtype)
        y = None if L.labels is None else L._move(L.labels[idx], numpy.int64)
        return x, y

    def state_dict(self) -> dict:
        return {"epoch": self.epoch, "batch": self.batch, "rng": self._rng_state}

    def load_state_dict(self, d: dict, step: int = 0) -> None:
        if d.get("rng") is None:          # saved before the first batch
            self.epoch, self.batch, self._order = 0, 0, None
            return
        self.loader._rng.bit_generator.state = d["rng"]
        self._rng_state = d["rng"]
        self._order = self.loader._order()
        self.epoch, self.batch = int(d["epoch"]), int(d["batch"])
