"""The update rules, PyTorch's: SGD (momentum, Nesterov), Adam, RMSprop (centered, momentum).
Math: docs/math/optim.md. Each writes ``_update`` for one array of parameters in place;
the base (base.py) runs it over the flat buffer or per parameter.
"""
from __future__ import annotations

import math

from ..backend import array_module
from ..backend.fused import Elementwise
from ..checks import flag, real
from .base import Optimizer
from .flat import FLAT


class SGD(Optimizer):
    """v <- mu v + (1 - dampening) g  (v = g on the first step);
    p <- p - lr (g + mu v if nesterov else v)."""
    _hyper = ("lr", "momentum", "dampening", "nesterov", "weight_decay")

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
        super().__init__(params, lr=lr, momentum=momentum, dampening=dampening,
                         nesterov=nesterov, weight_decay=weight_decay)
        if self.nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError("SGD: Nesterov momentum needs momentum > 0 and dampening = 0")

    def _validate(self, name, value):
        if name == "dampening":
            return real("SGD", name, value, lo=0.0, hi=1.0)
        if name == "nesterov":
            return flag("SGD", name, value)
        return super()._validate(name, value)

    def _started(self):
        if not hasattr(self, "_buf_started"):
            self._buf_started = [False] * len(self.params)
        return self._buf_started

    def _flat_ok(self) -> bool:
        # the momentum buffer's first step differs (buf = g): all or none may start now
        return len(set(self._started())) == 1

    def _holds(self, i, name) -> bool:
        # a flat buffer has zeros for parameters that never stepped: they are not started
        return name != "buf" or self._started()[i]

    def _loaded(self, entries) -> None:
        self._buf_started = [False] * len(self.params)
        for i, name, _ in entries:
            if name == "buf":
                self._buf_started[i] = True

    def _update(self, key, data, grad, t):
        g = self._gradient(data, grad)
        if self.momentum:
            started = self._started()
            first = not (all(started) if key is FLAT else started[key])
            buf = self._slot(key, "buf")
            if first:
                buf[...] = g
            else:
                buf *= self.momentum
                buf += (1 - self.dampening) * g
            if key is FLAT:
                self._buf_started = [True] * len(self.params)
            else:
                started[key] = True
            g = g + self.momentum * buf if self.nesterov else buf
        data -= self.lr * g


class Adam(Optimizer):
    """m <- b1 m + (1-b1) g;  v <- b2 v + (1-b2) g^2;
    p <- p - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)."""
    _hyper = ("lr", "betas", "eps", "weight_decay")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)

    def _validate(self, name, value):
        if name == "betas":
            if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 2:
                raise ValueError(f"Adam: betas must be a pair (beta1, beta2), got {value!r}")
            return tuple(real("Adam", f"betas[{k}]", b, lo=0.0, hi=1.0, hi_open=True)
                         for k, b in enumerate(value))
        return super()._validate(name, value)

    def _update(self, key, data, grad, t):
        b1, b2 = self.betas
        g = self._gradient(data, grad)
        m, v = self._slot(key, "exp_avg"), self._slot(key, "exp_avg_sq")
        # t counts per parameter, so a parameter unfrozen late starts at t = 1
        bc1, bc2 = 1 - b1 ** t, 1 - b2 ** t
        args = (g, b1, 1 - b1, b2, 1 - b2, math.sqrt(bc2), self.eps, self.lr / bc1)
        if data.dtype != v.dtype:        # float16 parameters, float32 state: array operations
            _adam_twin(array_module(v), *args, data, m, v, work=lambda: self._scratch(key, v))
        else:
            _adam(*args, data, m, v, work=lambda: self._scratch(key, v))


