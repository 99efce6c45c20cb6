"""Losses: values against closed forms, gradients numerically and in closed form,
exact answers at extreme logits, no broadcasting, and the GAN objectives."""
import math
import warnings
from decimal import Decimal, getcontext

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import minigan as mg
from minigan import losses
from minigan.gan.objectives import OBJECTIVES, Minimax, NonSaturating, get_objective
from minigan.gradcheck import check_loss

shapes = st.lists(st.integers(1, 5), min_size=1, max_size=3).map(tuple)


def _sig(z):
    return 1.0 / (1.0 + math.exp(-z))


def _mean(f, *arrays):
    """mean over elements of the scalar function f, with plain Python floats."""
    vals = [f(*(float(a[idx]) for a in arrays)) for idx in np.ndindex(*arrays[0].shape)]
    return sum(vals) / len(vals)


def _each(f, *arrays):
    out = np.empty(arrays[0].shape)
    for idx in np.ndindex(*out.shape):
        out[idx] = f(*(float(a[idx]) for a in arrays))
    return out


def _bce(z, y):
    s = _sig(z)
    return -(y * math.log(s) + (1 - y) * math.log(1 - s))


# ------------------------------------------------------------------ binary cross-entropy

@given(shape=shapes, seed=st.integers(0, 2**16))
def test_bce_value_and_gradient_closed_form(backend_name, to_xp, shape, seed):
    rng = np.random.default_rng(seed)
    z = rng.uniform(-8, 8, shape)
    y = rng.random(shape)
    loss, grad = losses.bce_with_logits(to_xp(z), to_xp(y))
    assert loss.shape == () and grad.shape == shape
    assert mg.backend.backend_of(grad) == backend_name
    n = z.size
    assert float(loss) == pytest.approx(_mean(_bce, z, y), rel=1e-10, abs=1e-12)
    np.testing.assert_allclose(mg.backend.to_numpy(grad), _each(lambda a, b: (_sig(a) - b) / n, z, y),
                               rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("target", [0.0, 1.0, 0.3])
def test_bce_scalar_target(target, rng):
    z = rng.uniform(-6, 6, (3, 4))
    loss, grad = losses.bce_with_logits(z, target)
    assert float(loss) == pytest.approx(_mean(lambda a: _bce(a, target), z), rel=1e-10)
    np.testing.assert_allclose(grad, _each(lambda a: (_sig(a) - target) / 12, z), rtol=1e-10)


@given(shape=shapes, seed=st.integers(0, 2**16))
def test_bce_gradient_numerically(shape, seed):
    rng = np.random.default_rng(seed)
    z, y = rng.standard_normal(shape) * 3, rng.random(shape)
    report = check_loss(losses.bce_with_logits, z, y, seed=seed)
    assert report.ok, report.table()
    assert report.worst < 1e-6, report.table()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_bce_extreme_logits_exact(dtype):
    z = np.array([-1e4, 1e4, -1e4, 1e4], dtype)
    y = np.array([1.0, 1.0, 0.0, 0.0], dtype)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        loss, grad = losses.bce_with_logits(z, y)
    # -log s(-1e4) = 1e4 (target 1, confidently wrong), -log s(1e4) = 0, and mirrored for target 0.
    assert np.isfinite(loss) and np.isfinite(grad).all()
    assert float(loss) == (1e4 + 0 + 0 + 1e4) / 4
    np.testing.assert_array_equal(grad, np.array([-0.25, 0.0, 0.0, 0.25], dtype))


@pytest.mark.parametrize("z, y, value, g", [
    (-1e4, 1.0, 1e4, -1.0), (1e4, 1.0, 0.0, 0.0), (1e4, 0.0, 1e4, 1.0), (-1e4, 0.0, 0.0, 0.0),
])
def test_bce_extreme_logit_single_values(z, y, value, g):
    n = 6
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        loss, grad = losses.bce_with_logits(np.full((2, 3), z), np.full((2, 3), y))
    assert float(loss) == value
    np.testing.assert_array_equal(grad, np.full((2, 3), g / n))


# ------------------------------------------------------------------ mean squared error

@given(shape=shapes, seed=st.integers(0, 2**16))
def test_mse_value_and_gradient(backend_name, to_xp, shape, seed):
    rng = np.random.default_rng(seed)
    p, t = rng.standard_normal(shape), rng.standard_normal(shape)
    loss, grad = losses.mse(to_xp(p), to_xp(t))
    n = p.size
    assert float(loss) == pytest.approx(_mean(lambda a, b: (a - b) ** 2, p, t), rel=1e-12)
    np.testing.assert_allclose(mg.backend.to_numpy(grad), _each(lambda a, b: 2 * (a - b) / n, p, t),
                               rtol=1e-12)
    report = check_loss(losses.mse, to_xp(p), to_xp(t), seed=seed)
    assert report.ok and report.worst < 1e-6, report.table()


def test_mse_known_value():
    loss, grad = losses.mse(np.array([1.0, 2.0, 4.0]), np.array([1.0, 0.0, 1.0]))
    assert float(loss) == pytest.approx((0 + 4 + 9) / 3)
    np.testing.assert_allclose(grad, [0.0, 4 / 3, 2.0])
    loss, grad = losses.mse(np.array([1.0, 3.0]), 2.0)
    assert float(loss) == 1.0
    np.testing.assert_allclose(grad, [-1.0, 1.0])


# ------------------------------------------------------------------ no broadcasting

@pytest.mark.parametrize("fn", [losses.bce_with_logits, losses.mse])
@pytest.mark.parametrize("tshape", [(4, 1), (1, 3), (3,), (3, 4), (4, 3, 1), ()])
def test_target_shape_mismatch_is_an_error(fn, tshape):
    with pytest.raises(ValueError, match=r"target shape.*\(4, 3\).*no broadcasting"):
        fn(np.zeros((4, 3)), np.zeros(tshape))


def test_target_without_a_shape_is_an_error():
    with pytest.raises(TypeError, match="bce_with_logits: target must be a number or an array"):
        losses.bce_with_logits(np.zeros(2), [1.0, 0.0])


# ------------------------------------------------------------------ exact in both tails

getcontext().prec = 120


def _log1p(u: Decimal) -> Decimal:
    # Decimal has no log1p: 1 + u rounds u away when u < 1e-80; its series is exact there
    return u - u * u / 2 + u * u * u / 3 if u < Decimal("1e-25") else (1 + u).ln()


def _softplus(t: Decimal) -> Decimal:
    return t + _log1p((-t).exp()) if t > 0 else _log1p(t.exp())


def _sigmoid(t: Decimal) -> Decimal:
    return 1 / (1 + (-t).exp())


def exact_bce(z: float, y: float):
    """-y log s(z) - (1-y) log s(-z) and its derivative s(z) - y = (1-y) s(z) - y s(-z),
    to 120 digits (the second form keeps them all when y is 0 or 1)."""
    Z, Y = Decimal(float(z)), Decimal(float(y))
    return Y * _softplus(-Z) + (1 - Y) * _softplus(Z), (1 - Y) * _sigmoid(Z) - Y * _sigmoid(-Z)


def _close(got, exact: Decimal, dtype) -> bool:
    """Within a few units in the last place of the correctly rounded value."""
    ref = float(exact)
    if dtype == np.float32:
        ref32 = float(np.float32(ref))
        return abs(float(got) - ref32) <= 4 * float(np.spacing(np.float32(abs(ref32))))
    return abs(float(got) - ref) <= 4 * float(np.spacing(abs(ref)))


tail_logits = st.one_of(st.floats(15, 1e4), st.floats(-1e4, -15), st.floats(-15, 15))
targets = st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0, 1))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@given(z=tail_logits, y=targets, as_array=st.booleans())
@example(z=40.0, y=1.0, as_array=False)
@example(z=-37.5, y=0.0, as_array=True)
@example(z=9000.0, y=0.25, as_array=True)
def test_bce_is_exact_in_both_tails(dtype, z, y, as_array):
    zz = np.array([z], dtype=dtype)
    z = float(zz[0])                         # the value the loss actually sees
    target = np.array([y], dtype=dtype) if as_array else y
    y = float(target[0]) if as_array else y
    value, grad = losses.bce_with_logits(zz, target)
    v_exact, g_exact = exact_bce(z, y)
    assert value.dtype == dtype and grad.dtype == dtype
    assert _close(value, v_exact, dtype), (z, y, float(value), float(v_exact))
    if y in (0.0, 1.0) or abs(z) >= 15:
        # away from the root z = logit(y) the gradient keeps its relative accuracy too
        assert _close(grad[0], g_exact, dtype), (z, y, float(grad[0]), float(g_exact))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("z,y", [(40.0, 1.0), (-40.0, 0.0), (20.0, 1.0), (700.0, 1.0), (-90.0, 0.0)])
