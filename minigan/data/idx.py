"""Reading IDX files: the format of MNIST and Fashion-MNIST (plain or gzip-compressed).

An IDX file is a 4-byte magic number ``00 00 TT DD`` (TT the element type,
DD the number of dimensions), DD big-endian uint32 sizes, then the elements in
C order, big-endian. MNIST images are ``00 00 08 03`` (uint8, N x 28 x 28) and
labels ``00 00 08 01`` (uint8, N).

    images, labels = load_idx("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")
    images, labels = load_mnist_folder("~/data/fashion", split="test")

Every error names the function, the file, what was expected and what was found.
"""
from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import numpy

from .images import _to_unit_range

__all__ = ["read_idx", "load_idx", "load_mnist_folder", "IDX_TYPES"]

# IDX type code -> big-endian NumPy dtype.
IDX_TYPES = {
    0x08: numpy.dtype(">u1"), 0x09: numpy.dtype(">i1"), 0x0B: numpy.dtype(">i2"),
    0x0C: numpy.dtype(">i4"), 0x0D: numpy.dtype(">f4"), 0x0E: numpy.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"


def _read_bytes(path: Path, where: str) -> bytes:
    """The file's content, gunzipped when it starts with the gzip magic (whatever its name)."""
    if not path.is_file():
        hint = " (it is a directory)" if path.is_dir() else ""
        raise FileNotFoundError(f"{where}: no such file: {str(path)!r}{hint}")
    raw = path.read_bytes()
    if raw[:2] == _GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (EOFError, OSError, zlib.error) as exc:
            raise ValueError(f"{where}: {str(path)!r} is a truncated or corrupt gzip file "
                             f"({exc.__class__.__name__}: {exc})") from exc
    return raw


def read_idx(path, expect_ndim: int | None = None) -> numpy.ndarray:
    """The array stored in IDX file ``path`` (plain or .gz), in native byte order.

    Raises FileNotFoundError for a missing file and ValueError for a wrong magic
    number, a header or body shorter than it says, or trailing bytes.
    ``expect_ndim`` (e.g. 3 for images, 1 for labels) is checked when given.
    """
    where = "read_idx"
    path = Path(os.path.expanduser(str(path)))
    raw = _read_bytes(path, where)
    if len(raw) < 4:
        raise ValueError(f"{where}: {str(path)!r} is truncated: {len(raw)} bytes, "
                         f"shorter than the 4-byte IDX magic number")
    magic = raw[:4]
    dtype, ndim = IDX_TYPES.get(magic[2]), magic[3]
    if magic[:2] != b"\x00\x00" or dtype is None or ndim == 0:
        raise ValueError(f"{where}: {str(path)!r} is not an IDX file: magic number 0x{magic.hex()} "
                         f"(expected 0x0000TTDD with type TT in "
                         f"{{{', '.join(f'{t:02x}' for t in IDX_TYPES)}}} and DD >= 1 dimensions, "
                         f"e.g. 0x00000803 for MNIST images, 0x00000801 for labels)")
    if expect_ndim is not None and ndim != expect_ndim:
        raise ValueError(f"{where}: {str(path)!r} has magic number 0x{magic.hex()}: {ndim} dimensions, "
                         f"expected {expect_ndim}")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{where}: {str(path)!r} is truncated: the header needs {header} bytes "
                         f"for {ndim} dimensions, the file has {len(raw)}")
    shape = tuple(int(s) for s in numpy.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    need = header + int(numpy.prod(shape, dtype=numpy.int64)) * dtype.itemsize
    if len(raw) < need:
        raise ValueError(f"{where}: {str(path)!r} is truncated: shape {shape} of {dtype.name} needs "
                         f"{need} bytes, the file has {len(raw)}")
    if len(raw) > need:
        raise ValueError(f"{where}: {str(path)!r} has {len(raw) - need} unexpected trailing bytes "
                         f"after shape {shape} of {dtype.name} ({need} bytes)")
    data = numpy.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


def load_idx(images_path, labels_path=None):
    """MNIST-style images (and labels) from IDX files.

    Returns ``(images, labels)``: images (N, 1, H, W) float32 scaled from 0..255 to
    [-1, 1]; labels (N,) int64, or None when ``labels_path`` is None.
    """
    where = "load_idx"
    images = read_idx(images_path, expect_ndim=3)
    if images.dtype != numpy.uint8:
        raise ValueError(f"{where}: {str(images_path)!r} holds {images.dtype.name} pixels, "
                         f"expected uint8 (type code 0x08) as in MNIST")
    x = _to_unit_range(images[:, None, :, :], 255.0)
    if labels_path is None:
        return x, None
    labels = read_idx(labels_path, expect_ndim=1)
    if labels.shape[0] != images.shape[0]:
        raise ValueError(f"{where}: {str(images_path)!r} has {images.shape[0]} images but "
                         f"{str(labels_path)!r} has {labels.shape[0]} labels")
    return x, labels.astype(numpy.int64)


_SPLITS = {"train": "train", "test": "t10k", "t10k": "t10k"}


def load_mnist_folder(folder, split: str = "train"):
    """MNIST or Fashion-MNIST from a folder holding the standard file names
    ``{train,t10k}-{images-idx3,labels-idx1}-ubyte`` (each plain or ``.gz``).

    ``split`` is "train" (60,000 images) or "test" (10,000). Returns ``(images, labels)``
    as :func:`load_idx`.
    """
    where = "load_mnist_folder"
    if split not in _SPLITS:
        raise ValueError(f"{where}: split must be 'train' or 'test', got {split!r}")
    folder = Path(os.path.expanduser(str(folder)))
    if not folder.is_dir():
        raise FileNotFoundError(f"{where}: no such folder: {str(folder)!r}")
    prefix = _SPLITS[split]
    found = []
    for stem in (f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"):
        for name in (stem, stem + ".gz", stem.replace("-idx", ".idx")):
            if (folder / name).is_file():
                found.append(folder / name)
                break
        else:
            raise FileNotFoundError(f"{where}: {str(folder)!r} has no {stem} or {stem}.gz")
    return load_idx(*found)
