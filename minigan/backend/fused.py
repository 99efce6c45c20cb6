"""Fused kernels: one CUDA kernel on CuPy, the NumPy expression it replaces elsewhere.

A GPU step of a small GAN is bound by kernel launches (each costs CuPy 15-25 us of
host time, whatever its size), and a chain such as LeakyReLU's backward
``(y > 0).astype(...) * (1 - s) + s`` then ``* dy`` is four of them. An
:class:`Elementwise` is such a chain written twice, side by side:

    leaky_backward = Elementwise(
        "leaky_relu_backward",
        "T dy, T y, T slope", "T dx",
        "dx = y > 0 ? dy : dy * slope",                 # CUDA C: ONE kernel on CuPy
        lambda xp, dy, y, slope: ...)                   # the NumPy twin: the readable reference
    dx = leaky_backward(dy, y, 0.2)

- On NumPy it calls the twin (asking for fusion on NumPy changes nothing).
- On CuPy (and the tests' fake CuPy) it launches ``cupy.ElementwiseKernel(in_params,
  out_params, body, name)`` once; CuPy compiles it with NVRTC on first use for each
  dtype and caches it. The fake executes the body itself (tests/fakecupy/cuda_c.py).
- A :class:`Reduction` is the same for a map-then-reduce, such as batch norm's
  ``sum((x - mu)^2)`` over all axes but the channel: CuPy's ``ReductionKernel``, one
  launch where the array operations are a subtraction, a square and a sum.
- ``fusion(False)`` (or ``MINIGAN_FUSION=0``) makes CuPy run the twin too, op by op:
  the way to tell whether a difference comes from a kernel.

The twin gets the array module first, then the kernel's arguments (inputs, and the
outputs when the caller passes them, to be written in place), and returns the
outputs. Bodies are written to compute what the twin computes in the same order
and the same precision, so the fake's run is bit-identical to NumPy's; a real
GPU's compiler contracts ``a * b + c`` into one rounding (FMA), so on a GPU the
two agree to float rounding. How to read a kernel beside its twin: docs/backends.md.
"""
from __future__ import annotations

import os

import numpy

from .select import array_module

ENV_VAR = "MINIGAN_FUSION"
_state = {"on": os.environ.get(ENV_VAR, "1").strip().lower() not in ("0", "false", "off", "no")}
_registry: dict = {}


class KernelCompileError(RuntimeError):
    """A fused kernel's CUDA body did not compile; the message names the op."""


def fusion(enabled: bool | None = None) -> bool:
    """Whether CuPy runs the fused kernels (default on; ``MINIGAN_FUSION=0`` turns it off).
    With ``enabled`` given, set it and return the previous value. NumPy ignores it."""
    old = _state["on"]
    if enabled is not None:
        _state["on"] = bool(enabled)
    return old


def kernels() -> dict:
    """Every fused kernel defined so far: name -> :class:`Elementwise` or :class:`Reduction`."""
    return dict(_registry)


def runs_kernels(xp) -> bool:
    """Whether a fused op launches its kernel on array module ``xp`` (a GPU's, fusion on),
    rather than calling its NumPy twin."""
    return xp is not numpy and _state["on"]


def _register(name: str, kernel) -> None:
    if name in _registry:
        raise ValueError(f"fused kernel {name!r} is defined twice")
    _registry[name] = kernel


def _launch(name: str, kernel, args, kwargs):
    """``kernel(*args, **kwargs)``, a compile failure reported as the op's."""
    try:
        return kernel(*args, **kwargs)
    except Exception as exc:
        if type(exc).__name__ == "CompileException":
            raise KernelCompileError(
                f"fused kernel {name!r} did not compile ({exc}); run with "
                f"{ENV_VAR}=0 to use the unfused array operations instead") from exc
        raise


