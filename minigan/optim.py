"""Optimizers with PyTorch's update rules: SGD, Adam, RMSprop.  Math: docs/math/optim.md.

    opt = optim.Adam(model.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt.zero_grad(); ...backward...; opt.step()

Parameters whose ``requires_grad`` is False are skipped. Updates are done in
place on ``p.data`` (any shape, 0-d included), so the arrays a model holds stay
the same objects. ``state_dict()`` returns plain numbers and arrays (no pickle
needed to save it). Hyperparameters are checked when set: a NaN, infinite,
negative or mistyped value raises an error naming the optimizer and the argument.
"""
from __future__ import annotations

import math
import numbers

import numpy

from .backend import array_module, to_numpy
from .nn.module import Module, Parameter
from .ops.workspace import Workspace, scratch


def _real(where, name, v, lo=None, hi=None, hi_open=False) -> float:
    """``v`` as a float after checking type, finiteness and the range [lo, hi] (or [lo, hi))."""
    if isinstance(v, (bool, numpy.bool_)) or not isinstance(v, numbers.Real):
        raise TypeError(f"{where}: {name} must be a real number, got {type(v).__name__} {v!r}")
    f = float(v)
    if not math.isfinite(f):
        raise ValueError(f"{where}: {name} must be finite, got {v!r}")
    if lo is not None and f < lo:
        raise ValueError(f"{where}: {name} must be >= {lo}, got {v!r}")
    if hi is not None and (f >= hi if hi_open else f > hi):
        raise ValueError(f"{where}: {name} must be {'<' if hi_open else '<='} {hi}, got {v!r}")
    return f


def _flag(where, name, v) -> bool:
    if not isinstance(v, (bool, numpy.bool_)):
        raise TypeError(f"{where}: {name} must be True or False, got {v!r}")
    return bool(v)


FLAT = object()          # the key of the flat (all-parameter) state


