"""nn.Upsample, nn.ReflectionPad2d and nn.ZeroPad2d around minigan.ops.resample, PyTorch's
semantics. Math: docs/math/upsampling.md.

All three are parameterless linear maps of (N, C, H, W) images: the backward is the
transposed map, and the second-order pass is the forward map applied to ``a`` with no
second-order term (the map does not depend on x), so they can be part of a critic trained
with a gradient penalty.
"""
from __future__ import annotations

import numpy

from ..checks import flag, real
from ..ops.resample import (pad_backward, pad_forward, upsample_apply, upsample_backward,
                            upsample_forward, upsample_output_size)
from .examples import Example
from .module import Module

_IMAGE = "(N, C, H, W)"


def _is_int(v) -> bool:
    return isinstance(v, (int, numpy.integer)) and not isinstance(v, (bool, numpy.bool_))


def _pair(where: str, name: str, v, one):
    """v as a pair (h, w): a single value is used for both; ``one`` checks each value."""
    if isinstance(v, (tuple, list)):
        if len(v) != 2:
            raise ValueError(f"{where}: {name} must be one value or a pair (h, w), got {v!r}")
        return tuple(one(e) for e in v)
    return (one(v),) * 2


class Upsample(Module):
    """Upsample (N, C, H, W) images to ``size`` or by ``scale_factor`` (exactly one of them;
    each a value or an (h, w) pair), ``mode`` "nearest" or "bilinear", as PyTorch's
    nn.Upsample: the output size is floor(in * scale_factor), and the source index uses
    1 / scale_factor when one is given. ``align_corners`` is for bilinear only (None: False)."""

    MODES = ("nearest", "bilinear")

    def __init__(self, size=None, scale_factor=None, mode: str = "nearest", align_corners=None):
        super().__init__()
        name = "Upsample"
        if size is None and scale_factor is None:
            raise ValueError(f"{name}: either size or scale_factor should be defined")
        if size is not None and scale_factor is not None:
            raise ValueError(f"{name}: only one of size or scale_factor should be defined, got "
                             f"size={size!r} and scale_factor={scale_factor!r}")
        self._size = self._scale = None
        if size is not None:
            def one_size(v):
                if not _is_int(v):
                    raise TypeError(f"{name}: size must be a positive int or a pair of them, "
                                    f"got {type(v).__name__} {v!r}")
                if v <= 0:
                    raise ValueError(f"{name}: size must be positive, got {size!r}")
                return int(v)
            self._size = _pair(name, "size", size, one_size)
            self.size = self._size if isinstance(size, (tuple, list)) else self._size[0]
            self.scale_factor = None
        else:
            self._scale = _pair(name, "scale_factor", scale_factor,
                                lambda v: real(name, "scale_factor", v, positive=True))
            self.scale_factor = (self._scale if isinstance(scale_factor, (tuple, list))
                                 else self._scale[0])
            self.size = None
        if not isinstance(mode, str):
            raise TypeError(f"{name}: mode must be a string, one of {self.MODES}, got {mode!r}")
        if mode not in self.MODES:
            raise ValueError(f"{name}: mode must be one of {self.MODES} (PyTorch's other modes "
                             f"are not implemented), got {mode!r}")
        self.mode = mode
        if align_corners is not None:
            align_corners = flag(name, "align_corners", align_corners)
            if mode == "nearest":
                raise ValueError(f"{name}: align_corners option can only be set with the "
                                 f"interpolating modes: bilinear (got mode='nearest')")
        self.align_corners = align_corners

    def extra_repr(self) -> str:
        info = f"size={self.size!r}" if self.size is not None else f"scale_factor={self.scale_factor!r}"
        info += f", mode={self.mode!r}"
        if self.align_corners is not None:
            info += f", align_corners={self.align_corners}"
        return info

    def _forward(self, x):
        self._check_input(x, ndim=4, what=_IMAGE)
        out = upsample_output_size(x.shape[2:], self._size, self._scale)
        if min(out) <= 0:
            raise ValueError(f"{self._label()}: the output size {out} of input of shape "
                             f"{tuple(x.shape)} is empty; input and output sizes should be "
                             f"greater than 0")
        return upsample_forward(x, out, self.mode, self.align_corners, self._scale)

    def _backward(self, dy, cache, need_dx):
        return upsample_backward(dy, cache) if need_dx else None

    def _double_backward(self, a, dy, cache):
        return upsample_apply(a, cache), None

    @classmethod
    def examples(cls) -> list:
        def shape(n):
            return (n, 2, 3, 4)
        return [Example("Upsample(scale_factor=2)", lambda: cls(scale_factor=2), shape),
                Example("Upsample(scale_factor=1.5)", lambda: cls(scale_factor=1.5), shape),
                Example("Upsample(scale_factor=2, mode='bilinear')",
                        lambda: cls(scale_factor=2, mode="bilinear"), shape),
                Example("Upsample(size=(5, 7), mode='bilinear', align_corners=True)",
                        lambda: cls(size=(5, 7), mode="bilinear", align_corners=True), shape),
                Example("Upsample(scale_factor=(1.5, 2.5), mode='bilinear')",
                        lambda: cls(scale_factor=(1.5, 2.5), mode="bilinear"), shape)]


