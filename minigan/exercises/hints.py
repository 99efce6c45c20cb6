"""One targeted hint for a wrong gradient.

First the classic mistakes of the exercise (catalogue.py): the worked answer is changed
as each mistake describes and run on the failing case; if it computes exactly the
student's gradient, that mistake's hint is the one. Otherwise the hint reads the numbers
themselves: a transposed shape, NaN, all zeros, a constant factor or a flipped sign.
"""
from __future__ import annotations

import types
from functools import lru_cache

import numpy

from .verdict import rel_error

SAME = 1e-6


def solution_source(name: str) -> str:
    from importlib import resources
    return resources.files("minigan.exercises.solutions").joinpath(f"{name}.py").read_text()


@lru_cache(maxsize=None)
def mistaken_module(name: str, index: int):
    """The worked answer of exercise ``name`` with its ``index``-th mistake made."""
    from .catalogue import EXERCISES
    m = EXERCISES[name].mistakes[index]
    source = solution_source(name)
    if source.count(m.old) != 1:
        raise AssertionError(f"exercise {name}: mistake {index} must change exactly one place "
                             f"of the answer, {m.old!r} occurs {source.count(m.old)} times")
    module = types.ModuleType(f"minigan_mistake_{name}_{index}")
    exec(compile(source.replace(m.old, m.new), f"<{name} mistake {index}>", "exec"),
         module.__dict__)
    return module


def _known_mistake(ex, case, dy, name, got):
    from .checker import StudentError, run_student
    k = ex.grads.index(name)
    for i, m in enumerate(ex.mistakes):
        mod = mistaken_module(ex.name, i)
        try:
            _, grads = run_student(ex, getattr(mod, ex.forward), getattr(mod, ex.backward), case,
                                   dy)
        except StudentError:
            continue
        wrong = grads[k]
        if wrong is not None and wrong.shape == got.shape and rel_error(got, wrong) < SAME:
            return m.hint
    return None


def _numbers(name, got, want) -> str:
    if not numpy.isfinite(got).all():
        return f"{name} has NaN or infinite values: look for a division by zero or an overflow"
    if not got.any():
        return f"{name} is all zeros: is a term missing, or the result never assigned?"
    flat_g, flat_w = got.ravel(), want.ravel()
    ww = float(flat_w @ flat_w)
    if ww > 0:
        c = float(flat_g @ flat_w) / ww
        if rel_error(got, c * want) < 1e-6:
            if abs(c + 1) < 1e-6:
                return f"{name} has the wrong sign everywhere"
            return (f"{name} is off by a constant factor of {c:.4g}: a missing mean (1/N), "
                    f"a factor 2, or a hyperparameter?")
        close = numpy.abs(got - want) <= 1e-7 * (numpy.abs(got) + numpy.abs(want)).max()
        if close.mean() >= 0.5:
            return (f"{name} is right in {100 * close.mean():.0f}% of its entries: look at the "
                    f"ones that differ (edges, padding, repeated indices, a special case?)")
    return None


def hint(ex, case, dy, name, wrt, got, want) -> str:
    """The hint for gradient ``name`` (of input ``wrt``) that is ``got`` where ``want`` is
    right, on ``case`` with incoming gradient ``dy``."""
    if got is not None and want is not None:
        found = _known_mistake(ex, case, dy, name, got)
        if found:
            return found
    if want is None:
        return f"{name} must be None here: there is no {wrt}"
    if got is None:
        return f"{name} is None: return an array shaped like {wrt}, {tuple(want.shape)}"
    if got.shape != want.shape:
        if got.ndim >= 2 and got.shape == want.shape[::-1]:
            return (f"{name} has the shape of {wrt}.T, {tuple(got.shape)}: transpose it "
                    f"(expected {wrt}'s {tuple(want.shape)})")
        return f"{name} has shape {tuple(got.shape)}, expected {wrt}'s {tuple(want.shape)}"
    generic = _numbers(name, got, want)
    where = f"see {ex.math}"
    return f"{generic}; {where}" if generic else f"{name} differs from the right values; {where}"
