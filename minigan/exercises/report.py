"""The checker's printout: one row per gradient with its two relative errors and the
verdict, then the first case where it goes wrong and a hint."""
from __future__ import annotations

from .verdict import RIGHT, SUSPICIOUS, verdict


def _e(x: float) -> str:
    # inf marks a gradient of the wrong shape (or None): no number can be compared
    return "-" if x != x else ("shape" if x == float("inf") else f"{x:.1e}")


def text(result) -> str:
    ex = result.exercise
    lines = [f"exercise {ex.name}: {ex.title}  ({ex.math})",
             f"{result.cases} cases, float64. Relative error against minigan's op: "
             f"max |a-b| / (|a|+|b|), < {RIGHT:g} right, < {SUSPICIOUS:g} suspicious, "
             f"above wrong; against central differences: max |a-n| / max |n|"]
    if result.problem:
        lines += ["", f"FAILED: {result.problem}"]
        return "\n".join(lines)
    head = f"  {'':<10} {'vs minigan':>11} {'vs numerical':>13}  verdict"
    lines += ["", head]
    fv = verdict(result.forward_error)
    lines.append(f"  {'y (fwd)':<10} {_e(result.forward_error):>11} {'':>13}  {fv}")
    for g in result.grads:
        lines.append(f"  {g.name:<10} {_e(g.error):>11} {_e(g.numerical):>13}  {g.verdict}")
    lines.append("")
    if fv != "right":
        lines.append(f"the forward differs from minigan's, first at {result.forward_first_bad}: "
                     f"fix it first, the gradients are judged against minigan's forward")
    for g in result.grads:
        if g.verdict != "right":
            lines.append(f"{g.name} is {g.verdict}, first at: {g.first_bad}")
            if g.hint:
                lines.append(f"  hint: {g.hint}")
    if result.ok:
        lines.append(f"all right: every gradient of {ex.name} agrees with minigan's op and "
                     f"with central differences")
    else:
        lines.append(f"not yet: {', '.join(result.wrong() or ['the forward'])} to fix")
    return "\n".join(lines)
