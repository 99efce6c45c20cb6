"""Sub-pixel form of the strided transposed convolution: GEMMs only, no col2im.
Derivation: docs/math/conv_transpose.md ("Forward, sub-pixel form").

When every kernel length is a multiple of its stride (k = s K) and dilation is 1,
output row o, shifted by the padding to o + p = s t + r, receives only the taps
i = s a + r (0 <= r < s), from input rows t - a.  So, with a' = K - 1 - a,

    Z[n, t, u, rh, rw, co] = sum_{a', b', ci} xpad[n, t + a', u + b', ci]
                                              Wsub[rh][(a', b', ci), (rw, co)]
    Wsub[rh][(a', b', ci), (rw, co)] = W[ci, co, sh (K - 1 - a') + rh, sw (K' - 1 - b') + rw]
    y[n, co, sh t + rh - ph, sw u + rw - pw] = b[co] + Z[n, t, u, rh, rw, co]

i.e. s^2 small (K x K') stride-1 convolutions of the zero-padded input, one per
output parity, over ONE shared im2col, then an interleaving copy ("pixel
shuffle") that adds the bias.  Shapes (t0 = p // s, c = p mod s, Th = ceil((c + Ho) / s)):

    x     (N, Cin, H, W)            xpad  (N, Th + K - 1, Tw + K' - 1, Cin), x at K - 1 - t0
    cols  (Th*N*Tw, K*K'*Cin)       rows ordered (t, n, u)
    Wsub  (sh, K*K'*Cin, sw*Cout)   one GEMM per row parity rh, on its block of rows t
    y     (N, Cout, Ho, Wo)         an NCHW view of channel-last memory, cropped by c

The scatter form (GEMM, then col2im's kh*kw strided ``+=``) sums the same
products; here the tap sums happen inside the GEMM.  Only the array namespace
of the input is used (``minigan.backend.array_module``), so it runs on CuPy too.
"""
from __future__ import annotations

from .. import backend as B
from .im2col import Geometry, as_strided, fused_here, gather_windows, scratch


def applies(geometry, Cin, Cout) -> bool:
    """True when the sub-pixel form is exact and pays.

    Exact: k % s == 0, dilation 1, padding < k (so that no row of x lies left of
    the first window).  Pays: stride > 1 somewhere, and Cin <= sh sw Cout, i.e.
    its ``cols`` (K K' Cin per pixel of x) is no wider than the scatter form's
    GEMM output (kh kw Cout per pixel), the array col2im would sum.  For
    tconv 64 -> 1 (Cin = 64 > 4) the scatter form is far cheaper.
    """
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = geometry
    return (kh % sh == 0 and kw % sw == 0 and dh == 1 and dw == 1
            and ph < kh and pw < kw and max(sh, sw) > 1 and Cin <= sh * sw * Cout)


def subpixel_weight(W, stride):
    """W (Cin, Cout, kh, kw) -> Wsub (sh, K*K'*Cin, sw*Cout), K = kh/sh, K' = kw/sw.

    Wsub[rh] holds the sub-kernels of the output rows of parity rh: rows
    (a', b', ci), columns (rw, co).  Tap i = s (K - 1 - a') + r, so the window's
    first element (a' = 0) meets the kernel's last tap: a correlation.
    """
    Cin, Cout, kh, kw = W.shape
    sh, sw = stride
    K, Kw = kh // sh, kw // sw
    W6 = W.reshape(Cin, Cout, K, sh, Kw, sw)[:, :, ::-1, :, ::-1, :]   # (ci, co, a', rh, b', rw)
    return W6.transpose(3, 2, 4, 0, 5, 1).reshape(sh, K * Kw * Cin, sw * Cout)


