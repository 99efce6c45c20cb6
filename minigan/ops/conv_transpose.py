"""2-D transposed convolution, built on its duality with conv2d.
Derivation: docs/math/conv_transpose.md.

Shapes: x (N, Cin, H, W), W (Cin, Cout, kh, kw) (PyTorch's layout), b (Cout,),
y (N, Cout, Ho, Wo) with Ho = (H - 1) sh - 2 ph + dh (kh - 1) + oph + 1 (likewise Wo).

Scatter definition: every input pixel spreads W-weighted copies of itself,

    y[n, co, h sh - ph + i dh, w sw - pw + j dw] += sum_ci x[n, ci, h, w] W[ci, co, i, j]

which is exactly the input gradient of a conv2d with the same weight (O = Cin,
C = Cout) whose input has y's size.  So:

    forward   y  = col2im(x_rows Wc)          (conv2d's dx)
              or, when k % s == 0 and dilation is 1, the sub-pixel form
              (minigan/ops/subpixel.py): one GEMM per output parity, no col2im
    backward  dx = im2col(dy) Wc^T            (conv2d's forward, no bias)
              dW = x_rows^T im2col(dy)        db = sum dy
"""
from __future__ import annotations

from typing import NamedTuple

from .. import backend as B
from .conv import weight_cols, weight_from_cols
from .im2col import checked_geometry, col2im, im2col, scratch
from .subpixel import applies as subpixel_applies, conv_transpose2d_subpixel


class ConvTranspose2dCache(NamedTuple):
    x_shape: tuple
    w_shape: tuple
    x_rows: object        # x as (N*H*W, Cin) rows, for dW; None when the layer is frozen
    Wc: object            # W laid out (Cin, kh*kw*Cout)
    has_bias: bool
    geometry: object      # minigan.ops.im2col.Geometry
    out_size: tuple       # (Ho, Wo)
    ws: object            # the layer's Workspace (or None)
    W: object
    output_padding: tuple

    @property
    def dW_operand(self):
        """What dW is computed from (x_rows); None when the forward ran frozen."""
        return self.x_rows


def conv_transpose_output_size(size, kernel, stride, padding, output_padding, dilation):
    """PyTorch's ConvTranspose2d output length: (size-1) s - 2p + d (k-1) + op + 1."""
    return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


def conv_transpose2d_geometry(x_shape, w_shape, stride, padding, output_padding, dilation,
                              where: str = "conv_transpose2d"):
    """Validate sizes and return (Geometry, (Ho, Wo)); ValueError naming ``where`` otherwise."""
    N, C, H, W = x_shape
    Cin, Cout, kh, kw = w_shape
    g = checked_geometry(C, w_shape, 0, stride, padding, dilation, where, output_padding)
    for a in range(2):
        if output_padding[a] >= max(stride[a], dilation[a]):
            raise ValueError(f"{where}: output_padding {tuple(output_padding)} must be smaller "
                             f"than either stride {tuple(stride)} or dilation {tuple(dilation)}")
    out = (conv_transpose_output_size(H, kh, stride[0], padding[0], output_padding[0], dilation[0]),
           conv_transpose_output_size(W, kw, stride[1], padding[1], output_padding[1], dilation[1]))
    if min(out) <= 0:
        raise ValueError(f"{where}: input {H}x{W} gives a non-positive output size "
                         f"{out[0]}x{out[1]} (padding {tuple(padding)} too large)")
    return g, out


