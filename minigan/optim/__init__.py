"""Optimizers with PyTorch's update rules: SGD, Adam, RMSprop.  Math: docs/math/optim.md.

    opt = optim.Adam(model.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt.zero_grad(); ...backward...; opt.step()

Parameters whose ``requires_grad`` is False are skipped. Updates are done in
place on ``p.data`` (any shape, 0-d included), so the arrays a model holds stay
the same objects. ``state_dict()`` returns plain numbers and arrays (no pickle
needed to save it). Hyperparameters are checked when set: a NaN, infinite,
negative or mistyped value raises an error naming the optimizer and the argument.

    base.py    the Optimizer: parameters, hyperparameters, step, state_dict
    flat.py    the one flat buffer all parameters, gradients and states live in
    rules.py   the update rules
"""
from .base import Optimizer
from .flat import FLAT, FlatBuffer
from .rules import SGD, Adam, RMSprop

__all__ = ["Optimizer", "SGD", "Adam", "RMSprop", "FlatBuffer", "FLAT"]
