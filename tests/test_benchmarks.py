"""The GAN-iteration benchmark runs end to end on a tiny budget and reports what
docs/performance.md quotes (times, page faults, peak memory, each library alone);
no time is asserted."""
import importlib.util
import json

import pytest

from benchmarks import gan_step

HAS_TORCH = importlib.util.find_spec("torch") is not None


@pytest.mark.parametrize("processes", [False] + ([True] if HAS_TORCH else []))
def test_gan_step_reports_faults_memory_and_processes(tmp_path, processes, capsys):
    out = tmp_path / "gan_step.json"
    argv = ["--model", "mlp", "--blocks", "2", "--block", "3", "--json", str(out)]
    argv += ["--processes"] if processes else ["--no-torch"]
    assert gan_step.main(argv) == 0
    r = json.loads(out.read_text())["results"][0]
    assert r["model"] == "mlp" and r["minigan_ms"] > 0
    assert r["minigan_faults"] >= 0
    assert r["peak_extra_mib"]["minigan"] is not None
    assert r["alone"]["minigan"]["alone_ms"] > 0
    if processes:
        sep = r["separate_processes"]
        assert sep["minigan_ms"] > 0 and sep["torch_ms"] > 0 and len(sep["ratio_blocks"]) == 2
    out = capsys.readouterr().out
    assert "page faults per iteration" in out
    # the machine line: which CPU and which BLAS kernel the figures come from
    assert "CPU " in out and "numpy " in out and " with " in out


def test_gan_step_against_another_checkout(capsys):
    """--against times this checkout's minigan against another's (here: itself), each in
    its own process."""
    import os
    root = os.path.dirname(os.path.dirname(os.path.abspath(gan_step.__file__)))
    assert gan_step.main(["--model", "mlp", "--blocks", "2", "--block", "3",
                          "--against", root]) == 0
    out = capsys.readouterr().out
    assert "this checkout" in out and root in out and "ratio" in out


def test_seed_lists_and_a_tiny_mode_coverage_run(tmp_path, capsys):
    from benchmarks import mode_coverage
    from benchmarks.seeds import parse_seeds
    assert parse_seeds("0-4") == [0, 1, 2, 3, 4]
    assert parse_seeds("0,2,5") == [0, 2, 5] and parse_seeds("0-1,7") == [0, 1, 7]
    out = tmp_path / "rows.json"
    assert mode_coverage.main(["--data", "ring8", "--configs", "best,pack2", "--seeds", "0-1",
                               "--steps", "20", "--jobs", "1", "--json", str(out),
                               "--out", str(tmp_path / "runs")]) == 0
    rows = json.loads(out.read_text())
    assert sorted((r["config"], r["seed"]) for r in rows) == [
        ("best", 0), ("best", 1), ("pack2", 0), ("pack2", 1)]
    assert all(0 <= r["modes"] <= 8 and 0 <= r["hq"] <= 100 and r["steps"] == 20 for r in rows)
    text = capsys.readouterr().out
    assert "PacGAN4 (published)" in text and "(2 seeds)" in text


class _Event:
    """A stand-in for torch.profiler's FunctionEvent: a name, input shapes, children."""

    def __init__(self, name, shapes=((4, 4),), children=()):
        self.name, self.input_shapes = name, [list(s) for s in shapes]
        self.cpu_children, self.cpu_parent = list(children), None
        for c in self.cpu_children:
            c.cpu_parent = self


def test_machine_description_names_cpu_and_blas():
    from benchmarks.machine import blas, cpu, describe
    c, b = cpu(), blas()
    assert c["cpus"] >= 1 and isinstance(c["flags"], list)
    assert b["numpy"] and b["library"]
    if b.get("kernel") is not None:                 # OpenBLAS: the kernel chosen at load
        assert b["kernel"] and b["threads"] >= 1
    assert describe().startswith("CPU ")


def test_torch_op_counting_rules():
    """What benchmarks.torch_ops counts as one kernel: the innermost computing operator,
    not views or allocations, not 0-d bookkeeping, one per multi-tensor (foreach) call."""
    from collections import Counter

    from benchmarks.torch_ops import _kernels
    tally = Counter()
    linear = _Event("aten::linear", children=[_Event("aten::t"),
                                              _Event("aten::addmm", children=[_Event("aten::empty")])])
    assert _kernels(linear, tally) == 1 and tally == {"aten::addmm": 1}
    loss = _Event("aten::bce", children=[_Event("aten::sub"), _Event("aten::mul"),
                                         _Event("aten::view"), _Event("aten::mean")])
    assert _kernels(loss, Counter()) == 3
    step_counters = _Event("aten::_foreach_add_", shapes=(),
                           children=[_Event("aten::add_", shapes=((),)) for _ in range(3)])
    assert _kernels(step_counters, Counter()) == 0
    update = _Event("aten::_foreach_lerp_", shapes=(),
                    children=[_Event("aten::lerp_", shapes=((8, 3),)) for _ in range(6)])
    assert _kernels(update, Counter()) == 1


@pytest.mark.skipif(not HAS_TORCH, reason="PyTorch is not installed")
def test_launches_counts_pytorch_beside_minigan(capsys):
    from benchmarks import launches
    r = launches.torch_count("mlp", 16)
    # the MLP GAN: 3 + 3 + 3 layers' matrix products forward and backward and two Adam steps
    assert 40 < r["launches"] < 400 and r["by_op"]
    assert sum(v for k, v in r["by_op"].items() if k.startswith("aten::_foreach_")) == 14
