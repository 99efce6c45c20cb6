"""Unbiased MMD^2 between two samples with a mixture of Gaussian kernels, and its gradient
with respect to the first sample.  Derivation: docs/math/mmd.md.

Shapes: x (m, d) generated, y (n, d) real (images are flattened by the caller);
bandwidths sigma_1..sigma_S.

    k(a, b)   = sum_s exp(-|a - b|^2 / (2 sigma_s^2))
    MMD^2_u   = sum_{i != j} k(x_i, x_j) / (m (m-1)) + sum_{i != j} k(y_i, y_j) / (n (n-1))
                - 2 sum_{i, j} k(x_i, y_j) / (m n)
    W[i, j]   = sum_s exp(-|x_i - z_j|^2 / (2 sigma_s^2)) / sigma_s^2         (z = x or y)
    dMMD^2/dx = -2 / (m (m-1)) (rowsum(Wxx) x - Wxx x) + 2 / (m n) (rowsum(Wxy) x - Wxy y)

The witness function of the same kernel (what the game picture colours, minigan/gan/game.py):

    f(t)      = mean_j k(t, y_j) - mean_i k(t, x_i)       positive where real data is denser

Everything is matrix products and element-wise work on (m, m), (n, n) and (m, n)
matrices, on the inputs' backend.
"""
from __future__ import annotations

from ..backend import array_module


def _sq_dists(a, b, a2, b2):
    """|a_i - b_j|^2 = |a_i|^2 + |b_j|^2 - 2 a_i.b_j, clipped at 0 against round-off."""
    d = a @ b.T
    d *= -2
    d += a2[:, None]
    d += b2[None, :]
    xp = array_module(d)
    return xp.maximum(d, 0, out=d)


def _kernels(d2, bandwidths, weighted: bool):
    """(sum_s exp(-d2 / 2 s^2), sum_s exp(-d2 / 2 s^2) / s^2 or None)."""
    xp = array_module(d2)
    k = xp.zeros_like(d2)
    w = xp.zeros_like(d2) if weighted else None
    for s in bandwidths:
        e = xp.exp(d2 * (-0.5 / (s * s)))
        k += e
        if weighted:
            e *= 1.0 / (s * s)
            w += e
    return k, w


def mmd2_forward(x, y, bandwidths, labels=None):
    """x (m, d), y (n, d) -> (MMD^2_u as a 0-d array, cache for the gradient w.r.t. x).

    ``labels`` = (one-hot of x (m, K), one-hot of y (n, K)) multiplies the kernel by
    [label_a = label_b]: the MMD of the joint distributions of (sample, label), which
    compares only samples of the same class (the conditional matching network)."""
    m, n = x.shape[0], y.shape[0]
    x2, y2 = (x * x).sum(axis=1), (y * y).sum(axis=1)
    kxx, wxx = _kernels(_sq_dists(x, x, x2, x2), bandwidths, True)
    kyy, _ = _kernels(_sq_dists(y, y, y2, y2), bandwidths, False)
    kxy, wxy = _kernels(_sq_dists(x, y, x2, y2), bandwidths, True)
    if labels is not None:
        lx, ly = (lab.astype(x.dtype, copy=False) for lab in labels)
        same_xx, same_yy, same_xy = lx @ lx.T, ly @ ly.T, lx @ ly.T
        kxx *= same_xx
        wxx *= same_xx
        kyy *= same_yy
        kxy *= same_xy
        wxy *= same_xy
    xp = array_module(x)
    value = ((kxx.sum() - xp.trace(kxx)) / (m * (m - 1))
             + (kyy.sum() - xp.trace(kyy)) / (n * (n - 1))
             - 2.0 * kxy.sum() / (m * n))
    return xp.asarray(value), (x, y, wxx, wxy)


def mmd2_backward(dout, cache):
    """dL/dMMD^2 (a number or 0-d array) -> dL/dx (m, d)."""
    x, y, wxx, wxy = cache
    m, n = x.shape[0], y.shape[0]
    # -2/(m(m-1)) sum_j Wxx[i,j] (x_i - x_j)  +  2/(mn) sum_j Wxy[i,j] (x_i - y_j)
    dx = x * wxx.sum(axis=1)[:, None]
    dx -= wxx @ x
    dx *= -2.0 / (m * (m - 1))
    cross = x * wxy.sum(axis=1)[:, None]
    cross -= wxy @ y
    cross *= 2.0 / (m * n)
    dx += cross
    dx *= dout
    return dx


def mmd_witness(t, x, y, bandwidths):
    """The MMD witness function at points t (p, d) for generated x (m, d) and real y (n, d):
    f(t) = mean_j k(t, y_j) - mean_i k(t, x_i) with the kernel of :func:`mmd2_forward`,
    shape (p,). MMD^2 (biased) = mean_j f(y_j) - mean_i f(x_i); -dMMD^2_u/dx_i is close to
    (2/m) grad f(x_i) (docs/math/mmd.md, "The witness function")."""
    for name, a in (("t", t), ("x", x), ("y", y)):
        if a.ndim != 2 or a.shape[1] != t.shape[1]:
            raise ValueError(f"mmd_witness: {name} must have shape (N, {t.shape[1]}) like t, "
                             f"got {tuple(a.shape)}")
    t2, x2, y2 = (t * t).sum(axis=1), (x * x).sum(axis=1), (y * y).sum(axis=1)
    kty, _ = _kernels(_sq_dists(t, y, t2, y2), bandwidths, False)
    ktx, _ = _kernels(_sq_dists(t, x, t2, x2), bandwidths, False)
    return kty.mean(axis=1) - ktx.mean(axis=1)
