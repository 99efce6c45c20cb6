"""The layers of the StyleGAN and the CycleGAN that are not resampling or instance norm:
Residual, EqualizedLR, AdaIN (both of its gradients), NoiseInjection, PixelNorm, and the
L1 loss - float64 gradient checks over hypothesis-drawn shapes, the defining identities
checked against their formulas, planted mistakes caught."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigan as mg
from minigan import losses, nn
from minigan.gradcheck import check_gradients, check_module, check_second_order

BAD_ARGUMENTS = [        # collected by tests/test_bad_input.py
    ("Residual", lambda: nn.Residual("not a module"), TypeError),
    ("EqualizedLR", lambda: nn.EqualizedLR(nn.ReLU()), TypeError),
    ("EqualizedLR", lambda: nn.EqualizedLR(nn.Linear(2, 2), gain=0.0), ValueError),
    ("EqualizedLR", lambda: nn.EqualizedLR(nn.Linear(2, 2), lr_mul=-1.0), ValueError),
    ("AdaIN", lambda: nn.AdaIN(0, 4), ValueError),
    ("AdaIN", lambda: nn.AdaIN(3, 2.5), TypeError),
    ("NoiseInjection", lambda: nn.NoiseInjection(3, mode="sometimes"), ValueError),
    ("NoiseInjection", lambda: nn.NoiseInjection(-1), ValueError),
    ("PixelNorm", lambda: nn.PixelNorm(eps=0.0), ValueError),
    ("l1", lambda: losses.l1(np.zeros((2, 3)), np.zeros((3, 2))), ValueError),
    ("l1", lambda: losses.l1(np.zeros((2, 3), np.int64), 0.0), TypeError),
]


def _rng(seed=0):
    return np.random.default_rng(seed)


# ---------------------------------------------------------------- Residual

@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 4), d=st.integers(2, 5), hidden=st.integers(3, 6), seed=st.integers(0, 99))
def test_residual_gradients_first_and_second_order(n, d, hidden, seed):
    # (one hidden unit can make the second-order term s so small that the rounding of P,
    # whose skip term dy . a does not depend on x, dominates its difference quotient)
    mg.backend.seed(seed)
    block = nn.Residual(nn.Sequential(nn.Linear(d, hidden), nn.Tanh(), nn.Linear(hidden, d))).double()
    x = _rng(seed).standard_normal((n, d))
    assert check_module(block, x).ok
    assert check_second_order(block, x).ok


@pytest.mark.parametrize("penalty", ["wgan-gp", "r1"])
def test_nested_containers_in_a_smooth_critic(penalty):
    """A Residual and a nested Sequential inside a chain whose outer layers also have a
    second-order term: each container's layers run their backward in the container's own
    down sweep and again in the chain's, so the caches must outlive the first."""
    from minigan.gan.penalty import gradient_penalty, penalty_value, r1_penalty, r1_value
    mg.backend.seed(0)
    D = nn.Sequential(nn.Linear(3, 4),
                      nn.Residual(nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 4))),
                      nn.Tanh(), nn.Sequential(nn.Linear(4, 3), nn.Softplus()),
                      nn.Linear(3, 1)).double()
    x = _rng(0).standard_normal((5, 3))
    run, value = ((gradient_penalty, penalty_value) if penalty == "wgan-gp"
                  else (r1_penalty, r1_value))
    D.zero_grad()
    run(D, x, 10.0)
    arrays = {n: p.data for n, p in D.named_parameters()}
    grads = {n: p.grad.copy() for n, p in D.named_parameters()}
    report = check_gradients(lambda: value(D, x, 10.0), arrays, grads)
    assert report.ok, report.table()


def test_residual_adds_its_input_and_keeps_the_body_names():
    mg.backend.seed(0)
    body = nn.Sequential(nn.Linear(3, 3), nn.Tanh())
    block = nn.Residual(body).double()
    x = _rng().standard_normal((4, 3))
    np.testing.assert_allclose(block(x), x + body(x), rtol=0, atol=1e-15)
    assert list(block.state_dict()) == ["body.0.weight", "body.0.bias"]


def test_residual_refuses_a_body_that_changes_the_shape():
    block = nn.Residual(nn.Linear(3, 2))
    with pytest.raises(ValueError, match=r"Residual.*\(4, 3\).*\(4, 2\)"):
        block(np.zeros((4, 3), np.float32))


