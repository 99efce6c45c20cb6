"""A preset over several seeds: its quality metrics per seed, and the worst of each.

    python -m benchmarks.seeds gaussian2d --seeds 0-4
    python -m benchmarks.seeds dcgan-digits --seeds 0-2 --set steps=300 --set conditional=true
    python -m benchmarks.seeds ring8 --seeds 0-4 --jobs 2

What the tests' bounds and docs/results.md's margins were measured with. ``--set`` takes
Config fields (minigan/presets/config.py); values are read as JSON where they parse.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

KEYS = ("generated_mean", "generated_std", "wasserstein_1d", "mean_error", "cov_error",
        "modes_covered", "high_quality_percent", "frechet_pixel_distance", "class_accuracy",
        "frechet_digit_distance", "mmd2_start", "mmd2_final", "seconds")


def parse_seeds(text):
    """"0-4" or "0,2,5" or "0-2,7" -> the list of seeds."""
    out = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out += list(range(int(lo), int(hi or lo) + 1))
    return out


def one(job):
    preset, seed, overrides = job
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from minigan.presets import run
    m = run(preset, out=f"runs/seeds/{preset}-{seed}", seed=seed, progress=False,
            pictures=False, overrides=overrides)
    return {"seed": seed, **{k: m[k] for k in KEYS if k in m}}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("preset")
    p.add_argument("--seeds", default="0-4")
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE")
    p.add_argument("--jobs", type=int, default=1)
    args = p.parse_args(argv)
    overrides = {}
    for item in args.set:
        k, _, v = item.partition("=")
        try:
            overrides[k] = json.loads(v)
        except json.JSONDecodeError:
            overrides[k] = v
    jobs = [(args.preset, s, overrides) for s in parse_seeds(args.seeds)]
    if args.jobs > 1:
        from multiprocessing import get_context
        with get_context("spawn").Pool(args.jobs) as pool:
            rows = pool.map(one, jobs)
    else:
        rows = [one(j) for j in jobs]
    for r in rows:
        print(json.dumps(r))
    # vectors (a d-D generated mean) are in the rows above; the range line takes scalars
    keys = [k for k in KEYS if k in rows[0] and k != "seconds"
            and isinstance(rows[0][k], (int, float))]
    print("range over seeds: " + ", ".join(
        f"{k} {min(r[k] for r in rows):.4g}..{max(r[k] for r in rows):.4g}" for k in keys))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.exit(main())
