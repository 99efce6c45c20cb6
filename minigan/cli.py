"""The ``minigan`` command.

    minigan train [PRESET] [--objective O] [--steps N | --epochs E] [--batch-size B] [--lr LR]
                  [--lr-d LR] [--beta1 B1] [--beta2 B2] [--latent-dim Z] [--n-critic K]
                  [--clip-value C] [--lambda-gp L] [--spectral-norm] [--pack M] [--conditional]
                  [--sample-every S] [--checkpoint-every S] [--seed S] [--backend B]
                  [--out DIR] [--resume DIR] [--quiet]
    minigan sample CHECKPOINT --n N --out FILE.npy|FILE.png [--label C] [--seed S]
                   [--truncation PSI] [--mix [--rows R] [--cols C] [--crossover K]]
    minigan translate CHECKPOINT --direction a2b|b2a [--n N] --out FILE.png|FILE.npz
                   [--input FILE.npy] [--seed S]      # a CycleGAN's translations
    minigan gradcheck [--seed S] [--backend B]   # every layer's backward vs central differences
    minigan exercise NAME [--out FILE.py] [--forward | --solution] [--force] | --list
    minigan check FILE.py [--exercise NAME] [--seed S] [--use [--steps N] [--out FILE.png]]
    minigan info                                 # Python, NumPy, CuPy, GPU, backend
    minigan presets                              # the experiments ``train`` knows

Exit status: 0 on success, 1 when training diverged or a check failed, 2 for
bad usage (unknown preset, objective or flag, a bad value, an unusable output
folder or checkpoint, a backend that cannot be used here), 130 when stopped with
Ctrl-C (after saving a checkpoint of the last finished step).
"""
from __future__ import annotations

import argparse
import json
import os
import sys

from . import backend as B


class UsageError(Exception):
    """Bad usage found after parsing: reported with the usage line, exit status 2."""


def _int_at_least(minimum: int, what: str):
    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if v < minimum:
            raise argparse.ArgumentTypeError(f"expected {what}, got {v}")
        return v
    return parse


def _number(minimum: float, what: str, strict: bool = False):
    def parse(text: str) -> float:
        try:
            v = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if v != v or v in (float("inf"), float("-inf")) or v < minimum or (strict and v == minimum):
            raise argparse.ArgumentTypeError(f"expected {what}, got {text}")
        return v
    return parse


def _beta(text: str) -> float:
    v = _number(0.0, "a number in [0, 1)")(text)
    if v >= 1:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1), got {text}")
    return v


_positive_int = _int_at_least(1, "a positive integer")
_seed = _int_at_least(0, "a non-negative integer seed")

# flag -> Config field, for the training hyperparameters
TRAIN_FLAGS = {"objective": "objective", "batch_size": "batch_size", "lr": "lr",
               "lr_d": "lr_d", "beta1": "beta1", "beta2": "beta2", "latent_dim": "latent_dim",
               "n_critic": "n_critic", "clip_value": "clip_value", "sample_every": "sample_every",
               "checkpoint_every": "checkpoint_every", "lambda_gp": "lambda_gp", "pack": "pack",
               "r1_gamma": "r1_gamma", "lambda_cycle": "lambda_cycle",
               "lambda_identity": "lambda_identity", "pool_size": "pool_size",
               "patch_layers": "patch_layers"}


