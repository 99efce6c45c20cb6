"""A module's state dict: every parameter and buffer under PyTorch's keys ("0.weight")."""
from __future__ import annotations

from collections import OrderedDict

import numpy

from .. import backend as B


def _key(mod_name: str, name: str) -> str:
    return f"{mod_name}.{name}" if mod_name else name


def state_of(module) -> "OrderedDict[str, object]":
    """Copies of every parameter and buffer of ``module``, keyed like PyTorch."""
    out = OrderedDict()
    for mod_name, m in module.named_modules():
        for name, p in m._parameters.items():
            out[_key(mod_name, name)] = p.data.copy()
        for name, b in m._buffers.items():
            out[_key(mod_name, name)] = b.copy()
    return out


def load_state(module, state, strict: bool = True) -> None:
    """Copy the arrays of ``state`` into ``module``'s parameters and buffers (an explicit
    transfer onto the module's device). Every entry is checked before anything changes, so
    a state that does not fit leaves the module as it was."""
    where = f"{type(module).__name__}.load_state_dict"
    if not hasattr(state, "keys") or not hasattr(state, "__getitem__"):
        raise TypeError(f"{where}: expected a mapping of names to arrays (from state_dict()), "
                        f"got {type(state).__name__}")
    own = OrderedDict()
    for mod_name, m in module.named_modules():
        for name in list(m._parameters) + list(m._buffers):
            own[_key(mod_name, name)] = (m, name)
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    if strict and (missing or unexpected):
        raise KeyError(f"{where}: missing keys {missing}, unexpected keys {unexpected}")
    plan = []
    for key, (m, name) in own.items():
        if key not in state:
            continue
        value = state[key]
        if not hasattr(value, "shape") or not hasattr(value, "dtype") or \
                getattr(value.dtype, "kind", "O") not in "biuf":
            raise TypeError(f"{where}: {key!r} must be a numeric array, got {type(value).__name__}"
                            + (f" of dtype {value.dtype}" if hasattr(value, "dtype") else ""))
        target = m._parameters[name].data if name in m._parameters else m._buffers[name]
        if tuple(value.shape) != tuple(target.shape):
            raise ValueError(f"{where}: {key!r} has shape {tuple(value.shape)}, expected "
                             f"{tuple(target.shape)}")
        plan.append((m, name, value, target))
    for m, name, value, target in plan:
        xp = B.array_module(target)
        new = xp.asarray(B.to_numpy(value) if xp is numpy else value, dtype=target.dtype).copy()
        if name in m._parameters:
            m._parameters[name].data = new
        else:
            m.register_buffer(name, new)
