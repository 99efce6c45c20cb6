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
                                  ["train", "--bogus"], ["train", "--backend", "tpu"],
                                  ["train", "cyclegan-digits", "--patch-layers", "0"], []])
def test_bad_flags_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "usage:" in err
    if "--patch-layers" in argv:            # the flag is named with what it takes
        assert "--patch-layers" in err and "0" in err


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
    for name in ("samples.png", "losses.png", "diagnostics.png"):
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
    from minigan import nn
    from minigan.gradcheck import run_standard_suite
    n = len(run_standard_suite())
    for needed in ("Linear(5, 3)", "Conv2d", "ConvTranspose2d", "BatchNorm2d(3) eval", "ELU",
                   "Tanh (second order)", "bce_with_logits", "rel. error", f"all {n} checks passed"):
        assert needed in text, needed
    for cls in nn.public_layers():
        assert cls.__name__ in text, cls.__name__
    assert "FAIL" not in text


def test_module_entry_point_runs():
    r = subprocess.run([sys.executable, "-m", "minigan", "presets"], capture_output=True, text=True)
    assert r.returncode == 0 and "gaussian1d" in r.stdout


# ---------------------------------------------------------------- train and sample: usage errors

@pytest.mark.parametrize("argv,word", [
    (["train", "--seed", "-1"], "non-negative integer seed"),
    (["train", "--objective", "gan++"], "invalid choice"),
    (["train", "--batch-size", "0"], "an integer >= 2"),
    (["train", "--lr", "nan"], "positive learning rate"),
    (["train", "--beta1", "1.5"], "[0, 1)"),
    (["train", "--steps", "3", "--epochs", "2"], "not allowed with"),
    (["sample"], "required"),
])
def test_bad_train_and_sample_flags_exit_2(argv, word, capsys):
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "usage:" in err and word in err, err


def _out_cases(tmp_path):
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    return [(str(a_file), "exists and is not a folder"), ("/dev/null", "exists and is not a folder"),
            ("", "empty"), (str(a_file / "sub"), "cannot be created"),
            (str(locked / "run"), "cannot be created")]


def test_unusable_out_folders_exit_2_with_usage(tmp_path, capsys):
    import os
    for out, why in _out_cases(tmp_path):
        if os.geteuid() == 0 and "locked" in out:
            continue                     # root writes anywhere
        assert main(["train", "--steps", "2", "--quiet", "--out", out]) == 2, out
        err = capsys.readouterr().err
        assert "usage: minigan train" in err and why in err and "Traceback" not in err, (out, err)


def test_resume_problems_exit_2(tmp_path, capsys):
    assert main(["train", "--resume", str(tmp_path / "nope"), "--quiet"]) == 2
    assert "no checkpoint to resume" in capsys.readouterr().err
    assert main(["train", "gaussian1d", "--steps", "3", "--quiet", "--out", str(tmp_path / "g")]) == 0
    capsys.readouterr()
    assert main(["train", "ring8", "--resume", str(tmp_path / "g"), "--quiet"]) == 2
    assert "checkpoint of preset 'gaussian1d', not 'ring8'" in capsys.readouterr().err
    assert main(["train", "--resume", str(tmp_path / "g"), "--lr", "0.1", "--quiet"]) == 2
    assert "cannot change lr when resuming" in capsys.readouterr().err
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "checkpoint.npz").write_bytes(b"garbage")
    assert main(["train", "--resume", str(tmp_path / "bad"), "--quiet"]) == 2
    assert "not a .npz archive" in capsys.readouterr().err
    assert main(["train", "--resume", str(tmp_path / "g"), "--steps", "6", "--quiet"]) == 0
    assert json.loads((tmp_path / "g" / "metrics.json").read_text())["steps"] == 6


def test_sample_command(tmp_path, capsys):
    assert main(["train", "ring8", "--steps", "5", "--quiet", "--out", str(tmp_path / "r")]) == 0
    assert main(["sample", str(tmp_path / "r"), "--n", "100", "--out", str(tmp_path / "s.npy")]) == 0
    import numpy as np
    assert np.load(tmp_path / "s.npy").shape == (100, 2)
    assert main(["sample", str(tmp_path / "r"), "--out", str(tmp_path / "s.png")]) == 0
    assert main(["sample", str(tmp_path / "r"), "--label", "3", "--out", str(tmp_path / "t.npy")]) == 2
    assert main(["sample", str(tmp_path / "nothing"), "--out", str(tmp_path / "t.npy")]) == 2
    assert "no checkpoint" in capsys.readouterr().err


def test_ctrl_c_saves_a_checkpoint_and_exits_130(tmp_path):
    import os
    import signal
    import time
    out = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "minigan", "train", "gaussian1d", "--steps",
                             "1000000", "--quiet", "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONPATH=os.getcwd()))
    deadline = time.time() + 60
    while not (out / "checkpoint.npz").exists() and time.time() < deadline:
        time.sleep(0.2)              # the first checkpoint (step 500) means training runs
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    lines = [line for line in err.strip().splitlines() if "interrupted" in line]
    assert len(lines) == 1 and "checkpoint saved" in lines[0] and "--resume" in lines[0], err
    from minigan.gan import load_checkpoint
    step = load_checkpoint(str(out / "checkpoint.npz"))["step"]
    assert f"interrupted at step {step};" in lines[0]


def test_conditional_flag_trains_by_class_and_needs_labels(tmp_path, capsys):
    run = tmp_path / "c"
    assert main(["train", "dcgan-digits", "--conditional", "--steps", "3", "--batch-size", "8",
                 "--quiet", "--out", str(run)]) == 0
    assert json.loads((run / "metrics.json").read_text())["config"]["conditional"] is True
    assert main(["sample", str(run), "--n", "4", "--label", "7", "--out", str(tmp_path / "s.npy")]) == 0
    import numpy as np
    assert np.load(tmp_path / "s.npy").shape == (4, 1, 8, 8)
    assert main(["train", "ring8", "--conditional", "--steps", "3", "--out", str(tmp_path / "r")]) == 2
    assert "labelled data" in capsys.readouterr().err