def build_parser() -> argparse.ArgumentParser:
    from .gan.objectives import ALIASES, OBJECTIVES
    from .presets import DEFAULT_PRESET, PRESETS

    p = argparse.ArgumentParser(prog="minigan", description="GANs from scratch on NumPy or CuPy.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    backend_help = "numpy, cupy or auto (default: $MINIGAN_BACKEND or numpy)"

    t = sub.add_parser("train", help="train a preset experiment and write pictures and metrics")
    t.add_argument("preset", nargs="?", default=None, choices=sorted(PRESETS),
                   help=f"experiment to run (default: {DEFAULT_PRESET}, or the resumed run's)")
    t.add_argument("--objective", choices=sorted(set(OBJECTIVES) | set(ALIASES)),
                   help="the GAN objective (default: the preset's)")
    steps = t.add_mutually_exclusive_group()
    steps.add_argument("--steps", type=_positive_int, help="training steps (total, when resuming)")
    steps.add_argument("--epochs", type=_positive_int, help="passes over an image data set")
    t.add_argument("--batch-size", type=_int_at_least(2, "an integer >= 2"))
    t.add_argument("--lr", type=_number(0.0, "a positive learning rate", strict=True),
                   help="learning rate of G (and of D unless --lr-d is given)")
    t.add_argument("--lr-d", type=_number(0.0, "a positive learning rate", strict=True),
                   help="learning rate of D")
    t.add_argument("--beta1", type=_beta, help="Adam's beta1")
    t.add_argument("--beta2", type=_beta, help="Adam's beta2")
    t.add_argument("--latent-dim", type=_positive_int, help="size of G's input noise")
    t.add_argument("--n-critic", type=_positive_int, help="D (critic) steps per G step")
    t.add_argument("--clip-value", type=_number(0.0, "a positive number", strict=True),
                   help="WGAN's weight clipping")
    t.add_argument("--lambda-gp", type=_number(0.0, "a non-negative number"),
                   help="WGAN-GP's penalty weight (default 10)")
    t.add_argument("--r1-gamma", type=_number(0.0, "a positive number", strict=True),
                   help="the R1 penalty's gamma on D's real data (StyleGAN's regulariser)")
    t.add_argument("--lambda-cycle", type=_number(0.0, "a non-negative number"),
                   help="CycleGAN: the cycle loss's weight (default 10)")
    t.add_argument("--lambda-identity", type=_number(0.0, "a non-negative number"),
                   help="CycleGAN: the identity loss's weight relative to --lambda-cycle")
    t.add_argument("--pool-size", type=_int_at_least(0, "a non-negative integer"),
                   help="CycleGAN: past fakes kept for the discriminators (default 50)")
    t.add_argument("--patch-layers", type=_positive_int,
                   help="CycleGAN on images: the patch discriminator's conv layers (default 2: "
                        "22x22-pixel patches; 3: 34x34)")
    t.add_argument("--conditional", action="store_true",
                   help="class labels into G and D (data sets with labels: the digits)")
    t.add_argument("--spectral-norm", action="store_true",
                   help="spectral normalisation of every D layer with weights")
    t.add_argument("--pack", type=_positive_int, help="PacGAN: D judges this many samples at once")
    t.add_argument("--sample-every", type=_positive_int, help="steps between GIF frames")
    t.add_argument("--checkpoint-every", type=_positive_int, help="steps between checkpoints")
    t.add_argument("--seed", type=_seed, help="random seed (default: 0; a resumed run keeps its own)")
    t.add_argument("--backend", choices=B.names(), help=backend_help)
    t.add_argument("--out", help="output folder (default: runs/PRESET, or the resumed folder)")
    t.add_argument("--resume", metavar="DIR", help="continue the run whose checkpoint is in DIR")
    t.add_argument("--quiet", action="store_true", help="no progress bar")

    s = sub.add_parser("sample", help="draw samples from a trained generator")
    s.add_argument("checkpoint", help="a checkpoint.npz (or the run folder holding it)")
    s.add_argument("--n", type=_positive_int, default=64, help="how many samples (default 64)")
    s.add_argument("--out", required=True, help="FILE.npy (raw samples) or FILE.png (a picture)")
    s.add_argument("--label", type=_seed, help="class to draw (conditional generators)")
    s.add_argument("--seed", type=_seed, default=0)
    s.add_argument("--truncation", type=_number(0.0, "a number in (0, 1]", strict=True),
                   metavar="PSI", help="StyleGAN: draw w closer to its mean, psi in (0, 1]")
    s.add_argument("--mix", action="store_true",
                   help="StyleGAN: the style-mixing grid (coarse styles from the rows' latents, "
                        "fine from the columns'); --out FILE.png or FILE.npz")
    s.add_argument("--rows", type=_positive_int, default=5, help="--mix: rows (default 5)")
    s.add_argument("--cols", type=_positive_int, default=6, help="--mix: columns (default 6)")
    s.add_argument("--crossover", type=_positive_int, default=None,
                   help="--mix: the first layer that takes the fine styles (default 4)")
    s.add_argument("--backend", choices=B.names(), help=backend_help)

    tr = sub.add_parser("translate", help="translate with a trained CycleGAN (A->B or B->A)")
    tr.add_argument("checkpoint", help="a CycleGAN run's checkpoint.npz (or its run folder)")
    tr.add_argument("--direction", required=True, choices=("a2b", "b2a"),
                    help="a2b: G, domain A to B; b2a: F, B to A")
    tr.add_argument("--n", type=_positive_int, default=8,
                    help="how many held-out inputs to translate (default 8)")
    tr.add_argument("--out", required=True,
                    help="FILE.png (inputs, translations, cycled back) or FILE.npz (inputs, "
                         "outputs, labels)")
    tr.add_argument("--input", metavar="FILE.npy", help="translate these samples instead")
    tr.add_argument("--seed", type=_seed, default=0, help="which held-out inputs")
    tr.add_argument("--backend", choices=B.names(), help=backend_help)

    g = sub.add_parser("gradcheck", help="check every layer's backward pass numerically")
    g.add_argument("--seed", type=_seed, default=0)
    g.add_argument("--backend", choices=B.names(), help=backend_help)

    e = sub.add_parser("exercise", help="write an exercise: an op whose backward pass you write "
                                         "(docs/exercises.md)")
    e.add_argument("name", nargs="?", help="the exercise (see --list)")
    e.add_argument("--list", action="store_true", help="list the exercises")
    e.add_argument("--out", metavar="FILE.py", help="where to write it (default: NAME.py)")
    e.add_argument("--forward", action="store_true", help="leave the forward pass to write too")
    e.add_argument("--solution", action="store_true", help="write the worked answer instead")
    e.add_argument("--force", action="store_true", help="overwrite an existing file")

    c = sub.add_parser("check", help="judge an exercise file: your gradients against minigan's "
                                     "op and central differences")
    c.add_argument("file", help="the exercise file (.py) written by `minigan exercise`")
    c.add_argument("--exercise", metavar="NAME", help="which exercise the file is (default: "
                                                      "the file's '# minigan exercise:' line)")
    c.add_argument("--seed", type=_seed, default=0, help="which shapes are drawn (default 0)")
    c.add_argument("--use", action="store_true",
                   help="then train a tiny 1-D GAN with your op in it, and with minigan's")
    c.add_argument("--steps", type=_positive_int, help="--use: training steps")
    c.add_argument("--out", metavar="FILE.png",
                   help="--use: the picture of both runs (default: beside FILE, NAME_use.png)")
    c.add_argument("--quiet", action="store_true", help="--use: no progress bar")

    sub.add_parser("info", help="versions, GPU and backend in use")
    sub.add_parser("presets", help="list the experiments `minigan train` knows")
    return p


def _select_backend(args) -> None:
    """The flag wins over MINIGAN_BACKEND; a variable that cannot be honoured stops the
    commands that compute with the reason and the fix, while ``info`` and ``presets``
    still work and report it."""
    name = getattr(args, "backend", None)
    if name:
        B.use(name)
    elif args.command in ("train", "gradcheck", "sample", "translate"):
        why = B.env_problem()
        if why:
            raise B.BackendError(why)


def check_out_folder(path: str) -> str:
    """An output folder that exists (or can be made) and can be written; UsageError otherwise."""
    if not path or not path.strip():
        raise UsageError("--out: the output folder name is empty")
    if os.path.exists(path) and not os.path.isdir(path):
        raise UsageError(f"--out {path!r} exists and is not a folder")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--out {path!r} cannot be created ({exc.strerror or exc})") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise UsageError(f"--out {path!r} is not writable")
    return path


def cmd_train(args) -> int:
    from .gan import TrainingDiverged, TrainingInterrupted
    from .presets import DEFAULT_PRESET, checkpoint_in, run

    overrides = {field: getattr(args, flag) for flag, field in TRAIN_FLAGS.items()
                 if getattr(args, flag) is not None}
    if args.spectral_norm:
        overrides["spectral_norm"] = True
    if args.conditional:
        overrides["conditional"] = True
    if args.steps is not None:
        overrides["steps"] = args.steps
    if args.epochs is not None:
        overrides["epochs"] = args.epochs
    preset = args.preset if args.preset or args.resume else DEFAULT_PRESET
    if args.resume and args.seed is not None:
        raise UsageError("--seed cannot change when resuming: the run continues its own random "
                         "streams")
    if args.resume:
        try:
            ck = checkpoint_in(args.resume)
        except FileNotFoundError as exc:
            raise UsageError(f"--resume: {exc}") from None
        out = args.out if args.out is not None else os.path.dirname(ck)
    else:
        out = args.out if args.out is not None else os.path.join("runs", preset)
    check_out_folder(out)
    print(f"minigan: training {preset or 'the resumed run'} on the {B.current().name} backend "
          f"-> {out}", file=sys.stderr)
    try:
        metrics = run(preset, out=out, seed=args.seed or 0, progress=not args.quiet,
                      overrides=overrides, resume=args.resume)
    except TrainingDiverged as exc:
        print(f"minigan train: {exc}", file=sys.stderr)
        return 1
    except TrainingInterrupted as exc:
        where = f"; resume with: minigan train --resume {out}" if exc.checkpoint else ""
        print(f"minigan: interrupted at step {exc.step}; checkpoint saved{where}", file=sys.stderr)
        return 130
    print(json.dumps({k: v for k, v in metrics.items() if k != "config"}, indent=2))
    print(f"minigan: wrote metrics.json, history.csv and pictures to {out}", file=sys.stderr)
    return 0


def cmd_sample(args) -> int:
    from .presets import sample
    from .presets.sampling import MIX_CROSSOVER, sample_mixing
    if args.mix:
        if args.label is not None:
            raise UsageError("--mix draws an unconditional StyleGAN; it takes no --label")
        grid = sample_mixing(args.checkpoint, args.out, rows=args.rows, cols=args.cols,
                             seed=args.seed, truncation=args.truncation,
                             crossover=args.crossover or MIX_CROSSOVER)
        r, c = grid["images"].shape[:2]
        print(f"minigan: wrote a {r}x{c} style-mixing grid to {args.out}", file=sys.stderr)
        return 0
    if args.crossover is not None:
        raise UsageError("--crossover is a setting of --mix")
    x = sample(args.checkpoint, args.n, args.out, label=args.label, seed=args.seed,
               truncation=args.truncation)
    print(f"minigan: wrote {len(x)} samples of shape {tuple(x.shape[1:])} to {args.out}",
          file=sys.stderr)
    return 0


def cmd_translate(args) -> int:
    from .presets.cycle import translate_checkpoint
    r = translate_checkpoint(args.checkpoint, args.direction, args.n, args.out,
                             input_path=args.input, seed=args.seed)
    print(f"minigan: translated {len(r['inputs'])} samples {args.direction} to {args.out}",
          file=sys.stderr)
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
    print(f"all {len(reports)} checks passed (every layer, the second-order pass of each that "
          f"has one, every loss); worst relative error {max(r.worst for r in reports):.2e}")
    return 0


def cmd_exercise(args) -> int:
    from . import exercises

    if args.list:
        for name, ex in exercises.EXERCISES.items():
            print(f"{name:<17} {ex.title}  ({ex.math})")
        return 0
    if not args.name:
        raise UsageError(f"give an exercise name or --list; the exercises are: "
                         f"{', '.join(exercises.names())}")
    if args.name not in exercises.EXERCISES:
        raise UsageError(f"unknown exercise {args.name!r}; the exercises are: "
                         f"{', '.join(exercises.names())}")
    if args.forward and args.solution:
        raise UsageError("--forward and --solution exclude each other")
    path = args.out or f"{args.name}.py"
    if not path.endswith(".py"):
        raise UsageError(f"--out {path!r}: an exercise is a Python file, expected a name ending "
                         f"in .py")
    if os.path.exists(path) and not args.force:
        raise UsageError(f"{path!r} exists (your work?): choose another --out or pass --force")
    folder = os.path.dirname(path)
    if folder and not os.path.isdir(folder):
        raise UsageError(f"--out {path!r}: the folder {folder!r} does not exist")
    exercises.write(args.name, path, forward=args.forward, solution=args.solution)
    what = "the worked answer" if args.solution else "the exercise"
    print(f"wrote {what} {args.name} to {path}; when it is written: minigan check {path}")
    return 0


def cmd_check(args) -> int:
    from . import exercises
    from .exercises.student import CheckError

    try:
        result = exercises.check(args.file, exercise=args.exercise, seed=args.seed)
    except CheckError as exc:
        raise UsageError(str(exc)) from None
    print(result.text())
    if args.use:
        if result.problem:
            print("\n--use: the op must run before a GAN can train with it")
            return 1
        from .exercises.use import run_use
        try:
            print()
            print(run_use(args.file, result.exercise.name, steps=args.steps, out=args.out,
                          seed=args.seed, progress=not args.quiet))
        except CheckError as exc:
            raise UsageError(str(exc)) from None
    return 0 if result.ok else 1


def cmd_info(args) -> int:
    for k, v in B.info().items():
        print(f"{k:>9}: {v}")
    return 0


def cmd_presets(args) -> int:
    from .presets import PRESETS

    for name, p in sorted(PRESETS.items()):
        print(f"{name:<14} {p.steps:>6} steps  {p.objective:<13} {p.description}")
    return 0


def main(argv=None) -> int:
    from .gan.checkpoint import CheckpointError
    from .presets import ConfigError, MissingData

    parser = build_parser()
    args = parser.parse_args(argv)
    sub = {a.dest: a for a in parser._subparsers._group_actions}["command"].choices[args.command]
    handler = {"train": cmd_train, "sample": cmd_sample, "translate": cmd_translate,
               "gradcheck": cmd_gradcheck, "exercise": cmd_exercise, "check": cmd_check,
               "info": cmd_info, "presets": cmd_presets}[args.command]
    try:
        _select_backend(args)
        return handler(args)
    except (B.BackendError, UsageError, MissingData, CheckpointError, FileNotFoundError,
            ConfigError) as exc:
        sub.print_usage(sys.stderr)
        print(f"minigan {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"minigan {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
