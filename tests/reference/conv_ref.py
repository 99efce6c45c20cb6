"""Naive convolutions straight from their definitions: the ground truth for minigan.ops.

Plain loops over every output (or input) position and kernel tap; padding is
never materialised - a tap that falls outside the input just contributes
nothing.  Slow and obviously correct.  NumPy only; W and x as in PyTorch.
"""
import numpy as np


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _conv_out_size(H, W, kernel, stride, padding, dilation):
    """(Ho, Wo) of a convolution: floor((H + 2p - d(k-1) - 1) / s) + 1 along each axis."""
    (kh, kw), (sh, sw) = _pair(kernel), _pair(stride)
    (ph, pw), (dh, dw) = _pair(padding), _pair(dilation)
    return (H + 2 * ph - dh * (kh - 1) - 1) // sh + 1, (W + 2 * pw - dw * (kw - 1) - 1) // sw + 1


def _taps(N, grid, target, kernel, stride, padding, dilation):
    """The terms of a convolution sum, by plain loops: for every sample n, position (a, b)
    of the ``grid`` (height, width) and kernel tap (i, j), yield (n, a, b, i, j, p, q) with

        (p, q) = (a*sh - ph + i*dh, b*sw - pw + j*dw)

    whenever (p, q) lies inside the ``target`` (height, width); a tap that falls into the
    padding contributes nothing and is skipped.  A convolution's output position (a, b)
    reads input pixel (p, q); a transposed convolution's input pixel (a, b) adds onto
    output position (p, q).
    """
    (A, B), (P, Q) = grid, target
    (kh, kw), (sh, sw) = _pair(kernel), _pair(stride)
    (ph, pw), (dh, dw) = _pair(padding), _pair(dilation)
    for n in range(N):
        for a in range(A):
            for b in range(B):
                for i in range(kh):
                    for j in range(kw):
                        p, q = a * sh - ph + i * dh, b * sw - pw + j * dw
                        if 0 <= p < P and 0 <= q < Q:
                            yield n, a, b, i, j, p, q


def conv2d_ref(x, W, b=None, stride=1, padding=0, dilation=1):
    """y[n, o, ho, wo] = b[o] + sum_{c,i,j} W[o, c, i, j] x[n, c, ho*sh - ph + i*dh, wo*sw - pw + j*dw]."""
    N, C, H, Wd = x.shape
    O, _, kh, kw = W.shape
    Ho, Wo = _conv_out_size(H, Wd, (kh, kw), stride, padding, dilation)
    y = np.zeros((N, O, Ho, Wo), dtype=x.dtype)
    for n, ho, wo, i, j, h, w in _taps(N, (Ho, Wo), (H, Wd), (kh, kw), stride, padding, dilation):
        y[n, :, ho, wo] += W[:, :, i, j] @ x[n, :, h, w]
    if b is not None:
        y += b[None, :, None, None]
    return y


def conv2d_backward_ref(dy, x, W, stride=1, padding=0, dilation=1):
    """(dx, dW, db) of L = sum(y * dy), by the same loops: every product in the forward
    sum sends dy back to the input pixel and the weight it multiplied."""
    N, C, H, Wd = x.shape
    _, _, kh, kw = W.shape
    _, _, Ho, Wo = dy.shape
    dx, dW = np.zeros_like(x), np.zeros_like(W)
    for n, ho, wo, i, j, h, w in _taps(N, (Ho, Wo), (H, Wd), (kh, kw), stride, padding, dilation):
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
    for n, h, w, i, j, oh, ow in _taps(N, (H, Wd), (Ho, Wo), (kh, kw), stride, padding, dilation):
        y[n, :, oh, ow] += x[n, :, h, w] @ W[:, :, i, j]
    if b is not None:
        y += b[None, :, None, None]
    return y


def conv_transpose2d_backward_ref(dy, x, W, stride=1, padding=0, dilation=1):
    """(dx, dW, db) of L = sum(y * dy) for the scatter above, by the same loops."""
    N, Cin, H, Wd = x.shape
    _, Cout, kh, kw = W.shape
    _, _, Ho, Wo = dy.shape
    dx, dW = np.zeros_like(x), np.zeros_like(W)
    for n, h, w, i, j, oh, ow in _taps(N, (H, Wd), (Ho, Wo), (kh, kw), stride, padding, dilation):
        dx[n, :, h, w] += W[:, :, i, j] @ dy[n, :, oh, ow]
        dW[:, :, i, j] += np.outer(x[n, :, h, w], dy[n, :, oh, ow])
    return dx, dW, dy.sum(axis=(0, 2, 3))


def im2col_ref(x, kernel, stride=1, padding=0, dilation=1):
    """cols[(n, ho, wo), (i, j, c)] = x[n, c, ho*sh - ph + i*dh, wo*sw - pw + j*dw] (0 outside)."""
    kh, kw = _pair(kernel)
    N, C, H, Wd = x.shape
    Ho, Wo = _conv_out_size(H, Wd, kernel, stride, padding, dilation)
    cols = np.zeros((N * Ho * Wo, kh * kw * C), dtype=x.dtype)
    for n, ho, wo, i, j, h, w in _taps(N, (Ho, Wo), (H, Wd), kernel, stride, padding, dilation):
        for c in range(C):
            cols[(n * Ho + ho) * Wo + wo, (i * kw + j) * C + c] = x[n, c, h, w]
    return cols


def col2im_ref(cols, x_shape, kernel, stride=1, padding=0, dilation=1):
    """Every entry of cols added back onto the pixel im2col_ref copied it from."""
    kh, kw = _pair(kernel)
    N, C, H, Wd = x_shape
    Ho, Wo = _conv_out_size(H, Wd, kernel, stride, padding, dilation)
    x = np.zeros(x_shape, dtype=cols.dtype)
    for n, ho, wo, i, j, h, w in _taps(N, (Ho, Wo), (H, Wd), kernel, stride, padding, dilation):
        for c in range(C):
            x[n, c, h, w] += cols[(n * Ho + ho) * Wo + wo, (i * kw + j) * C + c]
    return x
