"""Every demo also runs as a notebook: jupytext turns demos/NAME.py (the "percent" format)
into a notebook and nbclient executes it, cell by cell, in a fresh Jupyter kernel.

Inside a kernel a demo reads its arguments from $MINIGAN_DEMO_ARGS (its sys.argv is the
kernel's own), here ``--quick --out TMP``. The summary the notebook prints last must equal
OUT/summary.json and pass the same bounds as the script's run in tests/test_demos.py
(``check_NAME``); a demo without such a check there (tests of its own elsewhere) must
still print its summary. The demos are found by glob, so a new one is picked up.

Needs the notebook extra (``pip install -e ".[notebook]"``: jupytext, nbclient, ipykernel);
without it the tests skip.
"""
from __future__ import annotations

import json

import pytest

from tests import test_demos

jupytext = pytest.importorskip("jupytext", reason='the notebook extra: pip install -e ".[notebook]"')
nbclient = pytest.importorskip("nbclient", reason='the notebook extra: pip install -e ".[notebook]"')
pytest.importorskip("ipykernel", reason='the notebook extra: pip install -e ".[notebook]"')

DEMOS = test_demos.DEMOS
NAMES = sorted(p.stem for p in DEMOS.glob("*.py") if not p.name.startswith("_"))


def printed_lines(nb) -> list[str]:
    """The lines the notebook's cells wrote to standard output, in order."""
    lines = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stdout":
                lines.extend(output["text"].splitlines())
    return [line for line in lines if line.strip()]


def test_every_demo_is_a_notebook():
    """Each demo opens as cells: its docstring on top, then markdown and code cells."""
    assert len(NAMES) >= 14
    for name in NAMES:
        text = (DEMOS / f"{name}.py").read_text()
        assert text.startswith('"""'), f"{name}.py: the module docstring comes first"
        assert "\n# %% [markdown]\n" in text and "\n# %%\n" in text, f"{name}.py has no cells"
        nb = jupytext.reads(text, fmt="py:percent")
        kinds = [cell.cell_type for cell in nb.cells]
        assert kinds.count("markdown") >= 2 and kinds.count("code") >= 2, (name, kinds)


@pytest.mark.parametrize("name", NAMES)
def test_demo_runs_as_a_notebook(name, tmp_path, monkeypatch):
    check = getattr(test_demos, f"check_{name}", None)
    if getattr(check, "needs", None):
        pytest.importorskip(check.needs)
    out = tmp_path / name
    monkeypatch.setenv("MINIGAN_DEMO_ARGS", f"--quick --out {out}")
    for var in test_demos.THREADS:            # one BLAS thread, as for the scripts
        monkeypatch.setenv(var, "1")
    nb = jupytext.read(DEMOS / f"{name}.py", fmt="py:percent")
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(DEMOS)}})
    client.execute()
    lines = printed_lines(nb)
    assert lines, f"{name}: the notebook printed nothing"
    summary = json.loads(lines[-1])
    assert summary == json.loads((out / "summary.json").read_text())
    if check is not None:
        check(summary, out)
