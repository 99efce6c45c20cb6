"""The demo gallery (demos/): every demo runs in quick mode and its summary makes sense.

Each demo runs as a subprocess, ``python demos/NAME.py --quick --out TMP``, exactly as a
reader would run it; the last line of its standard output is a JSON object of summary
numbers, which must equal OUT/summary.json and lie within the bounds below, and the
pictures it promises must exist as PNG or (animated) GIF files. The bounds come from
quick runs with seeds 0, 1 and 2 (NumPy backend); the measured values are in the
comments, and each bound leaves a margin around them. The bounds are the functions
``check_NAME(summary, out)``, which tests/test_notebooks.py applies to the same demos run
as notebooks. One demo also runs in-process on the CPU fake of CuPy (tests/fakecupy),
through the demos' ``main(argv)``.

The subprocesses get one BLAS thread (OPENBLAS_NUM_THREADS=1 and friends, unless already
set): the demos' matrices are small, and on a busy machine OpenBLAS's worker threads made
them over ten times slower.
"""
from __future__ import annotations

import importlib.util
import json
import math
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest
from PIL import Image

import minigan.backend as B

ROOT = Path(__file__).resolve().parents[1]
DEMOS = ROOT / "demos"
THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def run_demo(name: str, tmp_path: Path, *extra: str) -> tuple[dict, Path]:
    """Run demos/NAME.py --quick into a fresh folder; (its summary, the folder)."""
    out = tmp_path / name
    env = dict(os.environ)
    for var in THREADS:
        env.setdefault(var, "1")
    proc = subprocess.run([sys.executable, str(DEMOS / f"{name}.py"), "--quick", "--out",
                           str(out), *extra], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, f"{name} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    lines = proc.stdout.strip().splitlines()
    assert lines, f"{name} printed nothing"
    summary = json.loads(lines[-1])
    assert isinstance(summary, dict)
    assert summary == json.loads((out / "summary.json").read_text())
    return summary, out


def assert_pictures(out: Path, *names: str) -> None:
    for name in names:
        path = out / name
        assert path.is_file(), f"{path} was not written"
        with Image.open(path) as im:
            if name.endswith(".gif"):
                assert im.format == "GIF", path
                assert getattr(im, "n_frames", 1) > 1, f"{path} is not animated"
            else:
                assert im.format == "PNG", path
            assert im.size[0] > 100 and im.size[1] > 100, (path, im.size)


def needs(module: str):
    """Mark a check whose demo needs ``module`` (the data extra's scikit-learn): the demo's
    tests skip without it."""
    def mark(check):
        check.needs = module
        return check
    return mark


def run_demo_checked(name: str, tmp_path: Path, *extra: str):
    """Skip when the demo's check needs a missing module, else run it."""
    check = globals()[f"check_{name}"]
    if getattr(check, "needs", None):
        pytest.importorskip(check.needs)
    return run_demo(name, tmp_path, *extra)


def load_demo(name: str, monkeypatch):
    """demos/NAME.py as a module (demos/ on sys.path for its ``import _common``)."""
    monkeypatch.syspath_prepend(str(DEMOS))
    spec = importlib.util.spec_from_file_location(f"demo_{name}", DEMOS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gaussian_1d(tmp_path):
    check_gaussian_1d(*run_demo_checked("gaussian_1d", tmp_path))


def check_gaussian_1d(s: dict, out: Path) -> None:
    # 800 steps, seeds 0/1/2: mean 4.11/4.07/4.13, std 0.48/0.82/0.62, W1 0.61/0.34/0.51
    assert abs(s["mean"] - 4.0) < 0.5
    assert 0.2 < s["std"] < 1.6
    assert 0 < s["w1"] < 1.0
    assert s["steps"] == 800
    assert_pictures(out, "histogram.gif", "histogram.png", "moments.png")


def test_gaussian_2d_3d(tmp_path):
    check_gaussian_2d_3d(*run_demo_checked("gaussian_2d_3d", tmp_path))


def check_gaussian_2d_3d(s: dict, out: Path) -> None:
    # 600 steps of batch 128, seeds 0/1/2: 2-D mean error 0.04/0.13/0.15, covariance error
    # 0.77/0.72/0.69; 3-D mean error 0.43/0.37/0.41, covariance error 0.77/0.83/0.83 (a
    # generator without spread has covariance error 1)
    for preset, mean_bound in (("gaussian2d", 0.3), ("gaussian3d", 0.6)):
        assert 0 <= s[preset]["mean_error"] < mean_bound
        assert 0 < s[preset]["cov_error"] < 0.95
    assert_pictures(out, "gaussian2d.gif", "gaussian3d.gif", "gaussian2d.png", "gaussian3d.png")


def test_latent_dim(tmp_path):
    check_latent_dim(*run_demo_checked("latent_dim", tmp_path))


def check_latent_dim(s: dict, out: Path) -> None:
    one, many = s["latent1"], s["latent100"]
    # 800 steps of batch 128, seeds 0/1/2: eigenvalue ratio of the generated covariance
    # 0.0036/0.0008/0.0006 (latent 1: a curve) against 0.43/0.40/0.39 (latent 100); share
    # of the narrowest direction's variance 0.14/0.04/0.24 against 0.53/0.47/0.45
    assert one["rank"] < 0.05 and many["rank"] > 0.15
    assert one["smallest"] < many["smallest"] and many["smallest"] > 0.25
    for r in (one, many):
        assert 0 < r["total"] < 1.5 and 0 < r["largest"] < 1.5
    assert_pictures(out, "latent_dim.png")


def test_mode_collapse(tmp_path):
    check_mode_collapse(*run_demo_checked("mode_collapse", tmp_path))


def check_mode_collapse(s: dict, out: Path) -> None:
    # quick, seeds 0/1/2: the vanilla GAN (1,500 steps, measured every 100) held its samples
    # on 1.26/1.23/1.19 modes on average, on fewer than 2.5 at every evaluation, covered at
    # most 1 mode, and its fullest mode changed 11/13/13 times among 7/7/8 modes; at its end
    # reverse KL 1.41/1.50/2.07. The cures after 600 steps spread over the ring: reverse KL
    # LSGAN 0.028/0.012/0.013, PacGAN 0.091/0.52/0.073, WGAN-GP 0.003/0.005/0.002 (4/6/6
    # modes covered), MMD 0.004/0.002/0.001 (4/3/5 modes)
    h = s["vanilla_over_time"]
    assert h["steps"] == 1500 and h["evaluations"] == 15
    assert h["collapsed_share"] >= 0.8 and h["modes_holding_mean"] < 2.0
    assert h["modes_covered_max"] <= 2
    assert h["hops"] >= 5 and h["fullest_modes"] >= 4
    vanilla = s["ring8/vanilla"]
    assert vanilla["reverse_kl"] > 1.0
    for method in ("LSGAN", "PacGAN", "WGAN-GP", "MMD"):
        r = s[f"ring8/{method}"]
        assert r["n_modes"] == 8 and 0 <= r["modes"] <= 8
        assert 0 <= r["reverse_kl"] < 0.8 and 0.0 <= r["high_quality_percent"] <= 100.0
    assert s["ring8/WGAN-GP"]["modes"] >= 3
    assert {k for k in s if k.startswith("grid25/")} == {"grid25/vanilla", "grid25/LSGAN"}
    assert all(s[k]["n_modes"] == 25 for k in ("grid25/vanilla", "grid25/LSGAN"))
    assert_pictures(out, "mode_collapse.png", "fixes.png")


def test_saturation(tmp_path):
    check_saturation(*run_demo_checked("saturation", tmp_path))


def check_saturation(s: dict, out: Path) -> None:
    # |dL/dlogit| at D(G(z)) = 0.01 is D(G(z)) itself (minimax) and 1 - D(G(z)) (non-saturating)
    assert s["grad_at_0.01"]["minimax"] == pytest.approx(0.01, rel=1e-3)
    assert s["grad_at_0.01"]["nonsaturating"] == pytest.approx(0.99, rel=1e-3)
    # 600 steps with a fast D and SGD, seeds 0/1/2: W1 minimax 0.95/3.20/0.61,
    # non-saturating 0.49/0.44/0.41
    assert 0 < s["w1"]["nonsaturating"] < 0.8
    assert s["w1"]["nonsaturating"] < s["w1"]["minimax"]
    assert_pictures(out, "saturation.png")


def test_failure_modes(tmp_path):
    check_failure_modes(*run_demo_checked("failure_modes", tmp_path))


def check_failure_modes(s: dict, out: Path) -> None:
    # 500 steps, seeds 0/1/2: strong D raised d_loss_zero and mode_collapse in every run;
    # weak D d_all_real in every run (with mode_collapse in two); high lr mode_collapse in
    # every run (with d_fake_rising in two)
    assert "d_loss_zero" in s["strong D"]
    assert "d_all_real" in s["weak D"]
    assert s["high lr"], "the high learning rate raised no warning"
    known = {"d_loss_zero", "d_fake_rising", "d_all_real", "d_all_fake", "mode_collapse",
             "diverged"}
    assert all(set(kinds) <= known for kinds in s.values())
    assert_pictures(out, "failure_modes.png", "strong-D-diagnostics.png",
                    "weak-D-diagnostics.png", "high-lr-diagnostics.png")


def test_dcgan_digits(tmp_path):
    check_dcgan_digits(*run_demo_checked("dcgan_digits", tmp_path))


@needs("sklearn")
def check_dcgan_digits(s: dict, out: Path) -> None:
    # dcgan-digits, 200 steps, seeds 0/1/2: Frechet pixel distance 10.4/9.3/10.6
    # (real vs real 1.18, uniform noise 39.8)
    assert s["metric"] == "frechet_pixel_distance"
    assert s["real_vs_real"] < s["frechet"] < 25 < s["noise_vs_real"]
    assert_pictures(out, "real.png", "samples.png", "training.gif")


def test_conditional(tmp_path):
    check_conditional(*run_demo_checked("conditional", tmp_path))


@needs("sklearn")
def check_conditional(s: dict, out: Path) -> None:
    # conditional dcgan-digits, 300 steps, seeds 0/1/2: class accuracy 0.89/0.93/0.94
    # (chance: 0.1)
    assert 0.5 < s["class_accuracy"] <= 1.0
    assert_pictures(out, "classes.png", "interpolation.png", "training.gif")


def test_wgan(tmp_path):
    check_wgan(*run_demo_checked("wgan", tmp_path))


@needs("sklearn")
def check_wgan(s: dict, out: Path) -> None:
    # 40 iterations of 5 critic steps, seeds 0/1/2: Frechet pixel distance WGAN 30/29/30,
    # WGAN-GP 47/47/42 (noise: 39.8); last estimate WGAN 0.006/0.005/0.004, WGAN-GP
    # -0.64/-0.65/0.35: its critic starts with input gradients near 0 (DCGAN's N(0, 0.02)
    # weights), spends these steps growing them towards norm 1 (its loss is the penalty's
    # 10 at first) and does not yet estimate the distance
    for objective in ("wgan", "wgan-gp"):
        assert 0 < s[objective]["frechet"] < 80
        assert math.isfinite(s[objective]["wasserstein_last"])
    assert abs(s["wgan"]["wasserstein_last"]) < 0.1      # clipped critic: a small scale
    assert_pictures(out, "wgan.png", "wgan-samples.png", "wgan-gp-samples.png")


def test_matching_network(tmp_path):
    check_matching_network(*run_demo_checked("matching_network", tmp_path))


def check_matching_network(s: dict, out: Path) -> None:
    # ring8, 300 steps of batch 128, seeds 0/1/2: MMD^2 GAN 1.54/0.89/0.43, matching
    # network 0.31/0.30/0.28; modes covered 0/0/0 and 1/1/4
    for r in s.values():
        assert math.isfinite(r["mmd2"]) and r["mmd2"] > -0.05
        assert 0 <= r["modes"] <= 8 and 0 <= r["high_quality_percent"] <= 100
    assert s["mmd"]["mmd2"] < 0.6 and s["mmd"]["mmd2"] < s["gan"]["mmd2"]
    assert_pictures(out, "matching_network.png")


def test_sampling_methods(tmp_path):
    check_sampling_methods(*run_demo_checked("sampling_methods", tmp_path))


def check_sampling_methods(s: dict, out: Path) -> None:
    # n = 5,000 draws, seeds 0-4: KS inverse transforms <= 0.018, rejection (about 2,200
    # kept) 0.016-0.036, Metropolis-Hastings 0.015-0.046; acceptance rejection 0.43-0.45
    # (1/M), Metropolis-Hastings 0.62-0.64
    ks = s["ks"]
    assert ks["inverse_exponential"] < 0.04 and ks["inverse_mixture"] < 0.04
    assert ks["rejection"] < 0.06
    assert ks["metropolis_hastings"] < 0.1
    assert 0.35 < s["acceptance"]["rejection"] < 0.55
    assert 0.5 < s["acceptance"]["metropolis_hastings"] < 0.75
    assert_pictures(out, "sampling_methods.png")


def test_backprop_by_hand(tmp_path):
    check_backprop_by_hand(*run_demo_checked("backprop_by_hand", tmp_path))


def check_backprop_by_hand(s: dict, out: Path) -> None:
    # seeds 0/1/2: worst relative error 7.7e-10/2.3e-9/1.0e-9; the layers' gradients
    # equal their formulas to 6e-17
    assert s["ok"] is True
    assert s["worst_relative_error"] < 1e-6
    assert s["formula_difference"] < 1e-12



def test_cyclegan(tmp_path):
    check_cyclegan(*run_demo_checked("cyclegan", tmp_path))


def check_cyclegan(s: dict, out: Path) -> None:
    # quick: the toy for 1,500 steps (seeds 0/1: 1 and 0 of 8 modes, cycle error 0.0008 and
    # 0.0006) and the digits for 30 steps (class preserved 6.1 % / 5.6 %: untrained); the
    # trained figures are asserted in tests/test_cyclegan.py and measured in docs/results.md
    p, d = s["points"], s["digits"]
    assert p["steps"] == 1500 and 0 <= p["modes_covered"] <= 8
    assert 0 <= p["cycle_error"] < 0.05
    assert d["steps"] == 30 and 0.0 <= d["class_preserved_a2b"] <= 1.0
    assert d["frechet_a_to_b"] > 100 and d["frechet_ratio"] > 0 and d["cycle_error_a"] > 0
    assert_pictures(out, "points.png", "digits.png")


def test_style_mixing(tmp_path):
    check_style_mixing(*run_demo_checked("style_mixing", tmp_path))


def check_style_mixing(s: dict, out: Path) -> None:
    # quick: 20 steps (seed 0: agreement 0.33, FDD 482 at psi 1): this checks the wiring;
    # the trained runs' mixing shares and truncation sweep are in docs/results.md
    assert 0.0 <= s["mixing_agreement"] <= 1.0
    assert set(s["truncation"]) == {"1.0", "0.85", "0.7", "0.5"}
    for r in s["truncation"].values():
        assert r["frechet"] == pytest.approx(r["mean_term"] + r["cov_term"], rel=1e-3)
        assert r["mean_term"] >= 0 and 0.1 <= r["confidence"] <= 1.0
        assert 0.0 <= r["precision"] <= 1.0 and 0.0 <= r["recall"] <= 1.0
    # pulling every w to w_avg (psi 0.5) narrows the samples: recall cannot rise
    assert s["truncation"]["0.5"]["recall"] <= s["truncation"]["1.0"]["recall"]
    assert s["noise_std"] > 0 and s["preset"] == "stylegan-mnist"
    assert_pictures(out, "mixing.png", "truncation.png", "noise.png")


def test_bad_backend_is_a_usage_error(tmp_path):
    proc = subprocess.run([sys.executable, str(DEMOS / "backprop_by_hand.py"), "--backend",
                           "nonsense", "--out", str(tmp_path)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2
    assert "nonsense" in proc.stderr


def test_demo_arguments_inside_a_notebook_kernel(tmp_path, monkeypatch):
    """In a Jupyter kernel sys.argv is the kernel's own (-f kernel.json): the demos read
    their arguments from $MINIGAN_DEMO_ARGS instead, also when a notebook passes []."""
    common = load_demo("_common", monkeypatch)
    assert common.command_line() is None and common.command_line([]) == []
    shell = types.SimpleNamespace(kernel=object())
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: shell))
    monkeypatch.setattr(sys, "argv", ["ipykernel_launcher.py", "-f", "kernel-1.json"])
    monkeypatch.delenv("MINIGAN_DEMO_ARGS", raising=False)
    assert common.command_line() == []                       # the full run, by default
    out = tmp_path / "a b"
    monkeypatch.setenv("MINIGAN_DEMO_ARGS", f"--quick --seed 3 --out '{out}'")
    for argv in (None, []):
        args = common.parse_args("demo", __doc__, argv)
        assert args.quick and args.seed == 3 and args.out == str(out) and out.is_dir()
    assert common.command_line(["--seed", "1"]) == ["--seed", "1"]   # given words win


def test_demos_run_on_the_cupy_code_path(tmp_path, monkeypatch):
    """In-process on the strict CPU fake of CuPy: backprop_by_hand chooses it with
    --backend (any registered name works), gaussian_1d runs on the backend already in use."""
    from tests import fakecupy
    fakecupy.install()
    previous = B.current().name
    try:
        s = load_demo("backprop_by_hand", monkeypatch).main(
            ["--quick", "--out", str(tmp_path / "bp"), "--backend", "fakecupy"])
        assert B.current().name == "fakecupy"
        assert s["ok"] is True and s["worst_relative_error"] < 1e-6
        B.use("fakecupy")
        s = load_demo("gaussian_1d", monkeypatch).main(["--quick", "--out", str(tmp_path / "g")])
        assert B.current().name == "fakecupy"
        # the fake draws NumPy's random streams: the same numbers as the NumPy run above
        assert abs(s["mean"] - 4.0) < 0.5 and 0 < s["w1"] < 1.0
        metrics = json.loads((tmp_path / "g" / "gaussian1d" / "metrics.json").read_text())
        assert metrics["backend"] == "fakecupy"
        assert_pictures(tmp_path / "g", "histogram.gif", "histogram.png", "moments.png")
    finally:
        B.use(previous)
