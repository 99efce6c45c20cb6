"""Before GANs: three classical ways to turn simple random numbers into a complex one.

A GAN's generator turns easy noise into samples of a hard distribution with a learned
function. Classical Monte Carlo does the same with functions derived from the density
itself (NumPy only, no network):

  inverse transform   x = F^-1(u) for u ~ Uniform(0, 1) has the CDF F. Exact in closed
                      form for the exponential (x = -log(1 - u) / rate); for a mixture
                      of Gaussians F is inverted numerically (interpolation on a grid)
  rejection           draw x from an envelope density q with p <= M q, keep it with
                      probability p(x) / (M q(x)); a share 1/M of the draws is kept
  Metropolis-Hastings a random walk that proposes x' = x + N(0, s^2) and moves there with
                      probability min(1, p(x') / p(x)); only ratios of p are needed, and
                      successive samples are correlated

The target of the last three is the bimodal p = 0.3 N(-2, 0.6^2) + 0.7 N(1.5, 1). Writes:

  sampling_methods.png   the histogram of each method's samples over its target density;
                         for rejection sampling also the envelope M q and the accepted and
                         rejected points (x, u M q(x)) under it; for Metropolis-Hastings the
                         first 1,000 steps of the chain (it hops between the two modes)

Summary: each method's Kolmogorov-Smirnov statistic against its target's exact CDF
(max |F_n - F|: about 0.9 / sqrt(n) for n independent exact samples; the chain's
correlation makes its value larger), and the acceptance rates of rejection sampling
and of Metropolis-Hastings.
"""
# %% [markdown]
# # Before GANs: three classical ways to shape random numbers
#
# A GAN's generator turns easy noise into samples of a hard distribution with a learned
# function. Classical Monte Carlo does the same with functions derived from the density
# itself: the inverse transform, rejection sampling and Metropolis-Hastings. NumPy only,
# no network.

# %%
from __future__ import annotations

import math
import os

import numpy

import _common

# %% [markdown]
# ## The target
#
# The bimodal mixture p = 0.3 N(-2, 0.6²) + 0.7 N(1.5, 1), its density and its exact CDF
# (through the error function), and the Kolmogorov-Smirnov statistic max |F_n - F| that
# judges each method's samples against it (about 0.9 / sqrt(n) for n independent exact
# samples).

# %%
WEIGHTS, MEANS, STDS = numpy.array([0.3, 0.7]), numpy.array([-2.0, 1.5]), numpy.array([0.6, 1.0])
_erf = numpy.frompyfunc(math.erf, 1, 1)


def mixture_pdf(x):
    x = numpy.asarray(x, dtype=float)[..., None]
    return (WEIGHTS * numpy.exp(-0.5 * ((x - MEANS) / STDS) ** 2)
            / (STDS * math.sqrt(2 * math.pi))).sum(-1)


def mixture_cdf(x):
    z = (numpy.asarray(x, dtype=float)[..., None] - MEANS) / (STDS * math.sqrt(2))
    return (WEIGHTS * 0.5 * (1 + _erf(z).astype(float))).sum(-1)


def ks(samples, cdf) -> float:
    """max |F_n(x) - F(x)|: the empirical CDF jumps at each sorted sample."""
    f = cdf(numpy.sort(samples))
    i = numpy.arange(1, len(f) + 1)
    return float(max((i / len(f) - f).max(), (f - (i - 1) / len(f)).max()))


# %% [markdown]
# ## The inverse transform
#
# x = F⁻¹(u) for u ~ Uniform(0, 1) has the CDF F: in closed form for the exponential,
# x = -log(1 - u) / rate; for the mixture F is inverted numerically, by interpolation on a
# grid.

# %%
def inverse_exponential(rng, n, rate=1.0):
    return -numpy.log1p(-rng.random(n)) / rate


def inverse_numerical(rng, n, cdf, lo=-8.0, hi=8.0):
    grid = numpy.linspace(lo, hi, 20001)
    return numpy.interp(rng.random(n), cdf(grid), grid)


# %% [markdown]
# ## Rejection sampling
#
# Draw x from an envelope density q with p <= M q (here a wide Gaussian, M found on a grid
# with a 5 % margin) and keep it when a uniform height under M q(x) falls below p(x): a
# share 1/M of the draws is kept.

# %%
def rejection(rng, n, pdf, scale=2.5):
    q = lambda x: numpy.exp(-0.5 * (x / scale) ** 2) / (scale * math.sqrt(2 * math.pi))  # noqa: E731
    grid = numpy.linspace(-10, 10, 20001)
    M = 1.05 * (pdf(grid) / q(grid)).max()            # p <= M q everywhere (with a margin)
    x = rng.normal(0.0, scale, n)
    height = rng.random(n) * M * q(x)                 # a uniform point under M q at x
    keep = height <= pdf(x)
    return x[keep], keep.mean(), (x, height, keep, lambda t: M * q(t))


# %% [markdown]
# ## Metropolis-Hastings
#
# A random walk that proposes x' = x + N(0, s²) and moves there with probability
# min(1, p(x') / p(x)): only ratios of p are needed, and successive samples are correlated
# (which makes its KS statistic larger than independent samples would).

