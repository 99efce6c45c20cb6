"""InstanceNorm2d and minigan.ops.instancenorm: the op against the per-plane reference on
drawn shapes, the layer's modes (affine, tracked running statistics, train/eval), gradients
numerically (and a planted mistake caught), PyTorch's values and state_dict keys, errors,
freezing, and both backends."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigan as mg
from minigan import nn
from minigan.gradcheck import check_module
from minigan.ops import instancenorm as ops
from minigan.ops.instancenorm import InstanceNormCache, instance_norm_backward, instance_norm_forward
from tests.reference.instancenorm_ref import (instance_norm2d_ref, instance_norm_backward_ref,
                                              instance_norm_ref, running_stats_ref)

SHAPES = st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 4),
                   st.integers(1, 4)).filter(lambda s: s[2] * s[3] > 1)

BAD_ARGUMENTS = [
    ("InstanceNorm2d", lambda: nn.InstanceNorm2d(0), ValueError),
    ("InstanceNorm2d", lambda: nn.InstanceNorm2d(2.0), TypeError),
    ("InstanceNorm2d", lambda: nn.InstanceNorm2d(3, eps=0), ValueError),
    ("InstanceNorm2d", lambda: nn.InstanceNorm2d(3, momentum=1.5), ValueError),
    ("InstanceNorm2d", lambda: nn.InstanceNorm2d(3, affine=1), TypeError),
    ("InstanceNorm2d", lambda: nn.InstanceNorm2d(3, track_running_stats="yes"), TypeError),
    ("InstanceNorm2d", lambda: nn.InstanceNorm2d(3, dtype=np.int32), TypeError),
    ("InstanceNorm2d", lambda: nn.InstanceNorm2d(3)(np.zeros((2, 3, 1, 1), np.float32)), ValueError),
    ("InstanceNorm2d", lambda: nn.InstanceNorm2d(3)(np.zeros((2, 4, 2, 2), np.float32)), ValueError),
    ("InstanceNorm2d", lambda: nn.InstanceNorm2d(3)(np.zeros((3, 2, 2), np.float32)), ValueError),
    ("InstanceNorm2d", lambda: nn.InstanceNorm2d(3, affine=True)(np.zeros((2, 3, 2, 2))), TypeError),
]


# ------------------------------------------------------------------ the op against the reference

@given(shape=SHAPES, seed=st.integers(0, 2**16), eps=st.sampled_from([1e-5, 1e-3, 0.5]))
def test_op_matches_reference(shape, seed, eps):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * 3 + rng.standard_normal()
    xhat, cache = instance_norm_forward(x, eps)
    np.testing.assert_allclose(xhat, instance_norm_ref(x, eps), rtol=0, atol=1e-10)
    assert cache.inv_std.shape == shape[:2] + (1, 1)
    dxhat = rng.standard_normal(shape)
    np.testing.assert_allclose(instance_norm_backward(dxhat, cache),
                               instance_norm_backward_ref(dxhat, x, eps), rtol=0, atol=1e-10)


def test_the_adain_contract():
    """AdaIN reuses exactly these names: (xhat, cache) from the forward, a NamedTuple cache
    with xhat and inv_std (N, C, 1, 1), and dx from (dxhat, cache) with a per-sample scale."""
    assert ops.__all__ == ["InstanceNormCache", "instance_norm_forward", "instance_norm_backward"]
    assert InstanceNormCache._fields == ("xhat", "inv_std")
    rng = np.random.default_rng(0)
    x, dy = rng.standard_normal((2, 3, 3, 4)), rng.standard_normal((2, 3, 3, 4))
    s = rng.standard_normal((2, 3, 1, 1))                  # a per-sample, per-channel scale
    xhat, cache = instance_norm_forward(x)
    assert cache.xhat is xhat
    dx = instance_norm_backward(dy * s, cache)
    # the numerical derivative of L = sum(dy * (s xhat(x))) in one direction
    v, e = rng.standard_normal(x.shape), 1e-6
    f = [(dy * s * instance_norm_forward(x + d * v)[0]).sum() for d in (e, -e)]
    assert (dx * v).sum() == pytest.approx((f[0] - f[1]) / (2 * e), rel=1e-6)


def test_against_pytorch_values():
    # PyTorch 2.13's InstanceNorm2d(1) output and input gradient for this input and dy
    x = np.array([[[[1.0, 2.0], [3.0, 5.0]]]])
    layer = nn.InstanceNorm2d(1).double()
    np.testing.assert_allclose(layer(x), [[[[-1.183213252136, -0.507091393772],
                                            [0.169030464591, 1.521274181317]]]], atol=1e-11)
    dx = layer.backward(np.array([[[[1.0, 0.0], [0.0, 0.0]]]]))
    np.testing.assert_allclose(dx, [[[[0.270449825135, -0.270448279721],
                                      [-0.135224526214, 0.1352229808]]]], atol=1e-11)


def test_against_pytorch_when_installed(rng):
    torch = pytest.importorskip("torch")
    for affine, track in ((False, False), (True, False), (True, True)):
        layer = nn.InstanceNorm2d(3, affine=affine, track_running_stats=track).double()
        ref = torch.nn.InstanceNorm2d(3, affine=affine, track_running_stats=track).double()
        for training in (True, True, False):
            layer.train(training)
            ref.train(training)
            x, dy = rng.standard_normal((4, 3, 3, 2)) * 2 + 1, rng.standard_normal((4, 3, 3, 2))
            xt = torch.from_numpy(x).requires_grad_()
            yt = ref(xt)
            yt.backward(torch.from_numpy(dy))
            np.testing.assert_allclose(layer(x), yt.detach().numpy(), atol=1e-12)
            np.testing.assert_allclose(layer.backward(dy), xt.grad.numpy(), atol=1e-12)
            assert list(layer.state_dict()) == list(ref.state_dict())


# ------------------------------------------------------------------ the layer

@given(shape=SHAPES, seed=st.integers(0, 2**16), affine=st.booleans(), track=st.booleans(),
       momentum=st.sampled_from([0.1, 0.5, None]))
def test_layer_train_then_eval_matches_reference(shape, seed, affine, track, momentum):
    rng = np.random.default_rng(seed)
    C = shape[1]
    layer = nn.InstanceNorm2d(C, momentum=momentum, affine=affine, track_running_stats=track).double()
    w, b = (rng.standard_normal(C), rng.standard_normal(C)) if affine else (None, None)
    if affine:
        layer.weight.data[:], layer.bias.data[:] = w, b
    rm, rv = np.zeros(C), np.ones(C)
    for _ in range(2):
        x = rng.standard_normal(shape) * 2 - 1
        np.testing.assert_allclose(layer(x), instance_norm2d_ref(x, w, b), atol=1e-10)
        if track:
            if momentum is not None:                  # PyTorch: momentum None updates nothing
                rm, rv = running_stats_ref(x, rm, rv, momentum)
            np.testing.assert_allclose(layer.running_mean, rm, atol=1e-12)
            np.testing.assert_allclose(layer.running_var, rv, atol=1e-12)
            assert int(layer.num_batches_tracked) == 0   # PyTorch's InstanceNorm never counts
    layer.eval()
    x = rng.standard_normal((1,) + shape[1:])
    want = instance_norm2d_ref(x, w, b, 1e-5, *((rm, rv) if track else (None, None)))
    np.testing.assert_allclose(layer(x), want, atol=1e-10)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine,track", [(False, False), (True, False), (False, True), (True, True)])
def test_gradients_numerically(affine, track, training, rng):
    layer = nn.InstanceNorm2d(3, affine=affine, track_running_stats=track).double().train(training)
    if affine:
        layer.weight.data[:] = rng.standard_normal(3)
        layer.bias.data[:] = rng.standard_normal(3)
    if track:
        layer.running_mean[:] = rng.standard_normal(3)
        layer.running_var[:] = rng.random(3) + 0.5
    report = check_module(layer, rng.standard_normal((2, 3, 3, 4)) * 2 + 1)
    assert report.ok, report.table()
    assert {r.name for r in report.rows} == ({"input", "weight", "bias"} if affine else {"input"})


def test_the_gradient_check_catches_a_planted_mistake(rng, monkeypatch):
    def no_variance_term(dxhat, cache):      # drops -xhat mean(dxhat xhat): wrong
        return cache.inv_std * (dxhat - dxhat.mean(axis=(2, 3), keepdims=True))
    monkeypatch.setattr("minigan.nn.instancenorm.instance_norm_backward", no_variance_term)
    report = check_module(nn.InstanceNorm2d(2).double(), rng.standard_normal((2, 2, 3, 3)))
    assert not report.ok


def test_frozen_layer_computes_only_dx(rng):
    layer = nn.InstanceNorm2d(2, affine=True).double()
    layer.weight.data[:] = [0.5, 2.0]
    x, dy = rng.standard_normal((3, 2, 2, 3)), rng.standard_normal((3, 2, 2, 3))
    layer(x)
    dx = layer.backward(dy)
    assert layer.weight.grad.any() and layer.bias.grad.any()
    layer.zero_grad()
    layer.freeze()
    layer(x)
    np.testing.assert_allclose(layer.backward(dy), dx, rtol=0, atol=1e-15)
    assert not layer.weight.grad.any() and not layer.bias.grad.any()
    layer(x)
    assert layer.backward(dy, need_dx=False) is None


def test_no_batch_coupling(rng):
    """Each sample's output depends on that sample alone (unlike batch norm)."""
    layer = nn.InstanceNorm2d(3, affine=True).double()
    x = rng.standard_normal((4, 3, 3, 3))
    y = layer(x)
    np.testing.assert_allclose(layer(x[1:2]), y[1:2], atol=1e-14)


