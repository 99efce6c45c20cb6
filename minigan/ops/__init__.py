"""Pure functions: ``*_forward(...) -> (out, cache)`` and ``*_backward(dout, cache) -> grads``.
No state; the array namespace is taken from the inputs, so one code path serves NumPy and CuPy."""
