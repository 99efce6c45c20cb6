"""Upsampling (nearest, bilinear) and padding (reflection, zeros) of (N, C, H, W) images,
PyTorch's semantics. Derivation: docs/math/upsampling.md.

Both are linear maps that act on H and W separately. Upsampling is

    y = A_h x A_w^T        x (N, C, H, W), A_h (Ho, H), A_w (Wo, W), y (N, C, Ho, Wo)

with one interpolation matrix per axis (row o holds the weights output o takes from the
input), and its backward is the transpose, dx = A_h^T dy A_w. Nearest with an integer
factor k is a repeat (forward: a broadcast, backward: the sum of each k x k block), any
other nearest a gather; the matrices serve its backward. Padding writes x into a larger
array; its backward crops dy and, for reflection, folds the reflected border back onto
the interior rows and columns it was copied from.

The per-axis plans (index arrays, matrices) are built on the host with NumPy from
PyTorch's source-index formulas, moved to the input's device once, and cached per
(sizes, mode, align_corners, scale, dtype, backend, device): no host->device copy per step.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy

from .. import backend as B

# ---------------------------------------------------------------- PyTorch's source indices


def nearest_source_index(in_size: int, out_size: int, scale: float | None = None):
    """The input index each output index copies, as PyTorch's ``nearest`` computes it
    (host int64 array of length ``out_size``).

    src = min(floor(dst * r), in - 1) with r = 1 / scale when the caller gave a scale
    factor, else in / out, r and the product in float32 as in PyTorch's kernel
    (``nearest_idx``), so that the floors agree with it for non-integer factors (in
    float64, 28 -> 166 columns would differ at column 83). out == in and out == 2 in are
    PyTorch's exact special cases (the identity, dst >> 1).
    """
    dst = numpy.arange(out_size, dtype=numpy.int64)
    if out_size == in_size:
        return dst
    if out_size == 2 * in_size:
        return dst >> 1
    f32 = numpy.float32
    r = f32(1.0 / scale) if scale is not None and scale > 0 else f32(in_size) / f32(out_size)
    src = numpy.floor(dst.astype(f32) * r).astype(numpy.int64)
    return numpy.minimum(src, in_size - 1)


def linear_source_position(in_size: int, out_size: int, align_corners: bool,
                           scale: float | None = None):
    """The real-valued source position of each output index (host float64 array), PyTorch's
    ``area_pixel_compute_source_index``:

        align_corners=True:   src = dst (in - 1) / (out - 1)        (0 when out == 1)
        align_corners=False:  src = max((dst + 0.5) r - 0.5, 0),  r = 1 / scale if given,
                                                                   else in / out
    """
    dst = numpy.arange(out_size, dtype=numpy.float64)
    if align_corners:
        r = (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
        return dst * r
    r = 1.0 / scale if scale is not None and scale > 0 else in_size / out_size
    return numpy.maximum((dst + 0.5) * r - 0.5, 0.0)


def interpolation_matrix(in_size: int, out_size: int, mode: str, align_corners: bool = False,
                         scale: float | None = None):
    """A (out_size, in_size) host float64 matrix A with y = A x along one axis.

    An axis whose size does not change is the identity (as PyTorch). nearest: one 1 per
    row, at :func:`nearest_source_index`. bilinear (linear along the
    axis): row o has 1 - lam at i0 = min(floor(src), in - 1) and lam = clip(src - i0, 0, 1)
    at i1 = i0 + 1 (i0 itself at the last row of the input), PyTorch's weights.
    """
    if out_size == in_size:
        # PyTorch (its CPU kernels) copies an axis whose size does not change, whatever the
        # scale factor that gave it (e.g. 1.1 on 3 rows): the identity, not 1 / 1.1.
        return numpy.eye(in_size)
    A = numpy.zeros((out_size, in_size))
    rows = numpy.arange(out_size)
    if mode == "nearest":
        A[rows, nearest_source_index(in_size, out_size, scale)] = 1.0
        return A
    src = linear_source_position(in_size, out_size, align_corners, scale)
    i0 = numpy.minimum(numpy.floor(src).astype(numpy.int64), in_size - 1)
    lam = numpy.clip(src - i0, 0.0, 1.0)
    i1 = numpy.where(i0 < in_size - 1, i0 + 1, i0)
    # Each statement writes one entry per row (no repeated index within it); the second
    # adds, for the rows where i1 == i0 (the last input row takes both weights).
    A[rows, i0] += 1.0 - lam
    A[rows, i1] += lam
    return A


# ---------------------------------------------------------------- per-axis plans, cached


class AxisPlan(NamedTuple):
    """How one axis is resampled: ``kind`` "identity", "repeat" (factor ``k``), "gather"
    (device ``index``; ``A`` for the backward) or "matrix" (device ``A``, (out, in))."""
    kind: str
    k: int
    index: object
    A: object


class UpsampleCache(NamedTuple):
    in_shape: tuple       # (N, C, H, W) of x
    h: AxisPlan           # along H (axis 2)
    w: AxisPlan           # along W (axis 3)


_PLANS: dict = {}
_MAX_PLANS = 256          # distinct (size, mode, ...) combinations kept; cleared beyond


def _device_key(x):
    """Which device holds x (a CuPy device id; None on the host)."""
    return getattr(getattr(x, "device", None), "id", None)


def _axis_plan(x, in_size, out_size, mode, align_corners, scale) -> AxisPlan:
    key = (in_size, out_size, mode, bool(align_corners), scale, x.dtype.str, B.backend_of(x),
           _device_key(x))
    plan = _PLANS.get(key)
    if plan is not None:
        return plan
    xp = B.array_module(x)
    if mode == "nearest":
        index = nearest_source_index(in_size, out_size, scale)
        k = out_size // in_size
        if out_size == in_size and numpy.array_equal(index, numpy.arange(in_size)):
            plan = AxisPlan("identity", 1, None, None)
        elif out_size == k * in_size and numpy.array_equal(index, numpy.arange(out_size) // k):
            plan = AxisPlan("repeat", k, None, None)
        else:
            A = interpolation_matrix(in_size, out_size, mode, align_corners, scale)
            plan = AxisPlan("gather", 1, xp.asarray(index), xp.asarray(A.astype(x.dtype)))
    else:
        A = interpolation_matrix(in_size, out_size, mode, align_corners, scale)
        if out_size == in_size and numpy.array_equal(A, numpy.eye(in_size)):
            plan = AxisPlan("identity", 1, None, None)
        else:
            plan = AxisPlan("matrix", 1, None, xp.asarray(A.astype(x.dtype)))
    if len(_PLANS) >= _MAX_PLANS:
        _PLANS.clear()
    _PLANS[key] = plan
    return plan


def _forward_axis(x, plan: AxisPlan, axis: int):
    """Resample x (N, C, H, W) along ``axis`` (2 or 3) by ``plan``."""
    kind = plan.kind
    if kind == "identity":
        return x
    xp = B.array_module(x)
    if kind == "repeat":
        N, C, H, W = x.shape
        k = plan.k
        if axis == 2:
            return xp.broadcast_to(x[:, :, :, None, :], (N, C, H, k, W)).reshape(N, C, H * k, W)
        return xp.broadcast_to(x[:, :, :, :, None], (N, C, H, W, k)).reshape(N, C, H, W * k)
    if kind == "gather":
        return xp.take(x, plan.index, axis=axis)
    return xp.matmul(plan.A, x) if axis == 2 else xp.matmul(x, plan.A.T)


def _backward_axis(dy, plan: AxisPlan, axis: int):
    """The adjoint of :func:`_forward_axis`: the transposed matrix (a block sum for a repeat)."""
    kind = plan.kind
    if kind == "identity":
        return dy
    xp = B.array_module(dy)
    if kind == "repeat":
        N, C, Ho, Wo = dy.shape
        k = plan.k
        if axis == 2:
            return dy.reshape(N, C, Ho // k, k, Wo).sum(axis=3)
        return dy.reshape(N, C, Ho, Wo // k, k).sum(axis=4)
    return xp.matmul(plan.A.T, dy) if axis == 2 else xp.matmul(dy, plan.A)


def upsample_forward(x, out_size, mode: str = "nearest", align_corners: bool | None = None,
                     scale=None):
    """x (N, C, H, W) -> (y (N, C, Ho, Wo), UpsampleCache), ``out_size`` = (Ho, Wo).

    ``mode`` "nearest" or "bilinear"; ``align_corners`` (bilinear only; None is False);
    ``scale`` None or the (sh, sw) scale factors the caller gave, which PyTorch uses for
    the source index (1 / scale) in place of in / out. y = A_h x A_w^T; see
    docs/math/upsampling.md.
    """
    N, C, H, W = x.shape
    Ho, Wo = out_size
    sh, sw = (None, None) if scale is None else scale
    ac = bool(align_corners)
    h = _axis_plan(x, H, Ho, mode, ac, sh)
    w = _axis_plan(x, W, Wo, mode, ac, sw)
    cache = UpsampleCache(tuple(x.shape), h, w)
    if h.kind == w.kind == "repeat":
        # both axes at once: one copy of the output instead of two
        xp = B.array_module(x)
        y = xp.broadcast_to(x[:, :, :, None, :, None], (N, C, H, h.k, W, w.k))
        return y.reshape(N, C, Ho, Wo), cache
    y = _forward_axis(_forward_axis(x, h, 2), w, 3)
    if y is x:                       # scale 1: still a new array, as every layer's output
        y = x.copy()
    return y, cache


def upsample_backward(dy, cache: UpsampleCache):
    """dy (N, C, Ho, Wo) -> dx (N, C, H, W): dx = A_h^T dy A_w (a k x k block sum for
    nearest with integer factors). See docs/math/upsampling.md."""
    h, w = cache.h, cache.w
    if h.kind == w.kind == "repeat":
        N, C, H, W = cache.in_shape
        return dy.reshape(N, C, H, h.k, W, w.k).sum(axis=(3, 5))
    dx = _backward_axis(_backward_axis(dy, w, 3), h, 2)
    return dx.copy() if dx is dy else dx


def upsample_apply(a, cache: UpsampleCache):
    """The forward map of ``cache`` applied to another array a (N, C, H, W): J a, for the
    second-order pass (the map is linear)."""
    h, w = cache.h, cache.w
    if h.kind == w.kind == "repeat":
        N, C, H, W = a.shape
        xp = B.array_module(a)
        return xp.broadcast_to(a[:, :, :, None, :, None],
                               (N, C, H, h.k, W, w.k)).reshape(N, C, H * h.k, W * w.k)
    y = _forward_axis(_forward_axis(a, h, 2), w, 3)
    return y.copy() if y is a else y


def upsample_output_size(in_hw, size=None, scale_factor=None) -> tuple:
    """(Ho, Wo) as PyTorch's interpolate: ``size`` itself, or floor(in * scale_factor)."""
    if size is not None:
        return tuple(size)
    return tuple(int(math.floor(float(n) * s)) for n, s in zip(in_hw, scale_factor))


