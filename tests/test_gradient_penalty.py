"""WGAN-GP's gradient penalty: dP/dtheta from the hand-written double backward against central
differences of P in float64, for MLP and convolutional critics with every activation
(smooth ones included, whose second-order term matters), spectral norm, packing and the
conditional label inputs; a planted bug (the second-order term dropped) is caught; batch
norm is refused with the reason."""
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import minigan as mg
from minigan import nn, optim
from minigan.gan import GANTrainer, get_objective
from minigan.gan.penalty import check_critic, gradient_penalty, penalty_value
from minigan.gradcheck import check_gradients

ACTS = {"relu": nn.ReLU, "leaky_relu": lambda: nn.LeakyReLU(0.2), "tanh": nn.Tanh,
        "sigmoid": nn.Sigmoid, "elu": lambda: nn.ELU(0.7)}


KINKED = (nn.ReLU, nn.LeakyReLU, nn.ELU)     # f' jumps at 0 (ELU's unless alpha = 1)


def far_from_kinks(D, x, margin=1e-3) -> bool:
    """Whether every input of a kinked activation is at least ``margin`` from 0: a
    difference quotient across a kink measures the jump, not the derivative."""
    h = x
    for layer in D:
        if isinstance(layer, KINKED) and np.abs(h).min() < margin:
            return False
        h = layer(h)
    return True


def not_flat(D, x, floor=0.05) -> bool:
    """Whether |dD/dx| is not near 0 for any sample: |g| is not smooth at g = 0 (its
    direction g/|g| turns with every change of g there), so central differences of P lose
    their accuracy around an almost constant critic; the analytic gradient does not."""
    out = D.forward(x)
    g = D.grad_input(np.ones_like(out))
    return bool(np.sqrt((g.reshape(len(out), -1) ** 2).sum(axis=1)).min() > floor)


def _check(D, x, lam=10.0, width=None, tol=1e-6):
    """Analytic dP/dtheta (gradient_penalty) vs central differences of P (penalty_value),
    with the five-point stencil (its O(eps^4) error allows an eps at which P's rounding
    does not matter)."""
    D.zero_grad()
    value = gradient_penalty(D, x, lam, width)
    assert np.isfinite(float(value))
    assert float(value) == pytest.approx(float(penalty_value(D, x, lam, width)), rel=1e-12)
    params = dict(D.named_parameters())
    grads = {k: p.grad.copy() for k, p in params.items()}
    report = check_gradients(lambda: penalty_value(D, x, lam, width),
                             {k: p.data for k, p in params.items()}, grads, tol=tol,
                             max_elements=64, directions=4, eps=1e-4, stencil=4)
    return report


def _mlp(sizes, act, seed):
    mg.backend.seed(seed)
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(ACTS[act]())
    return nn.Sequential(*layers).double()


@pytest.mark.parametrize("act", sorted(ACTS))
@given(n=st.integers(1, 5), d=st.integers(1, 4), h=st.integers(1, 6), depth=st.integers(1, 3),
       seed=st.integers(0, 2**16))
def test_mlp_critic_penalty_gradient_is_exact(act, n, d, h, depth, seed):
    D = _mlp([d] + [h] * depth + [1], act, seed)
    x = np.random.default_rng(seed).standard_normal((n, d))
    assume(far_from_kinks(D, x) and not_flat(D, x))
    report = _check(D, x)
    assert report.ok, report.table()


@pytest.mark.parametrize("act", sorted(ACTS))
@given(n=st.integers(1, 3), c=st.integers(1, 2), size=st.integers(4, 6), k=st.integers(2, 3),
       stride=st.integers(1, 2), seed=st.integers(0, 2**16))
def test_conv_critic_penalty_gradient_is_exact(act, n, c, size, k, stride, seed):
    mg.backend.seed(seed)
    conv1 = nn.Conv2d(c, 3, k, stride=stride, padding=1)
    o1 = (size + 2 - k) // stride + 1
    conv2 = nn.Conv2d(3, 2, 2)
    o2 = o1 - 1
    D = nn.Sequential(conv1, ACTS[act](), conv2, ACTS[act](), nn.Flatten(),
                      nn.Linear(2 * o2 * o2, 1)).double()
    for p in D.parameters():          # PyTorch's default init leaves |dD/dx| << 1 here
        p.data *= 3
    x = np.random.default_rng(seed).standard_normal((n, c, size, size))
    assume(far_from_kinks(D, x) and not_flat(D, x))
    report = _check(D, x)
    assert report.ok, report.table()


def test_transposed_conv_unflatten_and_packing_in_a_critic():
    mg.backend.seed(3)
    D = nn.Sequential(nn.Pack(2), nn.Linear(8, 12), nn.Tanh(), nn.Unflatten(1, (3, 2, 2)),
                      nn.ConvTranspose2d(3, 2, 4, 2, 1), nn.ELU(), nn.Flatten(),
                      nn.Linear(2 * 4 * 4, 1)).double()
    x = np.random.default_rng(3).standard_normal((6, 4))
    report = _check(D, x)
    assert report.ok, report.table()