def test_state_dict_keys_are_pytorchs():
    assert list(nn.InstanceNorm2d(3).state_dict()) == []
    assert list(nn.InstanceNorm2d(3, affine=True).state_dict()) == ["weight", "bias"]
    assert list(nn.InstanceNorm2d(3, affine=True, track_running_stats=True).state_dict()) == [
        "weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert list(nn.InstanceNorm2d(3, track_running_stats=True).state_dict()) == [
        "running_mean", "running_var", "num_batches_tracked"]


def test_errors():
    layer = nn.InstanceNorm2d(3)
    with pytest.raises(ValueError, match=r"InstanceNorm2d\(3.*\(N, 3, H, W\).*\(2, 4, 2, 2\)"):
        layer(np.zeros((2, 4, 2, 2), np.float32))
    with pytest.raises(ValueError, match=r"InstanceNorm2d\(3.*4-D.*\(2, 3\)"):
        layer(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"InstanceNorm2d\(3.*more than 1 spatial element.*\(2, 3, 1, 1\)"):
        layer(np.zeros((2, 3, 1, 1), np.float32))
    with pytest.raises(ValueError, match="more than 1 spatial element"):     # eval: still its own stats
        layer.eval()(np.zeros((2, 3, 1, 1), np.float32))
    tracked = nn.InstanceNorm2d(3, track_running_stats=True).eval()
    np.testing.assert_allclose(tracked(np.ones((2, 3, 1, 1), np.float32)), 1 / np.sqrt(1 + 1e-5))
    with pytest.raises(TypeError, match="InstanceNorm2d.*float64"):
        nn.InstanceNorm2d(3, affine=True)(np.zeros((2, 3, 2, 2), np.float64))