# ---------------------------------------------------------------- padding


class PadCache(NamedTuple):
    in_shape: tuple       # (N, C, H, W) of x
    padding: tuple        # (left, right, top, bottom)
    mode: str             # "reflect" or "constant" (zeros)


PAD_MODES = ("reflect", "constant")


def _kept(size, before, after):
    """The slices of x kept and where they go when ``before``/``after`` elements are added
    (a negative count crops, as PyTorch's constant padding): (source, destination)."""
    lo, hi = max(0, -before), size - max(0, -after)
    n = max(0, hi - lo)
    start = max(0, before)
    return slice(lo, lo + n), slice(start, start + n)


def pad_forward(x, padding, mode: str = "constant"):
    """x (N, C, H, W) -> (y (N, C, H + top + bottom, W + left + right), PadCache).

    ``padding`` = (left, right, top, bottom), PyTorch's order. "constant" pads with
    zeros (a negative count crops); "reflect" mirrors x about its edge rows and columns,
    the edge itself not repeated (each count must be in [0, the size of its axis)): rows
    first, then the columns of the full height, so the corners are reflections of
    reflections, as in PyTorch. See docs/math/upsampling.md ("Padding").
    """
    xp = B.array_module(x)
    l, r, t, b = padding
    N, C, H, W = x.shape
    shape = (N, C, H + t + b, W + l + r)
    if mode == "constant":
        (sh, dh), (sw, dw) = _kept(H, t, b), _kept(W, l, r)
        y = xp.zeros(shape, dtype=x.dtype)
        y[:, :, dh, dw] = x[:, :, sh, sw]
        return y, PadCache(tuple(x.shape), tuple(padding), mode)
    y = xp.empty(shape, dtype=x.dtype)
    y[:, :, t:t + H, l:l + W] = x
    # output row j < t is input row t - j; output row t + H + j is input row H - 2 - j
    y[:, :, :t, l:l + W] = x[:, :, 1:t + 1][:, :, ::-1]
    y[:, :, t + H:, l:l + W] = x[:, :, H - 1 - b:H - 1][:, :, ::-1]
    # the same along W, on the full height of y (its corners reflect the reflected rows)
    y[:, :, :, :l] = y[:, :, :, l + 1:2 * l + 1][:, :, :, ::-1]
    y[:, :, :, l + W:] = y[:, :, :, l + W - 1 - r:l + W - 1][:, :, :, ::-1]
    return y, PadCache(tuple(x.shape), tuple(padding), mode)


