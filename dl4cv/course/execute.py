"""Executing one prepared notebook, anywhere: in a local worker process or on a Dask worker.

An `ExecutionTask` carries everything the execution needs (the prepared folder's files as bytes,
the nbgrader settings, the kernel's environment), so the machine that runs it needs the course's
Python environment but no shared disk and no gradebook. `execute_task` runs it in the sandbox and
returns a `NotebookRun`: the executed notebook as JSON, plus why it stopped early, if it did.

`execute_in_subprocess` wraps the same call in a fresh `python -m dl4cv.course.execute` process.
Dask runs it that way: the task may rewrite its process's environment and standard error, which a
long-lived Dask worker must keep.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from dl4cv.course import notebooks

#: A prepared folder larger than this is not sent anywhere (a submission padded with data).
MAX_TASK_BYTES = 256 << 20


@dataclass
class NotebookRun:
    """One executed notebook, as a worker hands it back."""

    student: str
    assignment: str
    notebook: str
    path: str  # where the grading process keeps the notebook (autograded/<student>/<aid>/<nb>.ipynb)
    seconds: float
    notebook_json: str | None = None
    problem: str | None = None  # why execution stopped early, if it did


@dataclass
class ExecutionTask:
    """All that executing one notebook needs, in one picklable object."""

    student: str
    assignment: str
    notebook: str
    path: str  # the notebook in the grading process's autograded/ folder (only reported back)
    files: dict[str, bytes]  # the prepared folder: relative path -> contents
    config: dict  # nbgrader config (Execute, LimitOutput, Sandbox, ...) as loaded from the course
    env: dict[str, str]  # the kernel's environment

    @property
    def size(self) -> int:
        return sum(len(data) for data in self.files.values())


def pack_task(path: Path, *, config: dict, env: dict[str, str]) -> ExecutionTask:
    """An `ExecutionTask` for the prepared notebook at `path` (`autograded/<student>/<aid>/<nb>.ipynb`).

    Takes every regular file of its folder; links were removed before preparing.
    """
    path = Path(path)
    folder = path.parent
    files = {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }
    return ExecutionTask(student=folder.parent.name, assignment=folder.name, notebook=path.stem, path=str(path),
                         files=files, config=config, env=dict(env))  # fmt: skip


def _unpack(task: ExecutionTask, workdir: Path) -> None:
    for relative, data in task.files.items():
        target = (workdir / relative).resolve()
        if not target.is_relative_to(workdir.resolve()):
            continue  # pack_task never makes such a name; a forged task gets nothing written outside
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def mark_not_run(nb: NotebookNode, reason: str, *, running: int | None = None) -> None:
    """Give every graded cell that never finished an error, so it scores zero instead of full marks.

    `running` is the index of the cell that was executing when the kernel stopped: it counts as
    not run even though it had started.
    """
    notebooks.score_zero(nb, reason, unfinished_only=True, running=running)


def failed_run(task: ExecutionTask, problem: str) -> NotebookRun:
    """The run of a task that could not execute at all: every graded cell scores zero."""
    run = NotebookRun(task.student, task.assignment, task.notebook, task.path, 0.0, problem=problem)
    try:
        nb = nbformat.reads(task.files[f"{task.notebook}.ipynb"].decode("utf-8"), as_version=4)
    except Exception:
        return run
    notebooks.score_zero(nb, f"the notebook was not executed ({problem})")
    run.notebook_json = nbformat.writes(nb)
    return run


def readable_folders() -> list[str]:
    """Folders besides the system runtime that a kernel reads, read-only inside the sandbox: the
    Python environment, the interpreter it was made from, the dl4cv package and the data root.
    Each is given as the kernel names it and, where links lead elsewhere, as it really lies."""
    import dl4cv
    from dl4cv.data import data_root

    needed = [Path(sys.prefix), Path(sys.base_prefix), Path(dl4cv.__file__).parent, data_root()]
    folders = set()
    for path in needed:
        if path.exists():
            folders |= {os.path.abspath(path), str(path.resolve())}
    return sorted(folders)


def scrub_paths(nb: NotebookNode, *, workdir: Path) -> None:
    """Write the grader's own paths in outputs (tracebacks above all) as the student knows them:
    files of the submission relative to its folder, the Python environment as `<python>`."""
    import dl4cv

    package = Path(dl4cv.__file__).parent
    replacements = {f"{workdir}/": "", str(workdir): ".", f"{package}/": "dl4cv/", str(Path(sys.prefix)): "<python>",
                    str(Path(sys.base_prefix)): "<python>"}  # fmt: skip
    home = Path(os.environ.get("HOME", "/nonexistent"))
    if workdir.is_relative_to(home):  # IPython writes paths under $HOME as ~/...
        short = f"~/{workdir.relative_to(home)}"
        replacements.update({f"{short}/": "", short: "."})
    replacements = dict(sorted(replacements.items(), key=lambda item: -len(item[0])))  # the longest first

    def scrub(text: str) -> str:
        for old, new in replacements.items():
            text = text.replace(old, new)
        return text

    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if "text" in output:
                output.text = scrub(output.text)
            if output.get("output_type") == "error":
                output.evalue = scrub(output.evalue)
                output.traceback = [scrub(line) for line in output.traceback]
            if isinstance(output.get("data", {}).get("text/plain"), str):
                output.data["text/plain"] = scrub(output.data["text/plain"])


def isolation_problem(config: dict) -> str | None:
    """Why this machine may not run student kernels under `config`'s sandbox settings, or None."""
    from traitlets.config import Config

    from dl4cv.course.sandbox import Sandbox, UnisolatedError, check_isolation

    try:
        check_isolation(Sandbox(config=Config(config)))
    except UnisolatedError as error:
        return str(error)
    return None


