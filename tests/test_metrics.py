"""Metrics: KS statistic, MMD^2, mode coverage, the Frechet distance and precision/recall,
on inputs with known answers."""
import math
from statistics import NormalDist

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigan as mg
from minigan.data import GaussianGrid, GaussianRing
from minigan.metrics import (ModeCoverage, PrecisionRecall, feature_statistics, frechet_distance,
                             ks_statistic, median_distance, mmd2, mode_coverage, precision_recall,
                             wasserstein_1d)
from tests.reference.metrics_ref import precision_recall_ref


# ---------------------------------------------------------------- KS

def test_ks_two_sample_known_values():
    assert ks_statistic([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]) == 0.0
    assert ks_statistic([0.0, 1.0], [2.0, 3.0]) == 1.0              # disjoint supports
    # F_a jumps to 1/2 at 1 while F_b is still 0 there; equal again from 3 on
    assert ks_statistic([1.0, 3.0], [2.0, 3.0]) == 0.5
    assert ks_statistic([0.0, 1.0, 2.0, 3.0], [1.5]) == 0.5


def test_ks_against_normal_by_hand():
    # one point at the mean: F_n jumps from 0 to 1 where G = 1/2
    assert ks_statistic([0.0], mean=0.0, std=1.0) == pytest.approx(0.5)
    x = np.array([-1.0, 0.5, 2.0])
    g = np.array([0.15865525393145707, 0.6914624612740131, 0.9772498680518208])
    expected = max((np.arange(1, 4) / 3 - g).max(), (g - np.arange(3) / 3).max())
    assert ks_statistic(x, mean=0.0, std=1.0) == pytest.approx(expected, abs=1e-12)


def test_ks_sizes_and_shift():
    rng = np.random.default_rng(0)
    same = ks_statistic(rng.normal(size=4000), mean=0.0, std=1.0)
    assert same < 1.63 / math.sqrt(4000)          # Kolmogorov 1% critical value
    shifted = ks_statistic(rng.normal(0.5, 1.0, 4000), mean=0.0, std=1.0)
    # the CDFs of N(0, 1) and N(0.5, 1) are furthest apart at 0.25: Phi(0.25) - Phi(-0.25)
    gap = NormalDist().cdf(0.25) - NormalDist().cdf(-0.25)
    assert shifted == pytest.approx(gap, abs=3 / math.sqrt(4000))


def test_ks_matches_scipy():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=300), rng.normal(0.2, 1.3, size=170)
    assert ks_statistic(a, b) == pytest.approx(stats.ks_2samp(a, b).statistic, abs=1e-12)
    assert ks_statistic(a, mean=0.1, std=2.0) == pytest.approx(
        stats.kstest(a, "norm", args=(0.1, 2.0)).statistic, abs=1e-12)


def test_ks_and_wasserstein_accept_backend_arrays(backend_name, to_xp):
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=500).astype(np.float32), rng.normal(size=400).astype(np.float32)
    assert ks_statistic(to_xp(a), to_xp(b)) == ks_statistic(a, b)
    assert wasserstein_1d(to_xp(a), mean=0, std=1) == wasserstein_1d(a, mean=0, std=1)


def test_ks_errors():
    with pytest.raises(ValueError, match="ks_statistic: empty sample"):
        ks_statistic([])
    with pytest.raises(ValueError, match="give a target sample or both mean= and std="):
        ks_statistic([1.0], mean=0.0)


# ---------------------------------------------------------------- MMD

def test_mmd_by_hand_on_tiny_samples():
    x, y = np.array([[0.0], [1.0]]), np.array([[0.0], [2.0]])
    def k(d):                                               # one bandwidth, s = 1
        return math.exp(-d * d / 2)
    kxx, kyy = k(1.0), k(2.0)                               # the one off-diagonal pair of each
    kxy = (k(0.0) + k(2.0) + k(1.0) + k(1.0)) / 4
    assert mmd2(x, y, bandwidths=[1.0]) == pytest.approx(kxx + kyy - 2 * kxy, abs=1e-12)
    def k2(d):                                              # bandwidths 1 and 2 add up
        return math.exp(-d * d / 2) + math.exp(-d * d / 8)
    expected = k2(1) + k2(2) - 2 * (k2(0) + k2(2) + 2 * k2(1)) / 4
    assert mmd2(x, y, bandwidths=[1.0, 2.0]) == pytest.approx(expected, abs=1e-12)


