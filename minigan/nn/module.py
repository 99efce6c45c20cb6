"""Parameter, Module and Sequential: the state around the pure ops.

A :class:`Module` owns :class:`Parameter` objects and buffers, stores in
``forward`` what its ``backward`` needs, and in ``backward(dy)`` returns dL/dx
while *adding* dL/dparam into ``p.grad`` (gradients accumulate as in PyTorch
until ``zero_grad``).

Freezing (``module.freeze()`` or ``with frozen(module):``) makes ``backward``
compute only the input gradient: the parameter-gradient GEMMs are skipped.
That is the generator step of a GAN - backpropagate *through* D without
training it.
"""
from __future__ import annotations

from collections import OrderedDict
from contextlib import contextmanager

import numpy

from .. import backend as B


SECOND_ORDER_LAYERS = ("Linear, Conv2d, ConvTranspose2d, Flatten, Unflatten, Pack, ReLU, LeakyReLU, "
                       "Tanh, Sigmoid, ELU, SpectralNorm and Sequential")


class Parameter:
    """A trainable array and its accumulated gradient (same shape, dtype, device)."""

    __slots__ = ("data", "grad", "requires_grad")

    def __init__(self, data, requires_grad: bool = True):
        if isinstance(data, numpy.generic) or not hasattr(data, "shape") or not hasattr(data, "dtype") \
                or not hasattr(data, "__setitem__"):
            raise TypeError(f"Parameter: data must be an array (NumPy or device), got "
                            f"{type(data).__name__}; wrap a number as numpy.array(x)")
        self.data = data
        self.grad = B.array_module(data).zeros_like(data)
        self.requires_grad = requires_grad

    @property
    def shape(self):
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    def zero_grad(self) -> None:
        self.grad[...] = 0

    def __repr__(self) -> str:
        return (f"Parameter(shape={tuple(self.data.shape)}, dtype={self.data.dtype}, "
                f"backend={B.backend_of(self.data)}, requires_grad={self.requires_grad})")


