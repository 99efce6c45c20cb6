"""Shared fixtures: the backend parametrisation and hypothesis settings.

Tests that take the ``backend_name`` (or ``xp``) fixture run on NumPy, on the
strict CPU fake of CuPy (``tests/fakecupy``: the CuPy code path, proven on every
run) and on CuPy itself; the CuPy run is marked ``gpu`` and skipped where no GPU
works. Run only the real-GPU half with ``python -m pytest -m gpu``, only the fake
with ``-k fakecupy``.
"""
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import minigan as mg
from tests import fakecupy

settings.register_profile(
    "ci", max_examples=int(os.environ.get("MINIGAN_HYPOTHESIS_EXAMPLES", "25")), deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    derandomize=True, print_blob=True)
settings.register_profile(
    "thorough", max_examples=300, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.load_profile(os.environ.get("MINIGAN_HYPOTHESIS_PROFILE", "ci"))

fakecupy.install()
BACKENDS = ["numpy", "fakecupy", pytest.param("cupy", marks=pytest.mark.gpu)]


@pytest.fixture(params=BACKENDS)
def backend_name(request):
    """Switch minigan to each backend for the test, and back to NumPy afterwards."""
    name = request.param
    if name == "cupy" and not mg.backend.gpu_available():
        pytest.skip(f"no GPU: {mg.backend.gpu_problem()}")
    previous = mg.backend.current().name
    mg.backend.use(name)
    try:
        yield name
    finally:
        mg.backend.use(previous)


@pytest.fixture
def xp(backend_name):
    """The array module of the backend under test."""
    return mg.backend.current().xp


@pytest.fixture
def to_xp(backend_name):
    """Move a NumPy array to the backend under test (data is always made with NumPy)."""
    return mg.backend.to_device


def _pinned_stream(name):
    before = fakecupy.namespace.set_stream(name)
    try:
        yield name
    finally:
        fakecupy.namespace.set_stream(before)


@pytest.fixture
def numpys_stream():
    """Pin the fake CuPy to NumPy's random stream (PCG64) for the test, and restore the
    previous stream after. Only for claims that hold on the fake, with NumPy's stream (a
    seeded fake run drawing exactly what the NumPy run draws): a real GPU draws other numbers."""
    yield from _pinned_stream("numpy")


@pytest.fixture
def other_stream():
    """Pin the fake CuPy to a stream that is not NumPy's (Philox, as a GPU's XORWOW is not)
    for the test, whatever MINIGAN_FAKECUPY_STREAM says, and restore the previous one after."""
    yield from _pinned_stream("other")


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture(autouse=True)
def _numpy_backend_by_default():
    """Every test starts on NumPy unless it asks for the backend fixture."""
    mg.backend.use("numpy")
    yield
    mg.backend.use("numpy")
