"""The pipeline end to end on a copy of the course: release → simulated class → parallel grade →
gradebook, CSV and feedback. This is where hidden tests are proven: every planted mistake costs
exactly the points of the rule it breaks, and nothing else."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dl4cv.course.classroom import load_class, write_submission
from dl4cv.course.demo import check_expectations
from dl4cv.course.feedback import generate_feedback
from dl4cv.course.grade import grade_assignment
from dl4cv.course.release import release_assignment
from dl4cv.course.report import export_grades, gradebook_scores

from .conftest import copy_course

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("pipeline")]
ASSIGNMENT = "a1"


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> tuple[Path, list, list]:
    root = copy_course(tmp_path_factory.mktemp("pipeline") / "course")
    release_assignment(root=root, assignment=ASSIGNMENT)
    students = load_class(root=root, assignment=ASSIGNMENT)
    for student in students:
        write_submission(student, root=root, assignment=ASSIGNMENT)
    results = grade_assignment(root=root, assignment=ASSIGNMENT, jobs=2, progress=False)
    return root, students, results


def test_every_simulated_student_scores_exactly_as_expected(graded):
    root, students, results = graded
    assert {r.student for r in results} == {s.id for s in students}
    statuses = {r.student: r.status for r in results}
    assert check_expectations(root=root, assignment=ASSIGNMENT, students=students, statuses=statuses) == []


def test_a_crashing_kernel_costs_only_that_student_what_did_not_run(graded):
    _, _, results = graded
    statuses = {r.student: r.status for r in results}
    assert "DeadKernelError" in statuses.pop("knn_crashes_kernel")
    assert all(status.startswith("graded") for status in statuses.values()), statuses


def test_reference_gets_full_marks_and_untouched_release_zero(graded):
    root, _, _ = graded
    scores = gradebook_scores(root=root, assignment=ASSIGNMENT)
    reference = [c for c in scores["reference"] if c.autograded]
    untouched = [c for c in scores["untouched"] if c.autograded]
    assert reference and all(c.score == c.max_score for c in reference)
    assert untouched and all(c.score == 0 for c in untouched)


def test_the_students_own_module_is_graded(graded):
    """nbgrader would copy source/a1/knn.py over the student's; exclude_overwriting prevents it."""
    root, _, _ = graded
    for student in ("knn_wrong_tie_break", "untouched"):
        submitted = (root / "submitted" / student / ASSIGNMENT / "knn.py").read_text()
        autograded = (root / "autograded" / student / ASSIGNMENT / "knn.py").read_text()
        assert autograded == submitted
    assert "flip(1)" in (root / "autograded" / "knn_wrong_tie_break" / ASSIGNMENT / "knn.py").read_text()


def test_export_writes_one_row_per_student(graded):
    root, students, _ = graded
    path = export_grades(root=root, assignment=ASSIGNMENT, path=root / "grades.csv")
    rows = {row["student"]: row for row in csv.DictReader(path.open())}
    assert set(rows) == {s.id for s in students}
    assert rows["reference"]["auto_score"] == rows["reference"]["auto_max"] == "12"
    assert rows["knn_wrong_tie_break"]["a1_knn_predict"] == "0"
    assert rows["untouched"]["auto_score"] == "0"


def test_feedback_shows_no_hidden_test_code(graded):
    root, _, _ = graded
    paths = generate_feedback(root=root, assignment=ASSIGNMENT)
    assert len(paths) == len(graded[1])
    for path in paths:
        html = path.read_text()
        for hidden in ("BEGIN HIDDEN TESTS", "_vote_oracle", "_two_loop_baseline", "_fold_oracle", "donot_use_mm"):
            assert hidden not in html, f"{path} shows hidden test code ({hidden})"
    failing = (root / "feedback" / "knn_wrong_tie_break" / ASSIGNMENT / "knn.html").read_text()
    assert "a tie between labels goes to the smallest label" in failing


def test_scores_equal_serial_nbgrader_autograde(graded, tmp_path: Path):
    """`dl4cv grade` records what plain serial `nbgrader autograde` records, cell by cell."""
    root, _, _ = graded
    chosen = ["reference", "knn_uses_cdist"]
    serial_root = copy_course(tmp_path / "serial")
    release_assignment(root=serial_root, assignment=ASSIGNMENT)
    for student in load_class(root=serial_root, assignment=ASSIGNMENT, notebook="knn"):
        if student.id in chosen:
            write_submission(student, root=serial_root, assignment=ASSIGNMENT)
    env = dict(os.environ, DL4CV_FAST="1", DL4CV_OFFLINE="1", MPLBACKEND="Agg",
               PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"],
               JUPYTER_PATH=str(Path(sys.prefix) / "share" / "jupyter"))
    subprocess.run([str(Path(sys.executable).parent / "nbgrader"), "autograde", ASSIGNMENT],
                   cwd=serial_root, env=env, check=True, capture_output=True)

    def by_cell(course: Path) -> dict:
        scores = gradebook_scores(root=course, assignment=ASSIGNMENT)
        return {(s, c.cell): c.score for s in chosen for c in scores[s] if c.notebook == "knn"}

    assert by_cell(serial_root) == by_cell(root)
