# minigan exercise: mmd2
"""Exercise: the gradient of the unbiased MMD^2 with respect to the generated samples x,
the loss of a generative moment matching network.

    k(a, b) = sum_s exp(-|a - b|^2 / (2 s^2))           (one Gaussian per bandwidth s)
    MMD^2   = sum_{i != j} k(x_i, x_j) / (m (m - 1)) + sum_{i != j} k(y_i, y_j) / (n (n - 1))
              - 2 sum_{i, j} k(x_i, y_j) / (m n)

Shapes: x (m, d) generated, y (n, d) real, bandwidths a sequence of positive numbers.
Math: docs/math/mmd.md, section "The gradient with respect to each generated sample".
Check your answer with: minigan check THIS_FILE
"""
import numpy as np


def _sq_dists(a, b):
    return ((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2)


def mmd2_forward(x, y, bandwidths):
    """Returns (MMD^2 (a number), cache)."""
    # -- forward --
    m, n = len(x), len(y)
    dxx, dyy, dxy = _sq_dists(x, x), _sq_dists(y, y), _sq_dists(x, y)
    kxx = sum(np.exp(-dxx / (2 * s * s)) for s in bandwidths)
    kyy = sum(np.exp(-dyy / (2 * s * s)) for s in bandwidths)
    kxy = sum(np.exp(-dxy / (2 * s * s)) for s in bandwidths)
    value = ((kxx.sum() - np.trace(kxx)) / (m * (m - 1))
             + (kyy.sum() - np.trace(kyy)) / (n * (n - 1)) - 2 * kxy.sum() / (m * n))
    return value, (x, y, tuple(bandwidths))
    # -- end --


def mmd2_backward(dout, cache):
    """dout = dL/dMMD^2 (a number) -> dL/dx (m, d)."""
    x, y, bandwidths = cache  # given
    # -- backward --
    # hint: d/da exp(-|a - b|^2 / 2s^2) = -exp(...) (a - b) / s^2.
    # hint: x_i appears twice in the x-x sum (as k(x_i, x_j) and k(x_j, x_i)), once per y_j
    # hint: in the cross sum; the y-y sum does not depend on x.
    # hint: the diagonal i = j is left out of the x-x sum, but its term (a - a) is 0 anyway.
    m, n = len(x), len(y)
    wxx = sum(np.exp(-_sq_dists(x, x) / (2 * s * s)) / (s * s) for s in bandwidths)
    wxy = sum(np.exp(-_sq_dists(x, y) / (2 * s * s)) / (s * s) for s in bandwidths)
    d_xx = -2 / (m * (m - 1)) * (wxx.sum(axis=1)[:, None] * x - wxx @ x)
    d_xy = 2 / (m * n) * (wxy.sum(axis=1)[:, None] * x - wxy @ y)
    return dout * (d_xx + d_xy)
    # -- end --
