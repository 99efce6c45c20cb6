"""Module bookkeeping: naming, modes, freezing, dtype casts, state dicts."""
import numpy as np
import pytest

from minigan import nn


def mlp():
    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2), nn.Sigmoid())


def test_named_parameters_use_pytorch_keys():
    names = [n for n, _ in mlp().named_parameters()]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert len(mlp().parameters()) == 4


def test_nested_sequential_keys():
    m = nn.Sequential(nn.Sequential(nn.Linear(2, 2)), nn.Linear(2, 1))
    assert list(m.state_dict()) == ["0.0.weight", "0.0.bias", "1.weight", "1.bias"]


def test_train_eval_propagate():
    m = mlp()
    m.eval()
    assert all(not sub.training for sub in m.modules())
    m.train()
    assert all(sub.training for sub in m.modules())


def test_frozen_context_restores_previous_state():
    m = mlp()
    m[2].freeze()
    with nn.frozen(m):
        assert all(sub.frozen for sub in m.modules())
    assert m[2].frozen and not m[0].frozen and not m.frozen


def test_frozen_sequential_gives_same_dx_and_no_param_grads(rng):
    m = mlp().double()
    x = rng.standard_normal((5, 3))
    dy = rng.standard_normal((5, 2))
    m(x)
    dx_trained = m.backward(dy)
    m.zero_grad()
    with nn.frozen(m):
        m(x)
        dx_frozen = m.backward(dy)
    np.testing.assert_allclose(dx_frozen, dx_trained, rtol=1e-12)
    assert all(not p.grad.any() for p in m.parameters())


def test_astype_casts_parameters_and_grads():
    m = mlp().double()
    assert all(p.data.dtype == np.float64 and p.grad.dtype == np.float64 for p in m.parameters())
    m.float()
    assert m.dtype == np.float32


def test_backward_twice_for_one_forward_is_an_error(rng):
    m = mlp()
    m(rng.standard_normal((2, 3)).astype(np.float32))
    m.backward(np.ones((2, 2), np.float32))
    with pytest.raises(RuntimeError, match="backward called before forward"):
        m.backward(np.ones((2, 2), np.float32))


def test_sequential_rejects_non_modules():
    with pytest.raises(TypeError, match="Sequential: item 1 is a int"):
        nn.Sequential(nn.ReLU(), 3)


def test_load_state_dict_accepts_arrays_and_copies(rng):
    a, b = mlp(), mlp()
    sd = a.state_dict()
    b.load_state_dict(sd)
    sd["0.weight"][...] = 0          # the loaded model does not share memory with the dict
    assert b[0].weight.data.any()
    x = rng.standard_normal((3, 3)).astype(np.float32)
    np.testing.assert_array_equal(a(x), b(x))


def test_flatten_unflatten_round_trip(rng):
    x = rng.standard_normal((2, 3, 4, 5))
    f, u = nn.Flatten(), nn.Unflatten(1, (3, 4, 5))
    y = f(x)
    assert y.shape == (2, 60)
    np.testing.assert_array_equal(u(y), x)
    np.testing.assert_array_equal(f.backward(y), x)
    assert u.backward(x).shape == (2, 60)
    with pytest.raises(ValueError, match=r"Unflatten\(1, \(3, 4, 5\)\).*\(2, 59\)"):
        u(rng.standard_normal((2, 59)))


def test_unflatten_takes_pytorchs_dim_and_size(rng):
    x = rng.standard_normal((2, 12, 5))
    u = nn.Unflatten(1, (3, 4))
    assert u(x).shape == (2, 3, 4, 5)
    assert nn.Unflatten(-1, (5, 1))(x).shape == (2, 12, 5, 1)
    assert u.backward(np.ones((2, 3, 4, 5))).shape == (2, 12, 5)
    with pytest.raises(TypeError, match="Unflatten: dim must be an int.*Unflatten\\(1, \\(C, H, W\\)\\)"):
        nn.Unflatten((3, 4, 5))
    with pytest.raises(TypeError, match="unflattened_size must be a non-empty tuple"):
        nn.Unflatten(1, 12)
    with pytest.raises(ValueError, match="dimension 3 has size 12"):
        nn.Unflatten(3, (3, 4))(x)


def test_repr_shows_structure():
    text = repr(mlp())
    assert "Linear(3, 4, bias=True)" in text and "(3): Sigmoid()" in text


