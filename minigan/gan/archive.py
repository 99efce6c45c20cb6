"""The checkpoint file: models, optimizers, extra arrays and the step, in one .npz written
atomically and read without pickle. (What a training run puts in it: checkpoint.py.)

Format (version 1): a NumPy ``.npz`` (no pickle) with keys
    model/<name>/<state_dict key>      arrays of each model's state_dict
    optim/<name>/<slot key>            each optimizer's per-parameter state arrays
    extra/<name>                       any other arrays the caller saves (e.g. EMA weights)
    __meta__                           a JSON string: format, step, optimizer hyperparameters,
                                       and the caller's ``meta`` (config, RNG states, ...)

Writing goes to a temporary file ``.tmp-<name>-*`` in the same folder which is
then renamed over the target (``os.replace`` is atomic), so a crash mid-write
never leaves a half-written checkpoint: the previous one stays intact, and the
next save removes temporary files a killed run left behind. The file gets the
mode the user's umask gives new files. Loading uses ``allow_pickle=False``: a
checkpoint can never execute code, and anything that is not a minigan
checkpoint of a known format version raises :class:`CheckpointError` naming the
file and what is wrong.
"""
from __future__ import annotations

import glob
import json
import os
import re
import tempfile
import zipfile

import numpy

from ..backend import to_numpy

FORMAT_VERSION = 1
_KEY = re.compile(r"^(model|optim)/([^/]+)/(.+)$|^extra/(.+)$")


class CheckpointError(ValueError):
    """A file that cannot be read as a minigan checkpoint; the message names it and says why."""

    def __init__(self, path, problem):
        super().__init__(f"checkpoint {os.fspath(path)!r}: {problem}")
        self.path, self.problem = os.fspath(path), problem


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _tmp_prefix(path: str) -> str:
    return f".tmp-{os.path.basename(path)}-"


def remove_orphans(path) -> list:
    """Delete temporary files a killed save of ``path`` left in its folder; returns them."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    gone = []
    for tmp in glob.glob(os.path.join(glob.escape(folder), glob.escape(_tmp_prefix(path)) + "*")):
        try:
            os.unlink(tmp)
            gone.append(tmp)
        except OSError:
            pass
    return gone


class NonFiniteState(ValueError):
    """A model to be checkpointed holds NaN or infinite values (nothing was written)."""


def save_checkpoint(path, models: dict, optimizers: dict | None = None, step: int = 0,
                    meta: dict | None = None, arrays: dict | None = None,
                    require_finite: bool = False) -> str:
    """Write models' and optimizers' state (and ``arrays``) to ``path`` atomically; returns
    the path. ``meta`` must be JSON-serialisable (numbers, strings, lists, dicts).
    ``require_finite``: refuse (NonFiniteState, nothing written) when a model's arrays hold
    NaN or Inf, so a diverged model never replaces a good checkpoint; the arrays are on the
    host for writing anyway, so the check costs no device sync."""
    out = {}
    info = {"format": FORMAT_VERSION, "step": int(step), "meta": meta or {}, "optimizers": {}}
    for name, model in models.items():
        for key, value in model.state_dict().items():
            host = to_numpy(value)
            if require_finite and host.dtype.kind == "f" and not numpy.isfinite(host).all():
                raise NonFiniteState(f"checkpoint {os.fspath(path)!r} not written: model {name!r} "
                                     f"holds non-finite values in {key!r}")
            out[f"model/{name}/{key}"] = host
    for name, opt in (optimizers or {}).items():
        sd = opt.state_dict()
        info["optimizers"][name] = {k: v for k, v in sd.items() if k != "state"}
        for key, value in sd["state"].items():
            out[f"optim/{name}/{key}"] = to_numpy(value)
    for name, value in (arrays or {}).items():
        out[f"extra/{name}"] = to_numpy(value)
    out["__meta__"] = numpy.array(json.dumps(info))
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    remove_orphans(path)
    fd, tmp = tempfile.mkstemp(prefix=_tmp_prefix(path), suffix=".npz", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            numpy.savez(f, **out)
            f.flush()
            os.fsync(f.fileno())
        # mkstemp creates 0600 files; a checkpoint is an ordinary file of the user's
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def _sniff(path: str) -> None:
    """Refuse what is not a zip archive before NumPy sees it (NumPy would otherwise try to
    unpickle it and suggest allow_pickle=True, which must never be the fix)."""
    if os.path.isdir(path):
        raise CheckpointError(path, "is a directory, not a checkpoint file "
                                    "(a run folder holds checkpoint.npz)")
    with open(path, "rb") as f:
        head = f.read(6)
    if not head:
        raise CheckpointError(path, "is an empty file")
    if head.startswith(b"\x93NUMPY"):
        raise CheckpointError(path, "is a single-array .npy file, not a checkpoint (.npz archive)")
    if not head.startswith(b"PK\x03\x04"):
        raise CheckpointError(path, "is not a .npz archive (wrong file type or corrupt)")


def load_checkpoint(path) -> dict:
    """Read a checkpoint into {"step", "meta", "models": {name: state}, "optimizers": {name:
    state}, "arrays": {name: array}}; every array is a NumPy array (load it onto a device
    with ``restore`` or ``load_state_dict``)."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"checkpoint {path!r} does not exist")
    _sniff(path)
    try:
        z = numpy.load(path, allow_pickle=False)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        raise CheckpointError(path, f"is truncated or corrupt ({type(exc).__name__})") from None
    with z:
        files = list(z.files)
        if "__meta__" not in files:
            raise CheckpointError(path, "is not a minigan checkpoint (no __meta__ entry)")
        entries = {}
        for key in files:
            try:
                entries[key] = z[key]
            except ValueError:
                raise CheckpointError(path, f"entry {key!r} holds Python objects (pickled data), "
                                            f"which minigan never loads") from None
            except (zipfile.BadZipFile, EOFError, OSError, KeyError) as exc:
                raise CheckpointError(path, f"entry {key!r} is truncated or corrupt "
                                            f"({type(exc).__name__})") from None
            if not isinstance(entries[key], numpy.ndarray):   # a zip member that is not .npy
                raise CheckpointError(path, f"entry {key!r} is truncated or corrupt (not an array)")
    info = _parse_meta(path, entries.pop("__meta__"))
    models, optim_state, arrays = {}, {}, {}
    for key, value in entries.items():
        m = _KEY.match(key)
        if m is None:
            raise CheckpointError(path, f"has a malformed entry {key!r} (expected model/<name>/<key>, "
                                        f"optim/<name>/<key> or extra/<name>)")
        if value.dtype.kind not in "biuf":
            raise CheckpointError(path, f"entry {key!r} has dtype {value.dtype}, not numbers")
        kind, name, rest, extra = m.groups()
        if extra is not None:
            arrays[extra] = value
        elif kind == "model":
            models.setdefault(name, {})[rest] = value
        else:
            optim_state.setdefault(name, {})[rest] = value
    optimizers = {name: dict(hyper, state=optim_state.get(name, {}))
                  for name, hyper in info["optimizers"].items()}
    return {"step": info["step"], "meta": info["meta"], "models": models,
            "optimizers": optimizers, "arrays": arrays, "path": path}


