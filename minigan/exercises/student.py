"""Reading a student's exercise file: a clear message for every way it can fail to load,
never a traceback.

The file is parsed first (a syntax error names its line), then checked for imports of
minigan (an exercise that calls minigan's own op would check minigan against itself),
then executed as a fresh module; the functions of its exercise must exist with the
op's argument names.
"""
from __future__ import annotations

import ast
import inspect
import os
import re
import traceback
import types

from .catalogue import EXERCISES

MARKER = re.compile(r"^#\s*minigan exercise:\s*([A-Za-z0-9_]+)\s*$", re.M)


class CheckError(Exception):
    """The file cannot be judged (missing, not Python, no such exercise, wrong functions):
    exit status 2."""


class StudentError(Exception):
    """The student's code failed while being judged (raised, returned the wrong thing):
    a failed check, exit status 1."""


def read_source(path: str) -> str:
    if not os.path.exists(path):
        raise CheckError(f"{path!r} does not exist: expected an exercise file written by "
                         f"`minigan exercise NAME`")
    if os.path.isdir(path):
        raise CheckError(f"{path!r} is a folder: expected an exercise file (.py)")
    if not path.endswith(".py"):
        raise CheckError(f"{path!r} is not a Python file: expected a .py file written by "
                         f"`minigan exercise NAME`")
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except UnicodeDecodeError:
        raise CheckError(f"{path!r} is not a text file: expected Python source") from None


def exercise_of(source: str, path: str, name: str | None = None):
    """The exercise a file is for: ``name`` if given, else its ``# minigan exercise: NAME``
    line, else the one whose functions it defines."""
    if name is None:
        m = MARKER.search(source)
        if m:
            name = m.group(1)
    if name is not None:
        if name not in EXERCISES:
            raise CheckError(f"unknown exercise {name!r}; the exercises are: "
                             f"{', '.join(EXERCISES)}")
        return EXERCISES[name]
    try:
        defined = {n.name for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)}
    except SyntaxError:
        defined = set()
    for ex in EXERCISES.values():
        if set(ex.functions) <= defined:
            return ex
    raise CheckError(f"{path!r} does not say which exercise it is (no '# minigan exercise: "
                     f"NAME' line) and defines none of their functions; give --exercise NAME "
                     f"(one of {', '.join(EXERCISES)})")


def _imports_minigan(tree) -> int | None:
    """The line of the first import of minigan, or of a string naming it passed to a call
    (importlib.import_module("minigan...")), or None."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            if any(a.name.split(".")[0] == "minigan" for a in node.names):
                return node.lineno
        elif isinstance(node, ast.ImportFrom):
            if (node.module or "").split(".")[0] == "minigan":
                return node.lineno
        elif isinstance(node, ast.Call):
            for arg in node.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str) \
                        and arg.value.split(".")[0] == "minigan":
                    return node.lineno
    return None


def where_in(path: str, exc: BaseException) -> str:
    """' (line N of FILE: `code`)' for the deepest frame of ``exc`` inside the student's
    file, or '' when it was raised elsewhere."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if os.path.abspath(f.filename) == os.path.abspath(path)]
    if not frames:
        return ""
    f = frames[-1]
    code = f" `{f.line.strip()}`" if f.line else ""
    return f" (line {f.lineno} of {os.path.basename(path)}:{code})"


def load(path: str, name: str | None = None):
    """(exercise, module namespace) for a student's file; CheckError with the reason
    when it cannot be judged."""
    source = read_source(path)
    ex = exercise_of(source, path, name)
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as exc:
        text = f": `{exc.text.strip()}`" if exc.text else ""
        raise CheckError(f"{path!r} has a syntax error on line {exc.lineno}{text} "
                         f"({exc.msg})") from None
    line = _imports_minigan(tree)
    if line is not None:
        raise CheckError(f"{path!r} imports minigan (line {line}): an exercise must compute with "
                         f"NumPy alone, or minigan would be checked against itself")
    module = types.ModuleType(f"minigan_exercise_{ex.name}")
    module.__file__ = os.path.abspath(path)
    try:
        exec(compile(tree, path, "exec"), module.__dict__)
    except Exception as exc:           # noqa: BLE001 - any error in the student's module
        raise CheckError(f"running {path!r} raised {type(exc).__name__}: {exc}"
                         f"{where_in(path, exc)}") from None
    for fname, args in ((ex.forward, ex.forward_args), (ex.backward, ex.backward_args)):
        fn = module.__dict__.get(fname)
        if not callable(fn):
            raise CheckError(f"{path!r} has no function {fname}({', '.join(args)}): the "
                             f"{ex.name} exercise expects it")
        try:
            params = list(inspect.signature(fn).parameters)
        except (TypeError, ValueError):
            params = None
        if params != list(args):
            found = "(" + ", ".join(params) + ")" if params is not None else " (no signature)"
            raise CheckError(f"{path!r}: expected {fname}({', '.join(args)}), found "
                             f"{fname}{found}: keep the op's arguments as the exercise gives them")
    return ex, module