def test_residual_backward_is_the_sum_of_both_paths():
    mg.backend.seed(1)
    body = nn.Sequential(nn.Linear(2, 2))
    block = nn.Residual(body).double()
    x = _rng(1).standard_normal((3, 2))
    dy = _rng(2).standard_normal((3, 2))
    block(x)
    dx = block.backward(dy)
    np.testing.assert_allclose(dx, dy + dy @ body[0].weight.data, rtol=0, atol=1e-14)


# ---------------------------------------------------------------- EqualizedLR

def test_equalized_lr_computes_with_he_scaled_weights():
    mg.backend.seed(0)
    lin = nn.Linear(8, 3)
    eq = nn.EqualizedLR(lin, gain=math.sqrt(2), lr_mul=0.5).double()
    x = _rng().standard_normal((5, 8))
    c = math.sqrt(2) * 0.5 / math.sqrt(8)
    eq.bias.data[...] = [1.0, -2.0, 0.5]
    want = x @ (c * eq.weight.data).T + 0.5 * eq.bias.data
    np.testing.assert_allclose(eq(x), want, rtol=0, atol=1e-13)
    assert list(eq.state_dict()) == ["weight", "bias"]


def test_equalized_lr_starts_every_layer_at_unit_scale():
    mg.backend.seed(0)
    for lr_mul in (1.0, 0.01):
        eq = nn.EqualizedLR(nn.Linear(400, 300), lr_mul=lr_mul)
        std = float(np.std(eq.weight.data)) * lr_mul     # stored N(0, 1/lr_mul^2)
        assert abs(std - 1.0) < 0.01


@settings(max_examples=12, deadline=None)
@given(cin=st.integers(1, 3), cout=st.integers(1, 3), k=st.sampled_from([1, 3]),
       lr_mul=st.sampled_from([1.0, 0.1]), seed=st.integers(0, 99))
def test_equalized_conv_gradients(cin, cout, k, lr_mul, seed):
    mg.backend.seed(seed)
    eq = nn.EqualizedLR(nn.Conv2d(cin, cout, k, padding=k // 2), lr_mul=lr_mul).double()
    x = _rng(seed).standard_normal((2, cin, 3, 4))
    assert check_module(eq, x).ok
    assert check_second_order(eq, x).ok


def test_equalized_lr_planted_mistake_is_caught():
    """Forgetting the chain rule's factor c in dW reads as a large error."""
    mg.backend.seed(0)
    eq = nn.EqualizedLR(nn.Linear(4, 2)).double()
    orig = type(eq)._convert

    def wrong(self, cache):
        L = self._layer
        self.weight.grad += L.weight.grad            # dL/dW' where dL/dW = c dL/dW' is due
        L.weight.grad[...] = 0
        self.bias.grad += L.bias.grad
        L.bias.grad[...] = 0
    type(eq)._convert = wrong
    try:
        report = check_module(eq, _rng().standard_normal((3, 4)))
    finally:
        type(eq)._convert = orig
    assert not report.ok
    assert {r.name for r in report.rows if not r.ok} == {"weight"}


# ---------------------------------------------------------------- AdaIN

@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 3), c=st.integers(1, 3), h=st.integers(2, 3), w=st.integers(2, 4),
       w_dim=st.integers(1, 4), equalized=st.booleans(), seed=st.integers(0, 99))
def test_adain_gradients_reach_x_the_style_map_and_w(n, c, h, w, w_dim, equalized, seed):
    # (at least 4 pixels: normalising 2 values maps them to nearly +-1 whatever they are, so
    # dx is of the size of eps and its difference quotient all rounding)
    mg.backend.seed(seed)
    layer = nn.AdaIN(c, w_dim, equalized=equalized).double()
    rng = _rng(seed)
    x = rng.standard_normal((n, c, h, w)) * 2 + 1
    s = rng.standard_normal((n, w_dim))
    y = layer(x, s)
    R = rng.standard_normal(y.shape)
    layer.zero_grad()
    dx, dw = layer.backward(R)
    arrays, grads = {"x": x, "w": s}, {"x": dx, "w": dw}
    for name, p in layer.named_parameters():
        arrays[name], grads[name] = p.data, p.grad.copy()
    report = check_gradients(lambda: (layer(x, s) * R).sum(), arrays, grads)
    assert report.ok, report.table()


