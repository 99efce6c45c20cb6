# minigan exercise: bce_with_logits
"""Exercise: the gradient of the binary cross-entropy of sigmoid(z) against targets y,
as minigan.losses.bce_with_logits returns it: (mean loss, dL/dz).

    l_i = -[y_i log sigmoid(z_i) + (1 - y_i) log(1 - sigmoid(z_i))],   L = mean_i l_i

Shapes: logits z (any shape, e.g. (N, 1)); target a number or an array like z, in [0, 1].
Math: docs/math/losses.md, sections "Binary cross-entropy with logits" and "The gradient".
Check your answer with: minigan check THIS_FILE
"""
import numpy as np


def _softplus(z):
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


def _sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def bce_with_logits(logits, target):
    """Returns (L (a number), dL/dlogits shaped like logits)."""
    z, y = logits, target  # given
    # -- forward --
    loss = (y * _softplus(-z) + (1 - y) * _softplus(z)).mean()
    # -- end --
    # -- backward --
    # hint: log sigmoid(z) = -softplus(-z) and log(1 - sigmoid(z)) = -softplus(z).
    # hint: softplus'(z) = sigmoid(z); the loss is a mean over all n = z.size entries.
    grad = ((1 - y) * _sigmoid(z) - y * _sigmoid(-z)) / z.size
    # -- end --
    return loss, grad  # given
