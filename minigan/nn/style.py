"""StyleGAN's two layers (Karras et al. 2019): AdaIN and per-pixel noise injection.
Math: docs/math/adain.md, docs/math/noise_injection.md.

    AdaIN(x, w)      = s(w) * instance_norm(x) + b(w),   (s, b) = style(w) split in halves
    NoiseInjection(x) = x + strength[c] * noise,          noise (N, 1, H, W) ~ N(0, 1)
    PixelNorm(z)      = z / sqrt(mean(z^2) + eps)          (the mapping network's input)

AdaIN takes two inputs, so it is called ``adain(x, w)`` and its backward returns both
gradients, ``dx, dw = adain.backward(dy)``; the rest of the protocol (the cache, the
checks of dy) is Module's. The instance norm is minigan.ops.instancenorm's.
"""
from __future__ import annotations

import numpy

from .. import backend as B
from ..checks import positive_int, real
from ..ops.instancenorm import instance_norm_backward, instance_norm_forward
from .equalized import EqualizedLR
from .examples import Example
from .linear import Linear
from .module import Module, Parameter

NOISE_MODES = ("random", "fixed", "off")


class NoiseInjection(Module):
    """x (N, C, H, W) -> x + weight[c] * noise with fresh noise (N, 1, H, W) at every forward.

    One noise image per sample, shared by the channels and scaled per channel by the
    learned ``weight`` (StyleGAN's B, initialised to 0). ``mode``: "random" (a fresh draw
    from ``rng`` each forward, for training), "fixed" (one noise image, drawn once per
    image size and shared by every sample: a picture grid whose cells differ only in
    their styles, and the gradient checks) or "off" (no noise: the noise on/off demo).
    """

    def __init__(self, channels: int, rng=None, mode: str = "random", dtype=numpy.float32):
        super().__init__()
        self.channels = positive_int("NoiseInjection", "channels", channels)
        xp = B.current().xp
        self.weight = Parameter(xp.zeros((self.channels,), dtype=dtype))
        self.rng = rng
        self.mode = mode
        self._fixed = {}

    @property
    def mode(self) -> str:
        return self._mode

    @mode.setter
    def mode(self, value: str) -> None:
        if value not in NOISE_MODES:
            raise ValueError(f"NoiseInjection: mode must be one of {', '.join(NOISE_MODES)}, "
                             f"got {value!r}")
        self._mode = value
        self._fixed = {}

    def extra_repr(self) -> str:
        return f"{self.channels}, mode={self.mode!r}"

    def _noise(self, x):
        shape = (x.shape[0], 1) + tuple(x.shape[2:])
        rng = self.rng if self.rng is not None else B.default_rng()
        if self.mode == "random":
            return rng.standard_normal(shape, dtype=x.dtype)
        key = (shape[2:], x.dtype.str, B.backend_of(x))
        if key not in self._fixed:
            self._fixed[key] = rng.standard_normal((1,) + shape[1:], dtype=x.dtype)
        return self._fixed[key]       # (1, 1, H, W): broadcast over the batch

    def _forward(self, x):
        self._check_input(x, ndim=4, dim=1, size=self.channels, what=f"(N, {self.channels}, H, W)")
        if self.mode == "off":
            return x + 0, False      # a new array, as from every other mode; False: no noise
        noise = self._noise(x)
        return x + self.weight.data.reshape(1, -1, 1, 1) * noise, noise

    def _backward(self, dy, noise, need_dx):
        if noise is not False and self._trains():
            # sum over the batch and the pixels (a shared noise image broadcasts)
            self._accumulate(self.weight, (dy * noise).sum(axis=(0, 2, 3)))
        return dy                    # d(x + B noise)/dx = I

    def _double_backward(self, a, dy, noise):
        return a, None               # g = dy: no parameter and no second-order term

    @classmethod
    def examples(cls) -> list:
        return [Example("NoiseInjection(3) fixed noise",
                        lambda: _with_strength(cls(3, rng=B.RNG(5), mode="fixed")),
                        lambda n: (n, 3, 2, 3)),
                Example("NoiseInjection(2) off", lambda: cls(2, mode="off"), lambda n: (n, 2, 3, 2))]


def _with_strength(layer):
    """An example whose strength is not 0 (the trained case): the checks see the noise."""
    layer.weight.data[...] = B.array_module(layer.weight.data).asarray([0.5, -1.0, 2.0][:layer.channels],
                                                                       dtype=layer.weight.data.dtype)
    return layer


class PixelNorm(Module):
    """z (N, D) -> z / sqrt(mean_j z_j^2 + eps): each latent code scaled to unit RMS (the
    first step of StyleGAN's mapping network). With r = (mean_j z_j^2 + eps)^(-1/2) and
    y = r z, the backward is dz = r (dy - y mean_j(dy_j y_j)) (docs/math/adain.md)."""

    def __init__(self, eps: float = 1e-8):
        super().__init__()
        self.eps = real("PixelNorm", "eps", eps, positive=True)

    def _forward(self, x):
        self._check_input(x, ndim=2, what="(N, D)")
        r = 1.0 / B.array_module(x).sqrt((x * x).mean(axis=1, keepdims=True) + self.eps)
        y = x * r
        return y, (y, r)

    def _backward(self, dy, cache, need_dx):
        if not need_dx:
            return None
        y, r = cache
        return r * (dy - y * (dy * y).mean(axis=1, keepdims=True))

    @classmethod
    def examples(cls) -> list:
        return [Example("PixelNorm", cls, lambda n: (n, 5))]


