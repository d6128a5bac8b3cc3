"""Scale-out: grading on a Dask cluster, tasks that need no shared disk, and a PostgreSQL gradebook.

The class is the tiny generated assignment (`tests/tiny_course.py`): three honest students and
two whose kernels hang or die, so the cluster path is also checked for fault isolation.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import nbformat
import pytest

from dl4cv.course.classroom import SimulatedStudent, expected_scores, write_submission
from dl4cv.course.config import load_nbgrader_config
from dl4cv.course.execute import execute_in_subprocess, pack_task
from dl4cv.course.dispatch import kernel_environment
from dl4cv.course.grade import grade_assignment
from dl4cv.course.report import export_grades, gradebook_scores

from .tiny_course import AID, DOUBLE, DOUBLE_CELL, HONEST, SQUARE_CELL, edit_module, tiny_course

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("scale_out")]

FAULTY = [
    SimulatedStudent("hangs", "double never returns", edits=edit_module(DOUBLE, "    while True:\n        pass\n"),
                     loses=(DOUBLE_CELL,)),
    SimulatedStudent("dies", "double kills its own kernel", edits=edit_module(DOUBLE, "    import os\n    os._exit(0)\n"),
                     loses=(DOUBLE_CELL, SQUARE_CELL), status="DeadKernelError"),
]  # fmt: skip


def _check_scores(root: Path, students: list[SimulatedStudent], statuses: dict[str, str]) -> None:
    scores = gradebook_scores(root=root, assignment=AID)
    assert set(scores) == {s.id for s in students}
    for student in students:
        cells = [c for c in scores[student.id] if c.autograded]
        assert {c.cell: c.score for c in cells} == expected_scores(student, cells), student.id
        assert student.status in statuses[student.id], (student.id, statuses[student.id])


# --------------------------------------------------------------------------- Dask


def test_a_task_carries_its_files_and_needs_no_course_folder(tmp_path):
    root = tiny_course(tmp_path / "course")
    write_submission(HONEST[0], root=root, assignment=AID)
    grade_assignment(root=root, assignment=AID, jobs=1, progress=False)  # prepares autograded/
    notebook = root / "autograded" / HONEST[0].id / AID / "tiny.ipynb"
    task = pack_task(notebook, config=load_nbgrader_config(root), env=kernel_environment(jobs=1))
    assert set(task.files) >= {"tiny.ipynb", "tiny.py"}
    shutil.move(root, tmp_path / "gone")  # as on a worker machine: no course folder at all
    run = execute_in_subprocess(task)
    assert run.problem is None
    executed = nbformat.reads(run.notebook_json, as_version=4)
    graded = [c for c in executed.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade")]
    assert len(graded) == 2 and all(c.execution_count for c in graded)
    assert [o.output_type for c in graded for o in c.outputs if o.output_type == "error"] == []


def test_grading_on_a_local_dask_cluster_scores_like_the_plan(tmp_path):
    distributed = pytest.importorskip("distributed", reason="Dask's `distributed` is not installed")
    root = tiny_course(tmp_path / "course")
    students = [*HONEST, *FAULTY]
    for student in students:
        write_submission(student, root=root, assignment=AID)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  local_directory=str(tmp_path / "dask")) as cluster:  # fmt: skip
        results = grade_assignment(root=root, assignment=AID, scheduler=cluster.scheduler_address, progress=False)
        workers = len(cluster.workers)
    assert workers == 2
    _check_scores(root, students, {r.student: r.status for r in results})


def test_an_unreachable_scheduler_is_a_clear_error(tmp_path, monkeypatch):
    pytest.importorskip("distributed", reason="Dask's `distributed` is not installed")
    monkeypatch.setattr("dl4cv.course.dispatch.DASK_CONNECT_TIMEOUT", "2s")
    root = tiny_course(tmp_path / "course")
    write_submission(HONEST[0], root=root, assignment=AID)
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{probe.getsockname()[1]}"
    with pytest.raises(OSError, match="could not connect to the Dask scheduler"):
        grade_assignment(root=root, assignment=AID, scheduler=address, progress=False)


# --------------------------------------------------------------------------- PostgreSQL


def _postgres_bin() -> Path | None:
    initdb = shutil.which("initdb") or next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))[-1:]), None)
    return Path(initdb).resolve().parent if initdb else None


@pytest.fixture(scope="module")
def postgres_url():
    """A throw-away PostgreSQL server on a Unix socket; its SQLAlchemy URL. Skips where it cannot start."""
    pytest.importorskip("psycopg", reason="the PostgreSQL driver psycopg is not installed")
    bindir = _postgres_bin()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed (Debian: apt-get install postgresql)")
    as_user: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="dl4cv-pg-", dir="/tmp"))
    if os.geteuid() == 0:  # the server refuses to run as root
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no `postgres` user to run the server as")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = folder / "data", 54321

    def run(*command: str) -> subprocess.CompletedProcess:
        return subprocess.run([*as_user, *command], capture_output=True, text=True, timeout=120)

    started = run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "--no-sync")
    if started.returncode == 0:
        started = run(str(bindir / "pg_ctl"), "-D", str(data), "-w", "-l", str(folder / "log"), "start", "-o",
                      f"-k {folder} -p {port} -c listen_addresses='' -c fsync=off")  # fmt: skip
    if started.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.skip(f"the PostgreSQL test server did not start: {(started.stderr or started.stdout).strip()[-300:]}")
    try:
        yield f"postgresql+psycopg://postgres@/postgres?host={folder}&port={port}"
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(folder, ignore_errors=True)


def test_the_gradebook_works_on_postgresql(tmp_path, monkeypatch, postgres_url):
    import sqlalchemy

    monkeypatch.setenv("DL4CV_DB_URL", postgres_url)
    root = tiny_course(tmp_path / "course")
    assert load_nbgrader_config(root).CourseDirectory.db_url == postgres_url
    students = [*HONEST, FAULTY[1]]
    for student in students:
        write_submission(student, root=root, assignment=AID)
    results = grade_assignment(root=root, assignment=AID, jobs=2, progress=False)
    statuses = {r.student: r.status for r in results}
    _check_scores(root, students, statuses)
    assert not (root / "gradebook.db").exists(), "nothing went to SQLite"
    with sqlalchemy.create_engine(postgres_url).connect() as db:
        names = {row[0] for row in db.execute(sqlalchemy.text("select id from student"))}
    assert names == {s.id for s in students}
    table = export_grades(root=root, assignment=AID, path=tmp_path / "grades.csv", statuses=statuses).read_text()
    assert all(s.id in table for s in students)