def conv_transpose2d_forward(x, W, b=None, stride=(1, 1), padding=(0, 0), output_padding=(0, 0),
                             dilation=(1, 1), keep_input: bool = True,
                             where: str = "conv_transpose2d", ws=None):
    """x (N, Cin, H, W), W (Cin, Cout, kh, kw), b (Cout,) or None -> (y (N, Cout, Ho, Wo), cache).

    ``keep_input=False`` (a frozen layer) does not keep x_rows, which only dW needs.
    ``ws``: the layer's :class:`~minigan.ops.im2col.Workspace` for scratch arrays
    (None: fresh arrays).  See docs/math/conv_transpose.md.
    """
    g, (Ho, Wo) = conv_transpose2d_geometry(x.shape, W.shape, stride, padding, output_padding,
                                            dilation, where)
    N, Cin, H, Wd = x.shape
    Cout = W.shape[1]
    subpixel = subpixel_applies(g, Cin, Cout)
    # Free when x is channel-last memory (the output of a conv); one copy otherwise,
    # made only when a GEMM below (the scatter form's, or dW's) will read it.
    x_rows = (x.transpose(0, 2, 3, 1).reshape(N * H * Wd, Cin)
              if keep_input or not subpixel else None)
    Wc = weight_cols(W)                             # (Cin, kh*kw*Cout)
    xp = B.array_module(x)
    if subpixel:
        # The tap sums happen inside one GEMM: faster than col2im's k^2 strided +=.
        # Read x through x_rows when dW keeps it anyway: the padding copy is then contiguous.
        xs = x if x_rows is None else x_rows.reshape(N, H, Wd, Cin).transpose(0, 3, 1, 2)
        y = conv_transpose2d_subpixel(xs, W, g.stride, g.padding, (Ho, Wo), start=b, ws=ws)
    else:
        cols = scratch(ws, "cols", (N * H * Wd, Wc.shape[1]), x.dtype, xp)
        xp.matmul(x_rows, Wc, out=cols)             # the one GEMM: (N*H*W, kh*kw*Cout)
        # The conv2d whose input gradient this is has input (N, Cout, Ho, Wo), output H x W.
        # The bias is where the accumulation starts: no extra pass over y.
        y = col2im(cols, (N, Cout, Ho, Wo), g, out_size=(H, Wd), start=b)
    cache = ConvTranspose2dCache(x.shape, W.shape, x_rows if keep_input else None, Wc,
                                 b is not None, g, (Ho, Wo), ws, W, tuple(output_padding))
    return y, cache


def conv_transpose2d_backward(dy, cache, param_grads: bool = True, input_grad: bool = True,
                              dW_out=None, db_out=None):
    """dy (N, Cout, Ho, Wo) -> (dx (N, Cin, H, W), dW (Cin, Cout, kh, kw), db (Cout,)).

        cols = im2col(dy) (N*H*W, kh*kw*Cout)
        dx = cols Wc^T       dW = x_rows^T cols       db = sum_{n,h,w} dy

    With ``param_grads=False`` (a frozen layer) dW and db are None and their GEMM
    and reduction are skipped; with ``input_grad=False`` dx is None (its GEMM skipped).
    ``dW_out`` / ``db_out``: arrays to write dW / db into (a parameter's zeroed gradient).
    See docs/math/conv_transpose.md.
    """
    N, Cin, H, Wd = cache.x_shape
    x_rows = cache.x_rows
    cols = im2col(dy, cache.geometry, out_size=(H, Wd), ws=cache.ws, name="dycols")  # a row per input pixel
    dx = (cols @ cache.Wc.T).reshape(N, H, Wd, Cin).transpose(0, 3, 1, 2) if input_grad else None
    if not param_grads:
        return dx, None, None
    if x_rows is None:
        raise RuntimeError("conv_transpose2d_backward: parameter gradients requested but the "
                           "forward pass ran with keep_input=False (frozen)")
    dW = weight_from_cols(x_rows.T @ cols, cache.w_shape, out=dW_out)
    db = dy.sum(axis=(0, 2, 3), out=db_out) if cache.has_bias else None
    return dx, dW, db


def conv_transpose2d_double_backward(a, dy, cache: ConvTranspose2dCache, param_grads: bool = True):
    """The backward pass g = dx(dy) = B(W)^T dy, differentiated (docs/math/gradient_penalty.md,
    "Conv2d and ConvTranspose2d"), for a = dP/dg (N, Cin, H, W). Returns (J a, dW):

        J a = dP/d(dy) = B(W) a        the transposed convolution of a, without bias
        dW  = d<B(W) a, dy>/dW         its weight gradient at input a and upstream dy

    As for conv2d: linear in dy and W, independent of x, so no second-order term in x;
    fresh scratch arrays; dW is None with ``param_grads=False``.
    """
    g = cache.geometry
    Ja, cache_a = conv_transpose2d_forward(
        a, cache.W, None, g.stride, g.padding, cache.output_padding, g.dilation,
        keep_input=param_grads, where="conv_transpose2d_double_backward", ws=None)
    if not param_grads:
        return Ja, None
    _, dW, _ = conv_transpose2d_backward(dy, cache_a, param_grads=True, input_grad=False)
    return Ja, dW
