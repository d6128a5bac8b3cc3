"""Source notebooks: saved clean and lint-free."""

from __future__ import annotations

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
