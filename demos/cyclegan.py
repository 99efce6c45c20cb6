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
from __future__ import annotations

import os
import shutil

import _common


def main(argv=None) -> dict:
    args = _common.parse_args("cyclegan", __doc__, argv)
    toy = {"steps": 1500} if args.quick else {}
    m, run = _common.train(args, "cyclegan-toy", "points", overrides=toy)
    shutil.copyfile(os.path.join(run, "translation.png"), os.path.join(args.out, "points.png"))
    result = {"points": {"modes_covered": m["a2b_modes_covered"],
                         "high_quality_percent": m["a2b_high_quality_percent"],
                         "cycle_error": m["cycle_error_a"], "steps": m["steps"]}}
    print(f"points: G(ring) covers {m['a2b_modes_covered']}/8 of the square's modes, "
          f"cycle error {m['cycle_error_a']:.4f} ({m['steps']} steps)")
    # then the digits: scikit-learn's scans into MNIST's handwriting (minutes on a CPU)
    digits = {"steps": 30, "eval_samples": 200} if args.quick else {}
    m, run = _common.train(args, "cyclegan-digits", "digits", overrides=digits)
    shutil.copyfile(os.path.join(run, "translation.png"), os.path.join(args.out, "digits.png"))
    result["digits"] = {k: m[k] for k in ("class_preserved_a2b", "frechet_a_to_b",
                                           "frechet_a2b_to_b", "frechet_ratio", "cycle_error_a")}
    result["digits"]["steps"] = m["steps"]
    print(f"digits: class preserved {100 * m['class_preserved_a2b']:.1f}%, Frechet digit "
          f"distance to MNIST {m['frechet_a_to_b']:.1f} -> {m['frechet_a2b_to_b']:.1f} "
          f"(ratio {m['frechet_ratio']:.2f}), cycle error {m['cycle_error_a']:.3f} per pixel")
    return _common.summary(args, result)


if __name__ == "__main__":
    main()
