"""The strict CPU fake of CuPy: it must refuse what CuPy refuses, offer only CuPy's names,
count what a GPU makes expensive, and plug into minigan through the public hook."""
import io
import pickle

import numpy as np
import pytest

import minigan as mg
from minigan import backend as B
from tests import fakecupy
from tests.fakecupy import counters, no_sync, snapshot

cp = fakecupy.cupy


@pytest.fixture
def x():
    return cp.asarray(np.arange(12, dtype=np.float32).reshape(3, 4))


# ---------------------------------------------------------------- not a NumPy array

def test_arrays_are_wrappers_not_numpy_arrays(x):
    assert not isinstance(x, np.ndarray)
    assert type(x).__mro__[1] is object


@pytest.mark.parametrize("convert", [
    lambda a: np.asarray(a),
    lambda a: np.array(a),
    lambda a: np.savez(io.BytesIO(), a=a),
    lambda a: np.sum(a),
    lambda a: np.exp(a),
    lambda a: np.concatenate([a, a]),
    lambda a: np.testing.assert_array_equal(a, a),
], ids=["asarray", "array", "savez", "sum", "exp-ufunc", "concatenate", "testing"])
def test_implicit_host_conversion_raises_type_error(x, convert):
    with pytest.raises(TypeError):
        convert(x)


