# minigan exercise: conv2d
"""Exercise: the backward pass of a 2-D convolution (PyTorch's conv2d: a cross-correlation).

    y[n, o, a, b] = b[o] + sum_{c, i, j} W[o, c, i, j] * xpad[n, c, a*sh + i*dh, b*sw + j*dw]

Shapes: x (N, C, H, W), W (O, C, kh, kw), b (O,) or None, y (N, O, Ho, Wo) with
Ho = (H + 2 ph - dh (kh - 1) - 1) // sh + 1 (likewise Wo); xpad is x with ph rows and
pw columns of zeros on each side. stride, padding, dilation: an int or a pair.
Math: docs/math/conv.md, section "Backward" (loops are fine here: the check uses small shapes).
Check your answer with: minigan check THIS_FILE
"""
import numpy as np


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def conv2d_forward(x, W, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1)):
    """Returns (y, cache). One loop over the kernel taps (i, j): each tap multiplies a
    strided window of xpad, (N, C, Ho, Wo), by the (O, C) matrix W[:, :, i, j]."""
    # -- forward --
    (sh, sw), (ph, pw), (dh, dw) = _pair(stride), _pair(padding), _pair(dilation)
    N, C, H, Wd = x.shape
    O, _, kh, kw = W.shape
    Ho = (H + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    Wo = (Wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    xpad = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    y = np.zeros((N, O, Ho, Wo))
    for i in range(kh):
        for j in range(kw):
            window = xpad[:, :, i * dh:i * dh + sh * (Ho - 1) + 1:sh,
                          j * dw:j * dw + sw * (Wo - 1) + 1:sw]
            y += np.einsum("nchw,oc->nohw", window, W[:, :, i, j])
    if b is not None:
        y += b[None, :, None, None]
    return y, (x, W, b is not None, (sh, sw), (ph, pw), (dh, dw))
    # -- end --


def conv2d_backward(dy, cache):
    """dy (N, O, Ho, Wo) -> (dx like x, dW like W, db (O,) or None without a bias)."""
    x, W, has_bias, (sh, sw), (ph, pw), (dh, dw) = cache  # given
    # -- backward --
    # hint: run the forward's loop again: every product W[o, c, i, j] * xpad[...] sends dy
    # hint: back to both factors, dW[:, :, i, j] from the window, dxpad's window from W.
    # hint: accumulate into dxpad (x with its padding), then cut the padding off.
    # hint: db sums dy over every axis but the output channels.
    N, C, H, Wd = x.shape
    O, _, kh, kw = W.shape
    Ho, Wo = dy.shape[2:]
    xpad = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    dxpad = np.zeros_like(xpad)
    dW = np.zeros_like(W)
    for i in range(kh):
        for j in range(kw):
            rows = slice(i * dh, i * dh + sh * (Ho - 1) + 1, sh)
            cols = slice(j * dw, j * dw + sw * (Wo - 1) + 1, sw)
            dW[:, :, i, j] = np.einsum("nohw,nchw->oc", dy, xpad[:, :, rows, cols])
            dxpad[:, :, rows, cols] += np.einsum("nohw,oc->nchw", dy, W[:, :, i, j])
    dx = dxpad[:, :, ph:ph + H, pw:pw + Wd]
    db = dy.sum(axis=(0, 2, 3)) if has_bias else None
    return dx, dW, db
    # -- end --
