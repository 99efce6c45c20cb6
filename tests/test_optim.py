"""Optimizers: every update checked against PyTorch's documented recurrences written
out here with plain Python floats; frozen parameters, per-parameter Adam steps,
state_dict round trips and hyperparameter errors."""
import copy
import math

import numpy as np
import pytest

from minigan import optim
from minigan.nn import Parameter

P0 = [0.5, -0.25, 1.0]
GRADS = [                                  # one gradient per step, signs and sizes varying
    [0.3, -1.2, 2.0],
    [-0.7, 0.4, 1.1],
    [1.5, -0.2, -0.9],
    [0.1, 0.8, -2.5],
    [-1.0, 1.0, 0.6],
    [0.25, -0.6, 0.05],
]


# ------------------------------------------------------------------ the recurrences, by hand

def sgd_by_hand(p0, grads, lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
    """PyTorch SGD: g += wd p;  b = g (t = 1) else mu b + (1 - dampening) g;
    d = g + mu b (Nesterov) or b (momentum) or g;  p -= lr d."""
    p, buf, history = list(p0), [0.0] * len(p0), []
    for t, gt in enumerate(grads, start=1):
        for k in range(len(p)):
            g = gt[k] + weight_decay * p[k]
            if momentum != 0:
                buf[k] = g if t == 1 else momentum * buf[k] + (1 - dampening) * g
                d = g + momentum * buf[k] if nesterov else buf[k]
            else:
                d = g
            p[k] = p[k] - lr * d
        history.append(list(p))
    return history


def adam_by_hand(p0, grads, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    """PyTorch Adam: g += wd p;  m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;
    p -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)."""
    b1, b2 = betas
    p, m, v, history = list(p0), [0.0] * len(p0), [0.0] * len(p0), []
    for t, gt in enumerate(grads, start=1):
        for k in range(len(p)):
            g = gt[k] + weight_decay * p[k]
            m[k] = b1 * m[k] + (1 - b1) * g
            v[k] = b2 * v[k] + (1 - b2) * g * g
            m_hat = m[k] / (1 - b1 ** t)
            v_hat = v[k] / (1 - b2 ** t)
            p[k] = p[k] - lr * m_hat / (math.sqrt(v_hat) + eps)
        history.append(list(p))
    return history


def rmsprop_by_hand(p0, grads, lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                    centered=False):
    """PyTorch RMSprop: g += wd p;  v = a v + (1-a) g^2;  centered: ga = a ga + (1-a) g,
    avg = sqrt(v - ga^2) + eps, else avg = sqrt(v) + eps;
    momentum: b = mu b + g / avg, p -= lr b;  else p -= lr g / avg."""
    n = len(p0)
    p, v, ga, buf, history = list(p0), [0.0] * n, [0.0] * n, [0.0] * n, []
    for gt in grads:
        for k in range(n):
            g = gt[k] + weight_decay * p[k]
            v[k] = alpha * v[k] + (1 - alpha) * g * g
            if centered:
                ga[k] = alpha * ga[k] + (1 - alpha) * g
                avg = math.sqrt(v[k] - ga[k] * ga[k]) + eps
            else:
                avg = math.sqrt(v[k]) + eps
            if momentum > 0:
                buf[k] = momentum * buf[k] + g / avg
                p[k] = p[k] - lr * buf[k]
            else:
                p[k] = p[k] - lr * g / avg
        history.append(list(p))
    return history


HAND = {optim.SGD: sgd_by_hand, optim.Adam: adam_by_hand, optim.RMSprop: rmsprop_by_hand}

CONFIGS = [
    (optim.SGD, dict(lr=0.1)),
    (optim.SGD, dict(lr=0.1, momentum=0.9)),
    (optim.SGD, dict(lr=0.05, momentum=0.8, dampening=0.3)),
    (optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True)),
    (optim.SGD, dict(lr=0.1, weight_decay=0.05)),
    (optim.SGD, dict(lr=0.1, momentum=0.5, weight_decay=0.1, nesterov=True)),
    (optim.Adam, dict(lr=1e-3)),
    (optim.Adam, dict(lr=0.01, betas=(0.5, 0.999))),
    (optim.Adam, dict(lr=0.1, betas=(0.8, 0.9), eps=0.5)),
    (optim.Adam, dict(lr=0.01, weight_decay=0.2)),
    (optim.RMSprop, dict(lr=0.01)),
    (optim.RMSprop, dict(lr=0.01, alpha=0.9, centered=True)),
    (optim.RMSprop, dict(lr=0.01, momentum=0.7)),
    (optim.RMSprop, dict(lr=0.01, weight_decay=0.1)),
    (optim.RMSprop, dict(lr=0.02, alpha=0.8, eps=0.1, centered=True, momentum=0.5,
                         weight_decay=0.05)),
]
IDS = [f"{cls.__name__}-" + "-".join(f"{k}={v}" for k, v in kw.items()) for cls, kw in CONFIGS]


def _run(cls, kwargs, grads, p0=P0, dtype=np.float64):
    p = Parameter(np.array(p0, dtype=dtype))
    opt = cls([p], **kwargs)
    history = []
    for g in grads:
        p.grad[...] = g
        opt.step()
        history.append(p.data.copy())
    return history, p, opt


@pytest.mark.parametrize("cls, kwargs", CONFIGS, ids=IDS)
def test_updates_match_the_recurrence_by_hand(cls, kwargs):
    history, p, opt = _run(cls, kwargs, GRADS)
    expected = HAND[cls](P0, GRADS, **kwargs)
    assert len(history) == len(expected) == 6
    for t, (got, want) in enumerate(zip(history, expected), start=1):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15, err_msg=f"step {t}")
    assert opt.step_count == 6
    assert not np.allclose(history[-1], P0)             # it did move


