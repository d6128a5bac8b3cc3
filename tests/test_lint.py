"""`dl4cv check` fails loudly on every rule the tooling relies on, each with a line that says
what to fix; a course that follows them has no problems."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from dl4cv.course.handout import write_grading_tables
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
    test = "# Graded: `double` of a few numbers\nimport nb\nassert nb.double(2) == 4"
    nb.cells = [setup, _cell(test, grade=True, grade_id="a9_nb_double", points=2)]
    nbformat.write(nb, folder / "nb.ipynb")
    (tmp_path / "assignments" / "a9" / "classroom").mkdir(parents=True)
    (tmp_path / "assignments" / "a9" / "classroom" / "nb.py").write_text(CLASS)
    (tmp_path / "assignments" / "a9" / "README.md").write_text("# a9\n\nDoubling numbers.\n")
    write_grading_tables(tmp_path, "a9")
    return tmp_path


def _change_cell(course: Path, **changes) -> None:
    path = course / "source" / "a9" / "nb.ipynb"
    nb = nbformat.read(path, as_version=4)
    for key, value in changes.items():
        if key == "source":
            nb.cells[1].source = value
        else:
            nb.cells[1].metadata["nbgrader"][key] = value
    nbformat.write(nb, path)


def test_a_course_that_follows_every_rule_has_no_problems(course):
    assert lint_course(root=course) == []


def test_every_rule_the_tooling_relies_on_is_checked(course):
    _change_cell(course, grade_id="double")  # no a9_nb_ prefix
    (course / "source" / "a9" / "helpers.py").write_text("def helper():\n    return 1\n")
    (course / "assignments" / "a9" / "classroom" / "nb.py").write_text(CLASS.replace(', loses=("a9_nb_double",)', ""))
    problems = "\n".join(lint_course(root=course))
    assert "grade_id 'double' must start with 'a9_nb_'" in problems
    assert "helpers.py: no solution region, so it is not released" in problems
    assert "assignments/a9/README.md: grading tables differ from the notebooks' points" in problems
    assert "no student with a planted mistake" in problems


def test_points_that_differ_and_a_missing_class_are_named(course):
    _change_cell(course, points=3)
    (course / "assignments" / "a9" / "classroom" / "nb.py").unlink()
    problems = lint_course(root=course)
    assert "assignments/a9/README.md: grading tables differ from the notebooks' points and first comments (run `dl4cv release a9`)" in problems
    assert any("assignments/a9/classroom/nb.py: missing" in p for p in problems)
    write_grading_tables(course, "a9")
    assert "| `a9_nb_double` | 3 | `double` of a few numbers |" in (course / "assignments" / "a9" / "README.md").read_text()
    assert not any("README.md" in p for p in lint_course(root=course))


def test_a_test_cell_must_say_what_it_checks(course):
    _change_cell(course, source="import nb\nassert nb.double(2) == 4")
    write_grading_tables(course, "a9")
    assert lint_course(root=course) == [
        "source/a9/nb.ipynb: test cell `a9_nb_double` has no comment at its top saying what it checks"]


def test_the_generated_tables_keep_the_hand_written_text_and_its_notebook_order(course):
    folder = course / "source" / "a9"
    nb = nbformat.read(folder / "nb.ipynb", as_version=4)
    nb.cells[1].metadata["nbgrader"]["grade_id"] = "a9_first_double"
    nbformat.write(nb, folder / "first.ipynb")  # name order puts first.ipynb before nb.ipynb
    readme = course / "assignments" / "a9" / "README.md"
    readme.write_text(readme.read_text().replace("Doubling numbers.", "Do `nb.ipynb`, then `first.ipynb`.") + "\nThe end.\n")
    write_grading_tables(course, "a9")
    text = readme.read_text()
    assert text.startswith("# a9\n\nDo `nb.ipynb`, then `first.ipynb`.") and text.endswith("The end.\n")
    assert text.index("### How `nb` is graded") < text.index("### How `first` is graded")
    assert "| **a9** | 4 | 0 | **4** |" in text


def test_a_folder_without_notebooks_is_no_assignment(course):
    (course / "source" / "scratch").mkdir()
    (course / "source" / "scratch" / "notes.py").write_text("x = 1\n")
    assert lint_course(root=course) == []
