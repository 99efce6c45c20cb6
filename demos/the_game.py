"""The game, drawn as GAN Lab draws it: one ring8 run, frame by frame.

Trains the ``ring8`` preset (8 Gaussians on the unit circle, LSGAN, 16,000 steps; with
``--quick`` 1,500 steps of smaller networks) and reads back the game frames the run kept,
one per frame of samples.gif. Each frame shows both players at once:

  the colour   D's output on a grid (LSGAN: 1 means "real", 0 "fake", 0.5 "cannot tell"):
               red where D says real, blue where it says fake
  the dots     real samples (black) and G's samples (yellow), always of the same noise
  the arrows   -dL_G/dx on each yellow sample: where G's loss pushes it (scaled for display)
  the mesh     G applied to a 21 x 21 grid of latent codes over [-2, 2]^2 (green, right)

and writes:

  game_step<S>.png   the frames the walk-through stops at (start, D's first move, G on
                     the ring, the end), or with ``--step K`` the snapshot nearest step K
  ring8/             the run: game.gif (every frame), game.png, samples.gif, metrics.json ...

It prints one line of measures per frame and a paragraph per stage. A finished run of the
same settings already in OUT/ring8 is reused, so ``--step K`` after a run draws at once.
Summary: the frames' steps, and the measures of the first and last frame (or of the one
drawn): D's mean value under the real and under the fake samples (read on the grid cell
under each), the fakes' modes and high-quality share, the mean arrow length, and the share
of mesh nodes within 3 std of a mode.

The file is a notebook in the "percent" format: open it with Jupytext (its arguments then
come from $MINIGAN_DEMO_ARGS, e.g. "--quick --step 600"), or run it as a script.
"""
# %% [markdown]
# # The game of D and G on eight Gaussians
#
# A GAN is a game: D learns a surface that is high on real data and low on G's
# samples, and G moves its samples up that surface. On 2-D data both players can be
# drawn at once, as GAN Lab draws them. This notebook trains `ring8` and stops at
# four moments of the run.

# %%
from __future__ import annotations

import json
import os
import shlex
import sys

import numpy

import _common
from minigan import metrics, presets, viz
from minigan.data import toy_dataset
from minigan.gan.checkpoint import load_checkpoint, read_run
from minigan.presets.game import frames_of

PRESET = "ring8"
QUICK = {"steps": 1500, "batch_size": 128, "hidden": 128, "sample_every": 250}


def in_kernel() -> bool:
    return "ipykernel" in sys.modules


def _argv():
    """The command line (None: argparse reads sys.argv); inside a notebook kernel, whose argv
    holds its own ``-f kernel.json``, the words of $MINIGAN_DEMO_ARGS (default: none)."""
    return shlex.split(os.environ.get("MINIGAN_DEMO_ARGS", "")) if in_kernel() else None


def _extra(parser):
    parser.add_argument("--step", type=int, default=None, metavar="K",
                        help="draw only the snapshot nearest step K (ties: the earlier one)")


args = _common.parse_args("the_game", __doc__, _argv(), extra=_extra)
overrides = QUICK if args.quick else {}
folder = os.path.join(args.out, PRESET)

# %% [markdown]
# ## Train, or reuse a finished run of the same settings
#
# The frames are computed during training, at the steps of samples.gif, and kept in
# the run's checkpoint (`game/<step>/...`), so a finished run can be drawn again
# without training.


# %%
def finished_run(folder: str, planned) -> bool:
    """Whether ``folder`` holds a finished run of the ``planned`` Config."""
    path = os.path.join(folder, "checkpoint.npz")
    if not os.path.exists(os.path.join(folder, "metrics.json")) or not os.path.exists(path):
        return False
    ck = load_checkpoint(path)
    return ck["meta"].get("config") == planned.as_dict() and ck["step"] == planned.steps


planned, _ = presets.config_for(PRESET, args.seed, overrides)
reused = finished_run(folder, planned)
if not reused:
    _common.train(args, PRESET, overrides=overrides)
