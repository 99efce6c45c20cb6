"""``cupy.ElementwiseKernel`` (and ``cupy.ReductionKernel``, below) on the fake: the CUDA body
is parsed and *executed*.

    k = cupy.ElementwiseKernel("T x, T slope", "T y", "y = x > 0 ? x : x * slope", "leaky")
    y = k(x, 0.2)                 # one launch, counted as "kernel:leaky"

CuPy's rules, from its documentation of ElementwiseKernel:

- parameters are ``[raw] TYPE name``; TYPE is a dtype name (``float32``, ``int32``, ...)
  or a type placeholder (``T``) bound by the arguments' dtypes, and usable in the body;
- non-raw arguments are broadcast together (to the outputs' shape when outputs are
  given) and seen element by element; a raw one is indexed by a linear index;
  ``i`` is the element's index and ``_ind.size()`` the number of elements;
- outputs not passed are allocated with the broadcast shape; the call returns the
  output (a tuple of them when there are several); ``size=`` sets the number of
  elements of a kernel with no non-raw argument.

Stricter than CuPy where that catches a bug early: an array whose dtype differs
from its parameter's fixed type is refused instead of cast; host (NumPy) arrays
are refused. The body runs in tests/fakecupy/cuda_c.py; syntax the interpreter
cannot read raises ``cupy.cuda.compiler.CompileException`` at the first call,
as NVRTC's errors surface in CuPy.
"""
from __future__ import annotations

import numpy

from . import cuda_c
from .devarray import counters, mixed, ndarray, new


class CompileException(Exception):
    """CuPy's ``cupy.cuda.compiler.CompileException``: the kernel did not compile."""


def _params(text: str, where: str) -> list:
    """'T x, raw float32 w' -> [(name, type word, raw)]."""
    out = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        words = part.split()
        raw = words[0] == "raw"
        words = words[1:] if raw else words
        if len(words) != 2:
            raise CompileException(f"{where}: cannot read the parameter {part!r}")
        out.append((words[1], words[0], raw))
    return out


def _fixed(word):
    """The dtype a parameter type names (float32, int32, float, ...), or None for a
    placeholder (any other word: T, X, ...)."""
    t = cuda_c.C_TYPES.get(word)
    return None if t is None else numpy.dtype(t)


def _bind_types(where, params, args):
    """Placeholder -> dtype, from the array arguments (then the scalars)."""
    bound = {}
    for (name, word, _), a in zip(params, args):
        if type(a) is ndarray and _fixed(word) is None:
            if word in bound and bound[word] != a._a.dtype:
                raise TypeError(f"{where}: type is mismatched: {word} is bound to "
                                f"{bound[word]} and {a._a.dtype} ({name})")
            bound[word] = a._a.dtype
    for (_, word, _), a in zip(params, args):
        if a is not None and type(a) is not ndarray and _fixed(word) is None \
                and word not in bound:
            bound[word] = numpy.asarray(a).dtype
    return bound


def _parse(cache: dict, src: str, where: str, typedefs: dict):
    """The parsed program of ``src`` for these type bindings (cached in ``cache``); syntax the
    interpreter cannot read is CuPy's CompileException, as NVRTC's errors surface."""
    key = (src, tuple(sorted((k, str(v)) for k, v in typedefs.items())))
    if key not in cache:
        try:
            cache[key] = cuda_c.Parser(src, where, typedefs).program()
        except cuda_c.CompileError as exc:
            raise CompileException(str(exc)) from None
    return cache[key]


def _run(lanes, program) -> None:
    try:
        lanes.run(program)
    except cuda_c.CompileError as exc:
        raise CompileException(str(exc)) from None


def _write_back(a, lanes, name: str, shape) -> None:
    """Output ``a`` takes the values of ``name`` in the lanes that assigned it only, as on a
    GPU (the other elements keep what they held)."""
    n = lanes.n
    value = numpy.broadcast_to(lanes.lookup(name)[1], (n,))
    done = lanes.written[name]
    if a._a.flags.c_contiguous:
        a._a.reshape(-1)[done] = value[done]
    else:
        a._a[...] = numpy.where(done, value, a._a.reshape(-1)).reshape(shape)


