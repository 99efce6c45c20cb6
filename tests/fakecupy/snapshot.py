"""The real CuPy's API as recorded in ``api_snapshot.json`` (see make_snapshot.py).

The fake consults it for two things: which names may exist at all (module
attributes, ndarray methods, ``random.Generator`` methods) and which keyword
arguments a function or method accepts (``ndarray.max`` has no ``initial``).
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

PATH = Path(__file__).with_name("api_snapshot.json")


@lru_cache(maxsize=1)
def load() -> dict:
    with open(PATH) as f:
        return json.load(f)


def version() -> str:
    return load()["cupy_version"]


def module_names(module: str) -> dict:
    """{name: entry} of a module such as "cupy" or "cupy.random"."""
    return load()["modules"][module]


def class_names(cls: str) -> dict:
    """{name: entry} of a class such as "cupy.ndarray" or "cupy.random.Generator"."""
    return load()["classes"][cls]


def signature(owner: str, name: str, is_class: bool = False):
    """{"params", "varargs", "varkw"} or None when the snapshot has no signature."""
    table = class_names(owner) if is_class else module_names(owner)
    entry = table.get(name)
    return None if entry is None else entry.get("signature")
