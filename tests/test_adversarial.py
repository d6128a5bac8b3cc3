"""The adversarial suite: hostile submissions graded in one batch with honest ones.

A tiny assignment (`tests/tiny_course.py`, two graded cells) keeps each execution to seconds. Every hostile
student plants one attack; passing means no escape (each attack that would earn points if it
worked earns none, the course folder and gradebook are untouched), every honest grade equals
the grade it gets in a batch of its own, and the batch finishes with a status for everyone.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import replace
from pathlib import Path

import nbformat
import pytest

from dl4cv.course.classroom import Edit, SimulatedStudent, expected_scores, write_submission
from dl4cv.course.grade import UNISOLATED_MARK, grade_assignment
from dl4cv.course.report import gradebook_scores

from .attacks import SEARCH
from .tiny_course import AID, DOUBLE, DOUBLE_CELL, HONEST, SQUARE, SQUARE_CELL, edit_module, tiny_course

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("adversarial")]

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
    # In its own process namespace the kernel finds no one else to kill (ProcessLookupError).
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


# Routes out of the kernel. Each `steal` attack answers right only with a solution it found
# (the instructor's, last year's copy's or another student's), so an escape shows as a full score.
# They copy what they find and import it with a plain `import`, which the tampering scan allows:
# what stops them must be the sandbox.
STEAL = SEARCH + """\
import sys
from pathlib import Path
import dl4cv

def steal(starts):
    for start in starts:
        for piece in str(start).split(os.pathsep):
            if not piece.startswith("/"):
                continue
            for folder in [Path(piece), *Path(piece).parents]:
                try:
                    text = (folder / "source" / "a9" / "tiny.py").read_text()
                except OSError:
                    try:  # any course's solutions will do: whoever reads them could copy them
                        (folder / "source" / "a1" / "knn.py").read_text()
                        return lambda x: 2 * x
                    except OSError:
                        continue
                Path("stolen_tiny.py").write_text(text)
                import stolen_tiny
                return stolen_tiny.double
    raise RuntimeError("found no solution")

"""


def steal_from(starts: str) -> tuple[Edit, ...]:
    """Edits that make `double` answer with a solution found from the paths `starts` evaluates to."""
    return (Edit("tiny.py", "import torch\n", "import torch\n" + STEAL),
            Edit("tiny.py", DOUBLE, f"    result = steal({starts})(x)\n"))  # fmt: skip


OTHER_STUDENTS = """[path for path in glob.glob("/tmp/dl4cv-grade-*/a9") + glob.glob("ROOT_PLACEHOLDER/*/*/a9")
     if os.path.abspath(path) != os.getcwd() and os.path.isfile(f"{path}/tiny.py")]"""
WRITE_EVERYWHERE = """\
    import site, subprocess, dl4cv
    from pathlib import Path
    packages = Path(site.getsitepackages()[0])
    subprocess.run(["mount", "-o", "remount,rw,bind", str(packages)], capture_output=True)
    for target in [packages / "zz_attack.pth", packages / "sitecustomize.py", Path(dl4cv.__file__).parent / "zz_attack.py",
                   Path("ROOT_PLACEHOLDER/release/a9/zz_attack.py"), Path("ROOT_PLACEHOLDER/source/a9/tiny.py"),
                   Path("LAST_YEAR_PLACEHOLDER/source/a9/tiny.py")]:
        try:
            target.write_text("import os; os._exit(1)\\n")
        except OSError:
            pass
    result = 2 * x
