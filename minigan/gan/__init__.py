"""GAN training on top of the layers: objectives, the trainer, checkpoints, model builders."""
from .checkpoint import (CheckpointError, Run, load_checkpoint, load_ema, read_run, restore,
                         save_checkpoint)
from .ema import EMA
from .models import (dcgan8_discriminator, dcgan8_generator, dcgan28_discriminator,
                     dcgan28_generator, dcgan_init_, mlp)
from .objectives import (MMD, OBJECTIVES, Hinge, LeastSquares, Minimax, NonSaturating, Objective,
                         RelativisticAverage, Wasserstein, WassersteinGP, get_objective)
from .penalty import GradientPenalty, gradient_penalty
from .trainer import GANTrainer, History, TrainingDiverged, TrainingInterrupted

__all__ = ["EMA", "GANTrainer", "History", "TrainingDiverged", "TrainingInterrupted", "Objective",
           "Minimax", "NonSaturating", "LeastSquares", "Hinge", "RelativisticAverage", "Wasserstein",
           "WassersteinGP", "MMD", "Run", "read_run", "load_ema",
           "CheckpointError", "GradientPenalty", "gradient_penalty",
           "OBJECTIVES", "get_objective", "save_checkpoint", "load_checkpoint", "restore", "mlp",
           "dcgan28_generator", "dcgan28_discriminator", "dcgan8_generator", "dcgan8_discriminator",
           "dcgan_init_"]
