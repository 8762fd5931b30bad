"""The notebooks run top to bottom (small size) and draw their figures; git holds no outputs."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CELL_TIMEOUT_S = 120


def test_there_are_notebooks() -> None:
    """The four of the README."""
    assert [p.stem[:2] for p in NOTEBOOKS] == ["01", "02", "03", "04"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_stored_without_outputs(path: Path) -> None:
    """No outputs and no execution counts in git (nbstripout strips them on commit)."""
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert not cell.outputs, f"{path.name}: a cell has outputs"
            assert cell.execution_count is None, f"{path.name}: a cell has an execution count"


# Notebook 02's prose about its runs is written by its cells (IPython Markdown), so that it cannot
# go stale: its fixed Markdown names no node, time or operation.
ALT_TEXT = ("02", "03")
RUN_FACTS = re.compile(r"\bn\d+\b|\d+(?:\.\d+)?\s*m?s\b|\b\d{2,}\b")


def test_prose_about_runs_comes_from_the_runs() -> None:
    """No node name (n1), time (1000 ms) or operation number (928) in 02's fixed Markdown."""
    notebook = nbformat.read(ROOT / "notebooks" / "02-majority-quorums.ipynb", as_version=4)
    for number, cell in enumerate(notebook.cells):
        if cell.cell_type == "markdown":
            assert not RUN_FACTS.findall(cell.source), (
                f"cell {number}: {RUN_FACTS.findall(cell.source)}"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_runs_and_draws(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Small size, in this environment's own Python: no error, and at least one figure."""
    monkeypatch.setenv("QUORUMSIM_NOTEBOOK_SIZE", "small")
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell("import sys; print(sys.prefix, SIZE)"))
    client = nbclient.NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    outputs = [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs]
    assert not [out for out in outputs if out.output_type == "error"]
    images = [out for out in outputs if "image/png" in out.get("data", {})]
    assert images, f"{path.name} drew no figure"
    if path.stem[:2] in ALT_TEXT:  # their figures are sim.plots': each shown with its alt text
        blind = [out for out in images if 'alt=""' in out["data"].get("text/html", 'alt=""')]
        assert not blind, f"{path.name}: {len(blind)} figures without alt text"
    assert notebook.cells[-1].outputs[0]["text"].split() == [sys.prefix, "small"]
