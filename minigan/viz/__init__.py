"""Pictures of training: histograms, 2-D/3-D scatters and image grids of samples
(samples.py), loss curves and the trainer's diagnostics (D accuracy, gradient norms, ...;
training.py), the game of D and G on 1-D and 2-D data (game.py; its numbers come from
minigan.gan.game.game_frame), on what figure.py shares.

Works on NumPy arrays only: every input is moved with ``to_numpy`` first, so
device arrays are accepted. Draws with matplotlib's file backend (Agg), so it
runs on machines without a screen. Each function writes one PNG (creating
missing folders), closes its figure and returns the path; ``game_gif`` writes a GIF.
Animated GIFs of samples during training are in :mod:`minigan.animate`.
"""
from .figure import plt
from .game import game, game_gif
from .samples import histogram_1d, image_grid, scatter_2d, scatter_3d
from .training import diagnostics, losses
from .translation import mixing_grid, translation_arrows

__all__ = ["histogram_1d", "scatter_2d", "scatter_3d", "image_grid", "losses", "diagnostics",
           "translation_arrows", "mixing_grid", "game", "game_gif", "plt"]
