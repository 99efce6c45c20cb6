"""Checkpoints: models, optimizers and the step, in one .npz written atomically.

Format: a NumPy ``.npz`` (no pickle) with keys
    model/<name>/<state_dict key>      arrays of each model's state_dict
    optim/<name>/<slot key>            each optimizer's per-parameter state arrays
    __meta__                           a JSON string: step, optimizer hyperparameters, user info

Writing goes to a temporary file in the same folder which is then renamed over
the target (``os.replace`` is atomic), so a crash mid-write never leaves a
half-written checkpoint: the previous one stays intact. Loading uses
``allow_pickle=False``: a checkpoint can never execute code.
"""
from __future__ import annotations

import json
import os
import tempfile

import numpy

from ..backend import to_numpy

FORMAT_VERSION = 1


def save_checkpoint(path, models: dict, optimizers: dict | None = None, step: int = 0,
                    meta: dict | None = None) -> str:
    """Write models' and optimizers' state to ``path`` atomically; returns the path."""
    arrays = {}
    info = {"format": FORMAT_VERSION, "step": int(step), "meta": meta or {}, "optimizers": {}}
    for name, model in models.items():
        for key, value in model.state_dict().items():
            arrays[f"model/{name}/{key}"] = to_numpy(value)
    for name, opt in (optimizers or {}).items():
        sd = opt.state_dict()
        info["optimizers"][name] = {k: v for k, v in sd.items() if k != "state"}
        for key, value in sd["state"].items():
            arrays[f"optim/{name}/{key}"] = to_numpy(value)
    arrays["__meta__"] = numpy.array(json.dumps(info))
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            numpy.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def load_checkpoint(path) -> dict:
    """Read a checkpoint into {"step", "meta", "models": {name: state}, "optimizers": {name: state}}."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"checkpoint {path!r} does not exist")
    with numpy.load(path, allow_pickle=False) as z:
        if "__meta__" not in z.files:
            raise ValueError(f"{path!r} is not a minigan checkpoint (no __meta__ entry)")
        info = json.loads(str(z["__meta__"]))
        models, optim_state = {}, {}
        for key in z.files:
            if key == "__meta__":
                continue
            kind, name, rest = key.split("/", 2)
            if kind == "model":
                models.setdefault(name, {})[rest] = z[key]
            elif kind == "optim":
                optim_state.setdefault(name, {})[rest] = z[key]
    optimizers = {}
    for name, hyper in info.get("optimizers", {}).items():
        optimizers[name] = dict(hyper, state=optim_state.get(name, {}))
    return {"step": info["step"], "meta": info.get("meta", {}), "models": models,
            "optimizers": optimizers}


def restore(checkpoint: dict, models: dict, optimizers: dict | None = None) -> int:
    """Load a checkpoint (from ``load_checkpoint``) into live models/optimizers; returns its step."""
    for name, model in models.items():
        if name not in checkpoint["models"]:
            raise KeyError(f"checkpoint has no model {name!r}; it has {sorted(checkpoint['models'])}")
        model.load_state_dict(checkpoint["models"][name])
    for name, opt in (optimizers or {}).items():
        if name not in checkpoint["optimizers"]:
            raise KeyError(f"checkpoint has no optimizer {name!r}")
        opt.load_state_dict(checkpoint["optimizers"][name])
    return int(checkpoint["step"])
