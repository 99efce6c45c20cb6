"""Writing an exercise file from its worked answer (solutions/NAME.py).

The bodies between ``# -- backward --`` (or ``# -- forward --``) and ``# -- end --`` are
replaced by their ``# hint:`` lines and a ``raise NotImplementedError``; with
``solution=True`` only the marker lines go. ``THIS_FILE`` in the docstring becomes the
file's name.
"""
from __future__ import annotations

import os
import re

from .hints import solution_source

BEGIN = re.compile(r"^(\s*)# -- (forward|backward) --\s*$")
END = re.compile(r"^\s*# -- end --\s*$")
DEF = re.compile(r"^\s*def (\w+)\(")


def exercise_text(name: str, forward: bool = False, solution: bool = False,
                  filename: str | None = None) -> str:
    blank = {"backward"} | ({"forward"} if forward else set())
    out, region, fname = [], None, None
    for line in solution_source(name).splitlines():
        m = DEF.match(line)
        if m:
            fname = m.group(1)
        b = BEGIN.match(line)
        if b:
            region = (b.group(1), b.group(2) in blank and not solution)
            if region[1]:
                out.append(f"{region[0]}# ---- your code: write the "
                           f"{b.group(2)} pass here ----")
            continue
        if END.match(line):
            if region and region[1]:
                out.append(f'{region[0]}raise NotImplementedError("write {fname}")')
            region = None
            continue
        if region and region[1] and not line.strip().startswith("# hint:"):
            continue
        out.append(line)
    text = "\n".join(out) + "\n"
    return text.replace("THIS_FILE", filename or f"{name}.py")


def write_exercise(name: str, path: str, forward: bool = False, solution: bool = False) -> str:
    """Write the exercise (or its answer) to ``path`` atomically; returns the path."""
    text = exercise_text(name, forward, solution, os.path.basename(path))
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)
    return path
