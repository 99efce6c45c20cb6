"""Bad input, everywhere: every public layer, loss and optimizer either returns finite results
of the documented dtype and shape or raises a ValueError/TypeError naming itself (property
test over drawn shapes, dtypes, memory layouts and empty batches), and a table of bad
arguments fed to every public entry point, each of which must answer with an error of the
right type whose message names it. A new layer or flag cannot regress this unnoticed."""
import importlib
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigan as mg
from minigan import data, losses, metrics, nn, optim
from minigan.gan import EMA, GANTrainer, get_objective, mlp
from minigan.nn import Parameter

# ---------------------------------------------------------------- the property test

# every example of every public layer, derived from the classes (nn.public_layers):
# title -> (class name, factory, the input shape it wants given the batch size)
LAYERS = {ex.title: (cls.__name__, ex.make, ex.shape)
          for cls in nn.public_layers() for ex in cls.examples()}
DTYPES = [np.float16, np.float32, np.float64, np.int32, np.int64, np.complex64, np.bool_, object]
LAYOUTS = ["C", "F", "reversed", "strided"]


def make_input(rng, shape, dtype, layout):
    """An array of ``shape`` and ``dtype`` in the given memory layout."""
    if layout == "strided":                      # a non-contiguous view of a larger array
        big = np.asarray(rng.standard_normal(tuple(2 * s for s in shape)))
        x = big[tuple(slice(None, None, 2) for _ in shape) + (Ellipsis,)]
    else:
        x = np.asarray(rng.standard_normal(shape))
        if layout == "F":
            x = np.asfortranarray(x)
        elif layout == "reversed" and x.ndim:
            x = x[::-1]
    return x.astype(dtype, copy=False) if dtype is not object else x.astype(object)


def _names_itself(exc, name):
    return name in str(exc)


def _names_a_layer_of(exc, layer):
    """A container's error names the layer inside it that refused (a Sequential's, its
    first Linear's); any other layer names itself."""
    return any(type(m).__name__ in str(exc) for m in layer.modules())


@given(name=st.sampled_from(sorted(LAYERS)), n=st.integers(0, 4), dtype=st.sampled_from(DTYPES),
       layout=st.sampled_from(LAYOUTS), wrong_shape=st.booleans(), seed=st.integers(0, 2**16))
def test_every_layer_returns_documented_results_or_names_itself(name, n, dtype, layout, wrong_shape,
                                                              seed):
    rng = np.random.default_rng(seed)
    name, make, shape_of = LAYERS[name]
    mg.backend.seed(0)
    layer = make()
    shape = shape_of(n)
    if wrong_shape:                 # elementwise layers take it: they must still be right
        shape = shape[:-1] + (shape[-1] + 1,)
    x = make_input(rng, shape, dtype, layout)
    own = layer.dtype or (np.dtype(dtype) if dtype is not object else None)
    try:
        y = layer(x)
    except (ValueError, TypeError) as exc:
        assert _names_a_layer_of(exc, layer), f"{name}: {exc}"
        return
    assert y.dtype == own and y.dtype.kind == "f", (name, y.dtype)
    assert np.isfinite(y).all(), name
    dy = make_input(rng, y.shape, y.dtype, layout)
    dx = layer.backward(dy)
    assert dx.shape == x.shape and dx.dtype == x.dtype and np.isfinite(dx).all(), name
    for p in layer.parameters():
        assert np.isfinite(p.grad).all() and p.grad.dtype == p.data.dtype


def test_backward_refuses_wrong_dy_for_every_layer():
    rng = np.random.default_rng(0)
    for name, make, shape_of in LAYERS.values():
        mg.backend.seed(0)
        layer = make()
        x = make_input(rng, shape_of(4), layer.dtype or np.float32, "C")
        y = layer(x)
        for bad in (np.ones((1,) + y.shape[1:], y.dtype), np.ones(y.shape, np.float64),
                    np.ones(y.shape, np.int64), np.ones(y.shape[:-1], y.dtype), [[1.0]]):
            with pytest.raises((ValueError, TypeError)) as exc:
                layer.backward(bad)
            assert _names_a_layer_of(exc.value, layer), f"{name}: {exc.value}"
            layer(x)                             # a refused dy leaves nothing half-done


