"""The fake device array: a wrapper around a NumPy array that follows CuPy's rules.

It is *not* a NumPy array (no subclass), so NumPy refuses it the way it refuses
a CuPy array:

- ``numpy.asarray(x)``, ``numpy.savez(..., x)``, matplotlib: ``TypeError``
  (CuPy's own message: implicit conversion to a NumPy array is not allowed);
- a ``numpy.*`` function or ufunc given one: ``TypeError`` (stricter than CuPy,
  which dispatches NEP-18 calls to itself: minigan code must use ``xp``);
- arithmetic mixing it with a NumPy array: ``TypeError`` (CuPy: "Unsupported type");
- only ``x.get()`` / ``asnumpy(x)`` copy to the host, and they count as syncs;
- reductions and integer indexing give 0-d device arrays, never host scalars.

Methods and keyword arguments are those of the real ``cupy.ndarray``
(``api_snapshot.json``): ``x.max(initial=0)`` is a ``TypeError`` as on CuPy.
"""
from __future__ import annotations

import numpy

from . import snapshot
from .counters import counters

_NP = numpy.ndarray
IMPLICIT = ("Implicit conversion to a NumPy array is not allowed. "
            "Please use `.get()` to construct a NumPy array explicitly.")

# Results of NumPy functions that are Python bools but 0-d arrays on CuPy.
BOOL_RESULTS = {"allclose", "array_equal", "array_equiv"}


def check_dtype(dtype, where: str) -> None:
    """CuPy holds booleans, integers, floats up to 64 bits and complex up to 128 bits."""
    dt = numpy.dtype(dtype)
    if dt.kind not in "biufc" or (dt.kind == "f" and dt.itemsize > 8) or \
            (dt.kind == "c" and dt.itemsize > 16):
        raise ValueError(f"Unsupported dtype {dt} ({where}): CuPy arrays hold only bool, "
                         f"integer, float16/32/64 and complex64/128 data")


def mixed(where: str, value) -> TypeError:
    return TypeError(f"Unsupported type {type(value)}: {where} mixes a host (NumPy) array with "
                     f"device arrays; move it explicitly with cupy.asarray(x) (fakecupy)")


def unwrap(v, where: str):
    """The NumPy array inside a fake array; host arrays are refused; lists and tuples recurse."""
    t = type(v)
    if t is ndarray:
        return v._a
    if t is list or t is tuple:
        return t(unwrap(e, where) for e in v)
    if isinstance(v, _NP):
        raise mixed(where, v)
    return v


def unwrap_kwargs(kwargs: dict, where: str) -> dict:
    return {k: unwrap(v, where) for k, v in kwargs.items()} if kwargs else kwargs


def wrap(r, where: str = ""):
    """NumPy results -> fake arrays; NumPy scalars -> 0-d fake arrays; others unchanged."""
    if type(r) is _NP:
        return new(r, where)
    if isinstance(r, numpy.generic):
        return new(numpy.asarray(r), where)
    if type(r) is tuple:
        return tuple(wrap(e, where) for e in r)
    if type(r) is list:
        return [wrap(e, where) for e in r]
    if isinstance(r, _NP):          # e.g. a MaskedArray or matrix: CuPy has neither
        raise TypeError(f"{where}: NumPy returned a {type(r).__name__}, which CuPy does not have")
    return r


def new(a, where: str = "") -> "ndarray":
    check_dtype(a.dtype, where)
    x = object.__new__(ndarray)
    x._a = a
    return x


def root(a):
    """The array that owns ``a``'s memory (a itself when it owns it)."""
    while isinstance(a.base, _NP):
        a = a.base
    return a


def count(op: str, result, inputs, out_given: bool) -> None:
    """One launch for an operation that wrote device memory; none for a pure view, nor for
    one that handed back an input itself (``astype`` to its own dtype with ``copy=False``)."""
    if not out_given and type(result) is _NP and any(result is a for a in inputs):
        return
    if not out_given and type(result) is _NP and result.base is not None:
        r = root(result)
        for a in inputs:
            if type(a) is _NP and root(a) is r:
                return
    counters.launch(op)


def check_call(owner: str, name: str, sig, nargs: int, kwargs) -> None:
    """TypeError for a keyword argument (or too many positional ones) the real CuPy rejects."""
    if sig is None:
        return
    params = sig["params"]
    if not sig["varkw"]:
        for k in kwargs:
            if k not in params:
                raise TypeError(f"{owner}.{name}() got an unexpected keyword argument {k!r} "
                                f"(CuPy {snapshot.version()} accepts {params})")
    if not sig["varargs"] and nargs > len(params):
        raise TypeError(f"{owner}.{name}() takes at most {len(params)} positional arguments "
                        f"({nargs} given)")