with open(os.path.join(folder, "metrics.json")) as f:
    run_metrics = json.load(f)
run = read_run(load_checkpoint(os.path.join(folder, "checkpoint.npz")))
frames = frames_of(run.user, presets.Config.from_dict(run.meta["config"]))
target = toy_dataset(PRESET)
print(f"{len(frames)} frames at steps {[f.step for f in frames]}"
      + (" (a finished run, reused)" if reused else ""))

# %% [markdown]
# ## What each frame measures
#
# D's value under a sample is read on the grid cell that holds it (64 x 64 cells over
# the picture). A fake is *high quality* within 3 std (0.03) of a mode centre; a mode
# is covered by at least 2 of the 256 fakes. The mesh share says how much of the latent
# grid G already puts on a mode, rather than in the gaps between them.


# %%
def surface_at(frame, points) -> numpy.ndarray:
    """The frame's surface on the grid cells nearest to ``points`` (N, 2)."""
    b, s = frame.bounds, frame.surface
    res = s.shape[0]
    ix = numpy.clip(numpy.rint((points[:, 0] - b[0]) / (b[1] - b[0]) * (res - 1)), 0, res - 1)
    iy = numpy.clip(numpy.rint((points[:, 1] - b[2]) / (b[3] - b[2]) * (res - 1)), 0, res - 1)
    return s[iy.astype(int), ix.astype(int)]


def measure(frame) -> dict:
    cov = metrics.mode_coverage(frame.fake, target, min_count=2)
    mesh = metrics.mode_coverage(frame.mesh.reshape(-1, 2), target)
    return {"step": frame.step,
            "d_real": float(surface_at(frame, frame.real).mean()),
            "d_fake": float(surface_at(frame, frame.fake).mean()),
            "modes": cov.modes_covered, "high_quality_percent": cov.high_quality_percent,
            "arrow": float(numpy.linalg.norm(frame.arrows, axis=1).mean()),
            "radius": float(numpy.linalg.norm(frame.fake, axis=1).mean()),
            "mesh_on_modes_percent": mesh.high_quality_percent}


table = [measure(f) for f in frames]
print(f"{'step':>6} {'D(real)':>8} {'D(fake)':>8} {'modes':>5} {'HQ %':>6} {'|arrow|':>9} "
      f"{'radius':>6} {'mesh %':>6}")
for r in table:
    print(f"{r['step']:>6} {r['d_real']:>8.3f} {r['d_fake']:>8.3f} {r['modes']:>5} "
          f"{r['high_quality_percent']:>6.1f} {r['arrow']:>9.2e} {r['radius']:>6.2f} "
          f"{r['mesh_on_modes_percent']:>6.1f}")


def draw(frame) -> str:
    """game_step<S>.png of ``frame`` (shown too, in a notebook)."""
    path = viz.game(frame, os.path.join(args.out, f"game_step{frame.step}.png"),
                    title=f"{PRESET} ({planned.objective})")
    if in_kernel():
        from IPython.display import Image, display
        display(Image(filename=path))
    return path


# %% [markdown]
# ## One frame: `--step K`
#
# With `--step K` only the snapshot nearest step K is drawn (the frames lie at the
# steps of samples.gif, so K itself is rarely one of them).

# %%
if args.step is not None:
    nearest = min(frames, key=lambda f: (abs(f.step - args.step), f.step))
    r = measure(nearest)
    print(f"step {args.step} asked: the nearest snapshot is step {nearest.step}: {draw(nearest)}")
    _common.summary(args, {"preset": PRESET, "reused": reused, "frames": len(frames),
                           "step_asked": args.step, "step_drawn": nearest.step, "drawn": r})
    if not in_kernel():
        raise SystemExit(0)

# %% [markdown]
# ## Stage 1: the start
#
# A fresh G maps the whole latent grid into a small crumpled patch near the origin:
# the green mesh is tiny and every yellow sample sits inside the ring, far from the
# data. An untrained D is nearly a plane over this small picture, so every arrow
# points the same way, down its one slope: G has nothing better to learn from yet.

