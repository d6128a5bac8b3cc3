"""`dl4cv check`: problems in the course sources that would break a release or grading."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from dl4cv.course import notebooks
from dl4cv.course.config import course_settings
from dl4cv.course.modules import SolutionMarkerError, strip_solutions, student_modules
from dl4cv.notebook_setup import setup_cell_source


def lint_notebook(path: Path, *, assignment: str, repository: str) -> list[str]:
    """Problems of one source notebook, each prefixed with its path."""
    try:
        nb = notebooks.read(path)
    except Exception as error:  # unreadable JSON is the first thing to report
        return [f"{path}: cannot be read as a notebook ({error})"]
    problems = []
    if notebooks.has_outputs(nb):
        problems.append(f"{path}: has outputs or execution counts (clear them before committing)")
    if nb.metadata.get("kernelspec", {}).get("name") != "python3":
        problems.append(f"{path}: kernel must be 'python3'")
    cell = notebooks.setup_cell(nb)
    if cell is None:
        problems.append(f"{path}: no setup cell (a code cell tagged '{notebooks.SETUP_TAG}')")
    elif cell.source != setup_cell_source(assignment, repository):
        problems.append(f"{path}: setup cell differs from the course template (`dl4cv release` rewrites it)")
    ids = Counter(notebooks.grade_id(c) for c in nb.cells if notebooks.grade_id(c))
    problems += [f"{path}: grade_id {gid!r} used {n} times" for gid, n in ids.items() if n > 1]
    for c in notebooks.graded_cells(nb):
        if not c.metadata["nbgrader"].get("points"):
            problems.append(f"{path}: graded cell {notebooks.grade_id(c)!r} has no points")
        if c.source.count("BEGIN HIDDEN TESTS") != c.source.count("END HIDDEN TESTS"):
            problems.append(f"{path}: unbalanced hidden-test markers in {notebooks.grade_id(c)!r}")
    return problems


def lint_course(*, root: Path) -> list[str]:
    """Every problem in every assignment's source notebooks and student modules."""
    root = Path(root)
    repository = course_settings(root).repository
    problems = []
    for folder in sorted(p for p in (root / "source").iterdir() if p.is_dir()):
        for path in sorted(folder.glob("*.ipynb")):
            problems += lint_notebook(path, assignment=folder.name, repository=repository)
        for module in student_modules(folder):
            try:
                strip_solutions(module.read_text(encoding="utf-8"), filename=str(module))
            except SolutionMarkerError as error:
                problems.append(str(error))
    return problems