def test_hand_recurrences_distinguish_the_variants():
    """The configurations above really exercise different code paths."""
    finals = [tuple(HAND[cls](P0, GRADS, **kw)[-1]) for cls, kw in CONFIGS]
    assert len(set(finals)) == len(finals)


def test_first_steps_known_values():
    # SGD: p - lr g.  Adam (eps=0): p - lr sign(g) on step 1.  RMSprop: p - lr g / sqrt((1-a) g^2).
    h, _, _ = _run(optim.SGD, dict(lr=0.1), GRADS[:1])
    np.testing.assert_allclose(h[0], [0.5 - 0.03, -0.25 + 0.12, 1.0 - 0.2], rtol=1e-14)
    h, _, _ = _run(optim.Adam, dict(lr=0.01, eps=0.0), GRADS[:1])
    np.testing.assert_allclose(h[0], [0.49, -0.24, 0.99], rtol=1e-13)
    h, _, _ = _run(optim.RMSprop, dict(lr=0.01, alpha=0.75, eps=0.0), GRADS[:1])
    np.testing.assert_allclose(h[0], [0.5 - 0.02, -0.25 + 0.02, 1.0 - 0.02], rtol=1e-13)


@pytest.mark.parametrize("cls, kwargs", CONFIGS[1::3], ids=IDS[1::3])
def test_update_is_in_place_and_keeps_float32(cls, kwargs):
    p = Parameter(np.array(P0, dtype=np.float32))
    data = p.data
    opt = cls([p], **kwargs)
    for g in GRADS[:3]:
        p.grad[...] = g
        opt.step()
    assert p.data is data                               # the model's array object is kept
    assert p.data.dtype == np.float32
    np.testing.assert_allclose(p.data, HAND[cls](P0, GRADS[:3], **kwargs)[-1], rtol=1e-5, atol=1e-6)


def test_zero_grad_clears_every_parameter():
    a, b = Parameter(np.ones(3)), Parameter(np.ones((2, 2)))
    a.grad[...] = 1.5
    b.grad[...] = -2.0
    opt = optim.SGD([a, b], lr=0.1)
    opt.zero_grad()
    assert not a.grad.any() and not b.grad.any()


# ------------------------------------------------------------------ frozen parameters

@pytest.mark.parametrize("cls, kwargs", CONFIGS, ids=IDS)
def test_parameters_without_requires_grad_are_not_changed(cls, kwargs):
    a = Parameter(np.array(P0))
    b = Parameter(np.array([0.7, -0.3, 0.2]), requires_grad=False)
    opt = cls([a, b], **kwargs)
    for g in GRADS[:4]:
        a.grad[...] = g
        b.grad[...] = g                      # a gradient is there, but b must not move
        opt.step()
    np.testing.assert_array_equal(b.data, [0.7, -0.3, 0.2])
    np.testing.assert_allclose(a.data, HAND[cls](P0, GRADS[:4], **kwargs)[-1], rtol=1e-12)


