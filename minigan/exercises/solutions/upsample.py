# minigan exercise: upsample
"""Exercise: the backward pass of nn.Upsample (PyTorch's interpolate), nearest and bilinear.

Each output pixel reads one (nearest) or two (bilinear, per axis) input pixels:

    y[..., p, q] = sum over the sources (r, s) of  wh[p, r] * ww[q, s] * x[..., r, s]

separable: first along the rows (axis 2), then along the columns (axis 3).
Shapes: x (N, C, H, W), out_size (Ho, Wo), y (N, C, Ho, Wo).
Math: docs/math/upsampling.md, sections "Upsampling as two interpolation matrices" and
"PyTorch's source index formulas".
Check your answer with: minigan check THIS_FILE
"""
import numpy as np


def _sources(n_in, n_out, mode, align_corners):
    """(i0, i1, lam) for one axis: output p reads (1 - lam[p]) * in[i0[p]] + lam[p] * in[i1[p]]."""
    p = np.arange(n_out)
    if mode == "nearest":
        i0 = np.minimum(p * n_in // n_out, n_in - 1)
        return i0, i0, np.zeros(n_out)
    if align_corners:
        src = p * ((n_in - 1) / (n_out - 1)) if n_out > 1 else np.zeros(n_out)
    else:
        src = np.maximum((p + 0.5) * (n_in / n_out) - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(int), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    return i0, i1, src - i0


def _along(x, axis, i0, i1, lam):
    shape = [1] * x.ndim
    shape[axis] = -1
    lam = lam.reshape(shape)
    return np.take(x, i0, axis=axis) * (1 - lam) + np.take(x, i1, axis=axis) * lam


def upsample_forward(x, out_size, mode="nearest", align_corners=None):
    """Returns (y, cache)."""
    # -- forward --
    H, W = x.shape[2:]
    Ho, Wo = out_size
    rows = _sources(H, Ho, mode, bool(align_corners))
    cols = _sources(W, Wo, mode, bool(align_corners))
    y = _along(_along(x, 2, *rows), 3, *cols)
    return y, (x.shape, rows, cols)
    # -- end --


def upsample_backward(dy, cache):
    """dy (N, C, Ho, Wo) -> dx (N, C, H, W)."""
    (N, C, H, W), (r0, r1, rlam), (c0, c1, clam) = cache  # given
    # -- backward --
    # hint: the forward is linear in x: every output pixel sends dy, times its weight, back
    # hint: to each source it read. Undo the columns first, then the rows.
    # hint: many outputs read the same source: `a[:, :, idx] += v` adds only once per
    # hint: repeated index; np.add.at(a, index, v) adds every one.
    Ho = dy.shape[2]
    t = np.zeros((N, C, Ho, W))
    np.add.at(t, (slice(None), slice(None), slice(None), c0), dy * (1 - clam))
    np.add.at(t, (slice(None), slice(None), slice(None), c1), dy * clam)
    dx = np.zeros((N, C, H, W))
    np.add.at(dx, (slice(None), slice(None), r0), t * (1 - rlam)[:, None])
    np.add.at(dx, (slice(None), slice(None), r1), t * rlam[:, None])
    return dx
    # -- end --
