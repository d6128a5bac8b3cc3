"""Simulated classes: one file per notebook, students handing in some notebooks, expectations,
and the grade table for one notebook and for several."""

from __future__ import annotations

from pathlib import Path

import pytest

from dl4cv.course.classroom import SimulatedStudent, expected_scores, load_class, write_submission
from dl4cv.course.report import CellScore, format_table

CLASS_FILE = """from dl4cv.course.classroom import Edit, SimulatedStudent
STUDENTS = [{students}]
"""


def _course(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "assignments" / "a9" / "classroom"
    folder.mkdir(parents=True)
    for name, students in files.items():
        (folder / name).write_text(CLASS_FILE.format(students=students))
    return tmp_path


def test_every_file_of_the_class_folder_contributes_in_name_order(tmp_path):
    root = _course(tmp_path, {
        "b_nb.py": 'SimulatedStudent("b1", "", notebooks=("b_nb",))',
        "_everyone.py": 'SimulatedStudent("reference", "")',
        "a_nb.py": 'SimulatedStudent("a1", "", notebooks=("a_nb",)), SimulatedStudent("a2", "", notebooks=("a_nb",))',
    })  # fmt: skip
    assert [s.id for s in load_class(root=root, assignment="a9")] == ["reference", "a1", "a2", "b1"]
    only_a = load_class(root=root, assignment="a9", notebook="a_nb")
    assert [s.id for s in only_a] == ["reference", "a1", "a2"]
    assert all(s.notebooks == ("a_nb",) for s in only_a)


def test_duplicate_ids_and_missing_class_are_clear_errors(tmp_path):
    root = _course(tmp_path, {"x.py": 'SimulatedStudent("same", "")', "y.py": 'SimulatedStudent("same", "")'})
    with pytest.raises(ValueError, match="share ids: same"):
        load_class(root=root, assignment="a9")
    with pytest.raises(FileNotFoundError, match="no simulated class for a8"):
        load_class(root=root, assignment="a8")


def test_a_student_hands_in_only_the_named_notebooks_and_every_module(tmp_path):
    for folder in ("release", "source"):
        (tmp_path / folder / "a9").mkdir(parents=True)
    (tmp_path / "release" / "a9" / "one.ipynb").write_text("{}")
    (tmp_path / "release" / "a9" / "two.ipynb").write_text("{}")
    (tmp_path / "release" / "a9" / "one.py").write_text("stub\n")
    (tmp_path / "release" / "a9" / "two.py").write_text("stub\n")
    student = SimulatedStudent("s", "", start="release", notebooks=("two",))
    target = write_submission(student, root=tmp_path, assignment="a9")
    assert sorted(p.name for p in target.iterdir()) == ["one.py", "two.ipynb", "two.py"]


def test_cells_of_notebooks_not_handed_in_are_expected_to_score_zero():
    cells = [CellScore("one", "a9_one_x", True, 2.0, 2.0), CellScore("two", "a9_two_y", True, 0.0, 3.0),
             CellScore("two", "a9_two_z", True, 1.0, 1.0)]  # fmt: skip
    student = SimulatedStudent("s", "", notebooks=("two",), loses=("a9_two_y",))
    assert expected_scores(student, cells) == {"a9_one_x": 0.0, "a9_two_y": 0.0, "a9_two_z": 1.0}
    assert expected_scores(SimulatedStudent("r", ""), cells) == {"a9_one_x": 2.0, "a9_two_y": 3.0, "a9_two_z": 1.0}
    assert set(expected_scores(SimulatedStudent("u", "", start="release"), cells).values()) == {0.0}


def test_table_has_a_column_per_cell_for_one_notebook_and_per_notebook_for_several():
    one = {"ann": [CellScore("nb", "a9_nb_x", True, 1.0, 2.0), CellScore("nb", "a9_nb_q", False, None, 1.0)]}
    table = format_table(one, prefix="a9_nb_", statuses={"ann": "graded"})
    assert table.splitlines()[0].split() == ["student", "x", "auto", "manual", "status"]
    assert table.splitlines()[2].split() == ["ann", "1/2", "1/2", "pending", "graded"]
    several = {"bob": [CellScore("nb", "a9_nb_x", True, 1.0, 2.0), CellScore("nb", "a9_nb_y", True, 2.0, 2.0),
                       CellScore("other", "a9_other_z", True, 0.0, 5.0)]}  # fmt: skip
    lines = format_table(several).splitlines()
    assert lines[0].split() == ["student", "nb", "other", "auto", "manual"]
    assert lines[2].split() == ["bob", "3/4", "0/5", "3/9", "0/0"]


def test_a_wide_table_wraps_into_blocks_and_cuts_long_statuses():
    cells = [CellScore("nb", f"a9_nb_cell_with_a_long_name_{i}", True, 1.0, 1.0) for i in range(14)]
    scores = {f"student_{k}": cells for k in range(3)}
    status = "graded; not handed in: " + ", ".join(f"notebook_{i}" for i in range(30))
    table = format_table(scores, prefix="a9_nb_", statuses={"student_0": status})
    lines = table.splitlines()
    assert max(len(line) for line in lines) <= 120
    assert all(f"cell_with_a_long_name_{i}" in table for i in range(14)) and "auto" in table
    assert "…" in table and table.count("student_2") == len(table.split("\n\n"))  # every block repeats the rows
