"""nn.Module: the state around the pure ops, and the backward protocol written once.

A :class:`Module` owns :class:`Parameter` objects and buffers. ``backward(dy)``
returns dL/dx and *adds* dL/dparam into ``p.grad`` (gradients accumulate as in
PyTorch until ``zero_grad``).

A layer writes only its math, in up to three methods that call the pure ops:

    _forward(x) -> (y, cache)               check x, run the op's *_forward
    _backward(dy, cache, need_dx) -> dx     run the op's *_backward; self._accumulate(p, dp)
    _double_backward(a, dy, cache) -> (J a, s)   the second-order pass (optional)

and Module does the bookkeeping around them, the same for every layer: it keeps
the cache between forward and backward, checks ``dy`` against the output (shape,
dtype, backend: never broadcast or promoted), consumes the cache (a second
backward needs a new forward), skips parameter gradients of a frozen layer
(``_accumulate`` adds nothing, ``_trains`` says so before any GEMM is spent), and
implements ``grad_input`` and ``double_backward`` on top of the layer's methods
(docs/math/gradient_penalty.md). A layer that defines ``_double_backward`` can be
part of a critic trained with a gradient penalty; ``second_order`` says so, and the
list in the error messages is derived from the classes.

Freezing (``module.freeze()`` or ``with frozen(module):``) makes ``backward``
compute only the input gradient: the generator step of a GAN backpropagates
*through* D without training it.
"""
from __future__ import annotations

from .. import backend as B
from .parameter import Parameter
from .tree import Tree


def second_order_layers() -> str:
    """The public layers with a second-order pass, as text for error messages."""
    from . import public_layers          # the layer modules import this one: ask at call time
    names = [cls.__name__ for cls in public_layers() if cls.second_order]
    return ", ".join(names[:-1]) + " and " + names[-1]


