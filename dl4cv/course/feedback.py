"""`dl4cv feedback`: per-student HTML feedback that never shows hidden tests.

nbgrader's `generate_feedback` renders the autograded notebook. Its `ClearHiddenTests` removes
hidden test source, but a failing hidden test's traceback still quotes the hidden lines, so
before that step every error in a cell that had hidden tests is cut down to its last line
(`AssertionError: wrong labels for k=4 ...`): the message, which tests write for students.
"""

from __future__ import annotations

from pathlib import Path

from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor

from dl4cv.course.config import CourseError, load_nbgrader_config, require_assignment

HIDDEN_BEGIN = "BEGIN HIDDEN TESTS"


class ScrubHiddenTracebacks(NbGraderPreprocessor):
    """In cells with hidden tests, keep only `ename: evalue` of each error output."""

    def preprocess_cell(self, cell: NotebookNode, resources: dict, index: int):
        if cell.cell_type == "code" and HIDDEN_BEGIN in cell.source:
            for output in cell.get("outputs", []):
                if output.output_type == "error":
                    output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources


class FeedbackError(RuntimeError):
    """nbgrader could not generate feedback; the message carries its log."""


def generate_feedback(*, root: Path, assignment: str, student: str | None = None, gradebook: str | None = None) -> list[Path]:
    """Write `feedback/<student>/<assignment>/*.html` for one or all graded students.

    Raises `CourseError` for an unknown assignment or when nothing is graded yet."""
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.apps import NbGraderAPI
    from nbgrader.preprocessors import ClearHiddenTests, GetGrades

    root = Path(root).resolve()
    require_assignment(root, assignment)
    graded = sorted((root / "autograded").glob(f"{student or '*'}/{assignment}/*.ipynb"))
    if not graded:
        whose = f"{student}'s submission of {assignment}" if student else assignment
        raise CourseError(f"nothing graded for {whose} yet: run `dl4cv grade {assignment}` first")
    config = load_nbgrader_config(
        root,
        gradebook=gradebook,
        GenerateFeedback={"preprocessors": [GetGrades, ScrubHiddenTracebacks, ClearHiddenTests, CSSHTMLHeaderPreprocessor]},
    )
    result = NbGraderAPI(config=config).generate_feedback(assignment, student_id=student, force=True)
    if not result["success"]:
        raise FeedbackError(f"nbgrader generate_feedback failed:\n{result.get('error') or result.get('log')}")
    pattern = f"{student or '*'}/{assignment}/*.html"
    return sorted((root / "feedback").glob(pattern))
