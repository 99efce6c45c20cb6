"""The backend switch, transfers, RNG and the errors that keep devices apart."""
import os
import subprocess
import sys

import numpy as np
import pytest

import minigan as mg
from minigan import backend as B
from minigan import nn


def test_numpy_is_the_default_and_xp_follows_use():
    B.use("numpy")
    assert B.current().name == "numpy"
    assert B.xp is np
    assert B.current().xp is np
    assert not B.current().is_gpu


def test_unknown_backend_names_the_choices():
    with pytest.raises(B.BackendError, match=r"unknown backend 'tensorflow'.*numpy.*cupy.*auto"):
        B.use("tensorflow")


def test_auto_picks_numpy_without_gpu_and_cupy_with_one():
    chosen = B.use("auto").name
    assert chosen == ("cupy" if B.gpu_available() else "numpy")


@pytest.mark.skipif(B.gpu_available(), reason="a GPU works here")
def test_cupy_without_gpu_says_which_problem_and_how_to_fix():
    with pytest.raises(B.BackendError) as err:
        B.use("cupy")
    msg = str(err.value)
    assert "cupy" in msg.lower()
    # either CuPy is missing (install hint) or the GPU is (driver hint)
    assert ("not installed" in msg and "pip install" in msg) or ("no working CUDA GPU" in msg)
    assert B.current().name == "numpy"  # a failed switch leaves the backend as it was


def test_environment_variable_selects_backend():
    code = "import minigan as mg; print(mg.backend.current().name)"
    env = dict(os.environ, MINIGAN_BACKEND="numpy", PYTHONPATH=os.getcwd())
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "numpy"
    env["MINIGAN_BACKEND"] = "nonsense"
    bad = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert bad.returncode != 0 and "unknown backend 'nonsense'" in bad.stderr


def test_transfers_round_trip(backend_name):
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    d = B.to_device(a)
    assert B.backend_of(d) == backend_name
    back = B.to_numpy(d)
    assert isinstance(back, np.ndarray)
    np.testing.assert_array_equal(back, a)
    assert B.to_device(a, dtype=np.float64).dtype == np.float64


def test_rng_is_seeded_typed_and_on_the_backend(backend_name):
    r1, r2 = B.RNG(7), B.RNG(7)
    a, b = r1.standard_normal((500,)), r2.standard_normal((500,))
    np.testing.assert_array_equal(B.to_numpy(a), B.to_numpy(b))
    assert a.dtype == np.float32 and B.backend_of(a) == backend_name
    u = B.to_numpy(r1.uniform((20000,), -2.0, 3.0))
    assert u.min() >= -2.0 and u.max() < 3.0 and abs(u.mean() - 0.5) < 0.05
    n = B.to_numpy(r1.normal((20000,), 4.0, 1.25, dtype=np.float64))
    assert n.dtype == np.float64 and abs(n.mean() - 4) < 0.05 and abs(n.std() - 1.25) < 0.05
    p = B.to_numpy(r1.permutation(50))
    assert sorted(p.tolist()) == list(range(50))
    i = B.to_numpy(r1.integers(0, 5, size=1000))
    assert i.min() >= 0 and i.max() <= 4


def test_seed_makes_model_construction_reproducible():
    B.seed(3)
    w1 = nn.Linear(4, 5).weight.data.copy()
    B.seed(3)
    w2 = nn.Linear(4, 5).weight.data.copy()
    B.seed(4)
    w3 = nn.Linear(4, 5).weight.data.copy()
    np.testing.assert_array_equal(w1, w2)
    assert not np.array_equal(w1, w3)


def test_check_same_backend_names_both_sides():
    with pytest.raises(TypeError, match=r"Linear.*numpy array.*cupy backend"):
        B.check_same_backend(np.zeros(3), "cupy", "Linear(3, 4)")
    B.check_same_backend(np.zeros(3), "numpy", "Linear(3, 4)")  # no error


@pytest.mark.gpu
def test_numpy_input_to_cupy_model_is_an_error_not_a_copy():
    if not B.gpu_available():
        pytest.skip(f"no GPU: {B.gpu_problem()}")
    B.use("cupy")
    layer = nn.Linear(3, 2)
    with pytest.raises(TypeError, match=r"numpy array.*cupy backend"):
        layer(np.zeros((4, 3), dtype=np.float32))


def test_info_reports_versions_and_backend():
    info = B.info()
    assert info["numpy"] == np.__version__
    assert info["backend"] == "numpy"
    assert "cupy" in info and "gpu" in info
    assert sys.version.split()[0] in info["python"]
    assert mg.__version__
