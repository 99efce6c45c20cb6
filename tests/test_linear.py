"""nn.Linear: against naive loops, gradients numerically, accumulation, freezing,
input errors, PyTorch's default init and state dicts."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigan as mg
from minigan import nn
from minigan.gradcheck import check_module
from minigan.ops.linear import linear_backward, linear_forward
from tests.reference.linear_ref import linear_backward_ref, linear_ref


def _layer(i, o, bias=True, seed=0):
    mg.backend.seed(seed)
    return nn.Linear(i, o, bias=bias).double()


def _np(a):
    return mg.backend.to_numpy(a)


# ------------------------------------------------------------------ against the naive loops

@given(N=st.integers(1, 6), i=st.integers(1, 7), o=st.integers(1, 7), bias=st.booleans(),
       seed=st.integers(0, 2**16))
def test_forward_and_backward_match_naive_loops(backend_name, to_xp, N, i, o, bias, seed):
    layer = _layer(i, o, bias, seed)
    W = _np(layer.weight.data)
    b = _np(layer.bias.data) if bias else None
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, i))
    y = layer(to_xp(x))
    assert mg.backend.backend_of(y) == backend_name
    assert y.shape == (N, o) and y.dtype == np.float64
    np.testing.assert_allclose(_np(y), linear_ref(x, W, b), rtol=0, atol=1e-12)

    dy = rng.standard_normal((N, o))
    dx = layer.backward(to_xp(dy))
    rdx, rdW, rdb = linear_backward_ref(dy, x, W)
    np.testing.assert_allclose(_np(dx), rdx, rtol=0, atol=1e-12)
    np.testing.assert_allclose(_np(layer.weight.grad), rdW, rtol=0, atol=1e-12)
    if bias:
        np.testing.assert_allclose(_np(layer.bias.grad), rdb, rtol=0, atol=1e-12)
    else:
        assert layer.bias is None
        assert [n for n, _ in layer.named_parameters()] == ["weight"]


@given(N=st.integers(1, 5), i=st.integers(1, 6), o=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_float32_layer_forward_matches_loops_in_float32(N, i, o, seed):
    mg.backend.seed(seed)
    layer = nn.Linear(i, o)
    x = np.random.default_rng(seed).standard_normal((N, i)).astype(np.float32)
    y = layer(x)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, linear_ref(x, layer.weight.data, layer.bias.data),
                               rtol=1e-5, atol=1e-5)


def test_op_matches_loops_and_skips_param_grads(rng):
    x, W, b = rng.standard_normal((4, 3)), rng.standard_normal((5, 3)), rng.standard_normal(5)
    y, cache = linear_forward(x, W, b)
    np.testing.assert_allclose(y, linear_ref(x, W, b), rtol=0, atol=1e-12)
    dy = rng.standard_normal((4, 5))
    dx, dW, db = linear_backward(dy, cache, param_grads=False)
    assert dW is None and db is None
    np.testing.assert_allclose(dx, linear_backward_ref(dy, x, W)[0], rtol=0, atol=1e-12)


def test_inputs_are_not_written(rng):
    layer = _layer(3, 2)
    x = rng.standard_normal((4, 3))
    dy = rng.standard_normal((4, 2))
    x0, dy0 = x.copy(), dy.copy()
    layer(x)
    layer.backward(dy)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(dy, dy0)


# ------------------------------------------------------------------ numerical gradients

@given(N=st.integers(1, 4), i=st.integers(1, 6), o=st.integers(1, 5), bias=st.booleans(),
       seed=st.integers(0, 2**16))
def test_gradients_numerically(backend_name, to_xp, N, i, o, bias, seed):
    layer = _layer(i, o, bias, seed)
    x = to_xp(np.random.default_rng(seed).standard_normal((N, i)))
    report = check_module(layer, x, seed=seed)
    assert report.ok, report.table()
    assert report.worst < 1e-6, report.table()
    names = {r.name for r in report.rows}
    assert names == {"input", "weight"} | ({"bias"} if bias else set())
    assert all(r.method == "elementwise" for r in report.rows)


def test_gradients_numerically_large_random_directions(rng):
    layer = _layer(40, 30, seed=5)
    x = rng.standard_normal((16, 40))
    report = check_module(layer, x, directions=4)
    assert report.ok, report.table()
    assert report.worst < 1e-6, report.table()
    methods = {r.name: r.method for r in report.rows}
    assert methods["weight"].startswith("directions") and methods["input"].startswith("directions")


def test_checker_catches_a_planted_wrong_bias_gradient(rng, monkeypatch):
    layer = _layer(4, 3)
    honest = type(layer).backward

    def wrong(dy):
        dx = honest(layer, dy)
        layer.bias.grad *= 1.01          # 1% too large
        return dx

    monkeypatch.setattr(layer, "backward", wrong)
    report = check_module(layer, rng.standard_normal((5, 4)))
    assert not report.ok
    rows = {r.name: r for r in report.rows}
    assert not rows["bias"].ok and rows["bias"].error > 1e-3
    assert rows["weight"].ok and rows["input"].ok


# ------------------------------------------------------------------ accumulation and freezing

def test_gradients_accumulate_and_zero_grad_clears(rng):
    layer = _layer(3, 4)
    x, dy = rng.standard_normal((5, 3)), rng.standard_normal((5, 4))
    layer(x)
    layer.backward(dy)
    once = layer.weight.grad.copy(), layer.bias.grad.copy()
    assert np.abs(once[0]).max() > 0 and np.abs(once[1]).max() > 0
    layer(x)
    layer.backward(dy)
    np.testing.assert_allclose(layer.weight.grad, 2 * once[0], rtol=1e-12)
    np.testing.assert_allclose(layer.bias.grad, 2 * once[1], rtol=1e-12)
    layer.zero_grad()
    assert not layer.weight.grad.any() and not layer.bias.grad.any()
    assert layer.weight.grad.shape == (4, 3) and layer.bias.grad.shape == (4,)


def test_backward_consumes_the_cache(rng):
    layer = _layer(3, 2)
    with pytest.raises(RuntimeError, match=r"Linear\(3, 2.*backward called before forward"):
        layer.backward(np.ones((4, 2)))
    layer(rng.standard_normal((4, 3)))
    layer.backward(np.ones((4, 2)))
    with pytest.raises(RuntimeError, match="backward called before forward"):
        layer.backward(np.ones((4, 2)))


@pytest.mark.parametrize("how", ["freeze", "context"])
def test_frozen_layer_gives_the_same_dx_and_no_param_grads(how, rng):
    layer = _layer(3, 4)
    x, dy = rng.standard_normal((5, 3)), rng.standard_normal((5, 4))
    layer(x)
    dx_trained = layer.backward(dy)
    layer.zero_grad()
    if how == "freeze":
        layer.freeze()
        layer(x)
        dx_frozen = layer.backward(dy)
        assert layer.frozen
    else:
        with nn.frozen(layer):
            layer(x)
            dx_frozen = layer.backward(dy)
        assert not layer.frozen
    np.testing.assert_array_equal(dx_frozen, dx_trained)
    assert not layer.weight.grad.any() and not layer.bias.grad.any()
    layer.unfreeze()
    layer(x)
    layer.backward(dy)                                    # trainable again
    np.testing.assert_allclose(layer.weight.grad, dy.T @ x, rtol=1e-12)


def test_frozen_context_freezes_a_whole_model_and_restores_it(rng):
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)).double()
    model[2].freeze()                                     # already frozen before: stays frozen
    x = rng.standard_normal((6, 3))
    with nn.frozen(model):
        assert all(m.frozen for m in model.modules())
        y = model(x)
        model.backward(np.ones_like(y))
    assert [m.frozen for m in model] == [False, False, True]
    assert all(not p.grad.any() for p in model.parameters())


def test_check_module_reports_frozen_parameters_as_skipped(rng):
    layer = _layer(3, 2).freeze()
    report = check_module(layer, rng.standard_normal((4, 3)))
    rows = {r.name: r for r in report.rows}
    assert rows["input"].ok and rows["input"].method == "elementwise"
    assert rows["weight"].method.startswith("skipped") and rows["bias"].method.startswith("skipped")


def test_bias_gets_a_gradient_when_only_the_weight_is_fixed(rng):
    layer = _layer(3, 4)
    layer.weight.requires_grad = False
    x, dy = rng.standard_normal((5, 3)), rng.standard_normal((5, 4))
    layer(x)
    dx = layer.backward(dy)
    np.testing.assert_allclose(layer.bias.grad, dy.sum(axis=0), rtol=1e-12)
    assert not layer.weight.grad.any()
    np.testing.assert_allclose(dx, dy @ layer.weight.data, rtol=1e-12)


def test_weight_gets_a_gradient_when_only_the_bias_is_fixed(rng):
    layer = _layer(3, 4)
    layer.bias.requires_grad = False
    x, dy = rng.standard_normal((5, 3)), rng.standard_normal((5, 4))
    layer(x)
    layer.backward(dy)
    np.testing.assert_allclose(layer.weight.grad, dy.T @ x, rtol=1e-12)
    assert not layer.bias.grad.any()


# ------------------------------------------------------------------ bad inputs

def test_wrong_feature_count_names_layer_shape_and_expected_size():
    layer = nn.Linear(3, 4)
    with pytest.raises(ValueError) as err:
        layer(np.zeros((8, 5), np.float32))
    msg = str(err.value)
    assert "Linear(3, 4" in msg and "(8, 5)" in msg
    assert "size 3" in msg


@pytest.mark.parametrize("shape", [(3,), (2, 4, 3), (1, 1, 1, 3)])
def test_wrong_rank(shape):
    layer = nn.Linear(3, 4)
    with pytest.raises(ValueError, match=r"Linear\(3, 4.*2-D.*" + re_shape(shape)):
        layer(np.zeros(shape, np.float32))


def re_shape(shape):
    return str(tuple(shape)).replace("(", r"\(").replace(")", r"\)")


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_])
def test_non_float_input_is_a_type_error(dtype):
    with pytest.raises(TypeError, match=r"Linear\(3, 4.*floating-point"):
        nn.Linear(3, 4)(np.zeros((2, 3), dtype))


def test_non_array_input_is_a_type_error():
    with pytest.raises(TypeError, match="Linear"):
        nn.Linear(3, 4)([[0.0, 0.0, 0.0]])


def test_dtype_mismatch_names_both_dtypes():
    with pytest.raises(TypeError) as err:
        nn.Linear(3, 4)(np.zeros((2, 3), np.float64))
    msg = str(err.value)
    assert "Linear(3, 4" in msg and "float64" in msg and "float32" in msg
    with pytest.raises(TypeError, match="float32.*float64"):
        nn.Linear(3, 4).double()(np.zeros((2, 3), np.float32))


@pytest.mark.parametrize("args, word, error", [
    ((0, 4), "in_features", ValueError), ((-1, 4), "in_features", ValueError),
    ((3, 0), "out_features", ValueError), ((3, -2), "out_features", ValueError),
    ((2.5, 4), "in_features", TypeError), ((3, "4"), "out_features", TypeError),
    ((True, 4), "in_features", TypeError), ((3, 4, True, "float32x"), "dtype", TypeError),
    ((3, 4, True, np.int32), "dtype", TypeError),
])
def test_bad_constructor_arguments(args, word, error):
    with pytest.raises(error, match=f"Linear.*{word}"):
        nn.Linear(*args)


def test_a_layer_too_large_for_memory_fails_before_numpy_names_the_bytes():
    with pytest.raises(ValueError, match=r"Linear\(1000000000000, 1\).*would need .*TiB.*bytes"):
        nn.Linear(10**12, 1)
    with pytest.raises(ValueError, match=r"Conv2d.*would need"):
        nn.Conv2d(10**6, 10**6, 3)


def test_input_from_the_other_device_names_both_backends(monkeypatch):
    layer = nn.Linear(3, 4)
    monkeypatch.setattr(layer, "_backend", lambda: "cupy")     # as if its parameters were on a GPU
    with pytest.raises(TypeError) as err:
        layer(np.zeros((2, 3), np.float32))
    msg = str(err.value)
    assert "numpy" in msg and "cupy" in msg and "Linear(3, 4" in msg


@pytest.mark.gpu
def test_numpy_input_to_a_gpu_model_is_an_error():
    if not mg.backend.gpu_available():
        pytest.skip(f"no GPU: {mg.backend.gpu_problem()}")
    mg.backend.use("cupy")                               # the autouse fixture switches back
    layer = nn.Linear(3, 4)
    assert mg.backend.backend_of(layer.weight.data) == "cupy"
    with pytest.raises(TypeError, match="numpy.*cupy"):
        layer(np.zeros((2, 3), np.float32))
    gpu_x = mg.backend.xp.zeros((2, 3), dtype=np.float32)
    mg.backend.use("numpy")
    with pytest.raises(TypeError, match="cupy.*numpy"):
        nn.Linear(3, 4)(gpu_x)


# ------------------------------------------------------------------ init

def test_default_init_like_pytorch():
    mg.backend.seed(0)
    fan_in, out = 400, 500
    layer = nn.Linear(fan_in, out)
    bound = 1 / math.sqrt(fan_in)
    uniform_std = bound / math.sqrt(3)                   # std of U(-b, b) = b / sqrt(3) = 1/sqrt(3 in)
    assert uniform_std == pytest.approx(1 / math.sqrt(3 * fan_in))
    w, b = layer.weight.data, layer.bias.data
    assert w.shape == (out, fan_in) and b.shape == (out,)
    assert w.dtype == np.float32 and b.dtype == np.float32
    for p, rel in ((w, 0.02), (b, 0.12)):
        assert np.abs(p).max() <= bound
        assert np.abs(p).max() > 0.95 * bound
        assert abs(float(p.std()) - uniform_std) < rel * uniform_std
        assert abs(float(p.mean())) < 4 * uniform_std / math.sqrt(p.size)


def test_seeding_makes_construction_reproducible():
    mg.backend.seed(7)
    a = nn.Linear(5, 3)
    mg.backend.seed(7)
    b = nn.Linear(5, 3)
    c = nn.Linear(5, 3)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    np.testing.assert_array_equal(a.bias.data, b.bias.data)
    assert not np.array_equal(b.weight.data, c.weight.data)


# ------------------------------------------------------------------ state dicts

def test_state_dict_keys():
    assert list(nn.Linear(3, 4).state_dict()) == ["weight", "bias"]
    assert list(nn.Linear(3, 4, bias=False).state_dict()) == ["weight"]
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    state = model.state_dict()
    assert list(state) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert state["0.weight"].shape == (4, 3) and state["2.bias"].shape == (2,)
    assert [n for n, _ in model.named_parameters()] == list(state)


def test_state_dict_holds_copies():
    layer = nn.Linear(3, 4)
    state = layer.state_dict()
    state["weight"][...] = 123.0
    assert not (layer.weight.data == 123.0).any()


def test_load_state_dict_round_trip(rng):
    mg.backend.seed(1)
    a = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))
    mg.backend.seed(2)
    b = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))
    x = rng.standard_normal((4, 3)).astype(np.float32)
    assert not np.allclose(a(x), b(x))
    weight_before = b[0].weight.data
    b.load_state_dict(a.state_dict())
    np.testing.assert_array_equal(b(x), a(x))
    assert b[0].weight.data is not a[0].weight.data        # copied, not shared
    assert b[0].weight.data.dtype == np.float32
    assert weight_before.shape == b[0].weight.data.shape


def test_load_state_dict_casts_to_the_layer_dtype():
    layer = nn.Linear(2, 2)
    layer.load_state_dict({"weight": np.eye(2), "bias": np.zeros(2)})   # float64 arrays
    assert layer.weight.dtype == np.float32
    np.testing.assert_array_equal(layer.weight.data, np.eye(2, dtype=np.float32))


def test_load_state_dict_errors():
    layer = nn.Linear(3, 4)
    good = layer.state_dict()
    with pytest.raises(KeyError, match="missing.*bias"):
        layer.load_state_dict({"weight": good["weight"]})
    with pytest.raises(KeyError, match="unexpected.*extra"):
        layer.load_state_dict(dict(good, extra=np.zeros(1)))
    with pytest.raises(ValueError, match=r"'weight'.*\(3, 4\).*expected \(4, 3\)"):
        layer.load_state_dict({"weight": np.zeros((3, 4)), "bias": good["bias"]})
    with pytest.raises(ValueError, match="bias"):
        layer.load_state_dict({"weight": good["weight"], "bias": np.zeros(3)})
    np.testing.assert_array_equal(layer.weight.data, good["weight"])   # nothing loaded by a failure
    # Non-strict loading takes the keys that are there.
    layer.load_state_dict({"weight": np.ones((4, 3))}, strict=False)
    np.testing.assert_array_equal(layer.weight.data, np.ones((4, 3)))
    np.testing.assert_array_equal(layer.bias.data, good["bias"])
