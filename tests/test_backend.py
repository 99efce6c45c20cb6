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
    # either CuPy is missing (install hint) or something it needs is (the probe's reason)
    assert ("not installed" in msg and "pip install" in msg) or ("cannot run" in msg)
    assert B.current().name == "numpy"  # a failed switch leaves the backend as it was


def _run(code, **env):
    full = dict(os.environ, PYTHONPATH=os.getcwd(), **env)
    return subprocess.run([sys.executable, "-c", code], env=full, capture_output=True, text=True)


def test_environment_variable_selects_backend():
    out = _run("import minigan as mg; print(mg.backend.current().name)", MINIGAN_BACKEND="numpy")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "numpy"


@pytest.mark.parametrize("value", ["nonsense"] + ([] if B.gpu_available() else ["cupy"]))
def test_unusable_environment_variable_is_reported_once_and_never_breaks_import(value):
    code = ("import warnings, minigan as mg\n"
            "with warnings.catch_warnings(record=True) as w:\n"
            "    warnings.simplefilter('always')\n"
            "    names = [mg.backend.current().name for _ in range(3)]\n"
            "    print(names[0], len([x for x in w if 'MINIGAN_BACKEND' in str(x.message)]))\n")
    out = _run(code, MINIGAN_BACKEND=value)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["numpy", "1"]       # fell back, warned once
    msg = B.env_problem.__doc__
    assert msg


@pytest.mark.parametrize("value", ["bogus"] + ([] if B.gpu_available() else ["cupy"]))
def test_command_line_with_unusable_environment_variable(value, tmp_path):
    env = dict(os.environ, PYTHONPATH=os.getcwd(), MINIGAN_BACKEND=value)

    def cli(*argv):
        return subprocess.run([sys.executable, "-m", "minigan", *argv], env=env,
                               capture_output=True, text=True)
    for argv in (["--help"], ["info"], ["presets"]):
        r = cli(*argv)
        assert r.returncode == 0, (argv, r.stderr)
        assert "Traceback" not in r.stderr
    assert "MINIGAN_BACKEND" in cli("info").stdout
    r = cli("train", "--steps", "2", "--quiet", "--out", str(tmp_path / "a"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "MINIGAN_BACKEND" in r.stderr and "--backend numpy" in r.stderr and "usage:" in r.stderr
    r = cli("train", "--backend", "numpy", "--steps", "2", "--quiet", "--out", str(tmp_path / "b"))
    assert r.returncode == 0, r.stderr                # the flag wins over the variable


class _FakeCuda:
    """A CuPy-shaped module whose stage ``fail`` raises ``error``."""

    def __init__(self, fail, error):
        import types
        from tests import fakecupy
        real = fakecupy.cupy
        self.float32, self.ones = real.float32, real.ones
        self.cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(
            getDeviceCount=self._maybe("count", fail, error, lambda: 1)))
        self.arange = self._maybe("kernel", fail, error, real.arange)
        self.random = types.SimpleNamespace(default_rng=self._maybe("rand", fail, error,
                                                                    real.random.default_rng))
        self.ones = self._maybe("blas", fail, error, real.ones)

    @staticmethod
    def _maybe(stage, fail, error, fn):
        def f(*a, **k):
            if stage == fail:
                raise error
            return fn(*a, **k)
        return f


@pytest.mark.parametrize("fail,error,expect", [
    ("count", RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected"), "nvidia-smi"),
    ("count", RuntimeError("cudaErrorInsufficientDriver: CUDA driver version is insufficient for "
                           "CUDA runtime version"), "matches the driver"),
    ("kernel", RuntimeError("CuPy failed to load libnvrtc.so.12: OSError"), "cupy-cuda12x[ctk]"),
    ("blas", ImportError("libcublas.so.12: cannot open shared object file"), "cupy-cuda12x[ctk]"),
    ("rand", RuntimeError("CuPy failed to load libcurand.so.10"), "cupy-cuda12x[ctk]"),
])
def test_probe_names_the_missing_piece_and_the_fix(fail, error, expect):
    why = B.probe(_FakeCuda(fail, error))
    assert why is not None and expect in why
    stage = {"count": "finding a CUDA device", "kernel": "element-wise kernel (NVRTC)",
             "blas": "matrix product (cuBLAS)", "rand": "random draw (cuRAND)"}[fail]
    assert stage in why


def test_probe_passes_a_working_cupy():
    from tests import fakecupy
    assert B.probe(fakecupy.cupy) is None


def test_gpu_extra_installs_cupy_with_its_cuda_libraries():
    text = open(os.path.join(os.path.dirname(__file__), "..", "pyproject.toml")).read()
    assert 'gpu = ["cupy-cuda12x[ctk]' in text and 'gpu-cuda13 = ["cupy-cuda13x[ctk]' in text


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
