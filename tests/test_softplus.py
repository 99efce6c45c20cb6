"""nn.Softplus: PyTorch's values and gradient against scalar loops, first- and second-order
gradients numerically, no overflow far in the tails, both backends, bad arguments."""
import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigan as mg
from minigan import nn
from minigan.gradcheck import check_module, check_second_order

BAD_ARGUMENTS = [        # collected by tests/test_bad_input.py
    ("Softplus", lambda: nn.Softplus(beta=0), ValueError),
    ("Softplus", lambda: nn.Softplus(beta=-1.0), ValueError),
    ("Softplus", lambda: nn.Softplus(threshold=float("nan")), ValueError),
    ("Softplus", lambda: nn.Softplus(beta="1"), TypeError),
]


def _scalar(x, beta, threshold):
    """PyTorch's definition, one number at a time: (f(x), f'(x))."""
    if beta * x > threshold:
        return x, 1.0
    t = beta * x
    f = (max(t, 0.0) + math.log1p(math.exp(-abs(t)))) / beta
    return f, 1.0 / (1.0 + math.exp(-t)) if t >= 0 else math.exp(t) / (1.0 + math.exp(t))


shapes = st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple)
betas = st.sampled_from([0.5, 1.0, 2.0])
thresholds = st.sampled_from([1.0, 5.0, 20.0])


@given(shape=shapes, beta=betas, threshold=thresholds, scale=st.sampled_from([0.5, 5.0, 50.0]),
       seed=st.integers(0, 2**16))
def test_values_and_gradient_match_scalar_loops(backend_name, shape, beta, threshold, scale, seed):
    x = np.random.default_rng(seed).standard_normal(shape) * scale
    dy = np.random.default_rng(seed + 1).standard_normal(shape)
    layer = nn.Softplus(beta, threshold)
    y = mg.backend.to_numpy(layer(mg.backend.to_device(x)))
    dx = mg.backend.to_numpy(layer.backward(mg.backend.to_device(dy)))
    want = np.array([_scalar(v, beta, threshold) for v in x.ravel()]).reshape(shape + (2,))
    np.testing.assert_allclose(y, want[..., 0], rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(dx, dy * want[..., 1], rtol=1e-12, atol=1e-300)


def _off_the_threshold(x, beta, threshold, margin=1e-3):
    """Entries away from the switch at beta x = threshold (f jumps there, as PyTorch's)."""
    bad = np.abs(beta * x - threshold) < margin
    x[bad] += 2 * margin / beta
    return x


@given(shape=shapes, beta=betas, threshold=thresholds, seed=st.integers(0, 2**16))
def test_first_and_second_order_gradients_numerically(shape, beta, threshold, seed):
    x = _off_the_threshold(np.random.default_rng(seed).standard_normal(shape) * 3, beta, threshold)
    layer = nn.Softplus(beta, threshold)
    report = check_module(layer, x)
    assert report.ok, report.table()
    report = check_second_order(layer, x)
    assert report.ok, report.table()


def test_dropping_the_second_order_term_is_caught(monkeypatch, rng):
    original = nn.Softplus.op_double_backward
    monkeypatch.setattr(nn.Softplus, "op_double_backward",
                        staticmethod(lambda a, dy, cache: (original(a, dy, cache)[0], None)))
    report = check_second_order(nn.Softplus(), rng.standard_normal((3, 4)))
    assert {r.name: r.ok for r in report.rows} == {"dy": True, "input": False}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tails_are_finite_and_exact(dtype):
    x = np.array([-1e4, -100.0, -30.0, 0.0, 30.0, 1e4], dtype)
    layer = nn.Softplus()
    with warnings.catch_warnings():
        warnings.simplefilter("error")           # no overflow inside
        y = layer(x)
        dx = layer.backward(np.ones_like(x))
    assert y.dtype == dtype and dx.dtype == dtype
    assert y[0] == 0 and y[-1] == x[-1] and y[-2] == x[-2]       # linear above the threshold
    assert y[2] == pytest.approx(math.exp(-30.0), rel=1e-6)      # the tiny tail keeps its digits
    assert y[3] == pytest.approx(math.log(2.0))
    assert dx[-1] == 1 and dx[0] == 0


def test_pytorch_defaults_and_repr():
    layer = nn.Softplus()
    assert (layer.beta, layer.threshold) == (1.0, 20.0)
    assert repr(nn.Softplus(2, 5)) == "Softplus(beta=2.0, threshold=5.0)"
    assert nn.Softplus.second_order
