"""Regenerate ``api_snapshot.json``: the names (and keyword arguments) of the real CuPy's API.

The fake CuPy (``tests/fakecupy``) offers only names listed in the snapshot, and
its functions and methods accept only the keyword arguments the real ones
accept. Refresh it when a new CuPy comes out; ``import cupy`` needs no GPU:

    python -m venv /tmp/cupy-api && . /tmp/cupy-api/bin/activate
    pip install cupy-cuda12x            # or the wheel you target
    python tests/fakecupy/make_snapshot.py > tests/fakecupy/api_snapshot.json

Then run the test suite: a name the fake offers that CuPy dropped fails
``tests/test_fakecupy.py``.
"""
from __future__ import annotations

import inspect
import json
import re
import sys

import cupy

# The parts of CuPy minigan can reach. Each module's public names are recorded;
# each class's public methods and properties with their parameters.
MODULES = ["cupy", "cupy.random", "cupy.linalg", "cupy.lib", "cupy.lib.stride_tricks",
           "cupy.cuda", "cupy.cuda.runtime"]
CLASSES = ["cupy.ndarray", "cupy.random.Generator", "cupy.cuda.Stream", "cupy.cuda.Device",
           "cupy.flagsobj" if hasattr(cupy, "flagsobj") else "cupy._core.flags.Flags"]


def _resolve(path: str):
    obj = None
    parts = path.split(".")
    obj = __import__(parts[0])
    for p in parts[1:]:
        obj = getattr(obj, p)
    return obj


_DOC_SIG = re.compile(r"^[\w.]*?(\w+)\((.*)\)")


def _split_top(text: str) -> list:
    """Split a parameter list on the commas that are not inside brackets or quotes."""
    out, depth, cur, quote = [], 0, "", None
    for ch in text:
        if quote:
            cur += ch
            if ch == quote:
                quote = None
            continue
        if ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
            continue
        cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


def _params_from_text(text: str) -> dict:
    """{"params": [names...], "varargs": bool, "varkw": bool} from a text signature."""
    names, varargs, varkw = [], False, False
    for raw in _split_top(text):
        item = raw.replace("\\*", "*").split("=")[0].split(":")[0].strip()
        if item in ("", "/", "*"):
            continue
        if item.startswith("**"):
            varkw = True
            continue
        if item.startswith("*"):
            varargs = True
            continue
        name = item.split()[-1]          # Cython docs write "_ndarray_base b"
        if name not in ("self", "cls"):
            names.append(name)
    return {"params": names, "varargs": varargs, "varkw": varkw}


def signature(obj) -> dict | None:
    """Parameters of a callable: from inspect, else from the first docstring line."""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        sig = None
    if sig is not None:
        kinds = inspect.Parameter
        return {
            "params": [p.name for p in sig.parameters.values()
                       if p.kind not in (kinds.VAR_POSITIONAL, kinds.VAR_KEYWORD)
                       and p.name not in ("self", "cls")],
            "varargs": any(p.kind == kinds.VAR_POSITIONAL for p in sig.parameters.values()),
            "varkw": any(p.kind == kinds.VAR_KEYWORD for p in sig.parameters.values()),
        }
    doc = (getattr(obj, "__doc__", None) or "").strip()
    for line in doc.splitlines()[:3]:
        # ufuncs document themselves as "ufunc.__call__(...) add(x1, x2, /, out=None, ...)"
        line = line.replace("ufunc.__call__(self, *args, **kwargs)", "").strip()
        m = _DOC_SIG.match(line)
        if m:
            return _params_from_text(m.group(2))
    return None


def kind_of(obj) -> str:
    if inspect.ismodule(obj):
        return "module"
    if isinstance(obj, type):
        return "class"
    if type(obj).__name__ in ("ufunc", "_GUFunc"):
        return "ufunc"
    if callable(obj):
        return "function"
    return "constant"


def module_entry(mod) -> dict:
    out = {}
    for name in sorted(dir(mod)):
        if name.startswith("_"):
            continue
        try:
            obj = getattr(mod, name)
        except Exception:  # pragma: no cover - lazy attributes that fail without a GPU
            continue
        entry = {"kind": kind_of(obj)}
        if entry["kind"] in ("function", "ufunc"):
            entry["signature"] = signature(obj)
        out[name] = entry
    return out


def class_entry(cls) -> dict:
    out = {}
    for name in sorted(dir(cls)):
        if name.startswith("_") and not (name.startswith("__") and name.endswith("__")):
            continue
        raw = inspect.getattr_static(cls, name, None)
        obj = getattr(cls, name, None)
        if isinstance(raw, (property,)) or type(raw).__name__ in ("getset_descriptor",
                                                                   "member_descriptor"):
            out[name] = {"kind": "property"}
        elif callable(obj):
            out[name] = {"kind": "method", "signature": signature(obj)}
        else:
            out[name] = {"kind": "attribute"}
    return out


def main() -> int:
    modules = {m: module_entry(_resolve(m)) for m in MODULES}
    # Some classes resolve lazily and are missing from dir() (cupy.random.Generator).
    for c in CLASSES:
        owner, _, name = c.rpartition(".")
        if owner in modules and name not in modules[owner]:
            modules[owner][name] = {"kind": "class"}
    snap = {
        "cupy_version": cupy.__version__,
        "generated_by": "tests/fakecupy/make_snapshot.py",
        "modules": modules,
        "classes": {c if not c.startswith("cupy._core") else "cupy.flagsobj": class_entry(_resolve(c))
                    for c in CLASSES},
    }
    json.dump(snap, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
