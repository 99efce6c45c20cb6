"""im2col / col2im: turn a convolution into one matrix product.  Math: docs/math/conv.md.

Every receptive field of the (zero-padded) input becomes one row of ``cols``:

    x     (N, C, H, W)                 NCHW, any memory layout
    cols  (N*Ho*Wo, kh*kw*C)           row (n, ho, wo), column (i, j, c):
    cols[(n, ho, wo), (i, j, c)] = xpad[n, c, ho*sh + i*dh, wo*sw + j*dw]

The columns are ordered (i, j, c) - channel last - so that the innermost run of
every copy is a contiguous block of C channels, and the result of the GEMM
(N*Ho*Wo, O) is already channel-last (NHWC) memory.  ``im2col`` is one strided
view of the padded NHWC input plus ONE copy; ``col2im``, its adjoint, is kh*kw
strided ``+=`` of whole slices (never ``add.at``).

Only the array namespace of the input is used (``minigan.backend.array_module``),
so the same code runs on NumPy and CuPy.

A :class:`~minigan.ops.workspace.Workspace` lets a layer keep its large
scratch arrays (the padded input, ``cols``, the GEMM output that col2im
consumes) from one step to the next.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy

from .. import backend as B
from ..backend.fused import Elementwise, runs_kernels
from .workspace import Workspace, scratch  # noqa: F401  (re-exported)


class Geometry(NamedTuple):
    """Kernel size, stride, padding and dilation, each as (height, width)."""
    kernel: tuple
    stride: tuple = (1, 1)
    padding: tuple = (0, 0)
    dilation: tuple = (1, 1)


def pair(v, name: str = "value", where: str = "conv") -> tuple:
    """An int or a (h, w) pair of ints, as a tuple (h, w)."""
    if isinstance(v, (int, numpy.integer)) and not isinstance(v, bool):
        return (int(v), int(v))
    if isinstance(v, (tuple, list)) and len(v) == 2 and all(
            isinstance(e, (int, numpy.integer)) and not isinstance(e, bool) for e in v):
        return (int(v[0]), int(v[1]))
    raise ValueError(f"{where}: {name} must be an int or a pair of ints (h, w), got {v!r}")


def checked_geometry(channels, w_shape, w_channel_axis, stride, padding, dilation, where,
                     output_padding=None) -> Geometry:
    """The checks conv2d and conv_transpose2d share; returns the :class:`Geometry`.

    The input's ``channels`` must equal the weight's dimension ``w_channel_axis``
    (1 for conv2d's (O, C, kh, kw), 0 for conv_transpose2d's (Cin, Cout, kh, kw));
    kernel_size, stride and dilation must be positive; padding (and
    ``output_padding``, when given) non-negative.  ValueError naming ``where``
    otherwise.  See docs/math/conv.md.
    """
    expected = w_shape[w_channel_axis]
    if channels != expected:
        raise ValueError(f"{where}: input has {channels} channels but the weight {tuple(w_shape)} "
                         f"expects {expected}")
    g = Geometry(tuple(w_shape[2:]), tuple(stride), tuple(padding), tuple(dilation))
    for label, v in (("stride", g.stride), ("dilation", g.dilation), ("kernel_size", g.kernel)):
        if min(v) <= 0:
            raise ValueError(f"{where}: {label} must be positive, got {v}")
    if output_padding is None:
        if min(g.padding) < 0:
            raise ValueError(f"{where}: padding must be non-negative, got {g.padding}")
    elif min(g.padding) < 0 or min(output_padding) < 0:
        raise ValueError(f"{where}: padding and output_padding must be non-negative, "
                         f"got {g.padding} and {tuple(output_padding)}")
    return g


def as_strided(x, shape, strides):
    """``as_strided`` from the array's own namespace (numpy.lib.stride_tricks or
    cupy.lib.stride_tricks), so stride tricks work on both backends."""
    xp = B.array_module(x)
    return xp.lib.stride_tricks.as_strided(x, shape=shape, strides=strides)


def conv_output_size(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """PyTorch's Conv2d output length: floor((size + 2p - d(k-1) - 1) / s) + 1 (may be <= 0)."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def padded_nhwc(x, padding, ws=None, name="xpad"):
    """x (N, C, H, W) -> zero-padded channel-last array (N, H+2ph, W+2pw, C), C-contiguous.

    One copy that transposes and pads at once; no copy at all when there is no
    padding and x is already channel-last in memory (e.g. the output of a conv).
    With a workspace ``ws`` the copy goes into its buffer ``name``.
    """
    xp = B.array_module(x)
    ph, pw = padding
    N, C, H, W = x.shape
    xt = x.transpose(0, 2, 3, 1)
    if ph == 0 and pw == 0:
        if xt.flags.c_contiguous:
            return xt
        out = scratch(ws, name, (N, H, W, C), x.dtype, xp)
        out[...] = xt
        return out
    out = scratch(ws, name, (N, H + 2 * ph, W + 2 * pw, C), x.dtype, xp)
    # Zero only the border strips: the interior is overwritten right after.
    out[:, :ph] = 0
    out[:, H + ph:] = 0
    out[:, ph:H + ph, :pw] = 0
    out[:, ph:H + ph, W + pw:] = 0
    out[:, ph:H + ph, pw:W + pw] = xt
    return out


