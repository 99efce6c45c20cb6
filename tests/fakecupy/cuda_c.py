"""A small interpreter of the CUDA C that element-wise kernel bodies are written in.

The fake cannot compile CUDA, yet minigan's fused kernels (``cupy.ElementwiseKernel``
bodies) must be *run* somewhere before a GPU ever sees them. This module executes
such a body on NumPy arrays, every lane (element) at once, as a GPU's threads
would (SIMT): a branch taken by some lanes runs under a mask, a loop runs until
no lane wants another turn, ``&&``, ``||`` and ``?:`` evaluate their right side only
in the lanes that reach it, as C does.

The C is the subset kernel bodies need, with C's own rules:

- statements: blocks, declarations (``int k = i % W;``, ``const T a = ...;``),
  assignments (``=``, ``+=``, ``-=``, ``*=``, ``/=``, ``++``, ``--``), ``if``/``else``, ``for``;
- expressions: arithmetic, comparisons, ``&&``, ``||``, ``!``, ``?:``, casts ``(float)x``,
  calls of CUDA's math functions (``exp``, ``log1p``, ``tanh``, ``sqrt``, ``max``, ...),
  raw-array reads and writes ``x[k]``, ``x.size()``, ``_ind.size()`` (a reduction's
  ``_in_ind.size()`` and ``_out_ind.size()``), the lane index ``i``;
- types: the usual arithmetic conversions (``x * 0.2`` is a double, ``x * 0.2f`` a
  float), integer division and ``%`` truncating towards zero, casts truncating.

Faults a GPU would hide are errors here: a raw read or write outside the array,
an integer division by zero, two lanes writing the same raw element (a race),
reading a variable before it is set. Unsupported syntax is a :class:`CompileError`
naming the kernel and the token, as NVRTC would refuse it.
"""
from __future__ import annotations

import re

import numpy

# C's types (and CuPy's typedefs) -> NumPy dtypes
C_TYPES = {"bool": numpy.bool_, "char": numpy.int8, "short": numpy.int16, "int": numpy.int32,
           "unsigned": numpy.uint32, "long": numpy.int64, "size_t": numpy.uint64,
           "ptrdiff_t": numpy.int64, "float": numpy.float32, "double": numpy.float64,
           "half": numpy.float16, "float16": numpy.float16, "float32": numpy.float32,
           "float64": numpy.float64, "int8": numpy.int8, "int16": numpy.int16,
           "int32": numpy.int32, "int64": numpy.int64, "uint8": numpy.uint8,
           "uint32": numpy.uint32, "uint64": numpy.uint64}
QUALIFIERS = {"const", "volatile", "__restrict__"}


class CompileError(Exception):
    """The body is not C this interpreter (or NVRTC) accepts."""


class KernelFault(RuntimeError):
    """The body did something that on a GPU is undefined or a silent corruption."""


_TOKEN = re.compile(r"""
    (?P<ws>\s+|//[^\n]*|/\*.*?\*/)
  | (?P<num>(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?[fFuUlL]*)
  | (?P<id>[A-Za-z_]\w*)
  | (?P<op>\+\+|--|\+=|-=|\*=|/=|%=|&&|\|\||==|!=|<=|>=|[-+*/%<>=!?:;,()\[\]{}.&])
""", re.S | re.X)


def tokenize(src: str, where: str) -> list:
    out, pos = [], 0
    while pos < len(src):
        m = _TOKEN.match(src, pos)
        if not m:
            raise CompileError(f"{where}: cannot read {src[pos:pos + 20]!r}")
        pos = m.end()
        if m.lastgroup != "ws":
            out.append((m.lastgroup, m.group()))
    out.append(("end", ""))
    return out


# ---------------------------------------------------------------- parsing

