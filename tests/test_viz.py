"""minigan.viz and minigan.animate: every picture is written, shapes are checked,
device arrays are accepted and GIF frames have one size."""
import math

import numpy as np
import pytest
from PIL import Image

import minigan as mg
from minigan import animate, viz
from tests import fakecupy

PNG = b"\x89PNG\r\n\x1a\n"


def _is_png(path):
    with open(path, "rb") as f:
        return f.read(8) == PNG


def _gif_frames(path):
    """(number of frames, set of frame sizes) of a GIF, after checking its signature."""
    with open(path, "rb") as f:
        assert f.read(6) == b"GIF89a"
    with Image.open(path) as im:
        sizes = set()
        for i in range(im.n_frames):
            im.seek(i)
            sizes.add(im.size)
        return im.n_frames, sizes


@pytest.fixture(autouse=True)
def _no_figure_left_open():
    """Every function closes its figures, also when it raises."""
    viz.plt.close("all")
    yield
    assert not viz.plt.get_fignums()


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture
def ring(rng):
    """Mode centres on a circle and real samples around them."""
    ang = np.arange(8) * 2 * np.pi / 8
    centers = np.stack([2 * np.cos(ang), 2 * np.sin(ang)], axis=1)
    real = centers[rng.integers(0, 8, 400)] + 0.05 * rng.standard_normal((400, 2))
    return centers, real


# --- still pictures -------------------------------------------------------------------

def test_histogram_and_losses_still_work(tmp_path, rng):
    p = viz.histogram_1d(rng.normal(4, 1.25, 500), tmp_path / "h.png",
                         pdf=lambda x: np.exp(-x ** 2 / 2))
    assert _is_png(p)
    h = {"step": list(range(40)), "d_loss": list(rng.random(40)), "g_loss": list(rng.random(40))}
    assert _is_png(viz.losses(h, tmp_path / "l.png", equilibrium={"d_loss": 1.386}))


def test_scatter_2d_writes_png_and_makes_folders(tmp_path, rng, ring):
    centers, real = ring
    path = tmp_path / "a" / "b" / "s.png"
    out = viz.scatter_2d(rng.standard_normal((3000, 2)), path, real=real, centers=centers,
                         max_points=500)
    assert out == str(path) and isinstance(out, str)
    assert _is_png(path)
    assert _is_png(viz.scatter_2d(rng.standard_normal((10, 2)), tmp_path / "b.png",
                                  bounds=(-3, 3, -3, 3), title="fixed"))


def test_scatter_2d_fits_bounds_with_margin(tmp_path, monkeypatch):
    seen = {}
    real_save = viz.figure._save

    def spy(fig, path):
        ax = fig.axes[0]
        seen["x"], seen["y"] = ax.get_xlim(), ax.get_ylim()
        return real_save(fig, path)

    monkeypatch.setattr(viz.samples, "_save", spy)
    pts = np.array([[0.0, 0.0], [10.0, 2.0], [5.0, 1.0]])
    viz.scatter_2d(pts, tmp_path / "fit.png")
    assert seen["x"] == pytest.approx((-0.5, 10.5))
    assert seen["y"] == pytest.approx((-0.1, 2.1))


@pytest.mark.parametrize("bad", [np.zeros((5, 3)), np.zeros(5), np.zeros((2, 5, 2))])
def test_scatter_2d_rejects_bad_shapes(tmp_path, bad):
    with pytest.raises(ValueError, match="scatter_2d"):
        viz.scatter_2d(bad, tmp_path / "x.png")
    with pytest.raises(ValueError, match="scatter_2d"):
        viz.scatter_2d(np.zeros((5, 2)), tmp_path / "x.png", real=bad)


def test_errors_while_drawing_leave_no_figure_open(tmp_path):
    def pdf(x):
        raise RuntimeError("bad pdf")
    with pytest.raises(RuntimeError, match="bad pdf"):
        viz.histogram_1d(np.zeros(10), tmp_path / "h.png", pdf=pdf)
    with pytest.raises(ValueError):
        viz.scatter_2d(np.zeros((5, 2)), tmp_path / "s.png", bounds=(0, 1, 2))


def test_scatter_3d(tmp_path, rng):
    p = viz.scatter_3d(rng.standard_normal((300, 3)), tmp_path / "s3.png",
                       real=2 * rng.standard_normal((300, 3)))
    assert _is_png(p)
    with pytest.raises(ValueError, match="scatter_3d"):
        viz.scatter_3d(rng.standard_normal((30, 2)), tmp_path / "bad.png")


@pytest.mark.parametrize("shape", [(10, 1, 8, 8), (5, 28, 28), (4, 3, 6, 6)])
def test_image_grid_shapes(tmp_path, rng, shape):
    images = 1.5 * rng.standard_normal(shape)   # outside [-1, 1]: clipped
    assert _is_png(viz.image_grid(images, tmp_path / "g.png"))


