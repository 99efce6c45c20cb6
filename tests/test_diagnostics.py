"""The failure-mode warnings: each rule fires on a history that shows its failure, stays
quiet on a healthy one, fires once per run, and reaches metrics.json and the log."""
import math

import pytest

from minigan.gan import get_objective
from minigan.gan.diagnostics import COLUMNS, History, check


def history(n=400, **cols):
    """A healthy logistic-GAN history, with the given columns replaced by constants or
    functions of the step."""
    base = dict(d_loss=1.3, d_real=0.65, d_fake=0.65, g_loss=0.75, acc_real=0.55, acc_fake=0.5,
                d_grad_norm=0.3, g_grad_norm=0.2, wasserstein=math.nan, diversity=0.95)
    base.update(cols)
    h = History()
    for step in range(1, n + 1):
        h.append({"step": step, **{k: (v(step) if callable(v) else v) for k, v in base.items()}})
    return h


def kinds(h, objective="nonsaturating", already=()):
    return [w.kind for w in check(h, get_objective(objective), set(already))]


def test_a_healthy_run_raises_nothing():
    assert kinds(history()) == []
    assert kinds(history(), "lsgan") == []


@pytest.mark.parametrize("cols,kind", [
    (dict(d_loss=0.001), "d_loss_zero"),
    (dict(d_fake=lambda s: 0.5 if s < 350 else 8.0), "d_fake_rising"),
    (dict(acc_real=1.0, acc_fake=0.0), "d_all_real"),
    (dict(acc_real=0.0, acc_fake=1.0), "d_all_fake"),
    (dict(diversity=0.02), "mode_collapse"),
])
def test_each_failure_mode_is_recognised(cols, kind):
    assert kind in kinds(history(**cols))


def test_each_warning_fires_once_and_not_during_the_warm_up():
    h = history(diversity=0.01)
    assert kinds(h) == ["mode_collapse"]
    assert kinds(h, already={"mode_collapse"}) == []
    assert kinds(history(n=150, diversity=0.01)) == []          # first 200 steps: warm-up


def test_wasserstein_critics_are_not_judged_by_accuracy_or_loss_level():
    h = history(d_loss=-0.001, acc_real=1.0, acc_fake=0.0)
    assert kinds(h, "wgan") == [] and kinds(h, "wgan-gp") == []
    # the hinge loss is >= 0 and has a threshold (0): both rules apply to it
    assert kinds(history(d_loss=0.0, acc_real=1.0, acc_fake=0.0), "hinge") == ["d_loss_zero",
                                                                                 "d_all_real"]


def test_history_round_trips_through_csv(tmp_path):
    h = history(n=5)
    path = h.to_csv(tmp_path / "h.csv")
    lines = open(path).read().splitlines()
    assert lines[0] == ",".join(COLUMNS) and len(lines) == 6
    assert lines[1].split(",")[0] == "1" and lines[1].split(",")[COLUMNS.index("wasserstein")] == ""


def test_warnings_reach_the_log_and_metrics(tmp_path, capsys):
    import json
    from minigan.presets import run
    # a G that learns 5000x faster than D: it runs past D, which calls everything real
    m = run("gaussian1d", out=str(tmp_path), progress=False, pictures=False,
            overrides={"steps": 400, "lr": 0.5, "lr_d": 1e-4, "checkpoint_every": 1000})
    assert m["warnings"], m
    assert all({"step", "kind", "message"} <= set(w) for w in m["warnings"])
    on_disk = json.loads((tmp_path / "metrics.json").read_text())["warnings"]
    assert on_disk == m["warnings"]
    err = capsys.readouterr().err
    assert f"warning at step {m['warnings'][0]['step']} ({m['warnings'][0]['kind']})" in err
