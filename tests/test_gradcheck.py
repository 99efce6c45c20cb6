"""The gradient checker itself: it passes correct backward passes and catches wrong ones."""
import numpy as np
import pytest

from minigan import gradcheck, nn
from minigan.nn.linear import Linear


class PlantedLinear(Linear):
    """A Linear whose weight gradient is off by a factor (1 + err)."""

    def __init__(self, *args, err=0.01, **kw):
        super().__init__(*args, **kw)
        self.err = err

    def backward(self, dy):
        before = self.weight.grad.copy()
        dx = super().backward(dy)
        self.weight.grad[...] = before + (self.weight.grad - before) * (1 + self.err)
        return dx


class PlantedReLU(nn.ReLU):
    """A ReLU whose dx is wrong in one element."""

    def backward(self, dy):
        dx = super().backward(dy).copy()
        dx.flat[0] += 0.05
        return dx


def test_correct_module_passes(rng):
    m = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 2)).double()
    report = gradcheck.check_module(m, rng.standard_normal((3, 4)))
    assert report.ok
    assert report.worst < 1e-7
    assert [r.name for r in report.rows] == ["input", "0.weight", "0.bias", "2.weight", "2.bias"]


@pytest.mark.parametrize("err", [1e-2, 1e-4])
def test_planted_weight_gradient_error_is_caught(rng, err):
    m = PlantedLinear(4, 3, err=err).double()
    report = gradcheck.check_module(m, rng.standard_normal((5, 4)))
    assert not report.ok
    row = {r.name: r for r in report.rows}
    assert not row["weight"].ok and row["weight"].error > err / 3
    assert row["input"].ok and row["bias"].ok
    assert "FAIL" in report.table()


def test_planted_input_gradient_error_is_caught(rng):
    x = rng.standard_normal((3, 4))
    x[np.abs(x) < 1e-3] = 0.5
    report = gradcheck.check_module(PlantedReLU(), x)
    assert not report.ok and report.rows[0].name == "input"


def test_random_direction_check_catches_a_global_error(rng):
    # 30 x 20 = 600 weights: larger than max_elements, so directions are used
    m = PlantedLinear(20, 30, err=0.01).double()
    report = gradcheck.check_module(m, rng.standard_normal((4, 20)), max_elements=100)
    row = {r.name: r for r in report.rows}
    assert row["weight"].method.startswith("directions")
    assert not row["weight"].ok
    good = gradcheck.check_module(Linear(20, 30).double(), rng.standard_normal((4, 20)),
                                  max_elements=100)
    assert good.ok


def test_non_contiguous_input_is_checked_correctly(rng):
    m = Linear(5, 4).double()
    x = rng.standard_normal((5, 3)).T          # a transposed view, not contiguous
    assert not x.flags["C_CONTIGUOUS"]
    assert gradcheck.check_module(m, x).ok


def test_float32_is_refused(rng):
    with pytest.raises(TypeError, match="float64"):
        gradcheck.check_module(Linear(3, 2), rng.standard_normal((2, 3)).astype(np.float32))


def test_frozen_module_reports_parameters_as_skipped(rng):
    m = Linear(3, 2).double().freeze()
    report = gradcheck.check_module(m, rng.standard_normal((2, 3)))
    methods = {r.name: r.method for r in report.rows}
    assert methods["weight"] == "skipped: frozen" and methods["input"] == "elementwise"
    assert report.ok


def test_check_loss_catches_wrong_loss_gradient(rng):
    def wrong_mse(x, t):
        d = x - t
        return (d * d).mean(), d * (1.0 / x.size)      # missing factor 2

    t = rng.standard_normal((3, 3))
    report = gradcheck.check_loss(wrong_mse, rng.standard_normal((3, 3)), t)
    assert not report.ok and report.worst > 0.4


def test_standard_suite_passes_for_every_layer():
    reports = gradcheck.run_standard_suite(seed=1)
    titles = [r.title for r in reports]
    examples = [(cls, ex.title) for cls in nn.public_layers() for ex in cls.examples()]
    assert {cls for cls, _ in examples} == set(nn.public_layers())   # every layer has examples
    for cls, title in examples:
        assert title in titles, title
        # the second-order pass of every layer that has one is checked too
        assert (f"{title} (second order)" in titles) == cls.second_order, title
    for needed in ("bce_with_logits", "least_squares", "hinge", "mean_score"):
        assert needed in titles, needed
    bad = [str(r) for r in reports if not r.ok]
    assert not bad, "\n".join(bad)


def test_second_order_check_catches_a_planted_mistake(rng, monkeypatch):
    x = rng.standard_normal((4, 3))
    assert gradcheck.check_second_order(nn.Tanh(), x).ok
    original = nn.Tanh.op_double_backward
    monkeypatch.setattr(nn.Tanh, "op_double_backward",
                        staticmethod(lambda a, dy, y: (original(a, dy, y)[0], None)))
    report = gradcheck.check_second_order(nn.Tanh(), x)
    rows = {r.name: r.ok for r in report.rows}
    assert rows == {"dy": True, "input": False}, report.table()
    layer = nn.Linear(3, 2).double()
    monkeypatch.setattr("minigan.nn.linear.linear_double_backward",
                        lambda a, dy, cache, param_grads=True: (a @ cache.W.T, dy.T @ a * 1.01))
    rows = {r.name: r.ok for r in gradcheck.check_second_order(layer, x).rows}
    assert rows == {"dy": True, "input": True, "weight": False, "bias": True}
