"""Naive fully connected layer and activations straight from their definitions:
the ground truth for minigan.ops.linear and minigan.ops.activations.

Plain Python loops over every element, scalar math from the ``math`` module,
results in float64.  Slow and obviously correct.  NumPy only.
"""
import math

import numpy as np


# ------------------------------------------------------------------ linear

def linear_ref(x, W, b=None):
    """y[n, o] = b[o] + sum_i x[n, i] W[o, i]  (W has PyTorch's shape (out, in))."""
    N, I = x.shape
    O, I2 = W.shape
    assert I == I2, (x.shape, W.shape)
    y = np.zeros((N, O), dtype=np.float64)
    for n in range(N):
        for o in range(O):
            s = 0.0 if b is None else float(b[o])
            for i in range(I):
                s += float(x[n, i]) * float(W[o, i])
            y[n, o] = s
    return y


def linear_backward_ref(dy, x, W):
    """dx[n, i] = sum_o dy[n, o] W[o, i];  dW[o, i] = sum_n dy[n, o] x[n, i];  db[o] = sum_n dy[n, o]."""
    N, I = x.shape
    O = W.shape[0]
    dx = np.zeros((N, I))
    dW = np.zeros((O, I))
    db = np.zeros(O)
    for n in range(N):
        for o in range(O):
            g = float(dy[n, o])
            db[o] += g
            for i in range(I):
                dx[n, i] += g * float(W[o, i])
                dW[o, i] += g * float(x[n, i])
    return dx, dW, db


# ------------------------------------------------------------------ scalar activations

def relu(v):
    return v if v > 0 else 0.0


def relu_grad(v):
    return 1.0 if v > 0 else 0.0


def leaky_relu(v, slope):
    return v if v > 0 else slope * v


def leaky_relu_grad(v, slope):
    return 1.0 if v > 0 else slope


def tanh(v):
    return math.tanh(v)


def tanh_grad(v):
    return 1.0 - math.tanh(v) ** 2


def sigmoid(v):
    """1 / (1 + e^-v); for v < 0 written as e^v / (1 + e^v) so e^-v never overflows."""
    if v >= 0:
        return 1.0 / (1.0 + math.exp(-v))
    e = math.exp(v)
    return e / (1.0 + e)


def sigmoid_grad(v):
    s = sigmoid(v)
    return s * (1.0 - s)


def elu(v, alpha):
    return v if v > 0 else alpha * math.expm1(v)


def elu_grad(v, alpha):
    return 1.0 if v > 0 else alpha * math.exp(v)


ACTIVATIONS = {
    # name: (value(v, *params), derivative(v, *params))
    "relu": (relu, relu_grad),
    "leaky_relu": (leaky_relu, leaky_relu_grad),
    "tanh": (tanh, tanh_grad),
    "sigmoid": (sigmoid, sigmoid_grad),
    "elu": (elu, elu_grad),
}


def activation_ref(name, x, *params):
    """Apply the scalar activation ``name`` to every element of x, one at a time."""
    f = ACTIVATIONS[name][0]
    y = np.empty(x.shape, dtype=np.float64)
    for idx in np.ndindex(*x.shape):
        y[idx] = f(float(x[idx]), *params)
    return y


def activation_backward_ref(name, dy, x, *params):
    """dx = dy * f'(x), element by element."""
    d = ACTIVATIONS[name][1]
    dx = np.empty(x.shape, dtype=np.float64)
    for idx in np.ndindex(*x.shape):
        dx[idx] = float(dy[idx]) * d(float(x[idx]), *params)
    return dx
