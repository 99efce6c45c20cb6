"""Optimizers with PyTorch's update rules: SGD, Adam, RMSprop.  Math: docs/math/optim.md.

    opt = optim.Adam(model.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt.zero_grad(); ...backward...; opt.step()

Parameters whose ``requires_grad`` is False are skipped. Updates are done in
place on ``p.data``, so the arrays a model holds stay the same objects.
``state_dict()`` returns plain numbers and arrays (no pickle needed to save it).
"""
from __future__ import annotations

import math

import numpy

from .backend import array_module, to_numpy
from .nn.module import Parameter


class Optimizer:
    _hyper: tuple = ()
    _slots: tuple = ()     # per-parameter state arrays, created lazily as zeros

    def __init__(self, params, **hyper):
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        for i, p in enumerate(self.params):
            if not isinstance(p, Parameter):
                raise TypeError(f"{type(self).__name__}: item {i} is a {type(p).__name__}, not a Parameter")
        for k, v in hyper.items():
            setattr(self, k, v)
        self.step_count = 0                    # calls to step()
        self.param_steps = [0] * len(self.params)  # updates each parameter has had (PyTorch's per-parameter "step")
        self.state: list[dict] = [dict() for _ in self.params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad[...] = 0

    def _slot(self, i, name):
        st = self.state[i]
        if name not in st:
            st[name] = array_module(self.params[i].data).zeros_like(self.params[i].data)
        return st[name]

    def step(self) -> None:
        self.step_count += 1
        for i, p in enumerate(self.params):
            if p.requires_grad:
                self.param_steps[i] += 1
                self._update(i, p)

    def _update(self, i, p):  # pragma: no cover - abstract
        raise NotImplementedError

    def _grad(self, p):
        """The gradient with L2 weight decay folded in (PyTorch's ``weight_decay``)."""
        if self.weight_decay:
            return p.grad + self.weight_decay * p.data
        return p.grad

    # ------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict:
        """{"type", "step", hyperparameters..., "state": {"<param index>.<slot>": array}}."""
        out = {"type": type(self).__name__, "step": self.step_count,
               "param_steps": list(self.param_steps)}
        for k in self._hyper:
            v = getattr(self, k)
            out[k] = list(v) if isinstance(v, tuple) else v
        out["state"] = {f"{i}.{name}": arr.copy() for i, st in enumerate(self.state)
                        for name, arr in st.items()}
        return out

    def load_state_dict(self, d: dict) -> None:
        if d.get("type") != type(self).__name__:
            raise ValueError(f"{type(self).__name__}.load_state_dict: state is for {d.get('type')!r}")
        self.step_count = int(d["step"])
        steps = d.get("param_steps", [self.step_count] * len(self.params))
        if len(steps) != len(self.params):
            raise ValueError(f"{type(self).__name__}.load_state_dict: state is for {len(steps)} "
                             f"parameters, the optimizer has {len(self.params)}")
        self.param_steps = [int(s) for s in steps]
        for k in self._hyper:
            v = d[k]
            setattr(self, k, tuple(v) if isinstance(v, (list, tuple)) else v)
        self.state = [dict() for _ in self.params]
        for key, arr in d["state"].items():
            i, name = key.split(".", 1)
            i = int(i)
            if i >= len(self.params):
                raise ValueError(f"{type(self).__name__}.load_state_dict: state for parameter {i} "
                                 f"but the optimizer has {len(self.params)}")
            target = self.params[i].data
            if tuple(arr.shape) != tuple(target.shape):
                raise ValueError(f"{type(self).__name__}.load_state_dict: {key} has shape "
                                 f"{tuple(arr.shape)}, parameter has {tuple(target.shape)}")
            # An explicit transfer: a state saved on one backend loads on the other.
            xp = array_module(target)
            host = to_numpy(arr) if xp is numpy else arr
            self.state[i][name] = xp.asarray(host, dtype=target.dtype).copy()


class SGD(Optimizer):
    """v <- mu v + (1 - dampening) g  (v = g on the first step);  p <- p - lr (g + mu v if nesterov else v)."""
    _hyper = ("lr", "momentum", "dampening", "nesterov", "weight_decay")

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
        if lr < 0 or momentum < 0 or weight_decay < 0:
            raise ValueError(f"SGD: lr, momentum and weight_decay must be >= 0, got "
                             f"lr={lr}, momentum={momentum}, weight_decay={weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum needs momentum > 0 and dampening = 0")
        super().__init__(params, lr=lr, momentum=momentum, dampening=dampening,
                         nesterov=nesterov, weight_decay=weight_decay)

    def _update(self, i, p):
        g = self._grad(p)
        if self.momentum:
            first = "buf" not in self.state[i]
            buf = self._slot(i, "buf")
            if first:
                buf[...] = g
            else:
                buf *= self.momentum
                buf += (1 - self.dampening) * g
            g = g + self.momentum * buf if self.nesterov else buf
        p.data -= self.lr * g


class Adam(Optimizer):
    """m <- b1 m + (1-b1) g;  v <- b2 v + (1-b2) g^2;
    p <- p - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)."""
    _hyper = ("lr", "betas", "eps", "weight_decay")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        b1, b2 = betas
        if lr < 0 or eps < 0 or weight_decay < 0 or not (0 <= b1 < 1 and 0 <= b2 < 1):
            raise ValueError(f"Adam: need lr >= 0, eps >= 0, weight_decay >= 0 and betas in [0, 1), "
                             f"got lr={lr}, betas={betas}, eps={eps}, weight_decay={weight_decay}")
        super().__init__(params, lr=lr, betas=(float(b1), float(b2)), eps=eps, weight_decay=weight_decay)

    def _update(self, i, p):
        b1, b2 = self.betas
        g = self._grad(p)
        m, v = self._slot(i, "exp_avg"), self._slot(i, "exp_avg_sq")
        m *= b1
        m += (1 - b1) * g
        v *= b2
        v += (1 - b2) * (g * g)
        t = self.param_steps[i]   # per parameter, so a parameter unfrozen late starts at t = 1
        bc1, bc2 = 1 - b1 ** t, 1 - b2 ** t
        # PyTorch's arrangement: denom = sqrt(v)/sqrt(bc2) + eps, step size lr/bc1.
        # One scratch array, updated in place: the step is memory-bound for small layers.
        xp = array_module(v)
        step = xp.sqrt(v)
        step /= math.sqrt(bc2)
        step += self.eps
        xp.divide(m, step, out=step)
        step *= self.lr / bc1
        p.data -= step


class RMSprop(Optimizer):
    """v <- a v + (1-a) g^2;  p <- p - lr g / (sqrt(v) + eps)  (centered: v - mean(g)^2;
    momentum: buf <- mu buf + g / (sqrt(v) + eps), p <- p - lr buf)."""
    _hyper = ("lr", "alpha", "eps", "weight_decay", "momentum", "centered")

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                 centered=False):
        if lr < 0 or eps < 0 or weight_decay < 0 or momentum < 0 or not 0 <= alpha <= 1:
            raise ValueError(f"RMSprop: need lr, eps, weight_decay, momentum >= 0 and alpha in [0, 1], "
                             f"got lr={lr}, alpha={alpha}, eps={eps}, weight_decay={weight_decay}, "
                             f"momentum={momentum}")
        super().__init__(params, lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                         momentum=momentum, centered=centered)

    def _update(self, i, p):
        g = self._grad(p)
        a = self.alpha
        v = self._slot(i, "square_avg")
        v *= a
        v += (1 - a) * (g * g)
        xp = array_module(v)
        if self.centered:
            ga = self._slot(i, "grad_avg")
            ga *= a
            ga += (1 - a) * g
            avg = xp.sqrt(v - ga * ga)
        else:
            avg = xp.sqrt(v)
        avg += self.eps
        if self.momentum > 0:
            buf = self._slot(i, "momentum_buffer")
            buf *= self.momentum
            buf += g / avg
            p.data -= self.lr * buf
        else:
            p.data -= self.lr * (g / avg)
