"""Activations: values and derivatives against scalar loops, gradients numerically,
accurate sigmoid tails, no overflow at extreme inputs, constructor errors, dtypes."""
import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigan as mg
from minigan import nn
from minigan.gradcheck import check_module
from tests.reference.linear_ref import activation_backward_ref, activation_ref

KINKED = {"relu", "leaky_relu", "elu"}        # derivative jumps at 0

shapes = st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple)
slopes = st.floats(1e-3, 3.0)
alphas = st.floats(0.05, 3.0)


def _make(name, param=None):
    """(layer, reference name, reference parameters)."""
    if name == "relu":
        return nn.ReLU(), ()
    if name == "leaky_relu":
        return nn.LeakyReLU(param), (param,)
    if name == "tanh":
        return nn.Tanh(), ()
    if name == "sigmoid":
        return nn.Sigmoid(), ()
    if name == "elu":
        return nn.ELU(param), (param,)
    raise AssertionError(name)


NAMES = ["relu", "leaky_relu", "tanh", "sigmoid", "elu"]


def _away_from_zero(x, rng, margin=1e-3):
    """Resample entries within ``margin`` of the kink at 0."""
    bad = np.abs(x) < margin
    while bad.any():
        x[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(x) < margin
    return x


def _param_for(name, slope, alpha):
    return {"leaky_relu": slope, "elu": alpha}.get(name)


# ------------------------------------------------------------------ against the scalar loops

@pytest.mark.parametrize("name", NAMES)
@given(shape=shapes, scale=st.sampled_from([0.5, 3.0, 30.0]), slope=slopes, alpha=alphas,
       seed=st.integers(0, 2**16))
def test_value_and_derivative_match_scalar_loops(backend_name, to_xp, name, shape, scale, slope,
                                                 alpha, seed):
    layer, params = _make(name, _param_for(name, slope, alpha))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * scale
    x.flat[0] = 0.0                               # the kink itself: f'(0) is taken as the x <= 0 side
    dy = rng.standard_normal(shape)
    y = layer(to_xp(x))
    assert mg.backend.backend_of(y) == backend_name
    assert y.shape == x.shape and y.dtype == np.float64
    np.testing.assert_allclose(mg.backend.to_numpy(y), activation_ref(name, x, *params),
                               rtol=1e-12, atol=1e-15)
    dx = layer.backward(to_xp(dy))
    assert dx.shape == x.shape and dx.dtype == np.float64
    np.testing.assert_allclose(mg.backend.to_numpy(dx), activation_backward_ref(name, dy, x, *params),
                               rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("slope", [0.01, 0.2, 1.0, 2.5])
def test_leaky_relu_known_values(slope):
    x = np.array([-2.0, -0.5, 0.0, 0.5, 3.0])
    layer = nn.LeakyReLU(slope)
    np.testing.assert_array_equal(layer(x), [-2.0 * slope, -0.5 * slope, 0.0, 0.5, 3.0])
    np.testing.assert_array_equal(layer.backward(np.ones(5)), [slope, slope, slope, 1.0, 1.0])


def test_elu_known_values():
    layer = nn.ELU(2.0)
    x = np.array([-1.0, 0.0, 1.5])
    np.testing.assert_allclose(layer(x), [2.0 * (math.exp(-1.0) - 1), 0.0, 1.5], rtol=1e-15)
    np.testing.assert_allclose(layer.backward(np.ones(3)), [2.0 * math.exp(-1.0), 2.0, 1.0],
                               rtol=1e-14)


def test_default_parameters_follow_pytorch():
    assert nn.LeakyReLU().negative_slope == 0.01
    assert nn.ELU().alpha == 1.0


# ------------------------------------------------------------------ numerical gradients

@pytest.mark.parametrize("name", NAMES)
@given(shape=shapes, slope=slopes, alpha=alphas, seed=st.integers(0, 2**16))
def test_gradients_numerically(backend_name, to_xp, name, shape, slope, alpha, seed):
    layer, _ = _make(name, _param_for(name, slope, alpha))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * 2
    if name in KINKED:
        x = _away_from_zero(x, rng)
    report = check_module(layer, to_xp(x), seed=seed)
    assert report.ok, report.table()
    assert report.worst < 1e-6, report.table()
    assert [r.name for r in report.rows] == ["input"]


def test_gradients_numerically_in_a_model(rng):
    model = nn.Sequential(nn.Linear(3, 6), nn.ELU(0.7), nn.Linear(6, 6), nn.LeakyReLU(0.2),
                          nn.Linear(6, 4), nn.Tanh(), nn.Linear(4, 1), nn.Sigmoid()).double()
    report = check_module(model, rng.standard_normal((5, 3)))
    assert report.ok, report.table()
    assert report.worst < 1e-6, report.table()


# ------------------------------------------------------------------ sigmoid tails and extremes

@pytest.mark.parametrize("x", [-30.0, -100.0, -700.0, -5.0, 0.0, 5.0, 30.0])
def test_sigmoid_is_relatively_accurate_in_the_tails(x):
    exact = 1.0 / (1.0 + math.exp(-x))
    layer = nn.Sigmoid()
    y = float(layer(np.array([x]))[0])
    assert exact > 0
    assert abs(y - exact) <= 1e-6 * exact, (y, exact)
    dx = float(layer.backward(np.array([1.0]))[0])
    exact_grad = exact * (1.0 - exact)
    assert abs(dx - exact_grad) <= 1e-6 * exact_grad, (dx, exact_grad)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_no_overflow_at_extreme_inputs(dtype):
    x = np.array([-1e4, -800.0, 800.0, 1e4], dtype)
    cases = [
        (nn.Sigmoid(), [0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0]),
        (nn.Tanh(), [-1.0, -1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0]),
        (nn.ELU(1.5), [-1.5, -1.5, 800.0, 1e4], [0.0, 0.0, 1.0, 1.0]),
        (nn.LeakyReLU(0.1), [-1e3, -80.0, 800.0, 1e4], [0.1, 0.1, 1.0, 1.0]),
        (nn.ReLU(), [0.0, 0.0, 800.0, 1e4], [0.0, 0.0, 1.0, 1.0]),
    ]
    for layer, y_exact, dx_exact in cases:
        with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
            warnings.simplefilter("error")
            y = layer(x)
            dx = layer.backward(np.ones_like(x))
        assert np.isfinite(y).all() and np.isfinite(dx).all(), layer
        np.testing.assert_allclose(y, np.asarray(y_exact, dtype), rtol=1e-6, atol=0,
                                   err_msg=repr(layer))
        np.testing.assert_allclose(dx, np.asarray(dx_exact, dtype), rtol=1e-6, atol=1e-30,
                                   err_msg=repr(layer))


# ------------------------------------------------------------------ construction, dtypes, errors

@pytest.mark.parametrize("make, word", [
    (lambda: nn.LeakyReLU(0.0), "negative_slope"),
    (lambda: nn.LeakyReLU(-0.2), "negative_slope"),
    (lambda: nn.LeakyReLU(float("nan")), "negative_slope"),
    (lambda: nn.ELU(0.0), "alpha"),
    (lambda: nn.ELU(-1.0), "alpha"),
    (lambda: nn.ELU(float("nan")), "alpha"),
])
def test_non_positive_parameters_are_rejected(make, word):
    with pytest.raises(ValueError, match=word):
        make()


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_preserved(name, dtype, rng):
    layer, _ = _make(name, 0.3)
    x = rng.standard_normal((3, 4)).astype(dtype)
    y = layer(x)
    assert y.dtype == dtype
    assert layer.backward(rng.standard_normal((3, 4)).astype(dtype)).dtype == dtype


@pytest.mark.parametrize("name", NAMES)
def test_inputs_are_not_written(name, rng):
    layer, _ = _make(name, 0.3)
    x, dy = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    x0, dy0 = x.copy(), dy.copy()
    layer(x)
    layer.backward(dy)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(dy, dy0)


@pytest.mark.parametrize("name", NAMES)
def test_errors(name):
    layer, _ = _make(name, 0.3)
    with pytest.raises(RuntimeError, match="backward called before forward"):
        layer.backward(np.ones(3))
    with pytest.raises(TypeError, match="floating-point"):
        layer(np.arange(3))
    layer(np.zeros(3))
    layer.backward(np.ones(3))
    with pytest.raises(RuntimeError, match="backward called before forward"):
        layer.backward(np.ones(3))
