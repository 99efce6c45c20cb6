"""im2col / col2im: the worked example of docs/math/conv.md, the naive loops, the adjoint
identity, memory layouts and the per-backend stride tricks."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigan as mg
from minigan.ops.im2col import Geometry, Workspace, as_strided, col2im, im2col, padded_nhwc, pair
from tests.reference.conv_ref import col2im_ref, im2col_ref
from tests.test_conv import conv_cases


def test_worked_example_from_the_docs():
    x = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)        # [[1 2 3] [4 5 6] [7 8 9]]
    cols = im2col(x, Geometry((2, 2)))
    expected = np.array([[1, 2, 4, 5],
                         [2, 3, 5, 6],
                         [4, 5, 7, 8],
                         [5, 6, 8, 9]], dtype=float)
    np.testing.assert_array_equal(cols, expected)
    # col2im counts how many windows saw each pixel when fed ones.
    counts = col2im(np.ones((4, 4)), x.shape, Geometry((2, 2)))
    np.testing.assert_array_equal(counts[0, 0], [[1, 2, 1], [2, 4, 2], [1, 2, 1]])


def test_padded_stride_two_example():
    x = np.arange(1.0, 5.0).reshape(1, 1, 2, 2)
    cols = im2col(x, Geometry((2, 2), (2, 2), (1, 1)))  # padded to 4x4: four disjoint windows
    np.testing.assert_array_equal(cols, [[0, 0, 0, 1], [0, 0, 2, 0], [0, 3, 0, 0], [4, 0, 0, 0]])


def test_channels_are_the_innermost_columns():
    x = np.stack([np.arange(4.0).reshape(2, 2), 10 + np.arange(4.0).reshape(2, 2)])[None]
    cols = im2col(x, Geometry((1, 2)))                  # (N=1, C=2, 2, 2), kernel 1x2
    np.testing.assert_array_equal(cols, [[0, 10, 1, 11], [2, 12, 3, 13]])


@given(case=conv_cases(), seed=st.integers(0, 2**16))
def test_im2col_and_col2im_match_naive_loops(case, seed):
    shape, k, s, p, d = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    g = Geometry(k, s, p, d)
    cols = im2col(x, g)
    np.testing.assert_array_equal(cols, im2col_ref(x, k, s, p, d))   # a copy: exact
    c = rng.standard_normal(cols.shape)
    back = col2im(c, shape, g)
    assert back.shape == shape
    np.testing.assert_allclose(back, col2im_ref(c, shape, k, s, p, d), rtol=0, atol=1e-10)
    # The adjoint identity <im2col(x), c> = <x, col2im(c)>.
    lhs, rhs = (cols * c).sum(), (x * back).sum()
    assert abs(lhs - rhs) <= 1e-10 * max(1.0, abs(lhs))


def test_col2im_start_value_is_added_to_every_pixel(rng):
    g = Geometry((2, 3), (2, 1), (1, 0), (1, 2))
    c = rng.standard_normal((2 * 3 * 2, 2 * 3 * 4))    # x (2, 4, 5, 6) -> Ho, Wo = 3, 2
    start = rng.standard_normal(4)
    with_start = col2im(c, (2, 4, 5, 6), g, start=start)
    np.testing.assert_allclose(with_start, col2im(c, (2, 4, 5, 6), g) + start[None, :, None, None],
                               rtol=0, atol=1e-14)


def test_memory_layouts_and_no_writes(rng):
    x = rng.standard_normal((2, 3, 5, 4))
    g = Geometry((3, 2), (2, 1), (1, 1), (1, 2))
    expected = im2col_ref(x, (3, 2), (2, 1), (1, 1), (1, 2))
    channel_last = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    for variant in (x, channel_last, np.asfortranarray(x), x[:, :, ::-1, :][:, :, ::-1, :]):
        np.testing.assert_array_equal(im2col(variant, g), expected)
    cols = im2col(x, g)
    cols[...] = 7                                       # cols is a copy, never a view of x
    np.testing.assert_array_equal(channel_last, x)


def test_padded_nhwc_copies_only_when_needed(rng):
    x = rng.standard_normal((2, 3, 4, 5))
    channel_last = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    assert np.shares_memory(padded_nhwc(channel_last, (0, 0)), channel_last)
    padded = padded_nhwc(x, (1, 2))
    assert padded.shape == (2, 6, 9, 3) and padded.flags.c_contiguous
    np.testing.assert_array_equal(padded, np.pad(x, ((0, 0), (0, 0), (1, 1), (2, 2))).transpose(0, 2, 3, 1))


def test_workspace_buffers_are_reused_and_fully_rewritten(rng):
    x = rng.standard_normal((2, 3, 5, 4))
    g = Geometry((3, 2), (2, 1), (1, 2), (1, 1))
    ws = Workspace()
    first = im2col(x, g, ws=ws)
    for name in ("cols", "cols_pad"):                 # poison the buffers, borders included
        buf = ws.take(name, ws._buffers[name].shape, x.dtype, np)
        buf[...] = np.nan
    again = im2col(x, g, ws=ws)
    assert again is first                               # the same memory, rewritten
    np.testing.assert_array_equal(again, im2col_ref(x, (3, 2), (2, 1), (1, 2), (1, 1)))
    other = im2col(x[:1], g, ws=ws)                     # another shape: another buffer
    assert other.shape[0] == first.shape[0] // 2 and ws.nbytes() > 0


def test_pair():
    assert pair(3) == (3, 3) and pair((2, 5)) == (2, 5) and pair([1, 4]) == (1, 4)
    for bad in ((1, 2, 3), 2.0, True, (1, "2")):
        with pytest.raises(ValueError, match="Conv2d: stride must be an int or a pair"):
            pair(bad, "stride", "Conv2d")


def test_on_each_backend(backend_name, to_xp, rng):
    x = rng.standard_normal((2, 2, 5, 5))
    g = Geometry((3, 3), (2, 2), (1, 1), (1, 1))
    xd = to_xp(x)
    view = as_strided(xd, (4, 4), (8 * 5, 8))           # the backend's own stride tricks
    assert mg.backend.backend_of(view) == backend_name
    np.testing.assert_array_equal(mg.backend.to_numpy(view), x.reshape(-1)[:20].reshape(4, 5)[:, :4])
    cols = im2col(xd, g)
    assert mg.backend.backend_of(cols) == backend_name
    np.testing.assert_array_equal(mg.backend.to_numpy(cols), im2col_ref(x, 3, 2, 1, 1))
    back = col2im(cols, x.shape, g)
    np.testing.assert_allclose(mg.backend.to_numpy(back),
                               col2im_ref(mg.backend.to_numpy(cols), x.shape, 3, 2, 1, 1), atol=1e-12)
