"""Class labels into G and D (conditional GANs, Mirza & Osindero 2014).

The label y of a sample enters as a one-hot vector:

    G's input    [z, onehot(y)]                         (N, latent + K)
    D's input    [x, onehot(y)] for vectors x (N, d)    (N, d + K)
                 [x, maps(y)]  for images x (N, C, H, W) (N, C + K, H, W),
                 maps(y)[n, k, :, :] = onehot(y)[n, k]  (K constant channels)

Backward through the concatenation is a slice: D.backward returns the gradient
of its whole input, of which the first d (or C) columns (channels) belong to x
and go on into G; the label part is dropped (labels are not trained).
"""
from __future__ import annotations

from ..backend import array_module


def one_hot(labels, n_classes: int, dtype):
    """labels (N,) ints in [0, K) on any backend -> (N, K) of ``dtype`` on the same backend."""
    xp = array_module(labels)
    return xp.eye(n_classes, dtype=dtype)[labels]


def with_labels(x, onehot):
    """x (N, d) or (N, C, H, W) and onehot (N, K) -> D's or G's conditioned input."""
    xp = array_module(x)
    if x.ndim == 2:
        return xp.concatenate([x, onehot.astype(x.dtype, copy=False)], axis=1)
    if x.ndim == 4:
        n, _, h, w = x.shape
        maps = xp.broadcast_to(onehot.astype(x.dtype, copy=False)[:, :, None, None],
                               (n, onehot.shape[1], h, w))
        return xp.concatenate([x, maps], axis=1)
    raise ValueError(f"with_labels: expected samples of shape (N, d) or (N, C, H, W), "
                     f"got {tuple(x.shape)}")


def strip_labels(dx, width: int):
    """The gradient of the conditioned input -> the gradient of x (its first ``width``
    columns or channels)."""
    return dx[:, :width]
