"""Fused kernels (minigan/backend/fused.py): every CUDA body, executed by the fake CuPy's
interpreter (tests/fakecupy/cuda_c.py), computes what its NumPy twin computes, bit for bit,
on inputs that reach every branch (signs, zeros, the tails, NaN where the op meets it)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigan as mg
from minigan import nn
from minigan.backend import fused
from tests import fakecupy
from tests.fakecupy import cuda_c
from tests.fakecupy.kernels import CompileException

# importing the packages defines their kernels
import minigan.gan  # noqa: F401,E402
import minigan.losses  # noqa: F401,E402
import minigan.nn  # noqa: F401,E402
import minigan.optim  # noqa: F401,E402


def _x(rng, shape, dtype):
    x = np.asarray(rng.standard_normal(shape) * 3)
    x.flat[:6] = [0.0, -0.0, 40.0, -40.0, np.nan, np.inf][:x.size]   # the signs, tails, NaN, Inf
    return x.astype(dtype)


def _nan(x):
    """x with a NaN and an Inf in it (where it has room), for the finiteness guards."""
    x.flat[-2:] = [np.nan, np.inf][-x.size:] if x.size else []
    return x


def _pos(rng, shape, dtype):
    return np.asarray(rng.random(shape) + 0.01).astype(dtype)


def _rms(centered, momentum):
    def make(rng, shape, dtype):
        g = _x(rng, shape, dtype)
        p, v = _x(rng, shape, dtype), np.asarray(_pos(rng, shape, dtype) + 1)
        states = []
        if centered:
            states.append(np.asarray(rng.random(shape) * 0.5).astype(dtype))
        if momentum:
            states.append(_x(rng, shape, dtype))
        return (g, 0.99, 1 - 0.99, 1e-8, 0.5, 0.01, p, v, *states)
    return make


def _geometry(rng):
    kh, kw = rng.integers(1, 4, 2)
    sh, sw, dh, dw = rng.integers(1, 3, 4)
    ph, pw = rng.integers(0, 3, 2)
    N, C, H, W = rng.integers(1, 3), rng.integers(1, 4), rng.integers(3, 7), rng.integers(3, 7)
    Ho = max(1, (H + 2 * ph - dh * (kh - 1) - 1) // sh + 1)
    Wo = max(1, (W + 2 * pw - dw * (kw - 1) - 1) // sw + 1)
    return [int(v) for v in (N, C, H, W, Ho, Wo, kh, kw, sh, sw, ph, pw, dh, dw)]


def _im2col_args(rng, shape, dtype):
    N, C, H, W, Ho, Wo, kh, kw, sh, sw, ph, pw, dh, dw = g = _geometry(rng)
    x = _x(rng, (N, C, H, W), dtype)
    if rng.random() < 0.5:                      # an NCHW view of channel-last memory
        x = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    return (x, *g, int(rng.integers(0, 2)), np.zeros((N * Ho * Wo, kh * kw * C), dtype))


def _col2im_args(rng, shape, dtype):
    N, C, H, W, Ho, Wo, kh, kw, sh, sw, ph, pw, dh, dw = g = _geometry(rng)
    cols = _x(rng, (N * Ho * Wo, kh * kw * C), dtype)
    start = _x(rng, (C,), dtype) if rng.random() < 0.5 else np.zeros(C, dtype)
    return (cols, start, *g, np.zeros((N, H, W, C), dtype))


def _reduce_args(rng, shape, dtype, n, same=False):
    """n inputs for a per-channel reduction over every axis but axis 1 (all axes for shapes
    of fewer than 2): the first of the full shape, the others full (``same``) or one value
    per channel broadcast as (1, C, 1, ...); then the keywords {"axis": ...}."""
    if len(shape) < 2:
        axis, small = None, shape
    else:
        axis = (0,) + tuple(range(2, len(shape)))
        small = (1, shape[1]) + (1,) * (len(shape) - 2)
    rest = [_x(rng, shape if same else small, dtype) for _ in range(n - 1)]
    return (_x(rng, shape, dtype), *rest, {"axis": axis})


EXAMPLES = {
    "im2col": _im2col_args,
    "col2im": _col2im_args,
    "relu_backward": lambda r, s, d: (_x(r, s, d), _x(r, s, d)),
    "leaky_relu_forward": lambda r, s, d: (_x(r, s, d), 0.2),
    "leaky_relu_backward": lambda r, s, d: (_x(r, s, d), _x(r, s, d), 1 - 0.2, 0.2),
    "tanh_backward": lambda r, s, d: (_x(r, s, d), np.asarray(np.tanh(_x(r, s, d)))),
    "sigmoid_forward": lambda r, s, d: (_x(r, s, d),),
    "sigmoid_backward": lambda r, s, d: (_x(r, s, d), np.asarray(_pos(r, s, d) * 0.9)),
    "elu_forward": lambda r, s, d: (_x(r, s, d), 1.3),
    "elu_backward": lambda r, s, d: (_x(r, s, d), _x(r, s, d), 1.3, 1 - 1.3),
    "bce_label_loss_grad": lambda r, s, d: (_x(r, s, d), -1.0, -1.0 / 7),
    # reductions: the last item holds the call's keywords (the axes)
    "batchnorm_variance": lambda r, s, d: _reduce_args(r, s, d, 2),
    "batchnorm_sum_dy_xhat": lambda r, s, d: _reduce_args(r, s, d, 2, same=True),
    "batchnorm_running_stats": lambda r, s, d: (
        _nan(_x(r, s, d)), _pos(r, s, d), 0.9, 0.1, 0.1 * 8 / 7, 1e-5, _x(r, s, d),
        _pos(r, s, d), np.zeros(s, bool), np.zeros(s, d), np.asarray([r.integers(0, 99)])),
    "batchnorm_normalise": lambda r, s, d: tuple(_x(r, s, d) for _ in range(5)),
    "batchnorm_backward_dx": lambda r, s, d: (_x(r, s, d), _x(r, s, d), _x(r, s, d),
                                              _x(r, s, d), 64, _x(r, s, d), _pos(r, s, d)),
    "adam_step": lambda r, s, d: (_x(r, s, d), 0.5, 0.5, 0.999, 1 - 0.999, 0.03, 1e-8, 2e-4,
                                  _x(r, s, d), _x(r, s, d), _pos(r, s, d)),
    "rmsprop_step": _rms(False, False),
    "rmsprop_step_centered": _rms(True, False),
    "rmsprop_step_momentum": _rms(False, True),
    "rmsprop_step_centered_momentum": _rms(True, True),
}


def test_every_fused_kernel_has_an_example_here():
    # a kernel added without an example would escape the bit-identity check below
    assert sorted(fused.kernels()) == sorted(EXAMPLES)


DEVICES = [fakecupy.NAME, pytest.param("cupy", marks=pytest.mark.gpu)]


@pytest.fixture(params=DEVICES)
def device(request):
    """The fake CuPy (whose interpreter runs the body: exactly the twin's roundings) or a
    real GPU (NVRTC compiles it, FMA contracts a * b + c: the twin's within rounding)."""
    if request.param == "cupy" and not mg.backend.gpu_available():
        pytest.skip(f"no GPU: {mg.backend.gpu_problem()}")
    return request.param


def _assert_same(got, want, device, what):
    if device == fakecupy.NAME:
        np.testing.assert_array_equal(got, want, err_msg=what)
    else:
        tol = 1e-5 if got.dtype == np.float32 else 1e-12
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol, equal_nan=True, err_msg=what)


def _run(kernel, args, on_fake: bool, device=fakecupy.NAME):
    """The kernel's results (and its in-place outputs) as NumPy arrays; a dict as the last
    argument holds keywords of the call (a reduction's axes)."""
    kw = args[-1] if args and isinstance(args[-1], dict) else {}
    args = args[:-1] if kw else args
    if on_fake:
        mg.backend.use(device)
        args = [mg.backend.to_device(a.copy()) if isinstance(a, np.ndarray) else a for a in args]
        try:
            if device == fakecupy.NAME:
                with fakecupy.counting() as c, fakecupy.no_sync("a fused kernel"):
                    out = kernel(*args, **kw)
                assert c.launches == 1, c.by_op
            else:
                out = kernel(*args, **kw)
        finally:
            mg.backend.use("numpy")
    else:
        args = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        out = kernel(*args, **kw)
    out = out if isinstance(out, tuple) else (out,)
    arrays = [a for a in args if hasattr(a, "dtype") and not np.isscalar(a)]
    return [mg.backend.to_numpy(o) for o in out] + [mg.backend.to_numpy(a) for a in arrays]


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")   # the NaN inputs
@pytest.mark.parametrize("name", sorted(EXAMPLES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 2**31 - 1),
       shape=st.sampled_from([(), (1,), (7,), (3, 5), (2, 3, 4, 2)]))
def test_the_cuda_body_computes_its_numpy_twin_bit_for_bit(name, dtype, seed, shape, device):
    kernel = fused.kernels()[name]
    args = EXAMPLES[name](np.random.default_rng(seed), shape, dtype)
    want = _run(kernel, args, on_fake=False)
    got = _run(kernel, args, on_fake=True, device=device)
    assert len(got) == len(want)
    for k, (g, w) in enumerate(zip(got, want)):
        assert g.dtype == w.dtype and g.shape == w.shape, (k, g.dtype, w.dtype, g.shape, w.shape)
        _assert_same(g, w, device, f"{name}: result {k}")


def test_fusion_off_runs_the_twin_op_by_op_on_the_device():
    x = np.linspace(-2, 2, 10).astype(np.float32)
    mg.backend.use(fakecupy.NAME)
    old = mg.backend.fusion(False)
    try:
        with fakecupy.counting() as c:
            y, _ = mg.ops.activations.sigmoid_forward(mg.backend.to_device(x))
        assert c.launches > 1 and not any(k.startswith("kernel:") for k in c.by_op)
        mg.backend.fusion(True)
        with fakecupy.counting() as c:
            y2, _ = mg.ops.activations.sigmoid_forward(mg.backend.to_device(x))
        assert c.by_op == {"kernel:minigan_sigmoid_forward": 1, "h2d:asarray": 1}
        np.testing.assert_array_equal(mg.backend.to_numpy(y), mg.backend.to_numpy(y2))
    finally:
        mg.backend.fusion(old)
        mg.backend.use("numpy")


def test_fusion_on_numpy_is_a_no_op():
    x = np.linspace(-2, 2, 10)
    old = mg.backend.fusion(True)
    try:
        a = mg.ops.activations.sigmoid_forward(x)[0]
        mg.backend.fusion(False)
        b = mg.ops.activations.sigmoid_forward(x)[0]
    finally:
        mg.backend.fusion(old)
    np.testing.assert_array_equal(a, b)
    assert isinstance(a, np.ndarray)


def test_a_kernel_that_does_not_compile_names_its_op():
    k = fused.Elementwise("test_broken_kernel", "T x", "T y", "y = x $ 2",
                          lambda xp, x: x * 2)
    try:
        mg.backend.use(fakecupy.NAME)
        with pytest.raises(mg.backend.KernelCompileError, match="test_broken_kernel.*"
                                                                "MINIGAN_FUSION=0"):
            k(mg.backend.to_device(np.ones(3)))
    finally:
        mg.backend.use("numpy")
        fused._registry.pop("test_broken_kernel")


def test_batch_norm_trains_in_four_launches_forward_and_three_backward_equal_to_numpy():
    # mean, variance, running statistics, normalisation; sum(dy), sum(dy xhat), dx
    rng = np.random.default_rng(5)
    x = rng.standard_normal((8, 3, 4, 4)).astype(np.float32)
    dy = rng.standard_normal(x.shape).astype(np.float32)

    def step():
        bn = nn.BatchNorm2d(3)
        # x in channel-last memory, as a convolution's output is laid out
        xd = mg.backend.to_device(x).transpose(0, 2, 3, 1).copy().transpose(0, 3, 1, 2)
        dyd = mg.backend.to_device(dy)
        bn.forward(xd)                       # a warm-up pass allocates the workspace
        bn.backward(dyd)
        bn.zero_grad()
        with fakecupy.counting() as c:
            y = bn.forward(xd)
            dx = bn.backward(dyd)
        arrays = [y, dx, bn.weight.grad, bn.bias.grad, bn.running_mean, bn.running_var]
        return c, [mg.backend.to_numpy(a) for a in arrays]

    _, want = step()
    mg.backend.use(fakecupy.NAME)
    try:
        c, got = step()
    finally:
        mg.backend.use("numpy")
    kernels = sorted(op for op in c.by_op if op.startswith("kernel:"))
    assert c.launches == 7 and kernels == [
        "kernel:minigan_batchnorm_backward_dx", "kernel:minigan_batchnorm_normalise",
        "kernel:minigan_batchnorm_running_stats", "kernel:minigan_batchnorm_sum_dy_xhat",
        "kernel:minigan_batchnorm_variance"], c.by_op
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


# ------------------------------------------------------------ the fake's interpreter itself

def _kernel(ins, outs, body):
    return fakecupy.cupy.ElementwiseKernel(ins, outs, body, "t")


def _dev(a):
    return fakecupy.cupy.asarray(np.asarray(a))


def test_interpreter_follows_c_arithmetic():
    a = _dev(np.array([-7, 7, -7, 7], np.int32))
    b = _dev(np.array([2, -2, -2, 2], np.int32))
    q, r = _kernel("int32 a, int32 b", "int32 q, int32 r", "q = a / b; r = a % b")(a, b)
    assert q.get().tolist() == [-3, -3, 3, 3] and r.get().tolist() == [-1, 1, -1, 1]
    x = _dev(np.array([0.1], np.float32))
    # 0.1f * 3.0 is a double product rounded once; 0.1f * 3.0f is a float product
    d = _kernel("float32 x", "float64 y", "y = x * 3.0")(x).get()[0]
    f = _kernel("float32 x", "float64 y", "y = x * 3.0f")(x).get()[0]
    assert d == np.float64(np.float32(0.1)) * 3.0 and f == np.float64(np.float32(0.1) * np.float32(3))
    assert _kernel("float32 x", "int32 k", "k = (int)(-2.7f * x / x)")(x).get()[0] == -2


def test_interpreter_runs_branches_loops_and_short_circuits_per_lane():
    w = _dev(np.arange(10.0))
    body = """T acc = 0;
              for (int j = 0; j <= k; j++) { if (j % 2 == 1) acc += w[j]; }
              y = w[k] > 3 ? acc : -acc"""
    y = _kernel("int32 k, raw T w", "T y", body)(_dev(np.array([0, 3, 9], np.int32)), w).get()
    assert y.tolist() == [0.0, -4.0, 25.0]
    # the loop of lane k = 12 reaches w[11]: a fault, not garbage
    with pytest.raises(cuda_c.KernelFault, match=r"lane 1 reads w\[11\]"):
        _kernel("int32 k, raw T w", "T y", body)(_dev(np.array([0, 12], np.int32)), w)
    # && and ?: evaluate their right side only where it is reached, as C does
    guarded = "y = (k < 10 && w[k] > 3) ? w[k] : (k >= 10 ? (T)-1 : w[k] * 2)"
    y = _kernel("int32 k, raw T w", "T y", guarded)(_dev(np.array([2, 12, 5], np.int32)), w)
    assert y.get().tolist() == [4.0, -1.0, 5.0]


def test_interpreter_reports_what_a_gpu_would_hide():
    w = _dev(np.arange(4.0))
    with pytest.raises(cuda_c.KernelFault, match=r"reads w\[4\] outside 0..3"):
        _kernel("raw T w", "T y", "y = w[i + 1]")(w, fakecupy.cupy.empty(4))
    with pytest.raises(cuda_c.KernelFault, match="same element"):
        _kernel("T x, raw T w", "T y", "w[0] = x; y = x")(fakecupy.cupy.ones(3), w)
    with pytest.raises(cuda_c.KernelFault, match="division by zero"):
        _kernel("int32 a", "int32 y", "y = 1 / a")(_dev(np.array([1, 0], np.int32)))
    with pytest.raises(CompileException, match="ambiguous"):
        _kernel("float32 x", "float32 y", "y = max(x, 0)")(_dev(np.ones(2, np.float32)))
    with pytest.raises(CompileException, match="not declared"):
        _kernel("T x", "T y", "y = z")(fakecupy.cupy.ones(2))
    with pytest.raises(TypeError, match="mismatched"):
        _kernel("T x, T z", "T y", "y = x + z")(fakecupy.cupy.ones(2),
                                                 fakecupy.cupy.ones(2, dtype=np.float32))
    with pytest.raises(TypeError, match="host"):
        _kernel("T x", "T y", "y = x")(np.ones(2))


def test_interpreter_writes_outputs_only_where_assigned():
    y = fakecupy.cupy.asarray(np.full(4, 5.0))
    _kernel("T x", "T y", "if (x > 1) y = x")(_dev(np.arange(4.0)), y)
    assert y.get().tolist() == [5.0, 5.0, 2.0, 3.0]


def test_the_fakes_reduction_kernel_maps_reduces_and_post_maps_as_cupy_documents():
    cp = fakecupy.cupy
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 3, 5, 2)).astype(np.float32)
    mu = x.mean(axis=(0, 2, 3), keepdims=True)
    mean_sq = cp.ReductionKernel("T x, T mu", "T v", "(x - mu) * (x - mu)", "a + b",
                                 "v = a / (_in_ind.size() / _out_ind.size())", "0", "msq")
    with fakecupy.counting() as c, fakecupy.no_sync("a reduction kernel"):
        v = mean_sq(_dev(x), _dev(mu), axis=(0, 2, 3))
    assert c.launches == 1 and c.by_op["kernel:msq"] == 1
    np.testing.assert_array_equal(v.get(), ((x - mu) * (x - mu)).sum(axis=(0, 2, 3)) / 40)
    # out= (and positionally), keepdims, a max from its identity, every axis by default
    out, after = cp.zeros(3, dtype=np.float32), cp.zeros(3, dtype=np.float32)
    assert mean_sq(_dev(x), _dev(mu), axis=(0, 2, 3), out=out) is out
    assert mean_sq(_dev(x), _dev(mu), after, axis=(0, 2, 3)) is after
    np.testing.assert_array_equal(out.get(), v.get())
    np.testing.assert_array_equal(after.get(), v.get())
    # reduce_type: a float64 sum of float32 values, named _type_reduce in the expressions
    wide = cp.ReductionKernel("float32 x", "float32 y", "(_type_reduce)x", "a + b",
                              "y = (float)(a / (_type_reduce)2)", "0", "wide", reduce_type="double")
    np.testing.assert_array_equal(wide(_dev(x), axis=0).get(),
                                  (x.astype(np.float64).sum(axis=0) / 2).astype(np.float32))
    top = cp.ReductionKernel("T x", "T y", "x", "max(a, b)", "y = a", "-1e30", "top")
    assert top(_dev(x), axis=1, keepdims=True).shape == (4, 1, 5, 2)
    np.testing.assert_array_equal(top(_dev(x), axis=1).get(), x.max(axis=1))
    assert top(_dev(x)).get() == x.max()
    x[0, 0, 0, 0] = np.nan                  # CUDA's max of floats (fmaxf) drops a NaN
    np.testing.assert_array_equal(top(_dev(x), axis=1).get(), np.fmax.reduce(x, axis=1))
    assert not np.isnan(top(_dev(x)).get())
    with pytest.raises(NotImplementedError, match="not simulated"):
        cp.ReductionKernel("T x", "T y", "x", "a * b", "y = a", "1", "prod")
    with pytest.raises(ValueError, match="must be 0"):
        cp.ReductionKernel("T x", "T y", "x", "a + b", "y = a", "1", "sum_from_one")
    with pytest.raises(TypeError, match="wrong number of arguments"):
        mean_sq(_dev(x))
    with pytest.raises(TypeError, match="host"):
        mean_sq(x, _dev(mu))
    with pytest.raises(ValueError, match="expected float32"):
        mean_sq(_dev(x), _dev(mu), axis=(0, 2, 3), out=cp.zeros(4, dtype=np.float32))


