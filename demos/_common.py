"""What every demo shares: its command line, the backend, training a preset, reading a
finished run back, and the summary line.

Each demo is run as ``python demos/NAME.py [--quick] [--out DIR] [--backend B] [--seed S]``
and prints, as the last line of its standard output, one JSON object of summary numbers
(also written to ``OUT/summary.json``).

Each demo is also a notebook in the "percent" format (``# %%`` cells). Inside a Jupyter
kernel the command line is the kernel's own (``-f kernel.json``), so the arguments come
from the environment variable ``MINIGAN_DEMO_ARGS`` instead (default: none, the full
run), e.g. ``MINIGAN_DEMO_ARGS="--quick --out /tmp/demo"``; and every picture a demo
saves is also shown in the notebook.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shlex
import sys

import numpy

from minigan import backend as B
from minigan import presets
from minigan.gan.checkpoint import load_checkpoint, read_run as _read_run
from minigan.presets.build import build as _build, load_images as _load_images
from minigan.presets.runner import snapshots_of
from minigan.viz import plt  # matplotlib's file backend (Agg), selected by minigan.viz


DEMO_ARGS = "MINIGAN_DEMO_ARGS"   # a demo's arguments when it runs in a notebook kernel


def in_kernel() -> bool:
    """Whether this runs inside a Jupyter kernel (IPython with a kernel attached)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return getattr(shell, "kernel", None) is not None


def command_line(argv=None) -> list[str] | None:
    """The demo's arguments: ``argv`` when it holds any; else None on a command line
    (argparse reads sys.argv), and in a kernel, whose sys.argv holds its own
    ``-f kernel.json``, the words of $MINIGAN_DEMO_ARGS (also for an empty ``argv``: the
    way a notebook keeps the kernel's arguments out)."""
    if argv or not in_kernel():
        return argv
    return shlex.split(os.environ.get(DEMO_ARGS, ""))


def parse_args(name: str, doc: str, argv=None, extra=None) -> argparse.Namespace:
    """Parse the demo's arguments (:func:`command_line`), switch to the chosen backend and
    create the output folder. ``extra(parser)`` adds a demo's own arguments."""
    parser = argparse.ArgumentParser(
        prog=f"demos/{name}.py", description=(doc or "").strip().split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="a run of seconds: few steps, small batches and samples")
    parser.add_argument("--out", default=os.path.join("runs", "demos", name),
                        help="output folder (default: %(default)s)")
    parser.add_argument("--backend", default=None,
                        help=f"array backend: one of {', '.join(B.names())} "
                             f"(default: $MINIGAN_BACKEND, else numpy)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    if extra is not None:
        extra(parser)
    args = parser.parse_args(command_line(argv))
    if args.backend is not None:
        try:
            B.use(args.backend)
        except B.BackendError as exc:
            parser.error(str(exc))
    os.makedirs(args.out, exist_ok=True)
    return args


def train(args, preset: str, name: str | None = None, overrides: dict | None = None,
          pictures: bool = True) -> tuple[dict, str]:
    """Train ``preset`` with ``overrides`` into ``OUT/name`` (default: the preset's name).
    Returns (the run's metrics, its folder)."""
    folder = os.path.join(args.out, name or preset)
    try:
        m = presets.run(preset, out=folder, seed=args.seed, progress=not args.quick,
                        overrides=overrides, pictures=pictures)
    except presets.MissingData as exc:
        missing_data(exc)
    return m, folder


def build(args, preset: str, name: str, overrides: dict | None = None):
    """(experiment, Config) of ``preset`` with ``overrides``, ready to train with
    ``minigan.presets.runner.train_to_end``, checkpointing into ``OUT/name``: for a demo
    that measures while it trains."""
    cfg, _ = presets.config_for(preset, args.seed, overrides)
    folder = os.path.join(args.out, name)
    os.makedirs(folder, exist_ok=True)
    try:
        return _build(cfg, folder), cfg
    except presets.MissingData as exc:
        missing_data(exc)


def load_images(name: str):
    """(images, labels) of an image data set ("digits8", "mnist"), as the presets load them."""
    try:
        return _load_images(name)
    except presets.MissingData as exc:
        missing_data(exc)


def missing_data(exc) -> None:
    """Stop with the message of a missing data extra (exit status 2, as ``minigan train``)."""
    print(f"{os.path.basename(sys.argv[0]) or 'demo'}: {exc}", file=sys.stderr)
    raise SystemExit(2)


def read_run(folder: str) -> tuple[dict, list]:
    """(history, snapshots) of a finished run from its checkpoint: the history as
    {column: float64 array}, the snapshots (the samples drawn for each frame of
    samples.gif) as [(step, samples), ...] in step order."""
    run = _read_run(load_checkpoint(os.path.join(folder, "checkpoint.npz")))
    return run.history, snapshots_of(run.user)


def rounded(x, digits: int = 5):
    """``x`` with floats rounded to ``digits`` significant digits (lists and dicts too);
    NaN becomes None, so the summary is plain JSON."""
    if isinstance(x, dict):
        return {k: rounded(v, digits) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [rounded(v, digits) for v in x]
    if isinstance(x, numpy.generic):
        x = x.item()
    if isinstance(x, float):
        if not math.isfinite(x):
            return None
        return float(f"{x:.{digits}g}")
    return x


def save(fig, path: str) -> str:
    """Write a matplotlib figure to ``path`` (PNG) and close it; in a notebook, show it."""
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    show(path)
    return path


def show(path: str) -> None:
    """Show a written PNG or GIF in the notebook (nothing on a command line)."""
    if in_kernel():
        from IPython.display import Image, display
        display(Image(filename=path))


def summary(args, numbers: dict) -> dict:
    """Write ``numbers`` to OUT/summary.json and print them as the last line of stdout."""
    numbers = rounded(numbers)
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(numbers, f, indent=2)
        f.write("\n")
    sys.stdout.flush()
    print(json.dumps(numbers), flush=True)
    return numbers
