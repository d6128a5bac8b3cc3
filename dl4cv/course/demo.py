"""`dl4cv demo`: release → simulated class → parallel autograde → grade table, CSV and feedback."""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from dl4cv.course.classroom import expected_scores, load_class, write_submission
from dl4cv.course.feedback import generate_feedback
from dl4cv.course.config import CourseError, require_assignment
from dl4cv.course.grade import grade_assignment, grading_isolation
from dl4cv.course.release import release_assignment
from dl4cv.course.runcache import RunCache
from dl4cv.course.report import export_grades, format_table, gradebook_scores


@dataclass
class DemoOutcome:
    """What one assignment's demo produced, and every score that differs from the expectation."""

    assignment: str
    table: str
    grades_csv: Path
    feedback: list[Path]
    mismatches: list[str]
    seconds: float
    slowest: tuple[str, float] = ("", 0.0)  # the student whose notebooks took longest to run, and seconds


def _clear_previous(root: Path, assignment: str, student: str) -> None:
    for folder in ("submitted", "autograded", "feedback"):
        shutil.rmtree(root / folder / student / assignment, ignore_errors=True)


def check_expectations(*, root: Path, assignment: str, students, statuses: dict[str, str],
                       gradebook: str | None = None) -> list[str]:  # fmt: skip
    """Every status and autograded score that differs from what the class file expects."""
    scores = gradebook_scores(root=root, assignment=assignment, gradebook=gradebook)
    problems = []
    for student in students:
        status = statuses.get(student.id, "not graded")
        if student.status not in status:
            problems.append(f"{student.id}: status {status!r}, expected {student.status!r}")
        cells = [c for c in scores.get(student.id, []) if c.autograded]
        if not cells:
            problems.append(f"{student.id}: no scores in the gradebook")
            continue
        expected = expected_scores(student, cells)
        for cell in cells:
            if cell.score != expected[cell.cell]:
                problems.append(f"{student.id}: {cell.cell} scored {cell.score}, expected {expected[cell.cell]}")
    return problems


def run_demo(
    *, root: Path, assignment: str, jobs: int | None = None, progress: bool = True, notebook: str | None = None,
    allow_unisolated: bool = False, cache: RunCache | None = None,
) -> DemoOutcome:
    """Run the whole pipeline on the simulated class of `assignment` inside the course folder.
    With `cache`, notebook runs whose inputs are all unchanged are reused (`dl4cv.course.runcache`).

    With `notebook`, only the students who hand that notebook in are graded, on that notebook.
    The demo keeps its own gradebook (`reports/demo/gradebook.db`, fresh each run), so it never
    mixes simulated students into the course's real one, and a later release is not blocked by
    their submissions.
    """
    root = Path(root).resolve()
    require_assignment(root, assignment)
    grading_isolation(root=root, allow_unisolated=allow_unisolated)  # refuse before releasing anything
    return _run_demo(root=root, assignment=assignment, jobs=jobs, progress=progress, notebook=notebook,
                     allow_unisolated=allow_unisolated, gradebook=_fresh_demo_gradebook(root), cache=cache)  # fmt: skip


def _fresh_demo_gradebook(root: Path) -> str:
    """The URL of an empty `reports/demo/gradebook.db`, handed to every step of the demo."""
    path = root / "reports" / "demo" / "gradebook.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    return f"sqlite:///{path}"


def _run_demo(*, root: Path, assignment: str, jobs: int | None, progress: bool, notebook: str | None,
              allow_unisolated: bool, gradebook: str, cache: RunCache | None = None) -> DemoOutcome:  # fmt: skip
    start = time.perf_counter()
    release_assignment(root=root, assignment=assignment, gradebook=gradebook)
    students = load_class(root=root, assignment=assignment, notebook=notebook)
    for student in students:
        _clear_previous(root, assignment, student.id)
        write_submission(student, root=root, assignment=assignment)
    results = grade_assignment(
        root=root, assignment=assignment, students=[s.id for s in students], jobs=jobs, progress=progress,
        allow_unisolated=allow_unisolated, gradebook=gradebook, cache=cache,
    )
    statuses = {r.student: r.status for r in results}
    grades_csv = export_grades(
        root=root, assignment=assignment, path=root / "reports" / assignment / "grades.csv", statuses=statuses,
        gradebook=gradebook,
    )
    # Only the simulated students: autograded/ may also hold real students graded elsewhere.
    feedback = [path for s in students
                for path in generate_feedback(root=root, assignment=assignment, student=s.id, gradebook=gradebook)]
    ids = {s.id for s in students}
    scores = {k: v for k, v in gradebook_scores(root=root, assignment=assignment, gradebook=gradebook).items() if k in ids}
    prefix = f"{assignment}_{notebook or Path(next(iter((root / 'source' / assignment).glob('*.ipynb')))).stem}_"
    return DemoOutcome(
        assignment=assignment,
        table=format_table(scores, prefix=prefix, statuses=statuses),
        grades_csv=grades_csv,
        feedback=[p for p in feedback if p.parts[-3] in ids],
        mismatches=check_expectations(root=root, assignment=assignment, students=students, statuses=statuses,
                                      gradebook=gradebook),
        seconds=time.perf_counter() - start,
        slowest=max(((r.student, r.seconds) for r in results), key=lambda pair: pair[1], default=("", 0.0)),
    )


def prove_notebook(*, root: Path, assignment: str, notebook: str, jobs: int | None = None, progress: bool = True,
                   allow_unisolated: bool = False, cache: RunCache | None = None) -> DemoOutcome:  # fmt: skip
    """Grade the simulated students of one notebook in a scratch copy of the course (reusing
    unchanged runs from `cache`).

    The copy keeps every module of the assignment but only this notebook, so a sibling notebook
    still being written cannot break the release. Nothing in `root` changes.
    """
    import tempfile

    from dl4cv.course.classroom import copy_course

    require_assignment(Path(root), assignment)
    if not (Path(root) / "source" / assignment / f"{notebook}.ipynb").is_file():
        raise CourseError(f"no notebook source/{assignment}/{notebook}.ipynb")
    scratch = Path(tempfile.mkdtemp(prefix=f"dl4cv-prove-{assignment}-{notebook}-"))
    course = copy_course(root=Path(root).resolve(), target=scratch / "course")
    for folder in ("source", "release"):
        for path in (course / folder / assignment).glob("*.ipynb"):
            if path.stem != notebook:
                path.unlink()
    try:
        return run_demo(root=course, assignment=assignment, jobs=jobs, progress=progress, notebook=notebook,
                        allow_unisolated=allow_unisolated, cache=cache)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
