"""The adversarial suite: hostile submissions graded in one batch with honest ones.

A tiny assignment (`a9/tiny`, two graded cells) keeps each execution to seconds. Every hostile
student plants one attack; passing means no escape (each attack that would earn points if it
worked earns none, the course folder and gradebook are untouched), every honest grade equals
the grade it gets in a batch of its own, and the batch finishes with a status for everyone.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import nbformat
import pytest

from dl4cv.course.classroom import Edit, SimulatedStudent, copy_course, expected_scores, write_submission
from dl4cv.course.grade import grade_assignment
from dl4cv.course.release import release_assignment
from dl4cv.course.report import gradebook_scores
from dl4cv.course.sandbox import available_isolation
from dl4cv.notebook_setup import setup_cell_source

from .conftest import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("adversarial")]
AID = "a9"
ISOLATED = available_isolation() == "bwrap"

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


def _tiny_course(target: Path) -> Path:
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


def _module(old: str, new: str) -> tuple[Edit, ...]:
    return (Edit("tiny.py", old, new),)


HONEST = [
    SimulatedStudent("reference", "the instructor's solution"),
    SimulatedStudent("alt_correct", "right, written differently", edits=_module(DOUBLE, "    result = x + x\n")),
    SimulatedStudent("wrong_square", "an honest mistake", edits=_module(SQUARE, "    result = x * 2\n"), loses=(SQUARE_CELL,)),
]
STOPPED = "stopped"
HOSTILE = [
    SimulatedStudent("infinite_loop", "double never returns",
                     edits=_module(DOUBLE, "    while True:\n        pass\n"), loses=(DOUBLE_CELL,)),
    SimulatedStudent("memory_hog", "double fills memory",
                     edits=_module(DOUBLE, "    hog = []\n    while True:\n        hog.append(bytearray(32 << 20))\n"),
                     loses=(DOUBLE_CELL, SQUARE_CELL), status="memory"),
    SimulatedStudent("fork_bomb", "double forks without end",
                     edits=_module(DOUBLE, "    import os, time\n    while True:\n        try:\n            if os.fork() == 0:\n"
                                           "                time.sleep(100)\n        except OSError:\n            pass\n"),
                     loses=(DOUBLE_CELL, SQUARE_CELL), status="processes"),
    SimulatedStudent("os_exit", "double kills its own kernel",
                     edits=_module(DOUBLE, "    import os\n    os._exit(0)\n"), loses=(DOUBLE_CELL, SQUARE_CELL),
                     status="DeadKernelError"),
    SimulatedStudent("sys_exit", "the module exits when imported",
                     edits=_module("import torch\n", "import torch\nraise SystemExit(0)\n"), loses=(DOUBLE_CELL, SQUARE_CELL)),
    SimulatedStudent("reads_source", "double copies the instructor's solution file",
                     edits=_module(DOUBLE, f"    open({str(Path('ROOT_PLACEHOLDER') / 'source' / AID / 'tiny.py')!r}).read()\n"
                                           "    result = 2 * x\n"), loses=(DOUBLE_CELL,)),
    SimulatedStudent("writes_gradebook", "the module overwrites the gradebook, then answers right",
                     edits=_module("import torch\n", "import torch\ntry:\n    open('ROOT_PLACEHOLDER/gradebook.db', 'wb').write(b'0')\n"
                                                     "except OSError:\n    pass\n")),
    SimulatedStudent("fake_score", "double shows a full score as the cell's result, then fails",
                     edits=_module(DOUBLE, "    get_ipython().displayhook(2)\n    result = x\n"), loses=(DOUBLE_CELL,)),
    SimulatedStudent("patches_torch", "the module makes torch.equal always true, and double is wrong",
                     edits=_module(DOUBLE, "    torch.equal = lambda *args: True\n    result = x\n"),
                     loses=(DOUBLE_CELL, SQUARE_CELL), status="tampering"),
    SimulatedStudent("patches_notebook", "double rewrites the notebook's globals",
                     edits=_module(DOUBLE, "    import __main__\n    __main__.tiny = None\n    result = x\n"),
                     loses=(DOUBLE_CELL, SQUARE_CELL), status="tampering"),
    SimulatedStudent("floods_output", "double prints megabytes, then answers right",
                     edits=_module(DOUBLE, "    print('spam ' * 2_000_000)\n    result = 2 * x\n")),
    SimulatedStudent("network", "double needs the network to answer right",
                     edits=_module(DOUBLE, "    import socket\n    socket.create_connection(('1.1.1.1', 53), timeout=3).close()\n"
                                           "    result = 2 * x\n"), loses=(DOUBLE_CELL,)),
    SimulatedStudent("huge_file", "the module writes a file larger than allowed, then answers right",
                     edits=_module("import torch\n", "import torch\ntry:\n    open('big.bin', 'wb').write(bytes(64 << 20))\n"
                                                     "except OSError:\n    pass\n")),
    # In its own process namespace the kernel finds no one else to kill (ProcessLookupError); without
    # one it would take the grader down, which is why it only runs where bwrap isolates kernels.
    SimulatedStudent("kills_everyone", "double sends SIGKILL to every process it can",
                     edits=_module(DOUBLE, "    import os, signal\n    os.kill(-1, signal.SIGKILL)\n    result = 2 * x\n"),
                     loses=(DOUBLE_CELL,)),
]
LINK_STUDENT = SimulatedStudent("symlink", "hands in a link to the instructor's module and reads it",
                                edits=_module(DOUBLE, "    open('solution.py').read()\n    result = 2 * x\n"),
                                loses=(DOUBLE_CELL,), status="links removed")  # fmt: skip
EDITED_TESTS = SimulatedStudent("edits_tests", "wrong square, and the square test cell edited to `pass`",
                                edits=_module(SQUARE, "    result = 0\n"), loses=(SQUARE_CELL,))
DELETED_TEST = SimulatedStudent("deletes_test", "right answers, and the square test cell deleted", status="restored deleted cells")
RENAMED_TEST = SimulatedStudent("renames_test", "wrong double, and the double test cell given another grade id",
                                edits=_module(DOUBLE, "    result = x\n"), loses=(DOUBLE_CELL,), status="unknown grade ids")
NEEDS_ISOLATION = {"reads_source", "writes_gradebook", "network", "kills_everyone", "symlink"}


def _plant(student: SimulatedStudent, root: Path) -> SimulatedStudent:
    edits = tuple(Edit(e.file, e.old, e.new.replace("ROOT_PLACEHOLDER", str(root))) for e in student.edits)
    return replace(student, edits=edits)


def _submit(student: SimulatedStudent, root: Path) -> None:
    folder = write_submission(student, root=root, assignment=AID)
    if student.id == "symlink":
        (folder / "solution.py").symlink_to(root / "source" / AID / "tiny.py")
    if student.id in ("deletes_test", "renames_test"):
        nb = nbformat.read(folder / "tiny.ipynb", as_version=4)
        target = SQUARE_CELL if student.id == "deletes_test" else DOUBLE_CELL
        index = next(i for i, c in enumerate(nb.cells) if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == target)
        if student.id == "deletes_test":
            del nb.cells[index]
        else:
            nb.cells[index].metadata.nbgrader["grade_id"] = "my_own_test"
        nbformat.write(nb, folder / "tiny.ipynb")
    if student.id == "edits_tests":
        nb = nbformat.read(folder / "tiny.ipynb", as_version=4)
        for cell in nb.cells:
            if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == SQUARE_CELL:
                cell.source = "pass"
        nbformat.write(nb, folder / "tiny.ipynb")


def _fingerprint(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((root / "source").rglob("*")) if p.is_file()}  # fmt: skip


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    root = _tiny_course(tmp_path_factory.mktemp("adversarial") / "course")
    hostile = [s for s in [*HOSTILE, LINK_STUDENT, EDITED_TESTS, DELETED_TEST, RENAMED_TEST] if ISOLATED or s.id not in NEEDS_ISOLATION]
    students = [*HONEST, *(_plant(s, root) for s in hostile)]
    for student in students:
        _submit(student, root)
    before = _fingerprint(root)
    results = grade_assignment(root=root, assignment=AID, jobs=2, progress=False)
    return root, students, {r.student: r.status for r in results}, before


def test_the_suite_is_big_enough():
    assert len(HOSTILE) + 4 >= 15


def test_every_student_scores_exactly_as_expected(batch):
    root, students, statuses, _ = batch
    scores = gradebook_scores(root=root, assignment=AID)
    assert set(statuses) == set(scores) == {s.id for s in students}
    problems = []
    for student in students:
        cells = [c for c in scores[student.id] if c.autograded]
        expected = expected_scores(student, cells)
        got = {c.cell: c.score for c in cells}
        if got != expected:
            problems.append(f"{student.id}: scored {got}, expected {expected} (status {statuses[student.id]!r})")
        wanted = STOPPED if student.status in ("memory", "processes") else student.status
        if wanted not in statuses[student.id]:
            problems.append(f"{student.id}: status {statuses[student.id]!r}, expected it to mention {wanted!r}")
    assert problems == [], "\n".join(problems)


def test_honest_grades_equal_a_batch_of_their_own(batch, tmp_path):
    root, _, _, _ = batch
    alone = _tiny_course(tmp_path / "alone")
    for student in HONEST:
        _submit(student, alone)
    grade_assignment(root=alone, assignment=AID, jobs=2, progress=False)

    def honest(course: Path) -> dict:
        scores = gradebook_scores(root=course, assignment=AID)
        return {(s.id, c.cell): c.score for s in HONEST for c in scores[s.id]}

    assert honest(root) == honest(alone)


def test_nothing_outside_the_submissions_changed(batch):
    root, _, _, before = batch
    assert _fingerprint(root) == before
    assert (root / "gradebook.db").read_bytes()[:16] == b"SQLite format 3\x00"
    assert not (root / "big.bin").exists()
    leaked = [p for p in root.rglob("big.bin") if "autograded" in p.parts]
    assert leaked == [], "files a kernel writes stay in its scratch copy"


def test_feedback_and_export_cover_every_hostile_student(batch):
    from dl4cv.course.feedback import generate_feedback
    from dl4cv.course.report import export_grades

    root, students, statuses, _ = batch
    path = export_grades(root=root, assignment=AID, path=root / "grades.csv", statuses=statuses)
    assert len(path.read_text().splitlines()) == 1 + len(students)
    html = (generate_feedback(root=root, assignment=AID, student="patches_torch")[0]).read_text()
    assert "tampering suspected" in html


@pytest.mark.skipif(ISOLATED, reason="this machine isolates kernels with bwrap")
def test_without_isolation_the_grader_says_so():
    from dl4cv.course.sandbox import Sandbox, describe

    assert "no filesystem isolation" in describe(Sandbox()) or "NO isolation" in describe(Sandbox())


def test_the_release_of_the_tiny_assignment_holds_no_solution(batch):
    root, _, _, _ = batch
    released = (root / "release" / AID / "tiny.py").read_text()
    assert "2 * x" not in released and "BEGIN SOLUTION" not in released
    assert "BEGIN HIDDEN" not in json.dumps(nbformat.read(root / "release" / AID / "tiny.ipynb", as_version=4))
