# minigan exercise: gradient_penalty
"""Exercise: the gradient of WGAN-GP's penalty with respect to the critic's parameters,
for the critic D(x) = tanh(x W1^T + b1) W2^T + b2 (Linear, Tanh, Linear to one score).

    g_n = dD(x_n)/dx_n = ((1 - h_n^2) * W2[0]) W1,   h_n = tanh(x_n W1^T + b1)
    P   = lam * mean_n (|g_n| - 1)^2,                |g| = sqrt(|g|^2 + 1e-12)

P is a function of a gradient, so its own gradient differentiates a backward pass: the
"double backward". (The floor 1e-12 keeps |g| differentiable at g = 0, as minigan's does.)
Shapes: x (N, D), W1 (H, D), b1 (H,), W2 (1, H), b2 (1,); lam > 0.
Math: docs/math/gradient_penalty.md, sections "The penalty as a function of the input
gradients", "Differentiating the backward pass" and "Activations".
Check your answer with: minigan check THIS_FILE
"""
import numpy as np


def gradient_penalty_forward(x, W1, b1, W2, b2, lam=10.0):
    """Returns (P (a number), cache)."""
    # -- forward --
    h = np.tanh(x @ W1.T + b1)              # (N, H)
    s = 1 - h * h                           # tanh'(z): the backward pass's mask
    u = s * W2[0]                           # dD/dz, (N, H)
    g = u @ W1                              # dD/dx, (N, D)
    norms = np.sqrt((g * g).sum(axis=1) + 1e-12)
    P = lam * ((norms - 1) ** 2).mean()
    return P, (x, W1, W2, h, s, u, g, norms, lam)
    # -- end --


def gradient_penalty_backward(dP, cache):
    """dP = dL/dP (a number) -> (dW1 (H, D), db1 (H,), dW2 (1, H), db2 (1,))."""
    x, W1, W2, h, s, u, g, norms, lam = cache  # given
    # -- backward --
    # hint: start from a = dP/dg (N, D): the derivative of lam mean (|g| - 1)^2 in g.
    # hint: g = u W1 is a matrix product: it sends a back to u and to W1 (first-order term).
    # hint: u = s * W2[0] sends du to W2 and to s.
    # hint: s = 1 - tanh(z)^2 depends on z = x W1^T + b1: through it the penalty reaches W1
    # hint: a second time, and b1 (tanh's second-order term: d s / dz = -2 h s).
    # hint: b2 is added after everything: g does not depend on it.
    N = x.shape[0]
    a = dP * (2 * lam / N) * ((norms - 1) / norms)[:, None] * g
    dW1 = u.T @ a
    du = a @ W1.T
    dW2 = (du * s).sum(axis=0)[None, :]
    ds = du * W2[0]
    dz = -2 * h * s * ds
    dW1 = dW1 + dz.T @ x
    db1 = dz.sum(axis=0)
    db2 = np.zeros(1)
    return dW1, db1, dW2, db2
    # -- end --
