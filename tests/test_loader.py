"""DataLoader: every sample once per epoch, drop_last, seeding, len(), device placement."""
import numpy as np
import pytest

import minigan as mg
from minigan.data import DataLoader


def _data(n=23):
    images = np.arange(n, dtype=np.float32)[:, None, None, None] * np.ones((1, 1, 2, 2), np.float32)
    return images, np.arange(n) % 5


def _ids(loader):
    return [mg.backend.to_numpy(x)[:, 0, 0, 0].astype(int) for x, _ in loader]


@pytest.mark.parametrize("drop_last,n_batches", [(False, 5), (True, 4)])
def test_len_and_batch_sizes(drop_last, n_batches):
    loader = DataLoader(*_data(23), batch_size=5, drop_last=drop_last, seed=0)
    assert len(loader) == n_batches
    sizes = [len(b) for b in _ids(loader)]
    assert len(sizes) == n_batches
    assert sizes == ([5, 5, 5, 5] if drop_last else [5, 5, 5, 5, 3])


def test_every_sample_once_per_epoch_and_labels_follow():
    images, labels = _data(23)
    loader = DataLoader(images, labels, batch_size=4, seed=1)
    for _ in range(3):
        seen = []
        for x, y in loader:
            ids = mg.backend.to_numpy(x)[:, 0, 0, 0].astype(int)
            np.testing.assert_array_equal(mg.backend.to_numpy(y), labels[ids])
            seen += ids.tolist()
        assert sorted(seen) == list(range(23))


def test_drop_last_leaves_out_only_the_remainder():
    loader = DataLoader(*_data(23), batch_size=5, drop_last=True, seed=2)
    seen = np.concatenate(_ids(loader))
    assert len(seen) == 20 and len(set(seen.tolist())) == 20


def test_shuffle_reproducible_by_seed_and_new_each_epoch():
    a = DataLoader(*_data(50), batch_size=10, seed=7)
    b = DataLoader(*_data(50), batch_size=10, seed=7)
    c = DataLoader(*_data(50), batch_size=10, seed=8)
    epoch_a1, epoch_a2 = np.concatenate(_ids(a)), np.concatenate(_ids(a))
    np.testing.assert_array_equal(epoch_a1, np.concatenate(_ids(b)))
    np.testing.assert_array_equal(epoch_a2, np.concatenate(_ids(b)))
    assert not np.array_equal(epoch_a1, epoch_a2)
    assert not np.array_equal(epoch_a1, np.concatenate(_ids(c)))
    assert not np.array_equal(epoch_a1, np.arange(50))
    assert a.epoch == 2


def test_no_shuffle_keeps_order():
    loader = DataLoader(*_data(9), batch_size=4, shuffle=False)
    np.testing.assert_array_equal(np.concatenate(_ids(loader)), np.arange(9))


def test_batches_on_current_backend(backend_name, xp):
    images, labels = _data(10)
    x, y = next(iter(DataLoader(images, labels, batch_size=4, seed=0)))
    assert isinstance(x, xp.ndarray) and x.dtype == xp.float32 and x.shape == (4, 1, 2, 2)
    assert isinstance(y, xp.ndarray) and y.dtype == xp.int64
    assert isinstance(DataLoader(images).images, np.ndarray)   # the data set stays on the host
    x, y = next(iter(DataLoader(images, batch_size=4, to_device=False)))
    assert isinstance(x, np.ndarray) and y is None


def test_forever_crosses_epochs():
    loader = DataLoader(*_data(6), batch_size=4, drop_last=True, seed=0)
    stream = loader.forever()
    batches = [next(stream) for _ in range(5)]
    assert len(batches) == 5 and loader.epoch == 5
    with pytest.raises(ValueError, match="DataLoader.forever: no batches"):
        next(DataLoader(*_data(3), batch_size=4, drop_last=True).forever())


def test_errors_name_the_problem():
    images, labels = _data(10)
    with pytest.raises(ValueError, match=r"DataLoader: 10 images but labels have shape \(9,\)"):
        DataLoader(images, labels[:9])
    with pytest.raises(ValueError, match="batch_size must be a positive int, got 0"):
        DataLoader(images, batch_size=0)
