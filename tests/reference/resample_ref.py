"""Naive upsampling and padding, one output pixel at a time: the ground truth for
minigan.ops.resample.

Each output pixel is computed from PyTorch's scalar source-index formulas (for nearest in
float32, as PyTorch's kernel), and each backward scatters dy[o] into the input pixels that
output o read, with the same weights: the adjoint written as a loop, not as transposed
matrices. NumPy only.
"""
import math

import numpy as np


def _nearest_src(dst, n_in, n_out, scale):
    if n_out == n_in:
        return dst
    if n_out == 2 * n_in:
        return dst // 2
    r = np.float32(1.0 / scale) if scale else np.float32(n_in) / np.float32(n_out)
    return min(int(math.floor(np.float32(dst) * r)), n_in - 1)


def _linear_taps(dst, n_in, n_out, align_corners, scale):
    """[(input index, weight), ...] that output ``dst`` reads along one axis."""
    if n_out == n_in:                                   # PyTorch copies an unchanged axis
        return [(dst, 1.0)]
    if align_corners:
        src = dst * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    else:
        r = 1.0 / scale if scale else n_in / n_out
        src = max((dst + 0.5) * r - 0.5, 0.0)
    i0 = min(int(math.floor(src)), n_in - 1)
    lam = min(max(src - i0, 0.0), 1.0)
    i1 = i0 + 1 if i0 < n_in - 1 else i0
    return [(i0, 1.0 - lam), (i1, lam)]


def _taps(dst, n_in, n_out, mode, align_corners, scale):
    if mode == "nearest":
        return [(_nearest_src(dst, n_in, n_out, scale), 1.0)]
    return _linear_taps(dst, n_in, n_out, align_corners, scale)


def upsample_ref(x, out_size, mode, align_corners=False, scale=None):
    """y (N, C, Ho, Wo): each output pixel as the weighted sum of the input pixels it reads."""
    N, C, H, W = x.shape
    Ho, Wo = out_size
    sh, sw = scale if scale is not None else (None, None)
    y = np.zeros((N, C, Ho, Wo), dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            for oh in range(Ho):
                for ow in range(Wo):
                    for ih, a in _taps(oh, H, Ho, mode, align_corners, sh):
                        for iw, b in _taps(ow, W, Wo, mode, align_corners, sw):
                            y[n, c, oh, ow] += a * b * x[n, c, ih, iw]
    return y


def upsample_backward_ref(dy, in_shape, mode, align_corners=False, scale=None):
    """dx: each dy[o] added into the input pixels output o read, with their weights."""
    N, C, H, W = in_shape
    _, _, Ho, Wo = dy.shape
    sh, sw = scale if scale is not None else (None, None)
    dx = np.zeros(in_shape, dtype=dy.dtype)
    for n in range(N):
        for c in range(C):
            for oh in range(Ho):
                for ow in range(Wo):
                    for ih, a in _taps(oh, H, Ho, mode, align_corners, sh):
                        for iw, b in _taps(ow, W, Wo, mode, align_corners, sw):
                            dx[n, c, ih, iw] += a * b * dy[n, c, oh, ow]
    return dx


def _source(k, size, mode):
    """The input index padded position k (relative to x's first row) reads; None for a zero."""
    if mode == "reflect":
        if k < 0:
            return -k
        if k >= size:
            return 2 * (size - 1) - k
        return k
    return k if 0 <= k < size else None


def pad_ref(x, padding, mode):
    """y (N, C, H + t + b, W + l + r) for padding (left, right, top, bottom)."""
    l, r, t, b = padding
    N, C, H, W = x.shape
    y = np.zeros((N, C, H + t + b, W + l + r), dtype=x.dtype)
    for i in range(H + t + b):
        for j in range(W + l + r):
            si, sj = _source(i - t, H, mode), _source(j - l, W, mode)
            if si is not None and sj is not None:
                y[:, :, i, j] = x[:, :, si, sj]
    return y


def pad_backward_ref(dy, in_shape, padding, mode):
    """dx: each dy pixel added into the input pixel it copied."""
    l, r, t, b = padding
    N, C, H, W = in_shape
    dx = np.zeros(in_shape, dtype=dy.dtype)
    for i in range(dy.shape[2]):
        for j in range(dy.shape[3]):
            si, sj = _source(i - t, H, mode), _source(j - l, W, mode)
            if si is not None and sj is not None:
                dx[:, :, si, sj] += dy[:, :, i, j]
    return dx
