"""Checkpoints written by an earlier minigan still load, sample and resume exactly as they did.

tests/fixtures/checkpoints/ holds three run checkpoints made before the registries and
the backward protocol were rewritten (gaussian2d with a weight average, a conditional
dcgan-digits run, a gaussian1d WGAN-GP run), the samples ``minigan sample`` drew from
each (seed 3), and the losses and metrics of each run resumed for three more steps, all
recorded by that earlier version. The code of today must reproduce them on NumPy: to
float32 rounding, since OpenBLAS picks its GEMM kernels by processor (DYNAMIC_ARCH) and an
Intel and an AMD machine round the same products differently (on the machine that recorded
them they are bit-identical).
"""
import json
import os
import shutil

import numpy as np
import pytest

from minigan import presets

HERE = os.path.join(os.path.dirname(__file__), "fixtures", "checkpoints")
RUNS = {"gaussian2d": 20, "dcgan-digits": 6, "gp1d": 6}      # name -> steps in the checkpoint


@pytest.fixture(scope="module")
def expected():
    with np.load(os.path.join(HERE, "expected.npz")) as z:
        arrays = {k: z[k] for k in z.files}
    with open(os.path.join(HERE, "expected_metrics.json")) as f:
        return arrays, json.load(f)


def _run_folder(tmp_path, name):
    folder = tmp_path / name
    folder.mkdir()
    shutil.copy(os.path.join(HERE, f"{name}.npz"), folder / "checkpoint.npz")
    return folder


@pytest.mark.parametrize("name", sorted(RUNS))
def test_old_checkpoint_samples_as_it_did(name, tmp_path, expected):
    folder = _run_folder(tmp_path, name)
    x = presets.sample(str(folder), 20, str(tmp_path / "s.npy"), seed=3)
    np.testing.assert_allclose(x, expected[0][f"{name}/samples"], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(np.load(tmp_path / "s.npy"), x)


@pytest.mark.parametrize("name", sorted(RUNS))
def test_old_checkpoint_resumes_as_it_did(name, tmp_path, expected):
    arrays, metrics = expected
    folder = _run_folder(tmp_path, name)
    m = presets.run(None, resume=str(folder), steps=RUNS[name] + 3, progress=False,
                    pictures=False)
    got = np.genfromtxt(folder / "history.csv", delimiter=",", names=True)
    for k in ("d_loss", "g_loss"):
        np.testing.assert_allclose(got[k], arrays[f"{name}/resumed_{k}"], rtol=1e-6, atol=1e-7)
    for k, v in metrics[name].items():
        if _numeric(v):
            np.testing.assert_allclose(m[k], v, rtol=1e-5, atol=1e-7, err_msg=k)
        else:
            assert m[k] == v, k


def _numeric(v) -> bool:
    """A float or a (nested) list of numbers with a float among them: a measured value."""
    if isinstance(v, list):
        return bool(v) and all(_numeric(e) or isinstance(e, int) for e in v) \
            and any(_numeric(e) for e in v)
    return isinstance(v, float)
