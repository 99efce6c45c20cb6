"""Judging a student's op: every returned gradient against minigan's own op and against
central differences, case by case, with a verdict and one targeted hint.

    result = judge(EXERCISES["linear"], student.linear_forward, student.linear_backward)
    print(result.text()); result.ok

For each case the student's forward runs, its cache goes to the student's backward with
an incoming gradient dy (random, like y; a number for scalar-valued ops), and each
gradient is compared with minigan's op on the same inputs and dy, and with central
differences of L = sum(y * dy) (five-point, eps 1e-4, float64).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy

from . import hints
from .student import StudentError, where_in
from .verdict import numerical_error, rel_error, verdict

EPS = 1e-4


@dataclass
class GradientResult:
    name: str                       # "dW"
    error: float = 0.0              # worst relative error against minigan's op
    numerical: float = 0.0          # worst relative error against central differences
    first_bad: str | None = None    # the first case where it is not right
    hint: str | None = None

    @property
    def verdict(self) -> str:
        return verdict(self.error)


@dataclass
class Result:
    exercise: object
    cases: int = 0
    forward_error: float = 0.0
    forward_first_bad: str | None = None
    grads: list = field(default_factory=list)
    problem: str | None = None      # the student's code failed (raised, wrong return)

    @property
    def ok(self) -> bool:
        return (self.problem is None and verdict(self.forward_error) == "right"
                and all(g.verdict == "right" for g in self.grads))

    def wrong(self) -> list:
        return [g.name for g in self.grads if g.verdict != "right"]

    def text(self) -> str:
        from .report import text
        return text(self)


def _copy_inputs(inputs: dict) -> dict:
    return {k: (v.copy() if isinstance(v, numpy.ndarray) else copy.deepcopy(v))
            for k, v in inputs.items()}


def _incoming(ex, y, rng):
    if ex.kind == "loss":
        return None
    if ex.loss_kind == "scalar":
        return float(rng.uniform(0.5, 1.5))
    return rng.standard_normal(numpy.shape(y))


def _loss_of(ex, inputs, dy) -> float:
    y, _ = ex.reference(inputs, None)
    if ex.kind == "loss":
        return float(y)
    if ex.loss_kind == "scalar":
        return float(y) * dy
    return float((numpy.asarray(y) * dy).sum())


def numerical_gradient(ex, inputs: dict, name: str, dy):
    """Five-point central differences of L = sum(y * dy) with respect to inputs[name]."""
    x = inputs[name]
    g = numpy.zeros_like(x)
    for idx in numpy.ndindex(*x.shape):
        old = x[idx]
        vals = []
        for d in (2 * EPS, EPS, -EPS, -2 * EPS):
            x[idx] = old + d
            vals.append(_loss_of(ex, inputs, dy))
        x[idx] = old
        g[idx] = (-vals[0] + 8 * vals[1] - 8 * vals[2] + vals[3]) / (12 * EPS)
    return g


def _call(path, fn, *args, **kwargs):
    """Run the student's function; StudentError naming it and the line on failure."""
    try:
        return fn(*args, **kwargs)
    except NotImplementedError:
        raise StudentError(f"{fn.__name__} is not written yet (it raises NotImplementedError): "
                           f"fill in its body") from None
    except Exception as exc:          # noqa: BLE001 - the student's error, reported plainly
        raise StudentError(f"{fn.__name__} raised {type(exc).__name__}: {exc}"
                           f"{where_in(path, exc)}") from None


def _as_grads(ex, out, fname) -> tuple:
    n = len(ex.grads)
    if n == 1 and not isinstance(out, tuple):
        out = (out,)
    if not isinstance(out, tuple) or len(out) != n:
        got = f"{len(out)} values" if isinstance(out, tuple) else f"one {type(out).__name__}"
        raise StudentError(f"{fname} returned {got}; expected {n}: "
                           f"({', '.join(ex.grads)})")
    return out


def _as_array(value, what: str):
    if value is None:
        return None
    if isinstance(value, (numpy.ndarray, numpy.generic, float, int)):
        a = numpy.asarray(value)
        if a.dtype.kind in "biuf":
            return a.astype(numpy.float64)
    raise StudentError(f"{what} is a {type(value).__name__}, expected a NumPy array of numbers")


def run_student(ex, forward, backward, case, dy, path=""):
    """(y, grads) from the student's functions on a copy of the case's inputs."""
    inputs = _copy_inputs(case.inputs)
    if ex.kind == "loss":
        out = _call(path, forward, **inputs)
        if not isinstance(out, tuple) or len(out) != 2:
            raise StudentError(f"{ex.forward} must return (loss, gradient), two values")
        y, grads = out[0], _as_grads(ex, out[1], ex.forward)
    else:
        out = _call(path, forward, **inputs)
        if not isinstance(out, tuple) or len(out) != 2:
            raise StudentError(f"{ex.forward} must return (y, cache), two values")
        y, cache = out
        grads = _as_grads(ex, _call(path, backward, copy.deepcopy(dy), cache), ex.backward)
    return _as_array(y, f"the result of {ex.forward}"), \
        tuple(_as_array(g, n) for g, n in zip(grads, ex.grads))


def _shape_ok(got, want) -> bool:
    if want is None or got is None:
        return want is None and got is None
    return got.shape == want.shape


def judge(ex, forward, backward=None, seed: int = 0, path: str = "", cases=None) -> Result:
    """Judge the student's functions on ``ex``'s cases (drawn with ``seed``)."""
    rng = numpy.random.default_rng(seed)
    cases = ex.cases(rng) if cases is None else cases
    result = Result(ex, cases=len(cases), grads=[GradientResult(n) for n in ex.grads])
    for case in cases:
        y_ref, _ = ex.reference(_copy_inputs(case.inputs), None)
        dy = _incoming(ex, y_ref, rng)
        y_ref, g_ref = ex.reference(_copy_inputs(case.inputs), dy)
        loss = None                               # L, for the numerical column's floor
        try:
            y, g = run_student(ex, forward, backward, case, dy, path)
        except StudentError as exc:
            result.problem = f"{exc} (case: {case.describe})"
            return result
        fe = _compare(y, numpy.asarray(y_ref, dtype=numpy.float64))
        if fe > result.forward_error:
            result.forward_error = fe
        if verdict(fe) != "right" and result.forward_first_bad is None:
            result.forward_first_bad = case.describe
        for r, name, wrt, got, want in zip(result.grads, ex.grads, ex.wrt, g, g_ref):
            want = None if want is None else numpy.asarray(want, dtype=numpy.float64)
            if want is None and got is None:
                continue                      # no such input here (a layer without bias)
            if not _shape_ok(got, want):
                err, num = float("inf"), float("nan")
            else:
                err = rel_error(got, want)
                if loss is None:
                    loss = _loss_of(ex, _copy_inputs(case.inputs), dy)
                num = numerical_error(got, numerical_gradient(ex, _copy_inputs(case.inputs), wrt, dy),
                                      loss)
            r.error = max(r.error, err) if err == err else float("inf")
            r.numerical = max(r.numerical, num) if num == num else r.numerical
            if verdict(err) != "right" and r.first_bad is None:
                r.first_bad = case.describe
                r.hint = hints.hint(ex, case, dy, name, wrt, got, want)
    return result


def _compare(got, want) -> float:
    if got is None or got.shape != want.shape:
        return float("inf")
    return rel_error(got, want)
