"""Backpropagation by hand: a two-layer network's forward and backward pass, step by step.

The network is  x -> Linear(3, 4) -> Tanh -> Linear(4, 2) -> y  with the loss
L = mean((y - t)^2) (minigan.losses.mse) on a batch of 5. Every minigan layer has a
``forward`` that keeps what its backward needs and a ``backward`` that takes dL/d(output),
adds dL/d(parameter) into each parameter's ``grad`` and returns dL/d(input). The demo
prints each array with its shape and the formula that made it:

  forward    a = x W1^T + b1,  h = tanh(a),  y = h W2^T + b2,  L = mean((y - t)^2)
  backward   dL/dy = 2 (y - t) / (5 * 2)                       (from mse)
             dW2 = dy^T h,  db2 = sum over the batch of dy,  dh = dy W2   (Linear.backward)
             da = dh * (1 - h^2)                                (Tanh.backward)
             dW1 = da^T x,  db1 = sum over the batch of da,  dx = da W1   (Linear.backward)

and recomputes each gradient from its formula to show the layers compute exactly that.
Then the numerical check: every entry of x, W1, b1, W2 and b2 is moved by +-1e-6 and the
central difference (L(+) - L(-)) / 2e-6 is compared with the analytic gradient, in float64
(minigan.gradcheck.check_gradients; check_module does the same for the whole network with
L = sum(y * R)). The derivations: docs/math/linear.md, docs/math/activations.md,
docs/math/losses.md, docs/math/gradcheck.md. Nothing is drawn.

Summary: the worst relative error of the numerical checks (a correct float64 backward
reads about 1e-9 or less; a planted 1% mistake would read about 1e-2), and the largest
difference between a layer's gradient and its formula.
"""
# %% [markdown]
# # Backpropagation by hand
#
# A two-layer network, x -> Linear(3, 4) -> Tanh -> Linear(4, 2) -> y, with the loss
# L = mean((y - t)²) on a batch of 5. Each minigan layer's `forward` keeps what its
# `backward` needs; `backward` takes dL/d(output), adds dL/d(parameter) into each
# parameter's `grad` and returns dL/d(input). Every array is printed with its shape and
# the formula that made it.

# %%
from __future__ import annotations

import numpy

import _common
from minigan import backend as B
from minigan import gradcheck, losses, nn


def show(name, a, formula):
    v = B.to_numpy(a)
    print(f"{name:<6} {str(v.shape):<8} {formula}")
    print("       " + numpy.array2string(v, precision=4, suppress_small=True, prefix="       "))


# %% [markdown]
# ## Forward
#
# a = x W1ᵀ + b1, h = tanh(a), y = h W2ᵀ + b2, L = mean((y - t)²); `losses.mse` returns
# the loss together with its gradient dL/dy = 2 (y - t) / 10.

# %%
def forward(l1, tanh, l2, x, t):
    print("---- forward")
    show("x", x, "the input batch: 5 samples, 3 features")
    a = l1.forward(x)
    show("a", a, "x W1^T + b1  (Linear(3, 4); W1 is (4, 3))")
    h = tanh.forward(a)
    show("h", h, "tanh(a)")
    y = l2.forward(h)
    show("y", y, "h W2^T + b2  (Linear(4, 2); W2 is (2, 4))")
    loss, dy = losses.mse(y, t)
    show("L", loss, "mean((y - t)^2) over all 10 entries")
    return h, y, dy


# %% [markdown]
# ## Backward
#
# From the top down: Linear.backward gives dW2 = dyᵀ h, db2 = the batch sum of dy and
# dh = dy W2; Tanh.backward gives da = dh (1 - h²); Linear.backward again gives
# dW1 = daᵀ x, db1 and dx = da W1.

# %%
def backward(l1, tanh, l2, dy):
    print("---- backward")
    show("dL/dy", dy, "2 (y - t) / 10  (returned by losses.mse with L)")
    dh = l2.backward(dy)
    show("dW2", l2.weight.grad, "dy^T h  (added into l2.weight.grad)")
    show("db2", l2.bias.grad, "dy summed over the batch")
    show("dh", dh, "dy W2  (returned by l2.backward)")
    da = tanh.backward(dh)
    show("da", da, "dh * (1 - h^2)  (tanh' = 1 - tanh^2)")
    dx = l1.backward(da)
    show("dW1", l1.weight.grad, "da^T x")
    show("db1", l1.bias.grad, "da summed over the batch")
    show("dx", dx, "da W1  (returned by l1.backward)")
    return dh, da, dx


