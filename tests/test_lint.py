"""`dl4cv check` fails loudly on every rule the tooling relies on, each with a line that says
what to fix; a course that follows them has no problems."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from dl4cv.course.lint import lint_course
from dl4cv.notebook_setup import setup_cell_source

REPOSITORY = "https://example.org/dl4cv"
CLASS = '''from dl4cv.course.classroom import Edit, SimulatedStudent
STUDENTS = [
    SimulatedStudent("nb_wrong", "", notebooks=("nb",), edits=(Edit("nb.py", "2 * x", "3 * x"),), loses=("a9_nb_double",)),
    SimulatedStudent("nb_other", "", notebooks=("nb",), edits=(Edit("nb.py", "2 * x", "x + x"),)),
]
'''


def _cell(source: str, **nbgrader) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    if nbgrader:
        cell.metadata["nbgrader"] = {"schema_version": 3, "solution": False, "locked": True, **nbgrader}
    return cell


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """A one-notebook course that follows every rule."""
    (tmp_path / "pyproject.toml").write_text(f'[tool.dl4cv]\nrepository = "{REPOSITORY}"\n')
    folder = tmp_path / "source" / "a9"
    folder.mkdir(parents=True)
    (folder / "nb.py").write_text("def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n")
    setup = _cell(setup_cell_source("a9", REPOSITORY), grade=False, grade_id="a9_nb_setup")
    setup.metadata["tags"] = ["setup"]
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}})
    nb.cells = [setup, _cell("import nb\nassert nb.double(2) == 4", grade=True, grade_id="a9_nb_double", points=2)]
    nbformat.write(nb, folder / "nb.ipynb")
    (tmp_path / "tests" / "classroom" / "a9").mkdir(parents=True)
    (tmp_path / "tests" / "classroom" / "a9" / "nb.py").write_text(CLASS)
    (tmp_path / "assignments").mkdir()
    (tmp_path / "assignments" / "a9.md").write_text("| test cell | points | checks |\n|---|---|---|\n| `a9_nb_double` | 2 | doubles |\n")
    return tmp_path


def _rename_cell(course: Path, new_id: str) -> None:
    path = course / "source" / "a9" / "nb.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].metadata["nbgrader"]["grade_id"] = new_id
    nbformat.write(nb, path)


def test_a_course_that_follows_every_rule_has_no_problems(course):
    assert lint_course(root=course) == []


def test_every_rule_the_tooling_relies_on_is_checked(course):
    _rename_cell(course, "double")  # no a9_nb_ prefix
    (course / "source" / "a9" / "helpers.py").write_text("def helper():\n    return 1\n")
    (course / "assignments" / "a9.md").write_text("| `a9_nb_double` | 3 | doubles |\n| `a9_nb_gone` | 1 | removed |\n")
    (course / "tests" / "classroom" / "a9" / "nb.py").write_text(CLASS.replace(', loses=("a9_nb_double",)', ""))
    problems = "\n".join(lint_course(root=course))
    assert "grade_id 'double' must start with 'a9_nb_'" in problems
    assert "helpers.py: no solution region, so it is not released" in problems
    assert "no row for graded cell 'double'" in problems
    assert "row for 'a9_nb_double', which is no graded cell" in problems
    assert "row for 'a9_nb_gone', which is no graded cell" in problems
    assert "no student with a planted mistake" in problems


def test_points_that_differ_and_a_missing_class_are_named(course):
    (course / "assignments" / "a9.md").write_text("| `a9_nb_double` | 3 | doubles |\n")
    (course / "tests" / "classroom" / "a9" / "nb.py").unlink()
    problems = lint_course(root=course)
    assert "assignments/a9.md: 'a9_nb_double' is worth 2 points in the notebook, 3 in the handout" in problems
    assert any("tests/classroom/a9/nb.py: missing" in p for p in problems)


def test_a_folder_without_notebooks_is_no_assignment(course):
    (course / "source" / "scratch").mkdir()
    (course / "source" / "scratch" / "notes.py").write_text("x = 1\n")
    assert lint_course(root=course) == []