def test_a_reduction_runs_its_twin_on_numpy_and_one_kernel_on_the_device():
    rng = np.random.default_rng(4)
    dy, xhat = rng.standard_normal((2, 3, 4, 4)), rng.standard_normal((2, 3, 4, 4))
    k = fused.kernels()["batchnorm_sum_dy_xhat"]
    want = (dy * xhat).sum(axis=(0, 2, 3))
    np.testing.assert_array_equal(k(xhat, dy, axis=(0, 2, 3)), want)
    mg.backend.use(fakecupy.NAME)
    try:
        with fakecupy.counting() as c:
            got = k(mg.backend.to_device(xhat), mg.backend.to_device(dy), axis=(0, 2, 3))
        assert c.launches == 1 and c.by_op["kernel:minigan_batchnorm_sum_dy_xhat"] == 1
        np.testing.assert_array_equal(mg.backend.to_numpy(got), want)
        was = mg.backend.fusion(False)
        try:
            with fakecupy.counting() as c:
                k(mg.backend.to_device(xhat), mg.backend.to_device(dy), axis=(0, 2, 3))
            assert not any(op.startswith("kernel:") for op in c.by_op) and c.launches == 2
        finally:
            mg.backend.fusion(was)
    finally:
        mg.backend.use("numpy")


