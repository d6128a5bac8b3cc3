"""The grading sandbox on tiny hostile notebooks: each one loses the cells it broke, says why,
and reaches nothing it should not (the course folder, the network, unbounded memory, processes
or time). Execution goes through `execute_in_subprocess`, as `dl4cv grade --scheduler` runs it."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

from dl4cv.course.config import load_nbgrader_config
from dl4cv.course.execute import execute_in_subprocess, pack_task
from dl4cv.course.dispatch import kernel_environment
from dl4cv.course.sandbox import Cgroup, isolation_command, probe_isolation

from .attacks import SEARCH
from .conftest import ROOT, copy_course

pytestmark = pytest.mark.slow


def _run(tmp_path: Path, hostile: str, **sandbox):
    """Execute a three-cell graded notebook whose middle cell is `hostile`; returns (problem, outputs)."""
    folder = tmp_path / "autograded" / "mallory" / "a9"
    folder.mkdir(parents=True)
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell(source) for source in ("print('before')", hostile, "print('after')")]
    for index, cell in enumerate(nb.cells):
        cell.metadata["nbgrader"] = {"grade": True, "grade_id": f"cell{index}", "points": 1, "locked": True,
                                     "solution": False, "schema_version": 3, "task": False}  # fmt: skip
    nbformat.write(nb, folder / "hostile.ipynb")
    (folder / "escape").symlink_to(ROOT / "source")
    config = load_nbgrader_config(ROOT, Sandbox=sandbox, Execute={"timeout": 60})
    task = pack_task(folder / "hostile.ipynb", config=config, env=kernel_environment(jobs=1))
    run = execute_in_subprocess(task)
    executed = nbformat.reads(run.notebook_json, as_version=4)
    outputs = ["".join(o.get("text", "") or f"{o.get('ename')}: {o.get('evalue')}" for o in c.outputs) for c in executed.cells]
    return run.problem, outputs


def test_an_honest_notebook_runs_to_the_end(tmp_path):
    problem, outputs = _run(tmp_path, "print(6 * 7)")
    assert problem is None
    assert outputs == ["before\n", "42\n", "after\n"]


def test_this_machine_isolates_kernels():
    """Grading refuses to run without isolation, so the suite must have it: no test here is skipped."""
    isolation = probe_isolation()
    assert isolation.level == "bwrap", f"kernels cannot be isolated here: {isolation.problem}"


# A kernel that looks for the course by every route it has: the dl4cv package, its working copy,
# sys.path, its environment, /proc (its parents' folders, environments and command lines) and a
# walk of the whole filesystem it can see. It prints each course-like folder it finds.
FIND_COURSES = SEARCH + r"""
import sys
from pathlib import Path
import dl4cv

def course_at_or_above(path):
    for folder in [path, *path.parents]:
        try:
            if any((folder / marker).exists() for marker in ("source/a1/knn.py", "release/a1/knn.ipynb")):
                return str(folder)
        except OSError:
            pass

found = set()
for start in [dl4cv.__file__, os.getcwd(), *sys.path, *os.environ.values(), *proc_starts()]:
    for piece in str(start).split(os.pathsep):
        if piece.startswith("/") and course_at_or_above(Path(piece)):
            found.add(course_at_or_above(Path(piece)))
found |= {top for top in everything() if top.endswith("/a1") and os.path.isfile(os.path.join(top, "knn.py"))}
print(sorted(found), len(glob.glob("/proc/[0-9]*")))
"""


def test_no_route_leads_to_any_copy_of_the_course(tmp_path):
    last_year = copy_course(tmp_path / "last_year" / "course")  # another copy on the machine, solutions included
    assert (last_year / "source" / "a1" / "knn.py").is_file()
    problem, outputs = _run(tmp_path, FIND_COURSES)
    assert problem is None, outputs
    found, processes = outputs[1].rsplit(" ", 1)
    assert found == "[]", f"the kernel found course folders: {found}"
    assert int(processes) <= 3, "the kernel sees only its own process namespace"


def test_the_kernel_environment_holds_no_grader_secret(tmp_path, monkeypatch):
    monkeypatch.setenv("DL4CV_DB_URL", "postgresql://grader:hunter2@db/dl4cv")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "hunter2")
    problem, outputs = _run(tmp_path, "import os\nprint(sorted(os.environ.items()))")
    assert problem is None
    assert "hunter2" not in outputs[1] and "DL4CV_DB_URL" not in outputs[1]


WRITE_EVERYWHERE = r"""
import ctypes, os, site, sys
from pathlib import Path
import dl4cv

