"""A tiny generated assignment (`a9/tiny`, two graded cells) for grading tests that need many
quick executions: the adversarial suite and the scale-out tests."""

from __future__ import annotations

from pathlib import Path

import nbformat

from dl4cv.course.classroom import Edit, SimulatedStudent, copy_course
from dl4cv.course.release import release_assignment
from dl4cv.notebook_setup import setup_cell_source

from .conftest import ROOT

AID = "a9"

MODULE = '''"""A tiny student module."""

import torch


def double(x):
    """Twice `x` (a number or a tensor)."""
    ### BEGIN SOLUTION
    result = 2 * x
    ### END SOLUTION
    return result


def square(x):
    """`x` squared."""
    ### BEGIN SOLUTION
    result = x * x
    ### END SOLUTION
    return result
'''

TEST_DOUBLE = """assert tiny.double(2) == 4
### BEGIN HIDDEN TESTS
x = torch.randn(7, dtype=torch.float64)
assert torch.equal(tiny.double(x), x + x), "double is wrong"
### END HIDDEN TESTS"""
TEST_SQUARE = """assert tiny.square(3) == 9
### BEGIN HIDDEN TESTS
assert tiny.square(-4) == 16, "square is wrong"
### END HIDDEN TESTS"""

DOUBLE = "    result = 2 * x\n"
SQUARE = "    result = x * x\n"
DOUBLE_CELL, SQUARE_CELL = "a9_tiny_double", "a9_tiny_square"


def _cell(kind: str, source: str, **nbgrader) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source) if kind == "code" else nbformat.v4.new_markdown_cell(source)
    if nbgrader:
        cell.metadata["nbgrader"] = {"schema_version": 3, "task": False, "solution": False, "locked": True, **nbgrader}
    return cell


def tiny_course(target: Path) -> Path:
    """A copy of the course with `source/a9/tiny` added and released, and tight sandbox limits."""
    root = copy_course(root=ROOT, target=target)
    folder = root / "source" / AID
    folder.mkdir(parents=True)
    (folder / "tiny.py").write_text(MODULE)
    setup = _cell("code", setup_cell_source(AID, "https://example.org/dl4cv"), grade=False, grade_id="a9_tiny_setup")
    setup.metadata["tags"] = ["setup"]
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nb.cells = [
        _cell("markdown", "# A tiny assignment"), setup, _cell("code", "import torch\nimport tiny"),
        _cell("code", TEST_DOUBLE, grade=True, grade_id=DOUBLE_CELL, points=2),
        _cell("code", TEST_SQUARE, grade=True, grade_id=SQUARE_CELL, points=1),
    ]  # fmt: skip
    nbformat.write(nb, folder / "tiny.ipynb")
    with (root / "nbgrader_config.py").open("a") as config:
        config.write("\nc.Execute.timeout = 20\nc.Sandbox.notebook_timeout = 90\nc.Sandbox.memory_mb = 1024\n"
                     "c.Sandbox.max_processes = 200\nc.Sandbox.max_file_mb = 16\n")  # fmt: skip
    release_assignment(root=root, assignment=AID)
    return root


def edit_module(old: str, new: str) -> tuple[Edit, ...]:
    return (Edit("tiny.py", old, new),)


HONEST = [
    SimulatedStudent("reference", "the instructor's solution"),
    SimulatedStudent("alt_correct", "right, written differently", edits=edit_module(DOUBLE, "    result = x + x\n")),
    SimulatedStudent("wrong_square", "an honest mistake", edits=edit_module(SQUARE, "    result = x * 2\n"), loses=(SQUARE_CELL,)),
]
