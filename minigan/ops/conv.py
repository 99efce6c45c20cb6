"""2-D convolution (cross-correlation, as in PyTorch) by im2col and one GEMM.
Derivation: docs/math/conv.md.

Shapes: x (N, C, H, W), W (O, C, kh, kw), b (O,), y (N, O, Ho, Wo) with
Ho = floor((H + 2 ph - dh (kh - 1) - 1) / sh) + 1 (likewise Wo).

    y[n, o, ho, wo] = b[o] + sum_{c, i, j} W[o, c, i, j] xpad[n, c, ho sh + i dh, wo sw + j dw]

With cols = im2col(x) (N*Ho*Wo, kh*kw*C) and Wc = W laid out (O, kh*kw*C) the
whole layer is ONE matrix product, y_rows = cols Wc^T (N*Ho*Wo, O), which is
channel-last memory: y is returned as an NCHW view of it (no transpose copy).
"""
from __future__ import annotations

from typing import NamedTuple

from .. import backend as B
from .im2col import checked_geometry, col2im, conv_output_size, fused_here, im2col, scratch
from .subpixel import applies as subpixel_applies, conv_transpose2d_subpixel


class Conv2dCache(NamedTuple):
    x_shape: tuple
    w_shape: tuple
    cols: object          # im2col(x) (N*Ho*Wo, kh*kw*C); None when the layer is frozen
    Wc: object            # W laid out (O, kh*kw*C)
    has_bias: bool
    geometry: object      # minigan.ops.im2col.Geometry
    out_size: tuple       # (Ho, Wo)
    ws: object            # the layer's Workspace (or None)
    W: object

    @property
    def dW_operand(self):
        """What dW is computed from (cols); None when the forward ran frozen."""
        return self.cols


def weight_cols(W):
    """W (O, C, kh, kw) -> Wc (O, kh*kw*C): columns in im2col's (i, j, c) order."""
    O = W.shape[0]
    return W.transpose(0, 2, 3, 1).reshape(O, -1)


def weight_from_cols(Wc, shape, out=None):
    """Inverse of :func:`weight_cols`: Wc (O, kh*kw*C) -> contiguous W of ``shape`` (O, C, kh, kw)
    (written into ``out`` when given)."""
    O, C, kh, kw = shape
    W = Wc.reshape(O, kh, kw, C).transpose(0, 3, 1, 2)
    if out is None:
        return W.copy()
    out[...] = W
    return out


def conv2d_geometry(x_shape, w_shape, stride, padding, dilation, where: str = "conv2d"):
    """Validate sizes and return (Geometry, (Ho, Wo)); ValueError naming ``where`` otherwise."""
    N, C, H, W = x_shape
    O, Cw, kh, kw = w_shape
    g = checked_geometry(C, w_shape, 1, stride, padding, dilation, where)
    ekh, ekw = dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1
    Hp, Wp = H + 2 * padding[0], W + 2 * padding[1]
    if ekh > Hp or ekw > Wp:
        raise ValueError(f"{where}: kernel size {ekh}x{ekw} (after dilation) is larger than the "
                         f"padded input {Hp}x{Wp} (input {H}x{W}, padding {tuple(padding)})")
    out = (conv_output_size(H, kh, stride[0], padding[0], dilation[0]),
           conv_output_size(W, kw, stride[1], padding[1], dilation[1]))
    return g, out


def conv2d_forward(x, W, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1),
                   keep_cols: bool = True, where: str = "conv2d", ws=None, name: str = "cols"):
    """x (N, C, H, W), W (O, C, kh, kw), b (O,) or None -> (y (N, O, Ho, Wo), cache).

    ``keep_cols=False`` (a frozen layer) keeps only what dx needs, not the
    im2col matrix that dW would need.  ``ws``: the layer's
    :class:`~minigan.ops.im2col.Workspace` for scratch arrays (None: fresh
    arrays; with one, a later forward invalidates this cache); ``name``: the
    workspace buffer the im2col matrix lives in (the stride-1 dx, a convolution
    of dy, names its own so that the forward's ``cols`` survive for dW).
    See docs/math/conv.md.
    """
    g, (Ho, Wo) = conv2d_geometry(x.shape, W.shape, stride, padding, dilation, where)
    N, O = x.shape[0], W.shape[0]
    cols = im2col(x, g, (Ho, Wo), ws, name)        # (N*Ho*Wo, kh*kw*C)
    Wc = weight_cols(W)                            # (O, kh*kw*C), a small copy
    y_rows = cols @ Wc.T                           # the one GEMM: (N*Ho*Wo, O)
    if b is not None:
        y_rows += b                                # fresh array: add in place
    y = y_rows.reshape(N, Ho, Wo, O).transpose(0, 3, 1, 2)
    cache = Conv2dCache(x.shape, W.shape, cols if keep_cols else None, Wc, b is not None, g,
                        (Ho, Wo), ws, W)
    return y, cache