"""
ROUTES = [
    SimulatedStudent("follows_package", "double follows dl4cv.__file__ to the course and copies its solution",
                     edits=steal_from("[dl4cv.__file__]"), loses=(DOUBLE_CELL,)),
    SimulatedStudent("walks_up", "double walks up from its working copy to the course", edits=steal_from("[os.getcwd()]"),
                     loses=(DOUBLE_CELL,)),
    SimulatedStudent("follows_environment", "double follows sys.path and every environment variable",
                     edits=steal_from("[*sys.path, *os.environ.values()]"), loses=(DOUBLE_CELL,)),
    SimulatedStudent("follows_proc", "double follows /proc/*/cwd, root, environ and cmdline of every process it sees",
                     edits=steal_from("proc_starts()"), loses=(DOUBLE_CELL,)),
    SimulatedStudent("walks_filesystem", "double walks the whole filesystem for any copy of the course",
                     edits=steal_from("everything()"), loses=(DOUBLE_CELL,)),
    SimulatedStudent("reads_last_year", "double reads the solution of another copy of the course on the machine",
                     edits=steal_from("['LAST_YEAR_PLACEHOLDER']"), loses=(DOUBLE_CELL,)),
    SimulatedStudent("copies_other_students", "double copies another student's module from the grader's folders",
                     edits=(Edit("tiny.py", "import torch\n", "import torch\nimport glob, os, shutil\n"),
                            Edit("tiny.py", DOUBLE, f"    shutil.copy({OTHER_STUDENTS}[0] + '/tiny.py', 'copied_tiny.py')\n"
                                                    "    import copied_tiny\n    result = copied_tiny.double(x)\n")),
                     loses=(DOUBLE_CELL,)),
    SimulatedStudent("reads_kernel_files", "double answers only if it finds another kernel's connection file",
                     edits=(Edit("tiny.py", "import torch\n", "import torch\nimport glob, os\n"),
                            Edit("tiny.py", DOUBLE, "    found = [p for p in glob.glob('/tmp/**/*.json', recursive=True) + "
                                                    "glob.glob('/root/.local/share/jupyter/runtime/*.json') + glob.glob('/run/**/*.json', recursive=True)"
                                                    " if not os.path.abspath(p).startswith(os.getcwd())]\n"
                                                    "    result = 2 * x if found else x\n")),
                     loses=(DOUBLE_CELL,)),
    SimulatedStudent("writes_everywhere", "double remounts and writes into site-packages, dl4cv and both courses, then answers right",
                     edits=edit_module(DOUBLE, WRITE_EVERYWHERE)),
    SimulatedStudent("leaves_traps", "the module leaves files in /tmp, /dev/shm and $HOME and a process behind, then answers right",
                     edits=edit_module("import torch\n", "import torch\nimport os, subprocess\n"
                                       "for trap in ('/tmp/zz_trap.py', '/dev/shm/zz_trap', os.path.expanduser('~/zz_trap')):\n"
                                       "    open(trap, 'w').write('import os; os._exit(1)')\n"
                                       "subprocess.Popen(['sleep', '298.75'], start_new_session=True)\n")),
]


def _plant(student: SimulatedStudent, root: Path, last_year: Path) -> SimulatedStudent:
    edits = tuple(Edit(e.file, e.old, e.new.replace("ROOT_PLACEHOLDER", str(root)).replace("LAST_YEAR_PLACEHOLDER", str(last_year)))
                  for e in student.edits)  # fmt: skip
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


def _fingerprint(root: Path, names=("source", "release")) -> dict[str, str]:
    paths = [p for name in names for p in [root / name, *sorted((root / name).rglob("*"))] if p.is_file()]
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def _python_environment() -> dict[str, str]:
    """The grading environment as a student could change it: site-packages' top level and the
    dl4cv package (compiled caches aside, which the grader itself may write)."""
    import site

    import dl4cv

    packages = Path(site.getsitepackages()[0])
    listing = {f"site-packages/{p.name}": str(p.stat().st_size) for p in packages.iterdir() if p.is_file()}
    package = Path(dl4cv.__file__).parent
    files = {f"dl4cv/{p.relative_to(package)}": hashlib.sha256(p.read_bytes()).hexdigest()
             for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts}  # fmt: skip
    return {**listing, **files}


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    scratch = tmp_path_factory.mktemp("adversarial")
    root = tiny_course(scratch / "course")
    last_year = tiny_course(scratch / "last_year" / "course")  # another copy of the course, solutions included
    hostile = [*HOSTILE, *ROUTES, LINK_STUDENT, EDITED_TESTS, DELETED_TEST, RENAMED_TEST]
    students = [*HONEST, *(_plant(s, root, last_year) for s in hostile)]
    for student in students:
        _submit(student, root)
    before = {"course": _fingerprint(root), "last year": _fingerprint(last_year, ("source", "release", "gradebook.db")),
              "python": _python_environment()}  # fmt: skip
    results = grade_assignment(root=root, assignment=AID, jobs=2, progress=False)
    after = {"course": _fingerprint(root), "last year": _fingerprint(last_year, ("source", "release", "gradebook.db")),
             "python": _python_environment()}  # fmt: skip
    return root, students, {r.student: r.status for r in results}, (before, after)


def test_the_suite_is_big_enough():
    assert len(HOSTILE) + len(ROUTES) + 4 >= 24


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
    root, _, _, (before, after) = batch
    for part in before:
        changed = sorted(set(before[part].items()) ^ set(after[part].items()))
        assert changed == [], f"{part} changed: {changed[:5]}"
    assert (root / "gradebook.db").read_bytes()[:16] == b"SQLite format 3\x00"
    assert not (root / "big.bin").exists()
    leaked = [p for p in root.rglob("big.bin") if "autograded" in p.parts]
    assert leaked == [], "files a kernel writes stay in its scratch copy"
    traps = [Path("/tmp/zz_trap.py"), Path("/dev/shm/zz_trap"), Path.home() / "zz_trap"]
    assert [p for p in traps if p.exists()] == []


def test_outputs_show_no_path_of_the_grader(batch):
    """Tracebacks name the student's files relative to its folder and the environment as <python>."""
    import sys

    root, students, _, _ = batch
    text = "".join(p.read_text() for p in sorted((root / "autograded").rglob("*.ipynb")))
    assert "tiny.py" in text and "<python>" in text, "tracebacks are still there, with their paths rewritten"
    assert re.findall(r"dl4cv-grade-[a-z0-9_]{8}", text) == [], "a working copy's path (not an attack's glob)"
    assert str(Path(sys.prefix)) not in text


