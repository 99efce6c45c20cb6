"""Relative errors and the verdicts the checker prints, with CS231n's thresholds.

    rel_error(a, b) = max_i |a_i - b_i| / max(|a_i| + |b_i|, floor)

The per-element denominator is CS231n's; the floor, 1e-8 of the largest |a_i| + |b_i|,
keeps an entry that is zero up to rounding (1e-17 against 0) from reading as 100 % wrong.

Central differences carry their own error: the rounding of the loss L, about
1e-16 |L|, divided by the step 1e-4, which the per-element ratio would blow up on entries
near 0. Against them the error is taken relative to the size of the whole gradient, as
minigan.gradcheck does, and a gradient is never smaller than 1e-4 max(1, |L|) there (one
that is exactly 0, as a bias that P does not depend on, then reads as 0, not as noise):

    numerical_error(a, n) = max_i |a_i - n_i| / max(max_i |a_i|, max_i |n_i|, 1e-4 max(1, |L|))
"""
from __future__ import annotations

import numpy

RIGHT, SUSPICIOUS = 1e-7, 1e-4


def rel_error(a, b) -> float:
    a = numpy.asarray(a, dtype=numpy.float64)
    b = numpy.asarray(b, dtype=numpy.float64)
    if a.size == 0:
        return 0.0
    scale = numpy.abs(a) + numpy.abs(b)
    floor = max(1e-8 * float(scale.max()), 1e-300)
    return float((numpy.abs(a - b) / numpy.maximum(scale, floor)).max())


def numerical_error(a, n, loss: float = 1.0) -> float:
    a = numpy.asarray(a, dtype=numpy.float64)
    n = numpy.asarray(n, dtype=numpy.float64)
    if a.size == 0:
        return 0.0
    scale = max(float(numpy.abs(a).max()), float(numpy.abs(n).max()),
                1e-4 * max(1.0, abs(loss)))
    return float(numpy.abs(a - n).max() / scale)


def verdict(error: float) -> str:
    """'right' below 1e-7, 'suspicious' up to 1e-4, 'wrong' above (and for NaN)."""
    if error < RIGHT:
        return "right"
    if error < SUSPICIOUS:
        return "suspicious"
    return "wrong"