class AdaIN(Module):
    """Adaptive instance normalisation: x (N, C, H, W), w (N, w_dim) -> y (N, C, H, W).

    ``style`` is the learned affine map A of the paper, a Linear(w_dim, 2C) (with the
    equalised learning rate by default, as StyleGAN): its first C outputs scale each
    channel of the normalised x, its last C shift it. Its bias starts at (1, 0): at w = 0
    a fresh AdaIN is a plain instance norm, and around it the styles scale by 1 + A w.
    """

    def __init__(self, num_features: int, w_dim: int, eps: float = 1e-5, equalized: bool = True):
        super().__init__()
        self.num_features = positive_int("AdaIN", "num_features", num_features)
        self.w_dim = positive_int("AdaIN", "w_dim", w_dim)
        self.eps = real("AdaIN", "eps", eps, positive=True)
        C = self.num_features
        lin = Linear(self.w_dim, 2 * C)
        self.style = EqualizedLR(lin, gain=1.0) if equalized else lin
        self.style.bias.data[:C] = 1.0
        self.style.bias.data[C:] = 0.0

    def extra_repr(self) -> str:
        return f"{self.num_features}, w_dim={self.w_dim}"

    def __call__(self, x, w):
        return self.forward(x, w)

    def forward(self, x, w):
        """y = s(w) xhat + b(w); keeps what backward needs."""
        return super().forward((x, w))

    def _forward(self, xw):
        x, w = xw
        C = self.num_features
        self._check_input(x, ndim=4, dim=1, size=C, what=f"(N, {C}, H, W)")
        if getattr(w, "ndim", None) != 2 or w.shape[0] != x.shape[0]:
            raise ValueError(f"{self._label()}: expected the style w of shape ({x.shape[0]}, "
                             f"{self.w_dim}) for x of shape {tuple(x.shape)}, got "
                             f"{tuple(getattr(w, 'shape', ()))}")
        if getattr(w, "dtype", None) != x.dtype:
            raise TypeError(f"{self._label()}: the style w has dtype {getattr(w, 'dtype', None)} "
                            f"but x has dtype {x.dtype}; give both the same dtype")
        if x.shape[2] * x.shape[3] <= 1:
            raise ValueError(f"{self._label()}: expected more than 1 pixel per channel to "
                             f"normalise, got input of shape {tuple(x.shape)}")
        xhat, norm = instance_norm_forward(x, self.eps)
        st = self.style.forward(w)                      # (N, 2C)
        s = st[:, :C].reshape(-1, C, 1, 1)
        b = st[:, C:].reshape(-1, C, 1, 1)
        y = xhat * s
        y += b
        return y, (xhat, s, norm)

    def _backward(self, dy, cache, need_dx):
        xhat, s, norm = cache
        xp = B.array_module(dy)
        ds = (dy * xhat).sum(axis=(2, 3))               # (N, C)
        db = dy.sum(axis=(2, 3))
        dw = self.style.backward(xp.concatenate([ds, db], axis=1))
        dx = instance_norm_backward(dy * s, norm) if need_dx else None
        return dx, dw

    def backward(self, dy, need_dx: bool = True):
        """(dx, dw) for dy = dL/dy, adding the style map's parameter gradients; with
        ``need_dx=False`` dx is None (dw is still computed: it feeds the mapping network)."""
        cache = self._cache_for(dy, "backward")
        self.__dict__["_cache"] = None
        return self._backward(dy, cache, need_dx)

    @classmethod
    def examples(cls) -> list:
        return [Example("AdaIN(3, w_dim=4) with a fixed style",
                        lambda: WithStyle(cls(3, 4), seed=3), lambda n: (n, 3, 3, 2)),
                Example("AdaIN(2, w_dim=3, equalized=False) with a fixed style",
                        lambda: WithStyle(cls(2, 3, equalized=False), seed=4),
                        lambda n: (n, 2, 2, 3))]


class WithStyle(Module):
    """An AdaIN with its style input held fixed: x -> adain(x, w) with w ~ N(0, 1) drawn once
    per batch size (seeded), so that the checks written for one-input layers (the gradient
    checks, the bad-input properties) run it. The gradient of w itself is checked in the
    AdaIN tests."""

    def __init__(self, adain: AdaIN, seed: int = 0):
        super().__init__()
        self.adain = adain
        self.seed = seed
        self._styles = {}

    def _style(self, x):
        key = (x.shape[0], x.dtype.str, B.backend_of(x))
        if key not in self._styles:
            w = numpy.random.default_rng(self.seed).standard_normal((x.shape[0], self.adain.w_dim))
            self._styles[key] = B.array_module(x).asarray(w.astype(x.dtype))
        return self._styles[key]

    def _forward(self, x):
        self._check_input(x)
        return self.adain.forward(x, self._style(x)), True

    def _backward(self, dy, cache, need_dx):
        return self.adain.backward(dy)[0]


__all__ = ["AdaIN", "NoiseInjection", "PixelNorm"]
