"""Conv2d: the fast op against naive loops, gradients numerically, errors, freezing, state."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigan as mg
from minigan import nn
from minigan.gradcheck import check_module
from minigan.ops.conv import conv2d_backward, conv2d_forward
from tests.helpers import (assert_layer_grads, assert_matches_torch, assert_no_param_grads,
                           assert_op_grads, trained_dx_then_freeze)
from tests.reference.conv_ref import conv2d_backward_ref, conv2d_ref


@st.composite
def conv_cases(draw, max_batch=2, max_channels=3):
    """A valid conv geometry and input shape: (N, C, H, W), kernel, stride, padding, dilation."""
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    dh, dw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    # The padded input must hold the dilated kernel at least once.
    H = draw(st.integers(max(1, dh * (kh - 1) + 1 - 2 * ph), dh * (kh - 1) + 5))
    W = draw(st.integers(max(1, dw * (kw - 1) + 1 - 2 * pw), dw * (kw - 1) + 5))
    N, C = draw(st.integers(1, max_batch)), draw(st.integers(1, max_channels))
    return (N, C, H, W), (kh, kw), (sh, sw), (ph, pw), (dh, dw)


def _layer(C, O, k, s, p, d, bias=True, seed=0):
    mg.backend.seed(seed)
    return nn.Conv2d(C, O, k, stride=s, padding=p, dilation=d, bias=bias).double()


# ------------------------------------------------------------------ against the naive loops

@given(case=conv_cases(), O=st.integers(1, 3), bias=st.booleans(), seed=st.integers(0, 2**16))
def test_forward_and_backward_match_naive_loops(case, O, bias, seed):
    shape, k, s, p, d = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    W = rng.standard_normal((O, shape[1]) + k)
    b = rng.standard_normal(O) if bias else None
    y, cache = conv2d_forward(x, W, b, s, p, d)
    ref = conv2d_ref(x, W, b, s, p, d)
    assert y.shape == ref.shape
    np.testing.assert_allclose(y, ref, rtol=0, atol=1e-10)

    dy = rng.standard_normal(y.shape)
    assert_op_grads(conv2d_backward(dy, cache), conv2d_backward_ref(dy, x, W, s, p, d), bias,
                    atol=1e-10)


@given(case=conv_cases(max_channels=4), O=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_stride_one_dx_by_correlation_matches_the_loops_and_col2im(case, O, seed):
    """Stride 1, O <= C and padding within the kernel's reach: dx comes from im2col of dy and
    the flipped kernel (no col2im); it must equal the naive loops and the col2im path."""
    from minigan.ops.conv import _correlation_applies, _dx_by_correlation
    from minigan.ops.im2col import col2im
    shape, k, _, p, d = case
    C = shape[1]
    rng = np.random.default_rng(seed)
    x, W = rng.standard_normal(shape), rng.standard_normal((O, C) + k)
    y, cache = conv2d_forward(x, W, None, (1, 1), p, d)
    dy = rng.standard_normal(y.shape)
    reach = p[0] <= d[0] * (k[0] - 1) and p[1] <= d[1] * (k[1] - 1)
    assert _correlation_applies(cache.geometry, O, C, np) == (O <= C and reach)
    dx_ref = conv2d_backward_ref(dy, x, W, (1, 1), p, d)[0]
    np.testing.assert_allclose(conv2d_backward(dy, cache)[0], dx_ref, rtol=0, atol=1e-10)
    if reach:
        dx = _dx_by_correlation(dy, W, cache.geometry, None)
        np.testing.assert_allclose(dx, dx_ref, rtol=0, atol=1e-10)
        dy_rows = dy.transpose(0, 2, 3, 1).reshape(-1, O)
        by_col2im = col2im(dy_rows @ cache.Wc, shape, cache.geometry, cache.out_size)
        np.testing.assert_allclose(dx, by_col2im, rtol=0, atol=1e-10)


def test_output_shape_follows_pytorch_formula():
    layer = nn.Conv2d(3, 5, (3, 2), stride=(2, 3), padding=(1, 2), dilation=(2, 1))
    y = layer(np.zeros((2, 3, 11, 9), np.float32))
    Ho = math.floor((11 + 2 * 1 - 2 * (3 - 1) - 1) / 2 + 1)
    Wo = math.floor((9 + 2 * 2 - 1 * (2 - 1) - 1) / 3 + 1)
    assert y.shape == (2, 5, Ho, Wo) == (2, 5, 5, 4)
    assert y.dtype == np.float32


def test_channel_last_and_sliced_inputs_give_the_same_result(rng):
    layer = _layer(3, 4, 3, 2, 1, 1)
    x = rng.standard_normal((2, 3, 7, 6))
    expected = conv2d_ref(x, layer.weight.data, layer.bias.data, 2, 1, 1)
    channel_last = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    wide = np.zeros((2, 3, 7, 12))
    wide[..., ::2] = x
    for variant in (channel_last, wide[..., ::2]):
        np.testing.assert_allclose(layer(variant), expected, rtol=0, atol=1e-10)
        layer.backward(np.ones((2, 4, 4, 3)))
    np.testing.assert_array_equal(channel_last, x)      # inputs are never written


# ------------------------------------------------------------------ numerical gradients

@pytest.mark.parametrize("k, s, p, d, bias", [
    (3, 1, 1, 1, True),
    (4, 2, 1, 1, True),
    ((2, 3), (2, 1), (0, 2), (1, 2), False),
    (2, 3, 2, 2, True),
])
def test_gradients_numerically(k, s, p, d, bias, rng):
    layer = _layer(2, 3, k, s, p, d, bias)
    x = rng.standard_normal((2, 2, 6, 5))
    report = check_module(layer, x)
    assert report.ok, report.table()
    names = {r.name for r in report.rows}
    assert names == {"input", "weight"} | ({"bias"} if bias else set())


@settings(max_examples=8)
@given(case=conv_cases(max_channels=2), seed=st.integers(0, 2**16))
def test_gradients_numerically_drawn(case, seed):
    shape, k, s, p, d = case
    layer = _layer(shape[1], 2, k, s, p, d, seed=seed)
    x = np.random.default_rng(seed).standard_normal(shape)
    report = check_module(layer, x, seed=seed)
    assert report.ok, report.table()


# ------------------------------------------------------------------ bad configurations

@pytest.mark.parametrize("kwargs, words", [
    (dict(in_channels=0, out_channels=2, kernel_size=3), "in_channels"),
    (dict(in_channels=2, out_channels=-1, kernel_size=3), "out_channels"),
    (dict(in_channels=2, out_channels=2, kernel_size=0), "kernel_size"),
    (dict(in_channels=2, out_channels=2, kernel_size=(3, 0)), "kernel_size"),
    (dict(in_channels=2, out_channels=2, kernel_size=3, stride=0), "stride"),
    (dict(in_channels=2, out_channels=2, kernel_size=3, padding=-1), "padding"),
    (dict(in_channels=2, out_channels=2, kernel_size=3, dilation=0), "dilation"),
    (dict(in_channels=2, out_channels=2, kernel_size=(1, 2, 3)), "kernel_size"),
])
def test_bad_constructor_arguments(kwargs, words):
    with pytest.raises(ValueError, match=f"Conv2d.*{words}"):
        nn.Conv2d(**kwargs)


def test_kernel_larger_than_padded_input():
    layer = nn.Conv2d(1, 1, 5, padding=1, dilation=1)
    with pytest.raises(ValueError, match=r"Conv2d\(1, 1.*kernel size 5x5.*padded input 4x4"):
        layer(np.zeros((1, 1, 2, 2), np.float32))
    dilated = nn.Conv2d(1, 1, 3, dilation=3)
    with pytest.raises(ValueError, match="7x7.*padded input 6x6"):
        dilated(np.zeros((1, 1, 6, 6), np.float32))


def test_wrong_channel_count_rank_dtype():
    layer = nn.Conv2d(3, 2, 3)
    with pytest.raises(ValueError, match=r"Conv2d.*\(N, 3, H, W\).*got shape \(1, 4, 5, 5\)"):
        layer(np.zeros((1, 4, 5, 5), np.float32))
    with pytest.raises(ValueError, match=r"Conv2d.*4-D.*got shape \(3, 5, 5\)"):
        layer(np.zeros((3, 5, 5), np.float32))
    with pytest.raises(TypeError, match="Conv2d.*float64.*float32"):
        layer(np.zeros((1, 3, 5, 5), np.float64))


def test_backward_errors():
    layer = nn.Conv2d(1, 1, 3)
    with pytest.raises(RuntimeError, match="backward called before forward"):
        layer.backward(np.zeros((1, 1, 3, 3), np.float32))
    layer(np.zeros((1, 1, 5, 5), np.float32))
    with pytest.raises(ValueError, match=r"expected dy of the output's shape \(1, 1, 3, 3\)"):
        layer.backward(np.zeros((1, 1, 4, 4), np.float32))
    assert layer.backward(np.zeros((1, 1, 3, 3), np.float32)).shape == (1, 1, 5, 5)  # still usable
    with pytest.raises(RuntimeError, match="backward called before forward"):
        layer.backward(np.zeros((1, 1, 3, 3), np.float32))                   # consumed


# ------------------------------------------------------------------ freezing and accumulation

@pytest.mark.parametrize("how", ["freeze", "requires_grad"])
def test_frozen_layer_computes_only_dx(how, rng):
    layer = _layer(2, 3, 3, 2, 1, 1)
    x, dy = rng.standard_normal((2, 2, 6, 6)), rng.standard_normal((2, 3, 3, 3))
    dx_trained = trained_dx_then_freeze(layer, x, dy, how)
    layer(x)
    dx_frozen = layer.backward(dy)
    np.testing.assert_array_equal(dx_frozen, dx_trained)
    assert_no_param_grads(layer)


def test_op_without_param_grads_returns_only_dx(rng):
    x, W = rng.standard_normal((2, 2, 5, 5)), rng.standard_normal((3, 2, 3, 3))
    y, cache = conv2d_forward(x, W, np.zeros(3), (1, 1), (1, 1), (1, 1))
    dy = rng.standard_normal(y.shape)
    dx, dW, db = conv2d_backward(dy, cache, param_grads=False)
    assert dW is None and db is None
    np.testing.assert_allclose(dx, conv2d_backward_ref(dy, x, W, 1, 1, 1)[0], atol=1e-10)


def test_weight_and_bias_requires_grad_are_honoured_separately(rng):
    layer = _layer(2, 3, 3, 2, 1, 1)
    x, dy = rng.standard_normal((2, 2, 5, 5)), rng.standard_normal((2, 3, 3, 3))
    layer.weight.requires_grad = False
    layer(x)
    layer.backward(dy)
    assert not layer.weight.grad.any()
    np.testing.assert_allclose(layer.bias.grad, dy.sum(axis=(0, 2, 3)), atol=1e-12)
    layer.zero_grad()
    layer.weight.requires_grad, layer.bias.requires_grad = True, False
    layer(x)
    layer.backward(dy)
    assert not layer.bias.grad.any()
    np.testing.assert_allclose(layer.weight.grad, conv2d_backward_ref(dy, x, layer.weight.data, 2, 1)[1],
                               atol=1e-10)


def test_frozen_forward_keeps_no_im2col_matrix(rng):
    layer = _layer(2, 3, 3, 1, 1, 1)
    with nn.frozen(layer):
        layer(rng.standard_normal((1, 2, 4, 4)))
        assert layer._cache.cols is None
        layer.backward(rng.standard_normal((1, 3, 4, 4)))


def test_unfreezing_between_forward_and_backward_is_an_error(rng):
    layer = _layer(2, 3, 3, 1, 1, 1)
    with nn.frozen(layer):
        y = layer(rng.standard_normal((1, 2, 4, 4)))
    with pytest.raises(RuntimeError, match=r"Conv2d\(2, 3.*forward pass ran frozen"):
        layer.backward(np.ones_like(y))


def test_gradients_accumulate(rng):
    layer = _layer(2, 3, 3, 1, 1, 1)
    x, dy = rng.standard_normal((2, 2, 4, 4)), rng.standard_normal((2, 3, 4, 4))
    layer(x)
    layer.backward(dy)
    once = layer.weight.grad.copy(), layer.bias.grad.copy()
    layer(x)
    layer.backward(dy)
    np.testing.assert_allclose(layer.weight.grad, 2 * once[0], rtol=1e-12)
    np.testing.assert_allclose(layer.bias.grad, 2 * once[1], rtol=1e-12)


def test_workspace_reuse_never_leaks_into_results(rng):
    """The layer reuses scratch buffers across steps: earlier outputs must stay intact,
    a new input shape must get new buffers, and results must equal the pure op's."""
    layer = _layer(2, 3, 3, 2, 1, 1)
    x1, x2 = rng.standard_normal((2, 2, 7, 7)), rng.standard_normal((2, 2, 7, 7))
    y1 = layer(x1)
    dx1 = layer.backward(np.ones_like(y1))
    y1_saved, dx1_saved = y1.copy(), dx1.copy()
    y2 = layer(x2)
    layer.backward(np.ones_like(y2))
    np.testing.assert_array_equal(y1, y1_saved)
    np.testing.assert_array_equal(dx1, dx1_saved)
    assert layer._ws.nbytes() > 0
    x3 = rng.standard_normal((3, 2, 9, 5))                      # new shape: new buffers
    layer.zero_grad()
    y3 = layer(x3)
    dy3 = rng.standard_normal(y3.shape)
    dx3 = layer.backward(dy3)
    pure_y, cache = conv2d_forward(x3, layer.weight.data, layer.bias.data, (2, 2), (1, 1), (1, 1))
    pure_dx, pure_dW, _ = conv2d_backward(dy3, cache)
    np.testing.assert_array_equal(y3, pure_y)
    np.testing.assert_array_equal(dx3, pure_dx)
    np.testing.assert_array_equal(layer.weight.grad, pure_dW)