def test_adain_is_instance_norm_then_the_style_scale_and_shift():
    mg.backend.seed(0)
    layer = nn.AdaIN(2, 3, equalized=False).double()
    rng = _rng(3)
    x = rng.standard_normal((4, 2, 3, 3))
    w = rng.standard_normal((4, 3))
    st_ = w @ layer.style.weight.data.T + layer.style.bias.data
    mu = x.mean(axis=(2, 3), keepdims=True)
    var = x.var(axis=(2, 3), keepdims=True)
    xhat = (x - mu) / np.sqrt(var + 1e-5)
    want = st_[:, :2, None, None] * xhat + st_[:, 2:, None, None]
    np.testing.assert_allclose(layer(x, w), want, rtol=0, atol=1e-12)


def test_a_fresh_adain_is_a_plain_instance_norm():
    mg.backend.seed(0)
    layer = nn.AdaIN(3, 4, equalized=False).double()
    layer.style.weight.data[...] = 0.0
    x = _rng().standard_normal((2, 3, 4, 4))
    y = layer(x, _rng(1).standard_normal((2, 4)))
    np.testing.assert_allclose(y.mean(axis=(2, 3)), 0.0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(2, 3)), 1.0, atol=1e-3)   # var / (var + eps)


def test_adain_refuses_a_style_of_another_batch_or_dtype():
    layer = nn.AdaIN(2, 3)
    x = np.zeros((4, 2, 3, 3), np.float32)
    with pytest.raises(ValueError, match=r"AdaIN.*\(4, 3\)"):
        layer(x, np.zeros((5, 3), np.float32))
    with pytest.raises(TypeError, match="AdaIN.*dtype"):
        layer(x, np.zeros((4, 3), np.float64))


# ---------------------------------------------------------------- NoiseInjection

def test_noise_injection_adds_scaled_noise_shared_by_the_channels():
    layer = nn.NoiseInjection(3, rng=mg.backend.RNG(0))
    layer.weight.data[...] = [0.0, 1.0, -2.0]
    x = np.zeros((2, 3, 4, 5), np.float32)
    y = layer(x)
    assert np.all(y[:, 0] == 0)
    np.testing.assert_allclose(y[:, 2], -2 * y[:, 1], rtol=1e-6)
    assert not np.allclose(y[0, 1], y[1, 1])          # a noise image per sample
    assert not np.allclose(layer(x), y)               # and a fresh one per forward
    dy = np.ones_like(y)
    layer(x)
    np.testing.assert_array_equal(layer.backward(dy), dy)


def test_noise_strength_gradient_and_modes():
    layer = nn.NoiseInjection(2, rng=mg.backend.RNG(1), mode="fixed").double()
    layer.weight.data[...] = [0.3, -0.7]
    x = _rng().standard_normal((3, 2, 2, 3))
    assert check_module(layer, x).ok
    y1, y2 = layer(x), layer(x[::-1].copy())
    np.testing.assert_allclose(y1 - x, (y2 - x[::-1])[::-1])     # one image, every sample
    layer.mode = "off"
    np.testing.assert_array_equal(layer(x), x)


# ---------------------------------------------------------------- PixelNorm

@settings(max_examples=10, deadline=None)
@given(n=st.integers(1, 4), d=st.integers(3, 6), seed=st.integers(0, 99))
def test_pixel_norm_gradient_and_unit_rms(n, d, seed):
    # (d >= 3: one or two entries normalise to nearly +-1 whatever they are - a gradient of
    # the size of eps, which a difference quotient cannot resolve)
    x = _rng(seed).standard_normal((n, d)) * 3
    layer = nn.PixelNorm()
    np.testing.assert_allclose(np.sqrt((layer(x) ** 2).mean(axis=1)), 1.0, atol=1e-5)
    assert check_module(layer, x).ok


# ---------------------------------------------------------------- L1

@settings(max_examples=15, deadline=None)
@given(shape=st.sampled_from([(3,), (2, 3), (2, 1, 2, 2)]), seed=st.integers(0, 99))
def test_l1_value_and_gradient(shape, seed):
    rng = _rng(seed)
    p, t = rng.standard_normal(shape), rng.standard_normal(shape)
    value, grad = losses.l1(p, t)
    assert float(value) == pytest.approx(np.abs(p - t).mean(), rel=1e-12)
    report = check_gradients(lambda: losses.l1(p, t)[0], {"p": p}, {"p": grad})
    assert report.ok, report.table()


def test_l1_subgradient_at_zero_is_zero():
    p = np.array([1.0, 2.0, -3.0])
    value, grad = losses.l1(p, np.array([1.0, 0.0, 0.0]))
    np.testing.assert_array_equal(grad, [0.0, 1 / 3, -1 / 3])
    assert float(value) == pytest.approx(5 / 3)
