"""Layers with state around the pure ops in minigan.ops."""
from . import init
from .activation import ELU, LeakyReLU, ReLU, Sigmoid, Tanh
from .batchnorm import BatchNorm1d, BatchNorm2d
from .conv import Conv2d, ConvTranspose2d
from .linear import Linear
from .module import Module, Parameter, Sequential, frozen
from .shape import Flatten, Pack, Unflatten
from .spectral_norm import SpectralNorm

__all__ = ["init", "Module", "Parameter", "Sequential", "frozen", "Linear", "ReLU",
           "LeakyReLU", "Tanh", "Sigmoid", "ELU", "Flatten", "Unflatten",
           "Conv2d", "ConvTranspose2d", "BatchNorm1d", "BatchNorm2d", "Pack", "SpectralNorm"]
