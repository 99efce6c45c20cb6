"""StyleGAN-lite for 28x28 images (Karras et al. 2019, scaled down). Math: docs/math/stylegan.md.

    z (N, latent) --mapping--> w (N, w_dim)                  PixelNorm, 4 x [EqualizedLR Linear
                                                             (lr_mul 0.01), LeakyReLU(0.2)]
    const (1, C0, 7, 7) --> 7x7 --> 14x14 --> 28x28 --> to_rgb --> image (N, 1, 28, 28)

Each synthesis layer is [upsample] [conv 3x3] -> noise -> LeakyReLU(0.2) -> AdaIN(w_i), two
layers per resolution, so six styles w_0..w_5: 7x7 (coarse), 14x14 (middle), 28x28 (fine).
With style mixing (probability ``mixing``, 0.9 as in the paper), a training batch draws a
second latent z' per sample and a crossover layer k: layers < k take w = f(z), the others
w' = f(z'), so that no layer can rely on its neighbours sharing one style.

The truncation trick (sampling only): w <- w_avg + psi (w - w_avg), where w_avg is the
running mean of w over training (a buffer, decay 0.995 as in the paper).

The discriminator is DCGAN's without batch norm (minigan.gan.models.dcgan28_discriminator
with batchnorm=False), trained with the R1 penalty (docs/math/r1.md): at 28x28 it trained
better than StyleGAN's own equalised-lr design (docs/results.md).

The backward runs the synthesis in reverse, collects each AdaIN's dw_i, sums them into
dw and dw' by the mixing mask, and sends both through the mapping network. The whole
generator is one Module, so GANTrainer trains it as it trains any G.
"""
from __future__ import annotations

import numpy

from .. import backend as B
from .. import nn
from ..checks import positive_int, real

LAYERS_PER_RESOLUTION = 2
RESOLUTIONS = (7, 14, 28)
N_STYLES = LAYERS_PER_RESOLUTION * len(RESOLUTIONS)
W_AVG_DECAY = 0.995