class Module:
    """Base class of every layer and model."""

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "frozen", False)

    # ------------------------------------------------------------ registration
    def __setattr__(self, name, value):
        d = self.__dict__
        # Fast path for the per-step caches (self._cache = ...): private names that
        # hold neither a Parameter nor a Module need no registration.
        if name[0] == "_" and "_parameters" in d and not isinstance(value, (Parameter, Module)) \
                and name not in d["_buffers"] and name not in d["_parameters"] \
                and name not in d["_modules"]:
            object.__setattr__(self, name, value)
            return
        if "_parameters" not in d:
            raise RuntimeError(f"{type(self).__name__}: call Module.__init__() before assigning attributes")
        for table in (self._parameters, self._modules, self._buffers):
            table.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def register_buffer(self, name: str, value) -> None:
        """A non-trainable array that belongs in ``state_dict`` (e.g. BatchNorm's running mean)."""
        self._buffers[name] = value
        object.__setattr__(self, name, value)

    def _set_buffer(self, name, value) -> None:
        self._buffers[name] = value
        object.__setattr__(self, name, value)

    # ------------------------------------------------------------ traversal
    def children(self):
        return iter(self._modules.values())

    def named_modules(self, prefix: str = ""):
        yield prefix, self
        for name, m in self._modules.items():
            yield from m.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_parameters(self, prefix: str = ""):
        for mod_name, m in self.named_modules(prefix):
            for name, p in m._parameters.items():
                yield (f"{mod_name}.{name}" if mod_name else name), p

    def parameters(self):
        return [p for _, p in self.named_parameters()]

    def named_buffers(self, prefix: str = ""):
        for mod_name, m in self.named_modules(prefix):
            for name, b in m._buffers.items():
                yield (f"{mod_name}.{name}" if mod_name else name), b

    # ------------------------------------------------------------ modes
    def train(self, mode: bool = True) -> "Module":
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self) -> "Module":
        return self.train(False)

    def freeze(self) -> "Module":
        """Backward computes only dL/dx from now on; parameter gradients are left untouched."""
        for m in self.modules():
            object.__setattr__(m, "frozen", True)
        return self

    def unfreeze(self) -> "Module":
        for m in self.modules():
            object.__setattr__(m, "frozen", False)
        return self

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.zero_grad()

    def _wants_grad(self, p) -> bool:
        """Whether backward should add into ``p.grad``: the layer is not frozen, ``p``
        exists (an optional bias may be None) and ``p.requires_grad``."""
        return not self.frozen and p is not None and p.requires_grad

    # ------------------------------------------------------------ dtype
    def astype(self, dtype) -> "Module":
        """Cast parameters, gradients and float buffers to ``dtype`` (float64 for gradient checks)."""
        for m in self.modules():
            for p in m._parameters.values():
                p.data = p.data.astype(dtype)
                p.grad = p.grad.astype(dtype)
            for name, b in list(m._buffers.items()):
                if b.dtype.kind == "f":
                    m._set_buffer(name, b.astype(dtype))
        return self

    def double(self) -> "Module":
        return self.astype(numpy.float64)

    def float(self) -> "Module":
        return self.astype(numpy.float32)

    @property
    def dtype(self):
        ps = self.parameters()
        return ps[0].data.dtype if ps else None

    # ------------------------------------------------------------ state
    def state_dict(self) -> "OrderedDict[str, object]":
        """Copies of every parameter and buffer, keyed like PyTorch (``"0.weight"``)."""
        out = OrderedDict()
        for mod_name, m in self.named_modules():
            for name, p in m._parameters.items():
                out[f"{mod_name}.{name}" if mod_name else name] = p.data.copy()
            for name, b in m._buffers.items():
                out[f"{mod_name}.{name}" if mod_name else name] = b.copy()
        return out

    def load_state_dict(self, state, strict: bool = True) -> None:
        """Copy arrays from ``state`` into this module (NumPy or CuPy arrays accepted: loading
        is an explicit transfer). Shapes must match; with ``strict`` the keys must match exactly."""
        if not hasattr(state, "keys") or not hasattr(state, "__getitem__"):
            raise TypeError(f"{type(self).__name__}.load_state_dict: expected a mapping of names to "
                            f"arrays (from state_dict()), got {type(state).__name__}")
        own = OrderedDict()
        for mod_name, m in self.named_modules():
            for name in list(m._parameters) + list(m._buffers):
                own[f"{mod_name}.{name}" if mod_name else name] = (m, name)
        missing = [k for k in own if k not in state]
        unexpected = [k for k in state if k not in own]
        if strict and (missing or unexpected):
            raise KeyError(f"{type(self).__name__}.load_state_dict: missing keys {missing}, "
                           f"unexpected keys {unexpected}")
        # Check every entry first, so a state that does not fit changes nothing.
        plan = []
        for key, (m, name) in own.items():
            if key not in state:
                continue
            value = state[key]
            if not hasattr(value, "shape") or not hasattr(value, "dtype") or \
                    getattr(value.dtype, "kind", "O") not in "biuf":
                raise TypeError(f"{type(self).__name__}.load_state_dict: {key!r} must be a numeric "
                                f"array, got {type(value).__name__}"
                                + (f" of dtype {value.dtype}" if hasattr(value, "dtype") else ""))
            target = m._parameters[name].data if name in m._parameters else m._buffers[name]
            if tuple(value.shape) != tuple(target.shape):
                raise ValueError(f"{type(self).__name__}.load_state_dict: {key!r} has shape "
                                 f"{tuple(value.shape)}, expected {tuple(target.shape)}")
            plan.append((m, name, value, target))
        for m, name, value, target in plan:
            xp = B.array_module(target)
            new = xp.asarray(B.to_numpy(value) if xp is numpy else value, dtype=target.dtype).copy()
            if name in m._parameters:
                m._parameters[name].data = new
            else:
                m._set_buffer(name, new)

    # ------------------------------------------------------------ calling
    def __call__(self, x):
        return self.forward(x)

    def forward(self, x):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} does not implement forward")

    def backward(self, dy):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} does not implement backward")

    # ------------------------------------------------------------ second order
    # The gradient penalty of WGAN-GP needs dP/dtheta for P = P(dD/dx): a backward pass
    # through the backward pass. Three calls after one forward (docs/math/gradient_penalty.md):
    #   g = grad_input(dy)        dL/dx, touching no parameter gradient, keeping the caches
    #   a_out, s = double_backward(a)   a = dP/dg: returns the adjoint of dy (= J a) and the
    #                             second-order term s = dP/dx through the backward pass (None
    #                             where it vanishes), and adds dP/dtheta of the backward pass
    #   backward(b)               the ordinary backward, for the part of dP/d(output) that
    #                             reaches through the forward pass (Sequential drives it)
    def grad_input(self, dy):
        raise NotImplementedError(
            f"{self._label()} has no second-order pass, so it cannot be part of a critic trained "
            f"with a gradient penalty; such a critic can contain {SECOND_ORDER_LAYERS}")

    def double_backward(self, a):
        raise NotImplementedError(
            f"{self._label()} has no second-order pass, so it cannot be part of a critic trained "
            f"with a gradient penalty; such a critic can contain {SECOND_ORDER_LAYERS}")

    def _stored_dy(self):
        dy = getattr(self, "_gi_dy", None)
        if dy is None:
            raise RuntimeError(f"{self._label()}.double_backward called before grad_input")
        return dy

    # ------------------------------------------------------------ checks
    def _backend(self) -> str | None:
        """The backend of the layer's parameters; None for a parameterless layer, which
        follows its input (it computes with the input's own array module and copies
        nothing, so a model built on one backend keeps working after ``use`` switches
        the global one)."""
        ps = self._parameters
        if ps:
            return B.backend_of(next(iter(ps.values())).data)
        return None

    def _check_input(self, x, ndim: int | tuple | None = None, dim: int | None = None,
                     size: int | None = None, what: str = "") -> None:
        """Validate the input: backend, float dtype (matching the parameters), rank and one size.

        The error names the layer, what was expected and what came.
        """
        # The layer's label is formatted only for an error: these checks run at every call.
        dtype = getattr(x, "dtype", None)
        if dtype is None or not hasattr(x, "shape"):
            raise TypeError(f"{self._label()}: expected an array, got {type(x).__name__}")
        own_backend = self._backend()
        if own_backend is not None and B.backend_of(x) != own_backend:
            B.check_same_backend(x, own_backend, self._label())
        if dtype.kind != "f":
            raise TypeError(f"{self._label()}: expected a floating-point array, got "
                            f"{type(x).__name__} with dtype {dtype}")
        ps = self._parameters
        own = next(iter(ps.values())).data.dtype if ps else None
        if own is not None and dtype != own:
            raise TypeError(f"{self._label()}: input dtype {dtype} does not match the layer's "
                            f"parameters ({own}); cast one of them explicitly (e.g. "
                            f"model.astype(x.dtype))")
        if ndim is not None:
            ok = x.ndim in ndim if isinstance(ndim, tuple) else x.ndim == ndim
            if not ok:
                raise ValueError(f"{self._label()}: expected a {ndim}-D input {what}, got shape "
                                 f"{tuple(x.shape)}")
        if dim is not None and x.shape[dim] != size:
            raise ValueError(f"{self._label()}: expected input of shape {what} with size {size} in "
                             f"dimension {dim}, got shape {tuple(x.shape)}")

    def _require_cache(self, cache):
        if cache is None:
            raise RuntimeError(f"{self._label()}.backward called before forward "
                               f"(or twice for one forward)")
        return cache

    def _check_dy(self, dy, shape, dtype, backend) -> None:
        """``dy`` must be an array of the output's shape, dtype and backend: never broadcast,
        reshaped or promoted. The error names the layer and both sides."""
        got_dtype = getattr(dy, "dtype", None)
        if got_dtype is None or not hasattr(dy, "shape"):
            raise TypeError(f"{self._label()}.backward: expected dy as an array of shape "
                            f"{tuple(shape)}, got {type(dy).__name__}")
        got = B.backend_of(dy)
        if got != backend:
            raise TypeError(f"{self._label()}.backward: dy is a {got} array but the forward pass "
                            f"ran on the {backend} backend (arrays are never copied across "
                            f"devices silently)")
        if tuple(dy.shape) != tuple(shape):
            raise ValueError(f"{self._label()}.backward: expected dy of the output's shape "
                             f"{tuple(shape)}, got {tuple(dy.shape)}")
        if got_dtype != dtype:
            raise TypeError(f"{self._label()}.backward: dy has dtype {got_dtype} but the output "
                            f"has dtype {dtype}; cast it explicitly (dy.astype({str(dtype)!r}))")

    def _take_cache(self, dy, out_shape):
        """The cache ``forward`` left in ``self._cache``, consumed by ``backward(dy)``
        (a second backward needs a new forward), after checking dy against the
        output (shape ``out_shape``, the parameters' dtype and backend)."""
        cache = self._require_cache(self._cache)
        p = next(iter(self._parameters.values())).data
        self._check_dy(dy, out_shape, p.dtype, B.backend_of(p))
        self._cache = None
        return cache

    def _label(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        if not self._modules:
            return self._label()
        lines = [f"{type(self).__name__}("]
        for name, m in self._modules.items():
            sub = repr(m).replace("\n", "\n  ")
            lines.append(f"  ({name}): {sub}")
        lines.append(")")
        return "\n".join(lines)


class Sequential(Module):
    """Layers applied in order; backward runs them in reverse."""

    def __init__(self, *layers: Module):
        super().__init__()
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(f"Sequential: item {i} is a {type(layer).__name__}, not a Module")
            setattr(self, str(i), layer)

    def __len__(self) -> int:
        return len(self._modules)

    def __getitem__(self, i) -> Module:
        return list(self._modules.values())[i]

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, layer: Module) -> "Sequential":
        setattr(self, str(len(self)), layer)
        return self

    def forward(self, x):
        for layer in self._modules.values():
            x = layer.forward(x)
        return x

    def backward(self, dy, need_dx: bool = True):
        """Backward through the layers in reverse. ``need_dx=False`` (the input is data, as
        in D's step) lets a first layer that can (Linear, Conv2d, ConvTranspose2d,
        SpectralNorm, Sequential) skip its input gradient; then None is returned."""
        layers = list(self._modules.values())
        for layer in reversed(layers[1:]):
            dy = layer.backward(dy)
        first = layers[0]
        if not need_dx and getattr(type(first), "skips_dx", False):
            return first.backward(dy, need_dx=False)
        return first.backward(dy)

    skips_dx = True

    def grad_input(self, dy):
        for layer in reversed(self._modules.values()):
            dy = layer.grad_input(dy)
        return dy

    def double_backward(self, a):
        """Second-order pass through the chain (docs/math/gradient_penalty.md): the adjoints
        a go up through each layer's tangent map (collecting each layer's terms dP/dtheta
        and second-order terms s_l), then the s_l come back down through the ordinary
        backward passes (collecting the forward path's dP/dtheta). Returns (J a, s) for
        the whole chain."""
        layers = list(self._modules.values())
        terms = []
        for layer in layers:
            a, s = layer.double_backward(a)
            terms.append(s)
        b = None                     # dP/d(input of layer i), through the forward pass
        for i in reversed(range(len(layers))):
            s = terms[i]
            if s is not None:
                b = s if b is None else b + s
            if i > 0 and b is not None:
                b = layers[i - 1].backward(b)
        return a, b


@contextmanager
def frozen(module: Module):
    """Temporarily freeze ``module`` (restores each submodule's previous state)."""
    before = [(m, m.frozen) for m in module.modules()]
    module.freeze()
    try:
        yield module
    finally:
        for m, f in before:
            object.__setattr__(m, "frozen", f)