def _adam_twin(xp, g, b1, c1, b2, c2, sqrt_bc2, eps, lr_bc1, p, m, v, work=None):
    # One scratch array for every temporary, updated in place: the step is memory-bound.
    # (Explicit out= keeps it an array for 0-d parameters too, where NumPy's ufuncs
    # would return scalars that in-place ops cannot write into.) ``work`` makes it.
    s = work() if work is not None else xp.empty_like(v)
    m *= b1
    m += xp.multiply(g, c1, out=s)
    v *= b2
    s = xp.multiply(g, g, out=s)
    s *= c2
    v += s
    # PyTorch's arrangement: denom = sqrt(v)/sqrt(bc2) + eps, step size lr/bc1.
    step = xp.sqrt(v, out=s)
    step /= sqrt_bc2
    step += eps
    xp.divide(m, step, out=step)
    step *= lr_bc1
    p -= step
    return p, m, v


# Adam's whole update in one pass over the flat buffer (the twin above is 12 operations).
# c1 = 1 - b1, c2 = 1 - b2; the operations in the twin's order, so the same roundings.
_adam = Elementwise(
    "adam_step",
    "T g, T b1, T c1, T b2, T c2, T sqrt_bc2, T eps, T lr_bc1", "T p, T m, T v",
    """m = m * b1 + g * c1;
       v = v * b2 + g * g * c2;
       p = p - m / (sqrt(v) / sqrt_bc2 + eps) * lr_bc1""",
    _adam_twin)


class RMSprop(Optimizer):
    """v <- a v + (1-a) g^2;  p <- p - lr g / (sqrt(v) + eps)  (centered: v - mean(g)^2;
    momentum: buf <- mu buf + g / (sqrt(v) + eps), p <- p - lr buf)."""
    _hyper = ("lr", "alpha", "eps", "weight_decay", "momentum", "centered")

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                 centered=False):
        super().__init__(params, lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                         momentum=momentum, centered=centered)

    def _validate(self, name, value):
        if name == "alpha":
            return real("RMSprop", name, value, lo=0.0, hi=1.0)
        if name == "centered":
            return flag("RMSprop", name, value)
        return super()._validate(name, value)

    def _update(self, key, data, grad, t):
        g = self._gradient(data, grad)
        v = self._slot(key, "square_avg")
        centered, momentum = bool(self.centered), self.momentum > 0
        ga = self._slot(key, "grad_avg") if centered else None
        buf = self._slot(key, "momentum_buffer") if momentum else None
        kernel = _RMSPROP[centered, momentum]
        states = [s for s in (ga, buf) if s is not None]
        args = (g, self.alpha, 1 - self.alpha, self.eps, self.momentum, self.lr)
        if data.dtype != v.dtype:        # float16 parameters, float32 state: array operations
            kernel.twin(array_module(v), *args, data, v, *states)
        else:
            kernel(*args, data, v, *states)


def _rmsprop_twin(centered, momentum):
    def twin(xp, g, a, c, eps, mu, lr, p, v, *states):
        ga, buf = (states[0] if centered else None), (states[-1] if momentum else None)
        v *= a
        v += c * (g * g)
        if centered:
            ga *= a
            ga += c * g
            avg = xp.sqrt(v - ga * ga)
        else:
            avg = xp.sqrt(v)
        avg += eps
        if momentum:
            buf *= mu
            buf += g / avg
            p -= lr * buf
        else:
            p -= lr * (g / avg)
        return (p, v, *states)
    return twin


def _rmsprop_kernel(centered, momentum):
    """RMSprop's update as one kernel, for one choice of (centered, momentum); c = 1 - alpha.
    The statements follow the twin's operations one for one."""
    outs = "T p, T v" + (", T ga" if centered else "") + (", T buf" if momentum else "")
    body = ["v = v * a + c * (g * g);"]
    if centered:
        body += ["ga = ga * a + c * g;", "T avg = sqrt(v - ga * ga) + eps;"]
    else:
        body += ["T avg = sqrt(v) + eps;"]
    if momentum:
        body += ["buf = buf * mu + g / avg;", "p = p - lr * buf"]
    else:
        body += ["p = p - lr * (g / avg)"]
    name = "rmsprop_step" + ("_centered" if centered else "") + ("_momentum" if momentum else "")
    return Elementwise(name, "T g, T a, T c, T eps, T mu, T lr", outs, "\n".join(body),
                       _rmsprop_twin(centered, momentum))


_RMSPROP = {(c, m): _rmsprop_kernel(c, m) for c in (False, True) for m in (False, True)}
