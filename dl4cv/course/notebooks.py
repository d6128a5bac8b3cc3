"""Small helpers over nbformat notebooks: reading, writing, finding cells by nbgrader id."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import nbformat
from nbformat import NotebookNode

SETUP_TAG = "setup"


def read(path: Path) -> NotebookNode:
    return nbformat.read(str(path), as_version=4)


def write(nb: NotebookNode, path: Path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))


def grade_id(cell: NotebookNode) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def graded_cells(nb: NotebookNode) -> Iterator[NotebookNode]:
    """Cells nbgrader scores (autograder tests and manually graded answers)."""
    for cell in nb.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade"):
            yield cell


def cells_by_id(nb: NotebookNode) -> dict[str, NotebookNode]:
    return {gid: cell for cell in nb.cells if (gid := grade_id(cell))}


def setup_cell(nb: NotebookNode) -> NotebookNode | None:
    """The notebook's setup cell: the code cell tagged `setup`."""
    for cell in nb.cells:
        if cell.cell_type == "code" and SETUP_TAG in cell.get("metadata", {}).get("tags", []):
            return cell
    return None


def has_outputs(nb: NotebookNode) -> bool:
    return any(c.cell_type == "code" and (c.get("outputs") or c.get("execution_count")) for c in nb.cells)


def score_zero(nb: NotebookNode, reason: str, *, ename: str = "NotRun", unfinished_only: bool = False,
               running: int | None = None) -> None:  # fmt: skip
    """Give graded code cells an error output, so they score zero and say `reason`.

    With `unfinished_only`, only the cells that never finished: no execution count, or the one
    at index `running`, which was executing when the kernel stopped. The one helper for every
    way a cell can fail to earn its points (not run, not executed, not scored).
    """
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not cell.get("metadata", {}).get("nbgrader", {}).get("grade"):
            continue
        if unfinished_only and cell.get("execution_count") is not None and index != running:
            continue
        cell.outputs = [nbformat.v4.new_output("error", ename=ename, evalue=reason, traceback=[f"{ename}: {reason}"])]