def _conv(cin, cout, k, gain=2 ** 0.5):
    return nn.EqualizedLR(nn.Conv2d(cin, cout, k, padding=k // 2), gain=gain)


class StyleGenerator(nn.Module):
    """z (N, latent_dim) -> images (N, channels, 28, 28) in [-1, 1] (a Tanh at the end).

    ``widths``: channels at 7, 14 and 28 pixels. ``rng``: the source of the noise images and
    of the mixing draws (register it in a trainer's ``state`` so a resumed run continues it).
    Attributes read at sampling time: ``truncation`` (psi, 1 = off) and, on every
    NoiseInjection, ``mode`` (set_noise)."""

    def __init__(self, latent_dim: int = 64, w_dim: int | None = None, channels: int = 1,
                 widths=(128, 64, 32), mapping_layers: int = 4, mixing: float = 0.9, rng=None):
        super().__init__()
        self.latent_dim = positive_int("StyleGenerator", "latent_dim", latent_dim)
        self.w_dim = positive_int("StyleGenerator", "w_dim", w_dim or latent_dim)
        positive_int("StyleGenerator", "channels", channels)
        positive_int("StyleGenerator", "mapping_layers", mapping_layers)
        self.mixing = real("StyleGenerator", "mixing", mixing, lo=0.0, hi=1.0)
        if len(widths) != len(RESOLUTIONS):
            raise ValueError(f"StyleGenerator: widths must give {len(RESOLUTIONS)} channel counts "
                             f"(at {RESOLUTIONS} pixels), got {widths!r}")
        for w in widths:
            positive_int("StyleGenerator", "widths", w)
        self.widths = tuple(widths)
        self.truncation = 1.0
        maps = [nn.PixelNorm()]
        d = self.latent_dim
        for _ in range(mapping_layers):
            maps += [nn.EqualizedLR(nn.Linear(d, self.w_dim), lr_mul=0.01), nn.LeakyReLU(0.2)]
            d = self.w_dim
        self.mapping = nn.Sequential(*maps)
        xp = B.current().xp
        self.const = nn.Parameter(xp.ones((1, widths[0], RESOLUTIONS[0], RESOLUTIONS[0]),
                                          dtype=numpy.float32))
        self.register_buffer("w_avg", xp.zeros((self.w_dim,), dtype=numpy.float32))
        pres, adains = [], []
        cin = widths[0]
        for r, c in enumerate(widths):
            for j in range(LAYERS_PER_RESOLUTION):
                head = []
                if r == 0 and j == 0:
                    pass                             # the constant input: no conv before it
                else:
                    if j == 0:
                        head.append(nn.Upsample(scale_factor=2, mode="nearest"))
                    head.append(_conv(cin, c, 3))
                head += [nn.NoiseInjection(c), nn.LeakyReLU(0.2)]
                pres.append(nn.Sequential(*head))
                adains.append(nn.AdaIN(c, self.w_dim))
                cin = c
        self.pre = nn.Sequential(*pres)              # a container only: run layer by layer
        self.adain = nn.Sequential(*adains)
        self.to_rgb = nn.Sequential(_conv(cin, channels, 1, gain=1.0), nn.Tanh())
        self.set_rng(rng if rng is not None else B.default_rng())

    # ------------------------------------------------------------ settings
    def set_rng(self, rng) -> None:
        """The generator that draws the noise images and the mixing choices."""
        self.rng = rng
        for m in self.modules():
            if isinstance(m, nn.NoiseInjection):
                m.rng = rng

    def set_noise(self, mode: str) -> None:
        """"random" (training), "fixed" (one noise image per shape) or "off" on every layer."""
        for m in self.modules():
            if isinstance(m, nn.NoiseInjection):
                m.mode = mode

    def extra_repr(self) -> str:
        return f"latent_dim={self.latent_dim}, w_dim={self.w_dim}, widths={self.widths}"

    # ------------------------------------------------------------ the two networks
    def styles(self, z, z2=None, crossover=None):
        """The per-layer styles [w_0, ..., w_5] for latents z (N, latent_dim): f(z) everywhere,
        or, with a second batch z2 and ``crossover`` (N,) integer layer indices, f(z) before
        the crossover and f(z2) from it on. Returns (ws, cache for backward)."""
        n = z.shape[0]
        xp = B.array_module(z)
        if z2 is None:
            w = self.mapping.forward(z)
            w1, w2, mask = w, None, None
        else:
            w = self.mapping.forward(xp.concatenate([z, z2], axis=0))
            w1, w2 = w[:n], w[n:]
            # mask[i, k]: layer i takes w1 for sample k (i < crossover_k)
            mask = (xp.arange(N_STYLES)[:, None] < crossover[None, :]).astype(w.dtype)
        w_mean = w1.mean(axis=0)
        if self.truncation != 1.0:
            # with the running mean as it was: a constant, so dw = psi dw' exactly
            psi = self.truncation
            w1 = self.w_avg + psi * (w1 - self.w_avg)
            w2 = None if w2 is None else self.w_avg + psi * (w2 - self.w_avg)
        if self.training and not self.frozen:
            # the running mean of w, for the truncation trick (in place, on the device; a
            # local name, since assigning the attribute would re-register it)
            w_avg = self.w_avg
            w_avg *= W_AVG_DECAY
            w_avg += (1 - W_AVG_DECAY) * w_mean
        if mask is None:
            ws = [w1] * N_STYLES
        else:
            diff = w1 - w2
            ws = [w2 + mask[i][:, None] * diff for i in range(N_STYLES)]
        return ws, (n, mask)

    def synthesis(self, ws):
        """Images from the per-layer styles ``ws`` (a list of N_STYLES arrays (N, w_dim))."""
        n = ws[0].shape[0]
        xp = B.array_module(ws[0])
        x = xp.broadcast_to(self.const.data, (n,) + tuple(self.const.data.shape[1:]))
        x = xp.ascontiguousarray(x)
        for pre, adain, w in zip(self.pre, self.adain, ws):
            x = adain.forward(pre.forward(x), w)
        return self.to_rgb.forward(x)

    def synthesis_backward(self, dimg):
        """(d const-input, [dw_0, ..., dw_5]) from dL/d image; adds every synthesis gradient."""
        d = self.to_rgb.backward(dimg)
        dws = [None] * N_STYLES
        for i in reversed(range(N_STYLES)):
            d, dws[i] = self.adain[i].backward(d)
            d = self.pre[i].backward(d)
        return d, dws

    # ------------------------------------------------------------ Module protocol
    def _mixing_draw(self, n):
        """(z2, crossover) for a training batch, or (None, None) without mixing."""
        if not (self.training and self.mixing > 0):
            return None, None
        xp = self.rng.backend.xp
        z2 = self.rng.standard_normal((n, self.latent_dim), dtype=self.const.data.dtype)
        mixes = self.rng.random((n,)) < self.mixing
        cut = self.rng.integers(1, N_STYLES, size=n)
        return z2, xp.where(mixes, cut, N_STYLES)

    def _forward(self, z):
        self._check_input(z, ndim=2, dim=1, size=self.latent_dim, what=f"(N, {self.latent_dim})")
        z2, crossover = self._mixing_draw(z.shape[0])
        ws, wcache = self.styles(z, z2, crossover)
        return self.synthesis(ws), wcache

    def _backward(self, dimg, wcache, need_dx):
        n, mask = wcache
        dconst, dws = self.synthesis_backward(dimg)
        self._accumulate(self.const, dconst.sum(axis=0, keepdims=True))
        xp = B.array_module(dimg)
        if mask is None:
            dw = dws[0]
            for g in dws[1:]:
                dw = dw + g
        else:
            dw1 = sum(mask[i][:, None] * dws[i] for i in range(N_STYLES))
            dw2 = sum((1 - mask[i][:, None]) * dws[i] for i in range(N_STYLES))
            dw = xp.concatenate([dw1, dw2], axis=0)
        if self.truncation != 1.0:
            dw = dw * self.truncation
        dz = self.mapping.backward(dw, need_dx=need_dx)
        return None if dz is None else dz[:n]

    def mixed(self, z_coarse, z_fine, crossover: int):
        """Images whose layers < ``crossover`` take the styles of ``z_coarse`` and the rest
        those of ``z_fine`` (the style-mixing picture; evaluation, no gradient)."""
        xp = B.array_module(z_coarse)
        n = z_coarse.shape[0]
        cut = xp.full((n,), int(crossover))
        ws, _ = self.styles(z_coarse, z_fine, cut)
        return self.synthesis(ws)


__all__ = ["StyleGenerator", "N_STYLES"]