# %%
first = table[0]
print(draw(frames[0]))
print(f"At step 0 the fakes lie at mean radius {first['radius']:.2f} (the modes at 1.00); "
      f"{first['modes']} of 8 modes have a fake, and {first['mesh_on_modes_percent']:.1f} % of "
      f"the mesh lies on a mode. D gives the real samples {first['d_real']:.3f} and the fakes "
      f"{first['d_fake']:.3f}.")

# %% [markdown]
# ## Stage 2: D moves, G follows
#
# D learns first that real data lies on the ring and G's samples inside it: the colour
# sinks (blue) where the fakes are and rises around them, and the arrows push the
# patch outwards. By the next frame G has stretched its sheet out to the ring: most
# fakes lie on it, many of them between the modes, where D stays blue.

# %%
second = table[min(1, len(table) - 1)]
print(draw(frames[min(1, len(frames) - 1)]))
print(f"At step {second['step']} D gives the real samples {second['d_real']:.3f} and the fakes "
      f"{second['d_fake']:.3f} (LSGAN's targets: 1 and 0); the fakes' mean radius is "
      f"{second['radius']:.2f}, {second['high_quality_percent']:.1f} % of them on a mode.")

# %% [markdown]
# ## Stage 3: G on the ring
#
# G's samples gather on the modes. The mesh is the telling part: a sheet cannot
# cover eight separate islands without passing between them, so G folds the latent
# plane and stretches it across the gaps, where few codes land (the long thin green
# lines). D keeps the gaps blue, and the arrows of the samples still in a gap point
# along the ring to the nearest mode.

# %%
on_ring = next((i for i, r in enumerate(table) if r["modes"] == 8), len(table) // 2)
mid = table[on_ring]
print(draw(frames[on_ring]))
print(f"At step {mid['step']} the fakes cover {mid['modes']} of 8 modes, "
      f"{mid['high_quality_percent']:.1f} % of them within 3 std of one, and "
      f"{mid['mesh_on_modes_percent']:.1f} % of the mesh nodes lie on a mode.")
lost = [(a["step"], b["step"]) for a, b in zip(table, table[1:]) if b["modes"] < a["modes"]]
if lost:
    print("The game is not a descent: modes were lost again between steps "
          + ", ".join(f"{a} and {b}" for a, b in lost) + " (the table above).")

# %% [markdown]
# ## Stage 4: the end
#
# With the learning rate decayed to 0 the game settles. Once real and fake samples
# sit in the same places, D can no longer tell them apart there and its value under
# both tends to LSGAN's "cannot tell", 0.5 (white); off the ring D still says "fake",
# which costs it nothing, since no sample of either kind lies there. Only the
# stragglers off the modes keep visible arrows (the arrows are scaled to the longest
# one), each pointing to a mode.

# %%
last = table[-1]
ratio = first["arrow"] / max(last["arrow"], 1e-30)
print(draw(frames[-1]))
print(f"At step {last['step']} D gives the real samples {last['d_real']:.3f} and the fakes "
      f"{last['d_fake']:.3f} (a gap of {last['d_real'] - last['d_fake']:.3f}, "
      f"{max(r['d_real'] - r['d_fake'] for r in table):.3f} at its widest); the fakes cover "
      f"{last['modes']} of 8 modes ({last['high_quality_percent']:.1f} % high quality) and the "
      f"mean arrow is {last['arrow']:.2e}, "
      + (f"{ratio:.1f} times shorter than" if ratio >= 1 else f"{1 / ratio:.1f} times longer than")
      + f" at the start. The whole run: {os.path.join(folder, 'game.gif')}.")

# %%
_common.summary(args, {"preset": PRESET, "reused": reused, "frames": len(frames),
                       "frame_steps": [f.step for f in frames],
                       "stages": [first["step"], second["step"], mid["step"], last["step"]],
                       "modes_lost": len(lost), "first": first, "last": last,
                       "modes_covered": run_metrics["modes_covered"],
                       "high_quality_percent": run_metrics["high_quality_percent"]})