def call(owner: str, name: str, fn, args, kwargs, sig, launches: bool = True, self_array=None):
    """Check the call against CuPy's signature, run the NumPy twin on unwrapped arrays,
    count the launch and wrap the result."""
    check_call(owner, name, sig, len(args), kwargs)
    where = f"{owner}.{name}"
    a = unwrap(args, where)
    kw = unwrap_kwargs(kwargs, where)
    r = fn(*a, **kw)
    out = kwargs.get("out") if kwargs else None
    if launches:
        inputs = [v for v in a if type(v) is _NP]
        if self_array is not None:
            inputs.append(self_array)
        count(name, r, inputs, out is not None)
    if out is not None and type(out) is ndarray and r is out._a:
        return out
    if name in BOOL_RESULTS and isinstance(r, bool):
        return new(numpy.asarray(r))
    return wrap(r, where)


def _basic_index(idx) -> bool:
    items = idx if type(idx) is tuple else (idx,)
    return all(type(i) in (int, slice) or i is None or i is Ellipsis or
               isinstance(i, numpy.integer) for i in items)


class ndarray:
    """Device array of the fake CuPy (see the module docstring)."""

    __slots__ = ("_a", "__weakref__")
    __hash__ = None

    def __init__(self, shape, dtype=float, memptr=None, strides=None, order="C"):
        if memptr is not None or strides is not None:
            raise NotImplementedError("fakecupy.ndarray: memptr and strides are not simulated")
        check_dtype(dtype, "cupy.ndarray")
        self._a = numpy.empty(shape, dtype=dtype, order=order)

    # ------------------------------------------------------------ NumPy must refuse us
    def __array__(self, dtype=None, copy=None):
        raise TypeError(IMPLICIT)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        # NumPy calls this for ``numpy_scalar * x`` (CuPy computes it: so do we) and for
        # ``numpy.exp(x)`` or ``host_array + x`` (refused).
        if method == "__call__" and not kwargs and len(inputs) == 2 and \
                all(type(i) is ndarray or isinstance(i, numpy.generic) for i in inputs):
            counters.launch(ufunc.__name__)
            return wrap(ufunc(*(unwrap(i, ufunc.__name__) for i in inputs)))
        host = [i for i in inputs if isinstance(i, _NP)]
        if host:
            raise mixed(f"numpy.{ufunc.__name__}", host[0])
        raise TypeError(f"numpy.{ufunc.__name__} was given a device array: use the backend's "
                        f"array module (xp.{ufunc.__name__}) on device arrays (fakecupy)")

    def __array_function__(self, func, types, args, kwargs):
        raise TypeError(f"numpy.{func.__name__} was given a device array: use the backend's "
                        f"array module (xp.{func.__name__}) on device arrays, or move the data "
                        f"to the host explicitly with .get() / cupy.asnumpy() (fakecupy)")

    # ------------------------------------------------------------ attributes
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    strides = property(lambda self: self._a.strides)
    nbytes = property(lambda self: self._a.nbytes)
    itemsize = property(lambda self: self._a.itemsize)
    T = property(lambda self: new(self._a.T))
    mT = property(lambda self: new(numpy.swapaxes(self._a, -1, -2)))
    real = property(lambda self: new(self._a.real))
    imag = property(lambda self: new(self._a.imag))

    @property
    def flags(self):
        return Flags(self._a.flags)

    @property
    def base(self):
        b = self._a.base
        return new(b) if isinstance(b, _NP) else None

    @property
    def device(self):
        from .namespace import cuda
        return cuda.Device(0)

    # ------------------------------------------------------------ host <-> device
    def get(self, stream=None, order="C", out=None, blocking=True):
        counters.sync("ndarray.get()")
        if out is not None:
            if not isinstance(out, _NP):
                raise TypeError("ndarray.get(out=...) must be a numpy.ndarray")
            out[...] = self._a
            return out
        return numpy.array(self._a, order=order, copy=True)

    def set(self, arr, stream=None):
        if not isinstance(arr, _NP):
            raise TypeError(f"ndarray.set() takes a numpy.ndarray, got {type(arr)}")
        if arr.shape != self._a.shape:
            raise ValueError(f"Shape mismatch. Old shape: {self._a.shape}, new shape: {arr.shape}")
        counters.transfer("ndarray.set")
        self._a[...] = arr

    def item(self):
        counters.sync("ndarray.item()")
        return self._a.item()

    def tolist(self):
        counters.sync("ndarray.tolist()")
        return self._a.tolist()

    def __float__(self):
        counters.sync("float(x)")
        return float(self._a)

    def __int__(self):
        counters.sync("int(x)")
        return int(self._a)

    def __complex__(self):
        counters.sync("complex(x)")
        return complex(self._a)

    def __bool__(self):
        counters.sync("bool(x)")
        return bool(self._a)

    def __index__(self):
        counters.sync("operator.index(x)")
        return self._a.__index__()

    def __repr__(self):
        counters.sync("repr(x)")
        return repr(self._a).replace("array(", "array(", 1)

    def __str__(self):
        counters.sync("str(x)")
        return str(self._a)

    def __format__(self, spec):
        counters.sync("format(x)")
        return format(self._a, spec) if self._a.ndim == 0 else str(self._a)

    # ------------------------------------------------------------ containers
    def __len__(self):
        return len(self._a)

    def __iter__(self):
        if self._a.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(self._a.shape[0]))

    def __getitem__(self, idx):
        i = unwrap(idx, "ndarray.__getitem__")
        if _basic_index(i):
            # An appended Ellipsis makes NumPy return a 0-d *view* where it would give a
            # scalar: CuPy's integer indexing gives a 0-d device array sharing memory.
            if Ellipsis not in (i if type(i) is tuple else (i,)):
                i = (i if type(i) is tuple else (i,)) + (Ellipsis,)
            return new(self._a[i])
        r = self._a[i]
        counters.launch("getitem")
        return wrap(r)

    def __setitem__(self, idx, value):
        self._a[unwrap(idx, "ndarray.__setitem__")] = unwrap(value, "ndarray.__setitem__")
        counters.launch("setitem")

    def __copy__(self):
        return self.copy()

    def __deepcopy__(self, memo):
        return self.copy()


