"""The optimizer base: parameters, checked hyperparameters, the step, checkpoints.

A subclass (rules.py) writes its update rule, ``_update(key, data, grad, t)``, for
one array of parameters in place; the base runs it once over the flat buffer of all
parameters (flat.py) or once per parameter (when parameters differ: frozen ones,
other step counts, rebound arrays). Math: docs/math/optim.md.
"""
from __future__ import annotations

import numbers

import numpy

from ..backend import array_module, to_numpy
from ..checks import real
from ..nn.module import Module, Parameter
from ..ops.workspace import Workspace, scratch
from .flat import FLAT, FlatBuffer


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
        # updates each parameter has had (PyTorch's per-parameter "step")
        self.param_steps = [0] * len(self.params)
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
            return real(where, name, value, lo=0.0)
        return value

    # ------------------------------------------------------------ one flat buffer
    def _pack(self) -> None:
        """Make the parameters views of one flat buffer (flat.py), keeping the state."""
        old_state = self.state
        self._flat = FlatBuffer.pack(self.params)
        if self._flat is None:
            return
        self.state = [dict() for _ in self.params]
        for i, st in enumerate(old_state):          # state kept across a re-pack
            for name, arr in st.items():
                self._slot(i, name)[...] = arr

    def _intact(self) -> bool:
        return self._flat.intact(self.params)

    def flat_grad(self):
        """All gradients as one flat array (a view, no copy), or None when not packed."""
        return self._flat.grad if self._flat is not None and self._intact() else None

    def zero_grad(self) -> None:
        if self._flat is not None and self._intact():
            self._flat.grad[...] = 0
        else:
            for p in self.params:
                p.grad[...] = 0
        for p in self.params:
            p.mark_zeroed()

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
            if name not in flat.state:
                views = flat.add_state(name, self._work_dtype(self.params[0].data.dtype))
                for st, view in zip(self.state, views):
                    st[name] = view
            return flat.state[name] if key is FLAT else self.state[key][name]
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
            self._update(FLAT, self._flat.data, self._flat.grad, self.param_steps[0])
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
        hyper = self._checked_hyper(d, where)
        loaded = self._checked_state(d["state"], where)
        self.step_count = int(step)
        self.param_steps = [int(s) for s in steps]
        for k, v in hyper.items():
            setattr(self, k, v)
        self.state = [dict() for _ in self.params]
        if self._flat is not None:
            if not self._intact():
                self._pack()
            self._flat.state = {}
        for i, name, arr in loaded:
            # An explicit transfer: a state saved on one backend loads on the other.
            target = self.params[i].data
            xp = array_module(target)
            host = to_numpy(arr) if xp is numpy else arr
            self._slot(i, name)[...] = xp.asarray(host, dtype=self._work_dtype(target.dtype))
        self._loaded(loaded)

    def _checked_hyper(self, d: dict, where: str) -> dict:
        hyper = {}
        for k in self._hyper:
            v = d[k]
            try:
                hyper[k] = self._validate(k, tuple(v) if isinstance(v, list) else v)
            except (TypeError, ValueError) as exc:
                raise type(exc)(f"{where}: {exc}") from None
        return hyper

    def _checked_state(self, state, where: str) -> list:
        """[(parameter index, slot name, array)] of a saved state, every entry checked."""
        if not isinstance(state, dict):
            raise TypeError(f"{where}: 'state' must be a dict of arrays, got {type(state).__name__}")
        loaded = []
        for key, arr in state.items():
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
        return loaded

    def _loaded(self, entries) -> None:
        """Hook after load_state_dict (SGD marks which momentum buffers are started)."""

    def __repr__(self) -> str:
        hyper = ", ".join(f"{k}={getattr(self, k)!r}" for k in self._hyper)
        return f"{type(self).__name__}({len(self.params)} parameters, {hyper})"