class Elementwise:
    """One element-wise kernel and its NumPy twin (see the module docstring).

    ``in_params`` / ``out_params``: CuPy's parameter lists ("T x, float32 a, raw T w");
    ``body``: the CUDA C statements, run once per element (``i`` its index);
    ``twin(xp, *args)``: the same computation with array operations;
    ``like``: the input whose memory order the outputs take (default: the first input of
    the full shape), the one the twin's result follows.
    """

    def __init__(self, name: str, in_params: str, out_params: str, body: str, twin,
                 like: str | None = None):
        self.name, self.in_params, self.out_params, self.body = name, in_params, out_params, body
        self.twin = twin
        self.ins, self.outs = _params(in_params), _params(out_params)
        self.n_in = len(self.ins)
        self.like = None if like is None else [name for _, _, name in self.ins].index(like)
        self._kernels: dict = {}            # id(array module) -> its ElementwiseKernel
        _register(name, self)

    def __repr__(self):
        return f"Elementwise({self.name!r}: {self.in_params} -> {self.out_params})"

    def __call__(self, *args, **twin_only):
        """Run on ``args`` (inputs, then optionally the outputs to write in place).
        Keyword arguments go to the twin alone (e.g. a work array the NumPy path reuses)."""
        xp = _module_of(args)
        if not runs_kernels(xp):
            return self.twin(xp, *args, **twin_only)
        kernel = self._kernels.get(id(xp))
        if kernel is None:
            kernel = xp.ElementwiseKernel(self.in_params, self.out_params, self.body,
                                          "minigan_" + self.name)
            self._kernels[id(xp)] = kernel
        if len(args) == self.n_in:
            args = args + self._outputs(xp, args)
        return _launch(self.name, kernel, args, {})

    def _outputs(self, xp, args):
        """The outputs, allocated in the memory order of the first argument of the full
        shape (as NumPy's ufuncs allocate, order 'K'), where CuPy would allocate C order:
        then a fused step leaves the same layouts as its twin, so later reductions walk
        memory alike, and a channel-last activation stays channel-last for the next conv."""
        arrays = [(a, word) for a, (word, raw, _) in zip(args, self.ins)
                  if not raw and _is_array(a)]
        shape = numpy.broadcast_shapes(*(a.shape for a, _ in arrays))
        like = next((a for a, _ in arrays if a.shape == shape), None) if self.like is None \
            else args[self.like]
        bound = {word: a.dtype for a, word in reversed(arrays)}
        for a, (word, raw, _) in zip(args, self.ins):    # placeholders only scalars bind
            if word not in _DTYPES and word not in bound and not raw:
                bound[word] = numpy.asarray(a).dtype
        outs = []
        for word, _, _ in self.outs:
            dtype = _DTYPES.get(word) or bound[word]
            outs.append(xp.empty_like(like, dtype=dtype) if like is not None
                        else xp.empty(shape, dtype=dtype))
        return tuple(outs)


class Reduction:
    """One reduction kernel and its NumPy twin: CuPy's ``ReductionKernel``.

        sum_dy_xhat = Reduction(
            "sum_product", "T xhat, T dy", "T s",
            "dy * xhat", "a + b", "s = a", "0",        # map, reduce, post-map, identity
            lambda xp, xhat, dy, axis=None, out=None: ...)   # the NumPy twin
        dgamma = sum_dy_xhat(xhat, dy, axis=(0, 2, 3))

    On CuPy (fusion on) one kernel maps every element of the broadcast inputs, reduces the
    mapped values over ``axis`` with ``reduce`` (``a`` and ``b`` two partial results)
    starting from ``identity``, and writes each output element by ``post`` (``a`` the
    reduced value; ``_in_ind.size() / _out_ind.size()`` the number of values each output
    reduced). Elsewhere the twin runs: ``twin(xp, *inputs, axis=, out=, **twin_only)``.
    ``out``: the array to write the (one) output into.

    float16 inputs run the twin on every backend: a kernel would reduce in ``T`` (half)
    itself, where NumPy's and CuPy's own sums of half arrays accumulate in float.

    The twin sums as NumPy does, in the memory order of its intermediate array; the fake
    CuPy sums the mapped values laid out as the first full-shape input. So the first input
    is the one whose memory order the twin's intermediate follows, and on the fake the two
    are bit-identical. A GPU's tree reduction sums in another order: there they agree to
    rounding.
    """

    def __init__(self, name: str, in_params: str, out_params: str, map_expr: str,
                 reduce_expr: str, post_map_expr: str, identity: str, twin):
        self.name, self.in_params, self.out_params = name, in_params, out_params
        self.map_expr, self.reduce_expr, self.post_map_expr = map_expr, reduce_expr, post_map_expr
        self.identity, self.twin = identity, twin
        self._kernels: dict = {}            # id(array module) -> its ReductionKernel
        _register(name, self)

    def __repr__(self):
        return f"Reduction({self.name!r}: {self.in_params} -> {self.out_params})"

    def __call__(self, *args, axis=None, out=None, **twin_only):
        xp = _module_of(args)
        if not runs_kernels(xp) or any(_is_array(a) and a.dtype == numpy.float16 for a in args):
            return self.twin(xp, *args, axis=axis, out=out, **twin_only)
        kernel = self._kernels.get(id(xp))
        if kernel is None:
            kernel = xp.ReductionKernel(self.in_params, self.out_params, self.map_expr,
                                        self.reduce_expr, self.post_map_expr, self.identity,
                                        "minigan_" + self.name)
            self._kernels[id(xp)] = kernel
        kw = {"axis": axis} if out is None else {"axis": axis, "out": out}
        return _launch(self.name, kernel, args, kw)


# the fixed parameter types the kernels use (any other word is a type placeholder)
_DTYPES = {"bool": numpy.dtype(bool), "int32": numpy.dtype(numpy.int32),
           "int64": numpy.dtype(numpy.int64), "float32": numpy.dtype(numpy.float32),
           "float64": numpy.dtype(numpy.float64)}


def _params(text: str) -> list:
    """CuPy's parameter list -> [(type word, raw, name)]."""
    out = []
    for part in (p.split() for p in text.split(",") if p.strip()):
        raw = part[0] == "raw"
        out.append((part[1] if raw else part[0], raw, part[-1]))
    return out


def _is_array(a) -> bool:
    """An array of some backend (not a Python or NumPy scalar)."""
    return hasattr(a, "shape") and hasattr(a, "dtype") and not isinstance(a, numpy.generic)


def _module_of(args):
    for a in args:
        if _is_array(a):
            return array_module(a)
    return numpy