@pytest.mark.parametrize("first", ["linear", "conv", "tconv", "sn"])
def test_backward_without_input_gradient_gives_the_same_parameter_gradients(first, rng):
    make = {"linear": lambda: (nn.Linear(6, 4), (5, 6)), "conv": lambda: (nn.Conv2d(2, 3, 3), (2, 2, 5, 5)),
            "tconv": lambda: (nn.ConvTranspose2d(2, 3, 4, 2, 1), (2, 2, 3, 3)),
            "sn": lambda: (nn.SpectralNorm(nn.Linear(6, 4)), (5, 6))}
    layer, shape = make[first]()
    model = nn.Sequential(layer, nn.Tanh()).double()
    x = rng.standard_normal(shape)
    dy = rng.standard_normal(model(x).shape)
    model.zero_grad()
    dx = model.backward(dy)
    full = [p.grad.copy() for p in model.parameters()]
    model.eval() if first == "sn" else None        # same u, v for the second pass
    model(x)
    model.zero_grad()
    assert model.backward(dy, need_dx=False) is None
    if first != "sn":
        for a, p in zip(full, model.parameters()):
            np.testing.assert_array_equal(a, p.grad)
    assert dx.shape == x.shape


# ---------------------------------------------------------------- the first gradient written in place

def _layers():
    return [nn.Linear(4, 3), nn.Conv2d(2, 3, 3, 2, 1), nn.ConvTranspose2d(2, 3, 4, 2, 1),
            nn.BatchNorm1d(4), nn.BatchNorm2d(2)]


def _input(layer, rng):
    return rng.standard_normal((5, 4) if isinstance(layer, (nn.Linear, nn.BatchNorm1d))
                               else (5, 2, 6, 6)).astype(np.float32)


@pytest.mark.parametrize("k", range(5), ids=["linear", "conv", "tconv", "bn1d", "bn2d"])
def test_after_zero_grad_the_first_backward_writes_what_adding_would(k):
    from minigan import optim
    rng = np.random.default_rng(k)
    layer = _layers()[k]
    opt = optim.SGD(layer.parameters(), lr=0.1)
    x = _input(layer, rng)
    dy = rng.standard_normal(layer(x).shape).astype(np.float32)
    grads = []
    for touch in (False, True):
        opt.zero_grad()
        if touch:          # reading p.grad (here: adding into it) forgets that it is zero
            for p in layer.parameters():
                p.grad += 0.0
        layer(x)
        layer.backward(dy)
        grads.append([p.grad.copy() for p in layer.parameters()])
    for direct, added in zip(*grads):
        np.testing.assert_array_equal(direct, added)
    # a second backward adds onto the first
    layer(x)
    layer.backward(dy)
    for p, g in zip(layer.parameters(), grads[0]):
        np.testing.assert_allclose(p.grad, 2 * g, rtol=1e-6)


def test_a_gradient_written_by_the_user_after_zero_grad_is_kept():
    layer = nn.Linear(4, 3)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 4)).astype(np.float32)
    dy = rng.standard_normal((5, 3)).astype(np.float32)
    layer.zero_grad()
    layer(x)
    layer.backward(dy)
    g = layer.weight.grad.copy()
    layer.zero_grad()
    layer.weight.grad[...] = 7.0        # written through p.grad: no longer known zero
    layer(x)
    layer.backward(dy)
    np.testing.assert_allclose(layer.weight.grad, g + 7.0, rtol=1e-6)
    layer.zero_grad()
    layer.weight.grad = np.full((3, 4), 2.0, np.float32)   # rebound: not known zero either
    layer(x)
    layer.backward(dy)
    np.testing.assert_allclose(layer.weight.grad, g + 2.0, rtol=1e-6)


def test_the_in_place_first_gradient_saves_a_launch_per_parameter_on_the_fake():
    from tests import fakecupy
    import minigan as mg
    fakecupy.install()
    mg.backend.use(fakecupy.NAME)
    try:
        layer = nn.Linear(4, 3)
        x = mg.backend.to_device(np.ones((5, 4), np.float32))
        dy = mg.backend.to_device(np.ones((5, 3), np.float32))
        counts = []
        for zeroed in (True, False):
            if zeroed:
                layer.zero_grad()
            layer(x)
            with fakecupy.counting() as c:
                layer.backward(dy)
            counts.append(c.by_op.get("add", 0))
        assert counts == [0, 2]          # zeroed: written in place; then dW and db added
    finally:
        mg.backend.use("numpy")