# %% [markdown]
# ## The layers compute exactly the formulas
#
# Each gradient recomputed from its formula, and the largest difference.

# %%
def formula_difference(l1, l2, x, t, h, y, dy, dh, da, dx) -> float:
    W1, W2 = l1.weight.data, l2.weight.data
    by_formula = {"dL/dy": (dy, 2 * (y - t) / 10), "dW2": (l2.weight.grad, dy.T @ h),
                  "db2": (l2.bias.grad, dy.sum(axis=0)), "dh": (dh, dy @ W2),
                  "da": (da, dh * (1 - h * h)), "dW1": (l1.weight.grad, da.T @ x),
                  "db1": (l1.bias.grad, da.sum(axis=0)), "dx": (dx, da @ W1)}
    diff = max(float(numpy.abs(B.to_numpy(g) - B.to_numpy(f)).max())
               for g, f in by_formula.values())
    print(f"largest difference between the layers' gradients and their formulas: {diff:.1e}")
    return diff


# %% [markdown]
# ## The numerical check
#
# Every entry of x, W1, b1, W2 and b2 is moved by ±1e-6 and the central difference
# (L(+) - L(-)) / 2e-6 is compared with the analytic gradient, in float64
# (`gradcheck.check_gradients`); `check_module` does the same for the whole network with
# L = sum(y R). A correct float64 backward reads about 1e-9 or less; a planted 1 %
# mistake would read about 1e-2.

# %%
def numerical_check(l1, tanh, l2, x, t, dx):
    print("---- numerical check: central differences of L, eps = 1e-6, float64")
    arrays = {"x": x, "W1": l1.weight.data, "b1": l1.bias.data, "W2": l2.weight.data,
              "b2": l2.bias.data}
    grads = {"x": dx.copy(), "W1": l1.weight.grad.copy(), "b1": l1.bias.grad.copy(),
             "W2": l2.weight.grad.copy(), "b2": l2.bias.grad.copy()}
    report = gradcheck.check_gradients(
        lambda: B.to_numpy(losses.mse(l2.forward(tanh.forward(l1.forward(x))), t)[0]).item(),
        arrays, grads, title="L = mse(Linear(Tanh(Linear(x))), t)")
    print(report.table())
    module_report = gradcheck.check_module(nn.Sequential(l1, tanh, l2), x,
                                           title="check_module: L = sum(y * R)")
    print(module_report.table())
    return report, module_report


# %% [markdown]
# ## Everything in order
#
# The summary holds the worst relative error of the numerical checks and the largest
# difference between a layer's gradient and its formula.

# %%
def main(argv=None) -> dict:
    args = _common.parse_args("backprop_by_hand", __doc__, argv)
    B.seed(args.seed)                                  # the layers' initial weights
    rng = numpy.random.default_rng(args.seed)
    l1, tanh, l2 = nn.Linear(3, 4).double(), nn.Tanh(), nn.Linear(4, 2).double()
    x = B.to_device(rng.standard_normal((5, 3)))
    t = B.to_device(rng.standard_normal((5, 2)))
    h, y, dy = forward(l1, tanh, l2, x, t)
    dh, da, dx = backward(l1, tanh, l2, dy)
    formula_diff = formula_difference(l1, l2, x, t, h, y, dy, dh, da, dx)
    report, module_report = numerical_check(l1, tanh, l2, x, t, dx)
    worst = max(report.worst, module_report.worst)
    print(f"worst relative error {worst:.1e}: {'ok' if report.ok and module_report.ok else 'FAIL'}")
    return _common.summary(args, {"worst_relative_error": worst,
                                  "formula_difference": formula_diff,
                                  "ok": bool(report.ok and module_report.ok),
                                  "errors": {r.name: r.error for r in report.rows}})


# %%
if __name__ == "__main__":
    main()
