"""What an exercise is: the functions a student writes, the cases they are judged on, and
the mistakes the checker knows by name.  The catalogue of exercises: catalogue.py.

An exercise file (written by ``minigan exercise NAME``) holds a forward and a backward
with the exact arguments of minigan's op; the checker (judge.py) runs the student's pair
on each :class:`Case` and compares every returned gradient with minigan's own op and with
central differences of the loss ``L = sum(y * dy)``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable


@dataclass(frozen=True)
class Case:
    """One judged call: the forward's keyword arguments (arrays in float64 and
    hyperparameters) and a short description naming its shapes and hyperparameters."""
    inputs: dict
    describe: str


@dataclass(frozen=True)
class Mistake:
    """A classic mistake: the text ``old`` of the worked answer replaced by ``new``.

    The checker runs every known mistake on the failing case; when the student's gradient
    equals a mistake's, its ``hint`` is given. The tests plant each one and check that the
    checker names ``grad`` and gives the hint."""
    grad: str
    old: str
    new: str
    hint: str


@dataclass(frozen=True)
class Exercise:
    """One op to write.

    ``forward``/``backward``: the function names in the student's file, with their
    argument names (``forward_args``, ``backward_args``); ``grads``: the names of what the
    backward returns, in order, and ``wrt`` the forward argument each one differentiates.
    ``cases(rng)`` gives the judged calls, simplest first; ``reference(case, dy)`` computes
    ``(y, {grad name: array})`` with minigan's own op; ``loss_kind`` is "array" (the
    backward takes dy like y) or "scalar" (y is a number and dy a scalar weight).
    ``kind`` is "op" (forward + backward(dy, cache)) or "loss" (one function returning
    (loss, gradient), the gradient to write)."""
    name: str
    title: str
    math: str                                  # docs/math/PAGE.md, section "..."
    forward: str
    forward_args: tuple
    backward: str
    backward_args: tuple
    grads: tuple
    wrt: tuple
    cases: Callable
    reference: Callable
    mistakes: tuple = ()
    loss_kind: str = "array"
    kind: str = "op"
    usable: bool = False                       # can `minigan check --use` train with it?
    kinks: tuple = field(default=())           # input names whose values avoid 0 (kinks)

    @property
    def functions(self) -> tuple:
        return (self.forward,) if self.kind == "loss" else (self.forward, self.backward)
