"""Numerical gradient checking: is a hand-written backward pass right?

Central differences approximate a derivative with error O(eps^2):

    dL/dx_i ~ (L(x + eps e_i) - L(x - eps e_i)) / (2 eps)

Small tensors are checked element by element; large ones along a few random
unit directions v, comparing (L(x + eps v) - L(x - eps v)) / (2 eps) with
<dL/dx, v>. Both errors are *relative to the size of the gradient*:

    element-wise:      max_i |a_i - n_i| / max(max_i |a_i|, max_i |n_i|)
    random direction:  max_v |<a, v> - n_v| / max(|a|, |n_v|, tiny)      (|v| = 1)

so in the element-wise check a planted 1% mistake reads ~1e-2 while a correct
float64 backward reads ~1e-9. The random-direction check is weaker: a mistake
confined to a few of d entries is diluted by about 1/sqrt(d) (one entry of a
500,000-entry weight off by 1% reads ~2e-7), so the tests check every op
element-wise on small shapes and use directions only as an extra on large ones.
Checks must run in float64: in float32 the rounding of L itself
(~1e-7 |L|) divided by 2 eps swamps the derivative.

``check_module(module, x)`` checks dL/dx and every parameter of a module for
L = sum(module(x) * R) with a fixed random R; ``check_gradients`` is the general
tool the tests use for ops and losses. See docs/math/gradcheck.md.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy

from . import backend as B

DEFAULT_TOL = 1e-6


@dataclass
class Row:
    name: str
    shape: tuple
    method: str          # "elementwise", "directions(k)" or "skipped: ..."
    error: float         # relative error as defined above (nan when skipped)
    ok: bool


@dataclass
class Report:
    title: str = ""
    tol: float = DEFAULT_TOL
    rows: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rows)

    @property
    def worst(self) -> float:
        errs = [r.error for r in self.rows if r.error == r.error]
        return max(errs) if errs else 0.0

    def table(self) -> str:
        head = f"{'tensor':<22} {'shape':<18} {'method':<16} {'rel. error':>11}  result"
        lines = [self.title] if self.title else []
        lines += [head, "-" * len(head)]
        for r in self.rows:
            err = "-" if r.error != r.error else f"{r.error:.2e}"
            lines.append(f"{r.name:<22} {str(tuple(r.shape)):<18} {r.method:<16} {err:>11}  "
                         f"{'ok' if r.ok else 'FAIL'}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()


def _require_float64(name, arr):
    if arr.dtype != numpy.float64:
        raise TypeError(f"gradcheck: {name} has dtype {arr.dtype}; gradient checks need float64 "
                        f"(cast with .astype(numpy.float64) / module.double())")


# Central-difference stencils: ((offset in units of eps, weight), ...) and the divisor:
# f'(x) ~ sum_o w (f(x + o eps) - f(x - o eps)) / (divisor eps). The 4-point one has error
# O(eps^4), so a larger eps keeps the rounding of f small (docs/math/gradcheck.md).
# Differencing symmetric pairs first makes a function that does not depend on x give
# exactly 0.
STENCILS = {2: (((1, 1),), 2), 4: (((1, 8), (2, -1)), 12)}


def _difference(f, set_at, eps, stencil):
    pairs, divisor = STENCILS[stencil]
    total = 0.0
    for o, w in pairs:
        set_at(o * eps)
        hi = float(f())
        set_at(-o * eps)
        lo = float(f())
        total += w * (hi - lo)
    set_at(0.0)
    return total / (divisor * eps)


def check_gradients(f, arrays: dict, grads: dict, *, eps: float = 1e-6, tol: float = DEFAULT_TOL,
                    max_elements: int = 128, directions: int = 6, seed: int = 0,
                    title: str = "", stencil: int = 2) -> Report:
    """Compare analytic gradients with central differences.

    f        -- a function of no arguments returning the scalar loss; it must read
                the arrays in ``arrays`` (which are perturbed in place and restored).
    arrays   -- {name: float64 array} to differentiate with respect to.
    grads    -- {name: analytic gradient} of the same shapes.
    Tensors with at most ``max_elements`` entries are checked element by element,
    larger ones along ``directions`` random unit vectors. ``stencil`` 2 (the default) is
    (f(x+e) - f(x-e)) / 2e; 4 is the five-point formula, exact to O(e^4), for functions
    whose rounding noise swamps the 2-point one (use e ~ 1e-4 with it).
    """
    if stencil not in STENCILS:
        raise ValueError(f"gradcheck: stencil must be 2 or 4, got {stencil!r}")
    report = Report(title=title, tol=tol)
    rng = numpy.random.default_rng(seed)
    for name, x in arrays.items():
        _require_float64(name, x)
        a = grads[name]
        if a is None:
            report.rows.append(Row(name, x.shape, "skipped: no grad", float("nan"), False))
            continue
        if tuple(a.shape) != tuple(x.shape):
            raise ValueError(f"gradcheck: gradient of {name} has shape {tuple(a.shape)}, "
                             f"tensor has {tuple(x.shape)}")
        a = B.to_numpy(a).astype(numpy.float64)
        xp = B.array_module(x)
        if x.size <= max_elements:
            n = numpy.empty(x.shape)
            # Index x itself (not a reshape of it, which may be a copy for a
            # non-contiguous array) so every perturbation reaches what f reads.
            for idx in numpy.ndindex(*x.shape):
                old = x[idx].item()

                def set_at(d, idx=idx, old=old, x=x):
                    x[idx] = old + d
                n[idx] = _difference(f, set_at, eps, stencil)
            scale = max(numpy.abs(a).max(initial=0.0), numpy.abs(n).max(initial=0.0))
            err = numpy.abs(a - n).max(initial=0.0) / scale if scale > 0 else 0.0
            method = "elementwise"
        else:
            norm_a = numpy.linalg.norm(a)
            err = 0.0
            orig = x.copy()
            for _ in range(directions):
                v = rng.standard_normal(x.shape)
                v /= numpy.linalg.norm(v)
                vd = xp.asarray(v)

                def set_at(d, vd=vd, x=x, orig=orig):
                    x[...] = orig + d * vd
                numeric = _difference(f, set_at, eps, stencil)
                analytic = float((a * v).sum())
                denom = max(norm_a, abs(numeric), 1e-300)
                err = max(err, abs(analytic - numeric) / denom)
            method = f"directions({directions})"
        report.rows.append(Row(name, x.shape, method, float(err), bool(err <= tol)))
    return report


def check_module(module, x, *, seed: int = 0, eps: float = 1e-6, tol: float = DEFAULT_TOL,
                 max_elements: int = 128, directions: int = 6, title: str | None = None) -> Report:
    """Check ``module.backward`` against central differences of L = sum(module(x) * R).

    ``module`` and ``x`` must be float64 (``module.double()``). Reports dL/dx ("input")
    and every parameter by its ``named_parameters`` name; a frozen module's parameters
    are reported as skipped (its backward does not compute them, by design).
    Gradients the module had accumulated are left zeroed.
    """
    _require_float64("input", x)
    for name, p in module.named_parameters():
        _require_float64(name, p.data)
    xp = B.array_module(x)
    y = module.forward(x)
    R = xp.asarray(numpy.random.default_rng(seed + 1).standard_normal(y.shape))
    module.zero_grad()
    dx = module.backward(R)

    def loss():
        return (module.forward(x) * R).sum()

    arrays, grads = {"input": x}, {"input": dx}
    params = list(module.named_parameters())
    if not module.frozen:
        for name, p in params:
            arrays[name], grads[name] = p.data, p.grad.copy()
    report = check_gradients(loss, arrays, grads, eps=eps, tol=tol, max_elements=max_elements,
                             directions=directions, seed=seed,
                             title=module._label() if title is None else title)
    if module.frozen:
        for name, p in params:
            report.rows.append(Row(name, p.data.shape, "skipped: frozen", float("nan"), True))
    module.zero_grad()
    return report


def check_loss(loss_fn, x, *args, seed: int = 0, eps: float = 1e-6, tol: float = DEFAULT_TOL,
               max_elements: int = 128, title: str = "") -> Report:
    """Check a loss ``loss_fn(x, *args) -> (value, dL/dx)`` with respect to x."""
    x = x.copy()
    _, dx = loss_fn(x, *args)
    return check_gradients(lambda: loss_fn(x, *args)[0], {"input": x}, {"input": dx}, eps=eps,
                           tol=tol, max_elements=max_elements, seed=seed,
                           title=title or getattr(loss_fn, "__name__", "loss"))


def check_second_order(module, x, *, seed: int = 0, eps: float = 1e-6, tol: float = DEFAULT_TOL,
                       max_elements: int = 128, directions: int = 6, title: str | None = None) -> Report:
    """Check ``module.double_backward`` against central differences.

    With fixed random dy (the output's shape) and a (the input's), the first-order pass
    g = grad_input(dy) is differentiated through P = sum(g * a): double_backward(a) must
    return J a = dP/d(dy) and s = dP/dx (None meaning 0) and add dP/dparam into each
    parameter's ``grad`` (docs/math/gradient_penalty.md). Rows: "dy", "input" and every
    parameter. float64 only, like :func:`check_module`.
    """
    _require_float64("input", x)
    xp = B.array_module(x)
    draw = numpy.random.default_rng(seed + 2)
    y = module.forward(x)
    dy = xp.asarray(draw.standard_normal(y.shape))
    a = xp.asarray(draw.standard_normal(x.shape))
    module.zero_grad()
    module.grad_input(dy)
    Ja, s = module.double_backward(a)

    def P():
        module.forward(x)
        return (module.grad_input(dy) * a).sum()

    arrays, grads = {"dy": dy, "input": x}, {"dy": Ja, "input": xp.zeros_like(x) if s is None else s}
    for name, p in module.named_parameters():
        arrays[name], grads[name] = p.data, p.grad.copy()
    report = check_gradients(P, arrays, grads, eps=eps, tol=tol, max_elements=max_elements,
                             directions=directions, seed=seed,
                             title=(module._label() if title is None else title) + " (second order)")
    module.zero_grad()
    return report


def standard_suite(seed: int = 0, n: int = 3):
    """(name, module, input) for every example of every public layer (``nn.public_layers``,
    each class's ``examples()``) in float64 with a batch of ``n``, and (name, loss_fn,
    logits, args) for every loss: what ``minigan gradcheck`` checks."""
    from . import losses, nn

    rng = numpy.random.default_rng(seed)

    def x(*shape):
        return B.to_device(rng.standard_normal(shape))

    B.seed(seed)
    layers = [(ex.title, ex.make().double(), x(*ex.shape(n)))
              for cls in nn.public_layers() for ex in cls.examples()]
    unit = B.to_device(rng.random((4, 3)))
    loss_list = [
        ("bce_with_logits", losses.bce_with_logits, x(4, 3), (unit,)),
        ("mse", losses.mse, x(4, 3), (x(4, 3),)),
        ("least_squares", lambda z: losses.least_squares(z, 1.0), x(4, 3), ()),
        ("hinge", lambda z: losses.hinge(z, -1), x(4, 3), ()),
        ("mean_score", lambda z: losses.mean_score(z, 1), x(4, 3), ()),
        ("minimax_generator_loss", losses.minimax_generator_loss, x(4, 3), ()),
        ("nonsaturating_generator_loss", losses.nonsaturating_generator_loss, x(4, 3), ()),
    ]
    return layers, loss_list


SUITE_MAX_ELEMENTS = 512     # the suite's shapes are small: check every entry of each tensor


def run_standard_suite(seed: int = 0) -> list:
    """Check every layer (first order, and second order where the layer has it) and every
    loss of :func:`standard_suite`; returns the reports."""
    layers, loss_list = standard_suite(seed)
    reports = []
    for name, m, x in layers:
        reports.append(check_module(m, x, seed=seed, title=name, max_elements=SUITE_MAX_ELEMENTS))
        if all(type(sub).second_order for sub in m.modules()):      # m itself included
            reports.append(check_second_order(m, x, seed=seed, title=name,
                                              max_elements=SUITE_MAX_ELEMENTS))
    reports += [check_loss(fn, z, *args, seed=seed, title=name) for name, fn, z, args in loss_list]
    return reports
