"""PyTorch's operator calls per GAN iteration: the anchor minigan's launch counts are
compared with (``python -m benchmarks.launches``).

In eager mode on a GPU, each ATen operator that computes launches about one CUDA kernel,
so the ATen operators that one iteration dispatches, counted on the CPU with
``torch.profiler``, stand for the kernels PyTorch would launch on a GPU. What is counted:

- the **innermost computing operators**: an ``aten::`` event counts once when none of
  its ``aten::`` children computes (``aten::linear`` -> ``aten::addmm`` counts as the
  addmm; a composite loss counts as the element-wise operators it dispatches);
- not the operators that only make views or metadata or allocate (NO_KERNEL: view,
  reshape, t, transpose, expand, as_strided, empty, detach, resize_, ...), which launch
  nothing;
- not operators whose every input is 0-d: Adam's per-parameter step counters, which a
  GPU run keeps on the host (``capturable=False``, PyTorch's default);
- Adam as PyTorch runs it on a GPU: ``foreach=True`` (its default there), where each
  ``aten::_foreach_*`` call is one multi-tensor kernel for these few parameters (the
  CPU's per-tensor loop under it is not counted).

On the CPU some operators differ from their CUDA counterparts (oneDNN convolutions may
reorder memory; cuDNN may split a convolution in two kernels), so the count is an anchor
to within a few percent, not an exact kernel count.
"""
from __future__ import annotations

import collections

NO_KERNEL = frozenset(f"aten::{n}" for n in (
    "view", "reshape", "_reshape_alias", "t", "transpose", "permute", "expand", "expand_as",
    "view_as", "unsqueeze", "squeeze", "as_strided", "as_strided_", "select", "slice",
    "narrow", "chunk", "split", "unbind", "detach", "detach_", "alias", "empty",
    "empty_like", "empty_strided", "resize_", "_local_scalar_dense", "item", "resolve_conj",
    "resolve_neg", "lift_fresh", "unflatten", "flatten", "contiguous", "requires_grad_",
    "set_", "is_nonzero", "size", "stride", "unsafe_view", "_unsafe_view", "result_type",
    "numpy_T"))


def _computes(e) -> bool:
    return e.name.startswith("aten::") and e.name not in NO_KERNEL


def _dims(shapes):
    """Every tensor shape in a profiler input-shape list (tensor lists are nested)."""
    for s in shapes or []:
        if isinstance(s, list) and s and isinstance(s[0], list):
            yield from _dims(s)
        elif isinstance(s, list):
            yield s


def _scalar_only(e) -> bool:
    return not any(_dims(e.input_shapes))


def _kernels(e, tally) -> int:
    kids = [c for c in e.cpu_children if _computes(c)]
    if e.name.startswith("aten::_foreach_"):
        # one multi-tensor kernel on a GPU; on the CPU a loop over per-tensor calls, whose
        # shapes tell the step counters (0-d, kept on the host) from the parameters
        if kids and all(_scalar_only(c) for c in kids):
            return 0
        tally[e.name] += 1
        return 1
    if not kids:
        if _scalar_only(e):
            return 0
        tally[e.name] += 1
        return 1
    return sum(_kernels(c, tally) for c in kids)


def count_ops(step, warmup: int = 2) -> tuple[int, collections.Counter]:
    """(operators that would launch a kernel, {operator: count}) for one call of ``step``."""
    from torch.profiler import ProfilerActivity, profile
    for _ in range(warmup):
        step()
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        step()
    tally = collections.Counter()
    total = 0
    for e in prof.events():
        if not _computes(e):
            continue
        p, nested = e.cpu_parent, False
        while p is not None:                 # only the outermost ATen call of each chain
            if p.name.startswith("aten::"):
                nested = True
                break
            p = p.cpu_parent
        if not nested:
            total += _kernels(e, tally)
    return total, tally


def torch_counts(model: str, batch: int):
    """count_ops of benchmarks.gan_step's PyTorch iteration, with Adam's GPU default."""
    from .gan_step import torch_iteration
    step, _ = torch_iteration(model, batch, foreach=True)
    return count_ops(step)