def im2col(x, geometry: Geometry, out_size=None, ws=None, name="cols"):
    """x (N, C, H, W) -> cols (N*Ho*Wo, kh*kw*C).  See docs/math/conv.md ("im2col").

    ``out_size`` = (Ho, Wo) overrides PyTorch's output size (the transposed
    convolution's backward asks for exactly its input size).  With a workspace
    ``ws`` the padded input and cols live in its buffers ``name + "_pad"`` and
    ``name`` (so cols is then valid only until the next im2col into them).
    """
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = geometry
    N, C, H, W = x.shape
    if out_size is None:
        out_size = (conv_output_size(H, kh, sh, ph, dh), conv_output_size(W, kw, sw, pw, dw))
    Ho, Wo = out_size
    xp = B.array_module(x)
    cols = scratch(ws, name, (N * Ho * Wo, kh * kw * C), x.dtype, xp)
    if fused_here(xp):
        # one kernel gathers every window straight from x, zeros where it overhangs
        return gather_windows(x, cols, geometry, (Ho, Wo), rows_t_major=False)
    xpad = padded_nhwc(x, (ph, pw), ws, name + "_pad")
    s0, s1, s2, s3 = xpad.strides
    # The 6-D view (n, ho, wo, i, j, c) of every receptive field: no data moves yet.
    windows = as_strided(xpad, (N, Ho, Wo, kh, kw, C),
                         (s0, s1 * sh, s2 * sw, s1 * dh, s2 * dw, s3))
    # The one copy gathers the windows into rows.
    cols.reshape(N, Ho, Wo, kh, kw, C)[...] = windows
    return cols


def col2im(cols, x_shape, geometry: Geometry, out_size=None, start=None):
    """cols (N*Ho*Wo, kh*kw*C) -> dx (N, C, H, W), the adjoint of :func:`im2col`.

    Sums every column entry back onto the input pixel it was copied from:
    kh*kw strided ``+=`` of (N, Ho, Wo, C) slices into a zero-padded channel-last
    buffer, then a crop.  The result is an NCHW *view* of channel-last memory.
    See docs/math/conv.md ("dx: a GEMM, then col2im").
    ``start`` (C,), when given, is the value every pixel starts from instead of 0:
    the transposed convolution's bias, added for free.
    """
    xp = B.array_module(cols)
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = geometry
    N, C, H, W = x_shape
    if out_size is None:
        out_size = (conv_output_size(H, kh, sh, ph, dh), conv_output_size(W, kw, sw, pw, dw))
    Ho, Wo = out_size
    if fused_here(xp):
        # channel-last memory, as the NumPy path's: the same layout downstream
        dx = xp.empty((N, H, W, C), dtype=cols.dtype)
        start = xp.zeros((C,), dtype=cols.dtype) if start is None else start
        _col2im(cols, start, N, C, H, W, Ho, Wo, kh, kw, sh, sw, ph, pw, dh, dw, dx)
        return dx.transpose(0, 3, 1, 2)
    return _col2im_strided(xp, cols, x_shape, geometry, out_size, start)