def test_mmd_same_distribution_near_zero_and_grows_with_shift():
    rng = np.random.default_rng(3)
    y = rng.normal(size=(600, 2))
    same = [mmd2(rng.normal(size=(600, 2)), y) for _ in range(3)]
    shifts = [mmd2(rng.normal(size=(600, 2)) + [d, 0.0], y) for d in (0.5, 1.0, 2.0, 3.0)]
    assert max(abs(v) for v in same) < 0.01
    assert all(b > a for a, b in zip(shifts, shifts[1:]))
    assert shifts[0] > 5 * max(abs(v) for v in same)


def test_mmd_is_unbiased():
    # averaged over many draws the estimate of a zero MMD is zero (a biased V-statistic is not)
    rng = np.random.default_rng(4)
    vals = [mmd2(rng.normal(size=(20, 1)), rng.normal(size=(20, 1)), bandwidths=[1.0]) for _ in range(400)]
    assert abs(np.mean(vals)) < 3 * np.std(vals) / math.sqrt(len(vals))


def test_mmd_backend_images_and_errors(backend_name, to_xp):
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=(50, 1, 3, 3)), rng.normal(size=(40, 9))
    assert mmd2(to_xp(a), to_xp(b)) == pytest.approx(mmd2(a.reshape(50, 9), b), abs=1e-12)
    with pytest.raises(ValueError, match="mmd2: samples have 9 and 2 features"):
        mmd2(b, b[:, :2])
    with pytest.raises(ValueError, match="mmd2: need at least 2 samples"):
        mmd2(b[:1], b)
    with pytest.raises(ValueError, match="bandwidths must be positive"):
        mmd2(b, b, bandwidths=[1.0, 0.0])


def test_median_distance():
    assert median_distance(np.array([[0.0], [1.0], [3.0]])) == 2.0   # distances 1, 2, 3


# ---------------------------------------------------------------- mode coverage

def test_mode_coverage_hand_made():
    centers = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    samples = np.array([
        [0.1, 0.0], [0.0, -0.29],     # mode 0, within 3 * 0.1
        [10.0, 0.2],                  # mode 1, within
        [10.0, 0.31],                 # mode 1, outside 0.3: low quality
        [0.0, 9.0],                   # nearest mode 2 but 1.0 away: low quality
    ])
    r = mode_coverage(samples, centers, std=0.1)
    assert isinstance(r, ModeCoverage)
    assert r.modes_covered == 2 and r.n_modes == 3
    assert r.high_quality_percent == pytest.approx(60.0)
    assert r.counts.tolist() == [2, 1, 0]
    q = np.array([2, 2, 1]) / 5     # nearest modes of all samples
    assert r.reverse_kl == pytest.approx(float((q * np.log(3 * q)).sum()))


def test_mode_coverage_on_true_and_collapsed_samples(backend_name):
    ring = GaussianRing()
    r = mode_coverage(ring.sample(2500, mg.backend.RNG(0)), ring)
    assert r.modes_covered == 8
    # P(radius > 3 std) for a 2-D isotropic Gaussian is exp(-4.5) = 1.1%
    assert r.high_quality_percent == pytest.approx(100 * (1 - math.exp(-4.5)), abs=0.8)
    assert r.reverse_kl < 0.01
    grid = GaussianGrid()
    x, modes = grid.sample(2500, 1, return_modes=True)
    keep = mg.backend.to_numpy(modes) < 5                       # a generator that found 5 of 25 modes
    collapsed = mg.backend.to_numpy(x)[keep]
    r = mode_coverage(collapsed, grid.centers, grid.std)
    assert r.modes_covered == 5 and r.reverse_kl == pytest.approx(math.log(5), abs=0.02)
    far = mode_coverage(np.zeros((10, 2)) + 1.0, grid)          # between modes: no quality
    assert far.modes_covered == 0 and far.high_quality_percent == 0.0


def test_mode_coverage_errors():
    with pytest.raises(ValueError, match="must agree in dim"):
        mode_coverage(np.zeros((4, 3)), np.zeros((2, 2)), std=1.0)
    with pytest.raises(ValueError, match="give std="):
        mode_coverage(np.zeros((4, 2)), np.zeros((2, 2)))


# ---------------------------------------------------------------- Frechet distance

