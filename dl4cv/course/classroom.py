"""Simulated classes: submissions built from the release and the instructor's source.

A course folder describes its simulated students for assignment `<aid>` in the folder
`assignments/<aid>/classroom/`: each `*.py` file there (one per notebook, plus one for students that
submit every notebook) holds a list `STUDENTS` of `SimulatedStudent`. Each one starts from the
reference solution (release notebooks with the source's answers filled in, plus the source
modules) or from the untouched release, applies exact text edits to plant one mistake, and says
which graded cells the mistake must cost. A student may hand in only some notebooks: the cells of
the others score zero, and grading a class of students who each plant a mistake in one notebook
costs one notebook execution each. `make demo` grades such a class, and the test suite
asserts that every student scores exactly as expected: that is how hidden tests are proven.
"""

from __future__ import annotations

import importlib.util
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType

from dl4cv.course import notebooks
from dl4cv.course.layout import ASSIGNMENTS, classroom_dir
from dl4cv.course.modules import student_modules


# What a working copy of a course needs: its config, sources, releases, and assignments/ (handouts,
# simulated classes, reference tests and benchmarks).
COURSE_FILES = ("nbgrader_config.py", "pyproject.toml", "source", "release", ASSIGNMENTS)


def copy_course(*, root: Path, target: Path) -> Path:
    """Copy the course at `root` into `target` (a scratch course for tests and benchmarks)."""
    for name in COURSE_FILES:
        source, destination = Path(root) / name, Path(target) / name
        if source.is_dir():
            shutil.copytree(source, destination, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
        else:
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, destination)
    return Path(target)


@dataclass(frozen=True)
class Edit:
    """Replace `old` (which must occur exactly once) with `new` in one file of the submission."""

    file: str
    old: str
    new: str


@dataclass(frozen=True)
class SimulatedStudent:
    """One simulated submission and the score it must get.

    `start` is "reference" or "release". `loses` names the graded cells that must score zero;
    every other autograded cell must get full points. With `start="release"` every autograded
    cell must score zero and `loses` is ignored. `status` is what the grader must report for the
    submission ("graded", or a fragment of the reason it stopped early). `notebooks` names the
    notebooks (file stems) handed in; empty means all of them. Every student module is handed in.
    """

    id: str
    description: str
    start: str = "reference"
    edits: tuple[Edit, ...] = ()
    loses: tuple[str, ...] = field(default=())
    status: str = "graded"
    notebooks: tuple[str, ...] = ()

    def submits(self, notebook: str) -> bool:
        """Whether this student hands in `notebook` (a file stem such as 'knn')."""
        return not self.notebooks or notebook in self.notebooks


def load_class(*, root: Path, assignment: str, notebook: str | None = None) -> list[SimulatedStudent]:
    """Every `STUDENTS` list in `assignments/<assignment>/classroom/*.py`, in file-name order.

    With `notebook`, only the students who hand that notebook in, each handing in just that one.
    """
    folder = classroom_dir(root, assignment)
    paths = sorted(folder.glob("*.py"))
    if not paths:
        raise FileNotFoundError(f"no simulated class for {assignment}: expected Python files in {folder}")
    students: list[SimulatedStudent] = []
    for path in paths:
        spec = importlib.util.spec_from_file_location(f"dl4cv_classroom_{assignment}_{path.stem}", path)
        module: ModuleType = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        students += list(module.STUDENTS)
    duplicated = sorted({s.id for s in students if [t.id for t in students].count(s.id) > 1})
    if duplicated:
        raise ValueError(f"simulated students of {assignment} share ids: {', '.join(duplicated)}")
    if notebook is not None:
        students = [replace(s, notebooks=(notebook,)) for s in students if s.submits(notebook)]
    return students


def _apply(edit: Edit, folder: Path) -> None:
    target = folder / edit.file
    text = target.read_text(encoding="utf-8")
    count = text.count(edit.old)
    if count != 1:
        raise ValueError(f"edit for {edit.file} must match exactly once, matched {count} times: {edit.old[:60]!r}")
    target.write_text(text.replace(edit.old, edit.new), encoding="utf-8")


def fill_answers(release_nb, source_nb):
    """The release notebook with every solution cell's source taken from the instructor's notebook."""
    answers = notebooks.cells_by_id(source_nb)
    for cell in release_nb.cells:
        gid = notebooks.grade_id(cell)
        if gid and cell.metadata["nbgrader"].get("solution") and gid in answers:
            cell.source = answers[gid].source
    return release_nb


def write_submission(student: SimulatedStudent, *, root: Path, assignment: str, as_id: str | None = None) -> Path:
    """Create `submitted/<as_id or student.id>/<assignment>/` for one simulated student; returns it."""
    root = Path(root)
    release_dir, source_dir = root / "release" / assignment, root / "source" / assignment
    target = root / "submitted" / (as_id or student.id) / assignment
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(release_dir, target, ignore=lambda _, names: [
        n for n in names if n.endswith(".ipynb") and not student.submits(n.removesuffix(".ipynb"))])
    if student.start == "reference":
        for path in sorted(target.glob("*.ipynb")):
            nb = fill_answers(notebooks.read(path), notebooks.read(source_dir / path.name))
            notebooks.write(nb, target / path.name)
        for module in student_modules(source_dir):
            shutil.copy(module, target / module.name)
    elif student.start != "release":
        raise ValueError(f"{student.id}: start must be 'reference' or 'release', not {student.start!r}")
    for edit in student.edits:
        _apply(edit, target)
    return target


def expected_scores(student: SimulatedStudent, cells) -> dict[str, float]:
    """Expected auto score per graded test cell.

    `cells` are the gradebook's autograded cells (objects with `notebook`, `cell`, `max_score`).
    Cells of notebooks the student did not hand in, and of the untouched release, score zero.
    """
    def expected(cell) -> float:
        lost = student.start == "release" or cell.cell in student.loses or not student.submits(cell.notebook)
        return 0.0 if lost else cell.max_score

    return {cell.cell: expected(cell) for cell in cells}
