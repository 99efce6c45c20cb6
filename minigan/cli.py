"""The ``minigan`` command.

    minigan train [PRESET] [--out DIR] [--steps N] [--seed S] [--backend B] [--quiet]
    minigan gradcheck [--seed S] [--backend B]   # every layer's backward vs central differences
    minigan info                                 # Python, NumPy, CuPy, GPU, backend
    minigan presets                              # the experiments ``train`` knows

Exit status: 0 on success, 1 when training diverged or a check failed, 2 for
bad usage (unknown preset, bad flag) or a backend that cannot be used here.
"""
from __future__ import annotations

import argparse
import json
import sys

from . import backend as B


def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if v <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {v}")
    return v


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    from .presets import DEFAULT_PRESET, PRESETS

    p = argparse.ArgumentParser(prog="minigan", description="GANs from scratch on NumPy or CuPy.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    backend_help = "numpy, cupy or auto (default: $MINIGAN_BACKEND or numpy)"
    t = sub.add_parser("train", help="train a preset experiment and write pictures and metrics")
    t.add_argument("preset", nargs="?", default=DEFAULT_PRESET, choices=sorted(PRESETS),
                   help=f"experiment to run (default: {DEFAULT_PRESET})")
    t.add_argument("--out", help="output folder (default: runs/PRESET)")
    t.add_argument("--steps", type=_positive_int, help="training steps (default: the preset's)")
    t.add_argument("--seed", type=_int, default=0, help="random seed (default: 0)")
    t.add_argument("--backend", choices=B.names(), help=backend_help)
    t.add_argument("--quiet", action="store_true", help="no progress bar")

    g = sub.add_parser("gradcheck", help="check every layer's backward pass numerically")
    g.add_argument("--seed", type=_int, default=0)
    g.add_argument("--backend", choices=B.names(), help=backend_help)

    sub.add_parser("info", help="versions, GPU and backend in use")
    sub.add_parser("presets", help="list the experiments `minigan train` knows")
    return p


def _select_backend(args) -> None:
    """The flag wins over MINIGAN_BACKEND; a variable that cannot be honoured stops the
    commands that compute (train, gradcheck) with the reason and the fix, while
    ``info`` and ``presets`` still work and report it."""
    name = getattr(args, "backend", None)
    if name:
        B.use(name)
    elif args.command in ("train", "gradcheck"):
        why = B.env_problem()
        if why:
            raise B.BackendError(why)


def cmd_train(args) -> int:
    from .gan import TrainingDiverged
    from .presets import run

    out = args.out or f"runs/{args.preset}"
    print(f"minigan: training {args.preset} on the {B.current().name} backend -> {out}",
          file=sys.stderr)
    try:
        metrics = run(args.preset, out=out, steps=args.steps, seed=args.seed,
                      progress=not args.quiet)
    except TrainingDiverged as exc:
        print(f"minigan train: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(metrics, indent=2))
    print(f"minigan: wrote metrics.json and pictures to {out}", file=sys.stderr)
    return 0


def cmd_gradcheck(args) -> int:
    from .gradcheck import run_standard_suite

    reports = run_standard_suite(seed=args.seed)
    print(f"Gradient check on {B.current().name}, float64, central differences "
          f"(eps 1e-6), tolerance {reports[0].tol:g} on the relative error")
    for r in reports:
        print()
        print(r.table())
    bad = [r.title for r in reports if not r.ok]
    print()
    if bad:
        print(f"FAILED: {', '.join(bad)}")
        return 1
    print(f"all {len(reports)} layers and losses passed; worst relative error "
          f"{max(r.worst for r in reports):.2e}")
    return 0


def cmd_info(args) -> int:
    for k, v in B.info().items():
        print(f"{k:>9}: {v}")
    return 0


def cmd_presets(args) -> int:
    from .presets import PRESETS

    for name, p in sorted(PRESETS.items()):
        print(f"{name:<14} {p.steps:>6} steps  {p.description}")
    return 0


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        _select_backend(args)
    except B.BackendError as exc:
        parser.print_usage(sys.stderr)
        print(f"minigan: error: {exc}", file=sys.stderr)
        return 2
    handler = {"train": cmd_train, "gradcheck": cmd_gradcheck, "info": cmd_info,
               "presets": cmd_presets}[args.command]
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
