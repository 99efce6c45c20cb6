"""What a module holds: parameters, buffers and submodules, under PyTorch's names.

Registration (assigning a Parameter or a Module to an attribute), traversal
(``named_parameters`` yields ("0.weight", p)), modes (train/eval, freeze), dtype
casts and the state dict. The backward protocol built on it: module.py.
"""
from __future__ import annotations

from collections import OrderedDict

import numpy

from .parameter import Parameter
from .state import load_state, state_of


class Tree:
    def __init__(self):
        for name, value in (("_parameters", OrderedDict()), ("_buffers", OrderedDict()),
                            ("_modules", OrderedDict()), ("training", True), ("frozen", False)):
            object.__setattr__(self, name, value)

    # ------------------------------------------------------------ registration
    def __setattr__(self, name, value):
        d = self.__dict__
        # Fast path for the per-step caches (self._cache = ...): private names that
        # hold neither a Parameter nor a Module need no registration.
        if name[0] == "_" and "_parameters" in d and not isinstance(value, (Parameter, Tree)) \
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
        elif isinstance(value, Tree):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def register_buffer(self, name: str, value) -> None:
        """A non-trainable array that belongs in ``state_dict`` (e.g. BatchNorm's running mean)."""
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
    def train(self, mode: bool = True) -> "Tree":
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self) -> "Tree":
        return self.train(False)

    def freeze(self) -> "Tree":
        """Backward computes only dL/dx from now on; parameter gradients are left untouched."""
        for m in self.modules():
            object.__setattr__(m, "frozen", True)
        return self

    def unfreeze(self) -> "Tree":
        for m in self.modules():
            object.__setattr__(m, "frozen", False)
        return self

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.zero_grad()

    # ------------------------------------------------------------ dtype and state
    def astype(self, dtype) -> "Tree":
        """Cast parameters, gradients and float buffers to ``dtype`` (float64 for gradient checks)."""
        for m in self.modules():
            for p in m._parameters.values():
                p.data = p.data.astype(dtype)
                p.grad = p.grad.astype(dtype)
            for name, b in list(m._buffers.items()):
                if b.dtype.kind == "f":
                    m.register_buffer(name, b.astype(dtype))
        return self

    def double(self) -> "Tree":
        return self.astype(numpy.float64)

    def float(self) -> "Tree":
        return self.astype(numpy.float32)

    @property
    def dtype(self):
        ps = self.parameters()
        return ps[0].data.dtype if ps else None

    def state_dict(self) -> "OrderedDict[str, object]":
        """Copies of every parameter and buffer, keyed like PyTorch (``"0.weight"``)."""
        return state_of(self)

    def load_state_dict(self, state, strict: bool = True) -> None:
        """Copy arrays from ``state`` into this module (NumPy or CuPy arrays accepted: loading
        is an explicit transfer). Shapes must match; with ``strict`` the keys must match exactly."""
        load_state(self, state, strict)

    # ------------------------------------------------------------ text
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
