"""Grading 100 generated submissions three ways.

The submissions are copies of the honest students of the tiny generated assignment that the
adversarial suite uses (`tests/tiny_course.py`: import torch, two graded cells), so the figures
show the grader's own cost per notebook rather than a notebook's training time (a1/knn's are in
"Grading throughput"). Each grader gets a fresh copy of the course:

- serial `nbgrader autograde`;
- `dl4cv grade --jobs 2` (local worker processes);
- `dl4cv grade --scheduler` on a Dask `LocalCluster` of 2 single-thread workers.

What the sandbox costs per notebook is the section `sandbox`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import measured_line
from dl4cv import env
from dl4cv.course.classroom import write_submission
from dl4cv.course.dispatch import kernel_environment
from dl4cv.course.grade import grade_assignment
from dl4cv.course.report import gradebook_scores
from tests.tiny_course import AID, HONEST, tiny_course

TITLE = "Grading at scale: 100 submissions, local and on a Dask cluster"
NUM_SUBMISSIONS = env.integer("DL4CV_BENCH_SUBMISSIONS")
JOBS = 2
REPEATS = 5


def _course(target: Path) -> Path:
    root = tiny_course(target)
    for i in range(NUM_SUBMISSIONS):
        student = HONEST[i % len(HONEST)]
        write_submission(student, root=root, assignment=AID, as_id=f"s{i:03d}_{student.id}")
    return root


def _timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def measure() -> dict:
    from distributed import LocalCluster

    figures: dict = {"submissions": NUM_SUBMISSIONS, "jobs": JOBS, "cores": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        courses = {name: _course(Path(tmp) / name) for name in ("serial", "local", "cluster")}
        env = kernel_environment(jobs=1)
        nbgrader = str(Path(sys.executable).parent / "nbgrader")
        figures["serial_nbgrader_s"] = _timed(lambda: subprocess.run(
            [nbgrader, "autograde", AID], cwd=courses["serial"], env=env, check=True, capture_output=True))
        figures["dl4cv_local_s"] = _timed(lambda: grade_assignment(
            root=courses["local"], assignment=AID, jobs=JOBS, progress=False))
        with LocalCluster(n_workers=JOBS, threads_per_worker=1, processes=True, dashboard_address=None,
                          local_directory=str(Path(tmp) / "dask")) as cluster:
            figures["dl4cv_cluster_s"] = _timed(lambda: grade_assignment(
                root=courses["cluster"], assignment=AID, scheduler=cluster.scheduler_address, progress=False))
        scores = {name: gradebook_scores(root=course, assignment=AID) for name, course in courses.items()}
        figures["same_scores"] = scores["serial"] == scores["local"] == scores["cluster"]
    return figures  # fmt: skip


def render(f: dict) -> str:
    n = f["submissions"]
    rows = [("`nbgrader autograde` (serial)", f["serial_nbgrader_s"]),
            (f"`dl4cv grade --jobs {f['jobs']}`", f["dl4cv_local_s"]),
            (f"`dl4cv grade --scheduler` (LocalCluster, {f['jobs']} workers × 1 thread)", f["dl4cv_cluster_s"])]  # fmt: skip
    table = [f"| {name} | {seconds:.0f} s | {n / seconds * 60:.0f} | {seconds / n:.2f} s | "
             f"{f['serial_nbgrader_s'] / seconds:.2f}× |" for name, seconds in rows]  # fmt: skip
    return "\n".join([
        f"## {TITLE}",
        "",
        f"{n} generated submissions of the tiny assignment the adversarial suite uses (import torch, two graded "
        f"cells), {f['cores']} cores. A fresh course copy per grader.",
        "",
        "| grader | wall time | notebooks per minute | per notebook | vs serial |",
        "|---|---|---|---|---|",
        *table,
        "",
        f"Same scores in all three gradebooks: {'yes' if f['same_scores'] else 'NO'}.",
        "",
        "On one 2-core machine the cluster is slower than local workers: each Dask task starts a fresh Python "
        "process for its notebook, and the scheduler and workers share the two cores with the kernels. "
        "The cluster option is for spreading a class over several machines; these figures show its "
        "cost per notebook, which matters little beside a real notebook's 20–60 s.",
        "",
        measured_line(f),
    ])  # fmt: skip
