"""GAN training on top of the layers: objectives, the trainer, checkpoints, model builders."""
from .checkpoint import load_checkpoint, restore, save_checkpoint
from .ema import EMA
from .models import (dcgan8_discriminator, dcgan8_generator, dcgan28_discriminator,
                     dcgan28_generator, dcgan_init_, mlp)
from .objectives import OBJECTIVES, Minimax, NonSaturating, Objective, get_objective
from .trainer import GANTrainer, History, TrainingDiverged

__all__ = ["EMA", "GANTrainer", "History", "TrainingDiverged", "Objective", "Minimax", "NonSaturating",
           "OBJECTIVES", "get_objective", "save_checkpoint", "load_checkpoint", "restore", "mlp",
           "dcgan28_generator", "dcgan28_discriminator", "dcgan8_generator", "dcgan8_discriminator",
           "dcgan_init_"]