def test_bce_saturated_on_the_right_side_is_not_zero(z, y, dtype):
    # The example: at z = 40, target 1, the loss is e^-40 (about 4.25e-18), not 0.
    loss, grad = losses.bce_with_logits(np.array([z], dtype), y)
    value, g = exact_bce(z, y)
    if dtype(float(value)) > 0:       # e^-700 underflows in float32: there 0 is exact
        assert float(loss) > 0 and abs(float(grad[0])) > 0
    assert _close(loss, value, dtype) and _close(grad[0], g, dtype)
    if y == 1.0:       # the non-saturating generator loss lives in the same tail
        ns, dns = losses.nonsaturating_generator_loss(np.array([z], dtype))
        assert _close(ns, value, dtype) and _close(dns[0], g, dtype)


# ------------------------------------------------------------------ GAN losses on logits

@given(nr=shapes, nf=shapes, seed=st.integers(0, 2**16))
def test_discriminator_loss_is_bce_real_1_plus_bce_fake_0(nr, nf, seed):
    rng = np.random.default_rng(seed)
    real, fake = rng.uniform(-8, 8, nr), rng.uniform(-8, 8, nf)
    loss, dr, df = losses.discriminator_loss(real, fake)
    expected = _mean(lambda a: -math.log(_sig(a)), real) + _mean(lambda a: -math.log(1 - _sig(a)), fake)
    assert float(loss) == pytest.approx(expected, rel=1e-10)
    np.testing.assert_allclose(dr, _each(lambda a: (_sig(a) - 1) / real.size, real), rtol=1e-10)
    np.testing.assert_allclose(df, _each(lambda a: _sig(a) / fake.size, fake), rtol=1e-10)
    lr, gr = losses.bce_with_logits(real, 1.0)
    lf, gf = losses.bce_with_logits(fake, 0.0)
    assert float(loss) == pytest.approx(float(lr) + float(lf), rel=1e-14)
    np.testing.assert_array_equal(dr, gr)
    np.testing.assert_array_equal(df, gf)


