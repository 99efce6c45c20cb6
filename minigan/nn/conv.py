"""nn.Conv2d and nn.ConvTranspose2d: PyTorch's layers around minigan.ops.conv and
minigan.ops.conv_transpose.  Math: docs/math/conv.md, docs/math/conv_transpose.md.

Inputs are NCHW.  Outputs are NCHW views of channel-last (NHWC) memory - what the
single GEMM produces - so no transpose copy is spent; a following conv reads
that memory without copying it again.
"""
from __future__ import annotations

import numpy

from .. import backend as B
from ..checks import fits_in_memory, float_dtype, positive_int
from ..ops.conv import conv2d_backward, conv2d_double_backward, conv2d_forward
from ..ops.conv_transpose import (conv_transpose2d_backward, conv_transpose2d_double_backward,
                                  conv_transpose2d_forward)
from ..ops.im2col import pair
from ..ops.workspace import Workspace
from . import init
from .examples import Example
from .module import Module, Parameter


def _sizes(layer, label, v, minimum):
    t = pair(v, label, layer)
    if min(t) < minimum:
        kind = "positive" if minimum == 1 else "non-negative"
        raise ValueError(f"{layer}: {label} must be {kind}, got {v!r}")
    return t


class _ConvNd(Module):
    """What Conv2d and ConvTranspose2d share: arguments, parameters, checks, backward.
    Each names its ops (``op_backward``, ``op_double_backward``)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation,
                 bias, weight_shape, dtype, rng):
        super().__init__()
        name = type(self).__name__
        self.in_channels = positive_int(name, "in_channels", in_channels)
        self.out_channels = positive_int(name, "out_channels", out_channels)
        self.kernel_size = _sizes(name, "kernel_size", kernel_size, 1)
        self.stride = _sizes(name, "stride", stride, 1)
        self.padding = _sizes(name, "padding", padding, 0)
        self.dilation = _sizes(name, "dilation", dilation, 1)
        dtype = float_dtype(name, dtype)
        fits_in_memory(name, [weight_shape(self) + self.kernel_size, (self.out_channels,)], dtype)
        xp = B.current().xp
        self.weight = Parameter(xp.zeros(weight_shape(self) + self.kernel_size, dtype=dtype))
        self.bias = Parameter(xp.zeros((self.out_channels,), dtype=dtype)) if bias else None
        # PyTorch's reset_parameters: fan_in from the weight's dims 1, 2, 3 (for the
        # transposed layer's (in, out, kh, kw) that is out*kh*kw, as in PyTorch).
        init.pytorch_default_(self.weight, self.bias, rng)
        # Scratch arrays kept between steps (see minigan.ops.im2col.Workspace): the
        # price is holding them in memory, the gain is no page faults per step.
        self._ws = Workspace()

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if getattr(self, "output_padding", (0, 0)) != (0, 0):
            s += f", output_padding={self.output_padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.bias is None:
            s += ", bias=False"
        return s

    def _checked(self, x):
        self._check_input(x, ndim=4, dim=1, size=self.in_channels,
                          what=f"(N, {self.in_channels}, H, W)")
        return self.bias.data if self.bias is not None else None

    def _backward(self, dy, cache, need_dx):
        want_w = self._wants_grad(self.weight)
        if want_w and cache.dW_operand is None:
            raise RuntimeError(f"{self._label()}: the forward pass ran frozen (it kept no input "
                               f"for the weight gradient) but backward is not frozen; run forward "
                               f"again after unfreezing")
        dx, dW, db = type(self).op_backward(
            dy, cache, param_grads=want_w, input_grad=need_dx,
            dW_out=self._grad_out(self.weight) if want_w else None,
            db_out=self._grad_out(self.bias) if want_w else None)
        self._accumulate(self.weight, dW)
        if db is None and self._wants_grad(self.bias):
            # Only the bias trains (weight.requires_grad False): its reduction, no dW GEMM.
            db = dy.sum(axis=(0, 2, 3))
        self._accumulate(self.bias, db)
        return dx

    def _double_backward(self, a, dy, cache):
        Ja, dW = type(self).op_double_backward(a, dy, cache,
                                               param_grads=self._wants_grad(self.weight))
        self._accumulate(self.weight, dW)
        return Ja, None


class Conv2d(_ConvNd):
    """2-D convolution. x (N, in, H, W) -> y (N, out, Ho, Wo); weight (out, in, kh, kw).

    Ho = floor((H + 2 padding - dilation (kh - 1) - 1) / stride) + 1, as in PyTorch.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, bias: bool = True, dtype=numpy.float32, rng=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, bias,
                         lambda s: (s.out_channels, s.in_channels), dtype, rng)

    op_backward = staticmethod(conv2d_backward)
    op_double_backward = staticmethod(conv2d_double_backward)

    def _forward(self, x):
        b = self._checked(x)
        # A frozen layer needs no im2col matrix in backward (only dW uses it): don't keep it.
        return conv2d_forward(x, self.weight.data, b, self.stride, self.padding, self.dilation,
                              keep_cols=self._wants_grad(self.weight), where=self._label(),
                              ws=self._ws)

    @classmethod
    def examples(cls) -> list:
        return [Example("Conv2d(2, 3, 3, s=2, p=1)", lambda: cls(2, 3, 3, stride=2, padding=1),
                        lambda n: (n, 2, 5, 5)),
                Example("Conv2d(2, 2, 3, dil=2)", lambda: cls(2, 2, 3, dilation=2),
                        lambda n: (n, 2, 6, 6)),
                Example("Conv2d(3, 2, (2, 3), s=(1, 2), bias=False)",
                        lambda: cls(3, 2, (2, 3), stride=(1, 2), bias=False),
                        lambda n: (n, 3, 4, 5))]


