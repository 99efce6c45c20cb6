"""nn.Conv2d and nn.ConvTranspose2d: PyTorch's layers around minigan.ops.conv and
minigan.ops.conv_transpose.  Math: docs/math/conv.md, docs/math/conv_transpose.md.

Inputs are NCHW.  Outputs are NCHW views of channel-last (NHWC) memory - what the
single GEMM produces - so no transpose copy is spent; a following conv reads
that memory without copying it again.
"""
from __future__ import annotations

import numpy

from .. import backend as B
from ..ops.conv import conv2d_backward, conv2d_forward
from ..ops.conv_transpose import conv_transpose2d_backward, conv_transpose2d_forward
from ..ops.im2col import Workspace, pair
from . import init
from .checks import fits_in_memory, float_dtype, positive_int
from .module import Module, Parameter


def _sizes(layer, label, v, minimum):
    t = pair(v, label, layer)
    if min(t) < minimum:
        kind = "positive" if minimum == 1 else "non-negative"
        raise ValueError(f"{layer}: {label} must be {kind}, got {v!r}")
    return t


class _ConvNd(Module):
    """What Conv2d and ConvTranspose2d share: arguments, parameters, checks, backward."""

    skips_dx = True         # backward(dy, need_dx=False) skips the input gradient

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
        self._cache = None
        self._out_shape = None
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

    def _trains_params(self) -> bool:
        """Whether backward computes dW (and so whether forward must keep its input)."""
        return self._wants_grad(self.weight)

    def _checked(self, x):
        self._check_input(x, ndim=4, dim=1, size=self.in_channels,
                          what=f"(N, {self.in_channels}, H, W)")
        return self.bias.data if self.bias is not None else None

    def _grad_input_with(self, op_backward, dy):
        cache = self._require_cache(self._cache)
        p = self.weight.data
        self._check_dy(dy, self._out_shape, p.dtype, B.backend_of(p))
        self._gi_dy = dy
        dx, _, _ = op_backward(dy, cache, param_grads=False)
        return dx

    def _double_backward_with(self, op_forward, op_backward, a, **geometry):
        """The backward dx = A(W)^T dy is linear in dy and W: its tangent is the forward
        map without bias, J a = A(W) a, and its weight term d<a, A^T dy>/dW = d<A a, dy>/dW is
        the weight gradient of the forward map at input a and upstream dy (fresh scratch
        arrays: the workspace still holds the forward's, which backward needs)."""
        self._require_cache(self._cache)
        want_w = self._wants_grad(self.weight)
        Ja, cache_a = op_forward(a, self.weight.data, None, **geometry, where=self._label(),
                                 ws=None, **{self._keep_flag: want_w})
        if want_w:
            _, dW, _ = op_backward(self._stored_dy(), cache_a, param_grads=True, input_grad=False)
            self.weight.grad += dW
        return Ja, None

    def _backward_with(self, op_backward, dy, need_dx=True):
        cache = self._take_cache(dy, self._out_shape)
        want_w, want_b = self._trains_params(), self._wants_grad(self.bias)
        if want_w and cache[2] is None:
            raise RuntimeError(f"{self._label()}: the forward pass ran frozen (it kept no input "
                               f"for the weight gradient) but backward is not frozen; run forward "
                               f"again after unfreezing")
        dx, dW, db = op_backward(dy, cache, param_grads=want_w, input_grad=need_dx)
        if want_w:
            self.weight.grad += dW
        if want_b:
            # Only the bias trains (weight.requires_grad False): its reduction, no dW GEMM.
            self.bias.grad += db if db is not None else dy.sum(axis=(0, 2, 3))
        return dx


class Conv2d(_ConvNd):
    """2-D convolution. x (N, in, H, W) -> y (N, out, Ho, Wo); weight (out, in, kh, kw).

    Ho = floor((H + 2 padding - dilation (kh - 1) - 1) / stride) + 1, as in PyTorch.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, bias: bool = True, dtype=numpy.float32, rng=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, bias,
                         lambda s: (s.out_channels, s.in_channels), dtype, rng)

    def forward(self, x):
        b = self._checked(x)
        # A frozen layer needs no im2col matrix in backward (only dW uses it): don't keep it.
        y, self._cache = conv2d_forward(x, self.weight.data, b, self.stride, self.padding,
                                        self.dilation, keep_cols=self._trains_params(),
                                        where=self._label(), ws=self._ws)
        self._out_shape = tuple(y.shape)
        return y

    def backward(self, dy, need_dx: bool = True):
        """dL/dx (None with ``need_dx=False``: the first layer of a D whose input is data,
        which saves the input-gradient GEMM and col2im) and parameter gradients."""
        return self._backward_with(conv2d_backward, dy, need_dx)

    _keep_flag = "keep_cols"

    def grad_input(self, dy):
        return self._grad_input_with(conv2d_backward, dy)

    def double_backward(self, a):
        return self._double_backward_with(conv2d_forward, conv2d_backward, a, stride=self.stride,
                                          padding=self.padding, dilation=self.dilation)


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

    def forward(self, x):
        b = self._checked(x)
        y, self._cache = conv_transpose2d_forward(
            x, self.weight.data, b, self.stride, self.padding, self.output_padding,
            self.dilation, keep_input=self._trains_params(), where=self._label(), ws=self._ws)
        self._out_shape = tuple(y.shape)
        return y

    def backward(self, dy, need_dx: bool = True):
        return self._backward_with(conv_transpose2d_backward, dy, need_dx)

    _keep_flag = "keep_input"

    def grad_input(self, dy):
        return self._grad_input_with(conv_transpose2d_backward, dy)

    def double_backward(self, a):
        return self._double_backward_with(
            conv_transpose2d_forward, conv_transpose2d_backward, a, stride=self.stride,
            padding=self.padding, output_padding=self.output_padding, dilation=self.dilation)
