"""Scores out of the gradebook: the grade table the demo prints and `dl4cv export`'s CSV files."""

from __future__ import annotations

import csv
import json
import warnings
from dataclasses import dataclass
from pathlib import Path

from dl4cv.course.config import CourseError, load_nbgrader_config, require_assignment


@dataclass(frozen=True)
class CellScore:
    """One graded cell of one student's submission."""

    notebook: str
    cell: str
    autograded: bool  # False for manually graded answers
    score: float | None  # None while a manual grade is pending
    max_score: float


def _db(root: Path, gradebook: str | None) -> tuple[str, str]:
    from nbgrader.coursedir import CourseDirectory

    coursedir = CourseDirectory(config=load_nbgrader_config(Path(root).resolve(), gradebook=gradebook))
    return coursedir.db_url, coursedir.course_id


def gradebook_scores(*, root: Path, assignment: str, gradebook: str | None = None) -> dict[str, list[CellScore]]:
    """Every graded cell's score for every student with a submission of `assignment` ({} when the
    gradebook, `gradebook` or the course's, does not know the assignment yet)."""
    from nbgrader.api import Gradebook, MissingEntry

    from sqlalchemy.exc import SAWarning

    db_url, course_id = _db(root, gradebook)
    if db_url.startswith("sqlite:///") and not Path(db_url.removeprefix("sqlite:///")).is_file():
        return {}  # no gradebook yet: nothing graded (and opening it would create one)
    scores: dict[str, list[CellScore]] = {}
    with Gradebook(db_url, course_id) as gb, warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)  # nbgrader's own session handling; harmless
        try:
            submissions = gb.assignment_submissions(assignment)
        except MissingEntry:
            submissions = []
        for submission in submissions:
            cells = []
            for nb in sorted(submission.notebooks, key=lambda n: n.name):
                for grade in nb.grades:
                    autograded = grade.cell_type == "code"
                    pending = grade.needs_manual_grade and grade.manual_score is None
                    cells.append(CellScore(nb.name, grade.name, autograded, None if pending else grade.score, grade.max_score))
            scores[submission.student_id] = cells
    return dict(sorted(scores.items()))


def _summary(cells: list[CellScore]) -> dict[str, float | int]:
    auto = [c for c in cells if c.autograded]
    manual = [c for c in cells if not c.autograded]
    return {
        "auto_score": sum(c.score or 0.0 for c in auto),
        "auto_max": sum(c.max_score for c in auto),
        "manual_score": sum(c.score or 0.0 for c in manual),
        "manual_max": sum(c.max_score for c in manual),
        "manual_pending": sum(c.score is None for c in manual),
    }


def status_path(root: Path, assignment: str) -> Path:
    """Where `dl4cv grade` keeps each student's grading status for `dl4cv export`."""
    return Path(root) / "reports" / assignment / "status.json"


def save_statuses(*, root: Path, assignment: str, statuses: dict[str, str]) -> None:
    """Merge this grading run's statuses into the stored ones."""
    path = status_path(root, assignment)
    stored = json.loads(path.read_text()) if path.is_file() else {}
    stored.update(statuses)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dict(sorted(stored.items())), indent=1) + "\n")


def load_statuses(*, root: Path, assignment: str) -> dict[str, str]:
    path = status_path(root, assignment)
    return json.loads(path.read_text()) if path.is_file() else {}


def graded_scores(*, root: Path, assignment: str, gradebook: str | None = None) -> dict[str, list[CellScore]]:
    """`gradebook_scores`, or `CourseError` when the assignment is unknown or nothing is graded yet."""
    require_assignment(root, assignment)
    scores = gradebook_scores(root=root, assignment=assignment, gradebook=gradebook)
    if not scores:
        raise CourseError(f"nothing graded for {assignment} yet: run `dl4cv grade {assignment}` first")
    return scores


def export_grades(*, root: Path, assignment: str, path: Path, statuses: dict[str, str] | None = None,
                  gradebook: str | None = None) -> Path:  # fmt: skip
    """Write one CSV row per student: each graded cell's score, totals, and grading status.

    Statuses default to the ones the last `dl4cv grade` runs stored. Raises `CourseError` when
    nothing is graded yet.
    """
    scores = graded_scores(root=root, assignment=assignment, gradebook=gradebook)
    if statuses is None:
        statuses = load_statuses(root=root, assignment=assignment)
    cell_names = [c.cell for c in next(iter(scores.values()), [])]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "assignment", *cell_names, "auto_score", "auto_max", "manual_score",
                         "manual_max", "manual_pending", "status"])
        for student, cells in scores.items():
            by_name = {c.cell: c for c in cells}
            summary = _summary(cells)
            writer.writerow([
                student, assignment,
                *("" if by_name[n].score is None else f"{by_name[n].score:g}" for n in cell_names),
                f"{summary['auto_score']:g}", f"{summary['auto_max']:g}", f"{summary['manual_score']:g}",
                f"{summary['manual_max']:g}", summary["manual_pending"], (statuses or {}).get(student, "graded"),
            ])  # fmt: skip
    return path