def test_matplotlib_refuses_device_arrays(x, tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots()
    try:
        with pytest.raises(TypeError):
            ax.plot(x[0])
            fig.savefig(tmp_path / "p.png")
    finally:
        plt.close(fig)


@pytest.mark.parametrize("mix", [
    lambda a, h: a + h, lambda a, h: h + a, lambda a, h: a * h, lambda a, h: h @ a.T,
    lambda a, h: cp.maximum(a, h), lambda a, h: cp.concatenate([a, h]),
], ids=["add", "radd", "mul", "rmatmul", "maximum", "concatenate"])
def test_mixing_with_numpy_arrays_raises(x, mix):
    with pytest.raises(TypeError, match="Unsupported type|device array"):
        mix(x, np.ones((3, 4), dtype=np.float32))


def test_setitem_and_indexing_refuse_host_arrays(x):
    with pytest.raises(TypeError, match="Unsupported type"):
        x[0] = np.zeros(4, dtype=np.float32)
    with pytest.raises(TypeError, match="Unsupported type"):
        x[np.array([0, 1])]


def test_python_and_numpy_scalars_mix_freely(x):
    for s in (2, 2.0, np.float32(2.0), np.int64(2)):
        np.testing.assert_array_equal((x * s).get(), x.get() * s)
        np.testing.assert_array_equal((s * x).get(), s * x.get())


def test_only_get_and_asnumpy_copy_to_the_host(x):
    counters.reset()
    h1, h2 = x.get(), cp.asnumpy(x)
    assert isinstance(h1, np.ndarray) and isinstance(h2, np.ndarray)
    np.testing.assert_array_equal(h1, np.arange(12, dtype=np.float32).reshape(3, 4))
    assert counters.syncs == 2
    h1[0, 0] = 99                       # a copy, not a view of device memory
    assert x.get()[0, 0] == 0


def test_reductions_and_integer_indexing_give_0d_device_arrays(x):
    for r in (x.sum(), x.max(), cp.mean(x), x[1, 2], x.argmax(), cp.all(x > -1)):
        assert isinstance(r, cp.ndarray) and r.shape == ()
    assert float(x[1, 2]) == 6.0
    v = x[1, 2]
    x[1, 2] = 50.0
    assert float(v) == 50.0             # a 0-d view, as in CuPy


def test_unsupported_dtypes_are_refused():
    with pytest.raises(ValueError, match="Unsupported dtype object"):
        cp.asarray(np.array([object()], dtype=object))
    with pytest.raises(ValueError, match="Unsupported dtype"):
        cp.asarray(np.array(["a"]))


# ---------------------------------------------------------------- only CuPy's names

def _public(obj):
    return {n for n in dir(obj) if not n.startswith("_")}


def test_module_offers_only_names_the_real_cupy_has():
    real = set(snapshot.module_names("cupy"))
    assert _public(cp) <= real
    assert {"asarray", "zeros", "matmul", "maximum", "random", "cuda", "lib", "float32"} <= _public(cp)
    for sub, key in ((cp.random, "cupy.random"), (cp.linalg, "cupy.linalg"),
                     (cp.cuda, "cupy.cuda"), (cp.lib.stride_tricks, "cupy.lib.stride_tricks")):
        assert _public(sub) <= set(snapshot.module_names(key)), key


def test_array_and_generator_offer_only_real_methods(x):
    assert _public(x) <= set(snapshot.class_names("cupy.ndarray"))
    gen = cp.random.default_rng(0)
    real = set(snapshot.class_names("cupy.random.Generator"))
    assert _public(gen) <= real
    for missing in ("normal", "permutation", "choice", "shuffle"):
        assert missing not in real
        with pytest.raises(AttributeError):
            getattr(gen, missing)


def test_names_outside_cupy_and_unimplemented_ones_say_which():
    with pytest.raises(AttributeError, match="no such name"):
        _ = cp.nanargmax_of_everything
    with pytest.raises(AttributeError, match="does not implement"):
        _ = cp.RawKernel


def test_keyword_arguments_follow_cupys_signatures(x):
    with pytest.raises(TypeError, match="unexpected keyword argument 'initial'"):
        x.max(initial=0.0)
    with pytest.raises(TypeError, match="unexpected keyword argument 'where'"):
        cp.sum(x, where=x > 0)
    assert float(x.max(axis=None, keepdims=False)) == 11.0


def test_random_stream_is_numpys_or_another_by_choice():
    from tests.fakecupy import namespace
    before = namespace.set_stream("numpy")
    try:
        a = cp.random.default_rng(5).standard_normal((4, 3), dtype=np.float32)
        b = np.random.default_rng(5).standard_normal((4, 3), dtype=np.float32)
        np.testing.assert_array_equal(a.get(), b)
        i = cp.random.default_rng(5).integers(0, 7, size=10)
        np.testing.assert_array_equal(i.get(), np.random.default_rng(5).integers(0, 7, size=10))
        # "other" (on in CI): another stream, as real CuPy's is - same seed, other numbers
        namespace.set_stream("other")
        c = cp.random.default_rng(5).standard_normal((4, 3), dtype=np.float32)
        assert (c.get() != b).all()
        np.testing.assert_array_equal(c.get(), cp.random.default_rng(5).standard_normal(
            (4, 3), dtype=np.float32).get())                     # still seeded
        assert abs(float(cp.random.default_rng(1).standard_normal(20000).mean().get())) < 0.03
        with pytest.raises(ValueError, match="expected one of"):
            namespace.set_stream("xorwow")
    finally:
        namespace.set_stream(before)


def test_snapshot_is_a_recent_real_cupy():
    major = int(snapshot.version().split(".")[0])
    assert major >= 13
    nd = snapshot.class_names("cupy.ndarray")
    assert nd["max"]["signature"]["params"] == ["axis", "out", "keepdims"]


# ---------------------------------------------------------------- what a GPU makes fatal

def test_as_strided_inside_the_buffer_is_a_view(x):
    v = cp.lib.stride_tricks.as_strided(x, (2, 2, 2), (16, 4, 16))
    np.testing.assert_array_equal(v.get(), np.lib.stride_tricks.as_strided(
        x.get(), (2, 2, 2), (16, 4, 16)))


@pytest.mark.parametrize("shape,strides", [((3, 5), (16, 4)), ((4, 4), (16, 4)),
                                            ((2,), (-4,))])
def test_as_strided_leaving_the_buffer_raises(x, shape, strides):
    with pytest.raises(ValueError, match="leaves its allocation"):
        cp.lib.stride_tricks.as_strided(x, shape, strides)


def test_as_strided_of_a_view_is_checked_against_the_whole_buffer(x):
    row = x[1]                                  # bytes 16..32 of 48
    ok = cp.lib.stride_tricks.as_strided(row, (2, 4), (16, 4))   # rows 1 and 2: inside
    assert ok.get()[1, 0] == 8
    with pytest.raises(ValueError, match="leaves its allocation"):
        cp.lib.stride_tricks.as_strided(row, (3, 4), (16, 4))


@pytest.mark.parametrize("sync", [float, int, bool, lambda a: a.item(), lambda a: a.tolist(),
                                  lambda a: a.get(), cp.asnumpy, repr,
                                  lambda a: cp.cuda.get_current_stream().synchronize()],
                         ids=["float", "int", "bool", "item", "tolist", "get", "asnumpy", "repr",
                              "stream"])
def test_syncs_are_counted_and_can_be_forbidden(x, sync):
    s = x.sum()
    counters.reset()
    sync(s)
    assert counters.syncs == 1
    with no_sync("this test"):
        with pytest.raises(fakecupy.SyncForbidden, match="this test"):
            sync(s)
    assert counters.syncs == 1


def test_launches_count_writes_not_views(x):
    counters.reset()
    x.reshape(4, 3)
    _ = x.T
    x[1:]
    cp.lib.stride_tricks.as_strided(x, (2, 2), (16, 4))
    assert counters.launches == 0
    y = x * 2
    y += 1
    cp.exp(y, out=y)
    x.T.reshape(12)                              # a copy: not contiguous
    s = y.sum()
    assert counters.launches == 5 and counters.syncs == 0
    assert float(s) > 0
    counters.reset()
    y.astype(y.dtype, copy=False)                # CuPy hands back the array itself: no kernel
    assert counters.launches == 0
    y.astype(cp.float64)                         # a cast writes a new array
    assert counters.launches == 1


def test_host_to_device_transfers_are_counted():
    counters.reset()
    cp.asarray(np.ones(3))
    cp.asarray([1.0, 2.0])
    assert counters.transfers == 2


def test_pickling_a_device_array_is_refused_like_implicit_conversion(x):
    # checkpoints must never hold pickled device arrays: save with .get() / to_numpy
    with pytest.raises(TypeError):
        np.save(io.BytesIO(), x)
    assert pickle  # the module stays importable without the fake


# ---------------------------------------------------------------- the backend hook

def test_registered_as_a_gpu_backend():
    b = fakecupy.install()
    assert b.name == "fakecupy" and b.is_gpu and b.xp is cp
    assert "fakecupy" in B.names() and "fakecupy" in B.available()
    mg.backend.use("fakecupy")
    assert B.current() is b and B.xp is cp
    a = B.to_device(np.ones(3, dtype=np.float32))
    assert B.backend_of(a) == "fakecupy" and B.array_module(a) is cp
    assert isinstance(B.to_numpy(a), np.ndarray)


def test_register_refuses_builtin_names_and_modules_without_arrays():
    with pytest.raises(B.BackendError, match="built-in"):
        B.register("numpy", cp)
    with pytest.raises(TypeError, match="no ndarray"):
        B.register("thing", io)


def test_unregister_falls_back_to_numpy():
    B.register("fake2", cp)
    B.use("fake2")
    B.unregister("fake2")
    assert B.current().name == "numpy"
    fakecupy.install()              # the fake's arrays belong to "fakecupy" again
    assert B.backend_of(cp.zeros(1)) == "fakecupy"