def test_frozen_linear_refuses_dy_of_another_batch():
    layer = nn.Linear(3, 2).freeze()
    layer(np.zeros((4, 3), np.float32))
    with pytest.raises(ValueError, match=r"Linear\(3, 2.*\(4, 2\).*\(5, 2\)"):
        layer.backward(np.zeros((5, 2), np.float32))


LOSSES = {
    "bce_with_logits": lambda z: losses.bce_with_logits(z, 1.0),
    "mse": lambda z: losses.mse(z, 0.5),
    "least_squares": lambda z: losses.least_squares(z, 1.0),
    "hinge": lambda z: losses.hinge(z, -1),
    "mean_score": lambda z: losses.mean_score(z, 1),
    "minimax_generator_loss": losses.minimax_generator_loss,
    "nonsaturating_generator_loss": losses.nonsaturating_generator_loss,
}


@given(name=st.sampled_from(sorted(LOSSES)), n=st.integers(0, 4), dtype=st.sampled_from(DTYPES),
       layout=st.sampled_from(LAYOUTS), seed=st.integers(0, 2**16))
def test_every_loss_returns_documented_results_or_names_itself(name, n, dtype, layout, seed):
    z = make_input(np.random.default_rng(seed), (n, 1), dtype, layout)
    try:
        value, grad = LOSSES[name](z)
    except (ValueError, TypeError) as exc:
        assert _names_itself(exc, name.split("_generator")[0] if "generator" in name else name), exc
        return
    assert value.shape == () and value.dtype == z.dtype and np.isfinite(value)
    assert grad.shape == z.shape and grad.dtype == z.dtype and np.isfinite(grad).all()


OPTIMIZERS = {"SGD": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
              "Adam": lambda ps: optim.Adam(ps, lr=0.01),
              "RMSprop": lambda ps: optim.RMSprop(ps, lr=0.01, centered=True)}


@given(name=st.sampled_from(sorted(OPTIMIZERS)), rank=st.integers(0, 4),
       dtype=st.sampled_from(DTYPES), layout=st.sampled_from(LAYOUTS), seed=st.integers(0, 2**16))
def test_every_optimizer_updates_in_place_or_names_itself(name, rank, dtype, layout, seed):
    rng = np.random.default_rng(seed)
    data_ = make_input(rng, (2,) * rank, dtype, layout)
    p = Parameter(data_)
    try:
        opt = OPTIMIZERS[name]([p])
    except (ValueError, TypeError) as exc:
        assert _names_itself(exc, name), exc
        return
    before = p.data
    p.grad[...] = make_input(rng, (2,) * rank, dtype, "C")
    opt.step()
    assert p.data is before and p.data.dtype == np.dtype(dtype) and np.isfinite(p.data).all()


# ---------------------------------------------------------------- the entry-point table

def _inf():
    return float("inf")


