"""The `dl4cv` command line: a thin layer, checked on a copy of the course."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from dl4cv.course.cli import main


def test_check_passes_on_the_course(course: Path):
    result = CliRunner().invoke(main, ["--root", str(course), "check"])
    assert result.exit_code == 0, result.output
    assert "0 problem(s)" in result.output


def test_check_reports_a_notebook_with_outputs(course: Path):
    import nbformat

    path = course / "source" / "a1" / "knn.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    code = next(c for c in nb.cells if c.cell_type == "code")
    code.execution_count = 3
    nbformat.write(nb, str(path))
    result = CliRunner().invoke(main, ["--root", str(course), "check"])
    assert result.exit_code == 1
    assert "has outputs or execution counts" in result.output


def _one_line_error(result) -> str:
    """The message of a command that must fail with exit code 1 and a single line, no traceback."""
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    return lines[0]


def test_unknown_course_folder_is_a_clear_error(tmp_path: Path):
    line = _one_line_error(CliRunner().invoke(main, ["--root", str(tmp_path), "check"]))
    assert "nbgrader_config.py" in line


@pytest.mark.parametrize("command", [["grade", "a9"], ["export", "a9"], ["feedback", "a9"], ["release", "a9"],
                                     ["prove", "a9", "--notebook", "knn"]])  # fmt: skip
def test_an_unknown_assignment_is_one_line_and_creates_nothing(course: Path, command):
    before = sorted(p.relative_to(course) for p in course.rglob("*"))
    line = _one_line_error(CliRunner().invoke(main, ["--root", str(course), *command]))
    assert "no assignment 'a9'" in line and "a0, a1, a2" in line
    assert sorted(p.relative_to(course) for p in course.rglob("*")) == before


def test_collecting_for_an_unknown_assignment_creates_nothing(course: Path, tmp_path: Path):
    (tmp_path / "downloads" / "ann").mkdir(parents=True)
    (tmp_path / "downloads" / "ann" / "knn.ipynb").write_text("{}")
    line = _one_line_error(CliRunner().invoke(main, ["--root", str(course), "collect", str(tmp_path / "downloads"), "-a", "a9"]))
    assert "no assignment 'a9'" in line
    assert not (course / "submitted").exists() or not list((course / "submitted").rglob("a9"))


@pytest.mark.parametrize("command", [["export", "a0"], ["export", "a0", "--canvas"], ["feedback", "a0"]])
def test_export_and_feedback_before_grading_say_what_to_run(course: Path, command):
    line = _one_line_error(CliRunner().invoke(main, ["--root", str(course), *command]))
    assert "nothing graded for a0 yet: run `dl4cv grade a0` first" in line
    assert not (course / "reports" / "a0" / "grades.csv").exists()


def test_grading_without_isolation_is_refused_with_the_fix(course: Path):
    with (course / "nbgrader_config.py").open("a") as config:
        config.write('\nc.Sandbox.isolation = "unshare"\n')  # as on a machine without bwrap
    before = sorted(p.relative_to(course) for p in course.rglob("*"))
    for command in (["grade", "a0"], ["demo", "a0"]):
        line = _one_line_error(CliRunner().invoke(main, ["--root", str(course), *command]))
        assert "refusing to grade" in line and "--allow-unisolated" in line and "allow_unisolated = True" in line
    assert sorted(p.relative_to(course) for p in course.rglob("*")) == before


def test_doctor_reports_isolation_and_the_threads_a_grading_kernel_gets(course: Path):
    result = CliRunner().invoke(main, ["--root", str(course), "doctor", "--jobs", "2"])
    assert result.exit_code == 0, result.output
    assert "sandbox  isolated (bwrap)" in result.output
    threads = max(1, (os.cpu_count() or 1) // 2)
    assert f"grading  2 kernel(s) at once (--jobs), {threads} CPU thread(s) each" in result.output


def test_a_new_gradebook_needs_no_alembic_on_path(course: Path):
    """nbgrader stamps a new gradebook by running `alembic`; dl4cv reads the same revision in
    process, so `.venv/bin/dl4cv` works with a PATH that lacks the venv and changes no environment."""
    import subprocess
    import sys

    env = {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/tmp"), "DL4CV_OFFLINE": "1"}
    dl4cv = Path(sys.executable).parent / "dl4cv"
    run = subprocess.run([str(dl4cv), "--root", str(course), "release", "a0"], env=env, capture_output=True,
                         text=True, timeout=600)  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert (course / "gradebook.db").is_file()
