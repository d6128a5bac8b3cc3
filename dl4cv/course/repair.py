"""Repair a submitted notebook whose graded cells were damaged, before nbgrader sees it.

Students delete, duplicate, re-order or re-type cells and edit their metadata. nbgrader then
refuses the notebook (duplicate or unknown grade ids) or quietly gives the deleted cells zero.
Here the notebook is put back into the release's shape: every cell the release marks for
nbgrader is present once, in the release's order, with the release's type and metadata; the
student's answers (solution cells, matched by grade id) and their own extra cells are kept in
place. What was repaired is reported, and the untouched original is kept beside the submission.
"""

from __future__ import annotations

import copy
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode


@dataclass
class Repair:
    """What `repair_notebook` changed, as short phrases for the submission's status."""

    notes: list[str] = field(default_factory=list)

    def add(self, what: str, ids: list[str]) -> None:
        if ids:
            self.notes.append(f"{what}: {', '.join(ids)}")


def _grade_id(cell: NotebookNode) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def repair_notebook(submitted: NotebookNode, release: NotebookNode) -> tuple[NotebookNode, Repair]:
    """The submitted notebook in the release's shape, and what had to change."""
    repair = Repair()
    known = {_grade_id(c): c for c in release.cells if _grade_id(c)}
    order = [gid for gid in (_grade_id(c) for c in release.cells) if gid]

    # Group the student's cells: each known cell carries the unknown cells that follow it.
    seen: dict[str, NotebookNode] = {}
    followers: dict[str | None, list[NotebookNode]] = {None: []}
    current: str | None = None
    duplicated, unknown = [], []
    for cell in submitted.cells:
        gid = _grade_id(cell)
        if gid in known and gid not in seen:
            seen[gid] = cell
            current = gid
            followers[gid] = []
            continue
        if gid in known:
            duplicated.append(gid)
            continue  # a second copy of a graded cell is dropped
        if gid is not None or "nbgrader" in cell.get("metadata", {}):
            unknown.append(gid or "(no id)")
            cell = copy.deepcopy(cell)
            cell.metadata.pop("nbgrader", None)  # a renamed cell is kept, as an ordinary cell
        followers[current].append(cell)

    missing = [gid for gid in order if gid not in seen]
    moved = [gid for gid in seen if gid in order] != [gid for gid in order if gid in seen]
    retyped = [gid for gid, cell in seen.items() if cell.cell_type != known[gid].cell_type]

    cells = list(followers[None])
    for gid in order:
        original = known[gid]
        if gid in seen:
            cell = copy.deepcopy(seen[gid])
            if cell.cell_type != original.cell_type or cell.metadata.get("nbgrader") != original.metadata.get("nbgrader"):
                cell = _like(original, source=cell.source if original.metadata["nbgrader"].get("solution") else original.source)
        else:
            cell = copy.deepcopy(original)  # restored from the release (its answer cell is the stub)
        cells.append(cell)
        cells += followers.get(gid, [])

    repaired = copy.deepcopy(submitted)
    repaired.cells = cells
    repair.add("restored deleted cells", missing)
    repair.add("dropped duplicated cells", sorted(set(duplicated)))
    repair.add("cells with unknown grade ids kept as ordinary cells", unknown)
    repair.add("restored cell types", retyped)
    if moved:
        repair.notes.append("put graded cells back in order")
    return repaired, repair


def _like(original: NotebookNode, *, source: str) -> NotebookNode:
    """A fresh cell of the release cell's type and metadata holding `source`."""
    new = nbformat.v4.new_code_cell(source) if original.cell_type == "code" else nbformat.v4.new_markdown_cell(source)
    new.metadata = copy.deepcopy(original.metadata)
    return new


def repair_submission(*, submission: Path, release: Path, modules: list[str]) -> list[str]:
    """Repair every damaged notebook of one submission folder in place; returns status notes.

    Before the first change the whole folder is copied to `<folder>.original` (kept once). A
    notebook that is not valid JSON is reported, not repaired. `modules` are the student module
    file names the release hands out; missing ones are reported.
    """
    notes: list[str] = []
    backup = submission.with_name(submission.name + ".original")
    for release_nb in sorted(Path(release).glob("*.ipynb")):
        path = submission / release_nb.name
        if not path.is_file():
            continue
        try:
            submitted = nbformat.read(str(path), as_version=4)
        except Exception as error:  # not JSON, not a notebook: nothing to repair from
            notes.append(f"{path.name} is not a readable notebook ({type(error).__name__})")
            continue
        fixed, repair = repair_notebook(submitted, nbformat.read(str(release_nb), as_version=4))
        if repair.notes:
            if not backup.exists():
                shutil.copytree(submission, backup, symlinks=True)
            nbformat.write(fixed, str(path))
            notes.append(f"{path.stem} repaired ({'; '.join(repair.notes)})")
    absent = [name for name in modules if not (submission / name).is_file()]
    if absent:
        notes.append(f"module not handed in: {', '.join(absent)}")
    notes += [problem for name in modules if (problem := unimportable(submission / name))]
    return notes


def unimportable(module: Path) -> str | None:
    """Why the student module at `module` cannot even be imported (it does not compile), or None."""
    if not module.is_file():
        return None
    try:
        compile(module.read_bytes(), module.name, "exec")
    except SyntaxError as error:  # IndentationError and TabError included
        return f"could not import {module.name}: {type(error).__name__} line {error.lineno}: {error.msg}"
    except ValueError as error:  # null bytes
        return f"could not import {module.name}: {error}"
    return None