def execute_task(task: ExecutionTask) -> NotebookRun:
    """Execute one notebook in the sandbox with nbgrader's execution steps.

    Runs in a process of its own: it replaces the process's environment with the task's and sends
    its standard error (kernel start-up chatter) to /dev/null. Never raises: a crash or a broken
    limit is reported in `problem`, and cells that did not run are marked so they cannot score.
    """
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.preprocessors import Execute, IgnorePattern, LimitOutput
    from traitlets.config import Config

    from dl4cv.course.sandbox import SandboxedKernelManager, take_violation

    config = Config(task.config)
    problem = isolation_problem(task.config)  # a Dask worker may lack bwrap although the grader has it
    if problem:
        return failed_run(task, f"this grading machine cannot isolate kernels: {problem}")
    os.environ.clear()
    os.environ.update(task.env)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.environ["NBGRADER_EXECUTION"] = "autograde"
    run = NotebookRun(task.student, task.assignment, task.notebook, task.path, 0.0)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="dl4cv-grade-") as scratch:
        workdir = Path(scratch) / task.assignment
        workdir.mkdir()
        _unpack(task, workdir)
        config.SandboxedKernelManager = Config(workdir=str(workdir), readable=readable_folders())
        resources = {"metadata": {"path": str(workdir)}}
        running: dict[str, int] = {}
        try:
            nb = nbformat.read(str(workdir / f"{task.notebook}.ipynb"), as_version=4)
        except Exception as error:
            return failed_run(task, f"unreadable notebook: {type(error).__name__}")
        try:
            for step in (Execute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput):
                preprocessor = step(config=config)
                if step is Execute:
                    preprocessor.kernel_manager_class = SandboxedKernelManager
                    preprocessor.on_cell_execute = lambda cell, cell_index: running.update(index=cell_index)
                nb, resources = preprocessor(nb, resources)
        except Exception as error:  # kernel death, unresponsive kernel, broken notebook: record it
            message = str(error).strip().splitlines()[0] if str(error).strip() else ""
            run.problem = take_violation(workdir, wait=1.0) or f"{type(error).__name__}: {message}"
            mark_not_run(nb, f"the notebook stopped before this cell finished ({run.problem})",
                         running=running.get("index"))
        else:
            run.problem = take_violation(workdir)
        scrub_paths(nb, workdir=workdir)
    run.seconds = time.perf_counter() - start
    run.notebook_json = nbformat.writes(nb)
    return run


def execute_in_subprocess(task: ExecutionTask) -> NotebookRun:
    """`execute_task` in a fresh Python process; what a Dask worker runs.

    The child gets the whole-notebook limit plus a minute before it is killed, in case the sandbox's
    own watchdog failed.
    """
    from traitlets.config import Config

    from dl4cv.course.sandbox import Sandbox

    notebook_limit = float(Sandbox(config=Config(task.config)).notebook_timeout)
    with tempfile.TemporaryDirectory(prefix="dl4cv-task-") as scratch:
        task_file, run_file = Path(scratch) / "task.pickle", Path(scratch) / "run.pickle"
        task_file.write_bytes(pickle.dumps(task))
        try:
            subprocess.run([sys.executable, "-m", "dl4cv.course.execute", str(task_file), str(run_file)],
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           timeout=notebook_limit + 60, check=False)  # fmt: skip
        except subprocess.TimeoutExpired:
            return failed_run(task, "the grading process did not finish in time")
        if not run_file.is_file():
            return failed_run(task, "the grading process stopped without a result")
        return pickle.loads(run_file.read_bytes())


def _main(argv: list[str]) -> None:
    task_file, run_file = argv
    task = pickle.loads(Path(task_file).read_bytes())
    run = execute_task(task)
    Path(run_file).write_bytes(pickle.dumps(run))


if __name__ == "__main__":
    # Through the imported module, so the run pickles as dl4cv.course.execute.NotebookRun, not __main__'s.
    from dl4cv.course.execute import _main as main

    main(sys.argv[1:])