def _padding(where: str, padding, allow_negative: bool) -> tuple:
    """An int p (all four sides) or a 4-tuple (left, right, top, bottom), PyTorch's order."""
    values = tuple(padding) if isinstance(padding, (tuple, list)) else (padding,) * 4
    if len(values) != 4:
        raise ValueError(f"{where}: padding must be an int or a 4-tuple (left, right, top, "
                         f"bottom), got {padding!r}")
    for v in values:
        if not _is_int(v):
            kind = "an int" if allow_negative else "a non-negative int"
            raise TypeError(f"{where}: padding must be {kind} or a 4-tuple of them, got "
                            f"{type(v).__name__} {v!r} in {padding!r}")
        if v < 0 and not allow_negative:
            raise ValueError(f"{where}: padding must be non-negative, got {padding!r}")
    return tuple(int(v) for v in values)


class _Pad2d(Module):
    _mode = ""

    def __init__(self, padding):
        super().__init__()
        self.padding = _padding(type(self).__name__, padding, self._mode == "constant")

    def extra_repr(self) -> str:
        return f"{self.padding}"

    def _check_sizes(self, x) -> None:
        raise NotImplementedError

    def _forward(self, x):
        self._check_input(x, ndim=4, what=_IMAGE)
        self._check_sizes(x)
        return pad_forward(x, self.padding, self._mode)

    def _backward(self, dy, cache, need_dx):
        return pad_backward(dy, cache) if need_dx else None

    def _double_backward(self, a, dy, cache):
        return pad_forward(a, self.padding, self._mode)[0], None


class ReflectionPad2d(_Pad2d):
    """Pad (N, C, H, W) images with their reflection about the edge (the edge not repeated),
    ``padding`` an int or (left, right, top, bottom); each must be smaller than its axis."""
    _mode = "reflect"

    def _check_sizes(self, x) -> None:
        left, right, top, bottom = self.padding
        H, W = x.shape[2], x.shape[3]
        if max(left, right) >= W or max(top, bottom) >= H:
            raise ValueError(f"{self._label()}: padding size should be less than the "
                             f"corresponding input dimension (left, right < W = {W}; top, "
                             f"bottom < H = {H}), got input of shape {tuple(x.shape)}")

    @classmethod
    def examples(cls) -> list:
        return [Example("ReflectionPad2d((1, 2, 0, 1))", lambda: cls((1, 2, 0, 1)),
                        lambda n: (n, 2, 3, 4)),
                Example("ReflectionPad2d(2)", lambda: cls(2), lambda n: (n, 1, 3, 4))]


class ZeroPad2d(_Pad2d):
    """Pad (N, C, H, W) images with zeros, ``padding`` an int or (left, right, top, bottom);
    a negative count crops, as in PyTorch."""
    _mode = "constant"

    def _check_sizes(self, x) -> None:
        left, right, top, bottom = self.padding
        H, W = x.shape[2], x.shape[3]
        if H + top + bottom <= 0 or W + left + right <= 0:
            raise ValueError(f"{self._label()}: the negative padding leaves an empty output "
                             f"({H + top + bottom}, {W + left + right}) for input of shape {tuple(x.shape)}")

    @classmethod
    def examples(cls) -> list:
        return [Example("ZeroPad2d((1, 2, 0, 1))", lambda: cls((1, 2, 0, 1)), lambda n: (n, 2, 3, 4)),
                Example("ZeroPad2d((-1, 2, 1, -1))", lambda: cls((-1, 2, 1, -1)),
                        lambda n: (n, 2, 3, 4))]


__all__ = ["Upsample", "ReflectionPad2d", "ZeroPad2d"]
