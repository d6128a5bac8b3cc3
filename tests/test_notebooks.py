"""Source notebooks: saved clean, lint-free, and every one runs top to bottom in fast mode."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from dl4cv.course import notebooks
from dl4cv.course.lint import lint_course

from .conftest import ROOT

SOURCE_NOTEBOOKS = sorted((ROOT / "source").glob("*/*.ipynb"))


def test_course_sources_are_lint_free():
    assert lint_course(root=ROOT) == []


@pytest.mark.parametrize("path", SOURCE_NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_source_notebook_has_no_outputs(path: Path):
    assert not notebooks.has_outputs(notebooks.read(path)), f"{path}: clear outputs before committing"


@pytest.mark.slow
@pytest.mark.xdist_group("notebooks")
@pytest.mark.parametrize("path", SOURCE_NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_source_notebook_runs_in_fast_mode(path: Path, course: Path, monkeypatch):
    """The instructor notebook (solutions and hidden tests included) runs with no error."""
    monkeypatch.setenv("DL4CV_FAST", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setenv("JUPYTER_PATH", str(Path(sys.prefix) / "share" / "jupyter"))
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"])
    workdir = course / "source" / path.parent.name
    nb = nbformat.read(str(workdir / path.name), as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, f"{path.name}: {errors[0].ename}: {errors[0].evalue}" if errors else ""