def test_float16_input_of_a_parameterless_layer_stays_float16(rng):
    for layer in (nn.InstanceNorm2d(2), nn.InstanceNorm2d(2, track_running_stats=True).eval()):
        y = layer(rng.standard_normal((2, 2, 3, 3)).astype(np.float16))
        assert y.dtype == np.float16 and np.isfinite(y).all()


# ------------------------------------------------------------------ both backends

@pytest.mark.parametrize("training", [True, False])
def test_runs_on_each_backend(backend_name, to_xp, rng, training):
    layer = nn.InstanceNorm2d(3, affine=True, track_running_stats=True).double().train(training)
    x, dy = rng.standard_normal((2, 3, 4, 3)), rng.standard_normal((2, 3, 4, 3))
    y = layer(to_xp(x))
    assert mg.backend.backend_of(y) == backend_name
    stats = (None, None) if training else (np.zeros(3), np.ones(3))
    np.testing.assert_allclose(mg.backend.to_numpy(y), instance_norm2d_ref(x, np.ones(3), np.zeros(3),
                                                                          1e-5, *stats), atol=1e-10)
    if training:
        rm, rv = running_stats_ref(x, np.zeros(3), np.ones(3), 0.1)
        np.testing.assert_allclose(mg.backend.to_numpy(layer.running_var), rv, atol=1e-12)
        want_dx = instance_norm_backward_ref(dy, x)
    else:
        want_dx = dy / np.sqrt(1 + 1e-5)
    dx = layer.backward(to_xp(dy))
    np.testing.assert_allclose(mg.backend.to_numpy(dx), want_dx, atol=1e-10)
    assert mg.backend.backend_of(layer.weight.grad) == backend_name
