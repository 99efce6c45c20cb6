"""ConvTranspose2d: against the scatter definition, the adjoint identity with conv2d,
gradients numerically, errors, freezing, state."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigan as mg
from minigan import nn
from minigan.gradcheck import check_module
from minigan.ops.conv import conv2d_forward
from minigan.ops import subpixel
from minigan.ops.conv_transpose import conv_transpose2d_backward, conv_transpose2d_forward
from minigan.ops.im2col import Geometry
from tests.helpers import (assert_layer_grads, assert_matches_torch, assert_no_param_grads,
                           assert_op_grads, trained_dx_then_freeze)
from tests.reference.conv_ref import conv_transpose2d_backward_ref, conv_transpose2d_ref
from tests.test_conv import conv_cases


@st.composite
def transpose_cases(draw, max_batch=2, max_channels=3):
    """(N, Cin, H, W), kernel, stride, padding, output_padding, dilation with a positive output."""
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dh, dw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    oph = draw(st.integers(0, max(sh, dh) - 1))          # PyTorch: smaller than stride or dilation
    opw = draw(st.integers(0, max(sw, dw) - 1))
    H, W = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    full_h = (H - 1) * sh + dh * (kh - 1) + oph + 1     # output size before padding is cut
    full_w = (W - 1) * sw + dw * (kw - 1) + opw + 1
    ph, pw = draw(st.integers(0, min(2, (full_h - 1) // 2))), draw(st.integers(0, min(2, (full_w - 1) // 2)))
    N, C = draw(st.integers(1, max_batch)), draw(st.integers(1, max_channels))
    return (N, C, H, W), (kh, kw), (sh, sw), (ph, pw), (oph, opw), (dh, dw)


def _layer(Cin, Cout, k, s, p, op, d, bias=True, seed=0):
    mg.backend.seed(seed)
    return nn.ConvTranspose2d(Cin, Cout, k, stride=s, padding=p, output_padding=op, dilation=d,
                              bias=bias).double()


# ------------------------------------------------------------------ against the scatter definition

@given(case=transpose_cases(), Cout=st.integers(1, 3), bias=st.booleans(), seed=st.integers(0, 2**16))
def test_forward_and_backward_match_scatter_definition(case, Cout, bias, seed):
    shape, k, s, p, op, d = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    W = rng.standard_normal((shape[1], Cout) + k)
    b = rng.standard_normal(Cout) if bias else None
    y, cache = conv_transpose2d_forward(x, W, b, s, p, op, d)
    ref = conv_transpose2d_ref(x, W, b, s, p, op, d)
    assert y.shape == ref.shape
    np.testing.assert_allclose(y, ref, rtol=0, atol=1e-10)

    dy = rng.standard_normal(y.shape)
    assert_op_grads(conv_transpose2d_backward(dy, cache),
                    conv_transpose2d_backward_ref(dy, x, W, s, p, d), bias, atol=1e-10)


@given(case=conv_cases(), O=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_adjoint_identity_with_conv2d(case, O, seed):
    """<conv(x), y> = <x, conv_transpose(y)> with one shared weight (O, C, kh, kw)."""
    (N, C, H, W_), k, s, p, d = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, H, W_))
    W = rng.standard_normal((O, C) + k)
    cx, _ = conv2d_forward(x, W, None, s, p, d)
    y = rng.standard_normal(cx.shape)
    # output_padding recovers the rows of x the strided conv never reached.
    op = tuple((n + 2 * pp - dd * (kk - 1) - 1) % ss for n, pp, dd, kk, ss in zip((H, W_), p, d, k, s))
    ty, _ = conv_transpose2d_forward(y, W, None, s, p, op, d)
    assert ty.shape == x.shape
    lhs, rhs = float((cx * y).sum()), float((x * ty).sum())
    assert abs(lhs - rhs) <= 1e-10 * max(1.0, abs(lhs))


def test_output_shape_follows_pytorch_formula():
    layer = nn.ConvTranspose2d(3, 5, (3, 4), stride=(2, 3), padding=(1, 2), output_padding=(1, 0),
                               dilation=(1, 2))
    y = layer(np.zeros((2, 3, 6, 5), np.float32))
    Ho = (6 - 1) * 2 - 2 * 1 + 1 * (3 - 1) + 1 + 1
    Wo = (5 - 1) * 3 - 2 * 2 + 2 * (4 - 1) + 0 + 1
    assert y.shape == (2, 5, Ho, Wo) == (2, 5, 12, 15)
    assert y.dtype == np.float32


def test_dcgan_shapes():
    up = nn.ConvTranspose2d(128, 64, 4, 2, 1)
    assert up(np.zeros((2, 128, 7, 7), np.float32)).shape == (2, 64, 14, 14)
    assert nn.ConvTranspose2d(64, 1, 4, 2, 1)(np.zeros((2, 64, 14, 14), np.float32)).shape == (2, 1, 28, 28)


def test_output_padding_below_dilation_but_not_stride_is_allowed(rng):
    # PyTorch's rule: output_padding < stride OR output_padding < dilation.
    layer = _layer(2, 2, 2, 1, 0, 1, 2)
    x = rng.standard_normal((1, 2, 3, 3))
    np.testing.assert_allclose(layer(x), conv_transpose2d_ref(x, layer.weight.data, layer.bias.data,
                                                              1, 0, 1, 2), atol=1e-10)


# ------------------------------------------------------------------ numerical gradients

@pytest.mark.parametrize("k, s, p, op, d, bias", [
    (3, 1, 1, 0, 1, True),
    (4, 2, 1, 0, 1, True),
    (3, 2, 1, 1, 1, False),
    ((2, 3), (3, 1), (1, 0), (2, 0), (1, 2), True),
])
def test_gradients_numerically(k, s, p, op, d, bias, rng):
    layer = _layer(2, 3, k, s, p, op, d, bias)
    x = rng.standard_normal((2, 2, 4, 3))
    report = check_module(layer, x)
    assert report.ok, report.table()
    names = {r.name for r in report.rows}
    assert names == {"input", "weight"} | ({"bias"} if bias else set())


@settings(max_examples=8)
@given(case=transpose_cases(max_channels=2), seed=st.integers(0, 2**16))
def test_gradients_numerically_drawn(case, seed):
    shape, k, s, p, op, d = case
    layer = _layer(shape[1], 2, k, s, p, op, d, seed=seed)
    x = np.random.default_rng(seed).standard_normal(shape)
    report = check_module(layer, x, seed=seed)
    assert report.ok, report.table()


# ------------------------------------------------------------------ bad configurations

@pytest.mark.parametrize("kwargs, words", [
    (dict(in_channels=0, out_channels=2, kernel_size=3), "in_channels"),
    (dict(in_channels=2, out_channels=2, kernel_size=-2), "kernel_size"),
    (dict(in_channels=2, out_channels=2, kernel_size=3, stride=(1, 0)), "stride"),
    (dict(in_channels=2, out_channels=2, kernel_size=3, padding=-1), "padding"),
    (dict(in_channels=2, out_channels=2, kernel_size=3, output_padding=-1), "output_padding"),
    (dict(in_channels=2, out_channels=2, kernel_size=3, stride=2, output_padding=2),
     r"output_padding \(2, 2\) must be smaller than either stride \(2, 2\) or dilation \(1, 1\)"),
    (dict(in_channels=2, out_channels=2, kernel_size=3, stride=(2, 1), output_padding=(1, 1)),
     "output_padding"),
])
def test_bad_constructor_arguments(kwargs, words):
    with pytest.raises(ValueError, match=f"ConvTranspose2d.*{words}"):
        nn.ConvTranspose2d(**kwargs)


def test_non_positive_output_size():
    layer = nn.ConvTranspose2d(1, 1, 3, padding=2)
    with pytest.raises(ValueError, match=r"ConvTranspose2d\(1, 1.*input 1x1.*output size -1x-1"):
        layer(np.zeros((1, 1, 1, 1), np.float32))


def test_wrong_channel_count_and_rank():
    layer = nn.ConvTranspose2d(3, 2, 3)
    with pytest.raises(ValueError, match=r"ConvTranspose2d.*\(N, 3, H, W\).*\(1, 2, 5, 5\)"):
        layer(np.zeros((1, 2, 5, 5), np.float32))
    with pytest.raises(ValueError, match=r"ConvTranspose2d.*4-D"):
        layer(np.zeros((1, 3, 5), np.float32))


# ------------------------------------------------------------------ freezing

@pytest.mark.parametrize("how", ["freeze", "requires_grad"])
def test_frozen_layer_computes_only_dx(how, rng):
    layer = _layer(2, 3, 4, 2, 1, 0, 1)
    x, dy = rng.standard_normal((2, 2, 3, 3)), rng.standard_normal((2, 3, 6, 6))
    dx_trained = trained_dx_then_freeze(layer, x, dy, how)
    layer(x)
    assert layer._cache.x_rows is None                 # x_rows only feeds dW: not kept
    dx_frozen = layer.backward(dy)
    np.testing.assert_array_equal(dx_frozen, dx_trained)
    assert_no_param_grads(layer)


def test_workspace_reuse_never_leaks_into_results(rng):
    layer = _layer(2, 3, 4, 2, 1, 0, 1)
    x1, x2 = rng.standard_normal((2, 2, 3, 3)), rng.standard_normal((2, 2, 3, 3))
    y1 = layer(x1)
    dx1 = layer.backward(np.ones_like(y1))
    y1_saved, dx1_saved = y1.copy(), dx1.copy()
    layer.backward(np.ones_like(layer(x2)))
    np.testing.assert_array_equal(y1, y1_saved)
    np.testing.assert_array_equal(dx1, dx1_saved)
    x3 = rng.standard_normal((1, 2, 4, 2))                      # new shape: new buffers
    y3 = layer(x3)
    np.testing.assert_allclose(y3, conv_transpose2d_ref(x3, layer.weight.data, layer.bias.data,
                                                        2, 1, 0, 1), atol=1e-10)
    dx3 = layer.backward(np.ones_like(y3))
    rdx, _, _ = conv_transpose2d_backward_ref(np.ones_like(y3), x3, layer.weight.data, 2, 1)
    np.testing.assert_allclose(dx3, rdx, atol=1e-10)


# ------------------------------------------------------------------ state and init

def test_state_dict_keys_and_init():
    mg.backend.seed(0)
    layer = nn.ConvTranspose2d(16, 4, (3, 2))
    assert list(layer.state_dict()) == ["weight", "bias"]
    assert layer.weight.shape == (16, 4, 3, 2)
    bound = 1 / math.sqrt(4 * 3 * 2)     # PyTorch's fan_in for (in, out, kh, kw) is out*kh*kw
    for p in (layer.weight.data, layer.bias.data):
        assert np.abs(p).max() <= bound
        assert np.abs(p).max() > 0.5 * bound


# ------------------------------------------------------------------ both backends

def test_runs_on_each_backend(backend_name, to_xp, rng):
    mg.backend.seed(5)
    layer = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1).double()
    x, dy = rng.standard_normal((2, 3, 3, 4)), rng.standard_normal((2, 2, 6, 8))
    w, b = mg.backend.to_numpy(layer.weight.data), mg.backend.to_numpy(layer.bias.data)
    y = layer(to_xp(x))
    assert mg.backend.backend_of(y) == backend_name
    np.testing.assert_allclose(mg.backend.to_numpy(y), conv_transpose2d_ref(x, w, b, 2, 1, 1),
                               atol=1e-10)
    dx = layer.backward(to_xp(dy))
    assert_layer_grads(layer, dx, *conv_transpose2d_backward_ref(dy, x, w, 2, 1), atol=1e-10)


def test_against_pytorch_when_installed(rng):
    torch = pytest.importorskip("torch")
    layer = _layer(3, 4, (3, 2), (2, 3), (1, 0), (1, 2), (1, 2))
    ref = torch.nn.ConvTranspose2d(3, 4, (3, 2), (2, 3), (1, 0), (1, 2), dilation=(1, 2)).double()
    assert_matches_torch(layer, ref, rng.standard_normal((2, 3, 4, 3)), rng, atol=1e-12)


# ------------------------------------------------------------------ the sub-pixel form (k % s == 0)

@st.composite
def subpixel_cases(draw, max_batch=2, max_channels=3):
    """(N, Cin, H, W), kernel, stride, padding, output_padding for which the sub-pixel
    form applies: stride 2 or 3, kernel a multiple of it, padding < kernel, dilation 1."""
    sh, sw = draw(st.sampled_from((2, 3))), draw(st.sampled_from((2, 3)))
    kh, kw = sh * draw(st.integers(1, 2)), sw * draw(st.integers(1, 2))
    oph, opw = draw(st.integers(0, sh - 1)), draw(st.integers(0, sw - 1))
    H, W = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    full_h, full_w = (H - 1) * sh + kh + oph, (W - 1) * sw + kw + opw
    ph = draw(st.integers(0, min(kh - 1, (full_h - 1) // 2)))
    pw = draw(st.integers(0, min(kw - 1, (full_w - 1) // 2)))
    N, C = draw(st.integers(1, max_batch)), draw(st.integers(1, max_channels))
    return (N, C, H, W), (kh, kw), (sh, sw), (ph, pw), (oph, opw)


@given(case=subpixel_cases(), Cout=st.integers(1, 3), bias=st.booleans(),
       seed=st.integers(0, 2**16))
def test_subpixel_form_matches_scatter_definition(case, Cout, bias, seed):
    shape, k, s, p, op = case
    assert subpixel.applies(Geometry(k, s, p, (1, 1)), shape[1], Cout)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    W = rng.standard_normal((shape[1], Cout) + k)
    b = rng.standard_normal(Cout) if bias else None
    y, cache = conv_transpose2d_forward(x, W, b, s, p, op, (1, 1))
    ref = conv_transpose2d_ref(x, W, b, s, p, op, 1)
    assert y.shape == ref.shape
    np.testing.assert_allclose(y, ref, rtol=0, atol=1e-10)
    dy = rng.standard_normal(y.shape)
    assert_op_grads(conv_transpose2d_backward(dy, cache),
                    conv_transpose2d_backward_ref(dy, x, W, s, p, 1), bias, atol=1e-10)


@settings(max_examples=8)
@given(case=subpixel_cases(max_channels=2), seed=st.integers(0, 2**16))
def test_subpixel_form_gradients_numerically(case, seed):
    shape, k, s, p, op = case
    layer = _layer(shape[1], 2, k, s, p, op, 1, seed=seed)
    x = np.random.default_rng(seed).standard_normal(shape)
    report = check_module(layer, x, seed=seed)
    assert report.ok, report.table()


def _count_calls(monkeypatch, module, name):
    calls = []
    real = getattr(module, name)

    def counted(*args, **kwargs):
        calls.append(name)
        return real(*args, **kwargs)
    monkeypatch.setattr(module, name, counted)
    return calls


def test_dcgan_shape_takes_the_subpixel_form(monkeypatch, rng):
    """tconv 128 -> 64, 7x7 -> 14x14 (k 4, s 2, p 1) runs without col2im; tconv 64 -> 1,
    whose im2col would be 16x wider than col2im's input, keeps the scatter form."""
    from minigan.ops import conv_transpose as ct
    sub = _count_calls(monkeypatch, ct, "conv_transpose2d_subpixel")
    scatter = _count_calls(monkeypatch, ct, "col2im")
    layer = nn.ConvTranspose2d(128, 64, 4, stride=2, padding=1).double()
    x = rng.standard_normal((2, 128, 7, 7))
    y = layer(x)
    assert y.shape == (2, 64, 14, 14) and sub == ["conv_transpose2d_subpixel"] and scatter == []
    np.testing.assert_allclose(y, conv_transpose2d_ref(x, layer.weight.data, layer.bias.data,
                                                       2, 1), rtol=0, atol=1e-10)
    nn.ConvTranspose2d(64, 1, 4, stride=2, padding=1).double()(rng.standard_normal((1, 64, 14, 14)))
    assert sub == ["conv_transpose2d_subpixel"] and scatter == ["col2im"]
