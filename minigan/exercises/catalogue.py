"""The exercises, in the tutorial's order: each names its functions, its cases, minigan's
op it is judged against and the classic mistakes the checker recognises.

A mistake is a text change of the worked answer (solutions/NAME.py); when a student's
gradient equals what that change computes, the checker gives its hint.
"""
from __future__ import annotations

from . import cases as C
from . import references as R
from .spec import Exercise, Mistake

M = Mistake

EXERCISES = {e.name: e for e in (
    Exercise(
        "linear", "the fully connected layer y = x W^T + b", 'docs/math/linear.md, "Backward"',
        "linear_forward", ("x", "W", "b"), "linear_backward", ("dy", "cache"),
        ("dx", "dW", "db"), ("x", "W", "b"), C.linear, R.linear, usable=True, mistakes=(
            M("dW", "dW = dy.T @ x", "dW = x.T @ dy",
              "dW has the shape of W.T: transpose it (dW = dy^T x has W's shape (out, in))"),
            M("db", "db = dy.sum(axis=0) if", "db = dy.sum(axis=1) if",
              "db summed over the wrong axis: b is added to every row of y, so sum dy over "
              "the batch, axis 0"),
            M("db", "db = dy.sum(axis=0) if", "db = dy.mean(axis=0) if",
              "db is the sum of dy over the batch, not its mean: every row adds its part"),
        )),
    Exercise(
        "relu", "ReLU, y = max(x, 0)", 'docs/math/activations.md, "ReLU"',
        "relu_forward", ("x",), "relu_backward", ("dy", "y"), ("dx",), ("x",),
        C.elementwise(), R.activation("relu"), usable=True, mistakes=(
            M("dx", "return dy * (y > 0)", "return dy * y",
              "dx multiplies dy by f'(x), the 0/1 mask (y > 0), not by y itself"),
            M("dx", "return dy * (y > 0)", "return (y > 0) * 1.0",
              "the chain rule: multiply f'(x) by the incoming gradient dy"),
            M("dx", "return dy * (y > 0)", "return dy * (y >= 0)",
              "the mask must be 0 where x < 0: y is 0 there, so y >= 0 lets everything through"),
        )),
    Exercise(
        "leaky_relu", "LeakyReLU", 'docs/math/activations.md, "LeakyReLU"',
        "leaky_relu_forward", ("x", "negative_slope"), "leaky_relu_backward", ("dy", "cache"),
        ("dx",), ("x",), C.elementwise(C.leaky_slope), R.activation("leaky_relu"), usable=True,
        mistakes=(
            M("dx", "return dy * np.where(y > 0, 1.0, negative_slope)", "return dy * (y > 0)",
              "for x < 0 the slope is negative_slope, not 0 (that is ReLU's derivative)"),
            M("dx", "return dy * np.where(y > 0, 1.0, negative_slope)",
              "return np.where(y > 0, dy, negative_slope)",
              "for x < 0, dx = negative_slope * dy: multiply dy, don't replace it"),
        )),
    Exercise(
        "tanh", "tanh", 'docs/math/activations.md, "Tanh"',
        "tanh_forward", ("x",), "tanh_backward", ("dy", "y"), ("dx",), ("x",),
        C.elementwise(), R.activation("tanh"), usable=True, mistakes=(
            M("dx", "return dy * (1 - y * y)", "return dy * (1 - y)",
              "tanh'(x) = 1 - tanh(x)^2: square y"),
            M("dx", "return dy * (1 - y * y)", "return dy * (1 - np.tanh(y) ** 2)",
              "y is tanh(x) already: 1 - y^2, without applying tanh a second time"),
        )),
    Exercise(
        "sigmoid", "the logistic sigmoid", 'docs/math/activations.md, "Sigmoid"',
        "sigmoid_forward", ("x",), "sigmoid_backward", ("dy", "y"), ("dx",), ("x",),
        C.elementwise(), R.activation("sigmoid"), usable=True, mistakes=(
            M("dx", "return dy * y * (1 - y)", "return dy * y",
              "sigmoid'(x) = y (1 - y): the factor (1 - y) is missing"),
            M("dx", "return dy * y * (1 - y)", "return dy * (1 - y)",
              "sigmoid'(x) = y (1 - y): the factor y is missing"),
        )),
    Exercise(
        "softplus", "Softplus with beta and threshold", 'docs/math/activations.md, "Softplus"',
        "softplus_forward", ("x", "beta", "threshold"), "softplus_backward", ("dy", "cache"),
        ("dx",), ("x",), C.softplus_cases, R.activation("softplus"), usable=True, mistakes=(
            M("dx", "return dy * np.where(bx > threshold, 1.0, s)", "return dy * s",
              "above the threshold the layer is the identity (y = x): f'(x) = 1 there"),
            M("dx", "s = np.where(bx >= 0, 1 / (1 + e), e / (1 + e))",
              "s = np.where(bx >= 0, e / (1 + e), 1 / (1 + e))",
              "that is sigmoid(-beta x): the derivative of softplus is sigmoid(+beta x)"),
            M("dx", "return dy * np.where(bx > threshold, 1.0, s)",
              "return dy * np.where(bx > threshold, 1.0, beta * s)",
              "the forward's 1/beta cancels the chain rule's beta: f'(x) = sigmoid(beta x)"),
        )),
    Exercise(
        "bce_with_logits", "binary cross-entropy with logits (the GAN losses)",
        'docs/math/losses.md, "The gradient"',
        "bce_with_logits", ("logits", "target"), "bce_with_logits", ("logits", "target"),
        ("dlogits",), ("logits",), C.bce, R.bce_with_logits, kind="loss", loss_kind="scalar",
        usable=True, mistakes=(
            M("dlogits", "* _sigmoid(-z)) / z.size", "* _sigmoid(-z))",
              "the loss is a mean: divide the gradient by the number of logits, z.size"),
            M("dlogits", "((1 - y) * _sigmoid(z) - y * _sigmoid(-z)) / z.size",
              "(y * _sigmoid(-z) - (1 - y) * _sigmoid(z)) / z.size",
              "the sign is flipped: dL/dz = (sigmoid(z) - y) / n grows with z"),
            M("dlogits", "((1 - y) * _sigmoid(z) - y * _sigmoid(-z)) / z.size",
              "((1 - y) * _sigmoid(z) - y * _sigmoid(-z)) / len(z)",
              "divide by the number of logits, z.size, not by the batch size len(z)"),
        )),
    Exercise(
        "batchnorm", "batch normalisation, training mode",
        'docs/math/batchnorm.md, "Backward, training mode"',
        "batchnorm_forward", ("x", "gamma", "beta", "eps"), "batchnorm_backward", ("dy", "cache"),
        ("dx", "dgamma", "dbeta"), ("x", "gamma", "beta"), C.batchnorm, R.batchnorm,
        usable=True, mistakes=(
            M("dx", "dx = (gamma * inv_std).reshape(shape) * (\n"
                    "        dy - dbeta.reshape(shape) / m - xhat * dgamma.reshape(shape) / m)",
              "dx = (gamma * inv_std).reshape(shape) * dy",
              "dx misses the terms through the batch mean and variance: both depend on every "
              "x of the channel"),
            M("dx", " - xhat * dgamma.reshape(shape) / m)", ")",
              "dx misses the term through the variance: - xhat * mean(dy * xhat)"),
            M("dx", "m = dy.size // dy.shape[1]", "m = dy.shape[0]",
              "m counts every value of a channel: N*H*W for images, not only the batch N"),
        )),
    Exercise(
        "instance_norm", "instance normalisation (CycleGAN, StyleGAN)",
        'docs/math/instance_norm.md, "Backward of the normalisation"',
        "instance_norm_forward", ("x", "eps"), "instance_norm_backward", ("dxhat", "cache"),
        ("dx",), ("x",), C.instance_norm, R.instance_norm, mistakes=(
            M("dx", "return inv_std * (dxhat - mean_d - xhat * mean_dx)", "return inv_std * dxhat",
              "dx misses the terms through each plane's mean and variance"),
            M("dx", "mean_d = dxhat.mean(axis=(2, 3), keepdims=True)",
              "mean_d = dxhat.mean(axis=(0, 2, 3), keepdims=True)",
              "that mean runs over the batch too (batch norm's axes): instance norm's "
              "statistics are per plane, over (2, 3)"),
        )),
    Exercise(
        "conv2d", "2-D convolution", 'docs/math/conv.md, "Backward"',
        "conv2d_forward", ("x", "W", "b", "stride", "padding", "dilation"),
        "conv2d_backward", ("dy", "cache"), ("dx", "dW", "db"), ("x", "W", "b"),
        C.conv2d, R.conv2d, mistakes=(
            M("dx", "rows = slice(i * dh, i * dh + sh * (Ho - 1) + 1, sh)",
              "rows = slice(i, i + sh * (Ho - 1) + 1, sh)",
              "tap i's window starts at i * dilation: the backward must read the forward's windows"),
            M("dx", "dx = dxpad[:, :, ph:ph + H, pw:pw + Wd]", "dx = dxpad[:, :, :H, :Wd]",
              "cut the padding off on both sides: x's rows are ph .. ph + H of the padded input"),
            M("dx", "cols = slice(j * dw, j * dw + sw * (Wo - 1) + 1, sw)",
              "cols = slice(j * dw, j * dw + Wo)",
              "the window steps by the stride: every sw-th column, not Wo neighbouring ones"),
        )),
    Exercise(
        "conv_transpose2d", "2-D transposed convolution",
        'docs/math/conv_transpose.md, "Backward"',
        "conv_transpose2d_forward",
        ("x", "W", "b", "stride", "padding", "output_padding", "dilation"),
        "conv_transpose2d_backward", ("dy", "cache"), ("dx", "dW", "db"), ("x", "W", "b"),
        C.conv_transpose2d, R.conv_transpose2d, mistakes=(
            M("dx", "dfull[:, :, ph:ph + Ho, pw:pw + Wo] = dy", "dfull[:, :, :Ho, :Wo] = dy",
              "dy goes back where the forward cut y out of the canvas: rows ph .. ph + Ho"),
            M("dx", "window = dfull[:, :, i * dh:i * dh + sh * (H - 1) + 1:sh,",
              "window = dfull[:, :, i:i + sh * (H - 1) + 1:sh,",
              "tap i lands i * dilation rows further: the backward must read where the "
              "forward wrote"),
        )),
    Exercise(
        "upsample", "nearest and bilinear upsampling",
        'docs/math/upsampling.md, "Upsampling as two interpolation matrices"',
        "upsample_forward", ("x", "out_size", "mode", "align_corners"),
        "upsample_backward", ("dy", "cache"), ("dx",), ("x",), C.upsample, R.upsample, mistakes=(
            M("dx", "np.add.at(t, (slice(None), slice(None), slice(None), c0), dy * (1 - clam))",
              "t[:, :, :, c0] += dy * (1 - clam)",
              "`a[..., idx] += v` adds once per repeated index, but several outputs read the "
              "same source: use np.add.at"),
            M("dx", "np.add.at(dx, (slice(None), slice(None), r1), t * rlam[:, None])",
              "np.add.at(dx, (slice(None), slice(None), r1), t * (1 - rlam)[:, None])",
              "each source gets dy times the weight it was read with: lam for i1, 1 - lam for i0"),
        )),
    Exercise(
        "mmd2", "the MMD^2 loss of a matching network",
        'docs/math/mmd.md, "The gradient with respect to each generated sample"',
        "mmd2_forward", ("x", "y", "bandwidths"), "mmd2_backward", ("dout", "cache"),
        ("dx",), ("x",), C.mmd2, R.mmd2, loss_kind="scalar", mistakes=(
            M("dx", "d_xx = -2 / (m * (m - 1))", "d_xx = -1 / (m * (m - 1))",
              "x_i appears twice in the x-x sum, as k(x_i, x_j) and as k(x_j, x_i): a factor 2"),
            M("dx", "d_xy = 2 / (m * n)", "d_xy = 1 / (m * n)",
              "the cross term is -2 sum k(x, y) / (m n): its factor 2 is missing"),
            M("dx", "return dout * (d_xx + d_xy)", "return dout * d_xy",
              "the x-x sum depends on x too: through it the generated samples repel each other"),
        )),
    Exercise(
        "gradient_penalty", "WGAN-GP's penalty for a Linear-Tanh-Linear critic (double backward)",
        'docs/math/gradient_penalty.md, "Differentiating the backward pass"',
        "gradient_penalty_forward", ("x", "W1", "b1", "W2", "b2", "lam"),
        "gradient_penalty_backward", ("dP", "cache"), ("dW1", "db1", "dW2", "db2"),
        ("W1", "b1", "W2", "b2"), C.gradient_penalty, R.gradient_penalty, loss_kind="scalar",
        mistakes=(
            M("dW1", "dz = -2 * h * s * ds", "dz = 0 * ds",
              "the second-order term of tanh is missing: s = 1 - tanh(z)^2 depends on "
              "z = x W1^T + b1, so P reaches W1 a second time, and b1, through ds/dz = -2 h s"),
            M("dW1", "dW1 = dW1 + dz.T @ x", "dW1 = dz.T @ x",
              "dW1 has two terms: g = u W1 uses W1 directly (u^T a), and z = x W1^T + b1 "
              "through tanh"),
            M("dW1", "((norms - 1) / norms)[:, None] * g", "(norms - 1)[:, None] * g",
              "d|g|/dg = g / |g|: divide by the norm"),
        )),
)}


def names() -> list:
    return list(EXERCISES)
