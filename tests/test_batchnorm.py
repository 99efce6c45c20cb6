"""BatchNorm1d / BatchNorm2d: both modes against the per-channel reference (running
statistics with the unbiased variance), gradients numerically, errors, freezing, state."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigan as mg
from minigan import nn
from minigan.gradcheck import check_module
from minigan.ops.batchnorm import batchnorm_backward, batchnorm_forward
from tests.helpers import assert_layer_grads, assert_no_param_grads, trained_dx_then_freeze
from tests.reference.batchnorm_ref import batchnorm_backward_ref, batchnorm_ref

SHAPES = st.one_of(
    st.tuples(st.integers(2, 5), st.integers(1, 3)),                                  # (N, C)
    st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 4)),               # (N, C, L)
    st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3)),
).filter(lambda s: np.prod(s) // s[1] > 1)            # training needs more than one value per channel


def _stats(rng, C):
    return (rng.standard_normal(C), rng.standard_normal(C) * 0.1,                    # gamma, beta
            rng.standard_normal(C), rng.random(C) + 0.5)                              # running mean, var


# ------------------------------------------------------------------ the op against the reference

@given(shape=SHAPES, training=st.booleans(), seed=st.integers(0, 2**16),
       momentum=st.sampled_from([0.1, 0.3]))
def test_op_matches_reference(shape, training, seed, momentum):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * 2 + 0.5
    gamma, beta, rm, rv = _stats(rng, shape[1])
    ref_y, ref_rm, ref_rv = batchnorm_ref(x, gamma, beta, rm, rv, training, momentum)
    run_m, run_v = rm.copy(), rv.copy()
    y, cache = batchnorm_forward(x, gamma, beta, run_m, run_v, training, momentum)
    np.testing.assert_allclose(y, ref_y, rtol=0, atol=1e-10)
    np.testing.assert_allclose(run_m, ref_rm, rtol=0, atol=1e-12)        # updated in place
    np.testing.assert_allclose(run_v, ref_rv, rtol=0, atol=1e-12)
    if not training:
        np.testing.assert_array_equal(run_m, rm)
        np.testing.assert_array_equal(run_v, rv)

    dy = rng.standard_normal(shape)
    dx, dgamma, dbeta = batchnorm_backward(dy, cache)
    rdx, rdgamma, rdbeta = batchnorm_backward_ref(dy, x, gamma, rm, rv, training)
    np.testing.assert_allclose(dx, rdx, rtol=0, atol=1e-10)
    np.testing.assert_allclose(dgamma, rdgamma, rtol=0, atol=1e-10)
    np.testing.assert_allclose(dbeta, rdbeta, rtol=0, atol=1e-10)


def test_running_var_uses_unbiased_variance():
    x = np.array([[1.0], [2.0], [4.0], [9.0]])                         # (N=4, C=1)
    layer = nn.BatchNorm1d(1).double()
    layer(x)
    unbiased = x.var(ddof=1)
    assert layer.running_var[0] == pytest.approx(0.9 * 1.0 + 0.1 * unbiased, abs=1e-14)
    assert layer.running_mean[0] == pytest.approx(0.1 * x.mean(), abs=1e-14)
    assert int(layer.num_batches_tracked) == 1
    # ... while the output is normalised with the biased one.
    y = layer(x)
    np.testing.assert_allclose(y[:, 0], (x[:, 0] - x.mean()) / np.sqrt(x.var() + 1e-5), atol=1e-12)


def test_momentum_none_is_a_cumulative_average(rng):
    layer = nn.BatchNorm2d(2, momentum=None).double()
    batches = [rng.standard_normal((3, 2, 2, 2)) + i for i in range(3)]
    for b in batches:
        layer(b)
    means = np.mean([b.mean(axis=(0, 2, 3)) for b in batches], axis=0)
    variances = np.mean([b.var(axis=(0, 2, 3), ddof=1) for b in batches], axis=0)
    np.testing.assert_allclose(layer.running_mean, means, atol=1e-12)
    np.testing.assert_allclose(layer.running_var, variances, atol=1e-12)


# ------------------------------------------------------------------ the layers

@pytest.mark.parametrize("cls, shape", [
    (nn.BatchNorm1d, (5, 3)), (nn.BatchNorm1d, (2, 3, 4)), (nn.BatchNorm2d, (2, 3, 3, 2))])
def test_layer_train_then_eval_matches_reference(cls, shape, rng):
    layer = cls(3).double()
    layer.weight.data[:] = rng.standard_normal(3)
    layer.bias.data[:] = rng.standard_normal(3)
    rm, rv = layer.running_mean.copy(), layer.running_var.copy()
    for step in range(3):
        x = rng.standard_normal(shape) * 3 - 1
        ref_y, rm, rv = batchnorm_ref(x, layer.weight.data, layer.bias.data, rm, rv, True)
        np.testing.assert_allclose(layer(x), ref_y, atol=1e-10)
        np.testing.assert_allclose(layer.running_mean, rm, atol=1e-12)
        np.testing.assert_allclose(layer.running_var, rv, atol=1e-12)
        assert int(layer.num_batches_tracked) == step + 1
    layer.eval()
    before = layer.running_var.copy()
    x = rng.standard_normal((1,) + shape[1:])          # a single sample is fine in evaluation
    ref_y, _, _ = batchnorm_ref(x, layer.weight.data, layer.bias.data, rm, rv, False)
    np.testing.assert_allclose(layer(x), ref_y, atol=1e-10)
    assert int(layer.num_batches_tracked) == 3
    np.testing.assert_array_equal(layer.running_var, before)        # evaluation updates nothing


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("cls, shape", [
    (nn.BatchNorm1d, (6, 2)), (nn.BatchNorm1d, (3, 2, 4)), (nn.BatchNorm2d, (2, 3, 3, 3))])
def test_gradients_numerically(cls, shape, training, rng):
    layer = cls(shape[1]).double()
    layer.weight.data[:] = rng.standard_normal(shape[1])
    layer.bias.data[:] = rng.standard_normal(shape[1])
    layer.running_mean[:] = rng.standard_normal(shape[1])
    layer.running_var[:] = rng.random(shape[1]) + 0.5
    layer.train(training)
    report = check_module(layer, rng.standard_normal(shape) * 2 + 1)
    assert report.ok, report.table()
    assert {r.name for r in report.rows} == {"input", "weight", "bias"}


@pytest.mark.parametrize("training", [True, False])
def test_op_without_param_grads_returns_only_dx(training, rng):
    x, dy = rng.standard_normal((4, 3, 2)), rng.standard_normal((4, 3, 2))
    gamma, beta, rm, rv = _stats(rng, 3)
    _, cache = batchnorm_forward(x, gamma, beta, rm.copy(), rv.copy(), training)
    dx, dgamma, dbeta = batchnorm_backward(dy, cache, param_grads=False)
    assert dgamma is None and dbeta is None
    np.testing.assert_allclose(dx, batchnorm_backward_ref(dy, x, gamma, rm, rv, training)[0],
                               atol=1e-10)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("how", ["freeze", "requires_grad"])
def test_frozen_layer_computes_only_dx(how, training, rng):
    layer = nn.BatchNorm2d(2).double().train(training)
    layer.weight.data[:] = [0.5, 2.0]
    x, dy = rng.standard_normal((3, 2, 2, 2)), rng.standard_normal((3, 2, 2, 2))
    dx_trained = trained_dx_then_freeze(layer, x, dy, how)
    layer(x)
    dx_frozen = layer.backward(dy)
    np.testing.assert_allclose(dx_frozen, dx_trained, rtol=0, atol=1e-15)
    assert_no_param_grads(layer)


def test_gamma_and_beta_requires_grad_are_honoured_separately(rng):
    layer = nn.BatchNorm1d(2).double()
    x, dy = rng.standard_normal((5, 2)), rng.standard_normal((5, 2))
    layer.bias.requires_grad = False
    layer(x)
    layer.backward(dy)
    assert layer.weight.grad.any() and not layer.bias.grad.any()
    layer.zero_grad()
    layer.weight.requires_grad, layer.bias.requires_grad = False, True
    layer(x)
    layer.backward(dy)
    assert not layer.weight.grad.any()
    np.testing.assert_allclose(layer.bias.grad, dy.sum(axis=0), atol=1e-12)


def test_errors():
    bn1, bn2 = nn.BatchNorm1d(3), nn.BatchNorm2d(3)
    with pytest.raises(ValueError, match=r"BatchNorm1d\(3.*\(N, 3\) or \(N, 3, L\).*\(4, 2\)"):
        bn1(np.zeros((4, 2), np.float32))
    with pytest.raises(ValueError, match=r"BatchNorm1d\(3.*2-D or 3-D.*\(2, 3, 4, 4\)"):
        bn1(np.zeros((2, 3, 4, 4), np.float32))
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3.*\(N, 3, H, W\).*\(2, 4, 2, 2\)"):
        bn2(np.zeros((2, 4, 2, 2), np.float32))
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3.*4-D.*\(2, 3\)"):
        bn2(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"BatchNorm1d\(3.*more than 1 value per channel.*\(1, 3\)"):
        bn1(np.zeros((1, 3), np.float32))
    with pytest.raises(TypeError, match="BatchNorm2d.*float64"):
        bn2(np.zeros((2, 3, 2, 2), np.float64))
    with pytest.raises(RuntimeError, match="backward called before forward"):
        bn2.backward(np.zeros((2, 3, 2, 2), np.float32))
    for bad in (0, -2):
        with pytest.raises(ValueError, match="BatchNorm2d: num_features"):
            nn.BatchNorm2d(bad)
    for bad in (1.5, True, "3"):          # a wrong type, not a wrong value
        with pytest.raises(TypeError, match="BatchNorm2d: num_features"):
            nn.BatchNorm2d(bad)
    with pytest.raises(ValueError, match="BatchNorm1d: momentum"):
        nn.BatchNorm1d(2, momentum=1.5)


def test_state_dict_keys_and_buffers():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    state = model.state_dict()
    assert list(state) == ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                           "1.running_var", "1.num_batches_tracked"]
    assert state["1.num_batches_tracked"].shape == () and state["1.num_batches_tracked"].dtype == np.int64
    model(np.ones((2, 1, 4, 4), np.float32))
    assert int(model[1].num_batches_tracked) == 1
    assert int(model.state_dict()["1.num_batches_tracked"]) == 1      # still registered after update
    model.double()
    assert model[1].num_batches_tracked.dtype == np.int64 and model[1].running_var.dtype == np.float64
    fresh = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2)).double()
    fresh.load_state_dict(model.state_dict())
    np.testing.assert_array_equal(fresh[1].running_mean, model[1].running_mean)
    assert int(fresh[1].num_batches_tracked) == 1


def test_default_and_dcgan_init():
    layer = nn.BatchNorm1d(64)
    np.testing.assert_array_equal(layer.weight.data, 1)
    np.testing.assert_array_equal(layer.bias.data, 0)
    mg.backend.seed(0)
    model = nn.Sequential(nn.Conv2d(1, 64, 3), nn.BatchNorm2d(64))
    nn.init.dcgan_init_(model)
    gamma = model[1].weight.data
    assert abs(gamma.mean() - 1) < 0.01 and 0.01 < gamma.std() < 0.03
    assert abs(model[0].weight.data.mean()) < 0.01 and not model[1].bias.data.any()


# ------------------------------------------------------------------ both backends

@pytest.mark.parametrize("training", [True, False])
def test_runs_on_each_backend(backend_name, to_xp, rng, training):
    layer = nn.BatchNorm2d(3).double().train(training)
    x, dy = rng.standard_normal((2, 3, 4, 3)), rng.standard_normal((2, 3, 4, 3))
    g, b = np.ones(3), np.zeros(3)
    rm, rv = np.zeros(3), np.ones(3)
    y = layer(to_xp(x))
    assert mg.backend.backend_of(y) == backend_name
    ref_y, ref_rm, ref_rv = batchnorm_ref(x, g, b, rm, rv, training)
    np.testing.assert_allclose(mg.backend.to_numpy(y), ref_y, atol=1e-10)
    np.testing.assert_allclose(mg.backend.to_numpy(layer.running_var), ref_rv, atol=1e-12)
    dx = layer.backward(to_xp(dy))
    assert_layer_grads(layer, dx, *batchnorm_backward_ref(dy, x, g, rm, rv, training), atol=1e-10)


def test_against_pytorch_when_installed(rng):
    torch = pytest.importorskip("torch")
    layer, ref = nn.BatchNorm2d(3).double(), torch.nn.BatchNorm2d(3).double()
    layer.weight.data[:] = rng.standard_normal(3)
    ref.weight.data = torch.from_numpy(layer.weight.data.copy())
    for training in (True, True, False):
        layer.train(training)
        ref.train(training)
        x, dy = rng.standard_normal((4, 3, 3, 2)) * 2 + 1, rng.standard_normal((4, 3, 3, 2))
        xt = torch.from_numpy(x).requires_grad_()
        yt = ref(xt)
        yt.backward(torch.from_numpy(dy))
        np.testing.assert_allclose(layer(x), yt.detach().numpy(), atol=1e-12)
        np.testing.assert_allclose(layer.backward(dy), xt.grad.numpy(), atol=1e-12)
        for key, value in ref.state_dict().items():
            np.testing.assert_allclose(layer.state_dict()[key], value.numpy(), atol=1e-12)
    np.testing.assert_allclose(layer.weight.grad, ref.weight.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(layer.bias.grad, ref.bias.grad.numpy(), atol=1e-12)


def test_a_nan_batch_does_not_poison_the_running_statistics(backend_name):
    import warnings
    import minigan as mg
    bn = nn.BatchNorm2d(3)
    x = np.random.default_rng(0).standard_normal((4, 3, 2, 2)).astype(np.float32)
    bn(mg.backend.to_device(x))
    before_m, before_v = (mg.backend.to_numpy(b).copy() for b in (bn.running_mean, bn.running_var))
    x[1, 1, 0, 0] = np.nan
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        y = bn(mg.backend.to_device(x))
    rm, rv = mg.backend.to_numpy(bn.running_mean), mg.backend.to_numpy(bn.running_var)
    assert np.isfinite(rm).all() and np.isfinite(rv).all()
    assert rm[1] == before_m[1] and rv[1] == before_v[1]          # the NaN channel kept its statistics
    assert rm[0] != before_m[0] and rm[2] != before_m[2]          # the others were updated
    assert np.isnan(mg.backend.to_numpy(y)[:, 1]).all()           # the output itself is not hidden
    if backend_name == "numpy":
        assert any("not finite in channels [1]" in str(m.message) for m in w)


def test_float16_variance_is_summed_wide_enough_for_a_large_batch(backend_name):
    # 65,536 values per channel of variance 4: their sum of squares overflows float16's
    # 65504, so it is summed in float32 (as NumPy's and CuPy's means of half arrays are)
    x = (np.random.default_rng(1).standard_normal((64, 2, 32, 32)) * 2).astype(np.float16)
    bn = nn.BatchNorm2d(2).astype(np.float16)
    y = mg.backend.to_numpy(bn(mg.backend.to_device(x))).astype(np.float64)
    m = x.size // 2
    var = x.astype(np.float64).var(axis=(0, 2, 3))
    assert np.isfinite(y).all()
    np.testing.assert_allclose(mg.backend.to_numpy(bn.running_var).astype(np.float64),
                               0.9 + 0.1 * var * m / (m - 1), rtol=2e-3)
    np.testing.assert_allclose(y.std(axis=(0, 2, 3)), 1.0, atol=1e-2)


@pytest.mark.parametrize("momentum", [0.1, None])
def test_the_batch_counter_counts_on_the_device_inside_the_running_stats_kernel(momentum, rng):
    # the counter is incremented by the running statistics' kernel (lane 0), not by a
    # launch of its own; momentum=None reads it for PyTorch's cumulative average
    from tests import fakecupy
    xs = [rng.standard_normal((4, 3, 2, 2)) for _ in range(3)]
    host = nn.BatchNorm2d(3, momentum=momentum).double()
    for x in xs:
        host(x)
    mg.backend.use(fakecupy.NAME)
    try:
        dev = nn.BatchNorm2d(3, momentum=momentum).double()
        for k, x in enumerate(xs):
            with fakecupy.counting() as c:
                dev(mg.backend.to_device(x))
            assert "add" not in c.by_op, c.by_op
            assert c.by_op.get("kernel:minigan_batchnorm_running_stats") == 1, c.by_op
            assert int(mg.backend.to_numpy(dev.num_batches_tracked)) == k + 1
        assert mg.backend.to_numpy(dev.num_batches_tracked).shape == ()
        dev.eval()
        dev(mg.backend.to_device(xs[0]))
        assert int(mg.backend.to_numpy(dev.num_batches_tracked)) == 3
        for name in ("running_mean", "running_var"):
            np.testing.assert_allclose(mg.backend.to_numpy(getattr(dev, name)),
                                       getattr(host, name), rtol=1e-12, atol=1e-14)
    finally:
        mg.backend.use("numpy")
