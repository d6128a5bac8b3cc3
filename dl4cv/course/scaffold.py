"""`dl4cv new <aid> <notebook>`: a working notebook to start from, in every place the tooling
looks, so that `dl4cv check`, `dl4cv prove` and the test suite pass straight away.

Written for the notebook `<nb>` of assignment `<aid>`:
  - source/<aid>/<nb>.ipynb: title, setup cell, imports, the task, one graded test cell with a
    public part and a hidden part (an oracle, the no-loop rule, every device);
  - source/<aid>/<nb>.py: the student module with one solution region;
  - assignments/<aid>/classroom/<nb>.py: a differently written correct student and two broken
    ones (plus classroom/_everyone.py with `reference` and `untouched` for a new assignment);
  - assignments/<aid>/test_<nb>.py: a reference test, for what the hidden tests cannot check;
  - assignments/<aid>/README.md: the handout, for a new assignment.
Then the assignment is released, which writes the handout's grading tables. Replace the example
function with the notebook's own.
"""

from __future__ import annotations

import keyword
import re
from pathlib import Path

import nbformat

from dl4cv.course import notebooks
from dl4cv.course.config import CourseError, course_settings
from dl4cv.course.layout import assignment_home, classroom_dir, handout_path, reference_test_path
from dl4cv.notebook_setup import setup_cell_source

_NAME = re.compile(r"[a-z][a-z0-9_]*")

MODULE = '''"""{aid} · {title}: what students write for this notebook. Replace the example with your own."""

from __future__ import annotations

import torch


def add_one(x: torch.Tensor) -> torch.Tensor:
    """Add 1 to every element of `x`, with no Python loop.

    Args:
        x: a floating tensor of any shape, on any device.
    Returns:
        A tensor shaped like `x`, same dtype and device.
    """
    ### BEGIN SOLUTION
    out = x + 1
    ### END SOLUTION
    return out
'''

IMPORTS = """%load_ext autoreload
%autoreload 2

import torch

from dl4cv.testing import assert_close, assert_no_loops, available_devices
import {nb}

torch.manual_seed(0)"""

TASK = """## 1. An example task

Implement `add_one` in `{nb}.py`: add 1 to every element of a tensor of any shape, without a
Python loop. **Graded** (1 point): values against `x + 1` on fresh random tensors of several
shapes and dtypes, on every device the autograder has, and no loop (the check runs it on a
batch of 8 and of 40: the same operations and lines must run for both)."""

TEST = '''# Graded: values against `x + 1` for several shapes and dtypes, every device; no loops

# Checks: a case you can verify by hand, and no loop.
assert_close({nb}.add_one(torch.tensor([0.0, 1.5])), torch.tensor([1.0, 2.5]), name="add_one")
assert_no_loops({nb}.add_one, lambda n: (torch.randn(n, 3),))
print("add_one: public checks passed")
### BEGIN HIDDEN TESTS
for where in available_devices():  # an example: replace with the notebook's own hidden cases
    for shape in [(), (5,), (3, 4), (2, 3, 4)]:
        for kind in (torch.float64, torch.float32):
            x = torch.randn(shape, dtype=kind, device=where)
            got = {nb}.add_one(x)
            assert got.dtype == kind and got.device.type == where.type, f"add_one must keep dtype {{kind}} and device {{where}}"
            assert_close(got, x + 1, rtol=0, atol=0, name=f"add_one, shape {{shape}}, {{kind}}, {{where}}")
### END HIDDEN TESTS'''

CLASS = '''"""Simulated students of {aid} `{nb}`: one correct solution written differently and two broken
ones. Each hands in only {nb}.ipynb; `dl4cv prove {aid} --notebook {nb}` grades them and checks
each scores exactly as listed."""

from dl4cv.course.classroom import Edit, SimulatedStudent

MODULE = "{nb}.py"
NOTEBOOK = ("{nb}",)
BODY = "    out = x + 1\\n"

STUDENTS = [
    SimulatedStudent("{nb}_alt_correct", "add_one as x.add(1)", notebooks=NOTEBOOK,
                     edits=(Edit(MODULE, BODY, "    out = x.add(1)\\n"),)),
    SimulatedStudent("{nb}_off_by_one", "adds 2 instead of 1", notebooks=NOTEBOOK,
                     edits=(Edit(MODULE, BODY, "    out = x + 2\\n"),), loses=("{aid}_{nb}_add_one",)),
    SimulatedStudent("{nb}_looped", "right values, one element at a time in a Python loop", notebooks=NOTEBOOK,
                     edits=(Edit(MODULE, BODY, "    out = torch.stack([v + 1 for v in x.flatten()]).reshape(x.shape)\\n"),),
                     loses=("{aid}_{nb}_add_one",)),
]
'''

