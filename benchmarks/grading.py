"""Grading throughput: serial `nbgrader autograde` against `dl4cv grade` on the same 20
submissions of a1/knn (copies of the simulated class), each in a fresh copy of the course.

Overhead per notebook = grading time per notebook (in core-seconds for the parallel run) minus
the time to just execute the same notebook with nbclient.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from benchmarks.common import ROOT, measured_line
from dl4cv.course.classroom import copy_course, load_class, write_submission
from dl4cv.course.dispatch import kernel_environment
from dl4cv.course.grade import grade_assignment
from dl4cv.course.release import release_assignment
from dl4cv.course.report import gradebook_scores

TITLE = "Grading throughput"
ASSIGNMENT = "a1"
NUM_SUBMISSIONS = 20
JOBS = 2


def _course(target: Path) -> Path:
    copy_course(root=ROOT, target=target)
    release_assignment(root=target, assignment=ASSIGNMENT)
    # Students whose notebook runs to the end: serial nbgrader drops a notebook whose kernel dies
    # (and exits 1), so crashing submissions would make the two gradebooks differ by design.
    # Each hands in the knn notebook only, so the figures stay comparable as a1 grows.
    students = [s for s in load_class(root=target, assignment=ASSIGNMENT, notebook="knn") if s.status == "graded"]
    for i in range(NUM_SUBMISSIONS):
        student = students[i % len(students)]
        write_submission(student, root=target, assignment=ASSIGNMENT, as_id=f"s{i:02d}_{student.id}")
    return target


def _execute_once(course: Path, env: dict[str, str]) -> float:
    workdir = course / "submitted" / sorted(p.name for p in (course / "submitted").iterdir())[0] / ASSIGNMENT
    nb = nbformat.read(str(workdir / "knn.ipynb"), as_version=4)
    old = dict(os.environ)
    os.environ.update(env)
    try:
        start = time.perf_counter()
        NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}).execute()
        return time.perf_counter() - start
    finally:
        os.environ.clear()
        os.environ.update(old)


def measure() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        serial = _course(Path(tmp) / "serial")
        parallel = _course(Path(tmp) / "parallel")
        env = kernel_environment(jobs=1)
        execute_s = statistics.median(_execute_once(serial, env) for _ in range(3))

        start = time.perf_counter()
        subprocess.run([str(Path(sys.executable).parent / "nbgrader"), "autograde", ASSIGNMENT],
                       cwd=serial, env=env, check=True, capture_output=True)
        serial_s = time.perf_counter() - start

        start = time.perf_counter()
        grade_assignment(root=parallel, assignment=ASSIGNMENT, jobs=JOBS, progress=False)
        parallel_s = time.perf_counter() - start

        same = gradebook_scores(root=serial, assignment=ASSIGNMENT) == gradebook_scores(root=parallel, assignment=ASSIGNMENT)
    return {
        "submissions": NUM_SUBMISSIONS,
        "jobs": JOBS,
        "cores": os.cpu_count(),
        "execute_only_s": execute_s,
        "serial_nbgrader_s": serial_s,
        "dl4cv_grade_s": parallel_s,
        "same_scores": same,
    }


def render(f: dict) -> str:
    n = f["submissions"]
    speedup = f["serial_nbgrader_s"] / f["dl4cv_grade_s"]
    serial_overhead = f["serial_nbgrader_s"] / n - f["execute_only_s"]
    parallel_overhead = f["dl4cv_grade_s"] * f["jobs"] / n - f["execute_only_s"]
    return "\n".join([
        f"## {TITLE}",
        "",
        f"{n} submissions of a1/knn (fast mode), {f['cores']} cores. Executing the notebook alone "
        f"with nbclient takes {f['execute_only_s']:.1f} s.",
        "",
        "| grader | wall time | per notebook | overhead per notebook |",
        "|---|---|---|---|",
        f"| `nbgrader autograde` (serial) | {f['serial_nbgrader_s']:.0f} s | {f['serial_nbgrader_s'] / n:.1f} s | {serial_overhead:.1f} s |",
        f"| `dl4cv grade --jobs {f['jobs']}` | {f['dl4cv_grade_s']:.0f} s | {f['dl4cv_grade_s'] / n:.1f} s | {parallel_overhead:.1f} core-s |",
        "",
        f"**Speed-up {speedup:.2f}×** (bar: ≥ 1.6× on 2 cores). Same scores in both gradebooks: "
        f"{'yes' if f['same_scores'] else 'NO'}.",
        "",
        measured_line(f),
    ])  # fmt: skip
