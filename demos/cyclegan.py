"""CycleGAN: translating between two domains that were never paired.

Two generators learn G: A -> B and F: B -> A, each judged by its own discriminator,
and a cycle loss |F(G(a)) - a|_1 ties them together: a translation must keep enough of
its input to be undone. Nothing tells G which b belongs to which a.

  points   8 Gaussians on a ring (A) <-> 8 on a square (B), the ``cyclegan-toy`` preset:
           the arrows show where G moves each point of the ring; the crosses, where F
           brings it back
  digits   scikit-learn's blurred 8x8 digits, upsampled into MNIST's 28x28 frame (A) <->
           the MNIST digits (B), the ``cyclegan-digits`` preset: rows A, A->B, A->B->A

Writes:

  points.png     the ring's points, their translations onto the square, the cycle back
  digits.png     held-out digits of each domain, translated and translated back
  points/, digits/   the runs (metrics.json, history.csv, losses.png, checkpoint.npz)

Summary: for the points, the square's modes covered by G(ring) (of 8) and the cycle
error; for the digits, the share of A->B translations the digit classifier gives the
source's label ("class preserved"), the Frechet digit distance of G(A) to MNIST over
that of A itself ("style reached", below 1 when G moved A towards MNIST) and the cycle
error per pixel. ``--quick`` trains the digits for a few steps only: their numbers are
then those of an untrained translation.
"""
# %% [markdown]
# # CycleGAN: translating between two domains that were never paired
#
# Two generators, G: A -> B and F: B -> A, each judged by its own discriminator, and a
# cycle loss |F(G(a)) - a|₁ that ties them together: a translation must keep enough of
# its input to be undone. Nothing tells G which b belongs to which a.

# %%
from __future__ import annotations

import os
import shutil

import _common


# %% [markdown]
# ## Points: a ring onto a square
#
# The `cyclegan-toy` preset (`--quick`: 1,500 steps): 8 Gaussians on a ring (A) and 8 on
# a square (B). The arrows of points.png show where G moves each point of the ring; the
# crosses, where F brings it back. Measured: the square's modes covered by G(ring) and
# the cycle error.

# %%
def points(args) -> dict:
    toy = {"steps": 1500} if args.quick else {}
    m, run = _common.train(args, "cyclegan-toy", "points", overrides=toy)
    shutil.copyfile(os.path.join(run, "translation.png"), os.path.join(args.out, "points.png"))
    _common.show(os.path.join(args.out, "points.png"))
    print(f"points: G(ring) covers {m['a2b_modes_covered']}/8 of the square's modes, "
          f"cycle error {m['cycle_error_a']:.4f} ({m['steps']} steps)")
    return {"modes_covered": m["a2b_modes_covered"],
            "high_quality_percent": m["a2b_high_quality_percent"],
            "cycle_error": m["cycle_error_a"], "steps": m["steps"]}


# %% [markdown]
# ## Digits: scikit-learn's scans into MNIST's handwriting
#
# The `cyclegan-digits` preset (minutes on a CPU; `--quick`: 30 steps, whose numbers are
# those of an untrained translation): scikit-learn's blurred 8x8 digits upsampled into
# MNIST's 28x28 frame (A) and the MNIST digits (B). digits.png shows held-out digits of
# each domain in rows A, A->B, A->B->A. Measured: the share of A->B translations the
# digit classifier gives the source's label ("class preserved"), the Frechet digit
# distance of G(A) to MNIST over that of A itself ("style reached", below 1 when G moved
# A towards MNIST) and the cycle error per pixel.

# %%
def digits(args) -> dict:
    quick = {"steps": 30, "eval_samples": 200} if args.quick else {}
    m, run = _common.train(args, "cyclegan-digits", "digits", overrides=quick)
    shutil.copyfile(os.path.join(run, "translation.png"), os.path.join(args.out, "digits.png"))
    _common.show(os.path.join(args.out, "digits.png"))
    result = {k: m[k] for k in ("class_preserved_a2b", "frechet_a_to_b", "frechet_a2b_to_b",
                                "frechet_ratio", "cycle_error_a")}
    result["steps"] = m["steps"]
    print(f"digits: class preserved {100 * m['class_preserved_a2b']:.1f}%, Frechet digit "
          f"distance to MNIST {m['frechet_a_to_b']:.1f} -> {m['frechet_a2b_to_b']:.1f} "
          f"(ratio {m['frechet_ratio']:.2f}), cycle error {m['cycle_error_a']:.3f} per pixel")
    return result


# %% [markdown]
# ## Both
#
# The points first (seconds), then the digits; the summary holds both sets of numbers.

# %%
def main(argv=None) -> dict:
    args = _common.parse_args("cyclegan", __doc__, argv)
    result = {"points": points(args)}
    result["digits"] = digits(args)
    return _common.summary(args, result)


# %%
if __name__ == "__main__":
    main()
