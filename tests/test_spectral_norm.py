"""Spectral normalisation and packing: the hand-written gradient through sigma(W) checked
numerically, the power iteration against the SVD, PyTorch's names and numbers, and the
packing layer's reshapes."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigan as mg
from minigan import nn
from minigan.gradcheck import check_module

# bad arguments, collected by tests/test_bad_input.py's table of every entry point
BAD_ARGUMENTS = [
    ("SpectralNorm", lambda: nn.SpectralNorm(nn.Tanh()), TypeError),
    ("SpectralNorm", lambda: nn.SpectralNorm(nn.Linear(2, 2), eps=-1), ValueError),
]


def _layer(kind, seed):
    mg.backend.seed(seed)
    return {"linear": lambda: nn.Linear(4, 3), "conv": lambda: nn.Conv2d(2, 3, 3, padding=1),
            "tconv": lambda: nn.ConvTranspose2d(3, 2, 4, 2, 1)}[kind]()


INPUTS = {"linear": (5, 4), "conv": (2, 2, 4, 4), "tconv": (2, 3, 3, 3)}


@pytest.mark.parametrize("kind", sorted(INPUTS))
@given(seed=st.integers(0, 2**16))
def test_gradient_through_sigma_numerically(kind, seed):
    sn = nn.SpectralNorm(_layer(kind, seed)).double()
    x = np.random.default_rng(seed).standard_normal(INPUTS[kind])
    sn(x)                         # one training-mode pass moves u, v; then hold them
    sn.eval()
    report = check_module(sn, x, seed=seed)
    assert report.ok, report.table()


@pytest.mark.parametrize("kind", sorted(INPUTS))
def test_power_iteration_finds_the_largest_singular_value(kind, backend_name):
    sn = nn.SpectralNorm(_layer(kind, 1))
    x = mg.backend.to_device(np.zeros(INPUTS[kind], np.float32))
    for _ in range(60):
        sn(x)
    W = mg.backend.to_numpy(sn.weight_orig.data).astype(np.float64)
    Wm = W.reshape(W.shape[0], -1) if kind != "tconv" else W.swapaxes(0, 1).reshape(W.shape[1], -1)
    top = np.linalg.svd(Wm, compute_uv=False)[0]
    assert float(sn.sigma) == pytest.approx(top, rel=1e-4)
    W_sn = mg.backend.to_numpy(sn._layer.weight.data).astype(np.float64)
    Wsn_m = W_sn.reshape(W.shape[0], -1) if kind != "tconv" else W_sn.swapaxes(0, 1).reshape(W.shape[1], -1)
    assert np.linalg.svd(Wsn_m, compute_uv=False)[0] == pytest.approx(1.0, rel=1e-4)


def test_eval_mode_keeps_u_and_v():
    sn = nn.SpectralNorm(nn.Linear(3, 2))
    sn(np.zeros((1, 3), np.float32))
    u = sn.weight_u.copy()
    sn.eval()
    sn(np.zeros((1, 3), np.float32))
    np.testing.assert_array_equal(sn.weight_u, u)


def test_state_dict_names_and_frozen_and_errors():
    seq = nn.Sequential(nn.SpectralNorm(nn.Linear(3, 2)))
    assert set(seq.state_dict()) == {"0.weight_orig", "0.bias", "0.weight_u", "0.weight_v"}
    sn = seq[0]
    x = np.ones((4, 3), np.float32)
    with nn.frozen(seq):
        sn(x)
        sn.backward(np.ones((4, 2), np.float32))
    assert not sn.weight_orig.grad.any() and not sn.bias.grad.any()
    with pytest.raises(TypeError, match="SpectralNorm: expected a Linear, Conv2d or ConvTranspose2d"):
        nn.SpectralNorm(nn.ReLU())
    with pytest.raises(ValueError, match="n_power_iterations"):
        nn.SpectralNorm(nn.Linear(2, 2), n_power_iterations=0)


def test_matches_pytorch_spectral_norm():
    torch = pytest.importorskip("torch")
    mg.backend.seed(2)
    ours = nn.SpectralNorm(nn.Linear(5, 4)).double()
    theirs = torch.nn.utils.spectral_norm(torch.nn.Linear(5, 4).double())
    theirs.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(2).standard_normal((3, 5))
    for _ in range(3):                               # the same power iterations in training mode
        y = ours(x)
        yt = theirs(torch.from_numpy(x))
        np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-12, atol=1e-12)
    dy = np.random.default_rng(3).standard_normal(y.shape)
    ours.zero_grad()
    ours(x)
    ours.backward(dy)
    theirs.zero_grad()
    theirs(torch.from_numpy(x)).backward(torch.from_numpy(dy))
    np.testing.assert_allclose(ours.weight_orig.grad, theirs.weight_orig.grad.numpy(), rtol=1e-9,
                               atol=1e-12)


@given(m=st.integers(1, 3), groups=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_pack_reshapes_and_its_gradient(m, groups, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((m * groups, 2, 3, 3))
    p = nn.Pack(m)
    y = p(x)
    assert y.shape == (groups, 2 * m, 3, 3)
    np.testing.assert_array_equal(y[0, 2:4] if m > 1 else y[0], x[1] if m > 1 else x[0])
    assert check_module(p, x).ok
    with pytest.raises(ValueError, match=f"Pack\\({m + 1}\\): expected a batch divisible into packs"):
        nn.Pack(m + 1)(rng.standard_normal((m * (m + 1) + 1, 2)))
