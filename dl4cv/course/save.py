"""Grading step 3, save: executed notebooks into autograded/, their scores into the gradebook,
with nbgrader's own `SaveAutoGrades` and `AssignLatePenalties`, one notebook at a time."""

from __future__ import annotations

import stat
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from dl4cv.course.execute import NotebookRun


def only_errors_decide(nb: NotebookNode) -> NotebookNode:
    """Make a graded test cell score full marks unless it raised, and zero if it did.

    nbgrader reads a number shown as the cell's result as partial credit, and any text on stderr
    as failure. Student code runs inside test cells, so it could show a fake score (e.g. calling
    `sys.displayhook(12)` before failing) or lose points for a harmless warning. Our test cells
    never end in a value, so results become plain displays and stderr becomes ordinary output.
    """
    for cell in nb.cells:
        if cell.cell_type != "code" or not cell.get("metadata", {}).get("nbgrader", {}).get("grade"):
            continue
        for output in cell.outputs:
            if output.output_type == "execute_result":
                output.output_type = "display_data"
                output.pop("execution_count", None)
            elif output.output_type == "stream" and output.name == "stderr":
                output.name = "stdout"
    return nb


def save_scores(run: NotebookRun, *, config, db_url: str) -> None:
    """Write the executed notebook into autograded/ and record its scores in the gradebook."""
    from nbgrader.preprocessors import AssignLatePenalties, CheckCellMetadata, SaveAutoGrades

    nb = only_errors_decide(nbformat.reads(run.notebook_json, as_version=4))
    resources = {
        "nbgrader": {"student": run.student, "assignment": run.assignment, "notebook": run.notebook, "db_url": db_url}
    }
    for step in (SaveAutoGrades, AssignLatePenalties, CheckCellMetadata):
        nb, resources = step(config=config)(nb, resources)
    path = Path(run.path)
    mode = path.stat().st_mode
    path.chmod(mode | stat.S_IWUSR)
    nbformat.write(nb, str(path))
    path.chmod(mode)
