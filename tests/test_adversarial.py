"""The adversarial suite: hostile submissions graded in one batch with honest ones.

A tiny assignment (`tests/tiny_course.py`, two graded cells) keeps each execution to seconds. Every hostile
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

from dl4cv.course.classroom import Edit, SimulatedStudent, expected_scores, write_submission
from dl4cv.course.grade import grade_assignment
from dl4cv.course.report import gradebook_scores
from dl4cv.course.sandbox import available_isolation

from .tiny_course import AID, DOUBLE, DOUBLE_CELL, HONEST, SQUARE, SQUARE_CELL, edit_module, tiny_course

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("adversarial")]
ISOLATED = available_isolation() == "bwrap"

STOPPED = "stopped"
HOSTILE = [
    SimulatedStudent("infinite_loop", "double never returns",
                     edits=edit_module(DOUBLE, "    while True:\n        pass\n"), loses=(DOUBLE_CELL,)),
    SimulatedStudent("memory_hog", "double fills memory",
                     edits=edit_module(DOUBLE, "    hog = []\n    while True:\n        hog.append(bytearray(32 << 20))\n"),
                     loses=(DOUBLE_CELL, SQUARE_CELL), status="memory"),
    SimulatedStudent("fork_bomb", "double forks without end",
                     edits=edit_module(DOUBLE, "    import os, time\n    while True:\n        try:\n            if os.fork() == 0:\n"
                                           "                time.sleep(100)\n        except OSError:\n            pass\n"),
                     loses=(DOUBLE_CELL, SQUARE_CELL), status="processes"),
    SimulatedStudent("os_exit", "double kills its own kernel",
                     edits=edit_module(DOUBLE, "    import os\n    os._exit(0)\n"), loses=(DOUBLE_CELL, SQUARE_CELL),
                     status="DeadKernelError"),
    SimulatedStudent("sys_exit", "the module exits when imported",
                     edits=edit_module("import torch\n", "import torch\nraise SystemExit(0)\n"), loses=(DOUBLE_CELL, SQUARE_CELL)),
    SimulatedStudent("reads_source", "double copies the instructor's solution file",
                     edits=edit_module(DOUBLE, f"    open({str(Path('ROOT_PLACEHOLDER') / 'source' / AID / 'tiny.py')!r}).read()\n"
                                           "    result = 2 * x\n"), loses=(DOUBLE_CELL,)),
    SimulatedStudent("writes_gradebook", "the module overwrites the gradebook, then answers right",
                     edits=edit_module("import torch\n", "import torch\ntry:\n    open('ROOT_PLACEHOLDER/gradebook.db', 'wb').write(b'0')\n"
                                                     "except OSError:\n    pass\n")),
    SimulatedStudent("fake_score", "double shows a full score as the cell's result, then fails",
                     edits=edit_module(DOUBLE, "    get_ipython().displayhook(2)\n    result = x\n"), loses=(DOUBLE_CELL,)),
    SimulatedStudent("patches_torch", "the module makes torch.equal always true, and double is wrong",
                     edits=edit_module(DOUBLE, "    torch.equal = lambda *args: True\n    result = x\n"),
                     loses=(DOUBLE_CELL, SQUARE_CELL), status="tampering"),
    SimulatedStudent("patches_notebook", "double rewrites the notebook's globals",
                     edits=edit_module(DOUBLE, "    import __main__\n    __main__.tiny = None\n    result = x\n"),
                     loses=(DOUBLE_CELL, SQUARE_CELL), status="tampering"),
    SimulatedStudent("floods_output", "double prints megabytes, then answers right",
                     edits=edit_module(DOUBLE, "    print('spam ' * 2_000_000)\n    result = 2 * x\n")),
    SimulatedStudent("network", "double needs the network to answer right",
                     edits=edit_module(DOUBLE, "    import socket\n    socket.create_connection(('1.1.1.1', 53), timeout=3).close()\n"
                                           "    result = 2 * x\n"), loses=(DOUBLE_CELL,)),
    SimulatedStudent("huge_file", "the module writes a file larger than allowed, then answers right",
                     edits=edit_module("import torch\n", "import torch\ntry:\n    open('big.bin', 'wb').write(bytes(64 << 20))\n"
                                                     "except OSError:\n    pass\n")),
    # In its own process namespace the kernel finds no one else to kill (ProcessLookupError); without
    # one it would take the grader down, which is why it only runs where bwrap isolates kernels.
    SimulatedStudent("kills_everyone", "double sends SIGKILL to every process it can",
                     edits=edit_module(DOUBLE, "    import os, signal\n    os.kill(-1, signal.SIGKILL)\n    result = 2 * x\n"),
                     loses=(DOUBLE_CELL,)),
]
LINK_STUDENT = SimulatedStudent("symlink", "hands in a link to the instructor's module and reads it",
                                edits=edit_module(DOUBLE, "    open('solution.py').read()\n    result = 2 * x\n"),
                                loses=(DOUBLE_CELL,), status="links removed")  # fmt: skip
EDITED_TESTS = SimulatedStudent("edits_tests", "wrong square, and the square test cell edited to `pass`",
                                edits=edit_module(SQUARE, "    result = 0\n"), loses=(SQUARE_CELL,))
DELETED_TEST = SimulatedStudent("deletes_test", "right answers, and the square test cell deleted", status="restored deleted cells")
RENAMED_TEST = SimulatedStudent("renames_test", "wrong double, and the double test cell given another grade id",
                                edits=edit_module(DOUBLE, "    result = x\n"), loses=(DOUBLE_CELL,), status="unknown grade ids")
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
    root = tiny_course(tmp_path_factory.mktemp("adversarial") / "course")
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
    alone = tiny_course(tmp_path / "alone")
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