def test_adam_bias_correction_is_per_parameter():
    lr, betas, eps = 0.01, (0.9, 0.999), 1e-12
    a = Parameter(np.array(P0))
    b0 = [2.0, 3.0, -1.0]
    b = Parameter(np.array(b0), requires_grad=False)
    b_grads = [[0.3, -2.0, 0.01], [0.5, -0.1, 0.02], [1.0, -4.0, 0.3],       # frozen steps
               [0.7, -0.05, 0.9], [0.2, -1.0, 0.5], [0.4, -0.3, 0.1]]         # sign-constant
    opt = optim.Adam([a, b], lr=lr, betas=betas, eps=eps)
    for t in range(3):
        a.grad[...], b.grad[...] = GRADS[t], b_grads[t]
        opt.step()
    np.testing.assert_array_equal(b.data, b0)
    b.requires_grad = True
    history = []
    for t in range(3, 6):
        a.grad[...], b.grad[...] = GRADS[t], b_grads[t]
        opt.step()
        history.append(b.data.copy())
    # Its first update is bias-corrected with t = 1: exactly lr against the gradient's sign.
    np.testing.assert_allclose(history[0] - np.array(b0), [-lr, lr, -lr], rtol=1e-9)
    # ... and the following ones continue that parameter's own count (t = 2, 3).
    expected = adam_by_hand(b0, b_grads[3:], lr, betas, eps)
    for got, want in zip(history, expected):
        np.testing.assert_allclose(got, want, rtol=1e-12)
    # The parameter trained all along used t = 1..6.
    np.testing.assert_allclose(a.data, adam_by_hand(P0, GRADS, lr, betas, eps)[-1], rtol=1e-12)


# ------------------------------------------------------------------ state_dict round trip

ROUND_TRIP = [
    (optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    (optim.SGD, dict(lr=0.05, momentum=0.8, dampening=0.3)),
    (optim.Adam, dict(lr=0.01, betas=(0.5, 0.99), eps=1e-6, weight_decay=0.1)),
    (optim.RMSprop, dict(lr=0.01, alpha=0.9, eps=1e-6, centered=True, momentum=0.5,
                         weight_decay=0.02)),
]


def _params():
    return [Parameter(np.array(P0)), Parameter(np.array([[0.1, -0.4], [0.9, 0.3]]))]


def _grads(t):
    return np.array(GRADS[t]), np.array(GRADS[t][:2] + GRADS[(t + 1) % 6][:2]).reshape(2, 2)


def _step(opt, params, t):
    for p, g in zip(params, _grads(t)):
        p.grad[...] = g
    opt.step()


@pytest.mark.parametrize("cls, kwargs", ROUND_TRIP, ids=[c.__name__ for c, _ in ROUND_TRIP])
def test_state_dict_round_trip_continues_identically(cls, kwargs):
    params = _params()
    params[1].requires_grad = False                     # joins later: its own step count
    opt = cls(params, **kwargs)
    for t in range(3):
        _step(opt, params, t)
    state = opt.state_dict()
    saved = copy.deepcopy(state)
    assert state["type"] == cls.__name__ and state["step"] == 3

    clones = [Parameter(p.data.copy(), requires_grad=p.requires_grad) for p in params]
    restored = cls(clones)                              # default hyperparameters ...
    restored.load_state_dict(state)                     # ... replaced by the saved ones
    for k in cls._hyper:
        assert getattr(restored, k) == getattr(opt, k)

    params[1].requires_grad = clones[1].requires_grad = True
    for t in range(3, 6):
        _step(opt, params, t)
        _step(restored, clones, t)
        for p, c in zip(params, clones):
            np.testing.assert_array_equal(c.data, p.data)
    # The saved state is a snapshot: later steps did not write into it.
    for key, arr in saved["state"].items():
        np.testing.assert_array_equal(state["state"][key], arr)


def test_round_trip_differs_from_a_fresh_optimizer():
    """Guard for the test above: without the loaded state the updates would differ."""
    cls, kwargs = ROUND_TRIP[2]
    params = _params()
    opt = cls(params, **kwargs)
    for t in range(3):
        _step(opt, params, t)
    clones = [Parameter(p.data.copy()) for p in params]
    fresh = cls(clones, **kwargs)
    _step(opt, params, 3)
    _step(fresh, clones, 3)
    assert not np.array_equal(params[0].data, clones[0].data)


def test_load_state_dict_errors():
    params = _params()
    opt = optim.Adam(params, lr=0.01)
    _step(opt, params, 0)
    state = opt.state_dict()
    with pytest.raises(ValueError, match="Adam"):
        optim.SGD(_params()).load_state_dict(state)
    with pytest.raises(ValueError, match="parameters"):
        optim.Adam(_params()[:1]).load_state_dict(state)
    bad = copy.deepcopy(state)
    bad["state"]["0.exp_avg"] = np.zeros(4)
    with pytest.raises(ValueError, match="shape"):
        optim.Adam(_params()).load_state_dict(bad)


# ------------------------------------------------------------------ bad hyperparameters

@pytest.mark.parametrize("make", [
    lambda p: optim.SGD(p, lr=-0.1),
    lambda p: optim.SGD(p, momentum=-0.5),
    lambda p: optim.SGD(p, weight_decay=-1e-4),
    lambda p: optim.SGD(p, momentum=0.0, nesterov=True),
    lambda p: optim.SGD(p, momentum=0.9, dampening=0.1, nesterov=True),
    lambda p: optim.Adam(p, lr=-1e-3),
    lambda p: optim.Adam(p, betas=(1.0, 0.999)),
    lambda p: optim.Adam(p, betas=(0.9, 1.0)),
    lambda p: optim.Adam(p, betas=(-0.1, 0.999)),
    lambda p: optim.Adam(p, eps=-1e-8),
    lambda p: optim.Adam(p, weight_decay=-0.1),
    lambda p: optim.RMSprop(p, lr=-0.01),
    lambda p: optim.RMSprop(p, alpha=-0.1),
    lambda p: optim.RMSprop(p, alpha=1.5),
    lambda p: optim.RMSprop(p, eps=-1.0),
    lambda p: optim.RMSprop(p, momentum=-0.9),
    lambda p: optim.RMSprop(p, weight_decay=-0.1),
])
def test_bad_hyperparameters(make):
    with pytest.raises(ValueError):
        make([Parameter(np.zeros(2))])


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adam, optim.RMSprop])
def test_empty_or_wrong_parameter_lists(cls):
    with pytest.raises(ValueError, match="empty"):
        cls([])
    with pytest.raises(ValueError, match="empty"):
        cls(iter([]))
    with pytest.raises(TypeError, match="Parameter"):
        cls([np.zeros(3)])


