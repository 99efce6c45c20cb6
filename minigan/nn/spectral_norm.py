"""nn.SpectralNorm: a Linear, Conv2d or ConvTranspose2d whose weight is divided by its
largest singular value (Miyato et al., 2018).  Math: docs/math/spectral_norm.md.

    W_mat = W reshaped to (h, w)           (rows: out for Linear/Conv2d, dim 1 of ConvTranspose2d)
    training:  v <- normalize(W_mat^T u),  u <- normalize(W_mat v)    (power iteration, persistent u)
    sigma = u^T W_mat v,   W_sn = W / sigma,   y = layer(x; W_sn)
    backward (u, v held constant, as in PyTorch):
        dL/dW = (G - <G, W_sn> u v^T) / sigma,   G = dL/dW_sn (the layer's own weight gradient)

Parameters and buffers are named as PyTorch's ``torch.nn.utils.spectral_norm`` names
them (``weight_orig``, ``bias``, ``weight_u``, ``weight_v``), so state dicts carry over.
In evaluation mode u and v stay fixed. The second-order pass of the gradient
penalty goes through the wrapped layer's and converts its weight terms the same way.
"""
from __future__ import annotations

from typing import NamedTuple

from .. import backend as B
from ..checks import as_value_error, positive_int, real
from .conv import Conv2d, ConvTranspose2d
from .examples import Example
from .linear import Linear
from .module import Module, Parameter
from .reparam import Reparametrized


def _normalize(v, eps):
    xp = B.array_module(v)
    n = xp.sqrt((v * v).sum())
    return v / xp.maximum(n, eps)


class SpectralNormCache(NamedTuple):
    sigma: object         # u^T W v at this forward pass (0-d)
    u: object             # the power iteration's vectors as they were used
    v: object


class SpectralNorm(Reparametrized):
    """Spectral normalisation of ``layer``'s weight; ``layer`` is used for the computation
    (its weight is replaced by W / sigma at every forward pass). A wrapper: it runs the
    layer's own passes and converts the weight gradients they leave."""

    def __init__(self, layer: Module, n_power_iterations: int = 1, eps: float = 1e-12, rng=None):
        super().__init__(layer, (Linear, Conv2d, ConvTranspose2d))
        with as_value_error():
            n_power_iterations = positive_int("SpectralNorm", "n_power_iterations",
                                              n_power_iterations)
            eps = real("SpectralNorm", "eps", eps, positive=True, hi=1.0, hi_open=True)
        self.n_power_iterations, self.eps = n_power_iterations, eps
        self.dim = 1 if isinstance(layer, ConvTranspose2d) else 0
        W = layer.weight.data
        self.bias = layer.bias                          # shared with the layer
        self.weight_orig = Parameter(W.copy())
        h = W.shape[self.dim]
        w = W.size // h
        rng = rng or B.default_rng()
        self.register_buffer("weight_u", _normalize(rng.standard_normal((h,), dtype=W.dtype), eps))
        self.register_buffer("weight_v", _normalize(rng.standard_normal((w,), dtype=W.dtype), eps))
        self._sigma = None

    def _matrix(self, W):
        """W as the (h, w) matrix whose spectral norm is taken."""
        if self.dim == 0:
            return W.reshape(W.shape[0], -1)
        return W.swapaxes(0, 1).reshape(W.shape[1], -1)

    def _sync_layer(self):
        super()._sync_layer()
        self._layer.weight.requires_grad = self.weight_orig.requires_grad

    def _derive(self):
        W = self.weight_orig.data
        Wm = self._matrix(W)
        u, v = self.weight_u, self.weight_v
        if self.training:
            for _ in range(self.n_power_iterations):
                v[...] = _normalize(Wm.T @ u, self.eps)
                u[...] = _normalize(Wm @ v, self.eps)
        sigma = u @ (Wm @ v)
        self._sigma = sigma
        self._layer.weight.data = W / sigma
        return SpectralNormCache(sigma, u.copy(), v.copy())

    def _convert(self, cache):
        """Move the wrapped layer's dL/dW_sn into weight_orig.grad as dL/dW."""
        L = self._layer
        if not self._wants_grad(self.weight_orig):
            L.weight.grad[...] = 0
            return
        G = L.weight.grad
        W_sn = L.weight.data
        inner = (G * W_sn).sum()
        outer = cache.u[:, None] * cache.v[None, :] * inner    # (h, w): <G, W_sn> u v^T
        if self.dim == 0:
            outer = outer.reshape(W_sn.shape)
        else:
            shape = (W_sn.shape[1], W_sn.shape[0]) + W_sn.shape[2:]
            outer = outer.reshape(shape).swapaxes(0, 1)
        self.weight_orig.grad += (G - outer) / cache.sigma
        G[...] = 0

    @property
    def sigma(self):
        """The spectral norm estimated at the last forward pass (a 0-d array)."""
        return self._sigma

    @classmethod
    def examples(cls) -> list:
        # evaluation mode: u and v stay fixed, so the checked function does not move
        return [Example("SpectralNorm(Linear(3, 2))", lambda: cls(Linear(3, 2)).eval(),
                        lambda n: (n, 3)),
                Example("SpectralNorm(Conv2d(2, 3, 3, p=1))",
                        lambda: cls(Conv2d(2, 3, 3, padding=1)).eval(), lambda n: (n, 2, 3, 3)),
                Example("SpectralNorm(ConvTranspose2d(2, 2, 4, s=2, p=1))",
                        lambda: cls(ConvTranspose2d(2, 2, 4, 2, 1)).eval(), lambda n: (n, 2, 2, 2))]


__all__ = ["SpectralNorm"]