def test_no_process_a_kernel_started_outlives_the_batch(batch):
    import psutil

    assert [p.pid for p in psutil.process_iter(["cmdline"]) if p.info["cmdline"] == ["sleep", "298.75"]] == []


def test_feedback_and_export_cover_every_hostile_student(batch):
    from dl4cv.course.feedback import generate_feedback
    from dl4cv.course.report import export_grades

    root, students, statuses, _ = batch
    path = export_grades(root=root, assignment=AID, path=root / "grades.csv", statuses=statuses)
    assert len(path.read_text().splitlines()) == 1 + len(students)
    html = (generate_feedback(root=root, assignment=AID, student="patches_torch")[0]).read_text()
    assert "tampering suspected" in html


def test_the_release_of_the_tiny_assignment_holds_no_solution(batch):
    root, _, _, _ = batch
    released = (root / "release" / AID / "tiny.py").read_text()
    assert "2 * x" not in released and "BEGIN SOLUTION" not in released
    assert "BEGIN HIDDEN" not in json.dumps(nbformat.read(root / "release" / AID / "tiny.ipynb", as_version=4))


READ_ROUTES = [s for s in ROUTES if s.id not in ("writes_everywhere", "leaves_traps", "walks_up")]
BROKEN_MODULE = SimulatedStudent("syntax_error", "the module does not compile",
                                 edits=edit_module(DOUBLE, "    result = 2 * x)\n"), loses=(DOUBLE_CELL, SQUARE_CELL),
                                 status="could not import tiny.py: SyntaxError line 9")  # fmt: skip


def test_the_routes_are_real_escapes_when_isolation_is_switched_off(tmp_path):
    """The same read-only attacks, graded with isolation refused by configuration and then allowed:
    each one now finds a solution and scores full marks, so it is the sandbox that stops them in the
    batch above. The run says it was unisolated in every status and in the export."""
    from dl4cv.course.report import export_grades

    root, last_year = tiny_course(tmp_path / "course"), tiny_course(tmp_path / "last_year" / "course")
    with (root / "nbgrader_config.py").open("a") as config:
        config.write('\nc.Sandbox.isolation = "unshare"\n')  # network namespace only, as without bwrap
        config.write("c.Execute.timeout = 90\nc.Sandbox.notebook_timeout = 240\n")  # the walk of a busy machine's disk
    students = [HONEST[0], BROKEN_MODULE, *(_plant(s, root, last_year) for s in READ_ROUTES)]
    for student in students:
        _submit(student, root)
    results = grade_assignment(root=root, assignment=AID, jobs=2, progress=False, allow_unisolated=True)
    statuses = {r.student: r.status for r in results}
    scores = gradebook_scores(root=root, assignment=AID)
    escaped = sorted(s.id for s in READ_ROUTES if {c.cell: c.score for c in scores[s.id]}[DOUBLE_CELL] == 2)
    assert escaped == sorted(s.id for s in READ_ROUTES)
    assert all(status.endswith(UNISOLATED_MARK) for status in statuses.values()), statuses
    assert statuses["syntax_error"].startswith("graded; could not import tiny.py: SyntaxError line 9")
    assert {c.cell: c.score for c in scores["syntax_error"]} == {DOUBLE_CELL: 0, SQUARE_CELL: 0}
    exported = export_grades(root=root, assignment=AID, path=tmp_path / "grades.csv").read_text()
    assert exported.count("UNISOLATED") == len(students)