def _col2im_strided(xp, cols, x_shape, geometry: Geometry, out_size, start):
    """col2im's array path: kh*kw strided adds into a padded channel-last buffer, a crop."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = geometry
    N, C, H, W = x_shape
    Ho, Wo = out_size
    cols6 = cols.reshape(N, Ho, Wo, kh, kw, C)
    if start is None:
        dxpad = xp.zeros((N, H + 2 * ph, W + 2 * pw, C), dtype=cols.dtype)
    else:
        dxpad = xp.empty((N, H + 2 * ph, W + 2 * pw, C), dtype=cols.dtype)
        dxpad[...] = start          # broadcast over the last (channel) axis
    for i in range(kh):
        h0 = i * dh
        for j in range(kw):
            w0 = j * dw
            # Rows h0, h0+sh, ..., h0+sh*(Ho-1): the pixels kernel tap (i, j) touched.
            # add(out=view), not view += ...: Python turns ``a[idx] += b`` into a read, an
            # add and a write-back copy of the slice onto itself (an extra pass, and an
            # extra kernel on a GPU).
            view = dxpad[:, h0:h0 + sh * (Ho - 1) + 1:sh, w0:w0 + sw * (Wo - 1) + 1:sw]
            xp.add(view, cols6[:, :, :, i, j], out=view)
    return dxpad[:, ph:ph + H, pw:pw + W].transpose(0, 3, 1, 2)


# ---------------------------------------------------------------- CuPy: one kernel each
# On CuPy the padded copy + window copy of im2col, and col2im's kh*kw strided adds,
# are one kernel each (docs/backends.md, "Fused kernels"). The NumPy path above stays
# the reference; the tests compare the two bit for bit on the fake CuPy.

# Whether the conv's index kernels run: a GPU array namespace with fusion on.
fused_here = runs_kernels


def gather_windows(x, cols, geometry: Geometry, out_size, rows_t_major: bool, lead=None):
    """cols[(n, ho, wo), (i, j, c)] = x[n, c, ho sh - ph + i dh, wo sw - pw + j dw] (0 outside x),
    in one kernel; ``rows_t_major`` orders the rows (ho, n, wo) as the sub-pixel form needs,
    and ``lead`` (rows, cols) replaces the padding as the offset of x (the sub-pixel form's)."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = geometry
    if lead is not None:
        ph, pw = lead
    N, C, H, W = x.shape
    Ho, Wo = out_size
    return _im2col(x, N, C, H, W, Ho, Wo, kh, kw, sh, sw, ph, pw, dh, dw, int(rows_t_major),
                   cols)


def _im2col_twin(xp, x, N, C, H, W, Ho, Wo, kh, kw, sh, sw, ph, pw, dh, dw, t_major, cols):
    xpad = xp.zeros((N, H + 2 * ph + sh * Ho + dh * kh, W + 2 * pw + sw * Wo + dw * kw, C),
                    dtype=x.dtype)
    xpad[:, ph:ph + H, pw:pw + W] = x.transpose(0, 2, 3, 1)
    s0, s1, s2, s3 = xpad.strides
    if t_major:
        windows = as_strided(xpad, (Ho, N, Wo, kh, kw, C),
                             (s1 * sh, s0, s2 * sw, s1 * dh, s2 * dw, s3))
    else:
        windows = as_strided(xpad, (N, Ho, Wo, kh, kw, C),
                             (s0, s1 * sh, s2 * sw, s1 * dh, s2 * dw, s3))
    cols.reshape(windows.shape)[...] = windows
    return cols


_im2col = Elementwise(
    "im2col",
    "raw T x, int32 N, int32 C, int32 H, int32 W, int32 Ho, int32 Wo, int32 kh, int32 kw, "
    "int32 sh, int32 sw, int32 ph, int32 pw, int32 dh, int32 dw, int32 t_major", "T cols",
    """/* element i of cols (rows, kh*kw*C): column (ki, kj, c), row (n, ho, wo) or (ho, n, wo) */
       int c = i % C;
       long long t = i / C;
       int kj = t % kw;  t /= kw;
       int ki = t % kh;  t /= kh;
       int wo = t % Wo;  t /= Wo;
       int img, ho;   /* (not n: CuPy reserves n, i and names starting with _) */
       if (t_major) { img = t % N; ho = t / N; } else { ho = t % Ho; img = t / Ho; }
       int h = ho * sh - ph + ki * dh;
       int w = wo * sw - pw + kj * dw;
       cols = (h >= 0 && h < H && w >= 0 && w < W)
              ? x[(((long long)img * C + c) * H + h) * W + w] : (T)0;""",
    _im2col_twin)


def _col2im_twin(xp, cols, start, N, C, H, W, Ho, Wo, kh, kw, sh, sw, ph, pw, dh, dw, dx):
    g = Geometry((kh, kw), (sh, sw), (ph, pw), (dh, dw))
    dx[...] = _col2im_strided(xp, cols, (N, C, H, W), g, (Ho, Wo), start).transpose(0, 2, 3, 1)
    return dx


_col2im = Elementwise(
    "col2im",
    "raw T cols, raw T start, int32 N, int32 C, int32 H, int32 W, int32 Ho, int32 Wo, "
    "int32 kh, int32 kw, int32 sh, int32 sw, int32 ph, int32 pw, int32 dh, int32 dw",
    "T dx",
    """/* element i of dx (N, H, W, C) gathers the taps that touched it, in the order
          (ki, kj) that the NumPy path adds them, starting from start[c] (bias or 0) */
       int c = i % C;
       long long t = i / C;
       int w = t % W;  t /= W;
       int h = t % H;
       int img = t / H;
       T acc = start[c];
       for (int ki = 0; ki < kh; ki++) {
           int hp = h + ph - ki * dh;
           if (hp >= 0 && hp % sh == 0 && hp / sh < Ho) {
               for (int kj = 0; kj < kw; kj++) {
                   int wp = w + pw - kj * dw;
                   if (wp >= 0 && wp % sw == 0 && wp / sw < Wo) {
                       long long row = ((long long)img * Ho + hp / sh) * Wo + wp / sw;
                       acc += cols[(row * kh + ki) * kw * C + kj * C + c];
                   }
               }
           }
       }
       dx = acc;""",
    _col2im_twin)
