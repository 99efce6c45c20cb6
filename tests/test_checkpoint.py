"""Checkpoints: atomic, pickle-free, versioned; anything else gives one clear CheckpointError
naming the file and the problem (never NumPy's advice to allow pickle)."""
import io
import json
import os
import stat
import zipfile

import numpy as np
import pytest

from minigan import nn, optim
from minigan.gan import load_checkpoint, restore, save_checkpoint
from minigan.gan.checkpoint import CheckpointError, remove_orphans


def _model():
    return nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))


def _good(tmp_path):
    m = _model()
    opt = optim.Adam(m.parameters())
    return save_checkpoint(tmp_path / "good.npz", {"G": m}, {"G": opt}, step=4, meta={"seed": 1})


def _npz_bytes(**arrays):
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _meta(**over):
    info = {"format": 1, "step": 0, "meta": {}, "optimizers": {}}
    info.update(over)
    return np.array(json.dumps(info))


BAD_FILES = {
    "empty": (lambda p: p.write_bytes(b""), "empty file"),
    "random bytes": (lambda p: p.write_bytes(os.urandom(300) + b"\x80\x04pickle"), "not a .npz archive"),
    "pickle": (lambda p: p.write_bytes(b"\x80\x04\x95" + os.urandom(64)), "not a .npz archive"),
    "npy": (lambda p: np.save(p.open("wb"), np.zeros(3)), "single-array .npy"),
    "truncated": (lambda p: p.write_bytes(_npz_bytes(__meta__=_meta(), a=np.zeros(1000))[:700]),
                  "truncated or corrupt"),
    "no meta": (lambda p: p.write_bytes(_npz_bytes(a=np.zeros(2))), "no __meta__ entry"),
    "object array": (lambda p: p.write_bytes(_npz_bytes(__meta__=_meta(),
                                                        **{"model/G/w": np.array([{}, 1], dtype=object)})),
                     "Python objects"),
    "malformed key": (lambda p: p.write_bytes(_npz_bytes(__meta__=_meta(), weights=np.zeros(2))),
                      "malformed entry 'weights'"),
    "meta not json": (lambda p: p.write_bytes(_npz_bytes(__meta__=np.array("{step: 3"))), "not valid JSON"),
    "meta not string": (lambda p: p.write_bytes(_npz_bytes(__meta__=np.zeros(2))), "not a JSON string"),
    "meta a list": (lambda p: p.write_bytes(_npz_bytes(__meta__=np.array("[1, 2]"))), "not a JSON object"),
    "bad step": (lambda p: p.write_bytes(_npz_bytes(__meta__=_meta(step=-3))), "invalid step -3"),
    "future version": (lambda p: p.write_bytes(_npz_bytes(__meta__=_meta(format=99))),
                       "format version 99; this minigan reads version 1"),
    "no version": (lambda p: p.write_bytes(_npz_bytes(__meta__=np.array(json.dumps({"step": 1})))),
                   "format version None"),
    "strings": (lambda p: p.write_bytes(_npz_bytes(__meta__=_meta(), **{"model/G/w": np.array(["a"])})),
                "dtype <U1, not numbers"),
    "optimizers malformed": (lambda p: p.write_bytes(_npz_bytes(__meta__=_meta(optimizers={"G": 3}))),
                             "malformed optimizer entries"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_files_give_one_clear_checkpoint_error(tmp_path, case):
    write, problem = BAD_FILES[case]
    path = tmp_path / "ck.npz"
    write(path)
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(path)
    msg = str(err.value)
    assert str(path) in msg and problem in msg, msg
    assert "allow_pickle" not in msg and "pickle=True" not in msg


def test_a_directory_and_a_missing_file(tmp_path):
    with pytest.raises(CheckpointError, match="is a directory"):
        load_checkpoint(tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_checkpoint(tmp_path / "nothing.npz")


def test_good_checkpoint_round_trip_with_extra_arrays(tmp_path):
    m = _model()
    path = save_checkpoint(tmp_path / "c.npz", {"G": m}, step=2, meta={"config": {"lr": 1e-3}},
                           arrays={"ema/0.weight": np.ones((3, 2))})
    ck = load_checkpoint(path)
    assert ck["step"] == 2 and ck["meta"]["config"]["lr"] == 1e-3
    np.testing.assert_array_equal(ck["arrays"]["ema/0.weight"], np.ones((3, 2)))
    m2 = _model()
    assert restore(ck, {"G": m2}) == 2
    np.testing.assert_array_equal(m2[0].weight.data, m[0].weight.data)


def test_restore_into_the_wrong_model_names_the_file(tmp_path):
    path = _good(tmp_path)
    ck = load_checkpoint(path)
    with pytest.raises(CheckpointError, match=r"good.npz.*has no model 'D'"):
        restore(ck, {"D": _model()})
    with pytest.raises(CheckpointError, match=r"good.npz.*model 'G' does not fit"):
        restore(ck, {"G": nn.Sequential(nn.Linear(2, 4), nn.BatchNorm1d(4))})
    with pytest.raises(CheckpointError, match=r"good.npz.*optimizer 'G' does not fit"):
        restore(ck, {"G": _model()}, {"G": optim.SGD(_model().parameters())})


def test_checkpoint_mode_follows_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        path = _good(tmp_path)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
        os.umask(0o077)
        path = save_checkpoint(tmp_path / "private.npz", {"G": _model()})
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    finally:
        os.umask(old)
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_a_killed_save_leaves_no_orphans_after_the_next_one(tmp_path):
    path = tmp_path / "run" / "checkpoint.npz"
    path.parent.mkdir()
    orphan = path.parent / ".tmp-checkpoint.npz-abc123.npz"
    orphan.write_bytes(b"half a checkpoint")
    other = path.parent / ".tmp-other.npz-zzz.npz"      # another file's temporary: not ours
    other.write_bytes(b"x")
    save_checkpoint(path, {"G": _model()}, step=1)
    assert not orphan.exists() and other.exists()
    assert load_checkpoint(path)["step"] == 1
    orphan.write_bytes(b"again")
    assert remove_orphans(path) == [str(orphan)]


def test_a_zip_that_is_not_numpy_is_refused(tmp_path):
    path = tmp_path / "ck.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("__meta__.npy", b"not an npy payload")
    with pytest.raises(CheckpointError, match="truncated or corrupt"):
        load_checkpoint(path)
