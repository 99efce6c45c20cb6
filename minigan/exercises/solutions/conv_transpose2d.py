# minigan exercise: conv_transpose2d
"""Exercise: the backward pass of a 2-D transposed convolution (PyTorch's
conv_transpose2d), from its scatter definition: every input pixel x[n, c, a, b] adds
W[c, o, i, j] * x[n, c, a, b] onto output position (a*sh - ph + i*dh, b*sw - pw + j*dw).

Shapes: x (N, Cin, H, W), W (Cin, Cout, kh, kw) (PyTorch's layout: input channels first),
b (Cout,) or None, y (N, Cout, Ho, Wo) with Ho = (H - 1) sh - 2 ph + dh (kh - 1) + oph + 1.
stride, padding, output_padding, dilation: an int or a pair.
Math: docs/math/conv_transpose.md, sections "Forward: the scatter definition" and "Backward".
Check your answer with: minigan check THIS_FILE
"""
import numpy as np


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def conv_transpose2d_forward(x, W, b=None, stride=(1, 1), padding=(0, 0), output_padding=(0, 0),
                             dilation=(1, 1)):
    """Returns (y, cache). The scatter runs on a full canvas, (H - 1) sh + dh (kh - 1) + 1
    (+ oph) rows, from which the padding is then cut off."""
    # -- forward --
    (sh, sw), (ph, pw) = _pair(stride), _pair(padding)
    (oph, opw), (dh, dw) = _pair(output_padding), _pair(dilation)
    N, Cin, H, Wd = x.shape
    _, Cout, kh, kw = W.shape
    Ho = (H - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1
    Wo = (Wd - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1
    full = np.zeros((N, Cout, (H - 1) * sh + dh * (kh - 1) + 1 + oph,
                     (Wd - 1) * sw + dw * (kw - 1) + 1 + opw))
    for i in range(kh):
        for j in range(kw):
            full[:, :, i * dh:i * dh + sh * (H - 1) + 1:sh,
                 j * dw:j * dw + sw * (Wd - 1) + 1:sw] += np.einsum("nchw,co->nohw", x, W[:, :, i, j])
    y = full[:, :, ph:ph + Ho, pw:pw + Wo]
    if b is not None:
        y = y + b[None, :, None, None]
    return y, (x, W, b is not None, (sh, sw), (ph, pw), (dh, dw), full.shape)
    # -- end --


def conv_transpose2d_backward(dy, cache):
    """dy (N, Cout, Ho, Wo) -> (dx like x, dW like W, db (Cout,) or None without a bias)."""
    x, W, has_bias, (sh, sw), (ph, pw), (dh, dw), full_shape = cache  # given
    # -- backward --
    # hint: put dy back on the full canvas where the forward cut y out (zeros elsewhere).
    # hint: then each tap (i, j) reads a strided window of that canvas, (N, Cout, H, W):
    # hint: it meets x in dW[:, :, i, j] and W[:, :, i, j] in dx.
    N, Cin, H, Wd = x.shape
    _, Cout, kh, kw = W.shape
    Ho, Wo = dy.shape[2:]
    dfull = np.zeros(full_shape)
    dfull[:, :, ph:ph + Ho, pw:pw + Wo] = dy
    dx = np.zeros_like(x)
    dW = np.zeros_like(W)
    for i in range(kh):
        for j in range(kw):
            window = dfull[:, :, i * dh:i * dh + sh * (H - 1) + 1:sh,
                           j * dw:j * dw + sw * (Wd - 1) + 1:sw]
            dx += np.einsum("nohw,co->nchw", window, W[:, :, i, j])
            dW[:, :, i, j] = np.einsum("nchw,nohw->co", x, window)
    db = dy.sum(axis=(0, 2, 3)) if has_bias else None
    return dx, dW, db
    # -- end --
