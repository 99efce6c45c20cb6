"""Named experiments for ``minigan train NAME``: each builds its data and models, trains with
the library's trainer, and writes its metrics and pictures to an output folder.

    minigan.presets.run("ring8", out="runs/ring8", seed=0)
    minigan.presets.run("dcgan-mnist", overrides={"objective": "wgan", "steps": 500})
    minigan.presets.run("dcgan-mnist", resume="runs/dcgan-mnist")     # continue a run
    minigan.presets.sample("runs/cgan-mnist/checkpoint.npz", 100, "s.png", label=3)

The presets and their settings: :data:`PRESETS` (config.py); building a run: build.py;
running it: runner.py; what it measures and draws: report.py; sampling: sampling.py.
"""
from .build import MissingData, linear_decay
from .config import DEFAULT_PRESET, PRESETS, Config
from .runner import RESUMABLE_OVERRIDES, ConfigError, checkpoint_in, config_for, gaussian1d, run
from .sampling import sample

__all__ = ["PRESETS", "DEFAULT_PRESET", "Config", "ConfigError", "run", "sample", "gaussian1d",
           "MissingData", "checkpoint_in", "config_for", "RESUMABLE_OVERRIDES", "linear_decay"]
