"""`dl4cv release`: build the student version of an assignment from its instructor source.

nbgrader's `generate_assignment` turns `source/<aid>/*.ipynb` into `release/<aid>/` (solutions
cut, hidden tests removed, cells recorded in the gradebook); dl4cv then cuts the solution regions
of the student modules the same way and refreshes each notebook's setup cell from the course
settings.
"""

from __future__ import annotations

from pathlib import Path

from dl4cv.course import notebooks
from dl4cv.course.config import CourseError, course_settings, load_nbgrader_config, require_assignment
from dl4cv.course.handout import write_grading_tables
from dl4cv.course.modules import release_modules
from dl4cv.notebook_setup import setup_cell_source


class ReleaseError(CourseError):
    """nbgrader could not generate the release; the message carries its log."""


def sync_setup_cells(*, root: Path, assignment: str) -> list[Path]:
    """Make every source notebook's setup cell match the course settings; returns changed files."""
    repository = course_settings(root).repository
    expected = setup_cell_source(assignment, repository)
    changed = []
    for path in sorted((root / "source" / assignment).glob("*.ipynb")):
        nb = notebooks.read(path)
        cell = notebooks.setup_cell(nb)
        if cell is None:
            raise ReleaseError(f"{path}: no setup cell (a code cell tagged '{notebooks.SETUP_TAG}')")
        if cell.source != expected:
            cell.source = expected
            notebooks.write(nb, path)
            changed.append(path)
    return changed


def release_assignment(*, root: Path, assignment: str, gradebook: str | None = None) -> Path:
    """Generate `release/<assignment>/` from `source/<assignment>/`; returns the release folder.

    Also records the assignment's notebooks and graded cells in the gradebook (`gradebook`, an
    SQLAlchemy URL, or the course's), which grading needs, and rewrites the grading tables of
    the handout `assignments/<assignment>/README.md` from the notebooks.
    """
    from nbgrader.apps import NbGraderAPI

    root = Path(root).resolve()
    require_assignment(root, assignment)
    source_dir = root / "source" / assignment
    sync_setup_cells(root=root, assignment=assignment)
    api = NbGraderAPI(config=load_nbgrader_config(root, gradebook=gradebook))
    result = api.generate_assignment(assignment, force=True, create=True)
    if not result["success"] and "because there are submissions associated with it" in (result.get("log") or ""):
        raise ReleaseError(
            f"nbgrader will not change {assignment}: the gradebook ({api.coursedir.db_url}) already holds "
            f"submissions of it, and their scores depend on its cells. Release changes before collecting, "
            f"or grade with a fresh gradebook (DL4CV_DB_URL)."
        )
    if not result["success"]:
        raise ReleaseError(f"nbgrader generate_assignment {assignment} failed:\n{result.get('error') or result.get('log')}")
    release_dir = root / "release" / assignment
    release_modules(source_dir, release_dir)
    write_grading_tables(root, assignment)
    return release_dir
