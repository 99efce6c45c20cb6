"""minigan: GANs from scratch on NumPy or CuPy, every backward pass written by hand."""
__version__ = "0.1.0"

# before anything imports NumPy: OpenBLAS picks its kernels when it loads (blas_kernel.py)
from . import blas_kernel  # noqa: E402
blas_kernel.choose()
from . import backend  # noqa: E402  (first: picks the backend from MINIGAN_BACKEND)
from . import gradcheck, losses, nn, optim  # noqa: E402

__all__ = ["backend", "nn", "optim", "losses", "gradcheck", "__version__"]
