"""Naive convolutions straight from their definitions: the ground truth for minigan.ops.

Plain loops over every output (or input) position and kernel tap; padding is
never materialised - a tap that falls outside the input just contributes
nothing.  Slow and obviously correct.  NumPy only; W and x as in PyTorch.
"""
import numpy as np


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def conv2d_ref(x, W, b=None, stride=1, padding=0, dilation=1):
    """y[n, o, ho, wo] = b[o] + sum_{c,i,j} W[o, c, i, j] x[n, c, ho*sh - ph + i*dh, wo*sw - pw + j*dw]."""
    (sh, sw), (ph, pw), (dh, dw) = _pair(stride), _pair(padding), _pair(dilation)
    N, C, H, Wd = x.shape
    O, _, kh, kw = W.shape
    Ho = (H + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    Wo = (Wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros((N, O, Ho, Wo), dtype=x.dtype)
    for n in range(N):
        for ho in range(Ho):
            for wo in range(Wo):
                for i in range(kh):
                    for j in range(kw):
                        h, w = ho * sh - ph + i * dh, wo * sw - pw + j * dw
                        if 0 <= h < H and 0 <= w < Wd:
                            y[n, :, ho, wo] += W[:, :, i, j] @ x[n, :, h, w]
    if b is not None:
        y += b[None, :, None, None]
    return y


def conv2d_backward_ref(dy, x, W, stride=1, padding=0, dilation=1):
    """(dx, dW, db) of L = sum(y * dy), by the same loops: every product in the forward
    sum sends dy back to the input pixel and the weight it multiplied."""
    (sh, sw), (ph, pw), (dh, dw) = _pair(stride), _pair(padding), _pair(dilation)
    N, C, H, Wd = x.shape
    _, _, kh, kw = W.shape
    _, _, Ho, Wo = dy.shape
    dx, dW = np.zeros_like(x), np.zeros_like(W)
    for n in range(N):
        for ho in range(Ho):
            for wo in range(Wo):
                for i in range(kh):
                    for j in range(kw):
                        h, w = ho * sh - ph + i * dh, wo * sw - pw + j * dw
                        if 0 <= h < H and 0 <= w < Wd:
                            dx[n, :, h, w] += W[:, :, i, j].T @ dy[n, :, ho, wo]
                            dW[:, :, i, j] += np.outer(dy[n, :, ho, wo], x[n, :, h, w])
    return dx, dW, dy.sum(axis=(0, 2, 3))


def conv_transpose2d_ref(x, W, b=None, stride=1, padding=0, output_padding=0, dilation=1):
    """The scatter definition: input pixel (h, w) adds x[n, :, h, w] @ W[:, :, i, j] at output
    (h*sh - ph + i*dh, w*sw - pw + j*dw) for every tap (i, j) that lands inside the output."""
    (sh, sw), (ph, pw), (dh, dw) = _pair(stride), _pair(padding), _pair(dilation)
    oph, opw = _pair(output_padding)
    N, Cin, H, Wd = x.shape
    _, Cout, kh, kw = W.shape
    Ho = (H - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1
    Wo = (Wd - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1
    y = np.zeros((N, Cout, Ho, Wo), dtype=x.dtype)
    for n in range(N):
        for h in range(H):
            for w in range(Wd):
                for i in range(kh):
                    for j in range(kw):
                        oh, ow = h * sh - ph + i * dh, w * sw - pw + j * dw
                        if 0 <= oh < Ho and 0 <= ow < Wo:
                            y[n, :, oh, ow] += x[n, :, h, w] @ W[:, :, i, j]
    if b is not None:
        y += b[None, :, None, None]
    return y


def conv_transpose2d_backward_ref(dy, x, W, stride=1, padding=0, dilation=1):
    """(dx, dW, db) of L = sum(y * dy) for the scatter above, by the same loops."""
    (sh, sw), (ph, pw), (dh, dw) = _pair(stride), _pair(padding), _pair(dilation)
    N, Cin, H, Wd = x.shape
    _, Cout, kh, kw = W.shape
    _, _, Ho, Wo = dy.shape
    dx, dW = np.zeros_like(x), np.zeros_like(W)
    for n in range(N):
        for h in range(H):
            for w in range(Wd):
                for i in range(kh):
                    for j in range(kw):
                        oh, ow = h * sh - ph + i * dh, w * sw - pw + j * dw
                        if 0 <= oh < Ho and 0 <= ow < Wo:
                            dx[n, :, h, w] += W[:, :, i, j] @ dy[n, :, oh, ow]
                            dW[:, :, i, j] += np.outer(x[n, :, h, w], dy[n, :, oh, ow])
    return dx, dW, dy.sum(axis=(0, 2, 3))


def im2col_ref(x, kernel, stride=1, padding=0, dilation=1):
    """cols[(n, ho, wo), (i, j, c)] = x[n, c, ho*sh - ph + i*dh, wo*sw - pw + j*dw] (0 outside)."""
    (kh, kw), (sh, sw) = _pair(kernel), _pair(stride)
    (ph, pw), (dh, dw) = _pair(padding), _pair(dilation)
    N, C, H, Wd = x.shape
    Ho = (H + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    Wo = (Wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    cols = np.zeros((N * Ho * Wo, kh * kw * C), dtype=x.dtype)
    for n in range(N):
        for ho in range(Ho):
            for wo in range(Wo):
                for i in range(kh):
                    for j in range(kw):
                        for c in range(C):
                            h, w = ho * sh - ph + i * dh, wo * sw - pw + j * dw
                            if 0 <= h < H and 0 <= w < Wd:
                                cols[(n * Ho + ho) * Wo + wo, (i * kw + j) * C + c] = x[n, c, h, w]
    return cols


def col2im_ref(cols, x_shape, kernel, stride=1, padding=0, dilation=1):
    """Every entry of cols added back onto the pixel im2col_ref copied it from."""
    (kh, kw), (sh, sw) = _pair(kernel), _pair(stride)
    (ph, pw), (dh, dw) = _pair(padding), _pair(dilation)
    N, C, H, Wd = x_shape
    Ho = (H + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    Wo = (Wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    x = np.zeros(x_shape, dtype=cols.dtype)
    for n in range(N):
        for ho in range(Ho):
            for wo in range(Wo):
                for i in range(kh):
                    for j in range(kw):
                        for c in range(C):
                            h, w = ho * sh - ph + i * dh, wo * sw - pw + j * dw
                            if 0 <= h < H and 0 <= w < Wd:
                                x[n, c, h, w] += cols[(n * Ho + ho) * Wo + wo, (i * kw + j) * C + c]
    return x