class ConvTranspose2d(_ConvNd):
    """2-D transposed convolution (the adjoint of Conv2d). x (N, in, H, W) -> y (N, out, Ho, Wo);
    weight (in, out, kh, kw).

    Ho = (H - 1) stride - 2 padding + dilation (kh - 1) + output_padding + 1, as in PyTorch;
    output_padding must be smaller than stride or dilation.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, dilation=1, bias: bool = True, dtype=numpy.float32, rng=None):
        name = type(self).__name__
        op = _sizes(name, "output_padding", output_padding, 0)
        st, dl = pair(stride, "stride", name), pair(dilation, "dilation", name)
        for a in range(2):
            if op[a] >= max(st[a], dl[a]):
                raise ValueError(f"{name}: output_padding {op} must be smaller than either "
                                 f"stride {st} or dilation {dl}")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, bias,
                         lambda s: (s.in_channels, s.out_channels), dtype, rng)
        self.output_padding = op

    op_backward = staticmethod(conv_transpose2d_backward)
    op_double_backward = staticmethod(conv_transpose2d_double_backward)

    def _forward(self, x):
        b = self._checked(x)
        return conv_transpose2d_forward(
            x, self.weight.data, b, self.stride, self.padding, self.output_padding,
            self.dilation, keep_input=self._wants_grad(self.weight), where=self._label(),
            ws=self._ws)

    @classmethod
    def examples(cls) -> list:
        return [Example("ConvTranspose2d(3, 2, 4, s=2, p=1)",
                        lambda: cls(3, 2, 4, stride=2, padding=1), lambda n: (n, 3, 3, 3)),
                Example("ConvTranspose2d(2, 2, 3, s=2, op=1)",
                        lambda: cls(2, 2, 3, stride=2, output_padding=1), lambda n: (n, 2, 3, 3)),
                Example("ConvTranspose2d(2, 3, 3, dil=2, bias=False)",
                        lambda: cls(2, 3, 3, dilation=2, bias=False), lambda n: (n, 2, 3, 2))]


__all__ = ["Conv2d", "ConvTranspose2d"]