@given(shape=shapes, seed=st.integers(0, 2**16))
def test_minimax_generator_loss(shape, seed):
    rng = np.random.default_rng(seed)
    z = rng.uniform(-8, 8, shape)
    loss, grad = losses.minimax_generator_loss(z)
    n = z.size
    assert float(loss) == pytest.approx(_mean(lambda a: math.log(1 - _sig(a)), z), rel=1e-10)
    np.testing.assert_allclose(grad, _each(lambda a: -_sig(a) / n, z), rtol=1e-10)
    report = check_loss(losses.minimax_generator_loss, z, seed=seed)
    assert report.ok and report.worst < 1e-6, report.table()


@given(shape=shapes, seed=st.integers(0, 2**16))
def test_nonsaturating_generator_loss(shape, seed):
    rng = np.random.default_rng(seed)
    z = rng.uniform(-8, 8, shape)
    loss, grad = losses.nonsaturating_generator_loss(z)
    n = z.size
    assert float(loss) == pytest.approx(_mean(lambda a: -math.log(_sig(a)), z), rel=1e-10)
    np.testing.assert_allclose(grad, _each(lambda a: (_sig(a) - 1) / n, z), rtol=1e-10)
    report = check_loss(losses.nonsaturating_generator_loss, z, seed=seed)
    assert report.ok and report.worst < 1e-6, report.table()


def test_generator_losses_at_extreme_logits():
    z = np.array([-1e4, 1e4])
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        mm, gmm = losses.minimax_generator_loss(z)
        ns, gns = losses.nonsaturating_generator_loss(z)
    # log(1 - s(-1e4)) = 0, log(1 - s(1e4)) = -1e4;  -log s(-1e4) = 1e4, -log s(1e4) = 0
    assert float(mm) == -1e4 / 2
    np.testing.assert_array_equal(gmm, [0.0, -0.5])
    assert float(ns) == 1e4 / 2
    np.testing.assert_array_equal(gns, [-0.5, 0.0])


def test_minimax_gradient_vanishes_where_nonsaturating_does_not():
    """When D confidently rejects a fake (logit -10), the saturating loss gives G almost
    no gradient while the non-saturating one gives nearly the largest possible."""
    z = np.full(8, -10.0)
    _, gmm = losses.minimax_generator_loss(z)
    _, gns = losses.nonsaturating_generator_loss(z)
    n = z.size
    assert np.all(np.abs(gmm) * n < 1e-4)
    assert np.all(np.abs(gns) * n > 0.99)
    assert np.all(gmm < 0) and np.all(gns < 0)          # both push the logit up


# ------------------------------------------------------------------ objectives

def test_get_objective():
    assert isinstance(get_objective("minimax"), Minimax)
    assert isinstance(get_objective("nonsaturating"), NonSaturating)
    assert set(OBJECTIVES) == {"minimax", "nonsaturating", "lsgan", "hinge", "ragan", "wgan", "wgan-gp",
                               "mmd"}
    with pytest.raises(ValueError, match="unknown GAN objective 'wasserstein-x'.*minimax"):
        get_objective("wasserstein-x")


@pytest.mark.parametrize("name, g_fn", [
    ("minimax", losses.minimax_generator_loss),
    ("nonsaturating", losses.nonsaturating_generator_loss),
])
def test_objectives_agree_with_the_loss_functions(name, g_fn, rng):
    obj = get_objective(name)
    real, fake = rng.standard_normal((6, 1)) * 3, rng.standard_normal((4, 1)) * 3
    for got, want in [(obj.d_real(real), losses.bce_with_logits(real, 1.0)),
                      (obj.d_fake(fake), losses.bce_with_logits(fake, 0.0)),
                      (obj.g_loss(fake), g_fn(fake))]:
        assert float(got[0]) == float(want[0])
        np.testing.assert_array_equal(got[1], want[1])
    loss, dr, df = obj.d_loss(real, fake)
    (lr, gr), (lf, gf) = obj.d_real(real), obj.d_fake(fake)
    assert float(loss) == pytest.approx(float(lr) + float(lf), rel=1e-14)
    np.testing.assert_array_equal(dr, gr)
    np.testing.assert_array_equal(df, gf)
    ref, ref_dr, ref_df = losses.discriminator_loss(real, fake)
    assert float(loss) == pytest.approx(float(ref), rel=1e-14)
    np.testing.assert_array_equal(dr, ref_dr)
    np.testing.assert_array_equal(df, ref_df)