class Optimizer:
    _hyper: tuple = ()
    _slots: tuple = ()     # per-parameter state arrays, created lazily as zeros

    def __init__(self, params, **hyper):
        where = type(self).__name__
        if isinstance(params, Module):
            raise TypeError(f"{where}: got a {type(params).__name__} module; pass its parameters: "
                            f"{where}(model.parameters(), ...)")
        if isinstance(params, Parameter):
            raise TypeError(f"{where}: got a single Parameter; pass a list of them: {where}([p], ...)")
        try:
            self.params = list(params)
        except TypeError:
            raise TypeError(f"{where}: params must be an iterable of Parameter (model.parameters()), "
                            f"got {type(params).__name__}") from None
        if not self.params:
            raise ValueError(f"{where}: got an empty parameter list")
        seen = {}
        for i, p in enumerate(self.params):
            if not isinstance(p, Parameter):
                raise TypeError(f"{where}: item {i} is a {type(p).__name__}, not a Parameter")
            kind = getattr(getattr(p.data, "dtype", None), "kind", None)
            if kind != "f":
                raise TypeError(f"{where}: parameter {i} has dtype {getattr(p.data, 'dtype', None)}; "
                                f"optimizers update floating-point parameters only")
            if id(p) in seen:
                raise ValueError(f"{where}: parameter {i} is the same Parameter as parameter "
                                 f"{seen[id(p)]}; each parameter may appear only once (it would be "
                                 f"updated twice per step)")
            seen[id(p)] = i
        for k, v in hyper.items():
            setattr(self, k, v)
        self.step_count = 0                    # calls to step()
        self.param_steps = [0] * len(self.params)  # updates each parameter has had (PyTorch's per-parameter "step")
        self.state: list[dict] = [dict() for _ in self.params]
        self._flat = None
        self._ws = Workspace()                 # the flat update's work array (see _scratch)
        self._pack()

    def __setattr__(self, name, value):
        # Every hyperparameter passes its check whenever it is set (a schedule setting
        # opt.lr = nan is caught at once, not after the weights turned to NaN).
        if name in self._hyper:
            value = self._validate(name, value)
        object.__setattr__(self, name, value)

    def _validate(self, name, value):
        """The checked value of hyperparameter ``name`` (subclasses add their own)."""
        where = type(self).__name__
        if name in ("lr", "weight_decay", "eps", "momentum"):
            return _real(where, name, value, lo=0.0)
        return value

    # ------------------------------------------------------------ one flat buffer
    # The parameters' arrays become views of one flat array (and so do their gradients
    # and this optimizer's state), so that a step is a handful of whole-array operations
    # instead of a handful per parameter: on a GPU, a dozen kernel launches per step
    # instead of a dozen per parameter. The update rule is the same either way (the tests
    # compare both paths); the per-parameter path serves when parameters differ
    # (frozen ones, other step counts) or were rebound since.
    def _pack(self) -> None:
        ps = self.params
        first = ps[0].data
        xp = array_module(first)
        if len(ps) < 2 or any(p.data.dtype != first.dtype or array_module(p.data) is not xp or
                              p.grad.dtype != first.dtype for p in ps):
            self._flat = None
            return
        total = sum(int(p.data.size) for p in ps)
        data, grad = xp.empty(total, dtype=first.dtype), xp.empty(total, dtype=first.dtype)
        views, offset = [], 0
        for p in ps:
            n, shape = int(p.data.size), p.data.shape
            data[offset:offset + n] = p.data.reshape(-1)
            grad[offset:offset + n] = p.grad.reshape(-1)
            p.data = data[offset:offset + n].reshape(shape)
            p.grad = grad[offset:offset + n].reshape(shape)
            views.append((p.data, p.grad, offset, n))
            offset += n
        old_state = self.state
        self._flat = {"data": data, "grad": grad, "views": views, "state": {}}
        self.state = [dict() for _ in ps]
        for i, st in enumerate(old_state):          # state kept across a re-pack
            for name, arr in st.items():
                self._slot(i, name)[...] = arr

    def _intact(self) -> bool:
        """Whether every parameter still holds its view (nothing rebound p.data or p.grad)."""
        return all(p.data is d and p.grad is g for p, (d, g, _, _) in zip(self.params, self._flat["views"]))

    def flat_grad(self):
        """All gradients as one flat array (a view, no copy), or None when not packed."""
        return self._flat["grad"] if self._flat is not None and self._intact() else None

    def zero_grad(self) -> None:
        if self._flat is not None and self._intact():
            self._flat["grad"][...] = 0
            return
        for p in self.params:
            p.grad[...] = 0

    @staticmethod
    def _work_dtype(dtype):
        """The dtype a parameter of ``dtype`` is updated in. float16 parameters are updated
        in float32: eps (1e-8) and squared gradients underflow to 0 in float16, and Adam's
        step would divide by zero."""
        return numpy.float32 if dtype == numpy.float16 else dtype

    def _slot(self, key, name):
        """The state array ``name`` of parameter ``key`` (an index), or the flat one of all
        parameters (``key is FLAT``); created as zeros on first use."""
        flat = self._flat
        if flat is not None:
            if name not in flat["state"]:
                p0 = self.params[0]
                buf = array_module(p0.data).zeros(flat["data"].shape,
                                                  dtype=self._work_dtype(p0.data.dtype))
                flat["state"][name] = buf
                for st, (d, _, off, n) in zip(self.state, flat["views"]):
                    st[name] = buf[off:off + n].reshape(d.shape)
            return flat["state"][name] if key is FLAT else self.state[key][name]
        st = self.state[key]
        if name not in st:
            p = self.params[key]
            st[name] = array_module(p.data).zeros(p.data.shape, dtype=self._work_dtype(p.data.dtype))
        return st[name]

    def _scratch(self, key, like):
        """A work array shaped like ``like`` for one update. On the flat path the optimizer's
        workspace keeps it from step to step (not state: never saved), so a step maps no new
        memory; a per-parameter update gets a fresh one."""
        return scratch(self._ws if key is FLAT else None, "update", like.shape, like.dtype,
                       array_module(like))

    def _flat_ok(self) -> bool:
        """Subclasses may refuse the flat path (SGD while some buffers are unstarted)."""
        return True

    def step(self) -> None:
        self.step_count += 1
        if self._flat is not None and not self._intact():
            self._pack()
        n = len(self.params)
        if (self._flat is not None and all(p.requires_grad for p in self.params)
                and len(set(self.param_steps)) == 1 and self._flat_ok()):
            self.param_steps = [s + 1 for s in self.param_steps]
            self._update(FLAT, self._flat["data"], self._flat["grad"], self.param_steps[0])
            return
        for i in range(n):
            p = self.params[i]
            if p.requires_grad:
                self.param_steps[i] += 1
                self._update(i, p.data, p.grad, self.param_steps[i])

    def _update(self, key, data, grad, t):  # pragma: no cover - abstract
        """Update ``data`` in place from ``grad``; ``key`` names the state (an index or FLAT),
        ``t`` is the step count of these parameters."""
        raise NotImplementedError

    def _gradient(self, data, grad):
        """The gradient (in the working dtype) with L2 weight decay folded in (PyTorch's
        ``weight_decay``)."""
        work = self._work_dtype(data.dtype)
        g = grad if grad.dtype == work else grad.astype(work)
        if self.weight_decay:
            return g + self.weight_decay * data
        return g

    # ------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict:
        """{"type", "step", hyperparameters..., "state": {"<param index>.<slot>": array}}."""
        out = {"type": type(self).__name__, "step": self.step_count,
               "param_steps": list(self.param_steps)}
        for k in self._hyper:
            v = getattr(self, k)
            out[k] = list(v) if isinstance(v, tuple) else v
        out["state"] = {f"{i}.{name}": arr.copy() for i, st in enumerate(self.state)
                        for name, arr in st.items() if self._holds(i, name)}
        return out

    def _holds(self, i, name) -> bool:
        """Whether parameter i's state ``name`` has been used (SGD: a started buffer)."""
        return True

    def load_state_dict(self, d: dict) -> None:
        """Restore from :meth:`state_dict` (arrays on either backend: loading is an explicit
        copy onto the parameters' device). Every entry is checked before anything changes."""
        where = f"{type(self).__name__}.load_state_dict"
        if not isinstance(d, dict):
            raise TypeError(f"{where}: expected a dict from state_dict(), got {type(d).__name__}")
        if d.get("type") != type(self).__name__:
            raise ValueError(f"{where}: state is for {d.get('type')!r}")
        missing = [k for k in ("step", "state", *self._hyper) if k not in d]
        if missing:
            raise ValueError(f"{where}: the state has no {', '.join(repr(k) for k in missing)}")
        step = d["step"]
        if isinstance(step, bool) or not isinstance(step, numbers.Integral) or step < 0:
            raise ValueError(f"{where}: 'step' must be a non-negative int, got {step!r}")
        steps = d.get("param_steps", [int(step)] * len(self.params))
        if not isinstance(steps, (list, tuple)) or len(steps) != len(self.params):
            raise ValueError(f"{where}: state is for {len(steps) if hasattr(steps, '__len__') else '?'} "
                             f"parameters, the optimizer has {len(self.params)}")
        if any(isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 0 for s in steps):
            raise ValueError(f"{where}: 'param_steps' must be non-negative ints, got {steps!r}")
        hyper = {}
        for k in self._hyper:
            v = d[k]
            try:
                hyper[k] = self._validate(k, tuple(v) if isinstance(v, list) else v)
            except (TypeError, ValueError) as exc:
                raise type(exc)(f"{where}: {exc}") from None
        if not isinstance(d["state"], dict):
            raise TypeError(f"{where}: 'state' must be a dict of arrays, got {type(d['state']).__name__}")
        loaded = []
        for key, arr in d["state"].items():
            i, _, name = str(key).partition(".")
            if not i.isdigit() or not name:
                raise ValueError(f"{where}: malformed state key {key!r} (expected '<index>.<slot>')")
            i = int(i)
            if i >= len(self.params):
                raise ValueError(f"{where}: state for parameter {i} "
                                 f"but the optimizer has {len(self.params)}")
            if not hasattr(arr, "shape") or not hasattr(arr, "dtype") or arr.dtype.kind not in "fiu":
                raise TypeError(f"{where}: {key} must be a numeric array, got {type(arr).__name__}")
            target = self.params[i].data
            if tuple(arr.shape) != tuple(target.shape):
                raise ValueError(f"{where}: {key} has shape "
                                 f"{tuple(arr.shape)}, parameter has {tuple(target.shape)}")
            loaded.append((i, name, arr))
        self.step_count = int(step)
        self.param_steps = [int(s) for s in steps]
        for k, v in hyper.items():
            setattr(self, k, v)
        self.state = [dict() for _ in self.params]
        if self._flat is not None:
            if not self._intact():
                self._pack()
            self._flat["state"] = {}
        for i, name, arr in loaded:
            # An explicit transfer: a state saved on one backend loads on the other.
            target = self.params[i].data
            xp = array_module(target)
            host = to_numpy(arr) if xp is numpy else arr
            self._slot(i, name)[...] = xp.asarray(host, dtype=self._work_dtype(target.dtype))
        self._loaded(loaded)

    def _loaded(self, entries) -> None:
        """Hook after load_state_dict (SGD marks which momentum buffers are started)."""

    def __repr__(self) -> str:
        hyper = ", ".join(f"{k}={getattr(self, k)!r}" for k in self._hyper)
        return f"{type(self).__name__}({len(self.params)} parameters, {hyper})"


