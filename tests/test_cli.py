"""The `dl4cv` command line: a thin layer, checked on a copy of the course."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from dl4cv.course.cli import main


def test_check_passes_on_the_course(course: Path):
    result = CliRunner().invoke(main, ["--root", str(course), "check"])
    assert result.exit_code == 0, result.output
    assert "0 problem(s)" in result.output


def test_check_reports_a_notebook_with_outputs(course: Path):
    import nbformat

    path = course / "source" / "a1" / "knn.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    code = next(c for c in nb.cells if c.cell_type == "code")
    code.execution_count = 3
    nbformat.write(nb, str(path))
    result = CliRunner().invoke(main, ["--root", str(course), "check"])
    assert result.exit_code == 1
    assert "has outputs or execution counts" in result.output


def test_unknown_course_folder_is_a_clear_error(tmp_path: Path):
    result = CliRunner().invoke(main, ["--root", str(tmp_path), "check"])
    assert result.exit_code != 0
    assert "nbgrader_config.py" in str(result.exception)