# %%
def metropolis_hastings(rng, n, pdf, step=1.5, start=0.0, burn_in=1000):
    x, px, chain, accepted = start, pdf(start), numpy.empty(n + burn_in), 0
    proposals, u = rng.normal(0.0, step, n + burn_in), rng.random(n + burn_in)
    for i in range(n + burn_in):
        y = x + proposals[i]
        py = pdf(y)
        if u[i] * px < py:                            # accept with probability min(1, py / px)
            x, px = y, py
            accepted += i >= burn_in
        chain[i] = x
    return chain[burn_in:], accepted / n


# %% [markdown]
# ## The picture
#
# The histogram of each method's samples over its target density; for rejection sampling
# the envelope M q and the accepted and rejected points (x, u M q(x)) under it; for
# Metropolis-Hastings the first 1,000 steps of the chain, hopping between the two
# modes.

# %%
def draw(args, samples, rates, rejected) -> None:
    """sampling_methods.png: each method's histogram over its target, the rejection
    envelope with the accepted and rejected points, the chain's first 1,000 steps."""
    exp_x, inv_x, rej_x, mh_x = samples
    rej_rate, mh_rate = rates
    px, ph, keep, envelope = rejected
    fig, ax = _common.plt.subplots(2, 3, figsize=(15, 8))
    grid = numpy.linspace(-5, 6, 500)
    panels = ((ax[0, 0], exp_x, lambda t: numpy.exp(-t), "inverse transform: Exp(1)"),
              (ax[0, 1], inv_x, mixture_pdf, "inverse transform (numerical F⁻¹): mixture"),
              (ax[1, 0], rej_x, mixture_pdf, f"rejection: {len(rej_x)} kept ({rej_rate:.0%})"),
              (ax[1, 1], mh_x, mixture_pdf, f"Metropolis-Hastings ({mh_rate:.0%} accepted)"))
    for a, x, pdf, title in panels:
        t = numpy.linspace(0, 8, 400) if pdf is not mixture_pdf else grid
        a.hist(x, bins=80, density=True, alpha=0.6, color="tab:blue", label="samples")
        a.plot(t, pdf(t), color="tab:red", lw=2, label="target density")
        a.set_title(title, fontsize=10)
        a.legend(fontsize=8)
    shown = slice(0, 3000)
    ax[0, 2].scatter(px[shown][keep[shown]], ph[shown][keep[shown]], s=2, c="tab:blue",
                     label="accepted")
    ax[0, 2].scatter(px[shown][~keep[shown]], ph[shown][~keep[shown]], s=2, c="lightgrey",
                     label="rejected")
    wide = numpy.linspace(-9, 9, 500)
    ax[0, 2].plot(wide, envelope(wide), color="black", label="envelope M q")
    ax[0, 2].plot(wide, mixture_pdf(wide), color="tab:red", lw=2, label="target p")
    ax[0, 2].set_title("rejection: points under M q, kept below p", fontsize=10)
    ax[0, 2].legend(fontsize=8, markerscale=4)
    ax[1, 2].plot(mh_x[:1000], lw=0.7)
    ax[1, 2].set_xlabel("step")
    ax[1, 2].set_title("Metropolis-Hastings: the first 1,000 steps of the chain", fontsize=10)
    fig.tight_layout()
    _common.save(fig, os.path.join(args.out, "sampling_methods.png"))


# %% [markdown]
# ## Everything in order
#
# 50,000 draws per method (`--quick`: 5,000). The summary holds each method's KS statistic
# and the acceptance rates of rejection sampling and of Metropolis-Hastings.

# %%
def main(argv=None) -> dict:
    args = _common.parse_args("sampling_methods", __doc__, argv)
    n = 5000 if args.quick else 50000
    rng = numpy.random.default_rng(args.seed)
    exp_cdf = lambda x: 1 - numpy.exp(-x)              # noqa: E731
    exp_x = inverse_exponential(rng, n)
    inv_x = inverse_numerical(rng, n, mixture_cdf)
    rej_x, rej_rate, (px, ph, keep, envelope) = rejection(rng, n, mixture_pdf)
    mh_x, mh_rate = metropolis_hastings(rng, n, mixture_pdf)
    result = {"ks": {"inverse_exponential": ks(exp_x, exp_cdf),
                     "inverse_mixture": ks(inv_x, mixture_cdf),
                     "rejection": ks(rej_x, mixture_cdf),
                     "metropolis_hastings": ks(mh_x, mixture_cdf)},
              "acceptance": {"rejection": float(rej_rate), "metropolis_hastings": mh_rate},
              "n": n}
    for name, d in result["ks"].items():
        print(f"{name:>20}: KS {d:.4f}  (0.9/sqrt(n) = {0.9 / math.sqrt(n):.4f})")
    print(f"acceptance: rejection {rej_rate:.1%} of {n} draws, Metropolis-Hastings {mh_rate:.1%}")
    draw(args, (exp_x, inv_x, rej_x, mh_x), (rej_rate, mh_rate), (px, ph, keep, envelope))
    return _common.summary(args, result)


# %%
if __name__ == "__main__":
    main()
