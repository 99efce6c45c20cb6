"""The host allocator's thresholds: kept raised so that freed activations stay mapped."""
from __future__ import annotations

import numpy

_HOST_HEAP_RAISED = False
_RAISE_BYTES = 31 << 20         # just under glibc's 32 MiB cap on the dynamic threshold


def keep_freed_host_memory() -> bool:
    """Ask the C allocator to keep memory that NumPy frees, for the next step to reuse.

    Why: NumPy arrays come from ``malloc``. glibc hands the top of its heap back to
    the operating system whenever more than its trim threshold is free there (at
    first twice the largest block it has mapped and freed, a few MiB). A training
    step frees and allocates the same 10-15 MiB of activations on every pass, so
    each pass the heap shrinks and then page-faults that memory back in (what that
    costs: docs/performance.md, "Page faults"). glibc raises both thresholds when a
    mapped block is freed (mallopt(3), M_MMAP_THRESHOLD: the threshold becomes the
    freed block's size, the trim threshold twice that); one 31 MiB array made and
    dropped sets them to 31 and 62 MiB, so freed activations stay mapped and are
    reused. CuPy's memory pool does the same for GPU memory.

    Process-wide and once per process (later calls do nothing); other libraries in
    the process allocate under the same thresholds. So the entry points that train
    make it (``presets.run``, hence ``minigan train`` and the demos; the benchmarks),
    never a constructor: a GANTrainer built in someone else's program leaves their
    allocator as it was. Elsewhere than glibc it costs one allocation and changes
    nothing. Returns whether this call did it.
    """
    global _HOST_HEAP_RAISED
    if _HOST_HEAP_RAISED:
        return False
    _HOST_HEAP_RAISED = True
    # Never touched, so it never becomes resident: mapping and unmapping it is enough.
    block = numpy.empty(_RAISE_BYTES, dtype=numpy.uint8)
    del block
    return True


