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
from dl4cv.course.grade import kernel_environment
from dl4cv.course.sandbox import Cgroup, available_isolation, isolation_command

from .conftest import ROOT

pytestmark = pytest.mark.slow
ISOLATED = available_isolation() == "bwrap"


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
    task = pack_task(folder / "hostile.ipynb", config=config, env=kernel_environment(jobs=1), hidden=[str(ROOT)])
    run = execute_in_subprocess(task)
    executed = nbformat.reads(run.notebook_json, as_version=4)
    outputs = ["".join(o.get("text", "") or f"{o.get('ename')}: {o.get('evalue')}" for o in c.outputs) for c in executed.cells]
    return run.problem, outputs


def test_an_honest_notebook_runs_to_the_end(tmp_path):
    problem, outputs = _run(tmp_path, "print(6 * 7)")
    assert problem is None
    assert outputs == ["before\n", "42\n", "after\n"]


@pytest.mark.skipif(not ISOLATED, reason="bwrap cannot create namespaces on this machine")
def test_the_course_folder_and_links_out_of_the_submission_show_nothing(tmp_path):
    problem, outputs = _run(tmp_path, f"""
import os
print(sorted(os.listdir({str(ROOT)!r})))
for path in ["escape/a1/knn.py", {str(ROOT / "source" / "a1" / "knn.py")!r}, {str(ROOT / "gradebook.db")!r}]:
    print(os.path.exists(path))
""")
    assert problem is None
    assert outputs[1].split("\n")[1:4] == ["False", "False", "False"]
    assert "source" not in outputs[1] and "submitted" not in outputs[1]


@pytest.mark.skipif(available_isolation() == "none", reason="no network namespace on this machine")
def test_no_network(tmp_path):
    _, outputs = _run(tmp_path, "import socket\nsocket.create_connection(('1.1.1.1', 53), timeout=5)")
    assert "Network is unreachable" in outputs[1] or "OSError" in outputs[1]
    assert outputs[2] == "after\n"


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


def test_isolation_commands_hide_the_course_and_keep_what_the_kernel_needs():
    command = isolation_command(isolation="bwrap", workdir="/w", hidden=["/course"], exposed=["/course/.venv"], network=False)
    assert command[:2] == ["bwrap", "--ro-bind"]
    assert command.index("--tmpfs", 5) < command.index("/course/.venv")
    assert "--unshare-net" in command and "--unshare-pid" in command
    assert "--unshare-net" not in isolation_command(isolation="bwrap", workdir="/w", hidden=[], exposed=[], network=True)
    assert isolation_command(isolation="unshare", workdir="/w", hidden=[], exposed=[], network=False) == ["unshare", "-n"]
    assert isolation_command(isolation="none", workdir="/w", hidden=[], exposed=[], network=False) == []


def test_cgroups_are_reported_whether_or_not_they_can_be_made():
    assert isinstance(Cgroup.available(), bool)
    if os.geteuid() == 0 and Path("/sys/fs/cgroup/pids").is_dir() and os.access("/sys/fs/cgroup/pids", os.W_OK):
        assert Cgroup.available()
