"""`dl4cv check`: problems in the course sources that would break a release or grading, and
every rule the tooling relies on without being told (grade-id prefixes, a simulated class per
notebook, grading tables in the handout equal to the notebooks')."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from dl4cv.course import notebooks
from dl4cv.course.classroom import load_class
from dl4cv.course.config import course_settings
from dl4cv.course.handout import handout_problems
from dl4cv.course.layout import classroom_dir, relative
from dl4cv.course.modules import SolutionMarkerError, is_student_module, strip_solutions, student_modules
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
    prefix = f"{assignment}_{path.stem}_"
    problems += [f"{path}: grade_id {gid!r} must start with {prefix!r} (the grade tables and the simulated "
                 "classes find a notebook's cells by it)" for gid in ids if not gid.startswith(prefix)]  # fmt: skip
    for c in notebooks.graded_cells(nb):
        if not c.metadata["nbgrader"].get("points"):
            problems.append(f"{path}: graded cell {notebooks.grade_id(c)!r} has no points")
        if c.source.count("BEGIN HIDDEN TESTS") != c.source.count("END HIDDEN TESTS"):
            problems.append(f"{path}: unbalanced hidden-test markers in {notebooks.grade_id(c)!r}")
    return problems


def lint_simulated_class(root: Path, assignment: str, notebook: str) -> list[str]:
    """A notebook's hidden tests are proven by its simulated class: at least one student who must
    lose points and at least one correct solution written differently."""
    where = relative(root, classroom_dir(root, assignment) / f"{notebook}.py")
    if not (Path(root) / where).is_file():
        return [f"{where}: missing: every notebook needs simulated students that prove its hidden tests"]
    try:
        students = load_class(root=root, assignment=assignment, notebook=notebook)
    except Exception as error:  # a broken class file is reported, not raised
        return [f"{where}: cannot be loaded ({type(error).__name__}: {error})"]
    own = [s for s in students if s.start == "reference" and s.edits]
    problems = []
    if not any(s.loses for s in own):
        problems.append(f"{where}: no student with a planted mistake (a SimulatedStudent with edits and loses)")
    if not any(not s.loses and s.status == "graded" for s in own):
        problems.append(f"{where}: no correct solution written differently (a SimulatedStudent with edits and no loses)")
    return problems


def lint_course(*, root: Path) -> list[str]:
    """Every problem in every assignment's sources, simulated classes and handout."""
    root = Path(root)
    settings = course_settings(root)
    problems = []
    for assignment in settings.assignments:
        folder = root / "source" / assignment
        for path in sorted(folder.glob("*.ipynb")):
            problems += lint_notebook(path, assignment=assignment, repository=settings.repository)
            problems += lint_simulated_class(root, assignment, path.stem)
        for module in student_modules(folder):
            try:
                strip_solutions(module.read_text(encoding="utf-8"), filename=str(module))
            except SolutionMarkerError as error:
                problems.append(str(error))
        problems += [f"{path}: no solution region, so it is not released to students (add a "
                     "### BEGIN SOLUTION region, or move shared code into the dl4cv package)"
                     for path in sorted(folder.glob("*.py")) if not is_student_module(path)]  # fmt: skip
        problems += handout_problems(root, assignment)
    return problems
