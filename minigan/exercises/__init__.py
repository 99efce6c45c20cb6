"""Exercises that check a student's own backward pass: ``minigan exercise`` writes one,
``minigan check`` judges it (docs/exercises.md).

    from minigan import exercises
    exercises.names()                               # ['linear', 'relu', ...]
    exercises.write("linear", "linear.py")          # the forward given, the backward to write
    result = exercises.check("linear.py")           # judged against minigan and numerics
    print(result.text()); result.ok
"""
from __future__ import annotations

from .catalogue import EXERCISES, names
from .checker import Result, judge
from .student import CheckError, StudentError, load
from .writer import exercise_text, write_exercise


def write(name: str, path: str, forward: bool = False, solution: bool = False) -> str:
    if name not in EXERCISES:
        raise CheckError(f"unknown exercise {name!r}; the exercises are: {', '.join(EXERCISES)}")
    return write_exercise(name, path, forward=forward, solution=solution)


def check(path: str, exercise: str | None = None, seed: int = 0) -> Result:
    """Load the student's file and judge it; CheckError when it cannot be judged."""
    ex, module = load(path, exercise)
    return judge(ex, getattr(module, ex.forward), getattr(module, ex.backward), seed=seed,
                 path=path)


__all__ = ["EXERCISES", "names", "write", "check", "judge", "load", "Result", "CheckError",
           "StudentError", "exercise_text"]
