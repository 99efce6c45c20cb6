"""Scratch arrays kept between steps (minigan/ops/workspace.py), the ops that use them
(batch norm, Adam's step) against their fresh-array forms, and the host
allocator setting that keeps freed activations mapped."""
import resource
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigan as mg
from minigan import nn, optim
from minigan.ops.batchnorm import batchnorm_backward, batchnorm_forward
from minigan.ops.workspace import Workspace, memory_order, scratch_like


def _views(x):
    """x (N, C, H, W) as NCHW memory, as an NCHW view of channel-last memory, and as a
    cropped view of a larger channel-last buffer (what the sub-pixel transposed conv
    returns)."""
    N, C, H, W = x.shape
    cl = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    big = np.zeros((N, H + 2, W + 2, C), x.dtype)
    big[:, 1:H + 1, 1:W + 1] = x.transpose(0, 2, 3, 1)
    cropped = big[:, 1:H + 1, 1:W + 1].transpose(0, 3, 1, 2)
    return {"nchw": x, "channel_last": cl, "cropped": cropped}


def test_scratch_like_follows_the_memory_order(rng):
    x = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    views = _views(x)
    assert memory_order(views["nchw"]) == (0, 1, 2, 3)
    assert memory_order(views["channel_last"]) == (0, 2, 3, 1)
    assert memory_order(views["cropped"]) == (0, 2, 3, 1)
    ws = Workspace()
    for name, v in views.items():
        s = scratch_like(ws, name, v)
        assert s.shape == v.shape and s.dtype == v.dtype
        assert memory_order(s) == memory_order(v)
        # compact: the buffer behind it is exactly as large as the array
        assert s.base is not None and s.base.size == v.size or s.flags.c_contiguous
    again = scratch_like(ws, "cropped", views["cropped"])
    assert np.shares_memory(again, scratch_like(ws, "cropped", views["cropped"]))
    assert scratch_like(None, "x", views["nchw"]).flags.c_contiguous
    assert scratch_like(ws, "d", x, dtype=np.float64).dtype == np.float64


@settings(max_examples=40, deadline=None)
@given(shape=st.tuples(st.integers(2, 4), st.integers(1, 4), st.integers(1, 5), st.integers(1, 5)),
       layout=st.sampled_from(["nchw", "channel_last", "cropped"]), training=st.booleans(),
       dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2**16))
def test_batchnorm_with_a_workspace_equals_fresh_arrays(shape, layout, training, dtype, seed):
    """Bit for bit: the workspace changes where the temporaries live, not the arithmetic;
    and a second step through the same workspace gives the same results again."""
    rng = np.random.default_rng(seed)
    x = _views((rng.standard_normal(shape) * 2 + 0.5).astype(dtype))[layout]
    dy = rng.standard_normal(shape).astype(dtype)
    C = shape[1]
    gamma, beta = rng.standard_normal(C).astype(dtype), rng.standard_normal(C).astype(dtype)
    stats = rng.standard_normal(C).astype(dtype), (rng.random(C) + 0.5).astype(dtype)

    def run(ws):
        rm, rv = stats[0].copy(), stats[1].copy()
        y, cache = batchnorm_forward(x, gamma, beta, rm, rv, training, ws=ws)
        y = y.copy()
        return (y,) + tuple(a.copy() for a in batchnorm_backward(dy, cache, ws=ws)) + (rm, rv)

    fresh = run(None)
    ws = Workspace()
    for _ in range(2):
        for a, b in zip(run(ws), fresh):
            np.testing.assert_array_equal(a, b)
    assert ws.nbytes() > 0