# ------------------------------------------------------------------ against PyTorch

def test_against_pytorch_when_installed():
    torch = pytest.importorskip("torch")
    grads = np.random.default_rng(0).standard_normal((10, 3))
    for cls, kwargs in CONFIGS:
        history, _, _ = _run(cls, kwargs, grads)
        tp = torch.nn.Parameter(torch.tensor(P0, dtype=torch.float64))
        topt = getattr(torch.optim, cls.__name__)([tp], **kwargs)
        for t, g in enumerate(grads):
            tp.grad = torch.tensor(g, dtype=torch.float64)
            topt.step()
            np.testing.assert_allclose(history[t], tp.detach().numpy(), rtol=1e-10, atol=1e-12,
                                       err_msg=f"{cls.__name__}{kwargs} step {t + 1}")


# ------------------------------------------------------------------ shapes, backends, bad input

SHAPE_CONFIGS = [(optim.SGD, dict(lr=0.1)), (optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True)),
                 (optim.Adam, dict(lr=0.01)), (optim.Adam, dict(lr=0.01, weight_decay=0.1)),
                 (optim.RMSprop, dict(lr=0.01)),
                 (optim.RMSprop, dict(lr=0.01, centered=True, momentum=0.5))]


@pytest.mark.parametrize("cls,kwargs", SHAPE_CONFIGS, ids=lambda v: getattr(v, "__name__", str(v)))
@pytest.mark.parametrize("shape", [(), (3,), (2, 1, 3, 2)], ids=["0-d", "1-d", "4-d"])
def test_every_optimizer_on_0d_1d_and_4d_parameters(cls, kwargs, shape, backend_name):
    # Each entry follows the same scalar recurrence as the by-hand version, whatever the shape.
    import minigan as mg
    n = int(np.prod(shape))
    p0 = np.resize(np.array(P0), n).reshape(shape)
    p = Parameter(mg.backend.to_device(p0.copy()))
    opt = cls([p], **kwargs)
    for t in range(4):
        opt.zero_grad()
        p.grad += mg.backend.to_device(np.resize(np.array(GRADS[t]), n).reshape(shape))
        opt.step()
    got = mg.backend.to_numpy(p.data)
    assert got.shape == shape and got.dtype == np.float64
    by_hand = {optim.SGD: sgd_by_hand, optim.Adam: adam_by_hand, optim.RMSprop: rmsprop_by_hand}[cls]
    want = [by_hand([P0[k % 3]], [[GRADS[t][k % 3]] for t in range(4)], **kwargs)[-1][0]
            for k in range(n)]
    np.testing.assert_allclose(got.ravel(), want, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adam, optim.RMSprop])
