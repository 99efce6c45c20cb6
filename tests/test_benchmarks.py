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
    assert "page faults per iteration" in capsys.readouterr().out


def test_gan_step_against_another_checkout(capsys):
    """--against times this checkout's minigan against another's (here: itself), each in
    its own process."""
    import os
    root = os.path.dirname(os.path.dirname(os.path.abspath(gan_step.__file__)))
    assert gan_step.main(["--model", "mlp", "--blocks", "2", "--block", "3",
                          "--against", root]) == 0
    out = capsys.readouterr().out
    assert "this checkout" in out and root in out and "ratio" in out