def test_spectral_norm_critic_penalty_gradient_is_exact():
    mg.backend.seed(4)
    D = nn.Sequential(nn.SpectralNorm(nn.Conv2d(1, 3, 3, padding=1)), nn.Sigmoid(), nn.Flatten(),
                      nn.SpectralNorm(nn.Linear(3 * 4 * 4, 5)), nn.ELU(),
                      nn.SpectralNorm(nn.Linear(5, 1))).double()
    for _ in range(10):                    # let the power iteration settle, then hold u and v
        D(np.zeros((2, 1, 4, 4)))
    D.eval()
    report = _check(D, np.random.default_rng(4).standard_normal((3, 1, 4, 4)))
    assert report.ok, report.table()
    assert {n for n, _ in D.named_parameters()} >= {"0.weight_orig", "0.bias", "5.weight_orig"}


def test_conditional_penalty_differentiates_the_samples_only():
    D = _mlp([3 + 2, 6, 1], "tanh", 5)
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.standard_normal((4, 3)), np.eye(2)[[0, 1, 1, 0]]], axis=1)
    report = _check(D, x, width=3)
    assert report.ok, report.table()
    # the label columns are not part of the norm: moving them changes P only through D
    D.zero_grad()
    full = float(gradient_penalty(D, x, 10.0))
    part = float(gradient_penalty(D, x, 10.0, width=3))
    assert full != part


@pytest.mark.parametrize("act,caught", [("tanh", True), ("elu", True), ("sigmoid", True),
                                        ("relu", False), ("leaky_relu", False)])
def test_dropping_the_second_order_term_is_caught_for_smooth_critics(act, caught, monkeypatch):
    cls = type(ACTS[act]())
    original = cls.op_double_backward

    def without_second_order(a, dy, cache):
        return original(a, dy, cache)[0], None
    monkeypatch.setattr(cls, "op_double_backward", staticmethod(without_second_order))
    D = _mlp([3, 8, 8, 1], act, 6)
    x = np.random.default_rng(6).standard_normal((5, 3))
    report = _check(D, x)
    assert report.ok is not caught, report.table()


def test_batch_norm_in_a_penalised_critic_is_refused_with_the_reason():
    D = nn.Sequential(nn.Linear(2, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 1))
    with pytest.raises(ValueError, match=r"BatchNorm1d\(4.*each sample.*batch's statistics"):
        check_critic(D)
    G = nn.Sequential(nn.Linear(2, 2))
    with pytest.raises(ValueError, match="BatchNorm1d"):
        GANTrainer(G, D, get_objective("wgan-gp"), optim.Adam(G.parameters()),
                   optim.Adam(D.parameters()), lambda n: None, lambda n: None)


def test_a_layer_without_second_order_pass_names_itself():
    class Odd(nn.Module):
        def forward(self, x):
            return x

        def backward(self, dy):
            return dy
    D = nn.Sequential(nn.Linear(2, 2), Odd(), nn.Linear(2, 1))
    with pytest.raises(NotImplementedError, match="Odd.*no second-order pass.*Linear, Conv2d"):
        gradient_penalty(D, np.zeros((2, 2), np.float32), 10.0)
    with pytest.raises(ValueError, match=r"Odd\(\) \(layer '1'\) has no second-order pass"):
        check_critic(D)                  # found when the trainer is built, before training
    with pytest.raises(ValueError, match=r"one score per sample.*\(2, 2\)"):
        gradient_penalty(nn.Sequential(nn.Linear(2, 2)), np.zeros((2, 2), np.float32), 10.0)


# ---------------------------------------------------------------- the trainer's WGAN-GP step

class FixedDraws:
    """An RNG stand-in whose draws repeat, so the loss is a fixed function of the weights."""

    def __init__(self, seed):
        self.seed = seed

    def random(self, size, dtype=np.float64):
        return np.random.default_rng(self.seed).random(size).astype(dtype)

    def integers(self, low, high=None, size=None):
        return np.random.default_rng(self.seed).integers(low, high, size=size)


@pytest.mark.parametrize("n_classes", [0, 3])
def test_wgan_gp_critic_step_gradient_is_exact(n_classes):
    mg.backend.seed(7)
    rng = np.random.default_rng(7)
    k = n_classes
    G = nn.Sequential(nn.Linear(2 + k, 4), nn.Tanh(), nn.Linear(4, 3)).double()
    D = nn.Sequential(nn.Linear(3 + k, 5), nn.ELU(), nn.Linear(5, 1)).double()
    x, y = rng.standard_normal((6, 3)), np.arange(6) % max(k, 1)
    z = rng.standard_normal((6, 2))
    tr = GANTrainer(G, D, get_objective("wgan-gp", lambda_gp=3.0), optim.SGD(G.parameters(), lr=0.0),
                    optim.SGD(D.parameters(), lr=0.0), (lambda n: (x, y)) if k else (lambda n: x),
                    lambda n: z, batch_size=6, n_classes=k, label_rng=FixedDraws(1),
                    penalty_rng=FixedDraws(2), grad_norms=False)
    tr.d_step()
    params = dict(D.named_parameters())
    grads = {name: p.grad.copy() for name, p in params.items()}
    report = check_gradients(lambda: tr.d_step()["d_loss"], {n: p.data for n, p in params.items()},
                             grads)
    assert report.ok, report.table()


def test_wgan_gp_defaults_are_the_papers():
    obj = get_objective("wgan-gp")
    assert obj.lambda_gp == 10.0 and obj.clip_value is None
    assert obj.defaults == dict(optimizer="adam", lr=1e-4, betas=(0.5, 0.9), n_critic=5)
    with pytest.raises(ValueError, match="lambda_gp"):
        get_objective("wgan-gp", lambda_gp=-1)
