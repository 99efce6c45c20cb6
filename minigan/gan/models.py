"""Builders for the networks of the classic experiments, with PyTorch's layer order and
names, so a ``state_dict`` loads into the same model written in PyTorch one to one.

    G = dcgan28_generator(latent_dim=100)      # z (N, 100) -> images (N, 1, 28, 28) in [-1, 1]
    D = dcgan28_discriminator()                # images -> logits (N, 1)
    mlp([2, 128, 128, 1], "leaky_relu")        # Linear / activation stacks

DCGAN (Radford et al., 2016) for 28x28 digits, as in the PyTorch examples people know:

    G: Linear(latent, 128*7*7) BatchNorm1d ReLU Unflatten(1, (128, 7, 7))
       ConvTranspose2d(128, 64, 4, 2, 1) BatchNorm2d ReLU ConvTranspose2d(64, 1, 4, 2, 1) Tanh
    D: Conv2d(1, 64, 4, 2, 1) LeakyReLU(0.2) Conv2d(64, 128, 4, 2, 1) BatchNorm2d LeakyReLU(0.2)
       Flatten Linear(128*7*7, 1)

and the same shape of network, halved, for scikit-learn's 8x8 digits (2 -> 4 -> 8 pixels).
Weights start from DCGAN's N(0, 0.02) (BatchNorm scales N(1, 0.02)).
"""
from __future__ import annotations

from .. import nn
from ..checks import positive_int

ACTIVATIONS = {
    "relu": nn.ReLU, "leaky_relu": lambda: nn.LeakyReLU(0.2), "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid, "elu": nn.ELU,
}


def _positive(where, **sizes):
    for name, v in sizes.items():
        positive_int(where, name, v)


def mlp(sizes, activation: str = "relu", out_activation: str | None = None) -> nn.Sequential:
    """Linear layers through ``sizes`` (e.g. [1, 32, 32, 1]) with ``activation`` between them
    and optionally ``out_activation`` after the last one."""
    if len(sizes) < 2:
        raise ValueError(f"mlp: need at least input and output sizes, got {sizes}")
    for name in (activation, out_activation):
        if name is not None and name not in ACTIVATIONS:
            raise ValueError(f"mlp: unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)}")
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(ACTIVATIONS[activation]())
    if out_activation is not None:
        layers.append(ACTIVATIONS[out_activation]())
    return nn.Sequential(*layers)


def dcgan_init_(model: nn.Module, rng=None) -> nn.Module:
    """DCGAN's initialisation (minigan.nn.init.dcgan_init_): conv and linear weights
    N(0, 0.02^2), BatchNorm scales N(1, 0.02^2), biases 0."""
    return nn.init.dcgan_init_(model, rng=rng)


def _generator(latent_dim, in_extra, base, side, channels, rng):
    c1, c2 = 2 * base, base
    G = nn.Sequential(
        nn.Linear(latent_dim + in_extra, c1 * side * side), nn.BatchNorm1d(c1 * side * side),
        nn.ReLU(), nn.Unflatten(1, (c1, side, side)),
        nn.ConvTranspose2d(c1, c2, 4, 2, 1), nn.BatchNorm2d(c2), nn.ReLU(),
        nn.ConvTranspose2d(c2, channels, 4, 2, 1), nn.Tanh())
    return dcgan_init_(G, rng)


def _discriminator(channels, in_extra, base, side, rng, batchnorm=True):
    c1, c2 = base, 2 * base
    layers = [nn.Conv2d(channels + in_extra, c1, 4, 2, 1), nn.LeakyReLU(0.2),
              nn.Conv2d(c1, c2, 4, 2, 1)]
    if batchnorm:
        layers.append(nn.BatchNorm2d(c2))
    layers += [nn.LeakyReLU(0.2), nn.Flatten(), nn.Linear(c2 * side * side, 1)]
    return dcgan_init_(nn.Sequential(*layers), rng)


def dcgan28_generator(latent_dim: int = 100, channels: int = 1, n_classes: int = 0,
                      rng=None) -> nn.Sequential:
    """z (N, latent_dim [+ n_classes one-hot]) -> images (N, channels, 28, 28) in [-1, 1]."""
    _positive("dcgan28_generator", latent_dim=latent_dim, channels=channels)
    return _generator(latent_dim, n_classes, 64, 7, channels, rng)


def dcgan28_discriminator(channels: int = 1, n_classes: int = 0, batchnorm: bool = True,
                          rng=None) -> nn.Sequential:
    """images (N, channels [+ n_classes label maps], 28, 28) -> logits (N, 1).
    ``batchnorm=False`` drops the BatchNorm (critics with a gradient penalty)."""
    _positive("dcgan28_discriminator", channels=channels)
    return _discriminator(channels, n_classes, 64, 7, rng, batchnorm)


def dcgan8_generator(latent_dim: int = 32, channels: int = 1, n_classes: int = 0,
                     rng=None) -> nn.Sequential:
    """z (N, latent_dim [+ n_classes]) -> images (N, channels, 8, 8) in [-1, 1]:
    Linear -> 64x2x2 -> ConvT 64->32 (4x4) -> ConvT 32->channels (8x8)."""
    _positive("dcgan8_generator", latent_dim=latent_dim, channels=channels)
    return _generator(latent_dim, n_classes, 32, 2, channels, rng)


def dcgan8_discriminator(channels: int = 1, n_classes: int = 0, batchnorm: bool = True,
                         rng=None) -> nn.Sequential:
    """images (N, channels [+ n_classes], 8, 8) -> logits (N, 1): Conv ->32x4x4 -> Conv ->64x2x2."""
    _positive("dcgan8_discriminator", channels=channels)
    return _discriminator(channels, n_classes, 32, 2, rng, batchnorm)