@dataclass(frozen=True)
class CanvasExport:
    """What `export_canvas` wrote, and which students it could not, or chose not to, include."""

    path: Path
    not_in_roster: list[str]  # no Canvas id in lms/roster.csv: left out
    pending: list[str]  # written answers not graded by hand yet (left out when asked to)


def export_canvas(*, root: Path, assignment: str, path: Path, column: str | None = None,
                  omit_pending: bool = False) -> CanvasExport:  # fmt: skip
    """Write a gradebook CSV that Canvas imports: one row per student with a Canvas id.

    Ids come from `lms/roster.csv` (written by `dl4cv collect` from a Canvas download); Canvas
    matches rows on its own `ID`, so the SIS columns stay empty. `column` is the Canvas assignment
    column, e.g. "a1 Image classification (4711)"; by default the assignment id, which Canvas
    imports as a new assignment. Scores are auto + manual points; a written answer not graded
    yet counts as zero, or, with `omit_pending`, leaves its student out until it is graded.
    """
    from dl4cv.course.collect import read_roster

    scores = graded_scores(root=root, assignment=assignment)
    roster = read_roster(Path(root) / "lms" / "roster.csv")
    pending = sorted(student for student, cells in scores.items() if _summary(cells)["manual_pending"])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", column or assignment])
        possible = next(iter(scores.values()))
        writer.writerow(["    Points Possible", "", "", "", "", f"{sum(c.max_score for c in possible):g}"])
        for student, cells in scores.items():
            if student in roster and not (omit_pending and student in pending):
                summary = _summary(cells)
                total = summary["auto_score"] + summary["manual_score"]
                writer.writerow([student, roster[student], "", "", "", f"{total:g}"])
    return CanvasExport(path, sorted(set(scores) - set(roster)), pending)


def format_table(
    scores: dict[str, list[CellScore]], *, prefix: str = "", statuses: dict[str, str] | None = None, width: int = 120
) -> str:
    """A plain-text table: one row per student, then auto and manual totals, at most `width`
    characters wide.

    With one notebook there is a column per autograded cell, headers without the common `prefix`
    (e.g. 'a1_knn_'); with several notebooks, a column per notebook (its autograded total) keeps
    the table narrow. With `statuses`, a last column says why a submission was not fully graded.
    Columns that do not fit go on to a further block of the same rows, and a status too long is
    cut with "…": the CSV export holds everything in full.
    """
    if not scores:
        return "(no graded submissions)"
    cells = [c for c in next(iter(scores.values())) if c.autograded]
    notebooks = list(dict.fromkeys(c.notebook for c in cells))
    by_notebook = len(notebooks) > 1
    names = notebooks if by_notebook else [c.cell for c in cells]
    columns: list[list[str]] = [[name if by_notebook else name.removeprefix(prefix)] for name in names]
    columns += [["auto"], ["manual"]] + ([["status"]] if statuses is not None else [])
    students = [["student"]]
    for student, student_cells in scores.items():
        groups: dict[str, list[CellScore]] = {}
        for cell in student_cells:
            if cell.autograded:
                groups.setdefault(cell.notebook if by_notebook else cell.cell, []).append(cell)
        summary = _summary(student_cells)
        manual = "pending" if summary["manual_pending"] else f"{summary['manual_score']:g}/{summary['manual_max']:g}"
        values = [*(_fraction(groups.get(name, [])) for name in names),
                  f"{summary['auto_score']:g}/{summary['auto_max']:g}", manual]  # fmt: skip
        if statuses is not None:
            values.append(statuses.get(student, "not graded"))
        students.append([student])
        for column, value in zip(columns, values):
            column.append(value)
    first = max(len(v) for v in (row[0] for row in students))
    room = max(12, width - first - 2)
    if statuses is not None:  # the status is last and free text: cut it to the room left on a line
        columns[-1] = [v if len(v) <= room else v[: room - 1] + "…" for v in columns[-1]]
    blocks: list[list[list[str]]] = [[]]
    used = first
    for column in columns:
        need = 2 + max(len(v) for v in column)
        if blocks[-1] and used + need > width:
            blocks.append([])
            used = first
        blocks[-1].append(column)
        used += need
    return "\n\n".join(_render([[row[0] for row in students], *block]) for block in blocks)


def _render(columns: list[list[str]]) -> str:
    """Columns (header first) as aligned text with a rule under the headers."""
    widths = [max(len(v) for v in column) for column in columns]
    rows = list(zip(*columns))
    lines = ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _fraction(cells: list[CellScore]) -> str:
    if not cells:
        return "-"
    return f"{sum(c.score or 0.0 for c in cells):g}/{sum(c.max_score for c in cells):g}"