# ------------------------------------------------------------------ state and init

def test_state_dict_keys_and_round_trip(rng):
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.Conv2d(4, 2, 3, bias=False))
    state = model.state_dict()
    assert list(state) == ["0.weight", "0.bias", "1.weight"]
    assert state["0.weight"].shape == (4, 1, 3, 3) and state["1.weight"].shape == (2, 4, 3, 3)
    other = nn.Sequential(nn.Conv2d(1, 4, 3), nn.Conv2d(4, 2, 3, bias=False))
    other.load_state_dict(state)
    x = rng.standard_normal((1, 1, 7, 7)).astype(np.float32)
    np.testing.assert_array_equal(other(x), model(x))


def test_default_init_like_pytorch():
    mg.backend.seed(0)
    layer = nn.Conv2d(8, 16, (3, 5))
    bound = 1 / math.sqrt(8 * 3 * 5)                   # fan_in = in * kh * kw
    for p in (layer.weight.data, layer.bias.data):
        assert np.abs(p).max() <= bound
        assert np.abs(p).max() > 0.8 * bound           # spread over the interval, not zero
    assert layer.weight.shape == (16, 8, 3, 5)


# ------------------------------------------------------------------ both backends

def test_runs_on_each_backend(backend_name, to_xp, rng):
    mg.backend.seed(3)
    layer = nn.Conv2d(2, 3, 3, stride=2, padding=1, dilation=1).double()
    x = rng.standard_normal((2, 2, 7, 5))
    dy = rng.standard_normal((2, 3, 4, 3))
    w, b = mg.backend.to_numpy(layer.weight.data), mg.backend.to_numpy(layer.bias.data)
    y = layer(to_xp(x))
    assert mg.backend.backend_of(y) == backend_name
    np.testing.assert_allclose(mg.backend.to_numpy(y), conv2d_ref(x, w, b, 2, 1, 1), atol=1e-10)
    dx = layer.backward(to_xp(dy))
    assert_layer_grads(layer, dx, *conv2d_backward_ref(dy, x, w, 2, 1, 1), atol=1e-10)


def test_against_pytorch_when_installed(rng):
    torch = pytest.importorskip("torch")
    layer = _layer(3, 4, (3, 2), (2, 1), (1, 2), (1, 2))
    ref = torch.nn.Conv2d(3, 4, (3, 2), (2, 1), (1, 2), (1, 2)).double()
    assert_matches_torch(layer, ref, rng.standard_normal((2, 3, 8, 7)), rng, atol=1e-12)
