"""Seeded random numbers on the backend in use, through what NumPy's and CuPy's generators share."""
from __future__ import annotations

import numpy

from .select import Backend, current

class RNG:
    """A seeded generator using only what NumPy's and CuPy's ``Generator`` share.

    Samples are made on the backend current when the RNG is created, in the dtype
    asked for (float32 by default), so no host->device copy is needed.
    """

    def __init__(self, seed: int | None = None, backend: Backend | None = None):
        if seed is not None and (isinstance(seed, (bool, numpy.bool_)) or
                                 not isinstance(seed, (int, numpy.integer))):
            raise TypeError(f"RNG: seed must be a non-negative int or None, got "
                            f"{type(seed).__name__} {seed!r}")
        if seed is not None and seed < 0:
            raise ValueError(f"RNG: seed must be a non-negative int or None, got {seed}")
        self.backend = backend or current()
        self.seed = seed
        self._gen = self.backend.xp.random.default_rng(seed)

    def standard_normal(self, size, dtype=numpy.float32):
        return self._gen.standard_normal(size, dtype=dtype)

    def normal(self, size, mean=0.0, std=1.0, dtype=numpy.float32):
        out = self._gen.standard_normal(size, dtype=dtype)
        if std != 1.0:
            out *= std
        if mean != 0.0:
            out += mean
        return out

    def random(self, size, dtype=numpy.float32):
        """Uniform on [0, 1)."""
        return self._gen.random(size, dtype=dtype)

    def uniform(self, size, low=0.0, high=1.0, dtype=numpy.float32):
        out = self._gen.random(size, dtype=dtype)
        out *= (high - low)
        out += low
        return out

    def integers(self, low, high=None, size=None):
        return self._gen.integers(low, high, size=size)

    def permutation(self, n: int):
        """A random permutation of range(n) (argsort of uniforms works on both backends)."""
        return self.backend.xp.argsort(self._gen.random(n))

    def state_dict(self) -> dict:
        """{"seed", "state"}: ``state`` is NumPy's bit-generator state (JSON-able ints), or
        None on backends whose generator does not expose one (CuPy)."""
        bg = getattr(self._gen, "bit_generator", None)
        return {"seed": self.seed, "state": getattr(bg, "state", None)}

    def load_state_dict(self, d: dict, step: int = 0) -> None:
        """Continue the stream ``state_dict`` recorded. Where no state was recorded (CuPy),
        the generator is re-seeded from (seed, step): reproducible, but not the stream an
        uninterrupted run would have drawn."""
        if d.get("state") is not None and getattr(self._gen, "bit_generator", None) is not None:
            self._gen.bit_generator.state = d["state"]
            return
        seed = d.get("seed")
        self._gen = self.backend.xp.random.default_rng(
            None if seed is None else [int(seed), int(step)])


_default_rng: RNG | None = None


def seed(s: int) -> RNG:
    """Seed the default generator of the current backend and return it."""
    global _default_rng
    _default_rng = RNG(s)
    return _default_rng


def default_rng() -> RNG:
    """The default generator (re-made when the backend changed since it was seeded)."""
    global _default_rng
    if _default_rng is None or _default_rng.backend.name != current().name:
        _default_rng = RNG(None if _default_rng is None else _default_rng.seed)
    return _default_rng