def _parse_meta(path, raw) -> dict:
    if raw.dtype.kind != "U" or raw.ndim != 0:
        raise CheckpointError(path, f"its __meta__ entry is not a JSON string (dtype {raw.dtype})")
    try:
        info = json.loads(str(raw))
    except json.JSONDecodeError as exc:
        raise CheckpointError(path, f"its __meta__ record is not valid JSON ({exc.msg})") from None
    if not isinstance(info, dict):
        raise CheckpointError(path, "its __meta__ record is not a JSON object")
    version = info.get("format")
    if version != FORMAT_VERSION:
        raise CheckpointError(path, f"has format version {version!r}; this minigan reads version "
                                    f"{FORMAT_VERSION} (written by another minigan?)")
    step = info.get("step")
    if isinstance(step, bool) or not isinstance(step, int) or step < 0:
        raise CheckpointError(path, f"its __meta__ record has an invalid step {step!r}")
    if not isinstance(info.get("meta", {}), dict):
        raise CheckpointError(path, "its __meta__ record has a 'meta' that is not an object")
    opts = info.get("optimizers", {})
    if not isinstance(opts, dict) or not all(isinstance(v, dict) for v in opts.values()):
        raise CheckpointError(path, "its __meta__ record has malformed optimizer entries")
    info.setdefault("meta", {})
    info["optimizers"] = opts
    return info


def restore(checkpoint: dict, models: dict, optimizers: dict | None = None) -> int:
    """Load a checkpoint (from ``load_checkpoint``) into live models/optimizers; returns its step.
    A model or optimizer the checkpoint lacks, or whose arrays do not fit, raises
    :class:`CheckpointError` naming the file."""
    path = checkpoint.get("path", "<checkpoint>")
    for kind, live, saved in (("model", models, checkpoint["models"]),
                              ("optimizer", optimizers or {}, checkpoint["optimizers"])):
        for name, obj in live.items():
            if name not in saved:
                raise CheckpointError(path, f"has no {kind} {name!r}; it has {sorted(saved)}")
            try:
                obj.load_state_dict(saved[name])
            except (KeyError, ValueError, TypeError) as exc:
                raise CheckpointError(path, f"{kind} {name!r} does not fit: {exc}") from None
    return int(checkpoint["step"])
