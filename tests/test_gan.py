"""GAN training: a measured quality on the 1-D Gaussian, divergence handling, checkpoints."""
import json
import os

import numpy as np
import pytest

import minigan as mg
from minigan import nn, optim
from minigan.gan import (EMA, GANTrainer, TrainingDiverged, get_objective, load_checkpoint, mlp,
                         restore, save_checkpoint)
from minigan.presets import gaussian1d


def test_gaussian1d_learns_mean_and_std(tmp_path):
    # A shorter fixed-seed run than the default 3000 steps. Over seeds 0..9 this
    # configuration ended within |mean-4| <= 0.04, |std-1.25| <= 0.13, W1 <= 0.14;
    # seed 0 gives about (4.00, 1.12, 0.09). The bounds leave room for BLAS rounding.
    m = gaussian1d(str(tmp_path), steps=2000, seed=0, progress=False)
    assert abs(m["generated_mean"] - 4.0) < 0.1, m
    assert abs(m["generated_std"] - 1.25) < 0.25, m
    assert m["wasserstein_1d"] < 0.3, m
    assert m["steps"] == 2000 and m["backend"] == "numpy"
    on_disk = json.loads((tmp_path / "metrics.json").read_text())
    assert on_disk["generated_mean"] == m["generated_mean"]
    for name in ("samples.png", "losses.png", "diagnostics.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    ck = load_checkpoint(str(tmp_path / "checkpoint.npz"))
    assert ck["step"] == 2000 and set(ck["models"]) == {"G", "D"}


def _tiny_trainer(tmp_path, seed=0, **kw):
    rng = mg.backend.seed(seed)
    G, D = mlp([2, 8, 1]), mlp([1, 8, 1], "leaky_relu")
    g_opt, d_opt = optim.Adam(G.parameters(), lr=1e-3), optim.Adam(D.parameters(), lr=1e-3)
    kw.setdefault("batch_size", 16)
    return GANTrainer(G, D, get_objective("nonsaturating"), g_opt, d_opt,
                      lambda n: rng.normal((n, 1), 1.0, 0.5), lambda n: rng.random((n, 2)),
                      checkpoint_path=str(tmp_path / "ck.npz"), **kw)


def test_g_step_leaves_discriminator_untouched(tmp_path):
    tr = _tiny_trainer(tmp_path)
    before = [p.data.copy() for p in tr.D.parameters()]
    tr.D.zero_grad()
    tr.g_step()
    assert all(not p.grad.any() for p in tr.D.parameters())
    assert all(np.array_equal(a, p.data) for a, p in zip(before, tr.D.parameters()))
    assert not tr.D.frozen  # frozen only for the duration of the step


def test_d_step_leaves_generator_untouched(tmp_path):
    tr = _tiny_trainer(tmp_path)
    before = [p.data.copy() for p in tr.G.parameters()]
    tr.d_step()
    assert all(np.array_equal(a, p.data) for a, p in zip(before, tr.G.parameters()))


def test_divergence_stops_with_step_and_keeps_last_checkpoint(tmp_path):
    tr = _tiny_trainer(tmp_path, checkpoint_every=5)
    tr.train(10, progress=False)
    saved = (tmp_path / "ck.npz").read_bytes()
    good_state = load_checkpoint(str(tmp_path / "ck.npz"))
    assert good_state["step"] == 10
    # poison the generator: its outputs become NaN, so the losses do too
    tr.G[0].weight.data[...] = np.nan
    with pytest.raises(TrainingDiverged, match=r"diverged at step 11.*last good checkpoint") as err:
        tr.train(10, progress=False)
    assert err.value.step == 11
    assert (tmp_path / "ck.npz").read_bytes() == saved
    assert len(tr.history.step) == 10


def test_checkpoint_round_trip_restores_models_and_optimizers(tmp_path):
    tr = _tiny_trainer(tmp_path)
    tr.train(7, progress=False)
    path = tr.save()
    z = mg.backend.RNG(1).random((5, 2))
    out_before = tr.G(z).copy()
    tr2 = _tiny_trainer(tmp_path, seed=99)
    step = restore(load_checkpoint(path), {"G": tr2.G, "D": tr2.D}, {"G": tr2.g_opt, "D": tr2.d_opt})
    assert step == 7
    np.testing.assert_array_equal(tr2.G(z), out_before)
    assert tr2.g_opt.param_steps == tr.g_opt.param_steps
    for a, b in zip(tr.g_opt.state, tr2.g_opt.state):
        for key in a:
            np.testing.assert_array_equal(a[key], b[key])


def test_checkpoint_has_no_pickled_objects(tmp_path):
    m = nn.Sequential(nn.Linear(2, 3))
    path = save_checkpoint(tmp_path / "m.npz", {"m": m}, step=3, meta={"note": "x"})
    with np.load(path, allow_pickle=False) as z:    # would raise on object arrays
        assert all(z[k].dtype != object for k in z.files)
    assert not [f for f in os.listdir(tmp_path) if f.startswith(".tmp-")]


def test_failed_write_keeps_previous_checkpoint(tmp_path, monkeypatch):
    m = nn.Sequential(nn.Linear(2, 3))
    path = save_checkpoint(tmp_path / "m.npz", {"m": m}, step=1)
    before = open(path, "rb").read()

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", boom)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, {"m": m}, step=2)
    assert open(path, "rb").read() == before
    assert not [f for f in os.listdir(tmp_path) if f.startswith(".tmp-")]


def test_load_checkpoint_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_checkpoint(str(tmp_path / "none.npz"))
    np.savez(tmp_path / "plain.npz", a=np.zeros(2))
    with pytest.raises(ValueError, match="not a minigan checkpoint"):
        load_checkpoint(str(tmp_path / "plain.npz"))


def test_ema_averages_and_swaps_back():
    m = nn.Sequential(nn.Linear(1, 1, bias=False))
    m[0].weight.data[...] = 0.0
    ema = EMA(m, decay=0.5)
    m[0].weight.data[...] = 1.0
    ema.update()            # 0.5 * 0 + 0.5 * 1
    ema.update()            # 0.5 * 0.5 + 0.5 * 1
    with ema.applied():
        assert float(m[0].weight.data[0, 0]) == pytest.approx(0.75)
    assert float(m[0].weight.data[0, 0]) == 1.0
    with pytest.raises(ValueError, match="decay"):
        EMA(m, decay=1.0)


@pytest.mark.parametrize("kw,error,word", [
    (dict(d_steps=0), ValueError, "d_steps"), (dict(batch_size=0), ValueError, "batch_size"),
    (dict(batch_size="64"), TypeError, "batch_size"), (dict(batch_size=True), TypeError, "batch_size"),
    (dict(check_every=0), ValueError, "check_every"), (dict(n_classes=-1), ValueError, "n_classes"),
    (dict(flush_seconds=float("nan")), ValueError, "flush_seconds"),
    (dict(checkpoint_every=2.5), TypeError, "checkpoint_every"),
])
def test_trainer_rejects_bad_arguments_naming_them(tmp_path, kw, error, word):
    with pytest.raises(error, match=f"GANTrainer: {word}"):
        _tiny_trainer(tmp_path, **kw)


def test_trainer_rejects_wrong_components(tmp_path):
    tr = _tiny_trainer(tmp_path)
    with pytest.raises(TypeError, match="objective must be"):
        GANTrainer(tr.G, tr.D, "nonsaturating", tr.g_opt, tr.d_opt, tr.sample_real, tr.sample_noise)
    with pytest.raises(TypeError, match="D must be a Module"):
        GANTrainer(tr.G, None, tr.objective, tr.g_opt, tr.d_opt, tr.sample_real, tr.sample_noise)
    with pytest.raises(TypeError, match="g_opt must be an optimizer"):
        GANTrainer(tr.G, tr.D, tr.objective, None, tr.d_opt, tr.sample_real, tr.sample_noise)
    with pytest.raises(TypeError, match="sample_noise must be a function"):
        GANTrainer(tr.G, tr.D, tr.objective, tr.g_opt, tr.d_opt, tr.sample_real, 3)


@pytest.mark.parametrize("steps,error", [(-5, ValueError), (2.0, TypeError), ("10", TypeError)])
def test_train_rejects_bad_step_counts(tmp_path, steps, error):
    with pytest.raises(error, match="GANTrainer.train: steps"):
        _tiny_trainer(tmp_path).train(steps, progress=False)


def test_gradient_norm_from_the_flat_buffer_equals_the_per_parameter_one(tmp_path):
    from minigan.gan.trainer import grad_norm
    tr = _tiny_trainer(tmp_path)
    tr.d_step()
    assert tr.d_opt.flat_grad() is not None
    per_param = float(np.sqrt(sum(float((p.grad.astype(np.float64) ** 2).sum())
                                  for p in tr.D.parameters())))
    assert float(grad_norm(tr.D, tr.d_opt)) == pytest.approx(per_param, rel=1e-6)
    assert float(grad_norm(tr.D)) == pytest.approx(per_param, rel=1e-6)


def test_optimizer_flat_buffer_survives_rebinding_and_matches_per_parameter_steps():
    rng = np.random.default_rng(0)
    ps = [nn.Parameter(rng.standard_normal(s)) for s in ((3, 2), (4,))]
    twins = [nn.Parameter(p.data.copy()) for p in ps]
    opt = optim.Adam(ps, lr=0.1)
    ref = optim.Adam(twins[:1], lr=0.1), optim.Adam(twins[1:], lr=0.1)   # one each: no flat path
    for t in range(3):
        g = [rng.standard_normal(p.shape) for p in ps]
        for p, q, gi in zip(ps, twins, g):
            p.grad[...] = gi
            q.grad[...] = gi
        opt.step()
        ref[0].step()
        ref[1].step()
        if t == 1:
            ps[0].data = ps[0].data.copy()          # rebinding: the optimizer re-packs
    for p, q in zip(ps, twins):
        np.testing.assert_array_equal(p.data, q.data)
