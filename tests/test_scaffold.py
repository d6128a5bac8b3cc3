"""`dl4cv new`: a scratch notebook in a temporary course passes `dl4cv check`, its reference test,
and release → prove → grade straight away, with its broken students losing their point."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from dl4cv.course.cli import main
from dl4cv.course.demo import prove_notebook
from dl4cv.course.lint import lint_course

from .conftest import ROOT

pytestmark = pytest.mark.slow


def test_a_new_notebook_works_everywhere_at_once(course: Path):
    result = CliRunner().invoke(main, ["--root", str(course), "new", "a7", "toy_notebook"])
    assert result.exit_code == 0, result.output
    assert (course / "release" / "a7" / "toy_notebook.ipynb").is_file()
    assert lint_course(root=course) == []

    outcome = prove_notebook(root=course, assignment="a7", notebook="toy_notebook", jobs=2, progress=False)
    assert outcome.mismatches == []
    assert "toy_notebook_off_by_one" in outcome.table and "toy_notebook_looped" in outcome.table

    assert "toy_notebook" in (course / "assignments" / "a7" / "README.md").read_text()  # the grading tables
    new_files = sorted(str(p.relative_to(course)) for p in course.rglob("*") if "a7" in p.parts and p.is_file())
    assert {p.split("/")[0] for p in new_files} == {"source", "release", "assignments"}, new_files
    shutil.copy(ROOT / "conftest.py", course / "conftest.py")  # the reference test runs as it would in this repository
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "assignments/a7/test_toy_notebook.py"],
                         cwd=course, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr


def test_a_taken_or_odd_name_is_refused_in_one_line(course: Path):
    runner = CliRunner()
    taken = runner.invoke(main, ["--root", str(course), "new", "a1", "knn"])
    assert taken.exit_code == 1 and "source/a1/knn.ipynb already exists" in taken.output
    odd = runner.invoke(main, ["--root", str(course), "new", "a7", "My Notebook"])
    assert odd.exit_code == 1 and "notebook name 'My Notebook'" in odd.output