def test_a_parameter_given_twice_is_refused(cls):
    p, q = Parameter(np.zeros(2)), Parameter(np.zeros(3))
    with pytest.raises(ValueError, match=f"{cls.__name__}: parameter 2 is the same Parameter as parameter 0"):
        cls([p, q, p])


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adam, optim.RMSprop])
def test_a_module_or_a_single_parameter_is_refused_with_the_fix(cls):
    from minigan import nn
    with pytest.raises(TypeError, match=r"pass its parameters.*model.parameters\(\)"):
        cls(nn.Linear(2, 3))
    with pytest.raises(TypeError, match="single Parameter"):
        cls(Parameter(np.zeros(2)))
    with pytest.raises(TypeError, match="iterable of Parameter"):
        cls(3)


@pytest.mark.parametrize("make,arg", [
    (lambda p: optim.SGD(p, lr=float("nan")), "lr"), (lambda p: optim.SGD(p, lr=float("inf")), "lr"),
    (lambda p: optim.SGD(p, lr="0.1"), "lr"), (lambda p: optim.SGD(p, momentum=float("nan")), "momentum"),
    (lambda p: optim.SGD(p, nesterov="yes"), "nesterov"),
    (lambda p: optim.SGD(p, dampening=2.0), "dampening"),
    (lambda p: optim.Adam(p, lr=None), "lr"), (lambda p: optim.Adam(p, betas=(0.9,)), "betas"),
    (lambda p: optim.Adam(p, betas=(0.9, 0.99, 0.1)), "betas"), (lambda p: optim.Adam(p, betas=0.9), "betas"),
    (lambda p: optim.Adam(p, betas=(float("nan"), 0.9)), "betas"),
    (lambda p: optim.Adam(p, eps=float("inf")), "eps"),
    (lambda p: optim.Adam(p, weight_decay=True), "weight_decay"),
    (lambda p: optim.RMSprop(p, alpha=float("nan")), "alpha"),
    (lambda p: optim.RMSprop(p, centered=1), "centered"),
])
def test_non_finite_or_mistyped_hyperparameters_name_the_argument(make, arg):
    with pytest.raises((ValueError, TypeError), match=rf"(SGD|Adam|RMSprop): {arg}"):
        make([Parameter(np.zeros(2))])


def test_a_schedule_setting_a_bad_learning_rate_fails_at_once():
    opt = optim.Adam([Parameter(np.zeros(2))])
    opt.lr = 0.5
    with pytest.raises(ValueError, match="Adam: lr must be finite"):
        opt.lr = float("nan")
    assert opt.lr == 0.5


@pytest.mark.parametrize("spoil,match", [
    (lambda s: s.pop("lr"), "has no 'lr'"), (lambda s: s.pop("state"), "has no 'state'"),
    (lambda s: s.update(lr=float("nan")), "lr must be finite"),
    (lambda s: s.update(betas=[0.9]), "betas must be a pair"),
    (lambda s: s.update(step=-1), "'step' must be"), (lambda s: s.update(step="3"), "'step' must be"),
    (lambda s: s.update(param_steps=[1, "x"]), "param_steps"),
    (lambda s: s.update(state=[1, 2]), "'state' must be a dict"),
    (lambda s: s["state"].update({"zero.exp_avg": np.zeros(3)}), "malformed state key"),
    (lambda s: s["state"].update({"0.exp_avg": "text"}), "must be a numeric array"),
])
def test_load_state_dict_checks_every_entry_before_changing_anything(spoil, match):
    params = _params()
    opt = optim.Adam(params, lr=0.01)
    _step(opt, params, 0)
    state = copy.deepcopy(opt.state_dict())
    spoil(state)
    target = optim.Adam(_params(), lr=0.02)
    with pytest.raises((ValueError, TypeError), match=rf"Adam.load_state_dict: .*{match}"):
        target.load_state_dict(state)
    assert target.lr == 0.02 and target.step_count == 0