# ------------------------------------------------------------ the convolutions through the kernels

def _both(fn, *arrays, device=fakecupy.NAME):
    """fn(*arrays) on NumPy and on the device (the fused index kernels), as host arrays."""
    want = fn(*arrays)
    mg.backend.use(device)
    try:
        with fakecupy.no_sync("a convolution"):
            got = fn(*[mg.backend.to_device(a) for a in arrays])
        got = [mg.backend.to_numpy(g) for g in got]
    finally:
        mg.backend.use("numpy")
    return got, want


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), transposed=st.booleans())
def test_convolutions_through_the_index_kernels_equal_numpys_bit_for_bit(seed, transposed,
                                                                         device):
    from minigan.ops import conv, conv_transpose
    rng = np.random.default_rng(seed)
    k, s = int(rng.integers(1, 5)), int(rng.integers(1, 3))
    p, d = int(rng.integers(0, k)), int(rng.integers(1, 3))
    if transposed and rng.random() < 0.5:       # the sub-pixel form: k a multiple of s, d = 1
        k, d = 2 * s, 1
        p = int(rng.integers(0, k))
    N, Ci, Co, H = int(rng.integers(1, 3)), int(rng.integers(1, 4)), int(rng.integers(1, 4)), \
        int(rng.integers(d * (k - 1) + 1, 8))
    x = rng.standard_normal((N, Ci, H, H + 1)).astype(np.float32)
    b = rng.standard_normal(Co).astype(np.float32)

    def run(x, W, b):
        if transposed:
            y, cache = conv_transpose.conv_transpose2d_forward(x, W, b, (s, s), (p, p), (0, 0),
                                                               (d, d))
            back = conv_transpose.conv_transpose2d_backward(y * 1.5, cache)
        else:
            y, cache = conv.conv2d_forward(x, W, b, (s, s), (p, p), (d, d))
            back = conv.conv2d_backward(y * 1.5, cache)
        return [y, *back]
    W = rng.standard_normal((Ci, Co, k, k) if transposed else (Co, Ci, k, k)).astype(np.float32)
    # The index kernels are col2im's twins; NumPy's stride-1 correlation route for dx sums
    # in another order (tested against the loops and col2im in tests/test_conv.py).
    from unittest import mock
    with mock.patch.object(conv, "_correlation_applies", lambda *args: False):
        got, want = _both(run, x, W, b, device=device)
    for k, (g, w) in enumerate(zip(got, want)):
        # (on a GPU the GEMMs of cuBLAS sum in their own order: a looser check there)
        if device == fakecupy.NAME:
            np.testing.assert_array_equal(g, w)
        else:
            np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-4 * np.abs(w).max(),
                                       err_msg=f"result {k}")


def test_fused_kernels_cut_the_launches_of_a_dcgan_and_an_mlp_iteration():
    # the anchored iterations of benchmarks.launches, fused and unfused, on the fake
    from benchmarks import launches
    for name, (fused_at_most, fraction) in {"DCGAN-28 gan_step": (190, 0.4),
                                            "MLP-2D gan_step": (115, 0.6)}.items():
        make = launches.gan_step_trainer(*launches.ANCHORED[name])
        on, off = launches.count(make), launches.count(make, fused=False)
        n_on, n_off = on["iteration"]["launches"], off["iteration"]["launches"]
        assert on["iteration"]["syncs"] == 0 and on["iteration"]["transfers"] == 0
        assert n_on <= fused_at_most and n_on <= fraction * n_off, (name, n_on, n_off)
        assert on["iteration"]["by_op"]["kernel:minigan_adam_step"] == 2
        assert not any(k.startswith("kernel:") for k in off["iteration"]["by_op"])
