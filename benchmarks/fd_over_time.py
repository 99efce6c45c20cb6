"""Frechet digit distance of a preset's generator against training time on this machine.

    python -m benchmarks.fd_over_time                          # dcgan-mnist, 5 and 20 minutes
    python -m benchmarks.fd_over_time --preset cgan-mnist --minutes 2,10 --out runs/fd

Trains the preset (its own trainer and settings) and, when the training time passes each
mark, draws 2,500 digits and measures their Frechet digit distance against a fixed half of
the real digits (real vs real ~2.8, uniform noise ~816: docs/math/metrics.md), writing a
sample grid per mark. Training time excludes the evaluations.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--preset", default="dcgan-mnist")
    p.add_argument("--minutes", default="5,20", help="comma list of training-time marks")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--chunk", type=int, default=50, help="steps between clock checks")
    p.add_argument("--out", default="runs/fd_over_time")
    args = p.parse_args(argv)
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from minigan import backend as B
    from minigan import viz
    from minigan.presets import config_for
    from minigan.presets.build import build, generate
    from minigan.presets.report import evaluate

    marks = sorted(float(m) * 60 for m in args.minutes.split(","))
    cfg, _ = config_for(args.preset, seed=args.seed, overrides={"steps": 10**7})
    os.makedirs(args.out, exist_ok=True)
    exp = build(cfg, None)
    tr = exp.trainer
    rows = []
    for mark in marks:
        while tr.seconds < mark:
            tr.train(args.chunk, progress=False)
        m = evaluate(exp, B.RNG(cfg.seed + 13))
        row = {"minutes": round(tr.seconds / 60, 2), "steps": tr.step,
               "frechet_digit_distance": m.get("frechet_digit_distance"),
               "class_accuracy": m.get("class_accuracy")}
        rows.append(row)
        print(json.dumps(row), flush=True)
        k = exp.n_classes
        import numpy
        labels = numpy.repeat(numpy.arange(k), 10) if k else None
        x = generate(tr.G, cfg, 10 * k if k else 64, B.RNG(7), labels, k)
        viz.image_grid(x, os.path.join(args.out, f"{args.preset}-{int(mark // 60)}min.png"),
                       nrow=10 if k else 8, title=f"{args.preset}, {row['minutes']} min, step {tr.step}",
                       labels=[str(c) for c in range(k)] if k else None)
    with open(os.path.join(args.out, f"{args.preset}.json"), "w") as f:
        json.dump({"preset": args.preset, "seed": args.seed, "marks": rows,
                   "started": time.strftime("%Y-%m-%d %H:%M")}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
