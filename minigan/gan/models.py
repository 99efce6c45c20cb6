"""Builders for the networks of the classic experiments."""
from __future__ import annotations

from .. import nn

ACTIVATIONS = {
    "relu": nn.ReLU, "leaky_relu": lambda: nn.LeakyReLU(0.2), "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid, "elu": nn.ELU,
}


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