def conv2d_backward(dy, cache, param_grads: bool = True, input_grad: bool = True,
                    dW_out=None, db_out=None):
    """dy (N, O, Ho, Wo) -> (dx (N, C, H, W), dW (O, C, kh, kw), db (O,)).

        dy_rows = dy as (N*Ho*Wo, O)
        dx = col2im(dy_rows Wc)          dW = dy_rows^T cols          db = sum_rows dy_rows

    (dx the same numbers by another route where one applies: the sub-pixel transposed
    convolution at stride 2, im2col of dy with the flipped kernel at stride 1.)

    With ``param_grads=False`` (a frozen layer) dW and db are None and their GEMM
    and reduction are skipped; with ``input_grad=False`` dx is None and its GEMM and
    col2im are skipped (the gradient penalty's weight term needs only dW).
    ``dW_out`` / ``db_out``: arrays to write dW / db into (a parameter's zeroed gradient).
    See docs/math/conv.md.
    """
    x_shape, w_shape, cols, Wc = cache.x_shape, cache.w_shape, cache.cols, cache.Wc
    g, ws = cache.geometry, cache.ws
    O, C = w_shape[0], w_shape[1]
    xp = B.array_module(dy)
    # Free when dy is channel-last memory (the output of a conv); one copy otherwise.
    dy_rows = dy.transpose(0, 2, 3, 1).reshape(-1, O)
    dx = None
    if input_grad and subpixel_applies(g, O, C):
        # dx is the transposed convolution of dy with the same weight (docs/math/conv.md,
        # "dx as a transposed convolution"): its sub-pixel form sums the taps inside
        # GEMMs, with no col2im (its scratch names differ from the forward's cols).
        dx = conv_transpose2d_subpixel(dy, cache.W, g.stride, g.padding, x_shape[2:], ws=ws)
    elif input_grad and _correlation_applies(g, O, C, xp):
        dx = _dx_by_correlation(dy, cache.W, g, ws)
    elif input_grad:
        dcols = scratch(ws, "dcols", (dy_rows.shape[0], Wc.shape[1]), dy.dtype, xp)
        xp.matmul(dy_rows, Wc, out=dcols)
        dx = col2im(dcols, x_shape, g, cache.out_size)
    if not param_grads:
        return dx, None, None
    if cols is None:
        raise RuntimeError("conv2d_backward: parameter gradients requested but the forward pass "
                           "ran with keep_cols=False (frozen)")
    dW = weight_from_cols(dy_rows.T @ cols, w_shape, out=dW_out)
    db = dy_rows.sum(axis=0, out=db_out) if cache.has_bias else None
    return dx, dW, db


def _correlation_applies(g, O: int, C: int, xp) -> bool:
    """Whether dx is computed as a stride-1 correlation (docs/math/conv.md, "Stride 1: dx as
    a correlation"): stride 1, padding at most the dilated kernel's reach, and dy no wider
    than x (O <= C), where its im2col moves fewer numbers than col2im's k_h k_w adds of C
    channels. On CuPy the fused col2im is one gather kernel, so it stays (one launch fewer)."""
    (kh, kw), stride, (ph, pw), (dh, dw) = g
    return (not fused_here(xp) and stride == (1, 1) and O <= C
            and ph <= dh * (kh - 1) and pw <= dw * (kw - 1))


def _dx_by_correlation(dy, W, g, ws):
    """dy (N, O, Ho, Wo) -> dx (N, C, H, W) for a stride-1 conv: dy zero-padded by
    d(k-1) - p, cross-correlated with W flipped in space and with its channel axes swapped,

        dx[n, c, h, w] = sum_{o, i, j} W[o, c, k_h-1-i, k_w-1-j] dypad[n, o, h + i d_h, w + j d_w],

    that is a forward convolution of dy (im2col of dy into the workspace's "dycols" and one
    GEMM: the same numbers as GEMM + col2im, summed in another order). Its output size is
    Ho + d(k-1) - 2p = H. The result is an NCHW view of channel-last memory, as col2im's is."""
    (kh, kw), _, (ph, pw), (dh, dw) = g
    Wf = W[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)        # (C, O, kh, kw), a view
    pad = (dh * (kh - 1) - ph, dw * (kw - 1) - pw)
    dx, _ = conv2d_forward(dy, Wf, None, (1, 1), pad, (dh, dw), keep_cols=False,
                           where="conv2d_backward", ws=ws, name="dycols")
    return dx


def conv2d_double_backward(a, dy, cache: Conv2dCache, param_grads: bool = True):
    """The backward pass g = dx(dy) = A(W)^T dy, differentiated (docs/math/gradient_penalty.md,
    "Conv2d and ConvTranspose2d"), for a = dP/dg (N, C, H, W). Returns (J a, dW):

        J a = dP/d(dy) = A(W) a            the forward map at input a, without bias (N, O, Ho, Wo)
        dW  = d<a, A(W)^T dy>/dW = d<A(W) a, dy>/dW
                                           the weight gradient of the forward map at input a
                                           and upstream dy (O, C, kh, kw)

    g is linear in dy and in W and does not depend on x (nor on b): no second-order term
    in x. The forward at a uses fresh scratch arrays (the layer's workspace still holds
    the forward's, which backward needs). dW is None with ``param_grads=False``.
    """
    g = cache.geometry
    Ja, cache_a = conv2d_forward(a, cache.W, None, g.stride, g.padding, g.dilation,
                                 keep_cols=param_grads, where="conv2d_double_backward", ws=None)
    if not param_grads:
        return Ja, None
    _, dW, _ = conv2d_backward(dy, cache_a, param_grads=True, input_grad=False)
    return Ja, dW
