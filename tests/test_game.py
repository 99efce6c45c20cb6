"""The game picture (minigan.gan.game, minigan.viz.game, minigan.presets.game): D's surface, G's
gradient arrows and the manifold mesh against independent computations; what `minigan train`
writes, a resumed run's GIF, training untouched by the snapshots, the clear errors, the demo.

The independent computations: the MLPs' forward passes written again in NumPy float64 from
their weights, the MMD witness as explicit sums over kernels, and the arrows as central
differences of G's loss (the objective's g_loss through D, or MMD^2) in float64.
"""
from __future__ import annotations


import numpy as np
import pytest
from PIL import Image

import minigan as mg
from minigan import nn, viz
from minigan.cli import main
from minigan.gan import get_objective, mlp
from minigan.gan.checkpoint import load_checkpoint, read_run
from minigan.gan.game import GameFrame, game_frame, latent_grid, surface_points
from minigan.presets import run
from minigan.presets.game import GameSnapshots, frames_of
from tests.helpers import assert_same_training_state
from tests.test_demos import run_demo


# ---------------------------------------------------------------- independent references

def numpy_forward(model, x) -> np.ndarray:
    """An MLP (Linear and activations, PacGAN's Pack first) in NumPy float64 from its weights."""
    h = np.asarray(x, dtype=np.float64)
    for layer in model:
        if isinstance(layer, nn.Pack):
            h = h.reshape(h.shape[0] // layer.m, -1)
        elif isinstance(layer, nn.Linear):
            W = mg.backend.to_numpy(layer.weight.data).astype(np.float64)
            b = mg.backend.to_numpy(layer.bias.data).astype(np.float64)
            h = h @ W.T + b
        elif isinstance(layer, nn.LeakyReLU):
            h = np.where(h > 0, h, layer.negative_slope * h)
        elif isinstance(layer, nn.ReLU):
            h = np.maximum(h, 0.0)
        elif isinstance(layer, nn.ELU):
            h = np.where(h > 0, h, layer.alpha * np.expm1(np.minimum(h, 0.0)))
        else:
            raise AssertionError(f"numpy_forward: no reference for {layer!r}")
    return h


def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


READINGS = {   # the objective's reading of D, written out: (D on the grid, D on the fakes)
    "nonsaturating": lambda g, f: sigmoid(g),
    "minimax": lambda g, f: sigmoid(g),
    "lsgan": lambda g, f: g,
    "hinge": lambda g, f: g,
    "wgan": lambda g, f: g,
    "ragan": lambda g, f: sigmoid(g - f.mean()),
}


def witness(t, fake, real, bandwidths) -> np.ndarray:
    """f(t) = mean_j k(t, real_j) - mean_i k(t, fake_i), k a sum of Gaussians, by broadcasting."""
    def mean_k(a, b):
        d2 = ((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2)
        return sum(np.exp(-d2 / (2 * s * s)) for s in bandwidths).mean(axis=1)
    return mean_k(t, real) - mean_k(t, fake)


def ring(n, seed):
    r = np.random.default_rng(seed)
    a = 2 * np.pi * r.integers(0, 8, n) / 8
    return np.stack([np.cos(a), np.sin(a)], 1) + 0.05 * r.standard_normal((n, 2))


def players(d=2, latent=3, pack=1, dtype=np.float32, seed=0):
    mg.backend.seed(seed)
    G = mlp([latent, 16, 16, d], "elu")
    D = mlp([pack * d, 16, 16, 1], "leaky_relu")
    if pack > 1:
        D = nn.Sequential(nn.Pack(pack), *D)
    if dtype == np.float64:
        G, D = G.double(), D.double()
    return G, D


def inputs(d=2, latent=3, n_real=40, n_fake=24, dtype=np.float32):
    real = (ring(n_real, 1) if d == 2 else 4 + np.random.default_rng(1).standard_normal((n_real, 1)))
    z = np.random.default_rng(2).standard_normal((n_fake, latent))
    return real.astype(dtype), z.astype(dtype)


# ---------------------------------------------------------------- the numbers of a frame

@pytest.mark.parametrize("name", sorted(READINGS))
def test_surface_is_the_objectives_reading_of_d_on_the_grid(name, backend_name, to_xp):
    G, D = players()
    real, z = inputs()
    mesh_z, _ = latent_grid(3)
    obj = get_objective(name)
    frame = game_frame(G, D, obj, to_xp(real), to_xp(z), mesh_z, resolution=17)
    pts = surface_points(frame.bounds, 17)
    assert pts.shape == (17 * 17, 2)
    # the grid runs over x fastest: surface[i, j] is at (xs[j], ys[i])
    xs, ys = np.linspace(*frame.bounds[:2], 17), np.linspace(*frame.bounds[2:], 17)
    assert np.allclose(pts.reshape(17, 17, 2)[3, 5], [xs[5], ys[3]])
    fake = numpy_forward(G, z)
    want = READINGS[name](numpy_forward(D, pts), numpy_forward(D, fake)).reshape(17, 17)
    assert frame.surface.shape == (17, 17)
    np.testing.assert_allclose(frame.surface, want, rtol=2e-4, atol=2e-5)
    np.testing.assert_allclose(frame.fake, fake, rtol=1e-4, atol=1e-5)
    # bounds fitted around the real, fake and mesh points, with a quarter span of margin
    allpts = np.concatenate([real, fake, frame.mesh.reshape(-1, 2)])
    lo, hi = allpts.min(0), allpts.max(0)
    np.testing.assert_allclose(frame.bounds, np.stack([lo - (hi - lo) / 4, hi + (hi - lo) / 4], 1)
                               .ravel(), rtol=1e-5)
    assert frame.label == obj.reading_label and frame.centre == obj.reading_centre


def test_witness_surface_is_the_mmd_witness_with_the_objectives_bandwidths(backend_name, to_xp):
    G, _ = players()
    real, z = inputs()
    obj = get_objective("mmd", bandwidths=(0.3, 1.0, 2.5))
    frame = game_frame(G, None, obj, to_xp(real), to_xp(z), latent_grid(3)[0], resolution=9)
    pts = surface_points(frame.bounds, 9)
    want = witness(pts, numpy_forward(G, z), real.astype(np.float64), obj.bandwidths)
    np.testing.assert_allclose(frame.surface.ravel(), want, rtol=1e-4, atol=1e-5)
    assert frame.centre == 0.0 and "witness" in frame.label


def g_loss_of(obj, D, real, fake):
    """L_G as a function of the fake batch (float64): through D, or MMD^2."""
    if not obj.needs_discriminator:
        return float(obj.sample_loss(fake, real)[0])
    with nn.frozen(D):
        real_out = D.forward(real) if obj.g_uses_real else None
        return float(obj.g_loss(D.forward(fake), real_out)[0])


@pytest.mark.parametrize("name,pack", [("nonsaturating", 1), ("minimax", 1), ("ragan", 1),
                                       ("wgan", 1), ("lsgan", 2), ("mmd", 1)])
def test_arrows_are_minus_the_generator_loss_gradient(name, pack, backend_name, to_xp):
    """Central differences of L_G in float64 with respect to each coordinate of each fake."""
    G, D = players(pack=pack, dtype=np.float64)
    real, z = inputs(dtype=np.float64)
    obj = get_objective(name, bandwidths=(0.3, 1.0)) if name == "mmd" else get_objective(name)
    D = None if name == "mmd" else D
    frame = game_frame(G, D, obj, to_xp(real), to_xp(z), latent_grid(3)[0], resolution=5)
    fake = frame.fake
    assert frame.arrows.shape == fake.shape == (24, 2)
    h = 1e-6
    numeric = np.zeros_like(fake)
    for i in range(fake.shape[0]):
        for k in range(2):
            up, down = fake.copy(), fake.copy()
            up[i, k] += h
            down[i, k] -= h
            numeric[i, k] = (g_loss_of(obj, D, to_xp(real), to_xp(up))
                             - g_loss_of(obj, D, to_xp(real), to_xp(down))) / (2 * h)
    scale = np.abs(numeric).max()
    assert scale > 0
    np.testing.assert_allclose(frame.arrows, -numeric, rtol=1e-5, atol=1e-6 * scale)


def test_mesh_is_g_on_the_latent_grid(backend_name, to_xp):
    G, D = players(latent=4)
    real, z = inputs(latent=4)
    codes, label = latent_grid(4, "normal", points=7)
    assert codes.shape == (7, 7, 4)
    np.testing.assert_array_equal(codes[:, 0, 0], np.linspace(-2, 2, 7, dtype=np.float32))
    np.testing.assert_array_equal(codes[0, :, 1], np.linspace(-2, 2, 7, dtype=np.float32))
    assert (codes[..., 2:] == 0).all()
    assert label == "G(z), z1, z2 over [-2, 2], z3..z4 held at 0"
    frame = game_frame(G, D, get_objective("lsgan"), to_xp(real), to_xp(z), codes,
                       resolution=5, mesh_label=label)
    want = numpy_forward(G, codes.reshape(-1, 4)).reshape(7, 7, 2)
    np.testing.assert_allclose(frame.mesh, want, rtol=1e-4, atol=1e-5)
    uniform, text = latent_grid(4, "uniform", points=5, axes=1)
    assert uniform.shape == (5, 1, 4) and text == "G(z), z1 over [0, 1], z2..z4 held at 0.5"
    np.testing.assert_array_equal(uniform[:, 0, 0], np.linspace(0, 1, 5, dtype=np.float32))
    assert (uniform[..., 1:] == 0.5).all()


def test_a_frame_changes_no_state_and_draws_no_random_number(backend_name, to_xp):
    """Spectral norm's power iteration and batch statistics stay as they were; D gets no
    parameter gradient; the default generator's stream goes on as if nothing was drawn."""
    G, _ = players()
    mg.backend.seed(5)
    D = nn.Sequential(nn.SpectralNorm(nn.Linear(2, 8)), nn.BatchNorm1d(8), nn.LeakyReLU(0.2),
                      nn.Linear(8, 1))
    before = {k: mg.backend.to_numpy(v).copy() for k, v in D.state_dict().items()}
    stream = mg.backend.default_rng().state_dict()
    real, z = inputs()
    game_frame(G, D, get_objective("nonsaturating"), to_xp(real), to_xp(z), latent_grid(3)[0],
               resolution=5)
    for k, v in D.state_dict().items():
        np.testing.assert_array_equal(mg.backend.to_numpy(v), before[k], err_msg=k)
    assert all(float(mg.backend.to_numpy(abs(p.grad).max())) == 0 for p in D.parameters())
    assert D.training and G.training
    assert mg.backend.default_rng().state_dict() == stream


# ---------------------------------------------------------------- drawing, and its errors

def test_viz_game_draws_1d_and_2d_frames(tmp_path):
    G, D = players()
    real, z = inputs()
    f2 = game_frame(G, D, get_objective("wgan"), real, z, latent_grid(3)[0], resolution=16)
    assert viz.game(f2, tmp_path / "g2.png").endswith("g2.png")
    G1, D1 = players(d=1, latent=2)
    real1, z1 = inputs(d=1, latent=2)
    f1 = game_frame(G1, D1, get_objective("nonsaturating"), real1, z1,
                    latent_grid(2, axes=1)[0], resolution=30)
    assert f1.surface.shape == (30,) and f1.mesh.shape == (21, 1, 1)
    viz.game(f1, tmp_path / "g1.png")
    viz.game_gif([f1, f1._replace(step=5)], tmp_path / "g1.gif")
    for name in ("g2.png", "g1.png", "g1.gif"):
        with Image.open(tmp_path / name) as im:
            assert im.size[0] > 300 and im.size[1] > 300
    with Image.open(tmp_path / "g1.gif") as im:
        assert im.n_frames == 2


@pytest.mark.parametrize("shape", [(30, 3), (30, 1, 8, 8)])
def test_viz_game_refuses_data_that_is_not_1d_or_2d(shape, tmp_path):
    x = np.zeros(shape)
    frame = GameFrame(0, np.zeros(4), np.zeros((4, 4)), x, x, x, np.zeros((2, 2, 2)))
    with pytest.raises(ValueError) as e:
        viz.game(frame, tmp_path / "x.png")
    text = str(e.value)
    assert text.startswith("game:") and "(N, 1) or (N, 2)" in text and str(shape) in text
    assert not (tmp_path / "x.png").exists()
    G, D = players(d=3)
    with pytest.raises(ValueError, match=r"game_frame: real must have shape \(N, 1\) or \(N, 2\).*"
                                         + str(shape).replace("(", r"\(").replace(")", r"\)")):
        game_frame(G, D, get_objective("lsgan"), x.astype(np.float32),
                   np.zeros((4, 3), np.float32), latent_grid(3)[0])


def test_viz_game_names_a_mismatched_field(tmp_path):
    G, D = players()
    real, z = inputs()
    frame = game_frame(G, D, get_objective("lsgan"), real, z, latent_grid(3)[0], resolution=8)
    with pytest.raises(ValueError, match=r"game: arrows must have shape \(24, 2\).*got \(23, 2\)"):
        viz.game(frame._replace(arrows=frame.arrows[1:]), tmp_path / "x.png")


# ---------------------------------------------------------------- what a run writes

def n_frames(path) -> int:
    with Image.open(path) as im:
        assert im.format == "GIF"
        return im.n_frames


def test_train_writes_game_pictures_with_one_frame_per_snapshot(tmp_path):
    out = tmp_path / "ring8"
    assert main(["train", "ring8", "--steps", "6", "--quiet", "--out", str(out)]) == 0
    with Image.open(out / "game.png") as im:
        assert im.format == "PNG" and im.size[0] > 600
    assert n_frames(out / "game.gif") == n_frames(out / "samples.gif") == 7   # steps 0..6
    user = read_run(load_checkpoint(str(out / "checkpoint.npz"))).user
    assert sorted({k.split("/")[1] for k in user if k.startswith("game/")}) == sorted(
        ["bounds", "real", *(str(s) for s in range(7))])
    assert user["game/6/surface"].shape == (64, 64) and user["game/6/mesh"].shape == (21, 21, 2)
    assert user["game/6/fake"].shape == user["game/6/arrows"].shape == (256, 2)


def test_a_1d_preset_writes_its_game_and_an_image_preset_none(tmp_path):
    pytest.importorskip("sklearn")
    assert main(["train", "gaussian1d", "--steps", "4", "--quiet", "--out", str(tmp_path / "g")]) == 0
    with Image.open(tmp_path / "g" / "game.png") as im:
        assert im.format == "PNG"
    assert n_frames(tmp_path / "g" / "game.gif") == 5
    user = read_run(load_checkpoint(str(tmp_path / "g" / "checkpoint.npz"))).user
    assert user["game/4/surface"].shape == (200,) and user["game/4/mesh"].shape == (41, 1, 1)
    assert main(["train", "dcgan-digits", "--steps", "2", "--batch-size", "8", "--quiet",
                 "--out", str(tmp_path / "d")]) == 0
    assert (tmp_path / "d" / "samples.png").exists()
    assert not (tmp_path / "d" / "game.png").exists() and not (tmp_path / "d" / "game.gif").exists()
    user = read_run(load_checkpoint(str(tmp_path / "d" / "checkpoint.npz"))).user
    assert not any(k.startswith("game/") for k in user)


QUIET = dict(progress=False)


def test_a_resumed_run_draws_every_frame(tmp_path):
    overrides = {"steps": 8, "sample_every": 2, "hidden": 32, "batch_size": 64}
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    run("ring8", out=str(whole), overrides=overrides, **QUIET)
    with pytest.raises(mg.gan.TrainingInterrupted):
        run("ring8", out=str(parts), overrides=overrides, stop_after=3, **QUIET)
    run(None, resume=str(parts), **QUIET)
    assert n_frames(parts / "game.gif") == n_frames(whole / "game.gif") == 5      # 0, 2, ..., 8
    a, b = (read_run(load_checkpoint(str(d / "checkpoint.npz"))) for d in (whole, parts))
    fa, fb = (frames_of(r.user, mg.presets.Config.from_dict(r.meta["config"])) for r in (a, b))
    assert [f.step for f in fa] == [f.step for f in fb] == [0, 2, 4, 6, 8]
    for x, y in zip(fa, fb):      # on NumPy the resumed run is the same run, frames and all
        for field in ("bounds", "surface", "fake", "arrows", "mesh", "real"):
            np.testing.assert_array_equal(getattr(x, field), getattr(y, field), err_msg=field)


@pytest.mark.parametrize("preset,overrides", [
    ("gaussian2d", {}),                                        # G's EMA swapped in and out
    ("ring8", {"objective": "ragan", "pack": 2, "spectral_norm": True, "hidden": 32}),
])
def test_the_game_snapshots_leave_training_bit_identical(preset, overrides, tmp_path, monkeypatch,
                                                         backend_name):
    overrides = {"steps": 9, "sample_every": 3, "batch_size": 64, **overrides}
    run(preset, out=str(tmp_path / "with"), overrides=overrides, pictures=False, **QUIET)
    taken = []
    monkeypatch.setattr(GameSnapshots, "take", lambda self: taken.append(1))
    run(preset, out=str(tmp_path / "without"), overrides=overrides, pictures=False, **QUIET)
    assert len(taken) == 4           # the snapshots happened, without their frames
    a, b = (load_checkpoint(str(tmp_path / d / "checkpoint.npz")) for d in ("with", "without"))
    assert sum(k.startswith("user/game/") for k in a["arrays"]) == 2 + 4 * 4
    assert not any(k.startswith("user/game/") for k in b["arrays"])
    assert_same_training_state(a, b, ("history/", "ema/", "user/snapshot/"))
    assert a["meta"]["trainer"]["state"] == b["meta"]["trainer"]["state"]
    # the frames' fakes are samples.gif's (the same noise, G's weight average when kept)
    np.testing.assert_allclose(a["arrays"]["user/game/9/fake"],
                               a["arrays"]["user/snapshot/9"][:256], rtol=1e-5, atol=1e-6)


def test_a_run_on_the_cupy_code_path_draws_its_game(tmp_path):
    """On the fake CuPy (whichever random stream it draws) the run writes every frame, and its
    frames' fakes are its own samples.gif snapshots (the same noise, on the device)."""
    overrides = {"steps": 4, "sample_every": 2, "hidden": 32, "batch_size": 64}
    mg.backend.use("fakecupy")
    try:
        m = run("ring8", out=str(tmp_path / "fake"), overrides=overrides, **QUIET)
    finally:
        mg.backend.use("numpy")
    assert m["backend"] == "fakecupy"
    assert n_frames(tmp_path / "fake" / "game.gif") == 3
    user = read_run(load_checkpoint(str(tmp_path / "fake" / "checkpoint.npz"))).user
    keys = sorted(k for k in user if k.startswith("game/"))
    assert len(keys) == 2 + 3 * 4 and all(np.isfinite(user[k]).all() for k in keys)
    for step in (0, 2, 4):
        np.testing.assert_allclose(user[f"game/{step}/fake"], user[f"snapshot/{step}"][:256],
                                   rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- the demo

def test_the_game_demo(tmp_path):
    s, out = run_demo("the_game", tmp_path)
    # quick: 1,500 steps, a frame every 250. Measured (seeds 0, 1, 2): 8 modes at the end,
    # 53 % of the frame's 256 fakes high quality (seed 0); D 0.57 under real, 0.44 under fake
    assert s["reused"] is False and s["frames"] == 7
    assert s["frame_steps"] == [0, 250, 500, 750, 1000, 1250, 1500]
    first, last = s["first"], s["last"]
    assert first["step"] == 0 and last["step"] == 1500
    assert first["modes"] <= 2 and first["radius"] < 0.5 and last["modes"] >= 6
    assert 0.8 < last["radius"] < 1.2 and last["high_quality_percent"] > 25
    assert last["d_real"] > last["d_fake"]
    assert last["mesh_on_modes_percent"] > first["mesh_on_modes_percent"]
    assert s["stages"][0] == 0 and s["stages"][-1] == 1500
    for step in s["stages"]:
        with Image.open(out / f"game_step{step}.png") as im:
            assert im.format == "PNG"
    assert n_frames(out / "ring8" / "game.gif") == 7
    # --step K: the run is reused, and the snapshot nearest K is drawn (ties: the earlier)
    for asked, drawn in ((640, 750), (625, 500)):
        one, _ = run_demo("the_game", tmp_path, "--step", str(asked))
        assert one["reused"] is True and one["step_asked"] == asked and one["step_drawn"] == drawn
        assert one["drawn"]["step"] == drawn and (out / f"game_step{drawn}.png").exists()
