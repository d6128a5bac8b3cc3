"""Source notebooks: saved clean and lint-free."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from dl4cv.course import notebooks
from dl4cv.course.lint import lint_course

from .conftest import ROOT

SOURCE_NOTEBOOKS = sorted((ROOT / "source").glob("*/*.ipynb"))


def test_course_sources_are_lint_free():
    assert lint_course(root=ROOT) == []


@pytest.mark.parametrize("path", SOURCE_NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_source_notebook_has_no_outputs(path: Path):
    assert not notebooks.has_outputs(notebooks.read(path)), f"{path}: clear outputs before committing"


# Each source notebook's fast-mode run, solutions and hidden tests included, is checked where it
# already happens: the pipeline grades the instructor's solution as the student `reference`
# (tests/test_pipeline.py::test_every_reference_notebook_runs_without_any_error).


def _calls(path: Path, name: str) -> list[ast.Call]:
    """Every call of `name` in the notebook's code cells (IPython magics left out)."""
    found = []
    for cell in notebooks.read(path).cells:
        if cell.cell_type != "code":
            continue
        code = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        for node in ast.walk(ast.parse(code)):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == name:
                found.append(node)
    return found


@pytest.mark.parametrize("path", SOURCE_NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_no_loop_check_watches_the_function_run(path: Path):
    """A source scan alone misses `sum(x)`, `zip`, `itertools`, `.tolist()`: each notebook check
    passes inputs, so the rule also compares what runs at two batch sizes."""
    bare = [node.lineno for node in _calls(path, "assert_no_loops")
            if len(node.args) < 2 and not any(k.arg == "inputs" for k in node.keywords)]  # fmt: skip
    assert not bare, f"{path.name}: assert_no_loops without inputs (cell lines {bare})"
    assert not _calls(path, "count_loops"), f"{path.name}: count a teaching version's loops with assert_loops"
