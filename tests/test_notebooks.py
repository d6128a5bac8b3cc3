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


def _code_lines(text: str) -> list[str]:
    """Lines that carry a check: stripped, long enough to mean something, no comments or imports."""
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if len(line) >= 30 and not line.startswith(("#", "import ", "from "))]


def test_no_check_of_a_notebook_is_copied_into_a_test_file():
    """A check is written once, in the notebook's hidden test: two consecutive lines of a
    graded cell found again in a test file mean a copy that can drift from the original."""
    windows = {}
    for path in SOURCE_NOTEBOOKS:
        for cell in notebooks.graded_cells(notebooks.read(path)):
            lines = _code_lines(cell.source)
            for i in range(len(lines) - 1):
                windows[tuple(lines[i:i + 2])] = f"{path.relative_to(ROOT)} {notebooks.grade_id(cell)}"
    copies = []
    for test_file in sorted([*ROOT.glob("tests/*.py"), *ROOT.glob("assignments/*/test_*.py")]):
        lines = _code_lines(test_file.read_text(encoding="utf-8"))
        copies += [f"{test_file.relative_to(ROOT)}:{lines[i]!r} copies {windows[tuple(lines[i:i + 2])]}"
                   for i in range(len(lines) - 1) if tuple(lines[i:i + 2]) in windows]  # fmt: skip
    assert copies == []