class ElementwiseKernel:
    def __init__(self, in_params, out_params, operation, name="kernel", reduce_dims=True,
                 preamble="", no_return=False, return_tuple=False, loop_prep="",
                 after_loop="", **kwargs):
        if preamble or loop_prep or after_loop:
            raise NotImplementedError("fakecupy.ElementwiseKernel: preamble, loop_prep and "
                                      "after_loop are not simulated")
        self.name = name
        self.where = f"ElementwiseKernel {name!r}"
        self.in_params = _params(in_params, self.where)
        self.out_params = _params(out_params, self.where)
        self.operation = operation
        self.no_return, self.return_tuple = no_return, return_tuple
        names = [p[0] for p in self.in_params + self.out_params]
        if len(set(names)) != len(names):
            raise CompileException(f"{self.where}: a parameter name is used twice: {names}")
        self._ast = {}

    def _types(self, args):
        return _bind_types(self.where, self.in_params + self.out_params, args)

    def _shape(self, full, size):
        """The element-wise shape: the broadcast of the non-raw arrays (or ``size``)."""
        params, n_in = self.in_params + self.out_params, len(self.in_params)
        shapes = [a._a.shape for (_, _, raw), a in zip(params, full)
                  if not raw and type(a) is ndarray]
        out_shapes = [a._a.shape for (_, _, raw), a in zip(self.out_params, full[n_in:])
                      if not raw and type(a) is ndarray]
        if not shapes:
            if size is None:
                raise ValueError(f"{self.where}: loop size is undecided (no non-raw array "
                                 f"argument; pass size=)")
            return (int(size),)
        shape = numpy.broadcast_shapes(*shapes)
        if out_shapes and any(s != shape for s in out_shapes):
            raise ValueError(f"{self.where}: the outputs' shape {out_shapes[0]} is not the "
                             f"broadcast shape {shape} of the arguments")
        if size is not None and size != int(numpy.prod(shape)):
            raise ValueError(f"{self.where}: size={size} but the arrays have {shape}")
        return shape

    def _program(self, typedefs):
        # CuPy's generated loop writes the operation followed by ";"
        return _parse(self._ast, self.operation + ";", self.where, typedefs)

    def _bind(self, lanes, name, t, a, raw, is_out, shape):
        """Make argument ``a`` of parameter ``name`` (dtype ``t``) visible to the body."""
        if type(a) is not ndarray:                     # a Python or NumPy scalar
            if raw:
                raise TypeError(f"{self.where}: raw parameter {name} needs an array")
            lanes.declare(name, t, numpy.asarray(a).astype(t))
            return
        if a._a.dtype != t:
            raise TypeError(f"{self.where}: {name} is {a._a.dtype}, the kernel takes {t}")
        if not raw:
            lanes.declare(name, t, numpy.broadcast_to(a._a, shape).reshape(-1))
            return
        flat = a._a.reshape(-1) if is_out else a._a.reshape(-1).copy()
        if is_out and not numpy.shares_memory(flat, a._a):
            raise ValueError(f"{self.where}: raw output {name} must be contiguous")
        lanes.raw[name] = cuda_c.Raw(flat, name)

    def __call__(self, *args, size=None, block_size=None, stream=None):
        n_in, n_out = len(self.in_params), len(self.out_params)
        if len(args) not in (n_in, n_in + n_out):
            raise TypeError(f"{self.where}: wrong number of arguments: expected {n_in} or "
                            f"{n_in + n_out}, got {len(args)}")
        for a in args:
            if isinstance(a, numpy.ndarray):
                raise mixed(self.where, a)
        full = list(args) + ([] if len(args) == n_in + n_out else [None] * n_out)
        bound = self._types(full)
        params = self.in_params + self.out_params
        shape = self._shape(full, size)
        n = int(numpy.prod(shape))
        program = self._program({w: bound[w] for (_, w, _) in params
                                 if _fixed(w) is None and w in bound})
        lanes = cuda_c.Lanes(n, self.where)
        lanes.declare("i", numpy.int64, numpy.arange(n, dtype=numpy.int64))
        outs = []
        for k, ((name, word, raw), a) in enumerate(zip(params, full)):
            t = _fixed(word) or bound.get(word)
            if t is None:
                raise TypeError(f"{self.where}: cannot tell the type {word} of {name}")
            if a is None:                              # an output to allocate
                a = new(numpy.empty(shape, dtype=t), self.where)
            self._bind(lanes, name, t, a, raw, k >= n_in, shape)
            if k >= n_in:
                outs.append((name, a, raw))
                lanes.written[name] = numpy.zeros(n, bool)
        _run(lanes, program)
        for name, a, raw in outs:
            if not raw:
                _write_back(a, lanes, name, shape)
        counters.launch(f"kernel:{self.name}")
        if self.no_return:
            return None
        res = [a for _, a, _ in outs]
        return tuple(res) if (len(res) > 1 or self.return_tuple) else res[0]


