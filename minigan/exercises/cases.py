"""The calls each exercise is judged on, simplest first, so that the first failing case
names the shape or hyperparameter a mistake needs (a stride, padding, a 4-D input).

Sizes are drawn from a NumPy Generator (``minigan check --seed``); the test suite draws
the seeds with hypothesis. Inputs are float64. Where an op has a kink (ReLU at 0,
Softplus at its threshold) the inputs stay at least 0.01 away from it, so that central
differences, which look 2e-4 to each side, never straddle it.
"""
from __future__ import annotations

import numpy

from .spec import Case

KINK_MARGIN = 0.01


def normal(rng, *shape):
    return rng.standard_normal(shape)


def away_from(rng, shape, at=0.0, margin=KINK_MARGIN, scale=1.0):
    """Normal values (times ``scale``) at least ``margin`` away from ``at``."""
    x = rng.standard_normal(shape) * scale
    near = numpy.abs(x - at) < margin
    x[near] = at + numpy.where(x[near] >= at, margin, -margin) * 2
    return x


def _shape_text(inputs) -> str:
    parts = []
    for k, v in inputs.items():
        if isinstance(v, numpy.ndarray):
            parts.append(f"{k} {tuple(v.shape)}")
        elif v is None:
            parts.append(f"{k} None")
        else:
            parts.append(f"{k}={v!r}")
    return ", ".join(parts)


def case(**inputs) -> Case:
    return Case(inputs, _shape_text(inputs))


def linear(rng):
    out = []
    for i, bias in enumerate((True, True, False, True, True, False)):
        N, fin, fout = (1, 1, 1) if i == 0 else tuple(int(v) for v in rng.integers(1, 6, 3))
        if i == 1:
            fin, fout = 3, 2     # in != out: a transposed gradient cannot hide
        out.append(case(x=normal(rng, N, fin), W=normal(rng, fout, fin),
                        b=normal(rng, fout) if bias else None))
    return out


def elementwise(extra=None, at=0.0):
    """Cases for an element-wise op: 1-D, 2-D and 4-D inputs, with hyperparameters
    ``extra(rng, i)`` -> dict (drawn per case) and values away from the kink ``at``."""
    def cases(rng):
        out = []
        for i, shape in enumerate(((5,), (3, 4), (2, 3, 2, 2), (4, 6))):
            kw = extra(rng, i) if extra else {}
            x = away_from(rng, shape, at=at(kw) if callable(at) else at, scale=2.0)
            out.append(case(x=x, **kw))
        return out
    return cases


def leaky_slope(rng, i):
    return {"negative_slope": (0.01, 0.2, float(rng.uniform(0.05, 0.5)), 0.0)[i]}


def softplus_params(rng, i):
    beta = (1.0, 1.0, float(rng.uniform(0.5, 3.0)), 2.0)[i]
    threshold = (20.0, 1.0, float(rng.uniform(0.5, 2.0)), 3.0)[i]
    return {"beta": beta, "threshold": threshold}


def softplus_cases(rng):
    out = []
    for c in elementwise(softplus_params)(rng):
        kw = dict(c.inputs)
        # keep beta x away from the threshold, where f' jumps from sigma to 1
        kw["x"] = away_from(rng, kw["x"].shape, at=kw["threshold"] / kw["beta"], scale=2.0)
        out.append(case(**kw))
    return out


def bce(rng):
    out = []
    for shape, target in (((4, 1), 1.0), ((5, 1), 0.0), ((3, 1), "array"),
                          ((3, 2), "array"), ((6, 1), 0.3)):
        z = normal(rng, *shape) * 3
        t = rng.uniform(0, 1, shape) if target == "array" else target
        out.append(case(logits=z, target=t))
    return out


def batchnorm(rng):
    out = []
    for shape in ((4, 3), (6, 2), (2, 3, 2, 2), (3, 2, 3, 1)):
        C = shape[1]
        out.append(case(x=normal(rng, *shape) * 2 + 1, gamma=normal(rng, C),
                        beta=normal(rng, C), eps=1e-5))
    return out


