"""Mode coverage on the ring of 8 and the grid of 25 Gaussians, against the published tables.

    python -m benchmarks.mode_coverage                       # every configuration, 5 seeds
    python -m benchmarks.mode_coverage --data ring8 --configs best,wgan-gp --seeds 0,1
    python -m benchmarks.mode_coverage --jobs 2 --json results.json

Each configuration trains the ``ring8`` / ``grid25`` preset with some settings changed,
draws 2,500 samples and scores them by the published definitions (VEEGAN, Srivastava et
al. 2017; PacGAN, Lin et al. 2018): a sample is *high quality* when it lies within 3
standard deviations of its nearest mode; a mode is *covered* when at least 20 of the
2,500 samples are high-quality samples of it. Reported per configuration: modes covered
and high-quality % (mean over seeds, and the worst seed), next to the published rows.
"best" is the presets' default (docs/results.md says how it was found).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

PUBLISHED = {  # (modes covered, high-quality %): VEEGAN's and PacGAN's tables
    "ring8": {"VEEGAN": (8.0, 52.9), "PacGAN4": (7.8, 95.9)},
    "grid25": {"VEEGAN": (24.6, 40.0), "PacGAN4": (24.8, 93.6)},
}

# configuration name -> settings changed from the preset's defaults ("best")
CONFIGS = {
    "best": {},
    "minimax": {"objective": "minimax"},
    "nonsaturating": {"objective": "nonsaturating"},
    "wgan": {"objective": "wgan"},
    "wgan-gp": {"objective": "wgan-gp"},
    # Gulrajani et al.'s settings for their 2-D toy data (lambda 0.1; 10 is theirs for images),
    # as in demos/mode_collapse.py
    "wgan-gp-toy": {"objective": "wgan-gp", "lambda_gp": 0.1, "lr": 1e-3},
    "hinge+sn": {"objective": "hinge", "spectral_norm": True},
    "pack2": {"objective": "nonsaturating", "pack": 2},
    "pack3": {"objective": "nonsaturating", "pack": 3},
    "pack4": {"objective": "nonsaturating", "pack": 4},
}


def _args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", default="ring8,grid25", help="ring8, grid25 or both (comma list)")
    p.add_argument("--configs", default=",".join(CONFIGS), help="comma list of " + ", ".join(CONFIGS))
    p.add_argument("--seeds", default="0-4", help="a list and ranges: 0,1 or 0-4")
    p.add_argument("--steps", type=int, default=None, help="override every run's steps")
    p.add_argument("--jobs", type=int, default=1, help="runs in parallel (each single-threaded)")
    p.add_argument("--json", default=None, help="write every run's figures here")
    p.add_argument("--out", default="runs/mode_coverage", help="folder for the runs")
    return p.parse_args(argv)


def one_run(job):
    data, name, seed, steps, out = job
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from minigan.presets import run
    overrides = dict(CONFIGS[name])
    if steps is not None:
        overrides["steps"] = steps
    if overrides.get("pack", 1) > 1:                 # batches must split into packs
        overrides["batch_size"] = 256 - 256 % overrides["pack"]
    t = time.perf_counter()
    m = run(data, out=os.path.join(out, f"{data}-{name}-{seed}"), seed=seed, progress=False,
            pictures=False, overrides=overrides)
    return {"data": data, "config": name, "seed": seed, "modes": m["modes_covered"],
            "n_modes": m["n_modes"], "hq": m["high_quality_percent"], "steps": m["steps"],
            "seconds": round(time.perf_counter() - t, 1), "settings": m["config"]}


def table(rows) -> str:
    lines = []
    for data in dict.fromkeys(r["data"] for r in rows):
        lines.append(f"\n{data} (2,500 samples; covered = 20 high-quality samples)")
        lines.append(f"{'configuration':<16} {'modes (mean / worst)':>22} "
                     f"{'high quality % (mean / worst)':>31}  seconds")
        for name in dict.fromkeys(r["config"] for r in rows if r["data"] == data):
            rs = [r for r in rows if r["data"] == data and r["config"] == name]
            modes, hq = [r["modes"] for r in rs], [r["hq"] for r in rs]
            lines.append(f"{name:<16} {statistics.mean(modes):>12.1f} / {min(modes):<7} "
                         f"{statistics.mean(hq):>18.1f} / {min(hq):<9.1f} "
                         f"{statistics.mean(r['seconds'] for r in rs):>8.0f}   ({len(rs)} seeds)")
        for ref, (modes, hq) in PUBLISHED[data].items():
            lines.append(f"{ref + ' (published)':<16} {modes:>12.1f}           {hq:>18.1f}")
    return "\n".join(lines)


def main(argv=None) -> int:
    args = _args(argv)
    datas = [d for d in args.data.split(",") if d]
    names = [c for c in args.configs.split(",") if c]
    for n in names:
        if n not in CONFIGS:
            raise SystemExit(f"unknown configuration {n!r}; choose from {', '.join(CONFIGS)}")
    from benchmarks.seeds import parse_seeds
    seeds = parse_seeds(args.seeds)
    jobs = [(d, n, s, args.steps, args.out) for d in datas for n in names for s in seeds]
    rows = []
    if args.jobs > 1:
        from multiprocessing import get_context
        with get_context("spawn").Pool(args.jobs) as pool:
            for r in pool.imap_unordered(one_run, jobs):
                rows.append(r)
                print(json.dumps({k: v for k, v in r.items() if k != "settings"}), flush=True)
    else:
        for job in jobs:
            r = one_run(job)
            rows.append(r)
            print(json.dumps({k: v for k, v in r.items() if k != "settings"}), flush=True)
    rows.sort(key=lambda r: (r["data"], names.index(r["config"]), r["seed"]))
    print(table(rows))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.exit(main())
