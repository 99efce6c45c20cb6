"""Weight initialisers, in place on a Parameter (or array), PyTorch conventions.

Fans follow ``torch.nn.init._calculate_fan_in_and_fan_out``: for a weight of
shape (d0, d1, *k), fan_in = d1 * prod(k) and fan_out = d0 * prod(k). Random
numbers come from ``rng`` or the backend's default generator
(``minigan.backend.seed(s)`` makes model construction reproducible).
"""
from __future__ import annotations

import math

from .. import backend as B
from .module import Module, Parameter


def _target(p):
    return p.data if isinstance(p, Parameter) else p


def _assign(p, values):
    arr = _target(p)
    arr[...] = values.astype(arr.dtype, copy=False)
    return p


def fans(shape) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight shape."""
    if len(shape) < 2:
        raise ValueError(f"fans: need a weight with at least 2 dimensions, got shape {tuple(shape)}")
    receptive = math.prod(shape[2:]) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended std multiplier for a nonlinearity (PyTorch's table)."""
    if nonlinearity in ("linear", "conv2d", "conv_transpose2d", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope ** 2))
    raise ValueError(f"calculate_gain: unknown nonlinearity {nonlinearity!r}")


def _rng(rng):
    return rng if rng is not None else B.default_rng()


def uniform_(p, low=0.0, high=1.0, rng=None):
    arr = _target(p)
    return _assign(p, _rng(rng).uniform(arr.shape, low, high, dtype=arr.dtype))


def normal_(p, mean=0.0, std=1.0, rng=None):
    arr = _target(p)
    return _assign(p, _rng(rng).normal(arr.shape, mean, std, dtype=arr.dtype))


def constant_(p, value):
    _target(p)[...] = value
    return p


def zeros_(p):
    return constant_(p, 0)


def ones_(p):
    return constant_(p, 1)


def xavier_uniform_(p, gain=1.0, rng=None):
    """Glorot & Bengio: U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = fans(_target(p).shape)
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(p, -a, a, rng)


def xavier_normal_(p, gain=1.0, rng=None):
    """Glorot & Bengio: N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = fans(_target(p).shape)
    return normal_(p, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), rng)


def _kaiming_std(shape, a, mode, nonlinearity):
    fan_in, fan_out = fans(shape)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(p, a=0.0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
    """He et al.: U(-b, b), b = sqrt(3) * gain / sqrt(fan)."""
    bound = math.sqrt(3.0) * _kaiming_std(_target(p).shape, a, mode, nonlinearity)
    return uniform_(p, -bound, bound, rng)


def kaiming_normal_(p, a=0.0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
    """He et al.: N(0, std^2), std = gain / sqrt(fan)."""
    return normal_(p, 0.0, _kaiming_std(_target(p).shape, a, mode, nonlinearity), rng)


def pytorch_default_(weight, bias=None, rng=None):
    """PyTorch's default for Linear and Conv layers: kaiming_uniform(a=sqrt(5)) on the weight,
    i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the bias from the same interval."""
    kaiming_uniform_(weight, a=math.sqrt(5), rng=rng)
    if bias is not None:
        fan_in, _ = fans(_target(weight).shape)
        bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        uniform_(bias, -bound, bound, rng)


def dcgan_init_(model: Module, std: float = 0.02, rng=None) -> Module:
    """Radford et al.: weights of Linear/Conv layers ~ N(0, 0.02^2), biases 0;
    BatchNorm scale ~ N(1, 0.02^2), shift 0."""
    for m in model.modules():
        kind = type(m).__name__
        w = m._parameters.get("weight")
        b = m._parameters.get("bias")
        if w is None:
            continue
        if kind.startswith("BatchNorm"):
            normal_(w, 1.0, std, rng)
        else:
            normal_(w, 0.0, std, rng)
        if b is not None:
            zeros_(b)
    return model