class Module(Tree):
    """Base class of every layer and model: the tree of parameters (tree.py) and the
    backward protocol."""

    #: whether grad_input / double_backward work (set from _double_backward for each class)
    second_order = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "second_order" not in cls.__dict__:
            # a layer's own _double_backward, or a container's double_backward (inherited
            # by its subclasses: a model built as a Sequential)
            cls.second_order = (cls._double_backward is not Module._double_backward
                                or cls.double_backward is not Module.double_backward)

    def __init__(self):
        super().__init__()
        for name, value in (("_cache", None), ("_out", None), ("_gi_dy", None),
                            ("_first_order_only", False)):
            object.__setattr__(self, name, value)

    # ------------------------------------------------------------ the backward protocol
    def __call__(self, x):
        return self.forward(x)

    def forward(self, x):
        """y = layer(x); keeps what backward needs (the layer's ``_forward`` cache)."""
        y, cache = self._forward(x)
        # Plain per-step state: written to the instance dict directly, past the registering
        # __setattr__ (these run for every layer at every pass).
        d = self.__dict__
        d["_cache"], d["_out"], d["_gi_dy"] = cache, (y.shape, y.dtype, B.backend_of(y)), None
        return y

    def backward(self, dy, need_dx: bool = True):
        """dL/dx for dy = dL/dy, adding dL/dparam into each parameter's ``grad``.
        ``need_dx=False`` (the input is data, as in D's step) lets the layer skip its
        input gradient where that saves work; None is returned then."""
        cache = self._cache_for(dy, "backward")
        if self._gi_dy is None:
            self.__dict__["_cache"] = None
        # else: inside a second-order pass (grad_input ran since the forward) the cache stays:
        # a container nested in a critic runs its layers' backward in its own sweep and again
        # in the sweep of the chain around it (docs/math/gradient_penalty.md, "Chains");
        # the next forward replaces it
        dx = self._backward(dy, cache, need_dx)
        return dx if need_dx else None

    # The gradient penalty of WGAN-GP needs dP/dtheta for P = P(dD/dx): a backward pass
    # through the backward pass. Three calls after one forward (docs/math/gradient_penalty.md):
    #   g = grad_input(dy)        dL/dx, touching no parameter gradient, keeping the cache
    #   a_out, s = double_backward(a)   a = dP/dg: returns the adjoint of dy (= J a) and the
    #                             second-order term s = dP/dx through the backward pass (None
    #                             where it vanishes), and adds dP/dtheta of the backward pass
    #   backward(b)               the ordinary backward, for the part of dP/d(output) that
    #                             reaches through the forward pass (Sequential drives it)
    def grad_input(self, dy):
        """dL/dx for dy without touching any parameter gradient; the cache stays for
        :meth:`double_backward`."""
        self._require_second_order()
        cache = self._cache_for(dy, "grad_input")
        self._gi_dy = dy
        self._first_order_only = True
        try:
            return self._backward(dy, cache, True)
        finally:
            self._first_order_only = False

    def double_backward(self, a):
        """(J a, s) for a = dP/d(grad_input's result); adds dP/dparam (see above)."""
        self._require_second_order()
        cache = self._require_cache(self._cache, "double_backward")
        if self._gi_dy is None:
            raise RuntimeError(f"{self._label()}.double_backward called before grad_input")
        return self._double_backward(a, self._gi_dy, cache)

    def _forward(self, x):
        raise NotImplementedError(f"{type(self).__name__} does not implement _forward (or forward)")

    def _backward(self, dy, cache, need_dx):
        raise NotImplementedError(f"{type(self).__name__} does not implement _backward (or backward)")

    def _double_backward(self, a, dy, cache):  # a class that defines this has second_order
        raise NotImplementedError

    def _no_second_order_reason(self) -> str | None:
        """Why this layer can never have a second-order pass (batch norm says why); None
        for a layer that simply has none."""
        return None

    def _require_second_order(self) -> None:
        if type(self).second_order:
            return
        reason = self._no_second_order_reason()
        if reason is not None:
            raise ValueError(reason)
        raise NotImplementedError(
            f"{self._label()} has no second-order pass, so it cannot be part of a critic "
            f"trained with a gradient penalty; such a critic can contain {second_order_layers()}")

    # ------------------------------------------------------------ gradients
    def _wants_grad(self, p) -> bool:
        """Whether backward should add into ``p.grad``: the layer is not frozen, not inside
        grad_input, ``p`` exists (an optional bias may be None) and ``p.requires_grad``."""
        return not (self.frozen or self._first_order_only) and p is not None and p.requires_grad

    def _trains(self) -> bool:
        """Whether any parameter gradient is wanted now (so whether to spend its GEMMs)."""
        if self.frozen or self._first_order_only:
            return False
        for p in self._parameters.values():
            if p.requires_grad:
                return True
        return False

    def _accumulate(self, p, g) -> None:
        """p.grad += g, where the gradient is wanted (``g`` None: nothing computed; ``g`` the
        buffer :meth:`_grad_out` handed out: already written in place)."""
        if g is not None and self._wants_grad(p) and g is not p._grad:
            p.grad += g

    def _grad_out(self, p):
        """Where an op may write ``p``'s gradient directly: ``p.grad`` when the gradient is
        wanted and known to be zero (Parameter.fresh_grad), else None (compute, then add)."""
        if p is None or not self._wants_grad(p):
            return None
        return p.fresh_grad()

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

    def _require_cache(self, cache, what: str = "backward"):
        if cache is None:
            raise RuntimeError(f"{self._label()}.{what} called before forward "
                               f"(or twice for one forward)")
        return cache

    def _cache_for(self, dy, what: str):
        """The forward's cache, after checking that ``dy`` is an array of the output's shape,
        dtype and backend: never broadcast, reshaped or promoted."""
        cache = self._require_cache(self._cache, what)
        shape, dtype, backend = self._out
        got_dtype = getattr(dy, "dtype", None)
        if got_dtype is None or not hasattr(dy, "shape"):
            raise TypeError(f"{self._label()}.{what}: expected dy as an array of shape "
                            f"{tuple(shape)}, got {type(dy).__name__}")
        got = B.backend_of(dy)
        if got != backend:
            raise TypeError(f"{self._label()}.{what}: dy is a {got} array but the forward pass "
                            f"ran on the {backend} backend (arrays are never copied across "
                            f"devices silently)")
        if tuple(dy.shape) != tuple(shape):
            raise ValueError(f"{self._label()}.{what}: expected dy of the output's shape "
                             f"{tuple(shape)}, got {tuple(dy.shape)}")
        if got_dtype != dtype:
            raise TypeError(f"{self._label()}.{what}: dy has dtype {got_dtype} but the output "
                            f"has dtype {dtype}; cast it explicitly (dy.astype({str(dtype)!r}))")
        return cache

    @classmethod
    def examples(cls) -> list:
        """Small float64-ready instances for the gradient checks and the bad-input tests:
        a list of :class:`~minigan.nn.examples.Example` (every public layer has some)."""
        return []


__all__ = ["Module", "Parameter", "second_order_layers"]
