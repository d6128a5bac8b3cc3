"""The pipeline end to end on a copy of the course: release → simulated class → parallel grade →
gradebook, CSV and feedback. This is where hidden tests are proven: every planted mistake costs
exactly the points of the rule it breaks, and nothing else."""

from __future__ import annotations

import csv
import html
import json
import re
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from dl4cv.course import notebooks
from dl4cv.course.classroom import load_class, write_submission
from dl4cv.course.config import course_settings
from dl4cv.course.demo import check_expectations
from dl4cv.course.feedback import generate_feedback
from dl4cv.course.grade import grade_assignment
from dl4cv.course.release import release_assignment
from dl4cv.course.report import export_grades, gradebook_scores
from dl4cv.course.runcache import cache_from_env

from .conftest import ROOT, copy_course

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("pipeline")]
ASSIGNMENT = "a1"
# Runs whose every input is unchanged since the last proof are reused (dl4cv.course.runcache);
# DL4CV_RUN_CACHE=off executes every notebook. The attack, isolation and contamination tests never
# use the cache: what they test is the execution itself.
RUN_CACHE = cache_from_env()
ASSIGNMENTS = course_settings(ROOT).assignments


@pytest.fixture(scope="module")
def pipeline_course(tmp_path_factory) -> Path:
    return copy_course(tmp_path_factory.mktemp("pipeline") / "course")


@pytest.fixture(scope="module")
def grade_class(pipeline_course):
    """grade_class(aid) -> (students, results): the whole simulated class, graded once per module."""
    done: dict[str, tuple[list, list]] = {}

    def grade(assignment: str) -> tuple[list, list]:
        if assignment not in done:
            release_assignment(root=pipeline_course, assignment=assignment)
            students = load_class(root=pipeline_course, assignment=assignment)
            for student in students:
                write_submission(student, root=pipeline_course, assignment=assignment)
            results = grade_assignment(root=pipeline_course, assignment=assignment, jobs=2, progress=False,
                                       cache=RUN_CACHE)
            done[assignment] = students, results
        return done[assignment]

    return grade


@pytest.fixture(scope="module")
def graded(pipeline_course, grade_class) -> tuple[Path, list, list]:
    return pipeline_course, *grade_class(ASSIGNMENT)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_simulated_student_scores_exactly_as_expected(pipeline_course, grade_class, assignment):
    students, results = grade_class(assignment)
    assert {r.student for r in results} == {s.id for s in students}
    statuses = {r.student: r.status for r in results}
    assert check_expectations(root=pipeline_course, assignment=assignment, students=students, statuses=statuses) == []


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_reference_notebook_runs_without_any_error(pipeline_course, grade_class, assignment):
    """The instructor's solution, hidden tests included, runs top to bottom in fast mode in the
    sandbox: no error in any cell, graded or not (plots, studies and demos included)."""
    grade_class(assignment)
    executed = sorted((pipeline_course / "autograded" / "reference" / assignment).glob("*.ipynb"))
    assert {p.stem for p in executed} == {p.stem for p in (pipeline_course / "source" / assignment).glob("*.ipynb")}
    for path in executed:
        nb = nbformat.read(str(path), as_version=4)
        errors = [(i, o.ename, o.evalue) for i, c in enumerate(nb.cells) if c.cell_type == "code"
                  for o in c.outputs if o.output_type == "error"]  # fmt: skip
        assert errors == [], f"{assignment}/{path.name}: cell {errors[0][0]} raised {errors[0][1]}: {errors[0][2]}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_feedback_shows_no_hidden_test_code(pipeline_course, grade_class, assignment):
    students, _ = grade_class(assignment)
    paths = generate_feedback(root=pipeline_course, assignment=assignment)
    handed_in = {(p.parents[1].name, p.stem) for p in (pipeline_course / "autograded").glob(f"*/{assignment}/*.ipynb")}
    assert {(p.parents[1].name, p.stem) for p in paths} == handed_in
    hidden = _hidden_test_lines(pipeline_course, assignment)
    assert hidden, "the assignment has no hidden tests to look for"
    for path in paths:
        text = html.unescape(re.sub(r"<[^>]+>", "", path.read_text()))  # code is split into highlight spans
        assert "BEGIN HIDDEN TESTS" not in text
        leaked = [line for line in hidden.get(path.stem, ()) if line in text]
        assert not leaked, f"{path} shows hidden test code: {leaked[:3]}"


def _hidden_test_lines(root: Path, assignment: str) -> dict[str, set[str]]:
    """Per notebook, the distinctive lines of hidden-test regions (not also visible elsewhere)."""
    lines: dict[str, set[str]] = {}
    for path in (root / "source" / assignment).glob("*.ipynb"):
        # Lines students can read anyway (in the released notebook or modules) are not leaks.
        released = "".join(p.read_text() for p in sorted((root / "release" / assignment).iterdir()) if p.is_file())
        for cell in notebooks.read(path).cells:
            inside = False
            for line in cell.source.splitlines():
                if "BEGIN HIDDEN TESTS" in line or "END HIDDEN TESTS" in line:
                    inside = "BEGIN" in line
                elif inside and len(line.strip()) > 25 and json.dumps(line.strip())[1:-1] not in released \
                        and line.strip() not in released:
                    lines.setdefault(path.stem, set()).add(line.strip())
    return lines


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
    assert rows["reference"]["auto_score"] == rows["reference"]["auto_max"] != "0"
    assert rows["knn_wrong_tie_break"]["a1_knn_predict"] == "0"
    assert rows["untouched"]["auto_score"] == "0"


def test_the_planted_mistake_is_named_in_its_feedback(pipeline_course, grade_class):
    grade_class(ASSIGNMENT)
    generate_feedback(root=pipeline_course, assignment=ASSIGNMENT, student="knn_wrong_tie_break")
    failing = (pipeline_course / "feedback" / "knn_wrong_tie_break" / ASSIGNMENT / "knn.html").read_text()
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