# (entry point name that the message must contain, callable, expected error type)
CASES = [
    # layers
    ("Linear", lambda: nn.Linear(0, 3), ValueError), ("Linear", lambda: nn.Linear(True, 3), TypeError),
    ("Linear", lambda: nn.Linear(3, "4"), TypeError), ("Linear", lambda: nn.Linear(10**12, 10), ValueError),
    ("Linear", lambda: nn.Linear(3, 4, dtype=np.int8), TypeError),
    ("Linear", lambda: nn.Linear(3, 4)(np.zeros((2, 3), np.float64)), TypeError),
    ("Linear", lambda: nn.Linear(3, 4)("x"), TypeError),
    ("Conv2d", lambda: nn.Conv2d(1, 2, 0), ValueError),
    ("Conv2d", lambda: nn.Conv2d(1, 2, 3, stride=0), ValueError),
    ("Conv2d", lambda: nn.Conv2d(1, 2, 3, padding=-1), ValueError),
    ("Conv2d", lambda: nn.Conv2d(1.0, 2, 3), TypeError),
    ("Conv2d", lambda: nn.Conv2d(1, 2, (3,)), ValueError),
    ("Conv2d", lambda: nn.Conv2d(1, 2, 5)(np.zeros((1, 1, 3, 3), np.float32)), ValueError),
    ("ConvTranspose2d", lambda: nn.ConvTranspose2d(1, 2, 3, stride=2, output_padding=2), ValueError),
    ("ConvTranspose2d", lambda: nn.ConvTranspose2d(2, 1, 3)(np.zeros((1, 3, 4, 4), np.float32)), ValueError),
    ("BatchNorm1d", lambda: nn.BatchNorm1d(0), ValueError),
    ("BatchNorm1d", lambda: nn.BatchNorm1d(3, eps=0), ValueError),
    ("BatchNorm1d", lambda: nn.BatchNorm1d(3, eps=float("nan")), ValueError),
    ("BatchNorm2d", lambda: nn.BatchNorm2d(3, momentum=float("nan")), ValueError),
    ("BatchNorm2d", lambda: nn.BatchNorm2d(3, momentum=2), ValueError),
    ("BatchNorm2d", lambda: nn.BatchNorm2d(3, eps="1e-5"), TypeError),
    ("BatchNorm1d", lambda: nn.BatchNorm1d(3)(np.zeros((1, 3), np.float32)), ValueError),
    ("LeakyReLU", lambda: nn.LeakyReLU(_inf()), ValueError),
    ("LeakyReLU", lambda: nn.LeakyReLU(0), ValueError),
    ("ELU", lambda: nn.ELU(float("nan")), ValueError), ("ELU", lambda: nn.ELU("1"), TypeError),
    ("Flatten", lambda: nn.Flatten("x"), TypeError),
    ("Flatten", lambda: nn.Flatten(1, 5)(np.zeros((2, 3), np.float32)), ValueError),
    ("Unflatten", lambda: nn.Unflatten((3, 4)), TypeError),
    ("Unflatten", lambda: nn.Unflatten(1, 12), TypeError),
    ("Unflatten", lambda: nn.Unflatten(1, (0, 3)), ValueError),
    ("Sequential", lambda: nn.Sequential(nn.ReLU(), "tanh"), TypeError),
    ("Pack", lambda: nn.Pack(0), ValueError),
    ("Pack", lambda: nn.Pack(2)(np.zeros((3, 2), np.float32)), ValueError),
    ("load_state_dict", lambda: nn.Linear(2, 3).load_state_dict({"weight": "x", "bias": np.zeros(3)}),
     TypeError),
    ("load_state_dict", lambda: nn.Linear(2, 3).load_state_dict([1, 2]), TypeError),
    ("load_state_dict", lambda: nn.Linear(2, 3).load_state_dict({"weight": np.zeros((2, 2)),
                                                                  "bias": np.zeros(3)}), ValueError),
    # optimizers
    ("SGD", lambda: optim.SGD([Parameter(np.zeros(2))], lr=float("nan")), ValueError),
    ("SGD", lambda: optim.SGD(nn.Linear(2, 3)), TypeError),
    ("Adam", lambda: optim.Adam([Parameter(np.zeros(2))], betas=(0.9,)), ValueError),
    ("Adam", lambda: optim.Adam([Parameter(np.zeros(2))], lr="1e-3"), TypeError),
    ("Adam", lambda: optim.Adam([Parameter(np.zeros(2, np.int64))]), TypeError),
    ("RMSprop", lambda: optim.RMSprop([Parameter(np.zeros(2))], eps=_inf()), ValueError),
    ("Adam", lambda: (lambda p: optim.Adam([p, p]))(Parameter(np.zeros(2))), ValueError),
    ("Parameter", lambda: Parameter(np.float32(1.0)), TypeError),
    ("Parameter", lambda: Parameter([1.0, 2.0]), TypeError),
    ("Adam.load_state_dict", lambda: optim.Adam([Parameter(np.zeros(2))]).load_state_dict({"type": "Adam"}),
     ValueError),
    # losses
    ("bce_with_logits", lambda: losses.bce_with_logits(np.zeros(3), 1.5), ValueError),
    ("bce_with_logits", lambda: losses.bce_with_logits(np.zeros(3), np.array([0.5, 2.0, 0.0])), ValueError),
    ("bce_with_logits", lambda: losses.bce_with_logits(np.zeros(0), 1.0), ValueError),
    ("bce_with_logits", lambda: losses.bce_with_logits(np.zeros(3), float("nan")), ValueError),
    ("bce_with_logits", lambda: losses.bce_with_logits(np.zeros(3), "1"), TypeError),
    ("mse", lambda: losses.mse(np.zeros(3), np.zeros(4)), ValueError),
    ("mse", lambda: losses.mse(np.zeros(3, np.int64), 0.0), TypeError),
    ("hinge", lambda: losses.hinge(np.zeros(3), 2), ValueError),
    # objectives and the trainer
    ("objective", lambda: get_objective("wgan-gp-x"), ValueError),
    ("Wasserstein", lambda: get_objective("wgan", clip_value=-1), ValueError),
    ("GANTrainer", lambda: _trainer(batch_size="64"), TypeError),
    ("GANTrainer", lambda: _trainer(batch_size=0), ValueError),
    ("GANTrainer", lambda: _trainer(d_steps=-1), ValueError),
    ("GANTrainer.train", lambda: _trainer().train(-5, progress=False), ValueError),
    ("GANTrainer.train", lambda: _trainer().train(1.5, progress=False), TypeError),
    ("EMA", lambda: EMA(nn.Linear(2, 3), decay=1.5), ValueError),
    # data
    ("Gaussian1D", lambda: data.Gaussian1D(mean=float("nan")), ValueError),
    ("Gaussian1D", lambda: data.Gaussian1D(std=0), ValueError),
    ("Gaussian1D", lambda: data.Gaussian1D(mean="4"), TypeError),
    ("MultivariateGaussian", lambda: data.MultivariateGaussian(dim=True), TypeError),
    ("MultivariateGaussian", lambda: data.MultivariateGaussian(2, mean=[0, float("nan")]), ValueError),
    ("GaussianRing", lambda: data.GaussianRing(n_modes="8"), TypeError),
    ("GaussianRing", lambda: data.GaussianRing(radius=_inf()), ValueError),
    ("GaussianGrid", lambda: data.GaussianGrid(side=0), ValueError),
    ("GaussianMixture", lambda: data.GaussianMixture([[0, 0]], std=float("nan")), ValueError),
    ("toy_dataset", lambda: data.toy_dataset("spiral"), ValueError),
    ("toy_dataset", lambda: data.toy_dataset("mnist"), ValueError),     # an image set, not a toy
    ("unknown data set", lambda: data.registry.get("spiral"), ValueError),
    ("register", lambda: data.registry.register(data.registry.DataSet(
        "x", "", "toy", data.GaussianRing, None, "movie")), ValueError),
    ("DataLoader", lambda: data.DataLoader(np.array(["a", "b"])), TypeError),
    ("DataLoader", lambda: data.DataLoader(np.zeros((4, 2)), batch_size=0), ValueError),
    ("DataLoader", lambda: data.DataLoader(np.zeros((4, 2)), labels=np.zeros(3, np.int64)), ValueError),
    ("sample", lambda: data.GaussianRing().sample(-1), ValueError),
    # metrics
    ("wasserstein_1d", lambda: metrics.wasserstein_1d([1.0, 2.0], mean=0, std=-1), ValueError),
    ("wasserstein_1d", lambda: metrics.wasserstein_1d([1.0, float("nan")], mean=0, std=1), ValueError),
    ("ks_statistic", lambda: metrics.ks_statistic(np.array(["a"]), mean=0, std=1), TypeError),
    ("mmd2", lambda: metrics.mmd2(np.zeros((3, 2)), np.zeros((3, 3))), ValueError),
    ("mmd2", lambda: metrics.mmd2(np.ones((3, 2)), np.ones((3, 2)), bandwidths=[0.0]), ValueError),
    ("mode_coverage", lambda: metrics.mode_coverage(np.zeros((3, 2)), np.zeros((2, 3)), std=1), ValueError),
    ("frechet_distance", lambda: metrics.frechet_distance(np.zeros(2), np.eye(2), np.zeros(3), np.eye(3)),
     ValueError),
    # backend
    ("RNG", lambda: mg.backend.RNG(-1), ValueError), ("RNG", lambda: mg.backend.RNG("x"), TypeError),
    ("unknown backend", lambda: mg.backend.use("tpu"), mg.backend.BackendError),
]