EVERYONE = '''"""Students of {aid} who hand in every notebook: the instructor's solution (full marks everywhere)
and the release exactly as handed out (zero everywhere, without stopping the batch)."""

from dl4cv.course.classroom import SimulatedStudent

STUDENTS = [
    SimulatedStudent("reference", "the instructor's solution"),
    SimulatedStudent("untouched", "the release as handed out, nothing filled in", start="release"),
]
'''

REFERENCE_TEST = '''"""What the hidden tests of {aid} `{nb}` cannot check. The notebook's hidden tests are the one
place its checks are written, and its simulated class proves them against the reference
(`dl4cv prove {aid} --notebook {nb}`); this file holds the rest: here, that the release gives
students a stub that says what to write."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from dl4cv.course.modules import load_module

ROOT = Path(__file__).resolve().parents[2]


def test_release_stub_names_the_function_to_write():
    released = load_module(ROOT / "release" / "{aid}" / "{nb}.py")
    with pytest.raises(NotImplementedError, match="add_one"):
        released.add_one(torch.zeros(2))
'''

HANDOUT = """# {aid}

What the assignment teaches, in a paragraph.

## Notebooks

| notebook | you write (in the `.py` module beside it) |
|---|---|
| `{nb}.ipynb` | `{nb}.py`: `add_one` |

## Grading

"""


def _cell(kind: str, source: str, **nbgrader) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source) if kind == "code" else nbformat.v4.new_markdown_cell(source)
    if nbgrader:
        cell.metadata["nbgrader"] = {"schema_version": 3, "task": False, "solution": False, "locked": True, **nbgrader}
    return cell


def _notebook(aid: str, nb: str, repository: str) -> nbformat.NotebookNode:
    setup = _cell("code", setup_cell_source(aid, repository), grade=False, grade_id=f"{aid}_{nb}_setup")
    setup.metadata["tags"] = [notebooks.SETUP_TAG]
    notebook = nbformat.v4.new_notebook(metadata={
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    })  # fmt: skip
    title = nb.replace("_", " ")
    notebook.cells = [
        _cell("markdown", f"# {aid} · {title}\n\nWhat this notebook teaches, and where students write their code "
                          f"(`{nb}.py`, next to this notebook)."),
        setup,
        _cell("code", IMPORTS.format(nb=nb)),
        _cell("markdown", TASK.format(nb=nb)),
        _cell("code", TEST.format(nb=nb), grade=True, grade_id=f"{aid}_{nb}_add_one", points=1),
    ]  # fmt: skip
    return notebook


def _check_names(root: Path, aid: str, nb: str) -> None:
    for what, name in (("assignment", aid), ("notebook", nb)):
        if not _NAME.fullmatch(name) or keyword.iskeyword(name):
            raise CourseError(f"{what} name {name!r}: use lower-case letters, digits and _, starting with a letter")
    taken = [p for p in (root / "source" / aid / f"{nb}.ipynb", root / "source" / aid / f"{nb}.py",
                         classroom_dir(root, aid) / f"{nb}.py", reference_test_path(root, aid, nb))
             if p.exists()]  # fmt: skip
    if taken:
        raise CourseError(f"{taken[0].relative_to(root)} already exists: pick another notebook name")


def new_notebook(*, root: Path, assignment: str, notebook: str, release: bool = True) -> list[Path]:
    """Write the notebook `notebook` of `assignment` everywhere the tooling looks; returns the files
    written, and releases the assignment unless `release` is False."""
    root = Path(root).resolve()
    _check_names(root, assignment, notebook)
    fields = {"aid": assignment, "nb": notebook, "title": notebook.replace("_", " ")}
    source = root / "source" / assignment
    home, classroom = assignment_home(root, assignment), classroom_dir(root, assignment)
    source.mkdir(parents=True, exist_ok=True)
    classroom.mkdir(parents=True, exist_ok=True)
    written = []

    def write(path: Path, text: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)

    write(source / f"{notebook}.py", MODULE.format(**fields))
    nbformat.write(_notebook(assignment, notebook, course_settings(root).repository), source / f"{notebook}.ipynb")
    written.append(source / f"{notebook}.ipynb")
    write(classroom / f"{notebook}.py", CLASS.format(**fields))
    if not (classroom / "_everyone.py").exists():
        write(classroom / "_everyone.py", EVERYONE.format(**fields))
    write(reference_test_path(root, assignment, notebook), REFERENCE_TEST.format(**fields))
    for package in (home.parent / "__init__.py", home / "__init__.py"):  # reference tests import as assignments.<aid>
        if not package.exists():
            write(package, "")
    if not handout_path(root, assignment).exists():
        write(handout_path(root, assignment), HANDOUT.format(**fields))
    if release:
        from dl4cv.course.release import release_assignment

        written.append(release_assignment(root=root, assignment=assignment))
    return written
