"""The run cache: a notebook run is reused only when every input is unchanged, never holds a run
that stopped early, and lives where no grading kernel can read it."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from dl4cv.course.classroom import SimulatedStudent, write_submission
from dl4cv.course.execute import ExecutionTask, NotebookRun, readable_folders
from dl4cv.course.grade import grade_assignment
from dl4cv.course.report import gradebook_scores
from dl4cv.course.runcache import RunCache, cache_from_env, run_key

from .tiny_course import AID, HONEST, SQUARE, edit_module, tiny_course


def _task(files=None, env=None, **changes) -> ExecutionTask:
    task = ExecutionTask(student="s1", assignment="a9", notebook="tiny", path="/course/autograded/s1/a9/tiny.ipynb",
                         files=files or {"tiny.ipynb": b"{}", "tiny.py": b"x = 1\n"},
                         config={"Execute": {"timeout": 20}, "CourseDirectory": {"root": "/course"}},
                         env=env or {"PATH": f"{sys.prefix}/bin:/usr/bin", "DL4CV_FAST": "1"})  # fmt: skip
    for name, value in changes.items():
        setattr(task, name, value)
    return task


def test_the_key_changes_with_every_input_the_kernel_sees():
    key = run_key(_task())
    assert run_key(_task()) == key
    assert run_key(_task(files={"tiny.ipynb": b"{}", "tiny.py": b"x = 2\n"})) != key
    assert run_key(_task(files={"tiny.ipynb": b"{}", "tiny.py": b"x = 1\n", "data.npy": b""})) != key
    assert run_key(_task(env={"PATH": f"{sys.prefix}/bin:/usr/bin", "DL4CV_FAST": "0"})) != key
    assert run_key(_task(config={"Execute": {"timeout": 30}})) != key
    assert run_key(_task(notebook="other")) != key


def test_the_key_ignores_who_handed_in_and_where_the_course_and_environment_lie():
    key = run_key(_task())
    assert run_key(_task(student="s2", path="/elsewhere/autograded/s2/a9/tiny.ipynb")) == key
    assert run_key(_task(config={"Execute": {"timeout": 20}, "CourseDirectory": {"root": "/other"}})) == key
    moved = {"PATH": "/clone/.venv/bin:/usr/bin", "DL4CV_FAST": "1"}
    original = sys.prefix
    try:
        sys.prefix = "/clone/.venv"
        assert run_key(_task(env=moved)) == key
    finally:
        sys.prefix = original


def test_only_clean_runs_are_stored_and_come_back_under_the_new_student(tmp_path):
    cache = RunCache(tmp_path / "runs")
    task = _task()
    clean = NotebookRun("s1", "a9", "tiny", task.path, 3.0, notebook_json='{"cells": []}')
    cache.put("k1", clean)
    again = cache.get(_task(student="s2", path="/course/autograded/s2/a9/tiny.ipynb"), "k1")
    assert again is not None and again.student == "s2" and again.path.endswith("s2/a9/tiny.ipynb")
    assert again.notebook_json == clean.notebook_json and cache.hits == 1
    cache.put("k2", NotebookRun("s1", "a9", "tiny", task.path, 90.0, notebook_json="{}", problem="CellTimeoutError"))
    assert cache.get(task, "k2") is None
    assert cache.get(task, "never stored") is None
    assert (tmp_path / "runs").stat().st_mode & 0o077 == 0, "other users must not read the cache"


def test_the_cache_may_not_lie_where_kernels_can_read():
    for folder in readable_folders():
        with pytest.raises(ValueError, match="grading kernels can read"):
            RunCache(Path(folder) / "runs")


def test_off_turns_the_cache_off(monkeypatch, tmp_path):
    monkeypatch.setenv("DL4CV_RUN_CACHE", "off")
    assert cache_from_env() is None
    monkeypatch.setenv("DL4CV_RUN_CACHE", str(tmp_path / "here"))
    assert cache_from_env().folder == tmp_path / "here"


@pytest.mark.slow
def test_regrading_reuses_unchanged_runs_only(tmp_path):
    """A second copy of the course, elsewhere, grades the same class from the cache with the same
    scores; a student whose module changed is executed again."""
    cache = RunCache(tmp_path / "runs")
    first = tiny_course(tmp_path / "first")
    second = Path(shutil.copytree(first, tmp_path / "second"))  # the same course, released, elsewhere
    for student in HONEST:
        write_submission(student, root=first, assignment=AID)
    grade_assignment(root=first, assignment=AID, jobs=2, progress=False, cache=cache)
    assert cache.hits == 0

    changed = SimulatedStudent("wrong_square", "another mistake", edits=edit_module(SQUARE, "    result = x * 3\n"),
                               loses=HONEST[2].loses)  # fmt: skip
    for student in (*HONEST[:2], changed):
        write_submission(student, root=second, assignment=AID)
    grade_assignment(root=second, assignment=AID, jobs=2, progress=False, cache=cache)
    assert cache.hits == 2, "the reference and the alternative answer were unchanged; the changed module was not"
    scores = [gradebook_scores(root=root, assignment=AID) for root in (first, second)]
    for student in ("reference", "alt_correct", "wrong_square"):
        assert [(c.cell, c.score) for c in scores[0][student]] == [(c.cell, c.score) for c in scores[1][student]]
