"""Upsample, ReflectionPad2d, ZeroPad2d and minigan.ops.resample: the fast ops against the
per-pixel references on drawn shapes, sizes, scale factors and paddings; PyTorch's values on
tiny inputs; gradients and second-order passes numerically (and planted mistakes caught);
state_dict, errors, the device-side plan cache, and both backends."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigan as mg
from minigan import nn
from minigan.gradcheck import check_module, check_second_order
from minigan.ops.resample import (pad_backward, pad_forward, upsample_backward, upsample_forward,
                                  upsample_output_size)
from tests import fakecupy
from tests.fakecupy import counters
from tests.reference.resample_ref import (pad_backward_ref, pad_ref, upsample_backward_ref,
                                          upsample_ref)

BAD_ARGUMENTS = [
    ("Upsample", lambda: nn.Upsample(), ValueError),
    ("Upsample", lambda: nn.Upsample(size=4, scale_factor=2), ValueError),
    ("Upsample", lambda: nn.Upsample(scale_factor=0), ValueError),
    ("Upsample", lambda: nn.Upsample(scale_factor=float("nan")), ValueError),
    ("Upsample", lambda: nn.Upsample(scale_factor="2"), TypeError),
    ("Upsample", lambda: nn.Upsample(scale_factor=(2, 2, 2)), ValueError),
    ("Upsample", lambda: nn.Upsample(size=2.5), TypeError),
    ("Upsample", lambda: nn.Upsample(size=(4, 0)), ValueError),
    ("Upsample", lambda: nn.Upsample(scale_factor=2, mode="bicubic"), ValueError),
    ("Upsample", lambda: nn.Upsample(scale_factor=2, mode=None), TypeError),
    ("Upsample", lambda: nn.Upsample(scale_factor=2, align_corners=False), ValueError),
    ("Upsample", lambda: nn.Upsample(scale_factor=2, mode="bilinear", align_corners=1), TypeError),
    ("Upsample", lambda: nn.Upsample(scale_factor=0.2)(np.zeros((1, 1, 2, 3), np.float32)), ValueError),
    ("Upsample", lambda: nn.Upsample(scale_factor=2)(np.zeros((2, 3), np.float32)), ValueError),
    ("Upsample", lambda: nn.Upsample(scale_factor=2)(np.zeros((1, 1, 2, 2), np.int64)), TypeError),
    ("ReflectionPad2d", lambda: nn.ReflectionPad2d(-1), ValueError),
    ("ReflectionPad2d", lambda: nn.ReflectionPad2d(1.0), TypeError),
    ("ReflectionPad2d", lambda: nn.ReflectionPad2d((1, 2)), ValueError),
    ("ReflectionPad2d", lambda: nn.ReflectionPad2d(2)(np.zeros((1, 1, 2, 3), np.float32)), ValueError),
    ("ReflectionPad2d", lambda: nn.ReflectionPad2d((0, 3, 0, 0))(np.zeros((1, 1, 4, 3), np.float32)),
     ValueError),
    ("ReflectionPad2d", lambda: nn.ReflectionPad2d(1)(np.zeros((4, 4), np.float32)), ValueError),
    ("ZeroPad2d", lambda: nn.ZeroPad2d((1, True, 0, 0)), TypeError),
    ("ZeroPad2d", lambda: nn.ZeroPad2d((1, 1, 1)), ValueError),
    ("ZeroPad2d", lambda: nn.ZeroPad2d((-2, -1, 0, 0))(np.zeros((1, 1, 2, 3), np.float32)), ValueError),
]

SCALES = st.one_of(st.sampled_from([1, 2, 3, 0.5, 1.5, 2.5, 1.1, 1.7]),
                   st.tuples(st.sampled_from([1, 2, 1.5, 0.7]), st.sampled_from([1, 3, 2.2, 1.3])))


def _image(rng, N, C, H, W):
    return rng.standard_normal((N, C, H, W))


# ------------------------------------------------------------------ upsampling: op = reference

@given(N=st.integers(0, 2), C=st.integers(1, 2), H=st.integers(1, 5), W=st.integers(1, 5),
       mode=st.sampled_from(["nearest", "bilinear"]), align_corners=st.booleans(),
       scale=SCALES, seed=st.integers(0, 2**16))
def test_upsample_by_scale_matches_reference(N, C, H, W, mode, align_corners, scale, seed):
    pair = scale if isinstance(scale, tuple) else (scale, scale)
    out = upsample_output_size((H, W), scale_factor=pair)
    if min(out) <= 0:
        return
    ac = align_corners and mode == "bilinear"
    rng = np.random.default_rng(seed)
    x = _image(rng, N, C, H, W)
    y, cache = upsample_forward(x, out, mode, ac, pair)
    np.testing.assert_allclose(y, upsample_ref(x, out, mode, ac, pair), rtol=0, atol=1e-12)
    dy = rng.standard_normal(y.shape)
    np.testing.assert_allclose(upsample_backward(dy, cache),
                               upsample_backward_ref(dy, x.shape, mode, ac, pair), rtol=0, atol=1e-12)


@given(N=st.integers(1, 2), C=st.integers(1, 2), H=st.integers(1, 5), W=st.integers(1, 5),
       Ho=st.integers(1, 11), Wo=st.integers(1, 11), mode=st.sampled_from(["nearest", "bilinear"]),
       align_corners=st.booleans(), seed=st.integers(0, 2**16))
def test_upsample_to_size_matches_reference(N, C, H, W, Ho, Wo, mode, align_corners, seed):
    ac = align_corners and mode == "bilinear"
    rng = np.random.default_rng(seed)
    x = _image(rng, N, C, H, W)
    y, cache = upsample_forward(x, (Ho, Wo), mode, ac)
    np.testing.assert_allclose(y, upsample_ref(x, (Ho, Wo), mode, ac), rtol=0, atol=1e-12)
    dy = rng.standard_normal(y.shape)
    np.testing.assert_allclose(upsample_backward(dy, cache),
                               upsample_backward_ref(dy, x.shape, mode, ac), rtol=0, atol=1e-12)


def test_upsample_against_pytorch_values():
    x = np.arange(6.0).reshape(1, 1, 2, 3)
    # PyTorch 2.13's nn.Upsample outputs for this input:
    np.testing.assert_allclose(nn.Upsample(scale_factor=2, mode="bilinear")(x), [[[
        [0.0, 0.25, 0.75, 1.25, 1.75, 2.0], [0.75, 1.0, 1.5, 2.0, 2.5, 2.75],
        [2.25, 2.5, 3.0, 3.5, 4.0, 4.25], [3.0, 3.25, 3.75, 4.25, 4.75, 5.0]]]], atol=1e-12)
    np.testing.assert_allclose(nn.Upsample(scale_factor=1.5, mode="bilinear")(x), [[[
        [0.0, 0.5, 1.166666666667, 1.833333333333], [1.5, 2.0, 2.666666666667, 3.333333333333],
        [3.0, 3.5, 4.166666666667, 4.833333333333]]]], atol=1e-11)       # 1 / 1.5, not 3 / 4
    np.testing.assert_allclose(nn.Upsample(size=(3, 5), mode="bilinear", align_corners=True)(x), [[[
        [0.0, 0.5, 1.0, 1.5, 2.0], [1.5, 2.0, 2.5, 3.0, 3.5], [3.0, 3.5, 4.0, 4.5, 5.0]]]], atol=1e-12)
    np.testing.assert_array_equal(nn.Upsample(scale_factor=1.5)(x), [[[
        [0, 0, 1, 2], [0, 0, 1, 2], [3, 3, 4, 5]]]])
    np.testing.assert_array_equal(nn.Upsample(size=(3, 5))(x), [[[
        [0, 0, 1, 1, 2], [0, 0, 1, 1, 2], [3, 3, 4, 4, 5]]]])
    # an axis whose size does not change is copied, whatever the factor (floor(2 * 1.1) = 2)
    np.testing.assert_array_equal(nn.Upsample(scale_factor=(1.1, 1), mode="bilinear")(x), x)


def test_upsample_against_pytorch_when_installed(rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((2, 2, 3, 5))
    for kw in (dict(scale_factor=2), dict(scale_factor=(1.5, 2.5)), dict(size=(7, 4)),
               dict(scale_factor=1.7, mode="bilinear"), dict(scale_factor=3, mode="bilinear",
                                                              align_corners=True)):
        ours, ref = nn.Upsample(**kw), torch.nn.Upsample(**kw)
        xt = torch.from_numpy(x).requires_grad_()
        yt = ref(xt)
        dy = rng.standard_normal(tuple(yt.shape))
        yt.backward(torch.from_numpy(dy))
        np.testing.assert_allclose(ours(x), yt.detach().numpy(), atol=1e-12)
        np.testing.assert_allclose(ours.backward(dy), xt.grad.numpy(), atol=1e-12)


def test_nearest_integer_factor_is_a_block_repeat_and_its_backward_a_block_sum(rng):
    x = rng.standard_normal((2, 3, 2, 3))
    layer = nn.Upsample(scale_factor=(2, 3))
    y = layer(x)
    np.testing.assert_array_equal(y, x.repeat(2, axis=2).repeat(3, axis=3))
    dy = rng.standard_normal(y.shape)
    np.testing.assert_allclose(layer.backward(dy), dy.reshape(2, 3, 2, 2, 3, 3).sum(axis=(3, 5)),
                               atol=1e-14)


# ------------------------------------------------------------------ padding: op = reference

PADS = st.tuples(*[st.integers(0, 3)] * 4)


@given(N=st.integers(0, 2), C=st.integers(1, 2), H=st.integers(1, 5), W=st.integers(1, 5),
       padding=PADS, seed=st.integers(0, 2**16))
def test_reflection_pad_matches_reference(N, C, H, W, padding, seed):
    left, right, top, bottom = padding
    if max(left, right) >= W or max(top, bottom) >= H:
        return
    rng = np.random.default_rng(seed)
    x = _image(rng, N, C, H, W)
    y, cache = pad_forward(x, padding, "reflect")
    np.testing.assert_array_equal(y, pad_ref(x, padding, "reflect"))
    numpy_pad = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)), mode="reflect")
    np.testing.assert_array_equal(y, numpy_pad)
    dy = rng.standard_normal(y.shape)
    np.testing.assert_allclose(pad_backward(dy, cache), pad_backward_ref(dy, x.shape, padding, "reflect"),
                               rtol=0, atol=1e-12)


@given(N=st.integers(0, 2), C=st.integers(1, 2), H=st.integers(1, 5), W=st.integers(1, 5),
       padding=st.tuples(*[st.integers(-2, 3)] * 4), seed=st.integers(0, 2**16))
def test_zero_pad_matches_reference(N, C, H, W, padding, seed):
    left, right, top, bottom = padding
    if H + top + bottom <= 0 or W + left + right <= 0:
        return
    rng = np.random.default_rng(seed)
    x = _image(rng, N, C, H, W)
    y, cache = pad_forward(x, padding, "constant")
    np.testing.assert_array_equal(y, pad_ref(x, padding, "constant"))
    dy = rng.standard_normal(y.shape)
    np.testing.assert_array_equal(pad_backward(dy, cache),
                                  pad_backward_ref(dy, x.shape, padding, "constant"))


def test_pad_against_pytorch_values():
    x = np.arange(6.0).reshape(1, 1, 2, 3)
    # PyTorch 2.13's outputs for this input:
    np.testing.assert_array_equal(nn.ReflectionPad2d((2, 1, 1, 1))(x), [[[
        [5, 4, 3, 4, 5, 4], [2, 1, 0, 1, 2, 1], [5, 4, 3, 4, 5, 4], [2, 1, 0, 1, 2, 1]]]])
    np.testing.assert_array_equal(nn.ReflectionPad2d((1, 2, 0, 1))(x), [[[
        [1, 0, 1, 2, 1, 0], [4, 3, 4, 5, 4, 3], [1, 0, 1, 2, 1, 0]]]])
    np.testing.assert_array_equal(nn.ZeroPad2d((1, -1, 0, 1))(x), [[[[0, 0, 1], [0, 3, 4], [0, 0, 0]]]])


# ------------------------------------------------------------------ gradients, both orders

LAYERS = [(lambda: nn.Upsample(scale_factor=2), (2, 2, 2, 3)),
          (lambda: nn.Upsample(scale_factor=(1.5, 2.5)), (2, 1, 3, 3)),
          (lambda: nn.Upsample(scale_factor=2, mode="bilinear"), (2, 2, 2, 3)),
          (lambda: nn.Upsample(size=(4, 5), mode="bilinear", align_corners=True), (2, 1, 3, 3)),
          (lambda: nn.ReflectionPad2d((1, 2, 2, 0)), (2, 2, 3, 3)),
          (lambda: nn.ZeroPad2d((2, -1, 1, 1)), (2, 2, 3, 3))]


@pytest.mark.parametrize("make,shape", LAYERS)
def test_gradients_of_both_orders_numerically(make, shape, rng):
    x = rng.standard_normal(shape)
    report = check_module(make(), x, max_elements=512)
    assert report.ok and [r.name for r in report.rows] == ["input"], report.table()
    second = check_second_order(make(), x, max_elements=512)
    assert second.ok and {r.name for r in second.rows} == {"dy", "input"}, second.table()


def test_the_checks_catch_planted_mistakes(rng, monkeypatch):
    x = rng.standard_normal((1, 1, 3, 4))

    def no_fold(dy, cache):                       # crops dy but forgets the reflected border
        left, right, top, bottom = cache.padding
        H, W = cache.in_shape[2:]
        return dy[:, :, top:top + H, left:left + W].copy()
    monkeypatch.setattr("minigan.nn.resample.pad_backward", no_fold)
    assert not check_module(nn.ReflectionPad2d(1), x).ok
    monkeypatch.undo()
    monkeypatch.setattr("minigan.nn.resample.upsample_apply", lambda a, cache: 0 * upsample_forward(
        a, (6, 8), "nearest")[0])
    assert not check_second_order(nn.Upsample(scale_factor=2), x).ok


def test_layers_are_parameterless_and_second_order():
    for layer in (nn.Upsample(scale_factor=2), nn.ReflectionPad2d(1), nn.ZeroPad2d(1)):
        assert list(layer.state_dict()) == [] and layer.parameters() == []
        assert type(layer).second_order


def test_repr_is_pytorchs():
    assert repr(nn.Upsample(scale_factor=2)) == "Upsample(scale_factor=2.0, mode='nearest')"
    assert repr(nn.Upsample(size=(4, 5), mode="bilinear")) == "Upsample(size=(4, 5), mode='bilinear')"
    assert repr(nn.ReflectionPad2d(1)) == "ReflectionPad2d((1, 1, 1, 1))"


def test_errors_name_the_layer_and_the_sizes():
    with pytest.raises(ValueError, match=r"ReflectionPad2d\(\(2, 2, 2, 2\)\).*less than.*\(1, 1, 2, 3\)"):
        nn.ReflectionPad2d(2)(np.zeros((1, 1, 2, 3), np.float32))
    with pytest.raises(ValueError, match=r"Upsample\(scale_factor=0.2.*\(0, 0\)"):
        nn.Upsample(scale_factor=0.2)(np.zeros((1, 1, 2, 3), np.float32))
    with pytest.raises(ValueError, match="align_corners option can only be set"):
        nn.Upsample(scale_factor=2, align_corners=True)


# ------------------------------------------------------------------ backends and the plan cache

@pytest.mark.parametrize("make,shape", LAYERS)
def test_runs_on_each_backend(backend_name, to_xp, rng, make, shape):
    x = rng.standard_normal(shape)
    mg.backend.use("numpy")
    host_layer = make()
    want_y = host_layer(x)
    dy = rng.standard_normal(want_y.shape)
    want_dx = host_layer.backward(dy)
    mg.backend.use(backend_name)
    layer = make()
    y = layer(to_xp(x))
    assert mg.backend.backend_of(y) == backend_name
    np.testing.assert_allclose(mg.backend.to_numpy(y), want_y, rtol=0, atol=1e-14)
    dx = layer.backward(to_xp(dy))
    assert mg.backend.backend_of(dx) == backend_name
    np.testing.assert_allclose(mg.backend.to_numpy(dx), want_dx, rtol=0, atol=1e-14)


def test_interpolation_matrices_are_moved_to_the_device_once():
    fakecupy.install()
    mg.backend.use("fakecupy")
    layer = nn.Upsample(size=(5, 7), mode="bilinear")
    x = mg.backend.to_device(np.ones((2, 3, 4, 4), np.float32))
    layer.backward(layer(x) * 1)
    counters.reset()
    for _ in range(3):
        layer.backward(layer(x) * 1)
    assert counters.transfers == 0 and counters.syncs == 0