def test_image_grid_tiles_into_one_array():
    images = np.linspace(-1, 1, 10 * 8 * 8).reshape(10, 1, 8, 8)
    grid, rows, ncol = viz.samples._tile(images)                     # default: ceil(sqrt(10)) = 4
    assert (rows, ncol) == (3, 4)
    assert grid.shape == (3 * 9 + 1, 4 * 9 + 1)
    assert grid.min() >= 0.0 and grid.max() <= 1.0
    assert np.allclose(grid[1:9, 1:9], (images[0, 0] + 1) / 2)
    assert np.all(grid[0] == 1.0) and np.all(grid[:, 9] == 1.0)   # 1-pixel borders
    rgb, _, _ = viz.samples._tile(np.zeros((4, 3, 6, 6)), nrow=2)
    assert rgb.shape == (2 * 7 + 1, 2 * 7 + 1, 3)


def test_image_grid_rows_with_labels(tmp_path, rng):
    images = np.tanh(rng.standard_normal((30, 1, 8, 8)))
    p = viz.image_grid(images, tmp_path / "rows.png", nrow=10, title="per class",
                       labels=["zero", "one", "two"])
    assert _is_png(p)
    with pytest.raises(ValueError, match="image_grid"):
        viz.image_grid(images, tmp_path / "bad.png", nrow=10, labels=["only one"])


@pytest.mark.parametrize("shape", [(4, 2, 8, 8), (8, 8), (0, 1, 8, 8)])
def test_image_grid_rejects_bad_shapes(tmp_path, shape):
    with pytest.raises(ValueError, match="image_grid"):
        viz.image_grid(np.zeros(shape), tmp_path / "x.png")


def _history(rng, n=120):
    nan = float("nan")
    acc_fake = list(rng.random(n))
    acc_fake[3] = nan
    return {
        "step": list(range(n)),
        "acc_real": list(rng.random(n)),
        "acc_fake": acc_fake,
        "g_grad_norm": list(np.exp(rng.standard_normal(n))),
        "d_grad_norm": [nan] * 5 + list(np.exp(rng.standard_normal(n - 5))),
        "wasserstein": list(rng.standard_normal(n).cumsum()),
        "diversity": [nan] * n,                          # all NaN: no subplot
    }


def test_diagnostics_with_nan_and_warnings(tmp_path, rng):
    warnings = [{"step": 30, "kind": "mode collapse", "message": "diversity dropped"},
                {"step": 80, "kind": "D wins", "message": "acc_fake stays at 1"}]
    p = viz.diagnostics(_history(rng), tmp_path / "d.png", warnings=warnings)
    assert _is_png(p)