class Flags:
    """``x.flags``: c_contiguous, f_contiguous, owndata (read-only)."""

    __slots__ = ("_f",)

    def __init__(self, f):
        self._f = f

    c_contiguous = property(lambda self: bool(self._f.c_contiguous))
    f_contiguous = property(lambda self: bool(self._f.f_contiguous))
    owndata = property(lambda self: bool(self._f.owndata))

    def __getitem__(self, name):
        return {"C_CONTIGUOUS": self.c_contiguous, "F_CONTIGUOUS": self.f_contiguous,
                "OWNDATA": self.owndata}[name]


# ---------------------------------------------------------------- operators

_BINARY = {
    "add": numpy.add, "sub": numpy.subtract, "mul": numpy.multiply, "truediv": numpy.true_divide,
    "floordiv": numpy.floor_divide, "mod": numpy.remainder, "pow": numpy.power,
    "matmul": numpy.matmul, "and": numpy.bitwise_and, "or": numpy.bitwise_or,
    "xor": numpy.bitwise_xor, "lshift": numpy.left_shift, "rshift": numpy.right_shift,
}
_COMPARE = {"lt": numpy.less, "le": numpy.less_equal, "gt": numpy.greater,
            "ge": numpy.greater_equal, "eq": numpy.equal, "ne": numpy.not_equal}
_UNARY = {"neg": numpy.negative, "pos": numpy.positive, "abs": numpy.absolute,
          "invert": numpy.invert}


def _operand(v, op):
    t = type(v)
    if t is ndarray:
        return v._a
    if isinstance(v, _NP):
        raise mixed(f"ndarray.__{op}__", v)
    if t in (int, float, complex, bool) or isinstance(v, numpy.generic):
        return v
    return NotImplemented


def _make_binary(op, ufunc):
    def forward(self, other):
        o = _operand(other, op)
        if o is NotImplemented:
            return NotImplemented
        counters.launch(op)
        return wrap(ufunc(self._a, o))

    def reflected(self, other):
        o = _operand(other, op)
        if o is NotImplemented:
            return NotImplemented
        counters.launch(op)
        return wrap(ufunc(o, self._a))

    def inplace(self, other):
        o = _operand(other, op)
        if o is NotImplemented:
            return NotImplemented
        counters.launch(op)
        ufunc(self._a, o, out=self._a)
        return self
    return forward, reflected, inplace


for _op, _uf in _BINARY.items():
    _f, _r, _i = _make_binary(_op, _uf)
    setattr(ndarray, f"__{_op}__", _f)
    setattr(ndarray, f"__r{_op}__", _r)
    setattr(ndarray, f"__i{_op}__", _i)
for _op, _uf in _COMPARE.items():
    setattr(ndarray, f"__{_op}__", _make_binary(_op, _uf)[0])
for _op, _uf in _UNARY.items():
    def _unary(self, _uf=_uf, _op=_op):
        counters.launch(_op)
        return wrap(_uf(self._a))
    setattr(ndarray, f"__{_op}__", _unary)


# ---------------------------------------------------------------- methods from the snapshot

def _make_method(name, sig):
    def method(self, *args, **kwargs):
        return call("ndarray", name, getattr(self._a, name), args, kwargs, sig,
                    self_array=self._a)
    method.__name__ = name
    method.__qualname__ = f"ndarray.{name}"
    return method


def _install_methods() -> None:
    for name, entry in snapshot.class_names("cupy.ndarray").items():
        if name.startswith("_") or entry["kind"] != "method" or name in ndarray.__dict__:
            continue
        if hasattr(_NP, name):
            setattr(ndarray, name, _make_method(name, entry.get("signature")))


_install_methods()
