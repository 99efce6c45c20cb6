"""The minigan command: exit codes, usage errors, and what `train` writes."""
import json
import subprocess
import sys

import pytest

from minigan import backend as B
from minigan.cli import main


def test_unknown_preset_exits_2_with_usage(capsys):
    with pytest.raises(SystemExit) as e:
        main(["train", "no-such-preset"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "usage: minigan train" in err and "no-such-preset" in err and "gaussian1d" in err


@pytest.mark.parametrize("argv", [["train", "--steps", "abc"], ["train", "--steps", "0"],
                                  ["train", "--bogus"], ["train", "--backend", "tpu"], []])
def test_bad_flags_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    assert "usage:" in capsys.readouterr().err


@pytest.mark.skipif(B.gpu_available(), reason="a GPU works here")
def test_unavailable_backend_exits_2_with_reason(capsys):
    assert main(["train", "--backend", "cupy", "--steps", "1"]) == 2
    err = capsys.readouterr().err
    assert "backend 'cupy' requested but unavailable" in err


def test_train_writes_metrics_and_pictures(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "gaussian1d", "--out", str(out), "--steps", "40", "--seed", "3",
                 "--quiet"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    for key in ("generated_mean", "generated_std", "wasserstein_1d", "steps", "seconds", "backend"):
        assert key in metrics
    assert metrics["steps"] == 40 and metrics["seed"] == 3
    assert json.loads(capsys.readouterr().out)["steps"] == 40
    for name in ("histogram.png", "losses.png"):
        assert (out / name).read_bytes()[:4] == b"\x89PNG"


def test_info_and_presets(capsys):
    assert main(["info"]) == 0
    text = capsys.readouterr().out
    assert "numpy:" in text and "backend: numpy" in text and "cupy:" in text
    assert main(["presets"]) == 0
    assert "gaussian1d" in capsys.readouterr().out


def test_gradcheck_command_prints_a_table_for_every_layer(capsys):
    assert main(["gradcheck"]) == 0
    text = capsys.readouterr().out
    for needed in ("Linear(5, 3)", "Conv2d", "ConvTranspose2d", "BatchNorm2d(3) eval", "ELU",
                   "bce_with_logits", "rel. error", "all 21 layers and losses passed"):
        assert needed in text, needed
    assert "FAIL" not in text


def test_module_entry_point_runs():
    r = subprocess.run([sys.executable, "-m", "minigan", "presets"], capture_output=True, text=True)
    assert r.returncode == 0 and "gaussian1d" in r.stdout
