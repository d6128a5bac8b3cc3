"""What the grading sandbox costs per notebook.

The same prepared notebook of the tiny assignment (`tests/tiny_course.py`: import torch, two
graded cells) executed three ways, interleaved so that a slow or fast spell of the machine hits
every kind alike: plain nbclient in a warm process (no sandbox at all); a grading task in a fresh
process with the limits but no isolation (`allow_unisolated`); a grading task in the whitelisted
`bwrap` sandbox (the default).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from benchmarks.common import measured_line
from dl4cv.course.classroom import write_submission
from dl4cv.course.config import load_nbgrader_config
from dl4cv.course.execute import execute_in_subprocess, pack_task
from dl4cv.course.dispatch import kernel_environment
from dl4cv.course.grade import grade_assignment
from dl4cv.course.sandbox import available_isolation
from tests.tiny_course import AID, HONEST, tiny_course

TITLE = "Grading sandbox: cost per notebook"
REPEATS = 7


def _timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def measure() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        root = tiny_course(Path(tmp) / "course")
        write_submission(HONEST[0], root=root, assignment=AID)
        grade_assignment(root=root, assignment=AID, jobs=1, progress=False)  # prepares autograded/
        notebook = next((root / "autograded").glob(f"*/{AID}/tiny.ipynb"))
        env = kernel_environment(jobs=1)

        def bare() -> None:
            nb = nbformat.read(str(notebook), as_version=4)
            old = dict(os.environ)
            os.environ.update(env)
            try:
                NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                               resources={"metadata": {"path": str(notebook.parent)}}).execute()  # fmt: skip
            finally:
                os.environ.clear()
                os.environ.update(old)

        def task(isolation: str):
            config = load_nbgrader_config(root, Sandbox={"isolation": isolation, "allow_unisolated": True})
            packed = pack_task(notebook, config=config, env=env)

            def run() -> None:
                assert execute_in_subprocess(packed).problem is None

            return run

        isolation = available_isolation()
        kinds = {"bare_nbclient_s": bare, "task_no_isolation_s": task("none"), "task_isolated_s": task(isolation)}
        times: dict[str, list[float]] = {name: [] for name in kinds}
        for _ in range(REPEATS):
            for name, action in kinds.items():
                times[name].append(_timed(action))
    return {"isolation": isolation, "repeats": REPEATS, **{name: statistics.median(s) for name, s in times.items()},
            "spread": {name: [round(min(s), 2), round(max(s), 2)] for name, s in times.items()}}  # fmt: skip


def render(f: dict) -> str:
    spread = f["spread"]
    rows = [("nbclient in a warm process, no sandbox", "bare_nbclient_s"),
            ("grading task in a fresh process, limits, no isolation", "task_no_isolation_s"),
            (f"grading task, {f['isolation']} whitelist sandbox and limits (the default)", "task_isolated_s")]  # fmt: skip
    return "\n".join([
        f"## {TITLE}",
        "",
        f"One notebook of the tiny assignment (import torch, two graded cells), executed {f['repeats']} times each "
        "way, interleaved; median and range.",
        "",
        "| execution | median | range |",
        "|---|---|---|",
        *(f"| {name} | {f[key]:.2f} s | {spread[key][0]:.2f}–{spread[key][1]:.2f} s |" for name, key in rows),
        "",
        f"Isolation minus none: {f['task_isolated_s'] - f['task_no_isolation_s']:+.2f} s per notebook. The sandboxed "
        f"task takes {f['task_isolated_s'] - f['bare_nbclient_s']:.2f} s more than bare nbclient: a fresh process, the "
        "task's files unpacked, cgroup set-up and the kernel's start.",
        "",
        measured_line(f),
    ])  # fmt: skip