def test_frechet_closed_forms():
    rng = np.random.default_rng(6)
    a = rng.normal(size=(5, 5))
    s = a @ a.T
    assert frechet_distance(np.zeros(5), s, np.zeros(5), s) == pytest.approx(0.0, abs=1e-9)
    mu = rng.normal(size=5)
    assert frechet_distance(mu, s, np.zeros(5), s) == pytest.approx(float(mu @ mu), rel=1e-9)
    # 1-D: (m1 - m2)^2 + (s1 - s2)^2
    assert frechet_distance([1.0], [[4.0]], [3.0], [[9.0]]) == pytest.approx(4.0 + 1.0)
    # commuting (diagonal) covariances: sum of (sqrt(a_i) - sqrt(b_i))^2
    d1, d2 = np.array([1.0, 4.0, 9.0]), np.array([4.0, 4.0, 1.0])
    assert frechet_distance(np.zeros(3), np.diag(d1), np.zeros(3), np.diag(d2)) == pytest.approx(
        float(((np.sqrt(d1) - np.sqrt(d2)) ** 2).sum()))


def test_frechet_matches_scipy_sqrtm_on_non_commuting():
    linalg = pytest.importorskip("scipy.linalg")
    rng = np.random.default_rng(7)
    a, b = rng.normal(size=(6, 6)), rng.normal(size=(6, 6))
    s1, s2 = a @ a.T, b @ b.T + 0.1 * np.eye(6)
    mu1, mu2 = rng.normal(size=6), rng.normal(size=6)
    covmean = linalg.sqrtm(s1 @ s2).real
    expected = ((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * covmean)
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-8)


def test_frechet_rank_deficient_and_shape_errors():
    s = np.diag([1.0, 0.0, 0.0])      # singular: eigenvalues clipped, not NaN
    assert frechet_distance(np.zeros(3), s, np.zeros(3), s) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="frechet_distance: shapes do not match"):
        frechet_distance(np.zeros(3), s, np.zeros(2), s)


def test_feature_statistics():
    f = np.array([[1.0, 2.0], [3.0, 6.0], [5.0, 1.0]])
    mu, sigma = feature_statistics(f)
    np.testing.assert_allclose(mu, f.mean(0))
    np.testing.assert_allclose(sigma, np.cov(f.T))


# ---------------------------------------------------------------- precision and recall


def test_precision_recall_by_hand():
    # real: 0, 1, 2, 10 on a line; k=1 radii 1, 1, 1, 8. fake: 0.5 (inside), 20 (outside),
    # 1.5 (inside); fake radii (k=1): 1, 18.5, 1 -> real 0, 1, 2 inside (10 too: 20-18.5).
    real = np.array([[0.0], [1.0], [2.0], [10.0]])
    fake = np.array([[0.5], [20.0], [1.5]])
    pr = precision_recall(real, fake, k=1)
    assert isinstance(pr, PrecisionRecall) and pr.k == 1
    assert pr.precision == pytest.approx(2 / 3) and pr.recall == pytest.approx(1.0)
    assert precision_recall(fake, real, k=1) == (pr.recall, pr.precision, 1)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(4, 30), m=st.integers(4, 30), d=st.integers(1, 4), k=st.integers(1, 3),
       shift=st.floats(0.0, 3.0), seed=st.integers(0, 2**16), chunk=st.integers(1, 40))
def test_precision_recall_matches_the_loop_definition(n, m, d, k, shift, seed, chunk):
    rng = np.random.default_rng(seed)
    real, fake = rng.normal(size=(n, d)), rng.normal(shift, 0.5, size=(m, d))
    pr = precision_recall(real, fake, k=k, chunk=chunk)
    assert (pr.precision, pr.recall) == pytest.approx(precision_recall_ref(real, fake, k))


def test_precision_recall_separates_quality_from_variety(backend_name, to_xp):
    rng = np.random.default_rng(0)
    real = rng.normal(size=(600, 2))
    same = precision_recall(real, to_xp(rng.normal(size=(600, 2))))
    narrow = precision_recall(real, to_xp(rng.normal(scale=0.3, size=(600, 2))))   # typical only
    off = precision_recall(real, to_xp(rng.normal(6.0, 1.0, size=(600, 2))))      # unrealistic
    assert same.precision > 0.8 and same.recall > 0.8
    assert narrow.precision > 0.95 and narrow.recall < 0.5
    assert off.precision < 0.1 and off.recall < 0.1


def test_precision_recall_errors():
    a = np.zeros((10, 3))
    with pytest.raises(ValueError, match="precision_recall: real and fake samples differ in size"):
        precision_recall(a, np.zeros((10, 2)))
    with pytest.raises(ValueError, match="need more than k=3 samples on each side, got 10 real and 3"):
        precision_recall(a, np.zeros((3, 3)))
    with pytest.raises(ValueError, match="precision_recall: k must be a positive int"):
        precision_recall(a, a, k=0)
    with pytest.raises(ValueError, match="NaN"):
        precision_recall(a, np.full((10, 3), np.nan))