def pad_backward(dy, cache: PadCache):
    """dy (N, C, Ho, Wo) -> dx (N, C, H, W): the crop of dy to x's place, plus, for
    reflection, each reflected row and column of dy added onto the one it copied (the
    columns first, on the full height, undoing the forward's last step first)."""
    xp = B.array_module(dy)
    l, r, t, b = cache.padding
    N, C, H, W = cache.in_shape
    if cache.mode == "constant":
        (sh, dh), (sw, dw) = _kept(H, t, b), _kept(W, l, r)
        if min(cache.padding) >= 0:
            return dy[:, :, dh, dw].copy()
        dx = xp.zeros(cache.in_shape, dtype=dy.dtype)
        dx[:, :, sh, sw] = dy[:, :, dh, dw]
        return dx
    g = dy[:, :, :, l:l + W].copy()                                  # (N, C, Ho, W)
    g[:, :, :, 1:l + 1] += dy[:, :, :, :l][:, :, :, ::-1]
    g[:, :, :, W - 1 - r:W - 1] += dy[:, :, :, l + W:][:, :, :, ::-1]
    dx = g[:, :, t:t + H].copy()                                     # (N, C, H, W)
    dx[:, :, 1:t + 1] += g[:, :, :t][:, :, ::-1]
    dx[:, :, H - 1 - b:H - 1] += g[:, :, t + H:][:, :, ::-1]
    return dx


__all__ = ["nearest_source_index", "linear_source_position", "interpolation_matrix", "AxisPlan",
           "UpsampleCache", "upsample_forward", "upsample_backward", "upsample_apply",
           "upsample_output_size", "PadCache", "PAD_MODES", "pad_forward", "pad_backward"]