# ---------------------------------------------------------------- ReductionKernel

# the reduce expressions the fake understands, as the NumPy reductions that compute them
# (CUDA's max and min of floats are fmaxf and fminf: a NaN operand is dropped)
_REDUCERS = {"a+b": numpy.add, "max(a,b)": numpy.fmax, "min(a,b)": numpy.fmin}


class ReductionKernel:
    """``cupy.ReductionKernel`` on the fake: one launch, as on a GPU.

        k = cupy.ReductionKernel("T x, T y", "T z", "x * y", "a + b", "z = a", "0", "dot")
        z = k(x, y, axis=(0, 2, 3))        # sum over those axes of x * y

    CuPy's rules, from its documentation: the inputs (non-raw) are broadcast together;
    ``map_expr`` is evaluated per element; the mapped values are reduced over ``axis``
    (all axes when None) with ``reduce_expr`` of ``a`` and ``b`` starting from
    ``identity``; ``post_map_expr`` then runs once per output element with ``a`` the
    reduced value and may use ``_in_ind.size()`` / ``_out_ind.size()``; values are held in
    ``reduce_type`` (default: the first output's type), named ``_type_reduce`` in the
    expressions. The output is passed positionally
    after the inputs or as ``out=``, or allocated.

    The fake runs the map with the CUDA C interpreter, lays the mapped values out in the
    memory order of the first full-shape input (as the NumPy twin's element-wise product
    is laid out) and reduces them with NumPy's reduction, so a sum here is the twin's sum
    bit for bit; a GPU's tree reduction sums in another order (float rounding). Only
    ``a + b``, ``max(a, b)`` and ``min(a, b)`` are simulated, and raw inputs are not."""

    def __init__(self, in_params, out_params, map_expr, reduce_expr, post_map_expr, identity,
                 name="reduce_kernel", reduce_type=None, reduce_dims=True, preamble="",
                 options=()):
        self.name = name
        self.where = f"ReductionKernel {name!r}"
        if preamble:
            raise NotImplementedError(f"fakecupy.{self.where}: preamble is not simulated")
        self.in_params = _params(in_params, self.where)
        self.out_params = _params(out_params, self.where)
        if any(raw for _, _, raw in self.in_params + self.out_params):
            raise NotImplementedError(f"fakecupy.{self.where}: raw parameters are not simulated")
        key = reduce_expr.replace(" ", "")
        if key not in _REDUCERS:
            raise NotImplementedError(f"fakecupy.{self.where}: reduce_expr {reduce_expr!r} is not "
                                      f"simulated (only {', '.join(_REDUCERS)})")
        self.reducer = _REDUCERS[key]
        if self.reducer is numpy.add and float(cuda_c.parse_number(identity.strip(), self.where)) != 0:
            # a GPU starts every thread's and block's partial sum from the identity
            raise ValueError(f"{self.where}: the identity of a + b must be 0, got {identity!r} "
                             f"(CuPy starts each partial sum from it)")
        self.map_expr, self.post_map_expr = map_expr, post_map_expr
        self.identity, self.reduce_type = identity, reduce_type
        names = [p[0] for p in self.in_params + self.out_params]
        if len(set(names)) != len(names) or {"a", "b"} & set(names):
            raise CompileException(f"{self.where}: parameter names must be distinct and not a or "
                                   f"b: {names}")
        self._ast = {}

    def _outputs(self, args, out):
        """The outputs passed (positionally after the inputs, or out=), or Nones."""
        n_in, n_out = len(self.in_params), len(self.out_params)
        if len(args) not in (n_in, n_in + n_out):
            raise TypeError(f"{self.where}: wrong number of arguments: expected {n_in} or "
                            f"{n_in + n_out}, got {len(args)}")
        outs = list(args[n_in:])
        if out is not None:
            if n_out != 1 or outs:
                raise ValueError(f"{self.where}: out= is for one output not also passed "
                                 f"positionally")
            outs = [out]
        for a in list(args) + outs:
            if isinstance(a, numpy.ndarray):
                raise mixed(self.where, a)
        return outs or [None] * n_out

    def _map(self, ins, bound, typedefs, shape, rt):
        """The mapped values, laid out as the first full-shape input."""
        n = int(numpy.prod(shape))
        lanes = cuda_c.Lanes(n, self.where)
        for (name, w, _), a in zip(self.in_params, ins):
            t = _fixed(w) or bound.get(w)
            if type(a) is ndarray:
                if a._a.dtype != t:
                    raise TypeError(f"{self.where}: {name} is {a._a.dtype}, the kernel takes {t}")
                lanes.declare(name, t, numpy.broadcast_to(a._a, shape).reshape(-1))
            else:
                lanes.declare(name, t, numpy.asarray(a).astype(t))
        lanes.declare("_mapped", rt)
        _run(lanes, _parse(self._ast, f"_mapped = ({self.map_expr});", self.where, typedefs))
        like = next((a._a for a in ins if type(a) is ndarray and a._a.shape == shape), None)
        mapped = numpy.empty_like(like, dtype=rt) if like is not None else numpy.empty(shape, rt)
        mapped[...] = numpy.broadcast_to(lanes.lookup("_mapped")[1], (n,)).reshape(shape)
        return mapped

    def _post(self, reduced, outs, bound, typedefs, n_in_elements, out_shape, rt):
        """Run post_map_expr per output element and write the outputs."""
        m = max(1, int(numpy.prod(out_shape)))
        post = cuda_c.Lanes(m, self.where)
        post.sizes.update(_in_ind=n_in_elements, _out_ind=int(numpy.prod(out_shape)))
        post.declare("a", rt, numpy.asarray(reduced, rt).reshape(-1))
        results = []
        for (name, w, _), o in zip(self.out_params, outs):
            t = _fixed(w) or bound.get(w)
            if t is None:
                raise TypeError(f"{self.where}: cannot tell the type {w} of {name}")
            if o is None:
                o = new(numpy.empty(out_shape, dtype=t), self.where)
            elif o._a.shape != out_shape or o._a.dtype != t:
                raise ValueError(f"{self.where}: output {name} is {o._a.dtype} {o._a.shape}, "
                                 f"expected {t} {out_shape}")
            post.declare(name, t)
            post.written[name] = numpy.zeros(m, bool)
            results.append((name, o))
        _run(post, _parse(self._ast, self.post_map_expr + ";", self.where, typedefs))
        for name, o in results:
            _write_back(o, post, name, out_shape)
        return [o for _, o in results]

    def __call__(self, *args, out=None, axis=None, keepdims=False, stream=None):
        n_in = len(self.in_params)
        ins, outs = list(args[:n_in]), self._outputs(args, out)
        bound = _bind_types(self.where, self.in_params + self.out_params, ins + outs)
        typedefs = {w: bound[w] for (_, w, _) in self.in_params + self.out_params
                    if _fixed(w) is None and w in bound}
        arrays = [a for a in ins if type(a) is ndarray]
        if not arrays:
            raise ValueError(f"{self.where}: no input array to reduce")
        shape = numpy.broadcast_shapes(*(a._a.shape for a in arrays))
        axes = tuple(range(len(shape))) if axis is None else \
            tuple(sorted(int(k) % len(shape) for k in ((axis,) if numpy.ndim(axis) == 0 else axis)))
        out_shape = tuple(1 if k in axes else d for k, d in enumerate(shape)) if keepdims \
            else tuple(d for k, d in enumerate(shape) if k not in axes)
        word = self.reduce_type or self.out_params[0][1]
        rt = _fixed(word) or bound.get(word)
        if rt is None:
            raise TypeError(f"{self.where}: cannot tell the reduce type {word}")
        typedefs["_type_reduce"] = rt           # CuPy's name for it in the expressions
        mapped = self._map(ins, bound, typedefs, shape, rt)
        # NumPy's reduction (a max or min from the identity; a sum's identity is 0)
        start = cuda_c.as_type(cuda_c.parse_number(self.identity.strip(), self.where), rt)
        kw = {} if self.reducer is numpy.add else {"initial": start}
        with numpy.errstate(all="ignore"):
            reduced = self.reducer.reduce(mapped, axis=axes, dtype=rt, keepdims=keepdims, **kw)
        res = self._post(reduced, outs, bound, typedefs, mapped.size, out_shape, rt)
        counters.launch(f"kernel:{self.name}")
        return res[0] if len(res) == 1 else tuple(res)
