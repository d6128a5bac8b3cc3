"""Grading step 1, prepare: each submission made safe and gradable, serially, with nbgrader's
own `Autograde` minus its execution step (record the student, copy support files, restore the
instructor's test cells), after removing links and repairing what can be repaired, and before
scanning for tampering. Only prepared notebooks that pass go on to be executed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from tqdm.auto import tqdm

from dl4cv.course import notebooks
from dl4cv.course.execute import NotebookRun
from dl4cv.course.modules import student_modules
from dl4cv.course.repair import repair_submission


@dataclass
class SubmissionResult:
    """How grading one student's submission went."""

    student: str
    assignment: str
    status: str = "graded"  # "graded", or a one-line reason it could not be fully graded
    seconds: float = 0.0
    notebooks: list[str] = field(default_factory=list)


def submitted_students(*, root: Path, assignment: str) -> list[str]:
    """Students with a `submitted/<student>/<assignment>/` folder, sorted."""
    submitted = Path(root) / "submitted"
    return sorted(p.parent.name for p in submitted.glob(f"*/{assignment}") if p.is_dir())


def remove_links(folder: Path) -> list[str]:
    """Delete every symbolic link in a submission (nbgrader would copy what they point at, which
    could be anything on the grading machine); returns their paths relative to `folder`."""
    links = sorted(p for p in Path(folder).rglob("*") if p.is_symlink())
    for link in links:
        link.unlink()
    return [str(link.relative_to(folder)) for link in links]


def scan_for_tampering(*, prepared: Path, source: Path) -> list[str]:
    """Findings of `dl4cv.course.tamper` in a prepared submission's student-written code: its
    Python files (except the instructor's, which nbgrader copied in) and its solution cells."""
    from dl4cv.course.tamper import scan_submission

    files = {}
    for path in sorted(prepared.rglob("*.py")):
        original = source / path.relative_to(prepared)
        if not (original.is_file() and original.read_bytes() == path.read_bytes()):
            files[str(path.relative_to(prepared))] = path.read_text(encoding="utf-8", errors="replace")
    cells = {}
    for path in sorted(prepared.glob("*.ipynb")):
        try:
            nb = nbformat.read(str(path), as_version=4)
        except Exception:  # nbgrader already refused unreadable notebooks
            continue
        for index, cell in enumerate(nb.cells):
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if cell.cell_type == "code" and meta.get("solution"):
                cells[f"{path.name} cell {meta.get('grade_id', index)}"] = cell.source
    return [str(finding) for finding in scan_submission(python_files=files, solution_cells=cells)]


def _prepare(api, *, assignment: str, student: str) -> str | None:
    """nbgrader's autograde without execution; returns an error line, or None on success."""
    result = api.autograde(assignment, student, force=True, create=True)
    if result["success"]:
        return None
    lines = [ln for ln in (result.get("error") or result.get("log") or "").strip().splitlines() if ln.strip()]
    return "could not prepare the submission: " + (lines[-1] if lines else "unknown nbgrader error")


def prepare_submissions(api, *, root: Path, assignment: str, students: list[str],
                        save: Callable[[NotebookRun], None], progress: bool) -> tuple[dict[str, SubmissionResult], list[str]]:  # fmt: skip
    """Prepare every student's submission; returns their results so far and the paths of the
    prepared notebooks to execute. A submission suspected of tampering is not executed: each of
    its test cells scores zero, saved with `save`, and its status says why."""
    results = {s: SubmissionResult(student=s, assignment=assignment) for s in students}
    pending: list[str] = []
    released = {p.stem for p in (root / "release" / assignment).glob("*.ipynb")}
    module_names = [p.name for p in student_modules(root / "source" / assignment)]
    for student in tqdm(students, desc=f"prepare {assignment}", disable=not progress):
        links = remove_links(root / "submitted" / student / assignment)
        repairs = repair_submission(submission=root / "submitted" / student / assignment, release=root / "release" / assignment,
                                    modules=module_names)  # fmt: skip
        problem = _prepare(api, assignment=assignment, student=student)
        if problem:
            results[student].status = problem
            continue
        prepared = sorted((root / "autograded" / student / assignment).glob("*.ipynb"))
        findings = scan_for_tampering(prepared=root / "autograded" / student / assignment, source=root / "source" / assignment)
        if findings:
            more = f" (and {len(findings) - 1} more)" if len(findings) > 1 else ""
            results[student].status = f"tampering suspected, scored zero for review: {findings[0]}{more}"
            for path in prepared:  # not executed: every test cell scores zero and says why
                nb = nbformat.read(str(path), as_version=4)
                notebooks.score_zero(nb, results[student].status, ename="NotScored")
                save(NotebookRun(student, assignment, path.stem, str(path), 0.0, nbformat.writes(nb)))
            continue
        missing = sorted(released - {p.stem for p in prepared})
        notes = [f"not handed in: {', '.join(missing)}"] if missing else []
        notes += [f"links removed: {', '.join(links)}"] if links else []
        notes += repairs
        if notes:
            results[student].status = "graded; " + "; ".join(notes)
        pending += [str(p) for p in prepared]
    return results, pending