class Parser:
    """Recursive descent over the tokens; produces nested tuples (the AST)."""

    def __init__(self, src: str, where: str, type_names: dict):
        self.t, self.k, self.where = tokenize(src, where), 0, where
        self.types = dict(C_TYPES, **type_names)

    def peek(self, off=0):
        return self.t[min(self.k + off, len(self.t) - 1)]

    def next(self):
        tok = self.t[self.k]
        self.k += 1
        return tok

    def expect(self, text):
        kind, val = self.next()
        if val != text:
            raise CompileError(f"{self.where}: expected {text!r}, found {val or 'the end'!r}")

    def accept(self, text) -> bool:
        if self.peek()[1] == text:
            self.k += 1
            return True
        return False

    def is_type(self, off=0) -> bool:
        kind, val = self.peek(off)
        return kind == "id" and (val in self.types or val in QUALIFIERS)

    def parse_type(self):
        words = []
        while self.is_type():
            words.append(self.next()[1])
        words = [w for w in words if w not in QUALIFIERS]
        if not words:
            raise CompileError(f"{self.where}: expected a type, found {self.peek()[1]!r}")
        if words[-1] == "int" and len(words) > 1:      # long int, unsigned int, long long int
            words = words[:-1]
        if words == ["long", "long"]:
            return numpy.dtype(numpy.int64)
        if words == ["unsigned", "long"] or words == ["unsigned", "long", "long"]:
            return numpy.dtype(numpy.uint64)
        if len(words) != 1:
            raise CompileError(f"{self.where}: unsupported type {' '.join(words)!r}")
        return numpy.dtype(self.types[words[0]])

    # statements
    def program(self):
        body = []
        while self.peek()[0] != "end":
            body.append(self.statement())
        return ("block", body)

    def statement(self):
        kind, val = self.peek()
        if val == "{":
            self.next()
            body = []
            while not self.accept("}"):
                if self.peek()[0] == "end":
                    raise CompileError(f"{self.where}: missing '}}'")
                body.append(self.statement())
            return ("block", body)
        if val == ";":
            self.next()
            return ("block", [])
        if val == "if":
            self.next()
            self.expect("(")
            cond = self.expr()
            self.expect(")")
            then = self.statement()
            other = self.statement() if self.accept("else") else ("block", [])
            return ("if", cond, then, other)
        if val == "for":
            self.next()
            self.expect("(")
            init = self.decl() if self.is_type() else (("expr", self.expr()) if self.peek()[1] != ";"
                                                        else ("block", []))
            self.expect(";")
            cond = self.expr() if self.peek()[1] != ";" else ("num", numpy.bool_(True))
            self.expect(";")
            step = ("expr", self.expr()) if self.peek()[1] != ")" else ("block", [])
            self.expect(")")
            return ("for", init, cond, step, self.statement())
        if val in ("while", "do", "break", "continue", "return", "goto", "switch"):
            raise CompileError(f"{self.where}: {val!r} is not supported in a fused kernel body "
                               f"(write the loop as a for with a bound)")
        if self.is_type():
            d = self.decl()
            self.expect(";")
            return d
        e = self.expr()
        self.expect(";")
        return ("expr", e)

    def decl(self):
        dtype = self.parse_type()
        items = []
        while True:
            kind, name = self.next()
            if kind != "id":
                raise CompileError(f"{self.where}: expected a variable name, found {name!r}")
            items.append((name, self.assignment() if self.accept("=") else None))
            if not self.accept(","):
                return ("decl", dtype, items)

    # expressions, lowest precedence first
    def expr(self):
        e = self.assignment()
        if self.peek()[1] == ",":
            raise CompileError(f"{self.where}: the comma operator is not supported")
        return e

    def assignment(self):
        left = self.ternary()
        op = self.peek()[1]
        if op in ("=", "+=", "-=", "*=", "/=", "%="):
            if left[0] not in ("var", "index"):
                raise CompileError(f"{self.where}: cannot assign to that expression")
            self.next()
            return ("assign", op, left, self.assignment())
        return left

    def ternary(self):
        cond = self.binary(0)
        if self.accept("?"):
            a = self.assignment()
            self.expect(":")
            b = self.assignment()
            return ("ternary", cond, a, b)
        return cond

    LEVELS = (("||",), ("&&",), ("==", "!="), ("<", "<=", ">", ">="), ("+", "-"), ("*", "/", "%"))

    def binary(self, level):
        if level == len(self.LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while self.peek()[1] in self.LEVELS[level] and self.peek()[0] == "op":
            op = self.next()[1]
            left = ("bin", op, left, self.binary(level + 1))
        return left

    def unary(self):
        kind, val = self.peek()
        if val in ("-", "+", "!"):
            self.next()
            return ("unary", val, self.unary())
        if val in ("++", "--"):
            self.next()
            target = self.unary()
            return ("assign", "+=" if val == "++" else "-=", target, ("num", numpy.int32(1)))
        if val == "(" and self.is_type(1):
            self.next()
            dtype = self.parse_type()
            self.expect(")")
            return ("cast", dtype, self.unary())
        if val == "&":
            raise CompileError(f"{self.where}: pointers (&) are not supported")
        return self.postfix()

    def postfix(self):
        e = self.primary()
        while True:
            val = self.peek()[1]
            if val == "[":
                self.next()
                idx = self.expr()
                self.expect("]")
                if e[0] != "var":
                    raise CompileError(f"{self.where}: only a raw array can be indexed")
                e = ("index", e[1], idx)
            elif val == "(":
                if e[0] != "var":
                    raise CompileError(f"{self.where}: only functions can be called")
                self.next()
                args = []
                if not self.accept(")"):
                    while True:
                        args.append(self.assignment())
                        if self.accept(")"):
                            break
                        self.expect(",")
                e = ("call", e[1], args)
            elif val == ".":
                self.next()
                kind, member = self.next()
                self.expect("(")
                self.expect(")")
                if e[0] != "var" or member != "size":
                    raise CompileError(f"{self.where}: only .size() is supported, got .{member}")
                e = ("size", e[1])
            elif val in ("++", "--"):
                self.next()
                e = ("postinc", "+=" if val == "++" else "-=", e)
            else:
                return e

    def primary(self):
        kind, val = self.next()
        if kind == "num":
            return ("num", parse_number(val, self.where))
        if kind == "id":
            if val in ("true", "false"):
                return ("num", numpy.bool_(val == "true"))
            return ("var", val)
        if val == "(":
            e = self.expr()
            self.expect(")")
            return e
        raise CompileError(f"{self.where}: unexpected {val or 'end of the body'!r}")


def parse_number(text: str, where: str):
    body = text.rstrip("fFuUlL")
    suffix = text[len(body):].lower()
    if "." in body or "e" in body.lower():
        if "u" in suffix:
            raise CompileError(f"{where}: bad number {text!r}")
        return numpy.float32(body) if "f" in suffix else numpy.float64(body)
    if "f" in suffix:
        raise CompileError(f"{where}: bad number {text!r} (an integer with an f suffix)")
    v = int(body)
    if "u" in suffix:
        return numpy.uint64(v) if "l" in suffix else numpy.uint32(v)
    return numpy.int64(v) if "l" in suffix or v > 2**31 - 1 else numpy.int32(v)


# ---------------------------------------------------------------- C's arithmetic

_INT_RANK = {numpy.dtype(t): r for t, r in ((numpy.bool_, 0), (numpy.int8, 1), (numpy.uint8, 1),
                                             (numpy.int16, 2), (numpy.uint16, 2),
                                             (numpy.int32, 3), (numpy.uint32, 3),
                                             (numpy.int64, 4), (numpy.uint64, 4))}


def promote(a, b):
    """C's usual arithmetic conversions of two operand types."""
    a, b = numpy.dtype(a), numpy.dtype(b)
    for f in (numpy.float64, numpy.float32, numpy.float16):
        if a == f or b == f:
            return numpy.dtype(f)
    # integer promotion: everything below int becomes int
    a = a if _INT_RANK[a] >= 3 else numpy.dtype(numpy.int32)
    b = b if _INT_RANK[b] >= 3 else numpy.dtype(numpy.int32)
    if a == b:
        return a
    ra, rb = _INT_RANK[a], _INT_RANK[b]
    if ra != rb:
        return a if ra > rb else b         # int64 holds every uint32; uint64 wins over int64
    return a if a.kind == "u" else b       # same rank: the unsigned one


def as_type(v, dtype):
    v = numpy.asarray(v)
    return v if v.dtype == dtype else v.astype(dtype)


_MATH = {
    # name: (NumPy function, arity, fixed result type or None = the promoted float type)
    "exp": (numpy.exp, 1, None), "expf": (numpy.exp, 1, numpy.float32),
    "log": (numpy.log, 1, None), "logf": (numpy.log, 1, numpy.float32),
    "log1p": (numpy.log1p, 1, None), "log1pf": (numpy.log1p, 1, numpy.float32),
    "expm1": (numpy.expm1, 1, None), "expm1f": (numpy.expm1, 1, numpy.float32),
    "sqrt": (numpy.sqrt, 1, None), "sqrtf": (numpy.sqrt, 1, numpy.float32),
    "rsqrt": (lambda x: 1 / numpy.sqrt(x), 1, None),
    "rsqrtf": (lambda x: 1 / numpy.sqrt(x), 1, numpy.float32),
    "tanh": (numpy.tanh, 1, None), "tanhf": (numpy.tanh, 1, numpy.float32),
    "fabs": (numpy.abs, 1, None), "fabsf": (numpy.abs, 1, numpy.float32),
    "floor": (numpy.floor, 1, None), "ceil": (numpy.ceil, 1, None),
    "pow": (numpy.power, 2, None), "powf": (numpy.power, 2, numpy.float32),
    "fmax": (numpy.fmax, 2, None), "fmaxf": (numpy.fmax, 2, numpy.float32),
    "fmin": (numpy.fmin, 2, None), "fminf": (numpy.fmin, 2, numpy.float32),
    "copysign": (numpy.copysign, 2, None),
}
# CUDA's max/min of floats are fmaxf/fminf: a NaN operand is dropped (NumPy's maximum
# keeps it), so the fake computes what the GPU does, and a body that needs NumPy's NaN
# behaviour must say so with a select.
_GENERIC = {"max": numpy.fmax, "min": numpy.fmin, "abs": numpy.abs}
_PREDICATES = {"isfinite": numpy.isfinite, "isnan": numpy.isnan, "isinf": numpy.isinf,
               "signbit": numpy.signbit}


# ---------------------------------------------------------------- execution

class Raw:
    """A raw array argument: indexed by a linear (C-order) index, not broadcast."""

    def __init__(self, flat, name):
        self.flat, self.name = flat, name


class Lanes:
    """Executes one parsed body over ``n`` lanes."""

    def __init__(self, n: int, where: str):
        self.n, self.where = n, where
        self.scopes: list = [{}]           # name -> [dtype, value] ; values (n,) or 0-d
        self.raw: dict = {}
        self.written: dict = {}            # name -> lanes that assigned it (outputs' write-back)
        self.sizes = {"_ind": n}            # the index objects whose .size() a body may ask

    # variables
    def lookup(self, name):
        for s in reversed(self.scopes):
            if name in s:
                return s[name]
        raise CompileError(f"{self.where}: {name!r} is not declared")

    def declare(self, name, dtype, value=None):
        if name in self.scopes[-1]:
            raise CompileError(f"{self.where}: {name!r} is declared twice in one scope")
        self.scopes[-1][name] = [numpy.dtype(dtype), value]

    def set(self, name, value, mask):
        slot = self.lookup(name)
        new = as_type(value, slot[0])
        if mask is True and len(slot) > 2:
            del slot[2]                   # set in every lane now
        if name in self.written:
            self.written[name] = self.written[name] | (numpy.ones(self.n, bool) if mask is True
                                                       else mask)
        if mask is not True:
            old = slot[1]
            if old is None:               # first set inside a branch: undefined elsewhere
                new = numpy.where(mask, new, numpy.zeros((), slot[0]))
                slot.append(mask)         # remember where it is defined
            else:
                new = numpy.where(mask, new, old)
                if len(slot) > 2:
                    slot[2] = slot[2] | mask
        slot[1] = new

    # statements
    def run(self, node, mask=True):
        kind = node[0]
        if kind == "block":
            self.scopes.append({})
            for s in node[1]:
                self.run(s, mask)
            self.scopes.pop()
        elif kind == "decl":
            for name, init in node[2]:
                self.declare(name, node[1])
                if init is not None:
                    self.set(name, self.eval(init, mask), mask)
        elif kind == "expr":
            self.eval(node[1], mask)
        elif kind == "if":
            c = self.truth(self.eval(node[1], mask))
            self.run_masked(node[2], self.and_mask(mask, c))
            self.run_masked(node[3], self.and_mask(mask, ~c))
        elif kind == "for":
            self.scopes.append({})
            self.run(node[1], mask)
            for _ in range(1 << 24):
                c = self.and_mask(mask, self.truth(self.eval(node[2], mask)))
                if c is False or (c is not True and not c.any()):
                    break
                self.run(node[4], c)
                self.run(node[3], c)
                mask = c
            else:
                raise KernelFault(f"{self.where}: a for loop ran 2**24 turns")
            self.scopes.pop()
        else:
            raise CompileError(f"{self.where}: cannot run {kind}")

    def run_masked(self, node, mask):
        if mask is False or (mask is not True and not mask.any()):
            return
        self.run(node, mask)

    def truth(self, v):
        v = numpy.asarray(v)
        b = v if v.dtype == numpy.bool_ else v != 0
        if b.ndim == 0:
            b = numpy.full(self.n, bool(b))
        return b

    @staticmethod
    def and_mask(mask, c):
        return c if mask is True else mask & c

    # expressions
    def eval(self, e, mask):
        return getattr(self, "e_" + e[0])(e, mask)

    def e_num(self, e, mask):
        return numpy.asarray(e[1])

    def e_var(self, e, mask):
        if e[1] in self.raw:
            raise CompileError(f"{self.where}: raw array {e[1]!r} used without an index")
        slot = self.lookup(e[1])
        if slot[1] is None:
            raise KernelFault(f"{self.where}: {e[1]!r} is read before it is set")
        if len(slot) > 2 and mask is not True and (mask & ~slot[2]).any():
            raise KernelFault(f"{self.where}: {e[1]!r} is read in lanes where it was never set")
        return slot[1]

    def e_index(self, e, mask):
        return self.read(e[1], self.eval(e[2], mask), mask)

    def e_size(self, e, mask):
        if e[1] in self.sizes:
            return numpy.asarray(numpy.int64(self.sizes[e[1]]))
        if e[1] not in self.raw:
            raise CompileError(f"{self.where}: {e[1]!r}.size(): not a raw array")
        return numpy.asarray(numpy.int64(self.raw[e[1]].flat.size))

    def e_cast(self, e, mask):
        return as_type(self.eval(e[2], mask), e[1])

    def e_unary(self, e, mask):
        v = self.eval(e[2], mask)
        if e[1] == "!":
            return ~(v != 0) if v.dtype != numpy.bool_ else ~v
        t = promote(v.dtype, v.dtype)
        return -as_type(v, t) if e[1] == "-" else as_type(v, t)

    def e_bin(self, e, mask):
        return self.binop(e[1], e[2], e[3], mask)

    def e_ternary(self, e, mask):
        c = self.truth(self.eval(e[1], mask))
        a = self.eval(e[2], self.and_mask(mask, c)) if c.any() else None
        b = self.eval(e[3], self.and_mask(mask, ~c)) if (~c).any() else None
        if a is None or b is None:
            return b if a is None else a
        t = promote(a.dtype, b.dtype)
        return numpy.where(c, as_type(a, t), as_type(b, t))

    def e_call(self, e, mask):
        return self.call(e[1], [self.eval(a, mask) for a in e[2]])

    def e_assign(self, e, mask):
        return self.assign(e[1], e[2], self.eval(e[3], mask), mask)

    def e_postinc(self, e, mask):
        old = self.eval(e[2], mask)
        self.assign(e[1], e[2], numpy.asarray(numpy.int32(1)), mask)
        return old

    def binop(self, op, left, right, mask):
        a = self.eval(left, mask)
        if op in ("&&", "||"):
            ca = self.truth(a)
            reach = ca if op == "&&" else ~ca
            if not reach.any():
                return ca
            cb = self.truth(self.eval(right, self.and_mask(mask, reach)))
            return ca & cb if op == "&&" else ca | cb
        b = self.eval(right, mask)
        if op in "+-*/%":
            return self._combine(op, a, b, mask)
        t = promote(a.dtype, b.dtype)
        a, b = as_type(a, t), as_type(b, t)
        with numpy.errstate(all="ignore"):
            return {"==": numpy.equal, "!=": numpy.not_equal, "<": numpy.less,
                    "<=": numpy.less_equal, ">": numpy.greater,
                    ">=": numpy.greater_equal}[op](a, b)

    def int_divide(self, op, a, b, mask):
        zero = b == 0
        if zero.any():
            live = zero if mask is True else (numpy.broadcast_to(zero, (self.n,)) & mask)
            if numpy.any(live):
                raise KernelFault(f"{self.where}: integer division by zero")
            b = numpy.where(zero, numpy.ones((), b.dtype), b)
        r = numpy.fmod(a, b)                      # C: the remainder has the dividend's sign
        if op == "%":
            return r
        return ((a - r) // b).astype(a.dtype)    # exact, so truncation towards zero

    def call(self, name, args):
        if name in _MATH:
            fn, arity, fixed = _MATH[name]
            self.arity(name, args, arity)
            if fixed is None and any(a.dtype.kind != "f" for a in args):
                raise CompileError(f"{self.where}: {name}() of an integer is ambiguous in CUDA "
                                   f"C++ (cast it: {name}((T)k))")
            t = numpy.dtype(fixed or (promote(args[0].dtype, args[1].dtype) if arity == 2
                                      else args[0].dtype))
            if t.kind != "f":
                t = numpy.dtype(numpy.float64)
            with numpy.errstate(all="ignore"):
                return as_type(fn(*(as_type(a, t) for a in args)), t)
        if name in _GENERIC:
            fn = _GENERIC[name]
            self.arity(name, args, 1 if name == "abs" else 2)
            if name != "abs" and args[0].dtype != args[1].dtype:
                raise CompileError(f"{self.where}: {name}({args[0].dtype}, {args[1].dtype}) is "
                                   f"ambiguous in CUDA C++: give both arguments one type, e.g. "
                                   f"{name}(x, (T)0)")
            t = args[0].dtype
            return as_type(fn(*(as_type(a, t) for a in args)), t)
        if name in _PREDICATES:
            self.arity(name, args, 1)
            return _PREDICATES[name](args[0])
        raise CompileError(f"{self.where}: unknown function {name}()")

    def arity(self, name, args, n):
        if len(args) != n:
            raise CompileError(f"{self.where}: {name}() takes {n} argument(s), got {len(args)}")

    # raw arrays
    def live_index(self, name, idx, mask, writing: bool):
        arr = self.raw[name].flat
        if idx.dtype.kind not in "iub":
            raise CompileError(f"{self.where}: {name}[...] indexed with a {idx.dtype} value")
        idx = numpy.broadcast_to(idx.astype(numpy.int64), (self.n,))
        live = numpy.ones(self.n, bool) if mask is True else mask
        bad = live & ((idx < 0) | (idx >= arr.size))
        if bad.any():
            lane = int(numpy.flatnonzero(bad)[0])
            raise KernelFault(f"{self.where}: lane {lane} {'writes' if writing else 'reads'} "
                              f"{name}[{int(idx[lane])}] outside 0..{arr.size - 1}")
        return numpy.where(live, idx, 0), live

    def read(self, name, idx, mask):
        if name not in self.raw:
            raise CompileError(f"{self.where}: {name!r} is not a raw array; it cannot be indexed")
        arr = self.raw[name].flat
        if arr.size == 0:
            raise KernelFault(f"{self.where}: {name} is empty but is read")
        k, _ = self.live_index(name, idx, mask, False)
        return arr[k]

    def assign(self, op, target, value, mask):
        if op != "=":
            cur = self.eval(target, mask)
            value = self._combine(op[0], cur, value, mask)
        if target[0] == "var":
            if target[1] in self.raw:
                raise CompileError(f"{self.where}: raw array {target[1]!r} assigned without index")
            self.set(target[1], value, mask)
            return self.lookup(target[1])[1]
        name = target[1]
        if name not in self.raw:
            raise CompileError(f"{self.where}: {name!r} is not a raw array; it cannot be indexed")
        k, live = self.live_index(name, self.eval(target[2], mask), mask, True)
        lanes = k[live]
        if numpy.unique(lanes).size != lanes.size:
            raise KernelFault(f"{self.where}: two lanes write the same element of {name} "
                              f"(a race on a GPU)")
        arr = self.raw[name].flat
        arr[lanes] = numpy.broadcast_to(as_type(value, arr.dtype), (self.n,))[live]
        return value

    def _combine(self, op, a, b, mask):
        t = promote(a.dtype, b.dtype)
        a, b = as_type(a, t), as_type(b, t)
        with numpy.errstate(all="ignore"):
            if op == "+":
                return a + b
            if op == "-":
                return a - b
            if op == "*":
                return a * b
            if t.kind == "f":
                if op == "%":
                    raise CompileError(f"{self.where}: % on floating point (use fmod)")
                return a / b
            return self.int_divide(op, a, b, mask)