class SGD(Optimizer):
    """v <- mu v + (1 - dampening) g  (v = g on the first step);  p <- p - lr (g + mu v if nesterov else v)."""
    _hyper = ("lr", "momentum", "dampening", "nesterov", "weight_decay")

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
        super().__init__(params, lr=lr, momentum=momentum, dampening=dampening,
                         nesterov=nesterov, weight_decay=weight_decay)
        if self.nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError("SGD: Nesterov momentum needs momentum > 0 and dampening = 0")

    def _validate(self, name, value):
        if name == "dampening":
            return _real("SGD", name, value, lo=0.0, hi=1.0)
        if name == "nesterov":
            return _flag("SGD", name, value)
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
            return tuple(_real("Adam", f"betas[{k}]", b, lo=0.0, hi=1.0, hi_open=True)
                         for k, b in enumerate(value))
        return super()._validate(name, value)

    def _update(self, key, data, grad, t):
        b1, b2 = self.betas
        g = self._gradient(data, grad)
        m, v = self._slot(key, "exp_avg"), self._slot(key, "exp_avg_sq")
        xp = array_module(v)
        # One scratch array for every temporary, updated in place: the step is memory-bound.
        # (Explicit out= keeps it an array for 0-d parameters too, where NumPy's ufuncs
        # would return scalars that in-place ops cannot write into.)
        s = self._scratch(key, v)
        m *= b1
        m += xp.multiply(g, 1 - b1, out=s)
        v *= b2
        s = xp.multiply(g, g, out=s)
        s *= 1 - b2
        v += s
        # t counts per parameter, so a parameter unfrozen late starts at t = 1
        bc1, bc2 = 1 - b1 ** t, 1 - b2 ** t
        # PyTorch's arrangement: denom = sqrt(v)/sqrt(bc2) + eps, step size lr/bc1.
        step = xp.sqrt(v, out=s)
        step /= math.sqrt(bc2)
        step += self.eps
        xp.divide(m, step, out=step)
        step *= self.lr / bc1
        data -= step


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
            return _real("RMSprop", name, value, lo=0.0, hi=1.0)
        if name == "centered":
            return _flag("RMSprop", name, value)
        return super()._validate(name, value)

    def _update(self, key, data, grad, t):
        g = self._gradient(data, grad)
        a = self.alpha
        v = self._slot(key, "square_avg")
        v *= a
        v += (1 - a) * (g * g)
        xp = array_module(v)
        if self.centered:
            ga = self._slot(key, "grad_avg")
            ga *= a
            ga += (1 - a) * g
            avg = xp.sqrt(v - ga * ga)
        else:
            avg = xp.sqrt(v)
        avg += self.eps
        if self.momentum > 0:
            buf = self._slot(key, "momentum_buffer")
            buf *= self.momentum
            buf += g / avg
            data -= self.lr * buf
        else:
            data -= self.lr * (g / avg)
