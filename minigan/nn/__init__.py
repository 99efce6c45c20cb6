"""Layers with state around the pure ops in minigan.ops.

Each layer module lists its public classes in ``__all__``; this package exports them
all, and :func:`public_layers` is derived from them (the gradient checks, the
second-order checks and the bad-input tests run every class it returns).
"""
from . import init
from .activation import *  # noqa: F403  (ReLU, LeakyReLU, Tanh, Sigmoid, ELU)
from .activation import __all__ as _activations
from .batchnorm import *  # noqa: F403
from .batchnorm import __all__ as _batchnorms
from .conv import *  # noqa: F403
from .conv import __all__ as _convs
from .equalized import *  # noqa: F403
from .equalized import __all__ as _equalized
from .examples import Example
from .instancenorm import *  # noqa: F403
from .instancenorm import __all__ as _instancenorms
from .linear import *  # noqa: F403
from .linear import __all__ as _linears
from .module import Module, Parameter, second_order_layers
from .resample import *  # noqa: F403
from .resample import __all__ as _resamples
from .residual import *  # noqa: F403
from .residual import __all__ as _residuals
from .sequential import Sequential, frozen
from .shape import *  # noqa: F403
from .shape import __all__ as _shapes
from .spectral_norm import *  # noqa: F403
from .spectral_norm import __all__ as _spectral
from .style import *  # noqa: F403
from .style import __all__ as _styles

LAYER_NAMES = [*_linears, *_convs, *_batchnorms, *_activations, *_shapes, *_spectral,
               *_equalized, *_residuals, *_instancenorms, *_resamples,
               *_styles, "Sequential"]

__all__ = ["init", "Module", "Parameter", "Example", "Sequential", "frozen", "public_layers",
           "second_order_layers", *LAYER_NAMES[:-1]]


def public_layers() -> list:
    """Every public layer class of minigan.nn, in the order of ``LAYER_NAMES``."""
    return [globals()[name] for name in LAYER_NAMES]