def _padded_rows(x, lead, size, ws):
    """x (N, C, H, W) -> NHWC buffer of ``size`` (rows, cols) with x at offset ``lead``,
    zeros elsewhere; rows of x beyond the buffer (never read by a window) are dropped."""
    xp = B.array_module(x)
    N, C, H, W = x.shape
    (lh, lw), (Rh, Rw) = lead, size
    hn, wn = min(H, Rh - lh), min(W, Rw - lw)
    out = scratch(ws, "sp_pad", (N, Rh, Rw, C), x.dtype, xp)
    # Zero only the border strips: the interior is overwritten right after.
    out[:, :lh] = 0
    out[:, lh + hn:] = 0
    out[:, lh:lh + hn, :lw] = 0
    out[:, lh:lh + hn, lw + wn:] = 0
    out[:, lh:lh + hn, lw:lw + wn] = x.transpose(0, 2, 3, 1)[:, :hn, :wn]
    return out


def conv_transpose2d_subpixel(x, W, stride, padding, out_size, start=None, ws=None):
    """x (N, Cin, H, W), W (Cin, Cout, kh, kw) -> y (N, Cout, Ho, Wo) with ``out_size`` (Ho, Wo).

    Requires :func:`applies`.  ``start`` (Cout,), when given, is added to every
    pixel (the bias) during the interleaving copy.  ``ws``: a Workspace for the
    padded input, ``cols`` and ``Z`` (y itself is always a fresh array).
    """
    xp = B.array_module(x)
    N, Cin, H, Wd = x.shape
    Cout, kh, kw = W.shape[1:]
    (sh, sw), (ph, pw), (Ho, Wo) = stride, padding, out_size
    K, Kw = kh // sh, kw // sw
    t0h, t0w = ph // sh, pw // sw                     # first sub-pixel row/column needed
    ch, cw = ph % sh, pw % sw                         # leading rows of that one cut off
    Th, Tw = -(-(ch + Ho) // sh), -(-(cw + Wo) // sw)
    # Window t reads x rows t0 + t - (K-1) ... t0 + t, so x starts at K - 1 - t0 (>= 0: p < k).
    lead = (K - 1 - t0h, Kw - 1 - t0w)
    cols = scratch(ws, "sp_cols", (Th * N * Tw, K * Kw * Cin), x.dtype, xp)
    if fused_here(xp):        # on CuPy one kernel: the padding and the windows at once
        gather_windows(x, cols, Geometry((K, Kw)), (Th, Tw), rows_t_major=True, lead=lead)
    else:
        xpad = _padded_rows(x, lead, (Th + K - 1, Tw + Kw - 1), ws)
        s0, s1, s2, s3 = xpad.strides
        # Rows ordered (t, n, u): the rows one output-row parity needs are then one block.
        windows = as_strided(xpad, (Th, N, Tw, K, Kw, Cin), (s1, s0, s2, s1, s2, s3))
        cols.reshape(Th, N, Tw, K, Kw, Cin)[...] = windows
    Wsub = subpixel_weight(W, stride)
    y = xp.empty((N, Th * sh, Tw * sw, Cout), dtype=x.dtype)
    y6 = y.reshape(N, Th, sh, Tw, sw, Cout)
    rows = N * Tw
    for rh in range(sh):
        # Rows t of parity rh that land inside y: s t + rh in [ch, ch + Ho).  A GEMM per
        # parity skips the (K-1)-wide border that the other parities alone need.
        lo, hi = -((rh - ch) // sh), (ch + Ho - 1 - rh) // sh
        if hi < lo:
            continue
        Z = scratch(ws, f"sp_z{rh}", ((hi + 1 - lo) * rows, sw * Cout), x.dtype, xp)
        xp.matmul(cols[lo * rows:(hi + 1) * rows], Wsub[rh], out=Z)
        # Pixel shuffle: (t, n, u, rw, co) -> y (n, s t + rh, s u + rw, co), bias added on the way.
        Z5 = Z.reshape(hi + 1 - lo, N, Tw, sw, Cout).transpose(1, 0, 2, 3, 4)
        if start is None:
            y6[:, lo:hi + 1, rh] = Z5
        else:
            xp.add(Z5, start, out=y6[:, lo:hi + 1, rh])
    return y[:, ch:ch + Ho, cw:cw + Wo].transpose(0, 3, 1, 2)