def instance_norm(rng):
    return [case(x=normal(rng, *shape) * 2 + 0.5, eps=1e-5)
            for shape in ((1, 1, 2, 2), (2, 3, 3, 2), (3, 2, 1, 4), (2, 2, 4, 4))]


CONV_SETTINGS = (                      # (stride, padding, dilation), simplest first
    (1, 0, 1), (1, 0, 1), (2, 0, 1), (1, 1, 1), (1, 0, 2), ((2, 1), (1, 2), (1, 2)), (2, 1, 2),
)


def conv2d(rng):
    out = []
    for i, (s, p, d) in enumerate(CONV_SETTINGS):
        N, C, Cout = (1, 1, 1) if i == 0 else tuple(int(v) for v in rng.integers(1, 4, 3))
        # 1-wide kernels only in case 1: a tap offset (dilation) must matter from case 2 on
        kh, kw = (2, 2) if i == 0 else tuple(int(v) for v in rng.integers(1 if i == 1 else 2, 4, 2))
        H, W = (int(v) for v in rng.integers(5, 8, 2))
        out.append(case(x=normal(rng, N, C, H, W), W=normal(rng, Cout, C, kh, kw),
                        b=normal(rng, Cout) if i != 1 else None, stride=s, padding=p, dilation=d))
    return out


CONV_T_SETTINGS = (                    # (stride, padding, output_padding, dilation)
    (1, 0, 0, 1), (1, 0, 0, 1), (2, 0, 0, 1), (2, 1, 0, 1), (2, 1, 1, 1), (1, 0, 0, 2),
    ((2, 1), (1, 0), (1, 0), (1, 2)),
)


def conv_transpose2d(rng):
    out = []
    for i, (s, p, op, d) in enumerate(CONV_T_SETTINGS):
        N, C, Cout = (1, 1, 1) if i == 0 else tuple(int(v) for v in rng.integers(1, 4, 3))
        kh, kw = (2, 2) if i == 0 else tuple(int(v) for v in rng.integers(2, 4, 2))
        H, W = (int(v) for v in rng.integers(2, 5, 2))
        out.append(case(x=normal(rng, N, C, H, W), W=normal(rng, C, Cout, kh, kw),
                        b=normal(rng, Cout) if i != 1 else None, stride=s, padding=p,
                        output_padding=op, dilation=d))
    return out


def upsample(rng):
    out = []
    settings = (("nearest", (1, 1), None), ("nearest", (2, 2), None), ("nearest", (3, 2), None),
                ("bilinear", (2, 2), False), ("bilinear", None, False), ("bilinear", None, True))
    for mode, k, ac in settings:
        N, C = (int(v) for v in rng.integers(1, 3, 2))
        H, W = (int(v) for v in rng.integers(2, 5, 2))
        # nearest with whole factors only: the source index floor(p * in / out) is then the
        # same in every rounding (PyTorch computes it in float32)
        size = (H * k[0], W * k[1]) if k else tuple(int(v) for v in rng.integers(2, 9, 2))
        out.append(case(x=normal(rng, N, C, H, W), out_size=size, mode=mode, align_corners=ac))
    return out


def mmd2(rng):
    out = []
    for m, n, d, bw in ((2, 2, 1, (1.0,)), (4, 3, 2, (1.0,)), (5, 6, 3, (0.5, 2.0)),
                        (6, 4, 2, (0.25, 1.0, 4.0))):
        out.append(case(x=normal(rng, m, d), y=normal(rng, n, d) + 0.5, bandwidths=bw))
    return out


def gradient_penalty(rng):
    out = []
    for N, D, H, lam in ((1, 1, 1, 1.0), (3, 2, 4, 10.0), (5, 3, 2, 0.1), (4, 2, 5, 10.0)):
        out.append(case(x=normal(rng, N, D), W1=normal(rng, H, D), b1=normal(rng, H) * 0.5,
                        W2=normal(rng, 1, H), b2=normal(rng, 1), lam=lam))
    return out