def test_diagnostics_subplots_per_group(tmp_path, rng, monkeypatch):
    seen = {}
    real_save = viz.figure._save

    def spy(fig, path):
        seen["axes"] = fig.axes
        seen["lines"] = [[ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
                         for ax in fig.axes]
        seen["scales"] = [ax.get_yscale() for ax in fig.axes]
        return real_save(fig, path)

    monkeypatch.setattr(viz.training, "_save", spy)
    viz.diagnostics(_history(rng), tmp_path / "d.png",
                    warnings=[{"step": 50, "kind": "spike", "message": "m"}])
    assert len(seen["axes"]) == 3                      # accuracy, gradient norms, Wasserstein
    assert all(len(lines) == 1 for lines in seen["lines"])   # a warning line on each
    assert seen["scales"][1] == "log"
    assert seen["axes"][0].get_ylim() == pytest.approx((-0.02, 1.02))


def test_diagnostics_short_partial_and_empty(tmp_path):
    class H:
        def as_dict(self):
            return {"step": [0, 1, 2], "acc_real": [0.5, float("nan"), 0.7],
                    "g_grad_norm": [0.0, 1.0, 2.0]}        # a zero: linear scale
    assert _is_png(viz.diagnostics(H(), tmp_path / "short.png"))
    assert _is_png(viz.diagnostics({"step": [0, 1], "d_loss": [1.0, 2.0]}, tmp_path / "e.png"))
    with pytest.raises(ValueError, match="diagnostics"):
        viz.diagnostics({"step": [0, 1, 2], "acc_real": [0.5]}, tmp_path / "bad.png")


def test_device_arrays_are_moved_with_to_numpy(tmp_path):
    fakecupy.install()
    mg.backend.use("fakecupy")
    try:
        rng = np.random.default_rng(0)
        dev = mg.backend.to_device
        x = dev(rng.standard_normal((50, 2)).astype(np.float32))
        with pytest.raises(TypeError):
            np.asarray(x)                                    # the fake refuses implicit copies
        assert _is_png(viz.scatter_2d(x, tmp_path / "s.png", real=x, centers=x[:3]))
        assert _is_png(viz.scatter_3d(dev(rng.standard_normal((20, 3))), tmp_path / "s3.png"))
        assert _is_png(viz.image_grid(dev(rng.standard_normal((4, 1, 6, 6))), tmp_path / "g.png"))
        assert _is_png(viz.histogram_1d(dev(rng.standard_normal(100)), tmp_path / "h.png"))
        p = animate.samples_gif([(0, x), (10, x * 2)], tmp_path / "s.gif", "scatter", real=x)
        assert _gif_frames(p)[0] == 2
    finally:
        mg.backend.use("numpy")


# --- animation ------------------------------------------------------------------------

def test_write_gif_frames_and_loop(tmp_path):
    frames = [np.full((20, 30, 3), 40 * i, dtype=np.uint8) for i in range(4)]
    frames.append(np.concatenate([frames[0], np.full((20, 30, 1), 255, np.uint8)], axis=2))
    frames[-1][0, 0] = 7                                    # differs from frame 0's colour
    p = animate.write_gif(frames, tmp_path / "sub" / "a.gif", fps=10)
    n, sizes = _gif_frames(p)
    assert n == 5 and sizes == {(30, 20)}
    with Image.open(p) as im:
        assert im.info.get("loop") == 0 and im.info.get("duration") == 100


@pytest.mark.parametrize("frames", [
    [],
    [np.zeros((4, 4), np.uint8)],
    [np.zeros((4, 4, 3), np.float32)],
    [np.zeros((4, 4, 3), np.uint8), np.zeros((5, 4, 3), np.uint8)],
])
def test_write_gif_rejects_bad_frames(tmp_path, frames):
    with pytest.raises(ValueError, match="write_gif"):
        animate.write_gif(frames, tmp_path / "x.gif")


def test_figure_frame_renders_and_closes():
    fig = viz.plt.figure(figsize=(2, 1.5), dpi=50)
    fig.add_subplot().plot([0, 1], [0, 1])
    arr = animate.figure_frame(fig)
    assert arr.shape == (75, 100, 3) and arr.dtype == np.uint8
    assert not viz.plt.fignum_exists(fig.number)


def test_samples_gif_scatter_equal_frames_and_small(tmp_path, rng, ring):
    centers, real = ring
    snaps = [(100 * i, (0.3 + 0.2 * i) * rng.standard_normal((2500, 2))) for i in range(12)]
    p = animate.samples_gif(snaps, tmp_path / "s.gif", "scatter", real=real, centers=centers)
    n, sizes = _gif_frames(p)
    assert n == 12 and len(sizes) == 1
    assert (tmp_path / "s.gif").stat().st_size < 400_000


def test_samples_gif_other_kinds(tmp_path, rng):
    pdf = lambda x: np.exp(-(x - 4) ** 2 / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    hist = [(i, rng.normal(4, 0.5 + 0.3 * i, 500)) for i in range(3)]
    n, sizes = _gif_frames(animate.samples_gif(hist, tmp_path / "h.gif", "histogram", pdf=pdf))
    assert n == 3 and len(sizes) == 1
    n, sizes = _gif_frames(animate.samples_gif(hist, tmp_path / "hb.gif", "histogram",
                                               bounds=(0, 8), bins=30))
    assert n == 3 and len(sizes) == 1
    cube = [(i, (1 + i) * rng.standard_normal((200, 3))) for i in range(3)]
    n, sizes = _gif_frames(animate.samples_gif(cube, tmp_path / "c.gif", "scatter3d",
                                               real=rng.standard_normal((200, 3))))
    assert n == 3 and len(sizes) == 1
    imgs = [(i, np.tanh(rng.standard_normal((20, 1, 8, 8)))) for i in range(3)]
    n, sizes = _gif_frames(animate.samples_gif(imgs, tmp_path / "i.gif", "images", nrow=10,
                                               labels=["a", "b"], title="digits"))
    assert n == 3 and len(sizes) == 1


def test_samples_gif_rejects_bad_arguments(tmp_path, rng):
    snaps = [(0, rng.standard_normal((10, 2)))]
    with pytest.raises(ValueError, match="samples_gif"):
        animate.samples_gif(snaps, tmp_path / "x.gif", "movie")
    with pytest.raises(TypeError, match="samples_gif"):
        animate.samples_gif(snaps, tmp_path / "x.gif", "scatter", nrow=3)
    with pytest.raises(ValueError, match="samples_gif"):
        animate.samples_gif([], tmp_path / "x.gif", "scatter")
    with pytest.raises(ValueError, match="samples_gif"):
        animate.samples_gif([(0, rng.standard_normal((10, 3)))], tmp_path / "x.gif", "scatter")