site_packages = Path(site.getsitepackages()[0])
libc = ctypes.CDLL(None, use_errno=True)
remount = libc.mount(None, str(site_packages).encode(), None, 32 | 4096, None)  # MS_REMOUNT | MS_BIND
print("remount", remount)
for target in [site_packages / "zz_dl4cv_attack.pth", site_packages / "sitecustomize.py",
               Path(dl4cv.__file__).parent / "zz_dl4cv_attack.py", Path(sys.prefix) / "zz_dl4cv_attack",
               Path(COURSE) / "zz_dl4cv_attack", Path(COURSE) / "release" / "zz_dl4cv_attack", Path("/etc/zz_dl4cv_attack"),
               Path("/zz_dl4cv_attack"), Path(HOST_TMP) / "zz_dl4cv_attack"]:
    try:
        target.write_text("import os")
        print("WROTE", target)
    except OSError as error:
        print("refused", type(error).__name__)
for private in ("/tmp/zz_dl4cv_trap", "/dev/shm/zz_dl4cv_trap"):
    open(private, "w").write("trap")
print(sorted(os.listdir("/dev/shm")), "host_secret" in str(sorted(os.listdir("/tmp"))))
print("capabilities", *[line.split()[1] for line in open("/proc/self/status") if line.startswith("CapEff")])
"""


def test_the_kernel_writes_nowhere_a_later_kernel_reads(tmp_path):
    import site

    (tmp_path / "host_secret").write_text("a file of the host's /tmp")
    source = WRITE_EVERYWHERE.replace("COURSE", repr(str(ROOT))).replace("HOST_TMP", repr(str(tmp_path)))
    problem, outputs = _run(tmp_path, source)
    assert problem is None, outputs
    assert "remount -1" in outputs[1]
    # Only its private /tmp takes writes (a course checked out under the host's /tmp appears there
    # as an empty folder holding the read-only venv and dl4cv); the host's files are checked below.
    wrote = [line for line in outputs[1].splitlines() if line.startswith("WROTE") and not line.startswith("WROTE /tmp/")]
    assert wrote == [], outputs[1]
    assert "['zz_dl4cv_trap'] False" in outputs[1], "private /dev/shm and /tmp, empty at the start"
    assert "capabilities 0000000000000000" in outputs[1]
    import dl4cv

    planted = [Path(site.getsitepackages()[0]) / "zz_dl4cv_attack.pth", Path(dl4cv.__file__).parent / "zz_dl4cv_attack.py",
               ROOT / "zz_dl4cv_attack", tmp_path / "zz_dl4cv_attack", Path("/tmp/zz_dl4cv_trap"), Path("/dev/shm/zz_dl4cv_trap")]
    assert [p for p in planted if p.exists()] == []


def test_a_process_the_kernel_leaves_behind_dies_with_it(tmp_path):
    import psutil

    problem, _ = _run(tmp_path, "import subprocess\nsubprocess.Popen(['sleep', '299.25'], start_new_session=True)")
    assert problem is None
    survivors = [p for p in psutil.process_iter(["cmdline"]) if p.info["cmdline"] == ["sleep", "299.25"]]
    assert survivors == []


def test_a_dying_kernel_loses_the_running_cell_and_the_rest(tmp_path):
    problem, outputs = _run(tmp_path, "import os\nos._exit(3)")
    assert "DeadKernelError" in problem
    assert outputs[0] == "before\n"
    assert outputs[1].startswith("NotRun") and outputs[2].startswith("NotRun")


def test_a_memory_hog_is_stopped_with_a_reason(tmp_path):
    problem, outputs = _run(tmp_path, "blocks = []\nwhile True:\n    blocks.append(bytearray(64 << 20))", memory_mb=512)
    assert problem == "stopped: used more than 512 MiB of memory"
    assert outputs[1].startswith("NotRun") and outputs[2].startswith("NotRun")


def test_a_fork_bomb_is_stopped_with_a_reason(tmp_path):
    problem, _ = _run(tmp_path, "import os, time\nfor _ in range(400):\n    if os.fork() == 0:\n        time.sleep(60)\n        os._exit(0)",
                      max_processes=100)  # fmt: skip
    assert problem == "stopped: started more than 100 processes or threads"


def test_the_whole_notebook_has_a_wall_clock_limit(tmp_path):
    problem, outputs = _run(tmp_path, "import time\ntime.sleep(60)", notebook_timeout=8)
    assert problem == "stopped: the notebook ran longer than 8 s"
    assert outputs[2].startswith("NotRun")


def test_a_huge_file_is_refused(tmp_path):
    problem, outputs = _run(tmp_path, "open('big.bin', 'wb').write(bytes(8 << 20))", max_file_mb=1)
    assert problem is None
    assert "File too large" in outputs[1]


def test_isolation_commands_show_a_whitelist_of_the_host():
    command = isolation_command(isolation="bwrap", workdir="/w", readable=["/course/.venv", "/usr/lib/python3"], network=False)
    binds = [command[i + 2] for i, arg in enumerate(command) if arg in ("--ro-bind", "--bind", "--dev-bind")]
    assert "/" not in binds and "/course/.venv" in binds and "/w" in binds
    assert "/usr/lib/python3" not in binds, "already inside /usr"
    assert "--unshare-net" in command and "--unshare-pid" in command and command[command.index("--cap-drop") + 1] == "ALL"
    assert command.index("--tmpfs") < command.index("/w"), "the working copy is bound inside the private /tmp"
    under_tmp = isolation_command(isolation="bwrap", workdir="/tmp/w", readable=["/tmp/checkout/.venv"], network=False)
    assert under_tmp.index("--tmpfs") < under_tmp.index("/tmp/checkout/.venv"), "a checkout under /tmp stays visible"
    assert "--unshare-net" not in isolation_command(isolation="bwrap", workdir="/w", readable=[], network=True)
    assert isolation_command(isolation="unshare", workdir="/w", readable=[], network=False) == ["unshare", "-n"]
    assert isolation_command(isolation="none", workdir="/w", readable=[], network=False) == []


def test_cgroups_are_reported_whether_or_not_they_can_be_made():
    assert isinstance(Cgroup.available(), bool)
    if os.geteuid() == 0 and Path("/sys/fs/cgroup/pids").is_dir() and os.access("/sys/fs/cgroup/pids", os.W_OK):
        assert Cgroup.available()


def test_the_isolation_probe_says_what_is_missing_and_why(tmp_path, monkeypatch):
    """No bwrap at all, and a bwrap that cannot create namespaces (as in some containers), each
    named with its fix; grading then refuses."""
    from dl4cv.course.sandbox import Sandbox, UnisolatedError, check_isolation

    probe = probe_isolation.__wrapped__  # not the cached answer for this machine
    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap, no unshare
    assert probe().level == "none" and "bwrap is not installed (fix: sudo apt install bubblewrap)" in probe().problem
    fake = tmp_path / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
    fake.chmod(0o755)
    problem = probe().problem
    assert "bwrap is installed but cannot create the sandbox's namespaces here (bwrap: No permissions" in problem
    monkeypatch.setattr("dl4cv.course.sandbox.probe_isolation", probe)
    try:
        check_isolation(Sandbox())
    except UnisolatedError as error:
        assert "refusing to grade" in str(error) and "No permissions to create new namespace" in str(error)
    else:
        raise AssertionError("grading without isolation was not refused")