def _trainer(**kw):
    mg.backend.seed(0)
    G, D = mlp([2, 4, 1]), mlp([1, 4, 1])
    rng = mg.backend.RNG(0)
    args = dict(batch_size=8)
    args.update(kw)
    return GANTrainer(G, D, get_objective("nonsaturating"), optim.Adam(G.parameters()),
                      optim.Adam(D.parameters()), lambda n: rng.standard_normal((n, 1)),
                      lambda n: rng.standard_normal((n, 2)), **args)


def _rows_of_other_test_files() -> list:
    """Rows a layer's (or any entry point's) own test file adds: a module-level list
    ``BAD_ARGUMENTS`` of (name, call, error) in tests/test_*.py, so a new layer's bad
    arguments live beside its other tests."""
    rows = []
    for path in sorted(Path(__file__).parent.glob("test_*.py")):
        if path.stem == Path(__file__).stem or "BAD_ARGUMENTS" not in path.read_text():
            continue
        rows += importlib.import_module(f"tests.{path.stem}").BAD_ARGUMENTS
    return rows


CASES += _rows_of_other_test_files()


def test_other_test_files_add_their_rows():
    assert any(who == "SpectralNorm" for who, _, _ in CASES)     # tests/test_spectral_norm.py


@pytest.mark.parametrize("who,call,error", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_bad_arguments_raise_a_clear_error_naming_the_entry_point(who, call, error):
    with pytest.raises(error) as exc:
        call()
    assert who in str(exc.value), str(exc.value)
    assert "allow_pickle" not in str(exc.value)


def test_the_table_covers_every_public_layer_loss_and_optimizer():
    named = {c[0].split(".")[0] for c in CASES}
    layers = {cls.__name__ for cls in nn.public_layers()}
    exported = {n for n in nn.__all__ if isinstance(getattr(nn, n), type)
                and issubclass(getattr(nn, n), nn.Module) and n != "Module"}
    assert exported == layers                         # every exported layer is a public layer
    no_examples = [cls.__name__ for cls in nn.public_layers() if not cls.examples()]
    assert not no_examples, f"layers without examples(): {no_examples}"
    without_bad_arguments = layers - {"ReLU", "Tanh", "Sigmoid"} - named   # parameterless: none
    assert not without_bad_arguments, f"layers without a row of bad arguments: {without_bad_arguments}"
    assert {"SGD", "Adam", "RMSprop"} <= named
    assert {"bce_with_logits", "mse", "hinge"} <= named and set(LOSSES) >= {
        "least_squares", "mean_score", "minimax_generator_loss", "nonsaturating_generator_loss"}
    assert not math.isnan(len(CASES))