def test_batchnorm_layer_outputs_survive_the_next_step(backend_name, to_xp, rng):
    """What the layer returns is never a workspace buffer: y and dx of one step are
    intact after the next step's forward and backward."""
    bn = nn.BatchNorm2d(3, dtype=np.float64)
    x1, x2 = (to_xp(rng.standard_normal((4, 3, 5, 5))) for _ in range(2))
    dy1, dy2 = (to_xp(rng.standard_normal((4, 3, 5, 5))) for _ in range(2))
    y1 = bn.forward(x1)
    dx1 = bn.backward(dy1)
    keep = mg.backend.to_numpy(y1).copy(), mg.backend.to_numpy(dx1).copy()
    bn.forward(x2)
    bn.backward(dy2)
    np.testing.assert_array_equal(mg.backend.to_numpy(y1), keep[0])
    np.testing.assert_array_equal(mg.backend.to_numpy(dx1), keep[1])


def test_adam_flat_step_keeps_one_scratch_and_matches_per_parameter(backend_name, to_xp, rng):
    """The flat path reuses one work array from step to step and stays bit for bit equal to
    the per-parameter path (which makes fresh ones). On the fake CuPy the update is one
    fused kernel, which needs no work array at all."""
    def make():
        r = np.random.default_rng(7)
        ps = [nn.Parameter(to_xp(r.standard_normal(s).astype(np.float32))) for s in ((3, 4), (4,), ())]
        return ps, optim.Adam(ps, lr=1e-2, betas=(0.5, 0.9))
    flat_ps, flat = make()
    loop_ps, loop = make()
    assert flat._flat is not None
    loop._flat = None                                   # force the per-parameter path
    scratch = None
    for _ in range(3):
        grads = [rng.standard_normal(p.data.shape).astype(np.float32) for p in flat_ps]
        for ps in (flat_ps, loop_ps):
            for p, g in zip(ps, grads):
                p.grad[...] = to_xp(g)
        flat.step()
        loop.step()
        if backend_name != "numpy":
            assert "update" not in flat._ws._buffers     # the fused kernel: no scratch
        else:
            if scratch is None:
                scratch = flat._ws._buffers["update"]
            assert flat._ws._buffers["update"] is scratch
        for a, b in zip(flat_ps, loop_ps):
            np.testing.assert_array_equal(mg.backend.to_numpy(a.data), mg.backend.to_numpy(b.data))
    assert "scratch" not in str(flat.state_dict().keys())


def test_keep_freed_host_memory_is_once_per_process():
    mg.backend.keep_freed_host_memory()
    assert mg.backend.keep_freed_host_memory() is False


def test_the_heap_setting_is_made_by_the_entry_points_not_by_the_trainer(tmp_path):
    """A constructor does not change process-wide allocator thresholds: building a
    GANTrainer leaves them; ``presets.run`` (what ``minigan train`` and the demos call)
    sets them. In a fresh process, so that nothing before has set them."""
    code = """if True:
        import minigan as mg
        from minigan.backend import host_memory
        from minigan import optim, presets
        from minigan.gan import GANTrainer, get_objective, mlp
        G, D = mlp([2, 4, 1]), mlp([1, 4, 1])
        GANTrainer(G, D, get_objective("nonsaturating"), optim.Adam(G.parameters()),
                   optim.Adam(D.parameters()), lambda n: None, lambda n: None)
        after_trainer = host_memory._HOST_HEAP_RAISED
        presets.run("gaussian1d", out=%r, steps=2, progress=False, pictures=False)
        print(after_trainer, host_memory._HOST_HEAP_RAISED)
    """ % str(tmp_path)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert out.stdout.split() == ["False", "True"], out.stdout + out.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_freed_activations_are_not_faulted_back_in():
    """After keep_freed_host_memory, freeing and re-making the same arrays (what a training
    step does every pass) maps no new pages; the arrays here total 20 MiB a pass, which
    without it glibc would trim and fault back in (about 5,000 faults a pass)."""
    mg.backend.keep_freed_host_memory()

    def one_pass():
        arrays = [np.ones(n, np.float32) for n in (1 << 20, 3 << 19, 1 << 19, 1 << 20, 1 << 20)]
        return sum(float(a[-1]) for a in arrays)

    one_pass()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(5):
        one_pass()
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    assert faults < 500, f"{faults} page faults over 5 passes of 20 MiB"
